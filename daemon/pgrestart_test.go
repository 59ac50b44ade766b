package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
	"github.com/rollcall-dev/rollcall/systemd"
)

// gate passes its source's fetches through up to the at-th, which it
// holds (the batches before it are committed by then) until the test opens
// the gate.
type gate struct {
	name    string
	at      int32
	inner   connectors.Connector
	fetches atomic.Int32
	reached chan<- string
	open    chan struct{}
}

func (g *gate) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	if g.fetches.Add(1) == g.at {
		g.reached <- g.name
		select {
		case <-g.open:
		case <-ctx.Done():
			return connectors.Batch{}, ctx.Err()
		}
	}
	return g.inner.Fetch(ctx, cur)
}

// errorLog is a Reporter that keeps every failed pass's error by source.
type errorLog struct {
	mu     sync.Mutex
	errs   map[string][]string
	events []string
}

func (e *errorLog) Progress(source string, s Summary) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, committedEvent(source, s.Batches))
}

// committedEvent is what errorLog hears when source commits batch n of a
// pass.
func committedEvent(source string, n int) string {
	return fmt.Sprintf("%s: batch %d of the pass committed", source, n)
}

func (e *errorLog) Waiting(string, time.Time) {}
func (e *errorLog) Finished(source string, s Summary) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.Err == nil {
		e.events = append(e.events, fmt.Sprintf("%s: pass done", source))
		return
	}
	e.events = append(e.events, fmt.Sprintf("%s: pass failed: %.100s", source, s.Err))
	e.errs[source] = append(e.errs[source], s.Err.Error())
}

// committedBeforeFailing says whether the reporter heard source commit
// batch n of a pass before any pass of source failed.
func (e *errorLog) committedBeforeFailing(source string, n int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.events {
		switch {
		case ev == committedEvent(source, n):
			return true
		case strings.HasPrefix(ev, source+": pass failed"):
			return false
		}
	}
	return false
}

// seen is what the reporter heard, in order.
func (e *errorLog) seen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.events)
}

