package mastodon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/internal/frozen"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

// TestSameAsRawHTTPConnector syncs two stores from two identical fakes,
// one with the connector as it was before go-mastodon (a frozen copy in
// internal/frozen, raw HTTP) and one with this package, through the same
// sequence of passes (backfill, idle, growth, a pass cut after a few
// batches and resumed by a new instance, a 404), and requires every
// activity, account and cursor (state, ETags, missing set) to be equal
// after each, and the two fakes to have been sent the same requests (path,
// query, If-None-Match, answer), in the same order.
func TestSameAsRawHTTPConnector(t *testing.T) {
	for _, token := range []string{"", "owner-token"} {
		t.Run(fmt.Sprintf("token=%q", token), func(t *testing.T) {
			newFake := newConformanceFake(token)
			oldEnv := connectortest.NewEnv(t, connectortest.Case{Kind: frozen.Kind, New: newFake})
			newEnv := connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: newFake})
			envs := []*connectortest.Env{oldEnv, newEnv}
			step := func(name string, f func(e *connectortest.Env)) {
				t.Helper()
				for _, e := range envs {
					f(e)
				}
				compareEnvs(t, name, oldEnv, newEnv)
			}
			step("backfill", func(e *connectortest.Env) { e.MustSync() })
			step("idle", func(e *connectortest.Env) { e.Clock.Advance(time.Hour); e.MustSync() })
			step("growth", func(e *connectortest.Env) {
				e.Clock.Advance(time.Hour)
				e.Fake.Grow(e.Clock.Now())
				e.Clock.Advance(time.Minute)
				e.MustSync()
			})
			step("cut and resumed", func(e *connectortest.Env) {
				e.Clock.Advance(time.Hour)
				e.Fake.Grow(e.Clock.Now())
				e.Fake.Grow(e.Clock.Now().Add(time.Second))
				e.Clock.Advance(time.Minute)
				if _, err := e.Sync(e.Connector(), 2); err != nil {
					t.Fatal(err)
				}
				e.MustSync()
			})
			step("a status removed", func(e *connectortest.Env) {
				srv := e.Fake.(conformanceFake).Server
				e.Clock.Advance(time.Hour)
				e.Fake.Grow(e.Clock.Now())
				if err := srv.RemoveStatus(newestStatusOf(srv, "rollcall")); err != nil {
					t.Fatal(err)
				}
				e.Clock.Advance(time.Minute)
				e.MustSync()
			})
			step("rate limit", func(e *connectortest.Env) {
				e.Clock.Advance(time.Hour)
				e.Fake.Grow(e.Clock.Now())
				e.Fake.Exhaust(e.Clock.Now().Add(7 * time.Minute))
				c := e.Connector()
				if _, err := e.Sync(c, 0); err == nil {
					t.Fatal("sync with the budget spent: no error")
				}
				e.Clock.Advance(8 * time.Minute)
				if _, err := e.Sync(c, 0); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// tagsFake follows more hashtags than the conformance fake: ones whose
// path escaping differs (non-ASCII, '+', '%'), since the ETags are keyed by
// the URL go-mastodon now builds.
type tagsFake struct{ conformanceFake }

func (f tagsFake) Settings() string {
	return strings.Replace(f.conformanceFake.Settings(), "hashtags: [rollcall]", `hashtags: [rollcall, "café", "c++", "100%", "日本語"]`, 1)
}

// TestSameURLsForEveryHashtag: the hashtag walks of the old and the new
// connector send the same requests and keep the same cursors, also for
// hashtags that need escaping.
func TestSameURLsForEveryHashtag(t *testing.T) {
	newFake := func(t *testing.T, now func() time.Time) connectortest.Fake {
		f := newConformanceFake("")(t, now).(conformanceFake)
		for i, tag := range []string{"café", "c++", "100%", "日本語"} {
			if _, err := f.AddStatus(mastodontest.Status{Account: "user001@social.example", Tags: []string{tag}, CreatedAt: now().Add(-time.Duration(i+1) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		return tagsFake{f}
	}
	oldEnv := connectortest.NewEnv(t, connectortest.Case{Kind: frozen.Kind, New: newFake})
	newEnv := connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: newFake})
	for _, step := range []string{"backfill", "idle"} {
		for _, e := range []*connectortest.Env{oldEnv, newEnv} {
			e.Clock.Advance(time.Hour)
			e.MustSync()
		}
		compareEnvs(t, step, oldEnv, newEnv)
	}
}

func compareEnvs(t *testing.T, step string, old, cur *connectortest.Env) {
	t.Helper()
	if len(old.Store.Acts) == 0 {
		t.Fatalf("%s: the old connector stored nothing", step)
	}
	if diff := cmp.Diff(old.Store.Acts, cur.Store.Acts); diff != "" {
		t.Errorf("%s: activities differ (-old +new):\n%s", step, diff)
	}
	if diff := cmp.Diff(old.Store.Accounts, cur.Store.Accounts); diff != "" {
		t.Errorf("%s: accounts differ (-old +new):\n%s", step, diff)
	}
	if diff := cmp.Diff(old.Store.Evidence, cur.Store.Evidence); diff != "" {
		t.Errorf("%s: evidence differs (-old +new):\n%s", step, diff)
	}
	if diff := cmp.Diff(string(old.Store.Cursor.State), string(cur.Store.Cursor.State)); diff != "" {
		t.Errorf("%s: cursor state differs (-old +new):\n%s", step, diff)
	}
	if diff := cmp.Diff(old.Store.Cursor.ETags, cur.Store.Cursor.ETags); diff != "" {
		t.Errorf("%s: cursor ETags differ (-old +new):\n%s", step, diff)
	}
	if diff := cmp.Diff(old.Store.Cursor.Missing, cur.Store.Cursor.Missing); diff != "" {
		t.Errorf("%s: cursor missing set differs (-old +new):\n%s", step, diff)
	}
	if old.Store.Batches != cur.Store.Batches {
		t.Errorf("%s: %d batches with the old connector, %d with the new", step, old.Store.Batches, cur.Store.Batches)
	}
	type req struct {
		Method, Path, RawQuery, IfNoneMatch string
		Status                              int
		Authenticated                       bool
	}
	reqs := func(e *connectortest.Env) []req {
		var out []req
		var srv *mastodontest.Server
		switch f := e.Fake.(type) {
		case conformanceFake:
			srv = f.Server
		case tagsFake:
			srv = f.Server
		}
		for _, r := range srv.Requests() {
			out = append(out, req{r.Method, r.Path, r.RawQuery, r.IfNoneMatch, r.Status, r.Authenticated})
		}
		return out
	}
	if diff := cmp.Diff(reqs(old), reqs(cur)); diff != "" {
		t.Errorf("%s: requests differ (-old +new):\n%s", step, diff)
	}
}
