package web_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/daemon"
	"github.com/rollcall-dev/rollcall/identity"
	"github.com/rollcall-dev/rollcall/web"
)

// demoWorld is what `rollcall demo` runs, built from the same exported
// packages: a generated community served by the four fakes on loopback, the
// real connectors and daemon syncing it into a real SQLite store, and the
// real web server mounted by the daemon's handler on a loopback port. The
// fakes are the only stand-ins (for GitHub, Mastodon, Discourse and Stack
// Overflow).
type demoWorld struct {
	URL       string // http://127.0.0.1:PORT, no trailing slash
	Store     worldStore
	Community *community.Community
	Daemon    *daemon.Daemon
	// Hostile lists the hostile records the fakes served (startHostileWorld).
	Hostile []community.HostileRecord
}

// worldStore is what the demo world needs of its store: what the daemon,
// the connectors and the pages use (crm/sqlite and crm/postgres both are).
type worldStore interface {
	daemon.Store
	connectors.ProfileAges
	web.MemberReader
	web.Decider
	web.Scores
	Suggestions(ctx context.Context, status string) ([]crm.Suggestion, error)
	Members(ctx context.Context, q crm.MemberQuery) ([]crm.Member, error)
	EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error)
	Close() error
}

// startDemoWorld generates a community of size people, syncs it once into
// a fresh SQLite store and serves the pages; everything stops when the
// test ends.
func startDemoWorld(t *testing.T, seed int64, size int) *demoWorld {
	t.Helper()
	db := filepath.Join(t.TempDir(), "browser.db")
	return startDemoWorldOn(t, seed, size, db, func(ctx context.Context) (worldStore, error) { return sqlite.Open(ctx, db) })
}

// startDemoWorldOn is startDemoWorld on the store open opens (named by
// store in the world's configuration).
func startDemoWorldOn(t *testing.T, seed int64, size int, store string, open func(ctx context.Context) (worldStore, error)) *demoWorld {
	t.Helper()
	return startWorldWith(t, seed, size, store, open, community.WorldOptions{Credentials: community.DefaultCredentials()})
}

// startHostileWorld is startDemoWorld with the fakes also serving values
// (community.LoadHostile) on every platform.
func startHostileWorld(t *testing.T, seed int64, size int, values []community.Hostile) *demoWorld {
	t.Helper()
	db := filepath.Join(t.TempDir(), "hostile.db")
	return startWorldWith(t, seed, size, db, func(ctx context.Context) (worldStore, error) { return sqlite.Open(ctx, db) },
		community.WorldOptions{Credentials: community.DefaultCredentials(), Hostile: values})
}

func startWorldWith(t *testing.T, seed int64, size int, store string, open func(ctx context.Context) (worldStore, error), opts community.WorldOptions) *demoWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	now := time.Now().UTC().Truncate(time.Hour)
	world, err := community.StartWorldWith(seed, size, now, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { world.Close(context.Background()) })
	c := world.Community

	cfg, err := config.Parse("browser.yaml", []byte(world.ConfigText(store, time.Hour)), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("demo config: %v", err)
	}
	st, err := open(ctx)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	sources, err := daemon.BuildSources(cfg, all.Kinds(), connectors.Options{Profiles: st, Version: "browser-test"}, nil)
	if err != nil {
		t.Fatalf("build sources: %v", err)
	}
	cycles := make(chan struct{}, 64)
	d := daemon.New(daemon.Options{Store: st, Resolver: &identity.Resolver{}, Sources: sources,
		OnCycle: func() {
			select {
			case cycles <- struct{}{}:
			default:
			}
		}})
	for _, sum := range d.SyncOnce(ctx) {
		if sum.Err != nil {
			t.Fatalf("sync %s: %v", sum.Source, sum.Err)
		}
	}
	// Then poll as `rollcall demo` does: every source passes again at once,
	// then waits for its interval. Wait for those passes, so the pages show
	// a settled daemon with its next syncs scheduled.
	ran := make(chan error, 1)
	go func() { ran <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("daemon: %v", err)
		}
	})
	// OnCycle fires when a pass ends, just before the loop schedules the
	// source's next sync, so also look again on a short tick: the last
	// signal may come before the state it announces is visible.
	wait, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for settled := false; !settled; {
		select {
		case <-cycles:
		case <-tick.C:
		case <-wait.Done():
			t.Fatalf("the daemon's second passes did not end: %+v", d.SourceStatuses())
		}
		settled = true
		for _, s := range d.SourceStatuses() {
			if s.LastError != "" {
				t.Fatalf("source %s: %s", s.Name, s.LastError)
			}
			if s.Passes < 2 || s.Running || s.NextSync.IsZero() {
				settled = false
			}
		}
	}

	// Levels exist before the pages are read, as the CLI and the
	// daemon's evaluation leave them.
	if _, err := st.EvaluateLevels(ctx, crm.DefaultScoring(), time.Now().UTC(), false); err != nil {
		t.Fatalf("evaluate levels: %v", err)
	}
	// As the daemon serves them: through the page cache when the store
	// reports its data version (SQLite).
	dv, _ := st.(web.DataVersioner)
	ui, err := web.New(web.Options{Members: st, Decisions: st, Sources: d, Scores: st, Version: "browser-test", DataVersion: dv})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- daemon.Serve(ctx, ln, d.Handler(ui)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	})
	return &demoWorld{URL: "http://" + ln.Addr().String(), Store: st, Community: c, Daemon: d, Hostile: world.Hostile}
}
