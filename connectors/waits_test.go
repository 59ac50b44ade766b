package connectors

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memWaits is a Waits kept in memory, standing in for the store.
type memWaits struct {
	mu sync.Mutex
	m  map[string]map[string]time.Time
}

func (w *memWaits) Waits(_ context.Context, source string) (map[string]time.Time, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]time.Time{}
	for k, v := range w.m[source] {
		out[k] = v
	}
	return out, nil
}

func (w *memWaits) SetWait(_ context.Context, source, scope string, until time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]map[string]time.Time{}
	}
	if w.m[source] == nil {
		w.m[source] = map[string]time.Time{}
	}
	if until.After(w.m[source][scope]) {
		w.m[source][scope] = until
	}
	return nil
}

// TestWaitsSurviveARestart: a wait the service announced (a long
// Retry-After, a spent budget, a short Retry-After the client sleeps
// through) is recorded, and a new client on the same record (the daemon
// after a restart) sends nothing before it ends.
func TestWaitsSurviveARestart(t *testing.T) {
	for _, tt := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"long Retry-After", http.Header{"Retry-After": {"120"}}, 429},
		{"spent budget", http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"UNTIL"}}, 403},
		{"short Retry-After", http.Header{"Retry-After": {"30"}}, 503},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					for k, v := range tt.header {
						if v[0] == "UNTIL" {
							v = []string{clock.Now().Add(time.Hour).Format(time.RFC3339)}
						}
						w.Header()[k] = v
					}
					w.WriteHeader(tt.status)
					return
				}
				w.Write([]byte("{}"))
			}))
			t.Cleanup(srv.Close)
			waits := &memWaits{}
			newClient := func(sleep func(context.Context, time.Duration) error) *http.Client {
				return NewClient(ClientOptions{Source: "src", Now: clock.Now, Sleep: sleep, Waits: waits}).HTTPClient()
			}
			// The first client is killed in its wait: its Sleep never returns
			// before the context ends.
			ctx, cancel := context.WithCancel(t.Context())
			killed := func(ctx context.Context, d time.Duration) error { cancel(); return context.Canceled }
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
			if resp, err := newClient(killed).Do(req); err == nil {
				resp.Body.Close()
				t.Fatalf("first client: %d, want an error", resp.StatusCode)
			}
			ws, _ := waits.Waits(t.Context(), "src")
			if ws[""].IsZero() {
				t.Fatalf("no wait recorded: %v", ws)
			}
			// The restarted client refuses to send before the wait ends.
			req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/x", nil)
			_, err := newClient(clock.Sleep).Do(req)
			var rl *ErrRateLimited
			if !errors.As(err, &rl) || !rl.Until.Equal(ws[""]) {
				t.Fatalf("restarted client: err = %v, want ErrRateLimited until %v", err, ws[""])
			}
			if n := hits.Load(); n != 1 {
				t.Errorf("the service saw %d requests, want 1", n)
			}
			clock.Advance(ws[""].Sub(clock.Now()) + time.Second)
			resp, err := newClient(clock.Sleep).Do(req)
			if err != nil {
				t.Fatalf("after the wait: %v", err)
			}
			resp.Body.Close()
		})
	}
}

// TestAttemptTimeout: an attempt that outlasts ClientOptions.Timeout is
// abandoned and retried, like a dropped connection.
func TestAttemptTimeout(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := NewClient(ClientOptions{Source: "src", Timeout: 200 * time.Millisecond, Sleep: func(context.Context, time.Duration) error { return nil }})
	start := time.Now()
	resp, err := c.HTTPClient().Get(srv.URL)
	if err != nil {
		t.Fatalf("err = %v, want the retry's answer", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || hits.Load() != 2 {
		t.Errorf("status %d after %d attempts, want 200 after 2", resp.StatusCode, hits.Load())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: the hung attempt was not cut at its timeout", d)
	}
}

// TestResourceWaitSurvivesARestart: a spent graphql budget is recorded for
// that resource only: after a restart GraphQL requests wait for its reset
// and REST requests go on.
func TestResourceWaitSurvivesARestart(t *testing.T) {
	clock := newFakeClock()
	reset := clock.Now().Add(time.Hour).Truncate(time.Second)
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		if r.URL.Path == "/graphql" {
			w.Header().Set("X-RateLimit-Resource", "graphql")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.WriteHeader(403)
			return
		}
		w.Header().Set("X-RateLimit-Resource", "core")
		w.Header().Set("X-RateLimit-Remaining", "4000")
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	waits := &memWaits{}
	do := func(hc *http.Client, path string) error {
		ctx := t.Context()
		if path == "/graphql" {
			ctx = WithResource(ctx, "graphql")
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	first := NewClient(ClientOptions{Source: "src", Now: clock.Now, Sleep: clock.Sleep, Waits: waits}).HTTPClient()
	if err := do(first, "/core"); err != nil {
		t.Fatal(err)
	}
	var rl *ErrRateLimited
	if err := do(first, "/graphql"); !errors.As(err, &rl) || rl.Resource != "graphql" {
		t.Fatalf("spent graphql: %v", err)
	}
	ws, _ := waits.Waits(t.Context(), "src")
	if !ws["resource:graphql"].Equal(reset) || !ws[""].IsZero() {
		t.Fatalf("waits recorded %v, want resource:graphql until %v and no wait of the whole source", ws, reset)
	}
	restarted := NewClient(ClientOptions{Source: "src", Now: clock.Now, Sleep: clock.Sleep, Waits: waits}).HTTPClient()
	if err := do(restarted, "/graphql"); !errors.As(err, &rl) || !rl.Until.Equal(reset) {
		t.Errorf("restarted client, GraphQL: %v, want ErrRateLimited until %v", err, reset)
	}
	if err := do(restarted, "/core"); err != nil {
		t.Errorf("restarted client, REST: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/graphql"] != 1 || hits["/core"] != 2 {
		t.Errorf("the service saw %v, want one GraphQL request and two REST", hits)
	}
}
