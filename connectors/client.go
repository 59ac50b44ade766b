package connectors

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"

	"github.com/rollcall-dev/rollcall/config"
)

// ClientOptions configures the shared HTTP client of one source.
type ClientOptions struct {
	// Source names the source in errors and logs.
	Source string
	// Base is the transport that reaches the network; nil means
	// http.DefaultTransport. Tests point it at in-process fakes.
	Base http.RoundTripper
	// Logger receives one debug line per request (method, path and query
	// without credentials, status, duration); nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Every time decision
	// (pauses, Retry-After dates) uses it.
	Now func() time.Time
	// Sleep waits for d or until ctx is done; nil means a timer-based wait.
	// Tests pass a fake that advances their clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Version is rollcall's version, for the User-Agent.
	Version string
	// Reserve is how many requests of the budget to leave unused; 0 means
	// DefaultReserve. At most a tenth of the budget is reserved.
	Reserve int
	// Auth sets the credentials on an outgoing request. It is the only
	// place a secret is handled; nothing else logs or stores it.
	Auth func(*http.Request)
	// Token, when set, gives the bearer token of each request (after Auth,
	// under the same first-host rule), asked for request by request so
	// that a rotated token is used at once (NewTokenSource): requests to
	// the first host go through an oauth2.Transport on this source. An
	// error from it fails the request unsent, as an *ErrToken.
	Token oauth2.TokenSource
	// MaxRetries bounds retries of connection errors, 5xx and short
	// Retry-After waits; 0 means 3.
	MaxRetries int
	// Timeout bounds one attempt, from sending the request to reading the
	// whole body (config http_timeout); an attempt that outlasts it is
	// retried like a dropped connection. 0 means DefaultHTTPTimeout.
	Timeout time.Duration
	// Waits, when set, keeps the waits the service announces (see
	// Waits), so that a restarted daemon honours them: the client reads
	// them before its first request and records every new one before it
	// sends another.
	Waits Waits
}

// Waits keeps the waits services announced: a Retry-After, a spent budget
// until its reset, a per-method backoff. A daemon killed while it waits
// must still wait after a restart, or its first request breaks the limit
// it was told. The store implements it (in its settings table). Scope ""
// is the whole source; connectors name narrower ones (Stack Exchange's
// methods).
type Waits interface {
	// Waits returns the source's waits that have not ended, by scope.
	Waits(ctx context.Context, source string) (map[string]time.Time, error)
	// SetWait records that source must not call scope before until (a
	// later wait already recorded stays).
	SetWait(ctx context.Context, source, scope string, until time.Time) error
}

// DefaultHTTPTimeout bounds one attempt of a request when ClientOptions
// says nothing.
const DefaultHTTPTimeout = config.DefaultHTTPTimeout

// Client is the shared HTTP client of one source: retries with capped,
// jittered backoff (go-retryablehttp with our policy), rate-limit accounting
// with a reserve, conditional requests from an ETagSet in the request
// context, a User-Agent, and request counting. It is safe for concurrent use.
type Client struct {
	opts ClientOptions
	base http.RoundTripper
	// authed is base under an oauth2.Transport on opts.Token (nil without
	// a token): the round tripper of requests to the first host.
	authed http.RoundTripper
	log    *slog.Logger
	ua     string
	inner  *http.Client // one attempt through the metering transport

	mu sync.Mutex
	// budgets are the rate-limit budgets by resource (GitHub's
	// X-RateLimit-Resource: core, graphql, search; one unnamed budget for
	// services that do not name theirs). A budget down to its reserve
	// pauses only the requests of its resource.
	budgets map[string]*budget
	// defRes is the resource of requests that do not name one
	// (WithResource): the resource their last response named.
	defRes string
	until  time.Time // every request fails fast before this time
	why    string
	stats  Stats
	// held are the waits by scope as recorded in opts.Waits (loaded
	// once, then kept in step); heldLoaded says they were read.
	held       map[string]time.Time
	heldLoaded bool
}

