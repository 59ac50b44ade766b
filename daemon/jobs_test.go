package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/daemon/webhook"
	"github.com/rollcall-dev/rollcall/identity"
)

// faultyLeases is a replica's view of the lease table that the test can
// break: with down set the store does not answer this replica's lease
// calls (a replica cut off, or stalled, past its lease); with noRelease a
// stopping replica releases nothing (as if killed).
type faultyLeases struct {
	Leaser
	down, noRelease atomic.Bool
}

var errDown = errors.New("the store does not answer")

func (f *faultyLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (crm.Lease, bool, error) {
	if f.down.Load() {
		return crm.Lease{}, false, errDown
	}
	return f.Leaser.AcquireLease(ctx, name, holder, ttl)
}

func (f *faultyLeases) RenewLease(ctx context.Context, l crm.Lease, ttl time.Duration) (crm.Lease, error) {
	if f.down.Load() {
		return l, errDown
	}
	return f.Leaser.RenewLease(ctx, l, ttl)
}

func (f *faultyLeases) ReleaseLease(ctx context.Context, l crm.Lease) error {
	if f.noRelease.Load() {
		return nil
	}
	return f.Leaser.ReleaseLease(ctx, l)
}

// hookReceiver is a webhook receiver that counts deliveries per event id
// and remembers which replica (the User-Agent) sent each, and when.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	count map[int64]int
	sends []hookSend
}

