package fakekit

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Fault is one kind of misbehaviour the chaos injector plays.
type Fault int

// The faults. Generic ones (FaultReset, FaultSlow) are played by the
// injector itself; the others by the fake, in its service's own shapes,
// through the apply function it passes to Chaos.Serve.
const (
	FaultNone Fault = iota
	// Fault5xx: a server error (500, 502, 503 or 504) with the service's
	// error body.
	Fault5xx
	// FaultReset: the connection is closed with a TCP reset before any
	// byte of the response.
	FaultReset
	// FaultTruncate: a 200 whose body stops half-way (the full
	// Content-Length announced).
	FaultTruncate
	// FaultMalformed: a 200 with a body that is not valid JSON.
	FaultMalformed
	// FaultSlow: no answer until well past the client's timeout.
	FaultSlow
	// FaultExhaust: the rate-limit budget is spent until a reset a few
	// seconds away, told as the service tells it.
	FaultExhaust
	// FaultWait: the service's "wait N seconds" signal (GitHub's
	// secondary limit with Retry-After, Discourse's 429 with
	// extras.wait_seconds, Stack Exchange's backoff).
	FaultWait
	numFaults
)

var faultNames = [...]string{"none", "5xx", "reset", "truncate", "malformed", "slow", "exhaust", "wait"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// ChaosOption configures a Chaos.
type ChaosOption func(*Chaos)

// WithRate sets the share of requests that meet a fault (default 0.15).
func WithRate(p float64) ChaosOption { return func(c *Chaos) { c.rate = p } }

// WithClientTimeout tells the injector the client's per-attempt timeout:
// a slow response is held past it, and a client still waiting 2 s after
// it is reported as a violation (default 2 s).
func WithClientTimeout(d time.Duration) ChaosOption { return func(c *Chaos) { c.timeout = d } }

// WithMaxWait bounds the waits the faults announce, in whole seconds
// (default 3: a wait is 1 to 3 seconds).
func WithMaxWait(seconds int) ChaosOption { return func(c *Chaos) { c.maxWait = max(1, seconds) } }

// WithScope names the scope of a request for waits that cover only part
// of the service (Stack Exchange's backoff is per method; GitHub's core
// and graphql budgets are spent apart, so a spent budget told in the
// headers holds for the request's scope, while a Retry-After holds for
// all); nil puts every request in the scope "".
func WithScope(f func(*http.Request) string) ChaosOption { return func(c *Chaos) { c.scope = f } }

// WithKillGrace sets how soon after a wait was announced a process kill
// excuses a later request that ignored it (default 100 ms): a client
// killed between reading a response and recording its wait cannot know
// of it after a restart, however careful it is.
func WithKillGrace(d time.Duration) ChaosOption { return func(c *Chaos) { c.grace = d } }

// Chaos injects random faults into a fake's answers, from a seed so that a
// run can be replayed, and watches the client: every request that arrives
// while the fake has told the client to wait (a Retry-After, a spent
// budget with its reset, a per-method backoff) is a violation, and so is a
// client that waits for a slow response long past its timeout. It is safe
// for concurrent use; a nil *Chaos injects nothing.
type Chaos struct {
	seed    int64
	rate    float64
	timeout time.Duration
	maxWait int
	grace   time.Duration
	scope   func(*http.Request) string
	now     func() time.Time

	mu         sync.Mutex
	rng        *rand.Rand
	on         bool
	waits      map[string]wait // scope → the latest wait told
	kills      []time.Time
	violations []string
	excused    []string
	counts     map[Fault]int
	disarm     func()
}

type wait struct {
	until, told time.Time
	why         string
}

// NewChaos returns an injector seeded with seed, switched on.
func NewChaos(seed int64, opts ...ChaosOption) *Chaos {
	c := &Chaos{seed: seed, rate: 0.15, timeout: 2 * time.Second, maxWait: 3, grace: 100 * time.Millisecond,
		now: time.Now, rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)), on: true,
		waits: map[string]wait{}, counts: map[Fault]int{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Seed returns the seed the injector was made with.
func (c *Chaos) Seed() int64 { return c.seed }

// SetOn switches fault injection on or off; violations are watched either
// way. Switching off disarms the faults armed and not played yet (see
// OnOff).
func (c *Chaos) SetOn(on bool) {
	c.mu.Lock()
	c.on = on
	disarm := c.disarm
	c.mu.Unlock()
	if !on && disarm != nil {
		disarm()
	}
}

// OnOff sets what SetOn(false) calls to disarm the fake's knobs that apply
// armed for a request that did not play them (a 304 takes no malformed
// body).
func (c *Chaos) OnOff(disarm func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disarm = disarm
}

// Killed records that the client process was killed at t (see
// WithKillGrace).
func (c *Chaos) Killed(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kills = append(c.kills, t)
}

// Violations returns the requests that arrived while the fake had told the
// client to wait, and the slow responses the client waited out, in words.
func (c *Chaos) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.violations...)
}