// budget is one resource's rate-limit budget and pause.
type budget struct {
	rate  RateState
	until time.Time // this resource's requests fail fast before this time
	why   string
}

// NewClient returns a client for one source.
func NewClient(opts ClientOptions) *Client {
	c := &Client{opts: opts, base: opts.Base, log: opts.Logger, budgets: map[string]*budget{}}
	if c.base == nil {
		c.base = http.DefaultTransport
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.opts.Now == nil {
		c.opts.Now = time.Now
	}
	if c.opts.Sleep == nil {
		c.opts.Sleep = sleepCtx
	}
	if c.opts.Reserve <= 0 {
		c.opts.Reserve = DefaultReserve
	}
	if c.opts.MaxRetries <= 0 {
		c.opts.MaxRetries = 3
	}
	if c.opts.Timeout <= 0 {
		c.opts.Timeout = DefaultHTTPTimeout
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	c.ua = "rollcall/" + version + " (+https://github.com/rollcall-dev/rollcall)"
	if c.opts.Token != nil {
		c.authed = &oauth2.Transport{Source: tokenErrSource{source: opts.Source, ts: c.opts.Token}, Base: c.base}
	}
	c.inner = &http.Client{Transport: meter{c}, Timeout: c.opts.Timeout}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// HTTPClient returns an *http.Client for hand-written requests that read a
// 304 themselves (Discourse, Stack Exchange). Requests made through it share
// this client's retries, pause and counters. Client libraries use Transport
// (or LibraryClient), which hands them a 304 as a 200.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{Transport: retryTransport{c}}
}

// RateLimit reports the budget of requests that name no resource (GitHub's
// core budget for REST) as last seen, and whether those requests are
// paused. Resources reports every budget.
func (c *Client) RateLimit() RateState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateLocked(c.defRes)
}

func (c *Client) stateLocked(res string) RateState {
	var s RateState
	until := c.until
	if b := c.budgets[res]; b != nil {
		s = b.rate
		if b.until.After(until) {
			until = b.until
		}
	}
	s.Until = until
	s.Paused = c.opts.Now().Before(until)
	return s
}

// ResourceState is the budget of one rate-limit resource.
type ResourceState struct {
	// Resource is the name the service gave it (GitHub's
	// X-RateLimit-Resource: "core", "graphql", ...), or "" for a service
	// that does not name its budget.
	Resource string
	RateState
}

// Resources reports every rate-limit budget seen, by resource name, for
// metrics: an exhausted graphql budget pauses GraphQL requests while core
// requests go on, and the other way round.
func (c *Client) Resources() []ResourceState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]ResourceState, 0, len(c.budgets))
	for name := range c.budgets {
		out = append(out, ResourceState{Resource: name, RateState: c.stateLocked(name)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out
}

// PauseResource makes the requests of resource fail fast until until (a
// later pause is kept), as when a service says in a response body that the
// budget is spent, records the wait (Hold) and returns the error to report.
func (c *Client) PauseResource(ctx context.Context, resource string, until time.Time, why string) *ErrRateLimited {
	c.mu.Lock()
	c.pauseResourceLocked(resource, until, why)
	scope := c.holdScopeLocked(resource)
	c.mu.Unlock()
	c.Hold(ctx, scope, until)
	return &ErrRateLimited{Source: c.opts.Source, Until: until, Reason: why, Resource: resource}
}

func (c *Client) pauseResourceLocked(resource string, until time.Time, why string) {
	b := c.budgets[resource]
	if b == nil {
		b = &budget{}
		c.budgets[resource] = b
	}
	if until.After(b.until) {
		b.until, b.why = until, why
	}
}

type resourceKey struct{}

// WithResource returns a context whose requests count against the named
// rate-limit resource of the service (GitHub's "graphql"), so that the
// pause of another resource does not stop them, nor theirs the others.
// Requests without it count against the resource their responses name.
func WithResource(ctx context.Context, resource string) context.Context {
	return context.WithValue(ctx, resourceKey{}, resource)
}

// requestResource is the resource a request counts against.
func (c *Client) requestResourceLocked(ctx context.Context) string {
	if r, ok := ctx.Value(resourceKey{}).(string); ok {
		return r
	}
	return c.defRes
}

// Stats returns the counters accumulated since the last TakeStats.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// TakeStats returns the counters and resets them, so that each batch reports
// what it cost.
func (c *Client) TakeStats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	c.stats = Stats{}
	return s
}

// CountKnownMissing records a lookup that was not made because its object is
// known to be missing.
func (c *Client) CountKnownMissing() {
	c.mu.Lock()
	c.stats.KnownMissing++
	c.mu.Unlock()
}

// CountSkipped records an item left out of the batch (the caller logs it).
func (c *Client) CountSkipped() {
	c.mu.Lock()
	c.stats.Skipped++
	c.mu.Unlock()
}

// pause makes every request fail fast until until (keeping a later pause):
// a wait the service asked for (Retry-After, a 429) holds for all its
// resources alike (GitHub's secondary limits are shared by REST and
// GraphQL).
func (c *Client) pause(until time.Time, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.until) {
		c.until, c.why = until, why
	}
}

