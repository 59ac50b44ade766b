package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sentinel = "s3cr3t-SENTINEL-token"

// fakeClock is a clock that only moves when the client sleeps or the test
// says so.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.slept = append(f.slept, d)
	f.mu.Unlock()
	return ctx.Err()
}

type step struct {
	status int
	header map[string]string
	body   string
}

// script serves the given steps in order (the last one repeats) and records
// the requests it saw.
type script struct {
	mu    sync.Mutex
	steps []step
	n     int
	reqs  []*http.Request
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := min(s.n, len(s.steps)-1)
	s.n++
	s.reqs = append(s.reqs, r.Clone(context.Background()))
	st := s.steps[i]
	s.mu.Unlock()
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(st.status)
	io.WriteString(w, st.body)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func newTestClient(t *testing.T, clk *fakeClock, logs io.Writer) *Client {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	return NewClient(ClientOptions{
		Source:  "test",
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     clk.Now,
		Sleep:   clk.Sleep,
		Version: "1.2.3",
		Auth:    func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+sentinel) },
	})
}

func get(ctx context.Context, hc *http.Client, url string) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// TestClientNoRetryOnUnsupportedScheme: a URL no transport serves fails at
// once, told from the URL's scheme.
func TestClientNoRetryOnUnsupportedScheme(t *testing.T) {
	clk := newFakeClock()
	c := newTestClient(t, clk, &bytes.Buffer{})
	_, _, err := get(context.Background(), c.HTTPClient(), "ftp://example.org/x")
	if err == nil {
		t.Fatal("ftp:// succeeded")
	}
	if len(clk.slept) != 0 {
		t.Errorf("slept %v: an unsupported scheme was retried", clk.slept)
	}
}

func TestClientRetries(t *testing.T) {
	reset := time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC)
	resetS := strconv.FormatInt(reset.Unix(), 10)
	tests := []struct {
		name       string
		steps      []step
		wantStatus int
		wantErr    func(error) bool
		wantReqs   int
		wantSlept  []time.Duration // nil: don't check exactly
		minSleeps  int
	}{
		{
			name:       "ok",
			steps:      []step{{status: 200, body: "ok"}},
			wantStatus: 200, wantReqs: 1, wantSlept: []time.Duration{},
		},
		{
			name:       "5xx then success",
			steps:      []step{{status: 502}, {status: 500}, {status: 200, body: "ok"}},
			wantStatus: 200, wantReqs: 3, minSleeps: 2,
		},
		{
			name:       "5xx exhausts retries and returns the last response",
			steps:      []step{{status: 503}},
			wantStatus: 503, wantReqs: 4, minSleeps: 3,
		},
		{
			name:       "Retry-After seconds on 403 honoured",
			steps:      []step{{status: 403, header: map[string]string{"Retry-After": "7"}, body: `{"message":"You have exceeded a secondary rate limit"}`}, {status: 200}},
			wantStatus: 200, wantReqs: 2, wantSlept: []time.Duration{7 * time.Second},
		},
		{
			name:       "Retry-After HTTP date on 429 honoured",
			steps:      []step{{status: 429, header: map[string]string{"Retry-After": "Sat, 01 Mar 2025 12:00:30 GMT"}}, {status: 200}},
			wantStatus: 200, wantReqs: 2, wantSlept: []time.Duration{30 * time.Second},
		},
		{
			name:     "long Retry-After is a rate limit, not a wait",
			steps:    []step{{status: 503, header: map[string]string{"Retry-After": "3600"}}},
			wantReqs: 1, wantSlept: []time.Duration{},
			wantErr: func(err error) bool {
				var rl *ErrRateLimited
				return errors.As(err, &rl) && rl.Until.Equal(time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC))
			},
		},
		{
			name: "403 with remaining 0 is a rate limit until reset",
			steps: []step{{status: 403, header: map[string]string{
				"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": resetS,
			}, body: `{"message":"API rate limit exceeded"}`}},
			wantReqs: 1, wantSlept: []time.Duration{},
			wantErr: func(err error) bool {
				var rl *ErrRateLimited
				return errors.As(err, &rl) && rl.Until.Equal(reset)
			},
		},
		{
			name:     "403 saying rate limit, without headers, is returned: the text is not read",
			steps:    []step{{status: 403, body: `{"message":"You have exceeded a secondary rate limit"}`}},
			wantReqs: 1, wantStatus: 403, wantSlept: []time.Duration{},
		},
		{
			name:     "429 without headers is a rate limit of a minute",
			steps:    []step{{status: 429, body: `{"message":"whatever the wording"}`}},
			wantReqs: 1, wantSlept: []time.Duration{},
			wantErr: func(err error) bool {
				var rl *ErrRateLimited
				return errors.As(err, &rl) && rl.Until.Equal(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(maxShortWait))
			},
		},
		{
			name:     "plain 403 is returned",
			steps:    []step{{status: 403, body: `{"message":"Resource not accessible"}`}},
			wantReqs: 1, wantStatus: 403, wantSlept: []time.Duration{},
		},
		{
			name:     "401 is ErrUnauthorized without retry",
			steps:    []step{{status: 401, body: `{"message":"Bad credentials"}`}},
			wantReqs: 1, wantSlept: []time.Duration{},
			wantErr: func(err error) bool {
				var ue *ErrUnauthorized
				return errors.As(err, &ue) && ue.URL == "/x?a=1"
			},
		},
		{
			name:       "404 is returned",
			steps:      []step{{status: 404}},
			wantStatus: 404, wantReqs: 1, wantSlept: []time.Duration{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &script{steps: tt.steps}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			clk := newFakeClock()
			var logs bytes.Buffer
			c := newTestClient(t, clk, &logs)
			resp, _, err := get(context.Background(), c.HTTPClient(), ts.URL+"/x?a=1")
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("err = %v (%T), want a matching error", err, err)
				}
			} else {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if resp.StatusCode != tt.wantStatus {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
				}
			}
			if got := srv.count(); got != tt.wantReqs {
				t.Errorf("requests = %d, want %d", got, tt.wantReqs)
			}
			if got := c.Stats().Requests; got != tt.wantReqs {
				t.Errorf("Stats().Requests = %d, want %d", got, tt.wantReqs)
			}
			if tt.wantSlept != nil {
				if diff := cmp.Diff(tt.wantSlept, append([]time.Duration{}, clk.slept...)); diff != "" {
					t.Errorf("sleeps (-want +got):\n%s", diff)
				}
			}
			if len(clk.slept) < tt.minSleeps {
				t.Errorf("slept %d times, want at least %d", len(clk.slept), tt.minSleeps)
			}
			for _, d := range clk.slept {
				if d > 60*time.Second {
					t.Errorf("slept %v, longer than the cap", d)
				}
			}
			if err != nil && strings.Contains(err.Error(), sentinel) {
				t.Errorf("error leaks the token: %v", err)
			}
			if strings.Contains(logs.String(), sentinel) {
				t.Errorf("logs leak the token:\n%s", logs.String())
			}
		})
	}
}

