package mastodontest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// Defaults of the fake.
const (
	// DefaultDomain is the fake's own domain unless WithDomain says otherwise.
	DefaultDomain = "mastodon.example"
	// DefaultLimit and DefaultWindow are the overall budget: 300 requests
	// per 5 minutes.
	DefaultLimit  = 300
	DefaultWindow = 5 * time.Minute
	// DefaultPagingLimit and DefaultPagingWindow are the budget of paginated
	// requests (any of max_id, min_id, since_id, page): 300 per 15 minutes.
	DefaultPagingLimit  = 300
	DefaultPagingWindow = 15 * time.Minute
)

// Option configures a Server in New.
type Option func(*Server)

// WithDomain sets the fake's own domain (default DefaultDomain): local
// accounts' URLs and acct resolution use it.
func WithDomain(domain string) Option { return func(s *Server) { s.domain = domain } }

// WithNow sets the clock used for rate-limit windows and default timestamps.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithToken registers an access token. With acct set it is a user token of
// that account (the owner: verify_credentials and notifications answer for
// it); with acct empty it is an app token (public data only). Once any
// token is registered, unknown bearer tokens get 401 "The access token is
// invalid"; requests without Authorization are always served public data.
func WithToken(token, acct string) Option {
	return func(s *Server) { s.tokens[token] = acct }
}

// WithApp names the application the tokens belong to and its scopes, as
// GET /api/v1/apps/verify_credentials reports them. Mastodon 4.3 and later
// list the application's scopes there ("scopes"); with scopes nil the fake
// answers as an older server does, without them. Without this option the
// application is "rollcall" without scopes. Mastodon reports no expiry and
// no per-token scopes (a token may have fewer scopes than its application).
func WithApp(name string, scopes []string) Option {
	return func(s *Server) { s.appName, s.appScopes = name, scopes }
}

// RemoveToken forgets a token registered with WithToken or AddToken, as
// when it is revoked: it gets 401 from now on.
func (s *Server) RemoveToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// WithRateLimit sets the overall and the paginated budgets per window.
func WithRateLimit(overall, paging int) Option {
	return func(s *Server) { s.overall.limit, s.paging.limit = overall, paging }
}

// Request is one entry of the request log.
type Request struct {
	Method string
	// Path is the URL path, e.g. "/api/v1/notifications".
	Path     string
	RawQuery string
	// Status is the HTTP status answered.
	Status int
	// IfNoneMatch is the If-None-Match header the client sent, if any.
	IfNoneMatch string
	// Authenticated reports whether the request carried a bearer token.
	Authenticated bool
	// Paginated reports whether the request carried max_id, min_id,
	// since_id or page (the stricter budget).
	Paginated bool
	// Counted reports whether the request consumed rate-limit budget.
	Counted bool
}

type bucket struct {
	limit  int
	window time.Duration
	used   int
	reset  time.Time
}

// Server is the fake Mastodon server. It implements http.Handler; call New.
type Server struct {
	mu     sync.Mutex
	now    func() time.Time
	domain string
	tokens map[string]string
	// appName and appScopes are the application of the tokens (WithApp).
	appName   string
	appScopes []string
	overall   bucket
	paging    bucket

	accounts  map[string]*Account // by id
	byAcct    map[string]*Account // by canonical acct
	deleted   map[string]bool     // ids of accounts removed by DeleteAccount
	statuses  map[string]*status
	order     []*status // by id ascending
	followers map[string][]edge
	following map[string]int
	notifs    []notification
	ids       map[uint64]bool
	seq       uint64

	apps  map[string]*App      // by client id (oauth.go)
	codes map[string]*authCode // authorization codes not yet used

	faults fakekit.Faults
	chaos  *fakekit.Chaos // nil: no chaos (WithChaos)
	log    fakekit.Log[Request]
}

