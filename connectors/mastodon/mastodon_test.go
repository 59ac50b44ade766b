package mastodon

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

func newEnv(t *testing.T, token string) *connectortest.Env {
	t.Helper()
	return connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: newConformanceFake(token)})
}

// TestISO8601ResetObeyed is the acceptance test "Mastodon: a test proves the
// ISO-8601 reset is obeyed": the source pauses until exactly the reset the
// server announced (with microseconds), and sends no request in between.
func TestISO8601ResetObeyed(t *testing.T) {
	tests := []struct {
		name      string
		remaining int // left in the overall budget before the first request
	}{
		{"429 without Retry-After", 0},
		{"budget down to the reserve", 25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			f := e.Fake.(conformanceFake)
			reset := e.Clock.Now().Add(4*time.Minute + 304662*time.Microsecond)
			f.SetRateLimit(tc.remaining, reset)
			conn := e.Connector()
			var rl *connectors.ErrRateLimited
			var err error
			for i := 0; i < 3 && err == nil; i++ {
				_, err = conn.Fetch(context.Background(), e.Store.Cursor)
			}
			if !errors.As(err, &rl) {
				t.Fatalf("Fetch = %v, want ErrRateLimited", err)
			}
			if !rl.Until.Equal(reset) {
				t.Fatalf("paused until %s, want exactly the reset %s", rl.Until.Format(time.RFC3339Nano), reset.Format(time.RFC3339Nano))
			}
			n := f.Count()
			e.Clock.Advance(reset.Sub(e.Clock.Now()) - time.Microsecond)
			if _, err := conn.Fetch(context.Background(), e.Store.Cursor); !errors.As(err, &rl) {
				t.Fatalf("Fetch a microsecond before the reset = %v, want ErrRateLimited", err)
			}
			if f.Count() != n {
				t.Fatalf("%d requests sent before the reset", f.Count()-n)
			}
			e.Clock.Advance(time.Microsecond)
			if _, err := conn.Fetch(context.Background(), e.Store.Cursor); err != nil {
				t.Fatalf("Fetch at the reset: %v", err)
			}
			if f.Count() == n {
				t.Fatalf("no request at the reset")
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t, "owner-token")
	f := e.Fake.(conformanceFake)
	f.token = "wrong-token"
	e.Fake = f
	_, err := e.Connector().Fetch(context.Background(), connectors.Cursor{})
	var un *connectors.ErrUnauthorized
	if !errors.As(err, &un) {
		t.Fatalf("Fetch with a bad token = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("error reveals the token: %v", err)
	}
}

// TestPathsAgree checks that the owner's notifications and the public
// endpoints yield the same activity keys for follows, boosts, favourites
// and mentions of recent statuses.
func TestPathsAgree(t *testing.T) {
	mk := func(token string) *connectortest.Env {
		return connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: func(t *testing.T, now func() time.Time) connectortest.Fake {
			srv := mastodontest.New(mastodontest.WithNow(now), mastodontest.WithToken("owner-token", "rollcall"))
			seed(t, srv, now(), 0)
			return conformanceFake{Server: srv, token: token, grown: new(int)}
		}})
	}
	pub, own := mk(""), mk("owner-token")
	pub.MustSync()
	own.MustSync()
	for k, a := range pub.Store.Acts {
		if _, ok := own.Store.Acts[k]; !ok && a.Type != TypePost {
			t.Errorf("%s found publicly but not through notifications", k)
		}
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"ok", "server: https://fosstodon.org\naccounts: [rollcall]\n", ""},
		{"no server", "accounts: [rollcall]\n", "server"},
		{"bad server", "server: fosstodon.org\naccounts: [a]\n", "server"},
		{"nothing to follow", "server: https://a.example\n", "accounts"},
		{"bad account", "server: https://a.example\naccounts: ['a@b@c']\n", "accounts"},
		{"unknown field", "server: https://a.example\nhashtag: [x]\n", "hashtag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := "sources:\n  - name: m\n    type: mastodon\n"
			for _, l := range strings.Split(strings.TrimSpace(tc.yaml), "\n") {
				text += "    " + l + "\n"
			}
			cfg, err := config.Parse("t.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(connectors.Options{Source: cfg.Sources[0], Logger: slog.New(slog.DiscardHandler)})
			if (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("New = %v, want error about %q", err, tc.wantErr)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	tests := []struct{ html, want string }{
		{`<a href="https://halcy.de/" target="_blank" rel="nofollow noopener me"><span class="invisible">https://</span>halcy.de/</a>`, "https://halcy.de/"},
		{`<p>hi <span class="h-card"><a href="https://x.example/@a" class="u-url mention">@a</a></span> <a href="https://x.example/tags/t" class="mention hashtag" rel="tag">#t</a></p>`, ""},
		{`https://example.org/plain`, "https://example.org/plain"},
		{`<a href="https://a.example/?x=1&amp;y=2">x</a>`, "https://a.example/?x=1&y=2"},
	}
	for _, tc := range tests {
		if got := strings.Join(links(tc.html), " "); got != tc.want {
			t.Errorf("links(%q) = %q, want %q", tc.html, got, tc.want)
		}
	}
}

func TestAccountKey(t *testing.T) {
	tr := translator{instance: "mastodon.example"}
	tests := []struct {
		a    account
		want string
	}{
		{account{Username: "Alice", Acct: "Alice", URL: "https://mastodon.example/@Alice"}, "mastodon/mastodon.example/alice@mastodon.example"},
		{account{Username: "bob", Acct: "bob@Social.Example", URL: "https://social.example/@bob"}, "mastodon/social.example/bob@social.example"},
		{account{Username: "carol", Acct: "carol", URL: "https://web.example/@carol"}, "mastodon/web.example/carol@web.example"},
	}
	for _, tc := range tests {
		if got := tr.ref(tc.a).String(); got != tc.want {
			t.Errorf("ref(%+v) = %s, want %s", tc.a, got, tc.want)
		}
	}
}
