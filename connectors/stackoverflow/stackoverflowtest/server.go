package stackoverflowtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// Defaults of the fake's daily quotas (per caller: keyed or anonymous).
const (
	DefaultKeyQuota       = 10000
	DefaultAnonymousQuota = 300
	// DefaultSite is the api_site_parameter the fake serves.
	DefaultSite = "stackoverflow"
	// MaxAnonymousPage is the last page an anonymous caller may ask for.
	MaxAnonymousPage = 25
)

// ErrNotFound is returned by the mutation methods for an unknown user,
// question, answer or post.
var ErrNotFound = errors.New("stackoverflowtest: not found")

// Option configures a Server in New.
type Option func(*Server)

// WithNow sets the clock used for quotas, backoffs and default timestamps.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithKey makes the fake accept only key as the app key: any other key= gets
// HTTP 400 bad_parameter "key". Without it any key is accepted. Requests
// without key= are always served, with the anonymous quota.
func WithKey(key string) Option { return func(s *Server) { s.key = key } }

// WithSite sets the api_site_parameter the fake serves (default
// "stackoverflow"); site= must name it or its host.
func WithSite(site string) Option { return func(s *Server) { s.site = site } }

// WithQuota sets the daily quotas with a key and without (defaults 10,000
// and 300).
func WithQuota(keyed, anonymous int) Option {
	return func(s *Server) { s.keyed.max, s.anon.max = keyed, anonymous }
}

// WithEncoding sets how bodies are compressed (default Gzip).
func WithEncoding(e Encoding) Option { return func(s *Server) { s.enc = e } }

type quota struct {
	max, used int
	reset     time.Time
}

// Server is the fake Stack Exchange API. It implements http.Handler; the
// zero value is not usable, call New.
type Server struct {
	mu    sync.Mutex
	now   func() time.Time
	key   string
	site  string
	enc   Encoding
	keyed quota
	anon  quota

	users      map[int64]*User
	goneUsers  map[int64]bool // removed by DeleteUser
	userOrder  []int64
	questions  map[int64]*Question
	qOrder     []int64
	answers    map[int64]*Answer
	aOrder     []int64
	comments   []*Comment
	associated []Associated
	filters    map[string]bool
	nextPost   int64
	nextUser   int64
	nextAcct   int64
	nextCmt    int64

	backoff      map[string]int       // route → seconds to announce
	backoffUntil map[string]time.Time // route → when it may be called again
	backoffNext  int                  // seconds of backoff the next success carries (chaos)

	faults fakekit.Faults
	chaos  *fakekit.Chaos // nil: no chaos (WithChaos)
	log    fakekit.Log[Request]
}

