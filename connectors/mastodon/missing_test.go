package mastodon

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

// TestMissingObjectsAskedOncePerTTL: a configured account the server does
// not know (lookup 404), a tracked account deleted after it was resolved
// (its statuses and followers answer 404), and two statuses removed after
// the statuses listing queued who-boosted, who-favourited and replies reads
// of each (three reads per status, all 404). A pass asks for each missing
// object once; a pass within the expiry asks for none and counts the
// skips; after the expiry each object still referenced is asked once again.
func TestMissingObjectsAskedOncePerTTL(t *testing.T) {
	clk := connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: func(*testing.T, func() time.Time) connectortest.Fake { return nil }}).Clock
	srv := mastodontest.New(mastodontest.WithNow(clk.Now))
	add := func(u string) mastodontest.Account {
		a, err := srv.AddAccount(mastodontest.Account{Username: u, CreatedAt: clk.Now().Add(-48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	add("rollcall")
	leaver := add("leaver")
	add("fan")
	var removed []string
	for i := range 2 {
		s, err := srv.AddStatus(mastodontest.Status{Account: "rollcall", Content: "hello", CreatedAt: clk.Now().Add(time.Duration(i-10) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Boost("fan", s.ID, clk.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := srv.Favourite("fan", s.ID, clk.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.AddStatus(mastodontest.Status{Account: "fan", Content: "@rollcall yes", InReplyToID: s.ID, Mentions: []string{"rollcall"}}); err != nil {
			t.Fatal(err)
		}
		removed = append(removed, s.ID)
	}

	text := "sources:\n  - name: m\n    type: mastodon\n    server: " + srv.BaseURL() + "\n    accounts: [rollcall, ghost, leaver]\n"
	cfg, err := config.Parse("t.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := New(connectors.Options{Source: cfg.Sources[0], Now: clk.Now, Sleep: clk.Sleep, HTTP: srv.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Connector)
	c.stepsPerBatch = 1
	store := connectortest.NewStore()

	// missing reports whether a request is a lookup of a missing object.
	missing := func(r mastodontest.Request) bool {
		q, _ := url.ParseQuery(r.RawQuery)
		if strings.HasSuffix(r.Path, "/accounts/lookup") {
			return q.Get("acct") == "ghost"
		}
		if strings.HasPrefix(r.Path, "/api/v1/accounts/"+leaver.ID+"/") {
			return true
		}
		for _, id := range removed {
			if strings.HasPrefix(r.Path, "/api/v1/statuses/"+id+"/") {
				return true
			}
		}
		return false
	}
	// pass runs one pass; during the first, leaver is deleted once it is
	// resolved and the statuses are removed once their reads are queued.
	pass := func(t *testing.T, first bool) (asked map[string]int, n int, stats connectors.Stats) {
		srv.ResetLog()
		for i := 0; ; i++ {
			b, err := c.Fetch(context.Background(), store.Cursor)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			store.Apply(b)
			stats.KnownMissing += b.Stats.KnownMissing
			var st state
			if err := json.Unmarshal(b.Next.State, &st); err != nil {
				t.Fatal(err)
			}
			if first && st.Phase > phaseResolve {
				if _, ok := srv.Account("leaver"); ok && len(st.Accounts) == 2 {
					if err := srv.DeleteAccount("leaver"); err != nil {
						t.Fatal(err)
					}
				}
			}
			if first && len(st.Checks) == 6 {
				for _, id := range removed {
					if err := srv.RemoveStatus(id); err != nil {
						t.Fatal(err)
					}
				}
			}
			if b.Done {
				break
			}
			if i > 1000 {
				t.Fatal("no Done")
			}
		}
		asked = map[string]int{}
		for _, r := range srv.Requests() {
			if missing(r) {
				asked[r.Path+"?"+r.RawQuery]++
				n++
			}
		}
		return asked, n, stats
	}

	tests := []struct {
		name    string
		advance time.Duration
		first   bool
		// wantAsked are requests for missing objects: one per object
		// still referenced (ghost, leaver, and in the first pass the two
		// statuses).
		wantAsked int
		// wantSkipped is Stats.KnownMissing: the reads not made.
		wantSkipped int
	}{
		// leaver's followers, and two of the three reads of each status.
		{"first pass asks each missing object once", 0, true, 4, 1 + 2*2},
		// ghost's lookup, leaver's statuses and followers; the removed
		// statuses are no longer listed, so nothing refers to them.
		{"a pass within the expiry asks none", time.Hour, false, 0, 3},
		{"after the expiry each is asked once again", config.DefaultMissingTTL, false, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(tt.advance)
			asked, n, stats := pass(t, tt.first)
			if n != tt.wantAsked {
				t.Errorf("requests for missing objects = %d %v, want %d", n, asked, tt.wantAsked)
			}
			for p, k := range asked {
				if k > 1 {
					t.Errorf("%s asked %d times", p, k)
				}
			}
			if stats.KnownMissing != tt.wantSkipped {
				t.Errorf("Stats.KnownMissing = %d, want %d", stats.KnownMissing, tt.wantSkipped)
			}
		})
	}
	// The tracked account that exists is still read.
	var st state
	if err := json.Unmarshal(store.Cursor.State, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != 2 || st.Accounts[0].Conf != "rollcall" || st.Accounts[1].Conf != "leaver" {
		t.Errorf("tracked accounts = %+v, want rollcall and leaver", st.Accounts)
	}
}
