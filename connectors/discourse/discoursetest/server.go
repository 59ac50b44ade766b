package discoursetest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// DefaultAdminLimit is Discourse's max_admin_api_reqs_per_minute default:
// one site-wide limiter shared by every admin API key.
const DefaultAdminLimit = 60

// Option configures a Server in New.
type Option func(*Server)

// WithNow sets the clock used for rate-limit windows and default timestamps.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithAPIKey makes the fake accept key, for the Api-Username username (a
// known user or "system"), as a staff key when staff is true. It may be given
// several times. Once any key is set, other keys get 403 invalid_access;
// without this option any key is accepted as a staff key of its
// Api-Username.
func WithAPIKey(key, username string, staff bool) Option {
	return func(s *Server) { s.keys[key] = apiKey{username: username, staff: staff} }
}

// WithAdminLimit sets the admin API key limiter's requests per minute
// (default 60); 0 or less turns it off.
func WithAdminLimit(perMinute int) Option { return func(s *Server) { s.adminLimit = perMinute } }

// WithTitle sets the forum title served by /about.json.
func WithTitle(title string) Option { return func(s *Server) { s.title = title } }

// Request is one entry of the request log.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// Status is the HTTP status answered.
	Status int
	// APIUsername is the Api-Username header, "" for anonymous requests.
	APIUsername string
	// Authenticated reports whether the request carried an Api-Key.
	Authenticated bool
	// Counted reports whether the request counted against a rate limiter:
	// every request does, the admin key limiter or the per-IP one.
	Counted bool
}

type apiKey struct {
	username string
	staff    bool
}

// Server is the fake Discourse. It implements http.Handler; the zero value
// is not usable, call New.
type Server struct {
	mu     sync.Mutex
	now    func() time.Time
	keys   map[string]apiKey
	title  string
	locale Locale

	adminLimit int
	adminUsed  int
	adminReset time.Time

	users        map[string]*User
	goneUsers    map[string]bool // keys of users removed by DeleteUser
	categories   map[int64]*Category
	topics       map[int64]*Topic
	posts        map[int64]*Post
	topicPosts   map[int64][]*Post
	likes        map[int64][]*Like
	nextUser     int64
	nextCategory int64
	nextTopic    int64
	nextPost     int64

	userKeys      map[string]*userAPIKey // user API keys by key (userapikey.go)
	authRedirects []string               // allowed_user_api_auth_redirects; nil: the default

	faults      fakekit.Faults
	chaos       *fakekit.Chaos // nil: no chaos (WithChaos)
	limitUntil  time.Time
	limitIP     bool
	ipLimitN    int
	ipWait      int
	noRetryN    int
	noRetryWait int
	log         fakekit.Log[Request]
}

// New returns an empty fake Discourse.
func New(opts ...Option) *Server {
	s := &Server{
		now:        time.Now,
		keys:       map[string]apiKey{},
		title:      "Fake Discourse",
		locale:     English,
		adminLimit: DefaultAdminLimit,
		users:      map[string]*User{},
		goneUsers:  map[string]bool{},
		categories: map[int64]*Category{},
		topics:     map[int64]*Topic{},
		posts:      map[int64]*Post{},
		topicPosts: map[int64][]*Post{},
		likes:      map[int64][]*Like{},
		nextUser:   0,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves s on an httptest server closed when tb's test ends, and
// returns its base URL without a trailing slash, e.g.
// "http://127.0.0.1:PORT".
func (s *Server) Start(tb testing.TB) string {
	tb.Helper()
	return fakekit.Start(tb, s)
}

// Listen serves s on addr (e.g. "127.0.0.1:0") until shutdown is called,
// and returns the base URL without a trailing slash.
func (s *Server) Listen(addr string) (baseURL string, shutdown func(context.Context) error, err error) {
	baseURL, shutdown, err = fakekit.Listen(addr, s)
	if err != nil {
		return "", nil, fmt.Errorf("discoursetest: %w", err)
	}
	return baseURL, shutdown, nil
}

// Transport returns a RoundTripper that serves requests by calling s
// directly, without sockets, so clients can run inside a testing/synctest
// bubble. Any host in the request URL is accepted.
func (s *Server) Transport() http.RoundTripper { return fakekit.Transport(s) }

// ---- fault knobs ----

// FailNext makes the next n requests answer status with a Discourse-shaped
// error body.
func (s *Server) FailNext(status, n int) { s.faults.FailNext(status, n) }

// MalformedNext makes the next n successful (200) responses carry invalid
// JSON.
func (s *Server) MalformedNext(n int) { s.faults.MalformedNext(n) }

// TruncateNext makes the next n successful (200) responses carry only the
// first half of their body while announcing the full Content-Length, like a
// dropped connection.
func (s *Server) TruncateNext(n int) { s.faults.TruncateNext(n) }

// SlowNext delays the next request by d before answering (or until the
// request's context is done).
func (s *Server) SlowNext(d time.Duration) { s.faults.SlowNext(d) }

// LimitUntil makes every request until until answer 429 with Retry-After
// set to the seconds left: the admin key limiter's JSON body, or with ip the
// per-IP limiter's plain-text body. A zero until lifts it.
func (s *Server) LimitUntil(until time.Time, ip bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitUntil, s.limitIP = until, ip
}

// Exhaust spends the admin key limiter until reset: requests answer 429 with
// Retry-After (and extras.wait_seconds) counting down to reset. It is
// LimitUntil(reset, false).
func (s *Server) Exhaust(reset time.Time) { s.LimitUntil(reset, false) }

// IPLimitNext makes the next n requests answer the per-IP limiter's 429:
// text/plain "Slow down, too many requests from this IP address.\nPlease
// retry again in N seconds.\nError code: ip_10_secs_limit." with Retry-After
// N and Discourse-Rate-Limit-Error-Code.
func (s *Server) IPLimitNext(n, waitSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ipLimitN, s.ipWait = n, waitSeconds
}

// NoRetryAfterNext makes the next n requests answer the admin key limiter's
// JSON 429 without a Retry-After header: only extras.wait_seconds says how
// long to wait.
func (s *Server) NoRetryAfterNext(n, waitSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRetryN, s.noRetryWait = n, waitSeconds
}

// ---- request log ----

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request { return s.log.Requests() }

// Count returns the number of requests served since the last ResetLog.
func (s *Server) Count() int { return s.log.Count() }

// Counted returns how many logged requests counted against a rate limiter.
func (s *Server) Counted() int { return s.log.Counted() }

// CountStatus returns how many logged requests were answered with code.
func (s *Server) CountStatus(code int) int { return s.log.CountStatus(code) }

// ResetLog empties the request log and its counters (not the limiters).
func (s *Server) ResetLog() { s.log.Reset() }
