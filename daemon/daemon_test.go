package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// openStore opens a real SQLite store in a temporary directory.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// script is a fake connector: it serves n batches of one activity each, one
// per step, and can be told to fail at a given step.
type script struct {
	name    string
	steps   int
	calls   atomic.Int32
	failAt  map[int]error // step -> error returned once
	panicAt int           // step that panics (1-based; 0 never)
	mu      sync.Mutex
	seen    []int // steps requested, from the cursor
}

type scriptCursor struct {
	Step int `json:"step"`
}

func (s *script) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	s.calls.Add(1)
	var c scriptCursor
	if len(cur.State) > 0 {
		if err := json.Unmarshal(cur.State, &c); err != nil {
			return connectors.Batch{}, err
		}
	}
	s.mu.Lock()
	s.seen = append(s.seen, c.Step)
	err := s.failAt[c.Step]
	delete(s.failAt, c.Step)
	s.mu.Unlock()
	if s.panicAt != 0 && c.Step == s.panicAt-1 {
		panic("connector bug")
	}
	if err != nil {
		return connectors.Batch{Stats: connectors.Stats{Requests: 1}}, err
	}
	if c.Step >= s.steps {
		next, _ := json.Marshal(scriptCursor{Step: 0})
		return connectors.Batch{Next: connectors.Cursor{State: next}, Done: true, Stats: connectors.Stats{Requests: 1, NotModified: 1, KnownMissing: 2, Skipped: 1}}, nil
	}
	actor := connectors.Account{AccountRef: connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint(c.Step % 3)}, Username: fmt.Sprintf("user%d", c.Step%3)}
	act := connectors.Activity{Key: fmt.Sprintf("github/github.com/star/%s-%d", s.name, c.Step), Platform: "github", Instance: "github.com", Type: "star",
		OccurredAt: time.Date(2025, 1, 1, 0, c.Step, 0, 0, time.UTC), Actor: actor.AccountRef, Channel: "o/r"}
	next, _ := json.Marshal(scriptCursor{Step: c.Step + 1})
	return connectors.Batch{Accounts: []connectors.Account{actor}, Activities: []connectors.Activity{act}, Next: connectors.Cursor{State: next},
		Stats: connectors.Stats{Requests: 1, Pages: 1}}, nil
}

// fakeClock records sleeps instead of sleeping and moves time forward.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func newDaemon(t *testing.T, st Store, clock *fakeClock, logs *bytes.Buffer, sources ...Source) *Daemon {
	t.Helper()
	var h slog.Handler = slog.DiscardHandler
	if logs != nil {
		h = slog.NewTextHandler(logs, nil)
	}
	return New(Options{Store: st, Sources: sources, Logger: slog.New(h), Now: clock.Now, Sleep: clock.Sleep, Jitter: func(time.Duration) time.Duration { return 0 }})
}