// New returns an empty fake Mastodon server.
func New(opts ...Option) *Server {
	s := &Server{
		now:       time.Now,
		domain:    DefaultDomain,
		tokens:    map[string]string{},
		appName:   "rollcall",
		overall:   bucket{limit: DefaultLimit, window: DefaultWindow},
		paging:    bucket{limit: DefaultPagingLimit, window: DefaultPagingWindow},
		accounts:  map[string]*Account{},
		byAcct:    map[string]*Account{},
		deleted:   map[string]bool{},
		statuses:  map[string]*status{},
		followers: map[string][]edge{},
		following: map[string]int{},
		ids:       map[uint64]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Domain returns the fake's own domain.
func (s *Server) Domain() string { return s.domain }

// BaseURL is the server URL clients should be configured with when they use
// Transport: "https://" + Domain().
func (s *Server) BaseURL() string { return "https://" + s.domain }

// AddToken registers a token after New, as WithToken does.
func (s *Server) AddToken(token, acct string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = acct
}

// Start serves s on an httptest server closed when tb's test ends, and
// returns its base URL without a trailing slash.
func (s *Server) Start(tb testing.TB) string {
	tb.Helper()
	return fakekit.Start(tb, s)
}

// Listen serves s on addr (e.g. "127.0.0.1:0") until shutdown is called, and
// returns the base URL without a trailing slash.
func (s *Server) Listen(addr string) (baseURL string, shutdown func(context.Context) error, err error) {
	baseURL, shutdown, err = fakekit.Listen(addr, s)
	if err != nil {
		return "", nil, fmt.Errorf("mastodontest: %w", err)
	}
	return baseURL, shutdown, nil
}

// Transport returns a RoundTripper that serves requests by calling s
// directly, without sockets. Any host in the request URL is accepted and
// used in Link headers.
func (s *Server) Transport() http.RoundTripper { return fakekit.Transport(s) }

// ---- fault knobs ----

// FailNext makes the next n requests answer status with a Mastodon-shaped
// error body. They do not consume budget.
func (s *Server) FailNext(status, n int) { s.faults.FailNext(status, n) }

// MalformedNext makes the next n successful (200) responses carry invalid
// JSON. They consume budget as real responses do.
func (s *Server) MalformedNext(n int) { s.faults.MalformedNext(n) }

// TruncateNext makes the next n successful (200) responses carry only the
// first half of their body while announcing the full Content-Length.
func (s *Server) TruncateNext(n int) { s.faults.TruncateNext(n) }

// SlowNext delays the next request by d before answering (or until the
// request's context is done).
func (s *Server) SlowNext(d time.Duration) { s.faults.SlowNext(d) }

// SetRateLimit sets the overall budget's remaining requests and reset time.
// A reset in the past starts a fresh window on the next request.
func (s *Server) SetRateLimit(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overall.used = max(0, s.overall.limit-remaining)
	s.overall.reset = reset.UTC()
}

// SetPagingRateLimit sets the paginated budget's remaining requests and
// reset time.
func (s *Server) SetPagingRateLimit(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paging.used = max(0, s.paging.limit-remaining)
	s.paging.reset = reset.UTC()
}

// Exhaust spends both budgets until reset: every request is answered 429.
func (s *Server) Exhaust(reset time.Time) {
	s.SetRateLimit(0, reset)
	s.SetPagingRateLimit(0, reset)
}

// RateLimit reports the overall budget: limit, remaining and reset.
func (s *Server) RateLimit() (limit, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.roll(&s.overall)
	return b.limit, max(0, b.limit-b.used), b.reset
}

// roll starts a new window when the current one has ended. Windows are
// aligned to multiples of their length since the epoch, as Rack::Attack's.
func (s *Server) roll(b *bucket) *bucket {
	now := s.now().UTC()
	if b.reset.IsZero() || !now.Before(b.reset) {
		w := int64(b.window / time.Second)
		start := now.Unix() - now.Unix()%w
		b.used = 0
		b.reset = time.Unix(start+w, 0).UTC()
	}
	return b
}

// ---- request log ----

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request { return s.log.Requests() }

// Count returns the number of requests served since the last ResetLog.
func (s *Server) Count() int { return s.log.Count() }

// CountStatus returns how many logged requests were answered with code.
func (s *Server) CountStatus(code int) int { return s.log.CountStatus(code) }

// Counted returns how many logged requests consumed rate-limit budget.
func (s *Server) Counted() int { return s.log.Counted() }

// ResetLog empties the request log and its counters (not the budgets).
func (s *Server) ResetLog() { s.log.Reset() }
