package mastodon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
)

// throttleTags answers every hashtag timeline request with a 429 carrying a
// short Retry-After, and passes the rest to the fake.
type throttleTags struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (t *throttleTags) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/api/v1/timelines/tag/") {
		return t.next.RoundTrip(r)
	}
	t.n.Add(1)
	h := http.Header{}
	h.Set("Retry-After", "1")
	h.Set("Content-Type", "application/json")
	return &http.Response{StatusCode: http.StatusTooManyRequests, Status: "429 Too Many Requests", Header: h,
		Body: io.NopCloser(strings.NewReader(`{"error":"Too many requests"}`)), Request: r}, nil
}

// TestGoMastodonNeverRetries429Itself: go-mastodon retries a 429 on its
// own, sleeping on a real timer (1 s, then 1.5 times longer, up to an
// hour). On the shared transport the 429s are retried by our client on the
// test's clock, and when they keep coming the source pauses: go-mastodon
// gets an error, never the 429, and the test's clock is all that moves.
func TestGoMastodonNeverRetries429Itself(t *testing.T) {
	e := connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: newConformanceFake("")})
	rt := &throttleTags{next: e.Fake.Transport()}
	conn, err := Kind.New(connectors.Options{
		Source: e.Source(), Logger: slog.New(slog.DiscardHandler),
		Now: e.Clock.Now, Sleep: e.Clock.Sleep, HTTP: rt, Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var rl *connectors.ErrRateLimited
	for i := 0; i < 5 && !errors.As(err, &rl); i++ {
		_, err = conn.Fetch(context.Background(), e.Store.Cursor)
		if err != nil && !errors.As(err, &rl) {
			t.Fatalf("Fetch: %v", err)
		}
	}
	if rl == nil {
		t.Fatalf("no ErrRateLimited after the hashtag answered 429 %d times", rt.n.Load())
	}
	if got := rt.n.Load(); got != 4 {
		t.Errorf("the hashtag timeline was asked %d times, want 4 (our 3 retries, none by go-mastodon)", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v of real time: something slept on a real timer", d)
	}
}