type hookSend struct {
	id      int64
	replica string
	at      time.Time
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{count: map[int64]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.Header.Get(webhook.HeaderDelivery), 10, 64)
		if err != nil {
			t.Errorf("delivery without an id: %v", err)
		}
		time.Sleep(2 * time.Millisecond) // a receiver takes a moment
		rc.mu.Lock()
		rc.count[id]++
		rc.sends = append(rc.sends, hookSend{id: id, replica: r.UserAgent(), at: time.Now()})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

// delivered returns how many distinct events arrived, and the ids that
// arrived more than once.
func (rc *hookReceiver) delivered() (int, []int64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var twice []int64
	for id, n := range rc.count {
		if n > 1 {
			twice = append(twice, id)
		}
	}
	return len(rc.count), twice
}

// by returns the sends of one replica.
func (rc *hookReceiver) by(replica string) []hookSend {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []hookSend
	for _, s := range rc.sends {
		if s.replica == "rollcall/"+replica {
			out = append(out, s)
		}
	}
	return out
}

// senderReplica is one replica of the daemon running only the webhook
// sender, on its own handle of the shared SQLite file.
type senderReplica struct {
	name   string
	st     *sqlite.Store
	leases *faultyLeases
	d      *Daemon
	cancel context.CancelFunc
	done   chan struct{}
}

func startSender(t *testing.T, path, name, url string, ttl time.Duration) *senderReplica {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &senderReplica{name: name, st: st, leases: &faultyLeases{Leaser: st}, done: make(chan struct{})}
	log := slog.New(slog.DiscardHandler)
	r.d = New(Options{Store: st, Leases: r.leases, Holder: name, LeaseTTL: ttl, Logger: log})
	s, err := webhook.New(webhook.Options{URL: url, Secret: []byte("s3cret"), Outbox: st, Poll: 10 * time.Millisecond,
		RetryMin: time.Second, Version: name, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.d.RunExclusive(ctx, WebhookLease, func(ctx context.Context, stop <-chan struct{}) { s.RunUntil(ctx, stop) })
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// enqueueN writes n events to the outbox.
func enqueueN(t *testing.T, st *sqlite.Store, n int) {
	t.Helper()
	for i := range n {
		if _, err := st.EnqueueEvent(context.Background(), crm.Event{Type: crm.EventLevelChanged, Member: crm.EventMember{ID: int64(i + 1)}, Level: 2}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// holderOf returns the replica holding the webhook lease in the store.
func holderOf(t *testing.T, st *sqlite.Store) string {
	t.Helper()
	ls, err := st.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Source == WebhookLease && l.Held(time.Now()) {
			return l.Holder
		}
	}
	return ""
}

// TestWebhookDeliveredOnceAcrossReplicas runs the webhook sender in two
// daemons sharing one SQLite file, against a receiver counting deliveries
// per event id: one replica at a time delivers (every event exactly once);
// when the holder is killed (it stops without releasing its lease) the
// other takes over within two lease TTLs and delivers the rest; when the
// holder is cut off from the store past its lease (stalled), it stops
// sending before its lease runs out, and a third replica takes over with
// no event sent twice.
func TestWebhookDeliveredOnceAcrossReplicas(t *testing.T) {
	const ttl = time.Second
	path := filepath.Join(t.TempDir(), "rollcall.db")
	rc := newHookReceiver(t)
	a := startSender(t, path, "a", rc.URL, ttl)
	b := startSender(t, path, "b", rc.URL, ttl)
	enqueueN(t, a.st, 40)
	waitFor(t, "the first 40 events delivered", 10*time.Second, func() bool { n, _ := rc.delivered(); return n == 40 })
	if _, twice := rc.delivered(); len(twice) > 0 {
		t.Fatalf("events delivered twice: %v", twice)
	}
	holder, other := a, b
	if len(rc.by("a")) == 0 {
		holder, other = b, a
	}
	if n, m := len(rc.by(holder.name)), len(rc.by(other.name)); n != 40 || m != 0 {
		t.Errorf("%s sent %d, %s sent %d; want one replica to send all 40", holder.name, n, other.name, m)
	}
	if h := holderOf(t, a.st); h != holder.name {
		t.Errorf("the webhook lease is %q's, want %q's", h, holder.name)
	}
	if js := other.d.Jobs(); len(js) != 1 || js[0].Held || js[0].Holder != holder.name {
		t.Errorf("%s sees the jobs %+v; want %s holding %s", other.name, js, holder.name, WebhookLease)
	}

	// Kill the holder: it stops and leaves its lease to run out.
	holder.leases.noRelease.Store(true)
	killed := time.Now()
	holder.cancel()
	<-holder.done
	enqueueN(t, other.st, 40)
	waitFor(t, "the next 40 events delivered by the survivor", 10*time.Second, func() bool { n, _ := rc.delivered(); return n == 80 })
	if _, twice := rc.delivered(); len(twice) > 0 {
		t.Fatalf("events delivered twice after the takeover: %v", twice)
	}
	sends := rc.by(other.name)
	if len(sends) != 40 || len(rc.by(holder.name)) != 40 {
		t.Fatalf("%s sent %d, %s %d; want 40 each", other.name, len(sends), holder.name, len(rc.by(holder.name)))
	}
	if took := sends[0].at.Sub(killed); took > 2*ttl {
		t.Errorf("the survivor took over after %s, want within two lease TTLs (%s)", took, 2*ttl)
	}

	// A third replica waits; the survivor is cut off from the store (its
	// renewals fail) while it has events to send.
	c := startSender(t, path, "c", rc.URL, ttl)
	waitFor(t, "the third replica tried the lease", 5*time.Second, func() bool { return len(c.d.Jobs()) == 1 })
	other.leases.down.Store(true)
	cut := time.Now()
	enqueueN(t, c.st, 200)
	waitFor(t, "all 280 events delivered", 20*time.Second, func() bool { n, _ := rc.delivered(); return n == 280 })
	if _, twice := rc.delivered(); len(twice) > 0 {
		t.Fatalf("events delivered twice while the holder was cut off: %v", twice)
	}
	last := rc.by(other.name)
	byC := rc.by("c")
	if len(byC) == 0 {
		t.Fatal("the third replica delivered nothing")
	}
	if l := last[len(last)-1].at; !l.Before(byC[0].at) {
		t.Errorf("the cut-off replica sent until %s, after the third began at %s", l, byC[0].at)
	}
	if l := last[len(last)-1].at; l.After(cut.Add(ttl)) {
		t.Errorf("the cut-off replica sent %s after it was cut off, past its lease (%s)", l.Sub(cut), ttl)
	}
	if took := byC[0].at.Sub(cut); took > 2*ttl {
		t.Errorf("the third replica took over after %s, want within two lease TTLs (%s)", took, 2*ttl)
	}
	t.Logf("sent: %s %d, %s %d, c %d", holder.name, len(rc.by(holder.name)), other.name, len(last), len(byC))
}

// TestWebhookStopFinishesTheAttemptInFlight: a replica stopping (its
// context cancelled) while the receiver is answering one of its POSTs
// waits for the answer and records it before it releases the lease, so
// the replica that takes over does not send that event again.
func TestWebhookStopFinishesTheAttemptInFlight(t *testing.T) {
	const ttl = time.Second
	path := filepath.Join(t.TempDir(), "rollcall.db")
	var mu sync.Mutex
	count := map[string]int{}
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var slow atomic.Bool
	slow.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}
		mu.Lock()
		count[r.Header.Get(webhook.HeaderDelivery)]++
		mu.Unlock()
	}))
	defer srv.Close()
	a := startSender(t, path, "a", srv.URL, ttl)
	enqueueN(t, a.st, 1)
	<-entered // a's POST is at the receiver
	b := startSender(t, path, "b", srv.URL, ttl)
	a.cancel()
	time.Sleep(50 * time.Millisecond) // a is stopping, its POST unanswered
	slow.Store(false)
	close(release)
	<-a.done
	enqueueN(t, b.st, 1)
	waitFor(t, "both events delivered", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(count) == 2 })
	time.Sleep(200 * time.Millisecond) // b has polled again since
	mu.Lock()
	defer mu.Unlock()
	for id, n := range count {
		if n != 1 {
			t.Errorf("event %s delivered %d times, want once", id, n)
		}
	}
}

// TestExclusiveOneAtATime: Exclusive runs fn in one replica at a time; a
// replica finding the lease held skips fn with ErrLeaseHeld; after, the
// lease is free again.
func TestExclusiveOneAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rollcall.db")
	var ds []*Daemon
	for i := range 2 {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ds = append(ds, New(Options{Store: st, Leases: st, Holder: fmt.Sprint("r", i), LeaseTTL: time.Second}))
	}
	in := make(chan struct{})
	out := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- ds[0].Exclusive(t.Context(), LevelsLease, func(ctx context.Context) error { close(in); <-out; return nil })
	}()
	<-in
	ran := false
	err := ds[1].Exclusive(t.Context(), LevelsLease, func(ctx context.Context) error { ran = true; return nil })
	if ran || !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("second replica: ran %v, err %v; want skipped with ErrLeaseHeld", ran, err)
	}
	close(out)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := ds[1].Exclusive(t.Context(), LevelsLease, func(ctx context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Errorf("after the first finished: ran %v, err %v", ran, err)
	}
}