// limited pauses the client until until, records the wait, and returns
// the error that says so.
func (c *Client) limited(ctx context.Context, until time.Time, why string) *ErrRateLimited {
	c.pause(until, why)
	c.Hold(ctx, "", until)
	return &ErrRateLimited{Source: c.opts.Source, Until: until, Reason: why}
}

// loadWaits reads the recorded waits once: a wait of the whole source
// pauses the client. A store that cannot answer is logged and read again
// on the next request.
func (c *Client) loadWaits(ctx context.Context) {
	if c.opts.Waits == nil {
		return
	}
	c.mu.Lock()
	loaded := c.heldLoaded
	c.mu.Unlock()
	if loaded {
		return
	}
	ws, err := c.opts.Waits.Waits(ctx, c.opts.Source)
	if err != nil {
		c.log.Warn("read the waits the service announced before", "err", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heldLoaded {
		return
	}
	c.heldLoaded = true
	if c.held == nil {
		c.held = map[string]time.Time{}
	}
	for scope, until := range ws {
		if until.After(c.held[scope]) {
			c.held[scope] = until
		}
	}
	if u := c.held[""]; u.After(c.until) {
		c.until, c.why = u, "a wait the service announced before a restart"
	}
	for scope, u := range c.held {
		if res, ok := strings.CutPrefix(scope, resourceScope); ok {
			c.pauseResourceLocked(res, u, res+" wait the service announced before a restart")
		}
	}
}

// Hold records that the service said not to call scope ("" for the whole
// source) before until, in the store when ClientOptions.Waits is set, so
// that a restart honours it. It neither pauses nor waits: the caller (or
// the client itself, for scope "") does. A record that fails is logged.
func (c *Client) Hold(ctx context.Context, scope string, until time.Time) {
	if c.opts.Waits == nil || !until.After(c.opts.Now()) {
		return
	}
	c.mu.Lock()
	if c.held == nil {
		c.held = map[string]time.Time{}
	}
	if !until.After(c.held[scope]) {
		c.mu.Unlock()
		return
	}
	c.held[scope] = until
	c.mu.Unlock()
	// Recorded even for a request that was canceled meanwhile: the wait
	// holds all the same.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := c.opts.Waits.SetWait(wctx, c.opts.Source, scope, until); err != nil {
		c.log.Warn("record a wait the service announced", "scope", scope, "until", until.UTC().Format(time.RFC3339), "err", err)
	}
}

// Held returns until when scope must not be called, as recorded (by this
// client or before a restart); zero when it may.
func (c *Client) Held(ctx context.Context, scope string) time.Time {
	c.loadWaits(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if u := c.held[scope]; u.After(c.opts.Now()) {
		return u
	}
	return time.Time{}
}

// limitedResource pauses the requests of the resource that answered resp
// until until, records the wait, and returns the error that says so.
func (c *Client) limitedResource(ctx context.Context, resp *http.Response, until time.Time, why string) *ErrRateLimited {
	c.mu.Lock()
	res := c.responseResourceLocked(resp)
	c.mu.Unlock()
	if res != "" {
		why = res + " " + why
	}
	return c.PauseResource(ctx, res, until, why)
}

// resourceScope prefixes the Waits scope of one rate-limit resource's
// pause ("resource:graphql").
const resourceScope = "resource:"

// holdScope is the Waits scope of a pause of resource res: the whole
// source for the resource of requests that name none (after a restart,
// before any response tells the resources apart, every request waits, so
// none breaks the wait), else the resource's own.
func (c *Client) holdScopeLocked(res string) string {
	if res == c.defRes {
		return ""
	}
	return resourceScope + res
}

// responseResourceLocked is the resource a response counts against: the
// one it names (X-RateLimit-Resource), else the request's. A request that
// named none teaches the default.
func (c *Client) responseResourceLocked(resp *http.Response) string {
	ctx := context.Background()
	if resp.Request != nil {
		ctx = resp.Request.Context()
	}
	name := strings.ToLower(strings.TrimSpace(resp.Header.Get("X-RateLimit-Resource")))
	_, declared := ctx.Value(resourceKey{}).(string)
	if name == "" {
		return c.requestResourceLocked(ctx)
	}
	if !declared {
		c.defRes = name
	}
	return name
}

// observe records the rate-limit headers of a response in the budget of its
// resource and pauses that resource's requests when the remaining budget is
// down to the reserve; the pause, and a short Retry-After, which the retry
// loop waits out, are recorded too.
func (c *Client) observe(ctx context.Context, resp *http.Response, now time.Time) {
	if ra, ok := parseRetryAfter(resp.Header, now); ok && ra > 0 {
		c.Hold(ctx, "", now.Add(ra))
	}
	r := parseRateHeaders(resp.Header)
	if scope, until := c.observeRate(resp, r, now); !until.IsZero() {
		c.Hold(ctx, scope, until)
	}
}

// observeRate records the budget of the response's resource and returns
// the pause it starts, if any, with its Waits scope.
func (c *Client) observeRate(resp *http.Response, r rateHeaders, now time.Time) (scope string, paused time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := c.responseResourceLocked(resp)
	if !r.hasRem {
		return "", time.Time{}
	}
	b := c.budgets[res]
	if b == nil {
		b = &budget{}
		c.budgets[res] = b
	}
	if r.hasLimit {
		b.rate.Limit = r.limit
	}
	b.rate.Remaining = r.remaining
	if !r.reset.IsZero() {
		b.rate.Reset = r.reset
	}
	if r.remaining <= effectiveReserve(c.opts.Reserve, b.rate.Limit) && r.reset.After(now) && r.reset.After(b.until) {
		b.until, b.why = r.reset, "rate-limit budget down to its reserve"
		if res != "" {
			b.why = res + " " + b.why
		}
		return c.holdScopeLocked(res), r.reset
	}
	return "", time.Time{}
}

// meter is the transport under the retry loop: one attempt, with the pause
// check, headers, ETags, accounting and logging.
type meter struct{ c *Client }

func (m meter) RoundTrip(req *http.Request) (*http.Response, error) {
	c := m.c
	c.loadWaits(req.Context())
	now := c.opts.Now()
	c.mu.Lock()
	until, why := c.until, c.why
	res := c.requestResourceLocked(req.Context())
	if b := c.budgets[res]; b != nil && now.Before(b.until) && !now.Before(until) {
		c.mu.Unlock()
		return nil, &ErrRateLimited{Source: c.opts.Source, Until: b.until, Reason: b.why, Resource: res}
	}
	c.mu.Unlock()
	if now.Before(until) {
		return nil, &ErrRateLimited{Source: c.opts.Source, Until: until, Reason: why}
	}

	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", c.ua)
	// A library without a token still sends "Bearer " (go-mastodon): an
	// Authorization header without credentials is dropped, not sent.
	if v := strings.TrimSpace(r.Header.Get("Authorization")); v != "" && !strings.Contains(v, " ") {
		r.Header.Del("Authorization")
	}
	// Credentials go only to the host the request was first made to.
	rt := c.base
	if req.Response == nil || req.Response.Request == nil || req.Response.Request.URL.Host == r.URL.Host {
		if c.opts.Auth != nil {
			c.opts.Auth(r)
		}
		if c.authed != nil {
			rt = c.authed
		}
	}
	key := r.URL.String()
	etags := ETagsFrom(r.Context())
	if etags != nil && r.Method == http.MethodGet {
		etags.touch(key)
		if et := etags.Get(key); et != "" && r.Header.Get("If-None-Match") == "" {
			r.Header.Set("If-None-Match", et)
		}
	}

	resp, err := rt.RoundTrip(r)
	dur := c.opts.Now().Sub(now)
	c.mu.Lock()
	c.stats.Requests++
	if err == nil {
		switch {
		case resp.StatusCode == http.StatusNotModified:
			c.stats.NotModified++
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			c.stats.Pages++
		}
	}
	c.mu.Unlock()
	if err != nil {
		c.log.Debug("http request failed", "method", r.Method, "url", RedactURL(r.URL), "duration", dur, "error", err)
		return nil, err
	}
	c.log.Debug("http request", "method", r.Method, "url", RedactURL(r.URL), "status", resp.StatusCode, "duration", dur)
	c.observe(r.Context(), resp, c.opts.Now())
	if etags != nil && r.Method == http.MethodGet && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if et := resp.Header.Get("ETag"); et != "" {
			etags.Set(key, et)
		}
	}
	return resp, nil
}

// credentialParams are query parameters that carry credentials on some
// services; they are never logged.
var credentialParams = []string{"access_token", "api_key", "api_username", "key", "token", "client_secret", "client_id", "sig"}

// RedactURL returns path?query of u without user info and with credential
// query parameters replaced, for logs and errors.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	q := u.Query()
	changed := false
	for _, p := range credentialParams {
		for k := range q {
			if strings.EqualFold(k, p) {
				q[k] = []string{"REDACTED"}
				changed = true
			}
		}
	}
	s := u.EscapedPath()
	if u.RawQuery != "" {
		if changed {
			s += "?" + q.Encode()
		} else {
			s += "?" + u.RawQuery
		}
	}
	return s
}