func TestClientReservePause(t *testing.T) {
	clk := newFakeClock()
	reset := clk.Now().Add(10 * time.Minute)
	var remaining atomic.Int64
	remaining.Store(53)
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", strconv.FormatInt(remaining.Add(-1), 10))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		io.WriteString(w, "[]")
	}))
	defer ts.Close()
	c := newTestClient(t, clk, nil)
	hc := c.HTTPClient()
	ctx := context.Background()

	// 52 and 51 are above the reserve of 50; 50 reaches it.
	for i, wantPaused := range []bool{false, false, true} {
		if _, _, err := get(ctx, hc, ts.URL); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := c.RateLimit().Paused; got != wantPaused {
			t.Fatalf("after request %d: Paused = %v, want %v", i, got, wantPaused)
		}
	}
	_, _, err := get(ctx, hc, ts.URL)
	var rl *ErrRateLimited
	if !errors.As(err, &rl) || !rl.Until.Equal(reset) {
		t.Fatalf("paused request: err = %v, want ErrRateLimited until %v", err, reset)
	}
	if got := hits.Load(); got != 3 {
		t.Errorf("server saw %d requests, want 3 (no request while paused)", got)
	}
	want := RateState{Limit: 5000, Remaining: 50, Reset: reset, Paused: true, Until: reset}
	if diff := cmp.Diff(want, c.RateLimit()); diff != "" {
		t.Errorf("RateLimit (-want +got):\n%s", diff)
	}

	clk.Advance(10 * time.Minute)
	remaining.Store(5001)
	if _, _, err := get(ctx, hc, ts.URL); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	if got := hits.Load(); got != 4 {
		t.Errorf("server saw %d requests, want 4", got)
	}
	if c.RateLimit().Paused {
		t.Error("still paused after reset")
	}
}