// weeklyComments is n weeks of k issue comments a week by GitHub user id,
// from week start.
func weeklyComments(id string, start int64, n, k int) []connectors.Activity {
	ref := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: id}
	var acts []connectors.Activity
	for w := range n {
		for i := range k {
			at := crm.WeekStart(start + int64(w)).Add(36*time.Hour + time.Duration(i)*time.Minute)
			acts = append(acts, connectors.Activity{Key: fmt.Sprintf("github/github.com/issue_comment/%s-%d-%d", id, w, i),
				Platform: "github", Instance: "github.com", Type: "issue_comment", OccurredAt: at, Actor: ref, Channel: "o/a"})
		}
	}
	return acts
}

// slippingStore is a store file with levels evaluated at now, where
// evaluating 35 days later finds 12 regulars slipping: 12 events.
func slippingStore(t *testing.T, now time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b connectors.Batch
	for i := range 12 {
		b.Activities = append(b.Activities, weeklyComments(fmt.Sprint(i+1), crm.WeekOf(now)-11, 12, 3)...)
	}
	if _, err := st.Apply(context.Background(), "gh", b); err != nil {
		t.Fatal(err)
	}
	if _, err := (&identity.Resolver{}).Run(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EvaluateLevels(context.Background(), crm.DefaultScoring(), now, true); err != nil {
		t.Fatal(err)
	}
	return path
}

// outboxEvents counts the outbox rows by event type and member.
func outboxEvents(t *testing.T, st *sqlite.Store) map[string]int {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), crm.DeliveryFilter{Pending: true, Failed: true, Delivered: true, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range ds {
		out[fmt.Sprint(d.Event, " ", d.MemberID)]++
	}
	return out
}

// TestLevelsEvaluatedOnceAcrossReplicas: two daemons sharing one SQLite
// file evaluate levels (with webhook events) under the levels lease, many
// times at once; each slipping regular gets exactly one event, however
// the evaluations interleave, and every evaluation either ran or was
// skipped with ErrLeaseHeld.
func TestLevelsEvaluatedOnceAcrossReplicas(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	path := slippingStore(t, now)
	var sts []*sqlite.Store
	var ds []*Daemon
	for i := range 2 {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sts = append(sts, st)
		ds = append(ds, New(Options{Store: st, Leases: st, Holder: fmt.Sprint("r", i), LeaseTTL: 5 * time.Second}))
	}
	later := now.AddDate(0, 0, 35)
	var ran, skipped atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 8 {
		d, st := ds[i%2], sts[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 3 {
				err := d.Exclusive(context.Background(), LevelsLease, func(ctx context.Context) error {
					_, err := st.EvaluateLevels(ctx, crm.DefaultScoring(), later, true)
					return err
				})
				switch {
				case err == nil:
					ran.Add(1)
				case errors.Is(err, ErrLeaseHeld):
					skipped.Add(1)
				default:
					t.Error(err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if ran.Load() == 0 || ran.Load()+skipped.Load() != 24 {
		t.Errorf("ran %d, skipped %d of 24", ran.Load(), skipped.Load())
	}
	ev := outboxEvents(t, sts[0])
	if len(ev) != 12 {
		t.Errorf("events %v, want one slipping event for each of 12 members", ev)
	}
	for k, n := range ev {
		if n != 1 {
			t.Errorf("%s: %d events, want 1", k, n)
		}
	}
	t.Logf("ran %d, skipped %d", ran.Load(), skipped.Load())
}

// TestReadyzJSONShowsLeaseHolders checks /readyz as JSON: this replica's
// id, for each source who holds its lease until when, and the same for
// the store-wide jobs; the text answer stays as it was. The lease gauges
// say what this replica holds.
func TestReadyzJSONShowsLeaseHolders(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	for _, name := range []string{"b", WebhookLease} {
		if _, ok, err := st.AcquireLease(ctx, name, "other", time.Hour); err != nil || !ok {
			t.Fatalf("AcquireLease %s: %v %v", name, ok, err)
		}
	}
	m := NewMetrics(nil)
	d := New(Options{Store: st, Leases: st, Holder: "me", Metrics: m, Logger: slog.New(slog.DiscardHandler),
		Sources: []Source{{Name: "a", Type: "github", Interval: time.Hour, Connector: &script{name: "a", steps: 1}},
			{Name: "b", Type: "github", Interval: time.Hour, Connector: &script{name: "b", steps: 1}}}})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "source a synced", 10*time.Second, func() bool { return d.States()[0].Passes > 0 })
	if err := d.Exclusive(ctx, LevelsLease, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	h := d.Handler(nil)
	code, body := get(t, h, "/readyz")
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if code != 200 || len(lines) != 3 || lines[0] != "ready" || !strings.HasPrefix(lines[1], "lease a: held by this replica (me) until ") ||
		!strings.HasPrefix(lines[2], "lease b: held by other until ") {
		t.Errorf("/readyz = %d %q; want the text lines", code, body)
	}
	code, body = get(t, h, "/readyz?format=json")
	if code != 200 {
		t.Fatalf("/readyz?format=json = %d %s", code, body)
	}
	var got Readiness
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if !got.Ready || got.Replica != "me" || len(got.Sources) != 2 {
		t.Fatalf("readiness = %s", body)
	}
	a, b := got.Sources[0], got.Sources[1]
	if a.Source != "a" || a.Type != "github" || a.Holder != "me" || !a.HeldHere || a.Token != 1 || a.Passes == 0 || a.LastSuccess.IsZero() || a.Expires.IsZero() {
		t.Errorf("source a = %+v; want held here with a pass", a)
	}
	if b.Source != "b" || b.Holder != "other" || b.HeldHere || b.Passes != 0 || b.Expires.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("source b = %+v; want held by other for the hour", b)
	}
	// @levels was released after its run; @webhook is other's.
	if len(got.Jobs) != 2 || got.Jobs[0].Source != LevelsLease || got.Jobs[0].Holder != "" ||
		got.Jobs[1].Source != WebhookLease || got.Jobs[1].Holder != "other" || got.Jobs[1].HeldHere {
		t.Errorf("jobs = %+v; want @levels free and @webhook other's", got.Jobs)
	}
	code, body = get(t, h, "/metrics")
	for _, want := range []string{`rollcall_source_lease_held{source="a"} 1`, `rollcall_source_lease_held{source="b"} 0`, `rollcall_job_lease_held{lease="@levels"} 0`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
}

// TestJobLeaseOfADeadLocalProcessIsTakenOver: a replica restarted on the
// same host after a crash takes over at once a job lease held by a process
// of this host that no longer runs, taken before it started; a lease of a
// live process, or of another host, is waited out, and so is one taken
// after this replica started.
func TestJobLeaseOfADeadLocalProcessIsTakenOver(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname")
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dead := fmt.Sprintf("%s:%d:0badf00d", host, gone.Process.Pid)
	alive := fmt.Sprintf("%s:%d:0badf00d", host, os.Getppid())
	elsewhere := fmt.Sprintf("elsewhere:%d:0badf00d", gone.Process.Pid)
	ctx := context.Background()
	for _, tc := range []struct {
		holder     string
		afterStart bool
		takeover   bool
	}{
		{dead, false, true},
		{dead, true, false},
		{alive, false, false},
		{elsewhere, false, false},
	} {
		st := openStore(t)
		if !tc.afterStart {
			if _, ok, err := st.AcquireLease(ctx, LevelsLease, tc.holder, time.Hour); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
		d := New(Options{Store: st, Leases: st, LeaseTTL: time.Second})
		if tc.afterStart {
			d.started = time.Now().Add(-time.Hour)
			if _, ok, err := st.AcquireLease(ctx, LevelsLease, tc.holder, time.Hour); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
		ran := false
		err := d.Exclusive(ctx, LevelsLease, func(context.Context) error { ran = true; return nil })
		if tc.takeover && (err != nil || !ran) {
			t.Errorf("lease of %s (after start %v): ran %v, %v; want taken over", tc.holder, tc.afterStart, ran, err)
		}
		if !tc.takeover && (ran || !errors.Is(err, ErrLeaseHeld)) {
			t.Errorf("lease of %s (after start %v): ran %v, %v; want waited out", tc.holder, tc.afterStart, ran, err)
		}
	}
}
