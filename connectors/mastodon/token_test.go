package mastodon

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

// credentialConnector returns a connector whose token is read from
// $CREDENTIALS_DIRECTORY/mastodon-token (credential:mastodon-token), the
// file's path, and the logs.
func credentialConnector(t *testing.T, e *connectortest.Env, token string) (*Connector, string, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "mastodon-token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := e.Fake.(conformanceFake)
	text := "sources:\n  - name: test\n    type: mastodon\n    token: credential:mastodon-token\n" +
		"    server: " + f.BaseURL() + "\n    accounts: [rollcall]\n    hashtags: [rollcall]\n"
	cfg, err := config.Parse("test.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }, CredentialsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c, err := New(connectors.Options{Source: cfg.Sources[0], Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: e.Clock.Now, Sleep: e.Clock.Sleep, HTTP: f.Transport(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector), path, &logs
}

// The token file is rotated and the old token revoked in the middle of a
// running sync: the next request carries the new token and the sync goes
// on without a 401 or a new connector; no token reaches the logs.
func TestTokenRotatedUnderRunningSync(t *testing.T) {
	e := newEnv(t, "old-SENTINEL")
	f := e.Fake.(conformanceFake)
	c, path, logs := credentialConnector(t, e, "old-SENTINEL")
	c.stepsPerBatch = 1
	if done, err := e.Sync(c, 2); err != nil || done {
		t.Fatalf("first batches: done=%v err=%v", done, err)
	}
	before := f.Count()

	if err := os.WriteFile(path+".new", []byte("new-SENTINEL\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	f.AddToken("new-SENTINEL", "rollcall")
	f.RemoveToken("old-SENTINEL")
	if _, err := e.Sync(c, 0); err != nil {
		t.Fatalf("sync after the rotation: %v", err)
	}
	reqs := f.Requests()
	if len(reqs) <= before {
		t.Fatal("no request after the rotation")
	}
	for _, r := range reqs[before:] {
		if r.Status == 401 || !r.Authenticated {
			t.Fatalf("request after the rotation: %+v", r)
		}
	}
	if !strings.Contains(logs.String(), "credential file changed") || strings.Contains(logs.String(), "SENTINEL") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// Check names the token's application and its scopes where the server
// lists them (Mastodon 4.3+), says the token's own scopes and expiry are
// not reported, and never shows the token.
func TestCheckReportsAppScopes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scopes []string
		want   []string
	}{
		{"4.3", []string{"read:accounts", "read:statuses"}, []string{`app "rollcall-crm" with scopes read:accounts read:statuses`, "its own are not reported", "no expiry reported"}},
		{"older", nil, []string{`app "rollcall-crm"; scopes not reported`, "no expiry reported"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: func(t *testing.T, now func() time.Time) connectortest.Fake {
				srv := mastodontest.New(mastodontest.WithNow(now), mastodontest.WithToken("tok-SENTINEL", "rollcall"), mastodontest.WithApp("rollcall-crm", tc.scopes))
				seed(t, srv, now(), 0)
				return conformanceFake{Server: srv, token: "tok-SENTINEL", grown: new(int)}
			}})
			got, err := e.Connector().(*Connector).Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Check = %q, want %q in it", got, w)
				}
			}
			if strings.Contains(got, "SENTINEL") {
				t.Errorf("Check shows the token: %q", got)
			}
		})
	}
}

// AuthKind tells the credential file from a static token.
func TestAuthKind(t *testing.T) {
	e := newEnv(t, "tok")
	if got := e.Connector().(*Connector).AuthKind(); got != "static token" {
		t.Errorf("static: %q", got)
	}
	c, path, _ := credentialConnector(t, e, "tok")
	if got := c.AuthKind(); !strings.Contains(got, "credential file "+path) {
		t.Errorf("file: %q", got)
	}
	if got := newEnv(t, "").Connector().(*Connector).AuthKind(); got != "none" {
		t.Errorf("none: %q", got)
	}
}