// retryTransport runs each request through a go-retryablehttp client bound
// to the request's context, with our CheckRetry and Backoff.
type retryTransport struct{ c *Client }

func (t retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	ctx := req.Context()
	rc := &retryablehttp.Client{
		HTTPClient:   c.inner,
		RetryWaitMin: time.Second,
		RetryWaitMax: 30 * time.Second,
		RetryMax:     c.opts.MaxRetries,
		CheckRetry:   c.checkRetry,
		Backoff: func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
			// Wait here, with our clock, and let retryablehttp go on at once.
			_ = c.opts.Sleep(ctx, c.backoff(min, max, attempt, resp))
			return 0
		},
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) {
			if err == nil {
				// Retries exhausted on a 5xx or 429: hand the last response
				// to the caller, which reports the status.
				return resp, nil
			}
			if resp != nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
			}
			var ue *url.Error
			if errors.As(err, &ue) && ue.Err != nil {
				err = ue.Err
			}
			return nil, err
		},
	}
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, err
	}
	return rc.Do(rreq)
}

// backoff is how long to wait before retry attempt+1: a short Retry-After
// when the service sent one, else capped exponential backoff with jitter.
func (c *Client) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra, ok := parseRetryAfter(resp.Header, c.opts.Now()); ok && ra <= maxShortWait {
			return ra
		}
	}
	d := min << uint(attempt)
	if d <= 0 || d > max {
		d = max
	}
	// Full jitter over the upper half keeps retries of many sources apart.
	return d/2 + rand.N(d/2+1)
}