// Excused returns the requests that ignored a wait announced less than the
// kill grace before the client was killed: the wait died with the process.
func (c *Chaos) Excused() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.excused...)
}

// Counts returns how many faults of each kind were played, by name.
func (c *Chaos) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for f, n := range c.counts {
		out[f.String()] = n
	}
	return out
}

// WaitSeconds draws the length of an announced wait: 1 to the maximum
// (WithMaxWait) seconds.
func (c *Chaos) WaitSeconds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return 1 + c.rng.IntN(c.maxWait)
}

// Announce records that the fake told the client not to call scope ("":
// the whole service) before until, for reasons the injector cannot read
// from the headers (a wait in the body: Stack Exchange's backoff,
// Discourse's extras.wait_seconds alone).
func (c *Chaos) Announce(scope string, until time.Time, why string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.announceLocked(scope, until, why)
}

func (c *Chaos) announceLocked(scope string, until time.Time, why string) {
	now := c.now()
	if !until.After(now) {
		return
	}
	if w, ok := c.waits[scope]; ok && w.until.After(until) {
		return
	}
	c.waits[scope] = wait{until: until, told: now, why: why}
}

// arrive checks a request against the waits told; d describes it.
func (c *Chaos) arrive(scope, d string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, s := range []string{"", scope} {
		w, ok := c.waits[s]
		if !ok || !now.Before(w.until) {
			continue
		}
		msg := fmt.Sprintf("%s at %s, %v before the end of a wait (%s) told at %s", d,
			now.UTC().Format("15:04:05.000"), w.until.Sub(now).Round(time.Millisecond), w.why, w.told.UTC().Format("15:04:05.000"))
		if c.killedBetween(w.told, now) {
			c.excused = append(c.excused, msg)
		} else {
			c.violations = append(c.violations, msg)
		}
		if s == scope {
			break
		}
	}
}

// killedBetween reports a kill after told, within the grace, and before now.
func (c *Chaos) killedBetween(told, now time.Time) bool {
	for _, k := range c.kills {
		if !k.Before(told) && k.Before(now) && k.Sub(told) < c.grace {
			return true
		}
	}
	return false
}

// pick draws the fault for one request.
func (c *Chaos) pick() Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || c.rng.Float64() >= c.rate {
		return FaultNone
	}
	return Fault(1 + c.rng.IntN(int(numFaults)-1))
}

// Status5xx draws the status of a Fault5xx.
func (c *Chaos) Status5xx() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return []int{500, 502, 503, 504}[c.rng.IntN(4)]
}

