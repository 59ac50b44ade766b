package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestReadyzTurnsReadyOnlyWhenTrue(t *testing.T) {
	st := openStore(t)
	clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	a := &script{name: "a", steps: 2}
	limited := &script{name: "b", steps: 2, failAt: map[int]error{0: &connectors.ErrRateLimited{Source: "b", Until: clock.now.Add(time.Hour)}}}
	m := NewMetrics(nil)
	blocked := make(chan struct{})
	d := New(Options{Store: st, Metrics: m, Now: clock.Now,
		Sources: []Source{{Name: "a", Interval: time.Minute, Connector: a}, {Name: "b", Interval: time.Minute, Connector: limited}},
		Sleep: func(ctx context.Context, dur time.Duration) error {
			// The rate-limited source waits here until the test is done.
			if dur >= time.Hour {
				select {
				case <-blocked:
				case <-ctx.Done():
				}
			}
			return ctx.Err()
		}})
	h := d.Handler(nil)
	if code, body := get(t, h, "/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body, "has not run yet") {
		t.Errorf("/readyz before any pass = %d %q, want 503", code, body)
	}
	// Source a completes a pass; source b waits on a known rate limit.
	d.passCaught(context.Background(), d.sources[0])
	if code, _ := get(t, h, "/readyz"); code != 503 {
		t.Errorf("/readyz with b never run = %d, want 503", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.passCaught(ctx, d.sources[1]); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if code, _ := get(t, h, "/readyz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz never turned ready while b waits on a rate limit")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, metrics := get(t, h, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`rollcall_source_paused{source="b"} 1`,
		`rollcall_source_activities_ingested_total{source="a"} 2`,
		`rollcall_source_accounts_ingested_total{source="a"} 2`,
		`rollcall_source_last_success_timestamp_seconds{source="a"}`,
		`rollcall_source_fetch_seconds_count{source="a"}`,
		`rollcall_ratelimit_reset_timestamp_seconds{source="b"}`,
		`rollcall_store_apply_seconds_count`,
		`rollcall_resolver_new_members_total 2`,
		`rollcall_source_lookups_known_missing_total{source="a"} 2`,
		`rollcall_source_items_skipped_total{source="a"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cancel()
	close(blocked)
	<-done
}

func TestMetricsCountRequestsByStatus(t *testing.T) {
	m := NewMetrics(func() float64 { return 4096 })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	c := &http.Client{Transport: m.Instrument("gh", nil)}
	for _, p := range []string{"/", "/", "/missing"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	st := openStore(t)
	d := New(Options{Store: st, Metrics: m})
	_, body := get(t, d.Handler(nil), "/metrics")
	for _, want := range []string{`rollcall_source_requests_total{code="200",source="gh"} 2`, `rollcall_source_requests_total{code="404",source="gh"} 1`, `rollcall_store_size_bytes 4096`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestReloadTouchesOnlyChangedSources(t *testing.T) {
	st := openStore(t)
	mk := func(name, fp string) Source {
		return Source{Name: name, Interval: time.Hour, Connector: &script{name: name, steps: 1}, Fingerprint: fp}
	}
	a, b, c := mk("a", "1"), mk("b", "1"), mk("c", "1")
	d := New(Options{Store: st, Sources: []Source{a, b, c}, Jitter: func(time.Duration) time.Duration { return 0 }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	b2 := mk("b", "2") // changed
	dd := mk("d", "1") // new
	res, err := d.Reload(ctx, []Source{a, b2, dd})
	if err != nil {
		t.Fatal(err)
	}
	want := ReloadResult{Started: []string{"d"}, Stopped: []string{"c"}, Restarted: []string{"b"}, Unchanged: []string{"a"}}
	if got := res; strings.Join(got.Started, ",") != "d" || strings.Join(got.Stopped, ",") != "c" ||
		strings.Join(got.Restarted, ",") != "b" || strings.Join(got.Unchanged, ",") != "a" {
		t.Errorf("reload = %+v, want %+v", got, want)
	}
	var names []string
	for _, s := range d.States() {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "a,b,d" {
		t.Errorf("sources after reload = %v", names)
	}
	// The unchanged source kept its connector (no restart).
	if d.sources[0].Connector != a.Connector {
		t.Errorf("unchanged source a got a new connector")
	}
}

func TestAliveNeedsTickingSupervisorAndStore(t *testing.T) {
	st := openStore(t)
	release := make(chan struct{})
	d := New(Options{Store: st, Tick: 10 * time.Millisecond})
	if d.Alive(context.Background()) {
		t.Error("alive before Run")
	}
	stuck := make(chan struct{}, 1)
	d.tickHook = func() {
		select {
		case stuck <- struct{}{}:
			<-release // the supervisor hangs here
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-stuck
	deadline := time.Now().Add(10 * time.Second)
	for d.Alive(context.Background()) {
		if time.Now().After(deadline) {
			t.Fatal("still alive with the supervisor stuck")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	for !d.Alive(context.Background()) {
		if time.Now().After(deadline) {
			t.Fatal("not alive after the supervisor resumed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// awayStore is a SQLite store whose Ping fails while down is set, and
// which says whether it is remote (a database server of its own).
type awayStore struct {
	*sqlite.Store
	remote bool
	down   atomic.Bool
}

func (s *awayStore) Ping(ctx context.Context) error {
	if s.down.Load() {
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return s.Store.Ping(ctx)
}

func (s *awayStore) Remote() bool { return s.remote }

// TestAliveWhileRemoteStoreIsAway: a remote store that does not answer
// turns /readyz not ready but leaves the daemon alive (the watchdog keeps
// reporting); an embedded store that does not answer makes it not alive.
func TestAliveWhileRemoteStoreIsAway(t *testing.T) {
	for _, remote := range []bool{true, false} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			st := &awayStore{Store: openStore(t), remote: remote}
			passed := make(chan struct{}, 1)
			d := New(Options{Store: st, Tick: 10 * time.Millisecond,
				Sources: []Source{{Name: "a", Interval: time.Hour, Connector: &script{name: "a", steps: 1}}},
				OnCycle: func() {
					select {
					case passed <- struct{}{}:
					default:
					}
				}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- d.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			<-passed
			h := d.Handler(nil)
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second)
				for !cond() {
					if time.Now().After(deadline) {
						t.Fatal(what)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			waitFor("not alive and ready with the store up", func() bool {
				code, _ := get(t, h, "/readyz")
				return code == 200 && d.Alive(ctx)
			})
			st.down.Store(true)
			if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body, "store does not answer") {
				t.Errorf("/readyz with the store down = %d %q, want 503", code, body)
			}
			// Many ticks later, liveness is what it was decided to be.
			for range 20 {
				if got := d.Alive(ctx); got != remote {
					t.Fatalf("Alive with the store down = %v, want %v", got, remote)
				}
				time.Sleep(5 * time.Millisecond)
			}
			st.down.Store(false)
			waitFor("not alive and ready once the store is back", func() bool {
				code, _ := get(t, h, "/readyz")
				return code == 200 && d.Alive(ctx)
			})
		})
	}
}