// checkRetry is our retry policy; see the package documentation of Client.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var rl *ErrRateLimited
		if errors.As(err, &rl) {
			return false, rl
		}
		var te *ErrToken
		if errors.As(err, &te) {
			return false, te
		}
		if errors.Is(err, context.Canceled) {
			return false, err
		}
		// ctx is alive: a deadline is the attempt's own timeout
		// (ClientOptions.Timeout), a service that stopped answering.
		// It is retried like a dropped connection.
		// A URL no transport can serve is not retried; told from the
		// URL itself, not from net/http's error text.
		var ue *url.Error
		if errors.As(err, &ue) {
			if u, perr := url.Parse(ue.URL); perr == nil && u.Scheme != "http" && u.Scheme != "https" {
				return false, err
			}
		}
		return true, nil // connection errors
	}
	now := c.opts.Now()
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		return false, &ErrUnauthorized{Source: c.opts.Source, URL: RedactURL(resp.Request.URL)}
	case code == http.StatusTooManyRequests || code == http.StatusForbidden || code == http.StatusServiceUnavailable:
		if ra, ok := parseRetryAfter(resp.Header, now); ok {
			if ra <= maxShortWait {
				return true, nil
			}
			return false, c.limited(ctx, now.Add(ra), "Retry-After")
		}
		if code == http.StatusServiceUnavailable {
			return true, nil
		}
		r := parseRateHeaders(resp.Header)
		if r.hasRem && r.remaining == 0 {
			until := r.reset
			if !until.After(now) {
				until = now.Add(maxShortWait)
			}
			return false, c.limitedResource(ctx, resp, until, "rate-limit budget exhausted")
		}
		if code == http.StatusTooManyRequests {
			// A 429 without Retry-After or a spent budget: wait at least
			// a minute. A 403 with neither is an ordinary refusal, handed
			// back: the error's message is prose the service may reword or
			// translate and is never read (GitHub's secondary limits come
			// with Retry-After, or are told by go-github from the error's
			// documentation_url).
			return false, c.limited(ctx, now.Add(maxShortWait), "rate limited (429)")
		}
		return false, nil
	case code >= 500 && code != http.StatusNotImplemented:
		return true, nil
	}
	return false, nil
}

