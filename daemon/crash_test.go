package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

var errKilled = errors.New("process killed")

// dying passes through the first n fetches, then fails every later one, as
// if the process had been killed before it could commit batch n+1.
type dying struct {
	inner connectors.Connector
	left  atomic.Int32
}

func (d *dying) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	if d.left.Add(-1) < 0 {
		return connectors.Batch{}, errKilled
	}
	return d.inner.Fetch(ctx, cur)
}

// world is a fake GitHub with a generated community, and the source config
// that reads it.
type world struct {
	srv *githubtest.Server
	cfg *config.Config
}

func newWorld(t *testing.T) world {
	t.Helper()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv := githubtest.New(githubtest.WithNow(func() time.Time { return now }))
	c := community.Generate(3, 80, now)
	if err := c.LoadGitHub(srv); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf("sources:\n  - name: gh\n    type: github\n    token: t\n    base_url: http://fake.test/\n    orgs: [%s]\n", c.Org)
	cfg, err := config.Parse("test.yaml", []byte(yaml), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return world{srv: srv, cfg: cfg}
}

// sync opens the store at path, runs one pass with a connector that dies
// after n fetches (n < 0: never), and closes the store.
func (w world) sync(t *testing.T, path string, n int) Summary {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := BuildSources(w.cfg, []connectors.Kind{github.Kind}, connectors.Options{HTTP: w.srv.Transport(), Profiles: st, Logger: slog.New(slog.DiscardHandler)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		d := &dying{inner: srcs[0].Connector}
		d.left.Store(int32(n))
		srcs[0].Connector = d
	}
	return New(Options{Store: st, Sources: srcs}).SyncOnce(ctx)[0]
}

// contents lists every stored activity key and every identity key.
func contents(t *testing.T, path string) (acts, ids []string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if left, _ := st.Unassigned(ctx, 1); len(left) > 0 {
		t.Errorf("unassigned identities left: %v", left[0].AccountRef)
	}
	ms, err := st.Members(ctx, crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, id := range m.Identities {
			ids = append(ids, id.AccountRef.String())
		}
		j, err := st.Journey(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range j.Activities {
			acts = append(acts, a.Key)
		}
	}
	sort.Strings(acts)
	sort.Strings(ids)
	return acts, ids
}

// TestCrashBetweenBatches kills a sync after every batch in turn, restarts
// it on the same SQLite file, and checks that it ends with exactly the
// activities and identities of an uninterrupted sync: no loss, no duplicate.
func TestCrashBetweenBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.db")
	sum := newWorld(t).sync(t, ref, -1)
	if sum.Err != nil {
		t.Fatal(sum.Err)
	}
	wantActs, wantIDs := contents(t, ref)
	if sum.Batches < 4 || len(wantActs) < 100 {
		t.Fatalf("reference sync: %d batches, %d activities; the test needs more", sum.Batches, len(wantActs))
	}
	t.Logf("reference sync: %d batches, %d activities, %d identities", sum.Batches, len(wantActs), len(wantIDs))
	for k := 1; k < sum.Batches; k++ {
		w := newWorld(t)
		path := filepath.Join(dir, fmt.Sprintf("crash-%d.db", k))
		if s := w.sync(t, path, k); !errors.Is(s.Err, errKilled) || s.Batches != k {
			t.Fatalf("k=%d: first run = %d batches, err %v; want %d batches then killed", k, s.Batches, s.Err, k)
		}
		if s := w.sync(t, path, -1); s.Err != nil {
			t.Fatalf("k=%d: restart: %v", k, s.Err)
		}
		acts, ids := contents(t, path)
		if diff := cmp.Diff(wantActs, acts); diff != "" {
			t.Fatalf("killed after batch %d: activities differ (-want +got):\n%s", k, diff)
		}
		if diff := cmp.Diff(wantIDs, ids); diff != "" {
			t.Fatalf("killed after batch %d: identities differ (-want +got):\n%s", k, diff)
		}
	}
}
