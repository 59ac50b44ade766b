package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// replicaStore is what the replica tests read of a store.
type replicaStore interface {
	crm.CopySource
	Leases(ctx context.Context) ([]crm.Lease, error)
	Close() error
}

// openReplicaStore opens a SQLite file path or a postgres:// URL.
func openReplicaStore(ctx context.Context, spec string) (replicaStore, error) {
	if isPostgresURL(spec) {
		return postgres.Open(ctx, spec)
	}
	return sqlite.Open(ctx, spec)
}

// storeKeys returns the keys of every row of table t in the store at path
// (a SQLite file or a postgres:// URL).
func storeKeys(t *testing.T, path string, table string) []string {
	t.Helper()
	s, err := openReplicaStore(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tb crm.CopyTable
	for _, ct := range crm.CopyTables {
		if ct.Name == table {
			tb = ct
		}
	}
	var out []string
	var after crm.Row
	for {
		rows, err := s.CopyRows(t.Context(), tb, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if table == "identities" { // by account, not by id
				out = append(out, fmt.Sprint(r[2:5]...))
				continue
			}
			out = append(out, fmt.Sprint(r[:tb.Key]...))
		}
		if len(rows) < 5000 {
			return out
		}
		after = rows[len(rows)-1][:tb.Key]
	}
}

// TestReplicasShareSourcesThroughLeases runs three `rollcall run`
// processes on one store against a slow fake GitHub, kills the replica
// that holds the source's lease with SIGKILL mid-sync, and checks that a
// survivor takes the source over and that the store ends with exactly the
// activities and accounts of a single clean sync: none lost, none twice
// (every key once, the same set).
//
// It runs on a SQLite file and on a PostgreSQL database (the latter needs
// ROLLCALL_TEST_POSTGRES_URL: skipped without it, failed in CI).
func TestReplicasShareSourcesThroughLeases(t *testing.T) {
	for _, store := range []string{"SQLite", "PostgreSQL"} {
		t.Run(store, func(t *testing.T) {
			for _, stall := range []bool{false, true} {
				name := "SIGKILL"
				if stall {
					name = "SIGSTOP then SIGCONT"
				}
				t.Run(name, func(t *testing.T) {
					shared := filepath.Join(t.TempDir(), "shared.db")
					if store == "PostgreSQL" {
						shared = pgtest.URL(t)
					}
					testReplicas(t, shared, stall)
				})
			}
		})
	}
}

// testReplicas is TestReplicasShareSourcesThroughLeases; with stall, the
// holder is stopped (SIGSTOP) instead of killed, past its lease, then
// continued (SIGCONT): its batch in flight, fenced with the old token,
// must not commit. shared is the replicas' store: a SQLite file path or a
// postgres:// URL.
func testReplicas(t *testing.T, shared string, stall bool) {
	bin := binary(t)
	dir := t.TempDir()
	c := community.Generate(11, 100, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New()
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	base := fake.Start(t)
	config := func(name, db string) string {
		cfg := filepath.Join(dir, name+".yaml")
		body := fmt.Sprintf("store: '%s'\nlease_ttl: 2s\nsources:\n  - name: upstream\n    type: github\n    token: t0ken\n    base_url: %s\n    orgs: [%s]\n    interval: 1m\n", db, base, c.Org)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	// The reference: one clean sync into a fresh store.
	ref := filepath.Join(dir, "ref.db")
	if code, out, errOut := runMain(t, "--config", config("ref", ref), "sync", "--once", "--quiet"); code != exitOK {
		t.Fatalf("reference sync: exit %d\n%s\n%s", code, out, errOut)
	}
	wantActs, wantIDs := storeKeys(t, ref, "activities"), storeKeys(t, ref, "identities")
	if len(wantActs) < 500 {
		t.Fatalf("the reference sync stored only %d activities", len(wantActs))
	}
	requestsPerSync := fake.Count()

	// Three replicas on one store; every response slow, so that the kill
	// comes mid-sync.
	cfg := config("shared", shared)
	for range requestsPerSync {
		fake.SlowNext(100 * time.Millisecond) // 54 requests: 5 s a sync
	}
	startCount := fake.Count()
	type replica struct {
		cmd  *exec.Cmd
		logs *syncBuffer
		done chan error
	}
	var reps []*replica
	for range 3 {
		r := &replica{logs: &syncBuffer{}, done: make(chan error, 1)}
		r.cmd = exec.Command(bin, "--config", cfg, "--log-level", "info", "run", "--listen", "127.0.0.1:0")
		r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { r.done <- r.cmd.Wait() }()
		reps = append(reps, r)
	}
	t.Cleanup(func() {
		for _, r := range reps {
			r.cmd.Process.Kill()
		}
	})
	logs := func() string {
		var b strings.Builder
		for i, r := range reps {
			fmt.Fprintf(&b, "--- replica %d (pid %d)\n%s\n", i, r.cmd.Process.Pid, r.logs.String())
		}
		return b.String()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 60s\n%s", what, logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Mid-sync: a tenth of the requests made (the activities' pages come
	// first, and a store that writes fast has them all by a quarter).
	waitFor("the sync to start", func() bool { return fake.Count()-startCount >= max(2, requestsPerSync/10) })
	holderPid := func() int {
		s, err := openReplicaStore(t.Context(), shared)
		if err != nil {
			return 0
		}
		defer s.Close()
		ls, err := s.Leases(t.Context())
		if err != nil {
			return 0
		}
		for _, l := range ls {
			if l.Source == "upstream" && l.Held(time.Now()) {
				parts := strings.Split(l.Holder, ":")
				if len(parts) == 3 {
					pid, _ := strconv.Atoi(parts[1])
					return pid
				}
			}
		}
		return 0
	}
	var victim *replica
	waitFor("a replica to hold the lease", func() bool { return holderPid() != 0 })
	pid := holderPid()
	for _, r := range reps {
		if r.cmd.Process.Pid == pid {
			victim = r
		}
	}
	if victim == nil {
		t.Fatalf("the lease holder (pid %d) is none of the replicas\n%s", pid, logs())
	}
	if n := len(storeKeys(t, shared, "activities")); n >= len(wantActs) {
		t.Fatalf("the sync was over before the kill (%d activities)", n)
	}
	sig := syscall.SIGKILL
	if stall {
		sig = syscall.SIGSTOP
	}
	if err := victim.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if !stall {
		<-victim.done
	}

	if stall {
		// Stopped, the holder may be inside a write transaction: on SQLite
		// the others then cannot write at all (they log SQLITE_BUSY) until
		// it continues, and on PostgreSQL its batch's share lock on the
		// lease row (the fence) holds off a takeover, so nobody can take its
		// lease, and woken it goes on (its token still fences: nobody else
		// has the source). Stopped
		// outside one, another replica takes the lease over once it runs
		// out; woken, the old holder's batch in flight is refused by the
		// fence, and it stops fetching.
		time.Sleep(5 * time.Second) // more than twice the lease TTL
		if err := victim.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		waitFor("a replica to hold the lease after the stall", func() bool { return holderPid() != 0 })
		if p := holderPid(); p != pid {
			waitFor("the woken holder to see its lease lost", func() bool {
				return strings.Contains(victim.logs.String(), "source lease lost")
			})
		} else {
			t.Log("the holder was stopped inside a write: nobody could take its lease, and it went on")
		}
	} else {
		// A survivor takes the lease over.
		waitFor("a survivor to take the lease over", func() bool {
			p := holderPid()
			return p != 0 && p != pid
		})
	}
	waitFor("the sync to finish", func() bool { return len(storeKeys(t, shared, "activities")) >= len(wantActs) })
	// Let the survivors settle (renewals, the resolver): nothing more may
	// be added.
	time.Sleep(3 * time.Second)
	gotActs, gotIDs := storeKeys(t, shared, "activities"), storeKeys(t, shared, "identities")
	slices.Sort(wantActs)
	slices.Sort(gotActs)
	if !slices.Equal(gotActs, wantActs) {
		t.Errorf("activities: %d after the kill and takeover, %d in a clean sync; they differ", len(gotActs), len(wantActs))
	}
	slices.Sort(wantIDs)
	slices.Sort(gotIDs)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("accounts: %d after the kill and takeover, %d in a clean sync; they differ", len(gotIDs), len(wantIDs))
	}
	// doctor says which replica holds the source.
	_, out, _ := runMain(t, "doctor", "--store", shared)
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "lease upstream") {
			line = l
		}
	}
	if !strings.Contains(line, "held by ") || (!stall && strings.Contains(line, fmt.Sprintf(":%d:", pid))) {
		t.Errorf("doctor does not show the holder of the source:\n%s", out)
	}
	for _, r := range reps {
		if r != victim || stall {
			r.cmd.Process.Signal(syscall.SIGTERM)
			if err := <-r.done; err != nil {
				t.Errorf("replica exit: %v", err)
			}
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log(logs())
	}
}

// sync --once next to a running replica leaves the replica's source alone
// and says who fetches it; once the lease is free it syncs.
func TestSyncOnceLeavesHeldSources(t *testing.T) {
	dir := t.TempDir()
	c := community.Generate(3, 20, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New()
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	base := fake.Start(t)
	db := filepath.Join(dir, "rollcall.db")
	cfg := filepath.Join(dir, "rollcall.yaml")
	body := fmt.Sprintf("store: %s\nsources:\n  - name: upstream\n    type: github\n    token: t0ken\n    base_url: %s\n    orgs: [%s]\n", db, base, c.Org)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	l, ok, err := s.AcquireLease(t.Context(), "upstream", "other-host:77:9f8e7d6c", time.Hour)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	code, out, errOut := runMain(t, "--config", cfg, "sync", "--once", "--quiet")
	if code == exitOK || !strings.Contains(out+errOut, "another replica (other-host:77:9f8e7d6c) fetches this source") {
		t.Fatalf("sync --once of a held source: exit %d\n%s\n%s", code, out, errOut)
	}
	if fake.Count() != 0 {
		t.Errorf("sync --once fetched a held source (%d requests)", fake.Count())
	}
	if err := s.ReleaseLease(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if code, out, errOut := runMain(t, "--config", cfg, "sync", "--once", "--quiet"); code != exitOK {
		t.Fatalf("sync --once of a free source: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := len(storeKeys(t, db, "activities")); n == 0 {
		t.Error("sync --once of a free source stored nothing")
	}
}
