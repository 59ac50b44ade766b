package fakekit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestChaosWatchesWaits: a wait told in a header (Retry-After, a spent
// budget with its reset) or announced for a scope makes a request inside
// it a violation, unless the client was killed just after it was told; a
// request in another scope, or after the wait, is fine.
func TestChaosWatchesWaits(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := NewChaos(1, WithRate(0), WithScope(func(r *http.Request) string { return r.URL.Path }))
	c.now = func() time.Time { return now }
	var header http.Header
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(200)
	})
	get := func(path string) {
		c.Serve(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil), nil, nil, h)
	}
	header = http.Header{"Retry-After": {"2"}}
	get("/a") // told: wait 2 s
	header = nil
	now = now.Add(time.Second)
	get("/b") // 1 s early: a violation
	now = now.Add(1500 * time.Millisecond)
	get("/b") // after the wait: fine
	header = http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {now.Add(10 * time.Second).Format(time.RFC3339Nano)}}
	get("/a")
	header = nil
	c.Killed(now.Add(50 * time.Millisecond))
	now = now.Add(time.Second)
	get("/a") // inside the wait, but the client was killed as it was told
	now = now.Add(10 * time.Second)
	c.Announce("/m", now.Add(time.Second), "backoff: 1 on /m")
	get("/other") // another scope: fine
	get("/m")     // a violation
	if v := c.Violations(); len(v) != 2 || !strings.Contains(v[0], "GET /b") || !strings.Contains(v[0], "Retry-After: 2") || !strings.Contains(v[1], "backoff: 1 on /m") {
		t.Errorf("violations = %q", v)
	}
	if e := c.Excused(); len(e) != 1 || !strings.Contains(e[0], "X-RateLimit-Remaining: 0") {
		t.Errorf("excused = %q", e)
	}
}

// TestChaosIsSeeded: the same seed draws the same faults; off draws none.
func TestChaosIsSeeded(t *testing.T) {
	draw := func(seed int64) []Fault {
		c := NewChaos(seed, WithRate(0.5))
		var out []Fault
		for range 200 {
			out = append(out, c.pick())
		}
		return out
	}
	a, b, other := draw(7), draw(7), draw(8)
	if !equal(a, b) {
		t.Error("seed 7 drew different faults twice")
	}
	if equal(a, other) {
		t.Error("seeds 7 and 8 drew the same faults")
	}
	seen := map[Fault]bool{}
	for _, f := range a {
		seen[f] = true
	}
	if len(seen) != int(numFaults) {
		t.Errorf("200 draws at rate 0.5 played %d kinds, want all %d", len(seen), numFaults)
	}
	c := NewChaos(7, WithRate(1))
	c.SetOn(false)
	for range 50 {
		if f := c.pick(); f != FaultNone {
			t.Fatalf("switched off, drew %v", f)
		}
	}
}

func equal(a, b []Fault) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestChaosReset: a reset closes the connection before any byte.
func TestChaosReset(t *testing.T) {
	c := NewChaos(1, WithRate(1), WithClientTimeout(100*time.Millisecond))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Serve(w, r, nil, func(Fault) bool { return false }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 200 * time.Millisecond}
	resets := 0
	for range 40 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			if strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "EOF") {
				resets++
			}
			continue
		}
		resp.Body.Close()
	}
	if resets == 0 || c.Counts()["reset"] != resets {
		t.Errorf("%d resets seen by the client, %d played", resets, c.Counts()["reset"])
	}
}

// TestChaosSlowPost: a slow answer to a POST (GitHub's GraphQL) notices the
// client giving up at its timeout, as for a GET: the body was read first,
// and the request still reaches the fake whole when it is not held.
func TestChaosSlowPost(t *testing.T) {
	c := NewChaos(3, WithRate(0.5), WithClientTimeout(100*time.Millisecond))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Serve(w, r, nil, func(Fault) bool { return false }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		}))
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	const query = `{"query":"{ viewer { login } }"}`
	answered := 0
	for range 30 {
		resp, err := client.Post(srv.URL+"/api/graphql", "application/json", strings.NewReader(query))
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if string(b) != query {
				t.Errorf("the fake read %q, want the query sent", b)
			}
			answered++
		}
	}
	srv.Close() // waits for every held request to end
	if c.Counts()["slow"] == 0 || answered == 0 {
		t.Fatalf("%d slow answers played, %d requests answered: want both", c.Counts()["slow"], answered)
	}
	if v := c.Violations(); len(v) > 0 {
		t.Errorf("a client that gave up at its timeout was reported: %q", v)
	}
}
