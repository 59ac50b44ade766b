package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/daemon/webhook"
)

const hookSecret = "hook-secret-0123456789abcdef"

// enqueueEvents writes n events to a new store at path and returns their ids.
func enqueueEvents(t *testing.T, path string, n int) []int64 {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []int64
	for i := range n {
		id, err := st.EnqueueEvent(t.Context(), crm.Event{Type: crm.EventChampionEntered, Member: crm.EventMember{ID: int64(i + 1), Name: fmt.Sprintf("Member %d", i+1)}, Level: 1, LevelName: "core", Rank: i + 1})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestWebhooksCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rollcall.db")
	ids := enqueueEvents(t, db, 3)
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.DeliveryDone(t.Context(), ids[0], now); err != nil {
		t.Fatal(err)
	}
	if err := st.DeliveryFailed(t.Context(), ids[2], now, time.Time{}, true, "status 500"); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := runMain(t, "--store", db, "webhooks")
	if code != exitOK {
		t.Fatalf("webhooks: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(out, "failed") || !strings.Contains(out, "status 500") || strings.Contains(out, "delivered") {
		t.Errorf("webhooks (pending and failed):\n%s", out)
	}

	code, out, errOut = runMain(t, "--store", db, "webhooks", "--status", "all", "--format", "json")
	if code != exitOK {
		t.Fatalf("webhooks --status all: exit %d: %s", code, errOut)
	}
	var ds []map[string]any
	if err := json.Unmarshal([]byte(out), &ds); err != nil || len(ds) != 3 {
		t.Fatalf("webhooks --format json: %v\n%s", err, out)
	}
	checkKeysAny(t, ds[0], "id", "event", "member_id", "created_at", "attempts", "failed", "last_error")

	code, out, errOut = runMain(t, "--store", db, "webhooks", "retry", strconv.FormatInt(ids[2], 10))
	if code != exitOK || !strings.Contains(out, "pending again") {
		t.Fatalf("webhooks retry: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runMain(t, "--store", db, "webhooks", "--status", "failed"); code != exitOK || !strings.Contains(out, "no webhook deliveries") {
		t.Errorf("failed after retry: exit %d\n%s", code, out)
	}
	if code, _, errOut := runMain(t, "--store", db, "webhooks", "retry", strconv.FormatInt(ids[0], 10)); code != exitFail || !strings.Contains(errOut, "no failed delivery") {
		t.Errorf("retry of a delivered one: exit %d: %s", code, errOut)
	}
}

func checkKeysAny(t *testing.T, obj map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			t.Errorf("JSON object lacks %q: %v", k, obj)
		}
	}
}

// hookReceiver counts verified deliveries by X-Rollcall-Delivery.
type hookReceiver struct {
	mu    sync.Mutex
	seen  map[string]int
	wrong int // requests that failed Verify
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := webhook.Verify([]byte(hookSecret), r.Header, body, time.Now(), 5*time.Minute)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.wrong++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev crm.Event
	if json.Unmarshal(body, &ev) != nil || strconv.FormatInt(ev.ID, 10) != r.Header.Get(webhook.HeaderDelivery) {
		h.wrong++
		http.Error(w, "body id differs from the header", http.StatusBadRequest)
		return
	}
	h.seen[r.Header.Get(webhook.HeaderDelivery)]++
}

// eventually polls cond (a process outside the test) until it holds.
func eventually(t *testing.T, what string, logs *syncBuffer, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, logs.String())
		}
	}
}

// TestWebhookDeliveredAcrossRestart: events in the outbox are attempted
// while the receiver is down, the daemon is killed (SIGKILL), the receiver
// comes up, and the restarted daemon delivers every event exactly once,
// signed.
func TestWebhookDeliveredAcrossRestart(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	ids := enqueueEvents(t, db, 3)

	c := community.Generate(9, 30, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New()
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	base := fake.Start(t)
	hookAddr := freeAddr(t) // nothing listens there yet
	cfg := filepath.Join(dir, "rollcall.yaml")
	conf := fmt.Sprintf(`store: %s
listen: %s
sources:
  - name: github-a
    type: github
    token: t
    base_url: %s
    orgs: [%s]
    interval: 1m
webhook:
  url: http://%s/hook
  secret: ${HOOK_SECRET}
  timeout: 1s
  poll_interval: 100ms
  retry_min: 200ms
  retry_max: 400ms
`, db, freeAddr(t), base, c.Org, hookAddr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(logs *syncBuffer) *exec.Cmd {
		cmd := exec.Command(bin, "--config", cfg, "run", "--quiet")
		cmd.Env = append(os.Environ(), "HOOK_SECRET="+hookSecret)
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	list := func(f crm.DeliveryFilter) []crm.Delivery {
		ds, err := st.Deliveries(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}

	// 1. The receiver is down: every event is attempted and kept.
	logs1 := &syncBuffer{}
	cmd := start(logs1)
	eventually(t, "an attempt at every event", logs1, func() bool {
		ds := list(crm.DeliveryFilter{Pending: true})
		for _, d := range ds {
			if d.Attempts == 0 {
				return false
			}
		}
		return len(ds) == len(ids)
	})
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, d := range list(crm.DeliveryFilter{Pending: true}) {
		if !strings.Contains(d.LastError, "connection refused") {
			t.Errorf("delivery %d: last error %q, want connection refused", d.ID, d.LastError)
		}
	}
	if strings.Contains(logs1.String(), hookSecret) {
		t.Errorf("logs leak the webhook secret:\n%s", logs1)
	}

	// 2. The receiver comes up; the restarted daemon delivers.
	ln, err := net.Listen("tcp", hookAddr)
	if err != nil {
		t.Fatal(err)
	}
	rcv := &hookReceiver{seen: map[string]int{}}
	srv := httptest.NewUnstartedServer(rcv)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	logs2 := &syncBuffer{}
	cmd = start(logs2)
	eventually(t, "every event delivered", logs2, func() bool {
		return len(list(crm.DeliveryFilter{Delivered: true})) == len(ids)
	})
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("daemon exit after SIGINT: %v\nlogs:\n%s", err, logs2)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.wrong != 0 {
		t.Errorf("%d requests failed the signature or id check", rcv.wrong)
	}
	for _, id := range ids {
		if n := rcv.seen[strconv.FormatInt(id, 10)]; n != 1 {
			t.Errorf("delivery %d received %d times, want once", id, n)
		}
	}
	if len(rcv.seen) != len(ids) {
		t.Errorf("received deliveries %v, want ids %v", rcv.seen, ids)
	}
}