// Serve answers one request of a fake under chaos: it checks the request
// against the waits told, draws a fault, plays the generic ones itself
// (resets, slow answers, and on faults, when given, 5xx, truncated and
// malformed bodies) and hands the others to apply (which arms the fake's own knobs and reports
// whether it knows the fault; an unknown one is played as no fault), then
// lets next answer, reading the waits its response announces in headers
// (Retry-After; X-RateLimit-Remaining 0 with X-RateLimit-Reset as unix
// seconds or an ISO-8601 time). A nil Chaos just calls next.
func (c *Chaos) Serve(w http.ResponseWriter, r *http.Request, faults *Faults, apply func(Fault) bool, next http.Handler) {
	if c == nil {
		next.ServeHTTP(w, r)
		return
	}
	scope := ""
	if c.scope != nil {
		scope = c.scope(r)
	}
	c.arrive(scope, r.Method+" "+r.URL.Path)
	f := c.pick()
	switch f {
	case FaultNone:
	case FaultReset:
		if conn := hijack(w); conn != nil {
			// Counted before the client can see it, so that a client
			// reading Counts after its failed request finds it counted.
			c.count(f)
			resetConn(conn)
			return
		}
	case FaultSlow:
		c.count(f)
		// A server reads the request before it is slow to answer; and
		// net/http notices a client that gave up only once the handler
		// has read the body to its end (a held POST would not).
		if r.Body != nil {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		c.slow(r)
	case Fault5xx, FaultTruncate, FaultMalformed:
		if faults != nil {
			c.count(f)
			switch f {
			case Fault5xx:
				faults.FailNext(c.Status5xx(), 1)
			case FaultTruncate:
				faults.TruncateNext(1)
			default:
				faults.MalformedNext(1)
			}
		} else if apply != nil && apply(f) {
			c.count(f)
		}
	default:
		if apply != nil && apply(f) {
			c.count(f)
		}
	}
	next.ServeHTTP(&watcher{ResponseWriter: w, c: c, scope: scope}, r)
}

func (c *Chaos) count(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[f]++
}

// hijack takes the connection of w; nil when w cannot be hijacked (an
// in-process transport).
func hijack(w http.ResponseWriter) net.Conn {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// resetConn closes conn with a TCP RST.
func resetConn(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// slow holds the request until the client gives up, or for twice its
// timeout plus two seconds, and reports a client that waited past its
// timeout by more than two seconds.
func (c *Chaos) slow(r *http.Request) {
	start := c.now()
	limit := c.timeout + 2*time.Second
	t := time.NewTimer(limit + c.timeout)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		if d := c.now().Sub(start); d > limit {
			c.violate(fmt.Sprintf("%s %s: the client waited %v for a slow response, past its timeout of %v", r.Method, r.URL.Path, d.Round(time.Millisecond), c.timeout))
		}
	case <-t.C:
		c.violate(fmt.Sprintf("%s %s: the client still waited after %v for a slow response, past its timeout of %v", r.Method, r.URL.Path, limit+c.timeout, c.timeout))
	}
}

func (c *Chaos) violate(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations = append(c.violations, msg)
}

// watcher reads the waits a response announces in its headers.
type watcher struct {
	http.ResponseWriter
	c     *Chaos
	scope string
	done  bool
}

func (w *watcher) WriteHeader(status int) {
	if !w.done {
		w.done = true
		w.c.observe(w.Header(), status, w.scope)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *watcher) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through, for fakes that stream.
func (w *watcher) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe records the waits a response announces: a Retry-After for the
// whole service, a spent budget (X-RateLimit-Remaining: 0) for the
// request's scope, the budget it counts against (GitHub's core and
// graphql are separate; one scope for fakes that name none).
func (c *Chaos) observe(h http.Header, status int, scope string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			c.announceLocked("", now.Add(time.Duration(n)*time.Second), fmt.Sprintf("%d with Retry-After: %s", status, v))
		} else if t, err := http.ParseTime(v); err == nil {
			c.announceLocked("", t, fmt.Sprintf("%d with Retry-After: %s", status, v))
		}
	}
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining")) == "0" {
		if reset := parseReset(h.Get("X-RateLimit-Reset")); !reset.IsZero() {
			c.announceLocked(scope, reset, fmt.Sprintf("%d with X-RateLimit-Remaining: 0, reset %s", status, h.Get("X-RateLimit-Reset")))
		}
	}
}

// parseReset reads a reset given as unix seconds or an ISO-8601 time.
func parseReset(v string) time.Time {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0)
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t
	}
	return time.Time{}
}

// Summary is one line on what the injector did: its seed and the faults
// played by kind.
func (c *Chaos) Summary() string {
	counts := c.Counts()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	return fmt.Sprintf("seed %d: %s", c.seed, strings.Join(parts, " "))
}