func (e *errorLog) of(source string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.errs[source])
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers (the logs).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pgWorld serves a generated community from the four fakes and builds the
// sources that read it into st.
func pgWorld(t *testing.T, st *postgres.Store, log *slog.Logger) []Source {
	t.Helper()
	w, err := community.StartWorld(21, 60, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	cfg, err := config.Parse("restart.yaml", []byte(w.ConfigText("postgres://unused", time.Hour)), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := BuildSources(cfg, all.Kinds(), connectors.Options{Profiles: st, Logger: log, Version: "restart-test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return srcs
}

// createDB creates database name on the cluster and opens a store on it.
func createDB(t *testing.T, c *pgtest.Server, name string) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(c.URL())
	u.Path = "/" + name
	st, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// tableKeys lists the key of every row of table (identities by account),
// sorted; a row stored twice would show twice.
func tableKeys(t *testing.T, st *postgres.Store, table string) []string {
	t.Helper()
	var tb crm.CopyTable
	for _, ct := range crm.CopyTables {
		if ct.Name == table {
			tb = ct
		}
	}
	var out []string
	var after crm.Row
	for {
		rows, err := st.CopyRows(context.Background(), tb, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if table == "identities" {
				out = append(out, fmt.Sprint(r[2:5]...))
				continue
			}
			out = append(out, fmt.Sprint(r[:tb.Key]...))
		}
		if len(rows) < 5000 {
			break
		}
		after = rows[len(rows)-1][:tb.Key]
	}
	slices.Sort(out)
	return out
}

// TestPostgresRestartMidSyncLosesNothing runs the daemon (four sources
// against the fakes) on a private PostgreSQL cluster and takes the
// cluster away mid-sync (a crash; a clean shutdown with the sources under
// leases, as `rollcall run` runs them on PostgreSQL): every source has
// committed its first batch (one with a single batch has begun its pass),
// github's second batch is inside its transaction (held on a row lock of
// its cursor), the others' second batches are fetched while the server is
// away. The daemon must not stop; the sources fail and retry on the error
// backoff; /readyz says the store does not answer while the daemon stays
// alive and systemd's watchdog keeps being fed; once the cluster is back
// the sources finish from their committed cursors, and the store holds
// exactly the activities and identities of one clean sync of the same
// world into a fresh store: none lost, none twice.
func TestPostgresRestartMidSyncLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("PostgreSQL restart test skipped in -short mode")
	}
	t.Run("crash", func(t *testing.T) { testPostgresRestart(t, (*pgtest.Server).Crash, false, false) })
	t.Run("shutdown with leases", func(t *testing.T) { testPostgresRestart(t, (*pgtest.Server).Stop, true, true) })
}

// testPostgresRestart is TestPostgresRestartMidSyncLosesNothing: down
// takes the cluster away; with leases the sources run under leases of a
// short TTL, which run out while the server is away.
func testPostgresRestart(t *testing.T, down func(*pgtest.Server), leases, fastShutdown bool) {
	cluster := pgtest.Cluster(t)
	ctx := context.Background()

	// The reference: one clean sync of the world into a fresh store.
	ref := createDB(t, cluster, "ref")
	batches := map[string]int{}
	for _, sum := range New(Options{Store: ref, Sources: pgWorld(t, ref, nil)}).SyncOnce(ctx) {
		if sum.Err != nil {
			t.Fatalf("reference sync of %s: %v", sum.Source, sum.Err)
		}
		batches[sum.Source] = sum.Batches
	}
	if batches["github"] < 2 {
		t.Fatalf("reference sync of github: %d batches; the test needs 2 or more (a larger world)", batches["github"])
	}
	wantActs, wantIDs := tableKeys(t, ref, "activities"), tableKeys(t, ref, "identities")
	t.Logf("reference sync: batches %v, %d activities, %d identities", batches, len(wantActs), len(wantIDs))

	// The watchdog, fed from Alive over a notify socket.
	sockDir, err := os.MkdirTemp("", "wd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "n")
	nconn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nconn.Close() })
	var pings atomic.Int64
	go func() {
		buf := make([]byte, 1024)
		for {
			n, _, err := nconn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			if strings.Contains(string(buf[:n]), "WATCHDOG=1") {
				pings.Add(1)
			}
		}
	}()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000")

	// The daemon under test, on its own database.
	st := createDB(t, cluster, "live")
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	srcs := pgWorld(t, st, log)
	reached := make(chan string, len(srcs))
	gates := map[string]*gate{}
	for i, s := range srcs {
		// Held at the second batch; a source that has only one is held
		// at it (its pass has begun, nothing is committed).
		g := &gate{name: s.Name, at: int32(min(2, batches[s.Name])), inner: s.Connector, reached: reached, open: make(chan struct{})}
		gates[s.Name] = g
		srcs[i].Connector = g
	}
	const maxBackoff = 20 * time.Millisecond
	var sleepMu sync.Mutex
	var sleeps []time.Duration
	failed := &errorLog{errs: map[string][]string{}}
	opts := Options{Store: st, Sources: srcs, Logger: log, Reporter: failed, Tick: 10 * time.Millisecond, MaxBackoff: maxBackoff,
		Jitter: func(time.Duration) time.Duration { return 0 },
		Sleep: func(ctx context.Context, dur time.Duration) error {
			sleepMu.Lock()
			sleeps = append(sleeps, dur)
			sleepMu.Unlock()
			return sleep(ctx, dur)
		}}
	if leases {
		opts.Leases, opts.LeaseTTL = st, time.Second
	}
	d := New(opts)
	h := d.Handler(nil)
	rctx, cancel := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- d.Run(rctx) }()
	wdDone := make(chan error, 1)
	go func() { wdDone <- (systemd.Notifier{}).Watchdog(rctx, func() bool { return d.Alive(rctx) }) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-runDone
			<-wdDone
		}
	}
	t.Cleanup(func() {
		for _, g := range gates {
			select {
			case <-g.open:
			default:
				close(g.open)
			}
		}
		stop()
		if t.Failed() {
			t.Logf("daemon log:\n%s\nserver log:\n%s", logs.String(), cluster.Log())
		}
	})
	alive := func(what string) {
		t.Helper()
		select {
		case err := <-runDone:
			t.Fatalf("%s: the daemon stopped: %v", what, err)
		default:
		}
	}
	deadline := time.Now().Add(time.Minute)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting: %s", what)
			}
			alive(what)
			time.Sleep(5 * time.Millisecond)
		}
	}

	// Every source commits its first batch and waits at its second (a
	// single-batch source waits at its first).
	for range srcs {
		select {
		case <-reached:
		case <-time.After(time.Minute):
			t.Fatal("not every source reached its second batch")
		}
	}

	// Hold github's cursor row, so that its second batch stops inside its
	// transaction, after its rows and before its cursor.
	locker, err := pgx.Connect(ctx, strings.Replace(cluster.URL(), "/postgres?", "/live?", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locker.Close(context.Background()) })
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var held string
	if err := tx.QueryRow(ctx, `SELECT source FROM cursors WHERE source = 'github' FOR UPDATE`).Scan(&held); err != nil {
		t.Fatalf("lock github's cursor: %v", err)
	}
	close(gates["github"].open)
	// Only a session blocked by this transaction's lock counts: another
	// source's batch may wait on a lock of its own (the resolver's rows)
	// while github still fetches.
	// blocked names them for a failure's message (pg_blocking_pids is
	// live; pid, wait_event and query come from the statistics snapshot
	// this transaction took at its first read, so the query may be the
	// session's one before).
	var blocked []string
	waitFor("github's second batch waits on the cursor lock", func() bool {
		rows, err := tx.Query(ctx, `SELECT pid, coalesce(wait_event, ''), left(query, 120) FROM pg_stat_activity
			WHERE datname = 'live' AND pg_backend_pid() = ANY(pg_blocking_pids(pid))`)
		if err != nil {
			return false
		}
		defer rows.Close()
		for rows.Next() {
			var pid int
			var ev, q string
			if rows.Scan(&pid, &ev, &q) == nil {
				blocked = append(blocked, fmt.Sprintf("%d %s %q", pid, ev, q))
			}
		}
		return len(blocked) > 0
	})
	before := tableKeys(t, st, "activities") // outside the held transaction

	// The server goes away, mid-batch.
	down(cluster)
	crashed := time.Now()
	passes := map[string]int{}
	for _, s := range d.States() {
		passes[s.Name] = s.Passes
	}
	for _, g := range gates {
		select {
		case <-g.open:
		default:
			close(g.open)
		}
	}
	// Every source fails, and fails again after the error backoff.
	waitFor("every source fails twice while the server is away", func() bool {
		for _, s := range d.States() {
			if s.Passes < passes[s.Name]+2 || s.LastError == "" {
				return false
			}
		}
		return true
	})
	// github's batch in its transaction did not commit halfway. After a
	// crash its commit fails. A fast shutdown signals the server's
	// backends one after another: the lock's holder may stop first and
	// let the waiting batch commit whole before its own backend stops
	// (seen about once in 30 runs under -race), which loses nothing
	// either; the data are compared with a clean sync below.
	if errs := failed.of("github"); (len(errs) == 0 || !strings.Contains(errs[0], "commit batch")) &&
		(!fastShutdown || !failed.committedBeforeFailing("github", 2)) {
		t.Errorf("github's first failure = %q, want its batch's commit (sessions the cursor lock blocked: %q)\nthe reporter heard:\n%s", errs, blocked, strings.Join(failed.seen(), "\n"))
	}
	if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body, "store does not answer") {
		t.Errorf("/readyz with the server away = %d %q, want 503, the store does not answer", code, body)
	}
	// Away for longer than the watchdog would forgive a silent daemon:
	// it goes on being fed (five more pings, however long a loaded
	// machine takes to send them), and Alive stays true throughout.
	pingsAway := pings.Load()
	awayDeadline := time.Now().Add(30 * time.Second)
	for time.Since(crashed) < 1500*time.Millisecond || pings.Load()-pingsAway < 5 {
		if !d.Alive(ctx) {
			t.Fatal("the daemon is not alive while only PostgreSQL is away")
		}
		alive("server away")
		if time.Now().After(awayDeadline) {
			t.Fatalf("the watchdog was fed %d times in 30 s with PostgreSQL away; want it fed throughout", pings.Load()-pingsAway)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := get(t, h, "/readyz"); code != 503 {
		t.Errorf("/readyz with the server away = %d, want 503", code)
	}
	sleepMu.Lock()
	var backoffs int
	for _, s := range sleeps {
		if s == maxBackoff {
			backoffs++
		}
	}
	sleepMu.Unlock()
	if backoffs < 2*len(srcs) {
		t.Errorf("%d error backoffs of %v while the server was away; want every source to retry on its backoff", backoffs, maxBackoff)
	}

	// The server comes back on the same port and data directory.
	cluster.Start()
	back := time.Now()
	waitFor("every source completes a pass after the restart", func() bool {
		for _, s := range d.States() {
			if s.Running || s.LastError != "" || s.LastSuccess.Before(back) {
				return false
			}
		}
		return true
	})
	waitFor("/readyz turns ready", func() bool { code, _ := get(t, h, "/readyz"); return code == 200 })
	if leases {
		for _, s := range d.States() {
			if !s.LeaseHeld || s.LeaseHolder != d.opts.Holder {
				t.Errorf("source %s after the restart: lease held %v by %q, want this replica's again", s.Name, s.LeaseHeld, s.LeaseHolder)
			}
		}
		// The leases ran out with the server away; nobody else took them.
		if l := logs.String(); !strings.Contains(l, "ran out while the store did not answer") || strings.Contains(l, "another replica fetches the source now") {
			t.Errorf("the log does not say that the leases ran out while the store was away (and only that)")
		}
	}
	if !d.Alive(ctx) {
		t.Error("not alive after the restart")
	}
	alive("after the restart")
	stop()

	acts, ids := tableKeys(t, st, "activities"), tableKeys(t, st, "identities")
	if len(before) >= len(acts) {
		t.Errorf("the sync stored nothing after the restart (%d activities before the crash, %d after)", len(before), len(acts))
	}
	if diff := cmp.Diff(wantActs, acts); diff != "" {
		t.Errorf("activities differ from a clean sync (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("identities differ from a clean sync (-want +got):\n%s", diff)
	}
	if left, err := st.Unassigned(ctx, 5); err != nil || len(left) > 0 {
		t.Errorf("identities left without a member after the restart: %v (err %v)", left, err)
	}
	t.Logf("away with %d activities committed; after the restart %d activities, %d identities", len(before), len(acts), len(ids))
}
