package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/crm/sqlite/storefault"
)

// TestChaos runs the real daemon against the four fakes while they
// misbehave at random (server errors, connection resets, truncated and
// malformed bodies, answers slower than the client's timeout, spent
// budgets, GitHub's secondary limits with Retry-After, Stack Exchange's
// backoff, Discourse's wait_seconds), and kills it with SIGKILL at random
// moments, restarting it each time, at least 30 times. Then the faults stop,
// one clean `sync --once` runs on the same store, and the store must hold
// exactly what a clean sync into a fresh store holds (the same activities,
// none twice, the same accounts and members), and no fake may have seen a
// request sent while it had said to wait, or a client waiting on a slow
// answer past its timeout.
//
// The seed is logged; ROLLCALL_CHAOS_SEED replays a run and
// ROLLCALL_CHAOS_KILLS asks for more kills (a longer run).
func TestChaos(t *testing.T) {
	bin := binary(t)
	seed := time.Now().UnixNano()
	if v := os.Getenv("ROLLCALL_CHAOS_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("ROLLCALL_CHAOS_SEED=%q: %v", v, err)
		}
		seed = n
	}
	kills := 30
	if v := os.Getenv("ROLLCALL_CHAOS_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ROLLCALL_CHAOS_KILLS=%q: want a positive number", v)
		}
		kills = n
	}
	replay := fmt.Sprintf("replay with ROLLCALL_CHAOS_SEED=%d ROLLCALL_CHAOS_KILLS=%d go test -run 'TestChaos$' .", seed, kills)
	t.Logf("chaos seed %d, %d kills (%s)", seed, kills, replay)
	fmt.Fprintf(os.Stderr, "TestChaos: seed %d, %d kills\n", seed, kills)

	const timeout = time.Second // http_timeout of the daemon under chaos
	now := time.Now().UTC().Truncate(time.Hour)
	// A wait told less than killGrace before a kill may not have reached
	// the store: the daemon records it before its next request, but the
	// store's one writer may be busy with another source's batch. Waits
	// last up to 4 s, so that a restart well after the grace still falls
	// inside many of them.
	const killGrace = 500 * time.Millisecond
	w, err := community.StartWorldWith(seed, 40, now, community.WorldOptions{Chaos: true, ChaosSeed: seed, ChaosRate: 0.2,
		ClientTimeout: timeout, MaxWait: 4, KillGrace: killGrace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	dir := t.TempDir()
	config := func(name, store string) string {
		// A killed daemon's source leases run out after lease_ttl.
		body := w.ConfigText(store, time.Minute) + fmt.Sprintf("http_timeout: %s\nlease_ttl: 1s\n", timeout)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	db := filepath.Join(dir, "chaos.db")
	cfg := config("chaos.yaml", db)

	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	var last *syncBuffer
	start := time.Now()
	for i := range kills {
		logs := &syncBuffer{}
		cmd := exec.Command(bin, "--config", cfg, "--log-level", "warn", "run", "--quiet", "--listen", "127.0.0.1:0")
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// A restarted daemon waits out its predecessor's source leases
		// (lease_ttl) before it fetches; a life is long enough to go on
		// from there, and random so that kills land anywhere.
		life := 800*time.Millisecond + time.Duration(rng.Int64N(int64(2*time.Second)))
		time.Sleep(life)
		_ = cmd.Process.Kill()
		err := cmd.Wait()
		w.Killed(time.Now())
		if cmd.ProcessState.Exited() {
			// It ended by itself before the kill: that is a failure.
			t.Fatalf("run %d exited on its own (%v) before the kill after %v:\n%s\n%s", i, err, life, logs.String(), replay)
		}
		last = logs
	}
	for _, l := range w.ChaosSummary() {
		t.Logf("faults played: %s", l)
	}

	t.Logf("%d kills in %v", kills, time.Since(start).Round(time.Millisecond))

	// The faults stop; one clean pass finishes what the killed runs left,
	// once the last killed run's leases have run out (sync --once waits
	// for no lease).
	w.SetChaos(false)
	time.Sleep(1500 * time.Millisecond)
	start = time.Now()
	if out, err := exec.Command(bin, "--config", cfg, "--log-level", "warn", "sync", "--once", "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("final sync: %v\n%s\nlast killed run's log:\n%s\n%s", err, out, last.String(), replay)
	}
	t.Logf("final sync: %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	ref := filepath.Join(dir, "ref.db")
	if out, err := exec.Command(bin, "--config", config("ref.yaml", ref), "--log-level", "warn", "sync", "--once", "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("reference sync into a fresh store: %v\n%s", err, out)
	}

	t.Logf("reference sync: %v", time.Since(start).Round(time.Millisecond))
	got, want := storeContents(t, db), storeContents(t, ref)
	if len(want.activities) < 100 {
		t.Fatalf("the reference sync stored %d activities; the test needs more", len(want.activities))
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"activities", got.activities, want.activities},
		{"accounts", got.accounts, want.accounts},
		{"members", got.members, want.members},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s differ from a clean sync's (-clean +chaos):\n%s\n%s", c.what, diff, replay)
		}
	}
	t.Logf("store after %d kills: %d activities, %d accounts, %d members, as a clean sync", kills, len(got.activities), len(got.accounts), len(got.members))
	for _, v := range w.Violations() {
		t.Errorf("limit not honoured: %s", v)
	}
	if len(w.Violations()) > 0 {
		t.Log(replay)
	}
	for _, e := range w.Excused() {
		t.Logf("excused (the wait was told less than %v before a kill): %s", killGrace, e)
	}
}

// contents is what a store holds, each row as one comparable line.
type contents struct {
	activities, accounts, members []string
}

// storeContents reads every activity (with its account), every account
// (without the times it was seen or read) and every member (as its
// accounts), sorted. A key stored twice would show twice.
func storeContents(t *testing.T, path string) contents {
	t.Helper()
	var c contents
	ls := storefault.Lines(t, path,
		`SELECT a.key || ' ' || a.type || ' ' || a.occurred_at || ' ' || i.platform || '/' || i.external_id || ' ' || a.url || ' ' || a.title || ' ' || a.channel || ' ' || a.parent_key
		FROM activities a JOIN identities i ON i.id = a.identity_id`,
		`SELECT platform || '/' || instance || '/' || external_id || ' ' || username || ' ' || name || ' ' || url || ' ' || emails || ' ' || links || ' ' || bot FROM identities`,
		`SELECT COALESCE(member_id, 0) || ' ' || platform || '/' || instance || '/' || external_id FROM identities`)
	c.activities, c.accounts = ls[0], ls[1]
	members := ls[2]
	byMember := map[string][]string{}
	for _, m := range members {
		id, ref, _ := strings.Cut(m, " ")
		if id == "0" {
			t.Errorf("%s: account %s belongs to no member", path, ref)
		}
		byMember[id] = append(byMember[id], ref)
	}
	for _, refs := range byMember {
		sort.Strings(refs)
		c.members = append(c.members, strings.Join(refs, " + "))
	}
	sort.Strings(c.members)
	return c
}
