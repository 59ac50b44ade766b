package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/github"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// objectStore is a daemon store that keeps connectors' per-object state.
type objectStore interface {
	Store
	connectors.ObjectState
	connectors.ProfileAges
	Close() error
}

// sizeRecorder passes batches to its store and records the size of every
// cursor state committed.
type sizeRecorder struct {
	objectStore
	mu    sync.Mutex
	sizes []int
}

func (r *sizeRecorder) Apply(ctx context.Context, source string, b connectors.Batch) (crm.ApplyResult, error) {
	res, err := r.objectStore.Apply(ctx, source, b)
	if err == nil {
		r.mu.Lock()
		r.sizes = append(r.sizes, len(b.Next.State))
		r.mu.Unlock()
	}
	return res, err
}

// storeKinds open a fresh store of each kind; PostgreSQL needs
// ROLLCALL_TEST_POSTGRES_URL (pgtest skips without it).
var storeKinds = []struct {
	name string
	open func(t *testing.T) objectStore
}{
	{"sqlite", func(t *testing.T) objectStore {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "r.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) objectStore {
		st, err := postgres.Open(t.Context(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

// issueWorld is a fake GitHub with one repository of n issues, every
// every-th a pull request with a review and a comment, by 2,000 authors at
// most. It has no GraphQL API (a GitHub Enterprise without it), so
// that reviews and profiles are read through REST, one pull request or
// profile at a time, over many batches: the heaviest case for a cursor.
func issueWorld(t *testing.T, n, every int) (*githubtest.Server, *config.Config) {
	t.Helper()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv := githubtest.New(githubtest.WithNow(func() time.Time { return now }), githubtest.WithRateLimit(1_000_000),
		githubtest.WithoutGraphQL(http.StatusNotFound))
	if _, err := srv.AddRepo(githubtest.Repo{Owner: "big", Name: "repo", CreatedAt: now.Add(-1000 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	start := now.Add(-time.Duration(n+10) * time.Minute)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		user := fmt.Sprintf("user%d", i%min(2000, max(1, n/every)))
		srv.AddUser(githubtest.User{Login: user, Name: "User " + user})
		is, err := srv.AddIssue("big", "repo", githubtest.Issue{User: user, Title: fmt.Sprintf("Issue number %d with a title of some length", i),
			Body: "A body.", Pull: i%every == 0, CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if i%every == 0 {
			if _, err := srv.AddReview("big", "repo", githubtest.Review{Pull: is.Number, User: user, Body: "Looks good.", SubmittedAt: at.Add(time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		if i%every == 0 {
			if _, err := srv.AddComment("big", "repo", githubtest.Comment{Issue: is.Number, User: user, Body: "A comment.", CreatedAt: at.Add(2 * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	yaml := "sources:\n  - name: gh\n    type: github\n    token: t\n    base_url: http://fake.test/\n    repos: [big/repo]\n"
	cfg, err := config.Parse("test.yaml", []byte(yaml), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, cfg
}

// syncObjects runs one pass of the github source of cfg into st, with the
// store as the connector's per-object state; a connector that dies after
// n fetches when n >= 0.
func syncObjects(t *testing.T, srv *githubtest.Server, cfg *config.Config, st Store, objs connectors.ObjectState, n int) Summary {
	t.Helper()
	srcs, err := BuildSources(cfg, []connectors.Kind{github.Kind}, connectors.Options{
		HTTP: srv.Transport(), Profiles: st.(connectors.ProfileAges), Objects: objs, Logger: slog.New(slog.DiscardHandler),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		d := &dying{inner: srcs[0].Connector}
		d.left.Store(int32(n))
		srcs[0].Connector = d
	}
	return New(Options{Store: st, Sources: srcs}).SyncOnce(context.Background())[0]
}

// TestCursorSizeDoesNotGrow syncs 100 and then 10,000 issues (one in 50 a
// pull request with a review and a comment) into each store and checks that the
// GitHub cursor state, at the end of the pass and at its largest during
// it, is the same size within a few hundred bytes, and under 64 KiB: what
// grows with the data is in the per-object state.
func TestCursorSizeDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 issues: skipped in -short mode")
	}
	const slack = 300 // bytes
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			type size struct{ final, largest, objects int }
			measure := func(n int) size {
				srv, cfg := issueWorld(t, n, 50)
				rec := &sizeRecorder{objectStore: kind.open(t)}
				if sum := syncObjects(t, srv, cfg, rec, rec.objectStore, -1); sum.Err != nil {
					t.Fatalf("%d issues: %v", n, sum.Err)
				}
				cur, err := rec.Cursor(t.Context(), "gh")
				if err != nil {
					t.Fatal(err)
				}
				objs, err := rec.ObjectsAfter(t.Context(), "gh", "issue/", "", n+10)
				if err != nil {
					t.Fatal(err)
				}
				if len(objs) != n {
					t.Errorf("%d issues: %d issue entries in the per-object state", n, len(objs))
				}
				s := size{final: len(cur.State), largest: slices.Max(rec.sizes), objects: len(objs)}
				t.Logf("%d issues: cursor state %d bytes after the pass, at most %d during it (%d batches); %d ETags; %d issue entries",
					n, s.final, s.largest, len(rec.sizes), len(cur.ETags), s.objects)
				return s
			}
			small, big := measure(100), measure(10000)
			if d := big.final - small.final; d < -slack || d > slack {
				t.Errorf("cursor state after the pass: %d bytes at 100 issues, %d at 10,000", small.final, big.final)
			}
			if d := big.largest - small.largest; d < -slack || d > slack {
				t.Errorf("largest cursor state during the pass: %d bytes at 100 issues, %d at 10,000", small.largest, big.largest)
			}
			if big.largest >= 64<<10 {
				t.Errorf("cursor state reached %d bytes, want under 64 KiB", big.largest)
			}
		})
	}
}

// TestCrashBetweenBatchesWithObjectState kills a sync after every batch in
// turn, with the per-object state in the SQLite store, restarts it on the
// same file, and checks that it ends with the activities and identities of
// an uninterrupted sync: the state commits with its batch.
func TestCrashBetweenBatchesWithObjectState(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	open := func(path string) *sqlite.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	run := func(path string, n int) Summary {
		w := newWorld(t)
		st := open(path)
		defer st.Close()
		return syncObjects(t, w.srv, w.cfg, st, st, n)
	}
	ref := filepath.Join(dir, "ref.db")
	sum := run(ref, -1)
	if sum.Err != nil {
		t.Fatal(sum.Err)
	}
	wantActs, wantIDs := contents(t, ref)
	if sum.Batches < 4 || len(wantActs) < 100 {
		t.Fatalf("reference sync: %d batches, %d activities; the test needs more", sum.Batches, len(wantActs))
	}
	for k := 1; k < sum.Batches; k++ {
		w := newWorld(t)
		path := filepath.Join(dir, fmt.Sprintf("crash-%d.db", k))
		st := open(path)
		if s := syncObjects(t, w.srv, w.cfg, st, st, k); !errors.Is(s.Err, errKilled) || s.Batches != k {
			t.Fatalf("k=%d: first run: %d batches, err %v", k, s.Batches, s.Err)
		}
		if s := syncObjects(t, w.srv, w.cfg, st, st, -1); s.Err != nil {
			t.Fatalf("k=%d: resumed run: %v", k, s.Err)
		}
		st.Close()
		acts, ids := contents(t, path)
		if diff := cmp.Diff(wantActs, acts); diff != "" {
			t.Fatalf("killed after batch %d: activities differ (-want +got):\n%s", k, diff)
		}
		if diff := cmp.Diff(wantIDs, ids); diff != "" {
			t.Fatalf("killed after batch %d: identities differ (-want +got):\n%s", k, diff)
		}
	}
}

// TestOldCursorMovesToObjectState stops a sync midway, rewrites what it
// committed as a cursor written before the per-object state (issues,
// queued reviews and profiles, profile marks and touched URLs inside the
// cursor, the table empty), and resumes: the first batch moves them into
// the store, the cursor loses them, and the sync ends with what an
// uninterrupted one stores.
func TestOldCursorMovesToObjectState(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			ctx := t.Context()
			srv, cfg := issueWorld(t, 600, 5)
			ref := kind.open(t)
			if s := syncObjects(t, srv, cfg, ref, ref, -1); s.Err != nil {
				t.Fatal(s.Err)
			}
			wantActs := storedKeys(t, ref)

			srv, cfg = issueWorld(t, 600, 5)
			st := kind.open(t)
			// Stop inside the reviews stream, with reviews and profiles queued.
			var legacy map[string]any
			for k := 1; ; k++ {
				if s := syncObjects(t, srv, cfg, st, st, 1); !errors.Is(s.Err, errKilled) {
					t.Fatalf("batch %d: the pass ended (%v) before the reviews stream", k, s.Err)
				}
				cur, err := st.Cursor(ctx, "gh")
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(cur.State, &legacy); err != nil {
					t.Fatal(err)
				}
				if legacy["stream"] == float64(3) { // streamReviews
					break
				}
			}
			all, err := st.ObjectsAfter(ctx, "gh", "", "", 100000)
			if err != nil {
				t.Fatal(err)
			}
			// The old format: the current repository's issues by number,
			// marks.prs, profiles, profiled (this pass), touched.
			issues := map[string]json.RawMessage{}
			var prs, profiles []json.RawMessage
			var profiled []int64
			deletes := make([]connectors.Object, 0, len(all))
			for _, o := range all {
				deletes = append(deletes, connectors.Object{Key: o.Key})
				switch kind, rest, _ := strings.Cut(o.Key, "/"); kind {
				case "issue":
					_, num, _ := strings.Cut(rest, "#")
					issues[strings.TrimLeft(num, "0")] = o.Value
				case "review":
					prs = append(prs, o.Value)
				case "profile":
					profiles = append(profiles, o.Value)
				case "profiled":
					var id int64
					fmt.Sscan(strings.TrimPrefix(rest, "account:"), &id)
					profiled = append(profiled, id)
				}
			}
			if len(issues) == 0 || len(prs) == 0 {
				t.Fatalf("stopped with %d issues and %d queued reviews; the test needs both", len(issues), len(prs))
			}
			cur, err := st.Cursor(ctx, "gh")
			if err != nil {
				t.Fatal(err)
			}
			var touched []string
			for u, v := range cur.ETags {
				touched = append(touched, u)
				cur.ETags[u] = v[strings.Index(v, " ")+1:] // plain ETags
			}
			delete(legacy, "pass")
			legacy["issues"] = issues
			legacy["profiles"] = profiles
			legacy["profiled"] = profiled
			legacy["touched"] = touched
			legacy["marks"].(map[string]any)["big/repo"].(map[string]any)["prs"] = prs
			old, err := json.Marshal(legacy)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Apply(ctx, "gh", connectors.Batch{Objects: deletes, Next: connectors.Cursor{State: old, ETags: cur.ETags, Missing: cur.Missing}}); err != nil {
				t.Fatal(err)
			}
			t.Logf("old-format cursor: %d bytes (%d issues, %d queued reviews, %d queued profiles)", len(old), len(issues), len(prs), len(profiles))

			// One batch moves the old cursor's per-object part into the store.
			if s := syncObjects(t, srv, cfg, st, st, 1); !errors.Is(s.Err, errKilled) {
				t.Fatalf("first batch after the upgrade: %v", s.Err)
			}
			cur, err = st.Cursor(ctx, "gh")
			if err != nil {
				t.Fatal(err)
			}
			var after struct {
				Issues, Profiles, Profiled, Touched, Objects any
				Marks                                        map[string]struct{ PRs any }
			}
			if err := json.Unmarshal(cur.State, &after); err != nil {
				t.Fatal(err)
			}
			if after.Issues != nil || after.Profiles != nil || after.Profiled != nil || after.Touched != nil || after.Objects != nil || after.Marks["big/repo"].PRs != nil {
				t.Errorf("the cursor still holds per-object state after the first batch: %.300s", cur.State)
			}
			moved, err := st.ObjectsAfter(ctx, "gh", "issue/", "", 100000)
			if err != nil {
				t.Fatal(err)
			}
			if len(moved) < len(issues) {
				t.Errorf("%d issue entries in the store after the upgrade, want at least %d", len(moved), len(issues))
			}
			t.Logf("cursor after the first batch: %d bytes", len(cur.State))
			if s := syncObjects(t, srv, cfg, st, st, -1); s.Err != nil {
				t.Fatal(s.Err)
			}
			if diff := cmp.Diff(wantActs, storedKeys(t, st)); diff != "" {
				t.Errorf("after resuming from the old cursor: activities differ (-want +got):\n%s", diff)
			}
		})
	}
}

// storedKeys lists every stored activity key, sorted.
func storedKeys(t *testing.T, st Store) []string {
	t.Helper()
	var out []string
	ctx := t.Context()
	ms, err := st.(crm.Store).Members(ctx, crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		j, err := st.(crm.Store).Journey(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range j.Activities {
			out = append(out, a.Key)
		}
	}
	slices.Sort(out)
	return out
}