func TestEffectiveReserve(t *testing.T) {
	for _, tt := range []struct{ reserve, limit, want int }{
		{50, 5000, 50}, {50, 60, 6}, {50, 0, 50}, {10, 300, 10},
	} {
		if got := effectiveReserve(tt.reserve, tt.limit); got != tt.want {
			t.Errorf("effectiveReserve(%d, %d) = %d, want %d", tt.reserve, tt.limit, got, tt.want)
		}
	}
}

func TestParseReset(t *testing.T) {
	want := time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC)
	for _, in := range []string{
		strconv.FormatInt(want.Unix(), 10),
		"2025-03-01T13:00:00Z",
		"2025-03-01T13:00:00.000Z",
		"2025-03-01T14:00:00+01:00",
	} {
		if got := parseReset(in); !got.Equal(want) {
			t.Errorf("parseReset(%q) = %v, want %v", in, got, want)
		}
	}
	if got := parseReset("soon"); !got.IsZero() {
		t.Errorf("parseReset(soon) = %v, want zero", got)
	}
}

func TestClientETagsAndHeaders(t *testing.T) {
	var (
		mu       sync.Mutex
		uas      []string
		inms     []string
		auths    []string
		requests int
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests++
		uas = append(uas, r.Header.Get("User-Agent"))
		inms = append(inms, r.Header.Get("If-None-Match"))
		auths = append(auths, r.Header.Get("Authorization"))
		const etag = `W/"abc"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		io.WriteString(w, `[1,2,3]`)
	}))
	defer ts.Close()
	clk := newFakeClock()
	var logs bytes.Buffer
	c := newTestClient(t, clk, &logs)
	set := NewETagSet(nil)
	ctx := WithETags(context.Background(), set)
	url := ts.URL + "/repos/o/r/issues?page=1"

	resp, body, err := get(ctx, c.HTTPClient(), url)
	if err != nil || resp.StatusCode != 200 || body != "[1,2,3]" {
		t.Fatalf("first: %v %v %q", resp, err, body)
	}
	if got := set.Get(url); got != `W/"abc"` {
		t.Fatalf("ETag recorded = %q", got)
	}
	resp, _, err = get(ctx, c.HTTPClient(), url)
	if err != nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("second: %v %v", resp, err)
	}
	if diff := cmp.Diff(Stats{Requests: 2, NotModified: 1, Pages: 1}, c.TakeStats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Stats{}, c.Stats()); diff != "" {
		t.Errorf("stats after Take (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"", `W/"abc"`}, inms); diff != "" {
		t.Errorf("If-None-Match (-want +got):\n%s", diff)
	}
	for _, ua := range uas {
		if ua != "rollcall/1.2.3 (+https://github.com/rollcall-dev/rollcall)" {
			t.Errorf("User-Agent = %q", ua)
		}
	}
	for _, a := range auths {
		if a != "Bearer "+sentinel {
			t.Errorf("Authorization = %q", a)
		}
	}
	if diff := cmp.Diff([]string{url}, set.Used()); diff != "" {
		t.Errorf("Used (-want +got):\n%s", diff)
	}
	if strings.Contains(logs.String(), sentinel) {
		t.Errorf("logs leak the token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "/repos/o/r/issues?page=1") {
		t.Errorf("logs lack the request path:\n%s", logs.String())
	}
}

func TestClientSecretNeverLeaks(t *testing.T) {
	// Every failure mode, logs at debug level, errors printed with %v and %+v.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/401":
			w.WriteHeader(401)
		case "/limit":
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "2000000000")
			w.WriteHeader(403)
		default:
			w.WriteHeader(500)
		}
	}))
	defer ts.Close()
	clk := newFakeClock()
	var logs bytes.Buffer
	c := newTestClient(t, clk, &logs)
	var errs []string
	for _, p := range []string{"/401", "/500", "/limit", "/after-limit"} {
		_, _, err := get(context.Background(), c.HTTPClient(), ts.URL+p)
		errs = append(errs, fmt.Sprintf("%v %+v", err, err))
	}
	// Credentials in a query string (some services take them there) are
	// redacted from logs; errors from net/http quote the URL as given.
	c.pause(time.Time{}, "")
	clk.Advance(100 * 365 * 24 * time.Hour)
	_, _, _ = get(context.Background(), c.HTTPClient(), ts.URL+"/x?access_token="+sentinel)
	// A dead server: connection errors.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, _, err := get(context.Background(), NewClient(ClientOptions{Sleep: clk.Sleep, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Auth: func(r *http.Request) { r.Header.Set("Authorization", sentinel) }}).HTTPClient(), dead.URL)
	if err == nil {
		t.Fatal("dead server: no error")
	}
	errs = append(errs, err.Error())
	for _, e := range errs {
		if strings.Contains(e, sentinel) {
			t.Errorf("error leaks the token: %s", e)
		}
	}
	if strings.Contains(logs.String(), sentinel) {
		t.Errorf("logs leak the token:\n%s", logs.String())
	}
}

func TestClientContextCancelStopsRetries(t *testing.T) {
	srv := &script{steps: []step{{status: 500}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := NewClient(ClientOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	_, _, err := get(ctx, c.HTTPClient(), ts.URL)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := srv.count(); got > 2 {
		t.Errorf("requests = %d after cancel", got)
	}
}

// TestClientResourceBudgets: budgets are kept per X-RateLimit-Resource. A
// spent budget pauses the requests of its resource only: GraphQL waits
// while REST (core) goes on, and the other way round. A Retry-After holds
// for every resource.
func TestClientResourceBudgets(t *testing.T) {
	tests := []struct {
		name  string
		spent string // the resource answered with an exhausted budget
		other string
		// status of the spent answer: 200 with remaining at the reserve
		// (pause after it), or 403 with remaining 0 (refused).
		status int
	}{
		{"graphql at its reserve, core goes on", "graphql", "core", 200},
		{"graphql exhausted (403), core goes on", "graphql", "core", 403},
		{"core exhausted (403), graphql goes on", "core", "graphql", 403},
		{"core at its reserve, graphql goes on", "core", "graphql", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			reset := clk.Now().Add(20 * time.Minute)
			hits := map[string]int{}
			var mu sync.Mutex
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res := strings.TrimPrefix(r.URL.Path, "/")
				mu.Lock()
				hits[res]++
				mu.Unlock()
				w.Header().Set("X-RateLimit-Limit", "5000")
				w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
				w.Header().Set("X-RateLimit-Resource", res)
				if res == tt.spent {
					if tt.status == 403 {
						w.Header().Set("X-RateLimit-Remaining", "0")
						w.WriteHeader(403)
						io.WriteString(w, `{"message":"API rate limit exceeded for user ID 1."}`)
						return
					}
					w.Header().Set("X-RateLimit-Remaining", "10")
				} else {
					w.Header().Set("X-RateLimit-Remaining", "4000")
				}
				io.WriteString(w, "{}")
			}))
			defer ts.Close()
			c := newTestClient(t, clk, nil)
			hc := c.HTTPClient()
			ctxFor := func(res string) context.Context {
				if res == "graphql" {
					return WithResource(context.Background(), "graphql")
				}
				return context.Background() // REST names no resource
			}
			// Core first, so that core is what unnamed requests count against.
			if _, _, err := get(ctxFor("core"), hc, ts.URL+"/core"); err != nil && tt.spent != "core" {
				t.Fatal(err)
			}
			if tt.spent == "graphql" {
				_, _, _ = get(ctxFor("graphql"), hc, ts.URL+"/graphql")
			}
			hit := func(res string) int { mu.Lock(); defer mu.Unlock(); return hits[res] }
			before := hit(tt.spent)
			var rl *ErrRateLimited
			if _, _, err := get(ctxFor(tt.spent), hc, ts.URL+"/"+tt.spent); !errors.As(err, &rl) || rl.Resource != tt.spent || !rl.Until.Equal(reset) {
				t.Errorf("%s request: err %v, want ErrRateLimited of %s until %v", tt.spent, err, tt.spent, reset)
			}
			if hit(tt.spent) != before {
				t.Errorf("%s request sent while paused", tt.spent)
			}
			for range 3 {
				if _, _, err := get(ctxFor(tt.other), hc, ts.URL+"/"+tt.other); err != nil {
					t.Errorf("%s request while %s waits: %v", tt.other, tt.spent, err)
				}
			}
			got := map[string]bool{}
			for _, r := range c.Resources() {
				got[r.Resource] = r.Paused
				if r.Resource == tt.spent && !r.Until.Equal(reset) {
					t.Errorf("%s until %v, want %v", r.Resource, r.Until, reset)
				}
			}
			if !got[tt.spent] || got[tt.other] {
				t.Errorf("Resources() paused = %v, want only %s", got, tt.spent)
			}
			if c.RateLimit().Paused != (tt.spent == "core") {
				t.Errorf("RateLimit() (core) Paused = %v", c.RateLimit().Paused)
			}
			clk.Advance(21 * time.Minute)
			if _, _, err := get(ctxFor(tt.spent), hc, ts.URL+"/"+tt.spent); err != nil && tt.status == 200 {
				t.Errorf("after the reset: %v", err)
			}
		})
	}
}