func activityKeys(t *testing.T, st *sqlite.Store) []string {
	t.Helper()
	ms, err := st.Members(context.Background(), crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range ms {
		j, err := st.Journey(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range j.Activities {
			keys = append(keys, a.Key)
		}
	}
	return keys
}

func TestSyncOnceCommitsEveryBatchAndResolves(t *testing.T) {
	st := openStore(t)
	clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	conn := &script{name: "a", steps: 5}
	d := newDaemon(t, st, clock, nil, Source{Name: "a", Interval: time.Minute, Connector: conn})
	sums := d.SyncOnce(context.Background())
	if len(sums) != 1 || sums[0].Err != nil {
		t.Fatalf("summaries = %+v", sums)
	}
	s := sums[0]
	if s.NewActivities != 5 || s.NewAccounts != 3 || s.Requests != 6 || s.NotModified != 1 || s.Batches != 6 || s.KnownMissing != 2 || s.Skipped != 1 {
		t.Errorf("summary = %+v, want 5 activities, 3 accounts, 6 requests, 1 not modified, 6 batches, 2 known missing, 1 skipped", s)
	}
	if got := len(activityKeys(t, st)); got != 5 {
		t.Errorf("stored activities reachable from members = %d, want 5 (every account resolved)", got)
	}
	// A second pass starts from the committed cursor (step 0 after Done) and
	// adds nothing new.
	sums = d.SyncOnce(context.Background())
	if sums[0].NewActivities != 0 || sums[0].NewAccounts != 0 {
		t.Errorf("second pass = %+v, want nothing new", sums[0])
	}
}

func TestRateLimitWaitsForResetWithoutRequests(t *testing.T) {
	st := openStore(t)
	clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	reset := clock.now.Add(47 * time.Minute)
	conn := &script{name: "a", steps: 3, failAt: map[int]error{2: &connectors.ErrRateLimited{Source: "a", Until: reset, Reason: "remaining 0"}}}
	d := newDaemon(t, st, clock, nil, Source{Name: "a", Interval: time.Minute, Connector: conn})
	sums := d.SyncOnce(context.Background())
	if sums[0].Err != nil {
		t.Fatalf("pass failed: %v", sums[0].Err)
	}
	if len(clock.sleeps) != 1 || clock.sleeps[0] != 47*time.Minute {
		t.Fatalf("sleeps = %v, want exactly one wait of 47m until the reset", clock.sleeps)
	}
	// Steps requested: 0, 1, 2 (rate limited), then 2 again after the wait: no
	// request was made while paused, and no step was skipped.
	if want := []int{0, 1, 2, 2, 3}; fmt.Sprint(conn.seen) != fmt.Sprint(want) {
		t.Errorf("steps = %v, want %v", conn.seen, want)
	}
	if n := len(activityKeys(t, st)); n != 3 {
		t.Errorf("activities = %d, want 3", n)
	}
}

func TestMalformedResponseKeepsCursor(t *testing.T) {
	st := openStore(t)
	clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	bad := &connectors.ErrMalformed{Source: "a", URL: "http://x/api/v3/repos/o/r/issues", Status: 200, Err: errors.New("unexpected EOF")}
	conn := &script{name: "a", steps: 4, failAt: map[int]error{2: bad}}
	var logs bytes.Buffer
	d := newDaemon(t, st, clock, &logs, Source{Name: "a", Interval: time.Minute, Connector: conn})
	sums := d.SyncOnce(context.Background())
	if !errors.As(sums[0].Err, new(*connectors.ErrMalformed)) {
		t.Fatalf("err = %v, want ErrMalformed", sums[0].Err)
	}
	cur, err := st.Cursor(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if string(cur.State) != `{"step":2}` {
		t.Errorf("cursor = %s, want the last committed step 2", cur.State)
	}
	for _, want := range []string{"source=a", "url=http://x/api/v3/repos/o/r/issues", "status=200"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	// The next pass resumes from step 2 and finishes.
	sums = d.SyncOnce(context.Background())
	if sums[0].Err != nil || len(activityKeys(t, st)) != 4 {
		t.Errorf("resume: err=%v activities=%d, want 4", sums[0].Err, len(activityKeys(t, st)))
	}
}

func TestPanicInOneSourceSparesOthers(t *testing.T) {
	st := openStore(t)
	clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	bad := &script{name: "bad", steps: 3, panicAt: 2}
	good := &script{name: "good", steps: 3}
	var logs bytes.Buffer
	d := newDaemon(t, st, clock, &logs,
		Source{Name: "bad", Interval: time.Minute, Connector: bad},
		Source{Name: "good", Interval: time.Minute, Connector: good})
	sums := d.SyncOnce(context.Background())
	if sums[0].Err == nil || !strings.Contains(sums[0].Err.Error(), "panic") {
		t.Errorf("bad source err = %v, want a caught panic", sums[0].Err)
	}
	if sums[1].Err != nil || sums[1].NewActivities != 3 {
		t.Errorf("good source = %+v, want 3 activities and no error", sums[1])
	}
	if !strings.Contains(logs.String(), "source panicked") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
}

func TestUnauthorizedReportedOnceAndNotRetriedInATightLoop(t *testing.T) {
	st := openStore(t)
	clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	conn := &unauthorized{}
	var logs bytes.Buffer
	d := newDaemon(t, st, clock, &logs, Source{Name: "gh", Interval: 10 * time.Minute, Connector: conn})
	ctx, cancel := context.WithCancel(context.Background())
	conn.after = func(n int32) {
		if n == 5 {
			cancel()
		}
	}
	d.Run(ctx)
	if got := strings.Count(logs.String(), "source credentials refused"); got != 1 || !strings.Contains(logs.String(), "check token for source gh") {
		t.Errorf("reported %d times, want once:\n%s", got, logs.String())
	}
	for _, s := range clock.sleeps {
		if s < 10*time.Minute {
			t.Errorf("slept %v between attempts, want at least the interval", s)
		}
	}
}

type unauthorized struct {
	n     atomic.Int32
	after func(int32)
}

func (u *unauthorized) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	n := u.n.Add(1)
	defer u.after(n)
	return connectors.Batch{}, &connectors.ErrUnauthorized{Source: "gh", URL: "http://x/api/v3/repos/o/r/issues"}
}

func TestRunStopsPromptlyOnCancel(t *testing.T) {
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	conn := &script{name: "a", steps: 2}
	d := New(Options{Store: st, Sources: []Source{{Name: "a", Interval: time.Hour, Connector: conn}}})
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	for conn.calls.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancellation")
	}
}