// ETagSet holds the ETags of the conditional requests a source may repeat,
// keyed by full request URL. It is safe for concurrent use. Put it in a
// request context with WithETags; the client then sends If-None-Match for
// known URLs and records the ETag of every successful GET.
type ETagSet struct {
	mu   sync.Mutex
	m    map[string]string
	used map[string]bool
	// pass is the pass each URL was last asked for in, from stored
	// values "@<pass> <etag>" (see EndPass); absent for plain values.
	pass map[string]int
}

// NewETagSet returns a set holding a copy of m (which may be nil). A value
// "@<pass> <etag>", as EndPass writes it, holds the ETag and the pass that
// last asked for the URL.
func NewETagSet(m map[string]string) *ETagSet {
	s := &ETagSet{m: make(map[string]string, len(m)), used: map[string]bool{}, pass: map[string]int{}}
	for k, v := range m {
		if n, tag, ok := parsePassETag(v); ok {
			s.m[k] = tag
			s.pass[k] = n
			continue
		}
		s.m[k] = v
	}
	return s
}

// parsePassETag splits "@<pass> <etag>". An ETag itself is a quoted string,
// maybe after "W/", so it never starts with "@".
func parsePassETag(v string) (pass int, tag string, ok bool) {
	rest, found := strings.CutPrefix(v, "@")
	if !found {
		return 0, "", false
	}
	num, tag, found := strings.Cut(rest, " ")
	n, err := strconv.Atoi(num)
	if !found || err != nil || n < 0 {
		return 0, "", false
	}
	return n, tag, true
}

