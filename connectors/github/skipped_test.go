package github

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// spoil adds items without an author or an id to the first page of each
// commits and issues listing the fake serves.
type spoil struct {
	next http.RoundTripper
	done map[string]bool
}

func (s *spoil) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	var extra []map[string]any
	switch p := req.URL.Path; {
	case strings.HasSuffix(p, "/commits") && !s.done["commits"]:
		s.done["commits"] = true
		extra = []map[string]any{
			{"sha": "c0ffee", "author": nil, "commit": map[string]any{"message": "no e-mail", "author": map[string]any{"name": "n", "email": "", "date": "2026-02-01T00:00:00Z"}}},
		}
	case strings.HasSuffix(p, "/issues") && !s.done["issues"]:
		s.done["issues"] = true
		extra = []map[string]any{
			{"id": 991, "number": 991, "title": "ghost", "user": nil, "created_at": "2026-02-01T00:00:00Z", "updated_at": "2026-02-01T00:00:00Z"},
			{"number": 992, "title": "no id", "user": map[string]any{"id": 5, "login": "x"}, "created_at": "2026-02-01T00:00:00Z", "updated_at": "2026-02-01T00:00:00Z"},
		}
	default:
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	body, _ = json.Marshal(append(list, extra...))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("ETag")
	return resp, nil
}

// TestFetchLeavesOutItemsWithoutAuthorOrID: a commit with neither a linked
// account nor an e-mail, an issue whose user is null and an issue without
// an id (found by FuzzTranslate) are left out and counted as skipped; the
// batch the store gets holds only activities it accepts, so the sync goes
// on past that page.
func TestFetchLeavesOutItemsWithoutAuthorOrID(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv := githubtest.New(githubtest.WithNow(func() time.Time { return now }), githubtest.WithToken("tok"))
	com := community.Generate(3, 12, now)
	if err := com.LoadGitHub(srv); err != nil {
		t.Fatal(err)
	}
	text := "sources:\n  - name: gh\n    type: github\n    token: tok\n    base_url: " + fakeBase + "\n    orgs: [" + com.Org + "]\n"
	cfg, err := config.Parse("skipped.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Kind.New(connectors.Options{
		Source: cfg.Sources[0], Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
		Sleep:    func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		HTTP:     &spoil{next: srv.Transport(), done: map[string]bool{}},
		Profiles: connectortest.NewStore(), Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	var cur connectors.Cursor
	skipped, acts := 0, 0
	for i := 0; ; i++ {
		if i > 500 {
			t.Fatal("no Done after 500 batches")
		}
		b, err := c.Fetch(t.Context(), cur)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if err := connectortest.CheckBatch(b, connectors.PlatformGitHub, "github.test"); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		for _, a := range b.Activities {
			if strings.HasSuffix(a.Key, "/991") || strings.HasSuffix(a.Key, "@c0ffee") {
				t.Errorf("%s was sent", a.Key)
			}
		}
		skipped += b.Stats.Skipped
		acts += len(b.Activities)
		cur = b.Next
		if b.Done {
			break
		}
	}
	if skipped != 3 {
		t.Errorf("skipped %d items, want 3 (a commit, two issues)", skipped)
	}
	if acts == 0 {
		t.Error("no activity at all")
	}
}
