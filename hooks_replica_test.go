package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/daemon"
)

// TestReplicasDeliverEachWebhookOnce runs two `rollcall run` processes on
// one store with a webhook: one of them (the @webhook lease's holder)
// delivers the outbox, every event once; killed with SIGKILL, it is
// replaced by the other, which delivers the events queued since, and
// /readyz?format=json says it holds the lease.
func TestReplicasDeliverEachWebhookOnce(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	ids := enqueueEvents(t, db, 30)

	c := community.Generate(9, 30, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New()
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	base := fake.Start(t)
	rcv := &hookReceiver{seen: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond) // a receiver takes a moment
		rcv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := filepath.Join(dir, "rollcall.yaml")
	conf := fmt.Sprintf(`store: %s
lease_ttl: 2s
sources:
  - name: github-a
    type: github
    token: t
    base_url: %s
    orgs: [%s]
    interval: 1m
webhook:
  url: %s/hook
  secret: ${HOOK_SECRET}
  timeout: 1s
  poll_interval: 100ms
`, db, base, c.Org, srv.URL)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	type replica struct {
		cmd    *exec.Cmd
		logs   *syncBuffer
		listen string
	}
	var reps []*replica
	for range 2 {
		r := &replica{logs: &syncBuffer{}, listen: freeAddr(t)}
		r.cmd = exec.Command(bin, "--config", cfg, "--log-level", "info", "run", "--quiet", "--listen", r.listen)
		r.cmd.Env = append(os.Environ(), "HOOK_SECRET="+hookSecret)
		r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
		reps = append(reps, r)
	}
	logs := func() string {
		var b strings.Builder
		for i, r := range reps {
			fmt.Fprintf(&b, "--- replica %d (pid %d)\n%s\n", i, r.cmd.Process.Pid, r.logs.String())
		}
		return b.String()
	}
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	delivered := func() int {
		ds, err := st.Deliveries(t.Context(), crm.DeliveryFilter{Delivered: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
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
	holderPid := func() int {
		ls, err := st.Leases(t.Context())
		if err != nil {
			return 0
		}
		for _, l := range ls {
			if l.Source == daemon.WebhookLease && l.Held(time.Now()) {
				if parts := strings.Split(l.Holder, ":"); len(parts) == 3 {
					pid, _ := strconv.Atoi(parts[1])
					return pid
				}
			}
		}
		return 0
	}
	checkOnce := func() {
		t.Helper()
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		if rcv.wrong != 0 {
			t.Errorf("%d requests failed the signature or id check", rcv.wrong)
		}
		for id, n := range rcv.seen {
			if n != 1 {
				t.Errorf("delivery %s received %d times, want once\n%s", id, n, logs())
			}
		}
	}

	waitFor("the first 30 events delivered", func() bool { return delivered() >= len(ids) })
	checkOnce()
	pid := holderPid()
	var victim, survivor *replica
	for _, r := range reps {
		if r.cmd.Process.Pid == pid {
			victim = r
		} else {
			survivor = r
		}
	}
	if victim == nil {
		t.Fatalf("the webhook lease holder (pid %d) is none of the replicas\n%s", pid, logs())
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	more := make([]int64, 0, 30)
	for i := range 30 {
		id, err := st.EnqueueEvent(t.Context(), crm.Event{Type: crm.EventLevelChanged, Member: crm.EventMember{ID: int64(100 + i)}, Level: 2, LevelName: "contributor"})
		if err != nil {
			t.Fatal(err)
		}
		more = append(more, id)
	}
	waitFor("the survivor delivers the next 30", func() bool { return delivered() >= len(ids)+len(more) })
	checkOnce()
	rcv.mu.Lock()
	for _, id := range append(ids, more...) {
		if rcv.seen[strconv.FormatInt(id, 10)] != 1 {
			t.Errorf("event %d received %d times", id, rcv.seen[strconv.FormatInt(id, 10)])
		}
	}
	rcv.mu.Unlock()
	if p := holderPid(); p != survivor.cmd.Process.Pid {
		t.Errorf("the webhook lease is pid %d's, want the survivor's (%d)", p, survivor.cmd.Process.Pid)
	}
	resp, err := http.Get("http://" + survivor.listen + "/readyz?format=json")
	if err != nil {
		t.Fatal(err)
	}
	var rd daemon.Readiness
	err = json.NewDecoder(resp.Body).Decode(&rd)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	held := false
	for _, j := range rd.Jobs {
		if j.Source == daemon.WebhookLease && j.HeldHere && j.Holder == rd.Replica {
			held = true
		}
	}
	if !held {
		t.Errorf("the survivor's /readyz?format=json = %+v; want @webhook held here", rd)
	}
	if err := survivor.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := survivor.cmd.Wait(); err != nil {
		t.Errorf("survivor exit after SIGINT: %v\n%s", err, logs())
	}
}