// EndPass prepares the ETags a batch commits, like EndBatch, without a
// list of the URLs the pass asked for in the connector's cursor (a list
// that grows with the data): each stored value records the pass that last
// asked for its URL ("@<pass> <etag>"), the URLs of this batch are marked
// with pass, and when the pass is done (done) the ETags of URLs it never
// asked for are dropped. A plain value (a cursor from before) counts as
// asked for in no pass, unless touched (the list an older cursor kept)
// names its URL.
func (s *ETagSet) EndPass(pass int, touched []string, done bool) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range touched {
		s.pass[u] = pass
	}
	for u := range s.used {
		s.pass[u] = pass
	}
	out := make(map[string]string, len(s.m))
	for u, tag := range s.m {
		n, ok := s.pass[u]
		if done && (!ok || n != pass) {
			continue
		}
		if !ok {
			out[u] = tag
			continue
		}
		out[u] = "@" + strconv.Itoa(n) + " " + tag
	}
	return out
}

// Get returns the ETag stored for url, or "".
func (s *ETagSet) Get(url string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[url]
}

// Set stores the ETag of url.
func (s *ETagSet) Set(url, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[url] = etag
}

// Map returns a copy of every stored ETag.
func (s *ETagSet) Map() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.m))
	for k, v := range s.m {
		out[k] = v
	}
	return out
}

// Used returns the URLs requested through this set since it was made, so
// that a connector can prune ETags of URLs it no longer asks for.
func (s *ETagSet) Used() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.used))
	for k := range s.used {
		out = append(out, k)
	}
	return out
}

func (s *ETagSet) touch(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == nil {
		s.used = map[string]bool{}
	}
	s.used[url] = true
}

type etagKey struct{}

// WithETags returns a context whose requests through a Client use set for
// conditional GETs.
func WithETags(ctx context.Context, set *ETagSet) context.Context {
	return context.WithValue(ctx, etagKey{}, set)
}

// ETagsFrom returns the set stored by WithETags, or nil.
func ETagsFrom(ctx context.Context) *ETagSet {
	s, _ := ctx.Value(etagKey{}).(*ETagSet)
	return s
}

// EndBatch prepares the ETags a batch commits when a pass spans several
// batches. touched are the URLs earlier batches of this pass asked for (kept
// in the connector's cursor). When the pass is done, the ETags of URLs the
// pass never asked for are dropped, so the set does not grow without bound,
// and touched comes back empty; otherwise every ETag is kept and touched
// comes back with this batch's URLs added, sorted.
func (s *ETagSet) EndBatch(touched []string, done bool) (etags map[string]string, nextTouched []string) {
	seen := make(map[string]bool, len(touched))
	for _, u := range touched {
		seen[u] = true
	}
	for _, u := range s.Used() {
		seen[u] = true
	}
	etags = s.Map()
	if done {
		for u := range etags {
			if !seen[u] {
				delete(etags, u)
			}
		}
		return etags, nil
	}
	nextTouched = make([]string, 0, len(seen))
	for u := range seen {
		nextTouched = append(nextTouched, u)
	}
	sort.Strings(nextTouched)
	return etags, nextTouched
}

// tokenErrSource names the source in a token source's error, so that the
// error oauth2.Transport returns unsent is an *ErrToken.
type tokenErrSource struct {
	source string
	ts     oauth2.TokenSource
}

func (t tokenErrSource) Token() (*oauth2.Token, error) {
	tok, err := t.ts.Token()
	if err != nil {
		return nil, &ErrToken{Source: t.source, Err: err}
	}
	return tok, nil
}