// New returns an empty fake serving DefaultSite.
func New(opts ...Option) *Server {
	s := &Server{
		now:          time.Now,
		site:         DefaultSite,
		keyed:        quota{max: DefaultKeyQuota},
		anon:         quota{max: DefaultAnonymousQuota},
		users:        map[int64]*User{},
		goneUsers:    map[int64]bool{},
		questions:    map[int64]*Question{},
		answers:      map[int64]*Answer{},
		filters:      map[string]bool{"default": true, "withbody": true, "none": true, "total": true},
		nextPost:     10000,
		nextUser:     100,
		nextAcct:     5000,
		nextCmt:      900000,
		backoff:      map[string]int{},
		backoffUntil: map[string]time.Time{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Site returns the api_site_parameter the fake serves.
func (s *Server) Site() string { return s.site }

// Start serves s on an httptest server closed when tb's test ends, and
// returns the API root, e.g. "http://127.0.0.1:PORT/2.3".
func (s *Server) Start(tb testing.TB) string {
	tb.Helper()
	return fakekit.Start(tb, s) + apiPrefix
}

// Listen serves s on addr (e.g. "127.0.0.1:0") until shutdown is called,
// and returns the API root, e.g. "http://127.0.0.1:PORT/2.3".
func (s *Server) Listen(addr string) (apiURL string, shutdown func(context.Context) error, err error) {
	u, shutdown, err := fakekit.Listen(addr, s)
	if err != nil {
		return "", nil, fmt.Errorf("stackoverflowtest: %w", err)
	}
	return u + apiPrefix, shutdown, nil
}

// Transport returns a RoundTripper that serves requests by calling s
// directly, without sockets, so clients can run inside a testing/synctest
// bubble. Any host in the request URL is accepted. Like the real service
// (and unlike net/http's transport) it never decompresses bodies.
func (s *Server) Transport() http.RoundTripper { return fakekit.Transport(s) }

// ---- fault knobs ----

// FailNext makes the next n requests answer HTTP status with the error
// wrapper (error_id = status, e.g. 503 temporarily_unavailable). They do not
// consume quota.
func (s *Server) FailNext(status, n int) { s.faults.FailNext(status, n) }

// MalformedNext makes the next n successful responses carry invalid JSON
// (still compressed). They consume quota as real responses do.
func (s *Server) MalformedNext(n int) { s.faults.MalformedNext(n) }

// TruncateNext makes the next n successful responses carry only the first
// half of their compressed body, like a dropped connection.
func (s *Server) TruncateNext(n int) { s.faults.TruncateNext(n) }

// SlowNext delays the next request by d before answering (or until the
// request's context is done).
func (s *Server) SlowNext(d time.Duration) { s.faults.SlowNext(d) }

// SetBackoff makes every successful response of route (a Route constant)
// carry `backoff: seconds`; calling route again before they passed (on the
// fake's clock) is a throttle_violation. 0 turns it off.
func (s *Server) SetBackoff(route string, seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seconds <= 0 {
		delete(s.backoff, route)
		delete(s.backoffUntil, route)
		return
	}
	s.backoff[route] = seconds
}

// SetQuota sets quota_remaining of both callers (keyed and anonymous) and
// when the quota refills; a zero reset means the next UTC midnight. A reset
// in the past refills it on the next request.
func (s *Server) SetQuota(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reset.IsZero() {
		reset = nextMidnight(s.now())
	}
	for _, q := range []*quota{&s.keyed, &s.anon} {
		q.used = max(0, q.max-remaining)
		q.reset = reset
	}
}

// Exhaust spends the quota of both callers until reset: requests then get
// throttle_violation saying how many seconds remain until reset.
func (s *Server) Exhaust(reset time.Time) { s.SetQuota(0, reset) }

// Quota reports the quota of keyed (or anonymous) callers: quota_max,
// quota_remaining and when it refills.
func (s *Server) Quota(keyed bool) (maximum, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.quotaFor(keyed)
	return q.max, max(0, q.max-q.used), q.reset
}

// ---- request log ----

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request { return s.log.Requests() }

// Count returns the number of requests served since the last ResetLog.
func (s *Server) Count() int { return s.log.Count() }

// Counted returns how many logged requests consumed quota.
func (s *Server) Counted() int { return s.log.Counted() }

// ResetLog empties the request log and its counters (not the quota).
func (s *Server) ResetLog() { s.log.Reset() }

// ---- mutations ----

func sec(t time.Time) time.Time { return t.Truncate(time.Second).UTC() }

func (s *Server) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return sec(s.now())
	}
	return sec(t)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// AddUser adds or replaces a user and returns it with defaults filled in.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.UserID == 0 {
		s.nextUser += 3
		u.UserID = s.nextUser
	}
	if u.AccountID == 0 {
		s.nextAcct += 7
		u.AccountID = s.nextAcct
	}
	if u.DisplayName == "" {
		u.DisplayName = fmt.Sprintf("user%d", u.UserID)
	}
	if u.UserType == "" {
		u.UserType = "registered"
	}
	if u.Link == "" {
		u.Link = fmt.Sprintf("https://%s/users/%d/%s", siteHost(s.site), u.UserID, slug(u.DisplayName))
	}
	if u.ProfileImage == "" {
		u.ProfileImage = fmt.Sprintf("https://www.gravatar.com/avatar/%x?s=256&d=identicon&r=PG", u.AccountID)
	}
	if u.Reputation == 0 {
		u.Reputation = 1
	}
	u.CreationDate = s.stamp(u.CreationDate)
	if _, ok := s.users[u.UserID]; !ok {
		s.userOrder = append(s.userOrder, u.UserID)
	}
	s.users[u.UserID] = &u
	return u
}

// User returns the user with id.
func (s *Server) User(id int64) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakekit.Lookup(s.users, id)
}

// DeleteUser deletes user id: /users/{ids} and /users/{ids}/associated
// leave it out of items, without an error, as the API does for an id it
// does not know. The API documents a deleted owner as a shallow_user with
// user_type does_not_exist only "in some cases"; the fake keeps serving the
// owner of posts made before the deletion as it was, the case in which an
// id seen on a post is then not returned by /users/{ids}.
func (s *Server) DeleteUser(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[id]; !ok {
		return fmt.Errorf("delete user %d: %w", id, ErrNotFound)
	}
	s.goneUsers[id] = true
	return nil
}

// AddAssociated lists a in /users/{ids}/associated for its account id.
func (s *Server) AddAssociated(a Associated) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.UserType == "" {
		a.UserType = "registered"
	}
	a.CreationDate = s.stamp(a.CreationDate)
	s.associated = append(s.associated, a)
}

