package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/github"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/crm/sqlite/storefault"
)

// TestStoreFaultHelper is the lock holder of storefault.HoldLock when the
// test binary runs as one; otherwise it does nothing.
func TestStoreFaultHelper(t *testing.T) { storefault.HelperProcess() }

// TestDaemonRecoversFromStoreFaults runs the daemon on a store that fails
// under it, after a first sync committed some batches: a full disk and a
// write lock held by another process. The source's error names the file
// and what to do; once the fault is cleared the daemon goes on by itself,
// with no restart, and ends with exactly what an undisturbed sync stores
// (so nothing committed before the fault was lost, and nothing is twice).
func TestDaemonRecoversFromStoreFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("store fault test skipped in -short mode")
	}
	ref := filepath.Join(t.TempDir(), "ref.db")
	if sum := newWorld(t).sync(t, ref, -1); sum.Err != nil {
		t.Fatal(sum.Err)
	}
	wantActs, wantIDs, _ := storeKeys(t, ref)
	for _, tt := range []struct {
		name  string
		dir   func(t *testing.T) string
		fault func(t *testing.T, dir, path string) (clear func())
		want  string
	}{
		{"full disk",
			func(t *testing.T) string { return storefault.Tmpfs(t, 64<<20) },
			func(t *testing.T, dir, _ string) func() { return storefault.Fill(t, dir) },
			"is full: free space on it"},
		{"locked by another process",
			func(t *testing.T) string { return t.TempDir() },
			func(t *testing.T, _, path string) func() { return storefault.HoldLock(t, path, "TestStoreFaultHelper") },
			"is locked by another process"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			dir := tt.dir(t)
			path := filepath.Join(dir, "rollcall.db")
			// Two batches are committed before the fault.
			if s := w.sync(t, path, 2); s.Batches != 2 {
				t.Fatalf("first sync: %d batches, err %v", s.Batches, s.Err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			st, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			logs := &lockedBuffer{}
			log := slog.New(slog.NewTextHandler(logs, nil))
			srcs, err := BuildSources(w.cfg, []connectors.Kind{github.Kind}, connectors.Options{HTTP: w.srv.Transport(), Profiles: st, Logger: log}, nil)
			if err != nil {
				t.Fatal(err)
			}
			srcs[0].Interval = 50 * time.Millisecond
			d := New(Options{Store: st, Sources: srcs, Logger: log, MaxBackoff: 100 * time.Millisecond,
				Jitter: func(time.Duration) time.Duration { return 0 }, CommitTimeout: 30 * time.Second})
			clear := tt.fault(t, dir, path)
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()

			waitForStore(t, 60*time.Second, "the source to report the fault", func() bool {
				return strings.Contains(d.States()[0].LastError, tt.want)
			}, logs)
			if msg := d.States()[0].LastError; !strings.Contains(msg, path) {
				t.Errorf("error %q does not name %s", msg, path)
			}
			t.Logf("%s: %s", tt.name, d.States()[0].LastError)
			clear()
			waitForStore(t, 120*time.Second, "the daemon to finish the sync by itself", func() bool {
				acts, ids, unassigned := storeKeys(t, path)
				return d.States()[0].LastError == "" && unassigned == 0 && slices.Equal(acts, wantActs) && slices.Equal(ids, wantIDs)
			}, logs)
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// waitForStore polls cond until it holds or the time is up.
func waitForStore(t *testing.T, limit time.Duration, what string, cond func() bool, logs *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; daemon log:\n%s", limit, what, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// storeKeys lists every activity key and every identity key of the store
// at path, sorted, and counts the identities that wait for the resolver,
// reading the file without writing to it (so that polling it competes with
// no writer).
func storeKeys(t *testing.T, path string) (acts, ids []string, unassigned int) {
	t.Helper()
	ls := storefault.Lines(t, path,
		`SELECT key FROM activities`,
		`SELECT platform || '/' || instance || '/' || external_id FROM identities`,
		`SELECT CAST(COUNT(*) AS TEXT) FROM identities WHERE member_id IS NULL`)
	acts, ids = ls[0], ls[1]
	unassigned, err := strconv.Atoi(ls[2][0])
	if err != nil {
		t.Fatal(err)
	}
	return acts, ids, unassigned
}

// TestResolverLeaseOfADeadLocalProcessIsTakenOver: a daemon (or a `sync
// --once`) started after a replica of this host was killed while it
// resolved takes over the resolver lease it left and resolves at once; the
// lease of a live process is waited out (and the resolver skipped).
func TestResolverLeaseOfADeadLocalProcessIsTakenOver(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname")
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	ctx := t.Context()
	for _, tc := range []struct {
		holder  string
		resolve bool
	}{
		{fmt.Sprintf("%s:%d:0badf00d", host, gone.Process.Pid), true},
		{fmt.Sprintf("%s:%d:0badf00d", host, os.Getppid()), false},
	} {
		st := openStore(t)
		if _, ok, err := st.AcquireLease(ctx, crm.ResolverLease, tc.holder, time.Hour); err != nil || !ok {
			t.Fatal(ok, err)
		}
		d := New(Options{Store: st, Leases: st, LeaseTTL: time.Second})
		ran := false
		if err := d.holdResolver(ctx, func() error { ran = true; return nil }); err != nil {
			t.Fatal(err)
		}
		if ran != tc.resolve {
			t.Errorf("resolver lease of %s: resolved %v, want %v", tc.holder, ran, tc.resolve)
		}
	}
}