func (s *Server) needUser(id int64) error {
	if id == 0 {
		return nil
	}
	if _, ok := s.users[id]; !ok {
		return fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return nil
}

// AddQuestion adds a question and returns it with defaults filled in.
func (s *Server) AddQuestion(q Question) (Question, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.needUser(q.OwnerID); err != nil {
		return Question{}, err
	}
	if q.QuestionID == 0 {
		s.nextPost += 2
		q.QuestionID = s.nextPost
	}
	q.Tags = slices.Clone(q.Tags)
	q.CreationDate = s.stamp(q.CreationDate)
	q.LastActivityDate = later(q.CreationDate, sec(q.LastActivityDate))
	if q.Link == "" {
		q.Link = fmt.Sprintf("https://%s/questions/%d/%s", siteHost(s.site), q.QuestionID, slug(q.Title))
	}
	if _, ok := s.questions[q.QuestionID]; !ok {
		s.qOrder = append(s.qOrder, q.QuestionID)
	}
	s.questions[q.QuestionID] = &q
	return q, nil
}

// Question returns the question with id.
func (s *Server) Question(id int64) (Question, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakekit.Lookup(s.questions, id)
}

// AddAnswer adds an answer and bumps its question's last_activity_date. An
// answer with IsAccepted becomes the question's accepted answer.
func (s *Server) AddAnswer(a Answer) (Answer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.questions[a.QuestionID]
	if !ok {
		return Answer{}, fmt.Errorf("question %d: %w", a.QuestionID, ErrNotFound)
	}
	if err := s.needUser(a.OwnerID); err != nil {
		return Answer{}, err
	}
	if a.AnswerID == 0 {
		s.nextPost += 2
		a.AnswerID = s.nextPost
	}
	a.CreationDate = s.stamp(a.CreationDate)
	a.LastActivityDate = later(a.CreationDate, sec(a.LastActivityDate))
	if _, ok := s.answers[a.AnswerID]; !ok {
		s.aOrder = append(s.aOrder, a.AnswerID)
	}
	s.answers[a.AnswerID] = &a
	q.LastActivityDate = later(q.LastActivityDate, a.LastActivityDate)
	if a.IsAccepted {
		s.accept(q, &a)
	}
	return a, nil
}

func (s *Server) accept(q *Question, a *Answer) {
	if old, ok := s.answers[q.AcceptedAnswerID]; ok && old != a {
		old.IsAccepted = false
	}
	a.IsAccepted = true
	q.AcceptedAnswerID = a.AnswerID
}

// AcceptAnswer marks the answer as its question's accepted answer (the
// previous one is no longer accepted) and bumps the question's
// last_activity_date to at (the fake's clock when zero).
func (s *Server) AcceptAnswer(answerID int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.answers[answerID]
	if !ok {
		return fmt.Errorf("answer %d: %w", answerID, ErrNotFound)
	}
	q := s.questions[a.QuestionID]
	s.accept(q, a)
	q.LastActivityDate = later(q.LastActivityDate, s.stamp(at))
	return nil
}

// AddComment adds a comment on a question or an answer and bumps the
// question's last_activity_date.
func (s *Server) AddComment(c Comment) (Comment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.questions[c.PostID]
	if a, ok := s.answers[c.PostID]; ok {
		q = s.questions[a.QuestionID]
	}
	if q == nil {
		return Comment{}, fmt.Errorf("post %d: %w", c.PostID, ErrNotFound)
	}
	if err := s.needUser(c.OwnerID); err != nil {
		return Comment{}, err
	}
	if c.CommentID == 0 {
		s.nextCmt += 5
		c.CommentID = s.nextCmt
	}
	c.CreationDate = s.stamp(c.CreationDate)
	s.comments = append(s.comments, &c)
	q.LastActivityDate = later(q.LastActivityDate, c.CreationDate)
	return c, nil
}

// Touch bumps a question's last_activity_date to at (an edit, say).
func (s *Server) Touch(questionID int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.questions[questionID]
	if !ok {
		return fmt.Errorf("question %d: %w", questionID, ErrNotFound)
	}
	q.LastActivityDate = later(q.LastActivityDate, s.stamp(at))
	return nil
}

// Vote adds delta (+1 an up vote, -1 a down vote) to the score of a
// question or answer. As on the site, a vote does not move
// last_activity_date.
func (s *Server) Vote(postID int64, delta int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.questions[postID]; ok {
		q.Score += delta
		return nil
	}
	if a, ok := s.answers[postID]; ok {
		a.Score += delta
		return nil
	}
	return fmt.Errorf("post %d: %w", postID, ErrNotFound)
}

// siteHost is the web host of an api_site_parameter.
func siteHost(site string) string {
	switch site {
	case "stackoverflow", "superuser", "serverfault", "askubuntu", "stackapps":
		return site + ".com"
	case "mathoverflow":
		return "mathoverflow.net"
	}
	if strings.Contains(site, ".") {
		return site
	}
	return site + ".stackexchange.com"
}

// slug makes the URL slug of a title or name.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
