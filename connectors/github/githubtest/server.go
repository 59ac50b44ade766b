package githubtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// Defaults of the fake's rate limits.
const (
	DefaultLimit                = 5000
	DefaultUnauthenticatedLimit = 60
	DefaultWindow               = time.Hour
)

// TokenExpirationLayout is the time layout of GitHub's
// GitHub-Authentication-Token-Expiration header ("2026-01-02 15:04:05 UTC").
const TokenExpirationLayout = "2006-01-02 15:04:05 MST"

// Option configures a Server in New.
type Option func(*Server)

// WithToken makes the fake require `Authorization: Bearer <token>` (or
// `token <token>`) from authenticated callers: any other credentials get 401
// "Bad credentials". Requests without Authorization are always served, with
// the unauthenticated budget. Without this option any credentials are
// accepted.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithScopes makes the fake answer every authenticated request with
// X-OAuth-Scopes listing scopes, comma-separated, as GitHub does for a
// classic personal access token or OAuth token (an empty list sends the
// header empty: a token without scopes). Without this option the header is
// not sent, as for fine-grained tokens and GitHub App tokens.
func WithScopes(scopes ...string) Option {
	return func(s *Server) { s.scopes = append([]string{}, scopes...); s.hasScopes = true }
}

// WithTokenExpiration makes the fake answer every authenticated request
// with GitHub-Authentication-Token-Expiration: the token's expiry in
// GitHub's format ("2026-01-02 15:04:05 UTC"), as GitHub does for tokens
// that expire. Without it the header is not sent (a token without expiry).
func WithTokenExpiration(t time.Time) Option { return func(s *Server) { s.expires = t } }

// WithNow sets the clock used for rate-limit windows and default timestamps.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRateLimit sets the authenticated budget per window (default 5000).
func WithRateLimit(limit int) Option { return func(s *Server) { s.auth.limit = limit } }

// WithUnauthenticatedLimit sets the budget per window for requests without
// credentials (default 60).
func WithUnauthenticatedLimit(limit int) Option { return func(s *Server) { s.anon.limit = limit } }

// WithWindow sets the length of a rate-limit window (default one hour).
func WithWindow(d time.Duration) Option { return func(s *Server) { s.window = d } }

// ErrNotFound is returned by the Add* methods for an unknown repository,
// user, issue or pull request.
var ErrNotFound = errors.New("githubtest: not found")

// Request is one entry of the request log.
type Request struct {
	Method string
	// Path is the URL path including the /api/v3 prefix.
	Path     string
	RawQuery string
	// Status is the HTTP status answered.
	Status int
	// IfNoneMatch is the If-None-Match header the client sent, if any.
	IfNoneMatch string
	// Authenticated reports whether the request carried credentials.
	Authenticated bool
	// Counted reports whether the request consumed rate-limit budget.
	Counted bool
	// Resource is the rate-limit resource the request counts against:
	// "core" for REST, "graphql" for POST /graphql ("" when refused before
	// any budget applied: bad credentials, the OAuth endpoints).
	Resource string
	// Points is what the request took from its budget: 1 for a counted
	// REST request, the query's cost for GraphQL, 0 when not counted.
	Points int
}

type bucket struct {
	limit int
	used  int
	reset time.Time
}

type repoState struct {
	repo      Repo
	nextNum   int
	issues    []*Issue // by number-1
	comments  []*Comment
	rcomments []*ReviewComment
	reviews   []*Review
	stars     []Star
	forks     []string // keys of fork repos
	releases  []*Release
	commits   []*Commit
}

// Server is the fake GitHub. It implements http.Handler; the zero value is
// not usable, call New.
type Server struct {
	mu    sync.Mutex
	now   func() time.Time
	token string
	// scopes and expires are what the token's responses tell (WithScopes,
	// WithTokenExpiration).
	scopes    []string
	hasScopes bool
	expires   time.Time
	window    time.Duration
	auth      bucket
	anon      bucket
	// gql is the GraphQL budget in points; gqlRefuse, when set, is the
	// status the GraphQL endpoint answers (WithoutGraphQL).
	gql       bucket
	gqlRefuse int

	users    map[string]*User
	byID     map[int64]string // user id → key of users (GraphQL node ids)
	gone     map[string]bool  // keys of users whose profile answers 404 (DeleteUser)
	repos    map[string]*repoState
	repoList []string // keys in insertion order
	nextID   int64

	apps map[string]bool // OAuth apps' client ids: device flow enabled (oauth.go)
	// expiringApps are the GitHub Apps' client ids, whose user tokens
	// expire (WithGitHubApp).
	expiringApps map[string]bool
	devices      map[string]*device     // device-flow requests by device code
	issued       map[string]issuedToken // tokens the device flow issued
	// slowDownN is how many polls answer slow_down (SlowDownNext).
	slowDownN int

	secondary   int // Retry-After seconds; <0 none
	secondaryOn bool
	faults      fakekit.Faults
	chaos       *fakekit.Chaos // nil: no chaos (WithChaos)
	log         fakekit.Log[Request]
}

// New returns an empty fake GitHub.
func New(opts ...Option) *Server {
	s := &Server{
		now:    time.Now,
		window: DefaultWindow,
		auth:   bucket{limit: DefaultLimit},
		anon:   bucket{limit: DefaultUnauthenticatedLimit},
		gql:    bucket{limit: DefaultLimit},
		users:  map[string]*User{},
		byID:   map[int64]string{},
		gone:   map[string]bool{},
		repos:  map[string]*repoState{},
		nextID: 1000,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves s on an httptest server closed when tb's test ends, and returns
// its base URL with a trailing slash, e.g. "http://127.0.0.1:PORT/". Pass it
// to go-github's WithEnterpriseURLs(base, base), which appends /api/v3/.
func (s *Server) Start(tb testing.TB) string {
	tb.Helper()
	return fakekit.Start(tb, s) + "/"
}

// Listen serves s on addr (e.g. "127.0.0.1:0") until shutdown is called, and
// returns the base URL with a trailing slash.
func (s *Server) Listen(addr string) (baseURL string, shutdown func(context.Context) error, err error) {
	u, shutdown, err := fakekit.Listen(addr, s)
	if err != nil {
		return "", nil, fmt.Errorf("githubtest: %w", err)
	}
	return u + "/", shutdown, nil
}

// Transport returns a RoundTripper that serves requests by calling s
// directly, without sockets, so clients can run inside a testing/synctest
// bubble. Any host in the request URL is accepted and used in Link headers.
func (s *Server) Transport() http.RoundTripper { return fakekit.Transport(s) }

// ---- fault knobs ----

// SetToken changes the token the fake accepts (see WithToken), as when a
// token is rotated: the old one gets 401 from now on.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// FailNext makes the next n requests answer status with a GitHub-shaped
// error body. They do not consume budget.
func (s *Server) FailNext(status, n int) { s.faults.FailNext(status, n) }

// SecondaryLimitNext makes the next request answer 403 with Retry-After
// retryAfter seconds and a secondary-rate-limit message.
func (s *Server) SecondaryLimitNext(retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secondaryOn, s.secondary = true, retryAfter
}

// MalformedNext makes the next n successful (200) responses carry invalid
// JSON. They consume budget as real responses do.
func (s *Server) MalformedNext(n int) { s.faults.MalformedNext(n) }

// TruncateNext makes the next n successful (200) responses carry only the
// first half of their body while announcing the full Content-Length, like a
// dropped connection.
func (s *Server) TruncateNext(n int) { s.faults.TruncateNext(n) }

// SlowNext delays the next request by d before answering (or until the
// request's context is done).
func (s *Server) SlowNext(d time.Duration) { s.faults.SlowNext(d) }

// SetRateLimit sets the authenticated budget's remaining requests and reset
// time. A reset in the past starts a fresh window on the next request.
func (s *Server) SetRateLimit(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth.used = max(0, s.auth.limit-remaining)
	s.auth.reset = reset
}

// RateLimit reports the authenticated budget: limit, remaining and reset.
func (s *Server) RateLimit() (limit, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.roll(&s.auth)
	return b.limit, max(0, b.limit-b.used), b.reset
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

// Units returns the rate-limit units the logged requests took, over both
// budgets: Counted for REST, plus each GraphQL query's cost.
func (s *Server) Units() int {
	n := 0
	for _, p := range s.Points() {
		n += p
	}
	return n
}

// Points returns the rate-limit units the logged requests took, by
// resource ("core", "graphql"): a counted REST request is one, a GraphQL
// query its cost.
func (s *Server) Points() map[string]int {
	out := map[string]int{}
	for _, r := range s.log.Requests() {
		if r.Points > 0 {
			out[r.Resource] += r.Points
		}
	}
	return out
}

// ResetLog empties the request log and its counters (not the budget).
func (s *Server) ResetLog() { s.log.Reset() }

// ---- mutations ----

func (s *Server) id() int64 { s.nextID++; return s.nextID }

func (s *Server) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return sec(s.now())
	}
	return sec(t)
}

// AddUser adds or replaces a user, bot or organization and returns it with
// defaults filled in (ID, Type, timestamps).
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addUser(u)
}

func (s *Server) addUser(u User) *User {
	if old, ok := s.users[key(u.Login)]; ok && u.ID == 0 {
		u.ID = old.ID
	}
	if u.ID == 0 {
		u.ID = s.id()
	}
	if u.Type == "" {
		u.Type = TypeUser
	}
	u.CreatedAt = s.stamp(u.CreatedAt)
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	u.UpdatedAt = sec(u.UpdatedAt)
	u.Social = append([]Social(nil), u.Social...)
	p := &u
	s.users[key(u.Login)] = p
	s.byID[u.ID] = key(u.Login)
	return p
}

// User returns the user with login, if known.
func (s *Server) User(login string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakekit.Lookup(s.users, key(login))
}

// AddRepo adds a repository. An unknown owner is created as an
// organization.
func (s *Server) AddRepo(r Repo) (Repo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Owner == "" || r.Name == "" {
		return Repo{}, fmt.Errorf("githubtest: add repo %q: owner and name are required", r.FullName())
	}
	if _, ok := s.repos[key(r.FullName())]; ok {
		return Repo{}, fmt.Errorf("githubtest: add repo %s: already exists", r.FullName())
	}
	return s.addRepo(r).repo, nil
}

func (s *Server) addRepo(r Repo) *repoState {
	if _, ok := s.users[key(r.Owner)]; !ok {
		s.addUser(User{Login: r.Owner, Type: TypeOrganization, CreatedAt: r.CreatedAt})
	}
	if r.ID == 0 {
		r.ID = s.id()
	}
	r.CreatedAt = s.stamp(r.CreatedAt)
	r.UpdatedAt = sec(later(r.CreatedAt, r.UpdatedAt))
	st := &repoState{repo: r}
	k := key(r.FullName())
	s.repos[k] = st
	s.repoList = append(s.repoList, k)
	return st
}

func (s *Server) repo(owner, name string) (*repoState, error) {
	st, ok := s.repos[key(owner+"/"+name)]
	if !ok {
		return nil, fmt.Errorf("%w: repository %s/%s", ErrNotFound, owner, name)
	}
	return st, nil
}

func (s *Server) needUser(login string) error {
	if _, ok := s.users[key(login)]; !ok {
		return fmt.Errorf("%w: user %q", ErrNotFound, login)
	}
	return nil
}

func (st *repoState) issue(n int, pull bool) (*Issue, error) {
	if n < 1 || n > len(st.issues) || (pull && !st.issues[n-1].Pull) {
		return nil, fmt.Errorf("%w: %s#%d", ErrNotFound, st.repo.FullName(), n)
	}
	return st.issues[n-1], nil
}

func (st *repoState) bump(t time.Time) { st.repo.UpdatedAt = later(st.repo.UpdatedAt, t) }

// AddIssue opens an issue (or a pull request when is.Pull is set) in
// owner/repo and returns it with Number, ID and timestamps assigned. A
// closed State without ClosedAt is closed at CreatedAt.
func (s *Server) AddIssue(owner, repo string, is Issue) (Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return Issue{}, err
	}
	if err := s.needUser(is.User); err != nil {
		return Issue{}, err
	}
	st.nextNum++
	is.Number = st.nextNum
	if is.ID == 0 {
		is.ID = s.id()
	}
	is.CreatedAt = s.stamp(is.CreatedAt)
	is.ClosedAt, is.MergedAt = sec(is.ClosedAt), sec(is.MergedAt)
	if !is.MergedAt.IsZero() && is.ClosedAt.IsZero() {
		is.ClosedAt = is.MergedAt
	}
	if is.State == "closed" && is.ClosedAt.IsZero() {
		is.ClosedAt = is.CreatedAt
	}
	if !is.ClosedAt.IsZero() {
		is.State = "closed"
	}
	if is.State == "" {
		is.State = "open"
	}
	is.UpdatedAt = sec(later(later(is.CreatedAt, is.UpdatedAt), is.ClosedAt))
	is.Comments = 0
	p := &is
	st.issues = append(st.issues, p)
	st.bump(is.UpdatedAt)
	return is, nil
}

// AddPull opens a pull request; it is AddIssue with Pull set.
func (s *Server) AddPull(owner, repo string, pr Issue) (Issue, error) {
	pr.Pull = true
	return s.AddIssue(owner, repo, pr)
}

// MergePull merges pull request number at time at (zero: now), closing it
// and bumping its updated_at.
func (s *Server) MergePull(owner, repo string, number int, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return err
	}
	pr, err := st.issue(number, true)
	if err != nil {
		return err
	}
	at = s.stamp(at)
	pr.MergedAt, pr.ClosedAt, pr.State = at, at, "closed"
	pr.UpdatedAt = later(pr.UpdatedAt, at)
	st.bump(at)
	return nil
}

// CloseIssue closes issue or pull request number (unmerged) at time at
// (zero: now).
func (s *Server) CloseIssue(owner, repo string, number int, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return err
	}
	is, err := st.issue(number, false)
	if err != nil {
		return err
	}
	at = s.stamp(at)
	is.ClosedAt, is.State = at, "closed"
	is.UpdatedAt = later(is.UpdatedAt, at)
	st.bump(at)
	return nil
}

// AddComment adds a conversation comment to issue or pull request c.Issue,
// bumping its updated_at and comment count.
func (s *Server) AddComment(owner, repo string, c Comment) (Comment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return Comment{}, err
	}
	is, err := st.issue(c.Issue, false)
	if err != nil {
		return Comment{}, err
	}
	if err := s.needUser(c.User); err != nil {
		return Comment{}, err
	}
	if c.ID == 0 {
		c.ID = s.id()
	}
	c.CreatedAt = s.stamp(c.CreatedAt)
	c.UpdatedAt = sec(later(c.CreatedAt, c.UpdatedAt))
	st.comments = append(st.comments, &c)
	is.Comments++
	is.UpdatedAt = later(is.UpdatedAt, c.UpdatedAt)
	st.bump(c.UpdatedAt)
	return c, nil
}

// Reaction targets for React.
const (
	// ReactIssue reacts to an issue or pull request, by number.
	ReactIssue = "issue"
	// ReactComment reacts to a conversation comment, by id.
	ReactComment = "comment"
	// ReactReviewComment reacts to a diff comment, by id.
	ReactReviewComment = "review_comment"
)

// React adds a reaction (content "+1", "-1", "laugh", "hooray",
// "confused", "heart", "rocket" or "eyes") to an issue or pull request
// (target ReactIssue, id its number) or a comment (ReactComment,
// ReactReviewComment, id the comment id). As on GitHub it does not bump
// updated_at: a since= listing does not bring the item back.
func (s *Server) React(owner, repo, target string, id int64, content string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return err
	}
	if !slices.Contains(reactionContents, content) {
		return fmt.Errorf("githubtest: unknown reaction content %q", content)
	}
	var m *map[string]int
	switch target {
	case ReactIssue:
		is, err := st.issue(int(id), false)
		if err != nil {
			return err
		}
		m = &is.Reactions
	case ReactComment:
		for _, c := range st.comments {
			if c.ID == id {
				m = &c.Reactions
			}
		}
	case ReactReviewComment:
		for _, c := range st.rcomments {
			if c.ID == id {
				m = &c.Reactions
			}
		}
	default:
		return fmt.Errorf("githubtest: unknown reaction target %q", target)
	}
	if m == nil {
		return fmt.Errorf("githubtest: no %s %d in %s/%s", target, id, owner, repo)
	}
	if *m == nil {
		*m = make(map[string]int)
	}
	(*m)[content]++
	return nil
}

// AddReviewComment adds a diff comment to pull request c.Pull, bumping its
// updated_at.
func (s *Server) AddReviewComment(owner, repo string, c ReviewComment) (ReviewComment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return ReviewComment{}, err
	}
	pr, err := st.issue(c.Pull, true)
	if err != nil {
		return ReviewComment{}, err
	}
	if err := s.needUser(c.User); err != nil {
		return ReviewComment{}, err
	}
	if c.ID == 0 {
		c.ID = s.id()
	}
	if c.Path == "" {
		c.Path = "README.md"
	}
	c.CreatedAt = s.stamp(c.CreatedAt)
	c.UpdatedAt = sec(later(c.CreatedAt, c.UpdatedAt))
	st.rcomments = append(st.rcomments, &c)
	pr.UpdatedAt = later(pr.UpdatedAt, c.UpdatedAt)
	st.bump(c.UpdatedAt)
	return c, nil
}

// AddReview adds a review to pull request r.Pull, bumping its updated_at.
func (s *Server) AddReview(owner, repo string, r Review) (Review, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return Review{}, err
	}
	pr, err := st.issue(r.Pull, true)
	if err != nil {
		return Review{}, err
	}
	if err := s.needUser(r.User); err != nil {
		return Review{}, err
	}
	if r.ID == 0 {
		r.ID = s.id()
	}
	if r.State == "" {
		r.State = ReviewCommented
	}
	r.SubmittedAt = s.stamp(r.SubmittedAt)
	st.reviews = append(st.reviews, &r)
	pr.UpdatedAt = later(pr.UpdatedAt, r.SubmittedAt)
	st.bump(r.SubmittedAt)
	return r, nil
}

// AddStar makes login star owner/repo at time at (zero: now). Starring twice
// is a no-op.
func (s *Server) AddStar(owner, repo, login string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return err
	}
	if err := s.needUser(login); err != nil {
		return err
	}
	for _, x := range st.stars {
		if key(x.User) == key(login) {
			return nil
		}
	}
	st.stars = append(st.stars, Star{User: login, StarredAt: s.stamp(at)})
	return nil
}

// RemoveStar makes login unstar owner/repo, as DELETE /user/starred/{owner}/{repo}
// does: the later stars move up the list. Removing a star that is not
// there is a no-op.
func (s *Server) RemoveStar(owner, repo, login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return err
	}
	st.stars = slices.DeleteFunc(st.stars, func(x Star) bool { return key(x.User) == key(login) })
	return nil
}

// AddFork makes forkOwner fork owner/repo at time at (zero: now) and returns
// the new repository, named like the parent (with a -N suffix on a clash).
func (s *Server) AddFork(owner, repo, forkOwner string, at time.Time) (Repo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return Repo{}, err
	}
	if err := s.needUser(forkOwner); err != nil {
		return Repo{}, err
	}
	name := st.repo.Name
	for i := 1; ; i++ {
		if _, clash := s.repos[key(forkOwner+"/"+name)]; !clash {
			break
		}
		name = fmt.Sprintf("%s-%d", st.repo.Name, i)
	}
	at = s.stamp(at)
	f := s.addRepo(Repo{Owner: forkOwner, Name: name, Description: st.repo.Description, Fork: true, Parent: st.repo.FullName(), CreatedAt: at})
	st.forks = append(st.forks, key(f.repo.FullName()))
	return f.repo, nil
}

// AddRelease publishes a release in owner/repo by rel.Author.
func (s *Server) AddRelease(owner, repo string, rel Release) (Release, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return Release{}, err
	}
	if err := s.needUser(rel.Author); err != nil {
		return Release{}, err
	}
	if rel.ID == 0 {
		rel.ID = s.id()
	}
	if rel.Name == "" {
		rel.Name = rel.TagName
	}
	rel.CreatedAt = s.stamp(rel.CreatedAt)
	if rel.PublishedAt.IsZero() {
		rel.PublishedAt = rel.CreatedAt
	}
	rel.PublishedAt = sec(rel.PublishedAt)
	st.releases = append(st.releases, &rel)
	st.bump(rel.PublishedAt)
	return rel, nil
}

// AddCommit adds a commit to owner/repo's default branch. Author and
// Committer, when set, must be known logins.
func (s *Server) AddCommit(owner, repo string, c Commit) (Commit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return Commit{}, err
	}
	for _, l := range []string{c.Author, c.Committer} {
		if l != "" {
			if err := s.needUser(l); err != nil {
				return Commit{}, err
			}
		}
	}
	c.AuthorDate = s.stamp(c.AuthorDate)
	if c.CommitterDate.IsZero() {
		c.CommitterDate = c.AuthorDate
	}
	c.CommitterDate = sec(c.CommitterDate)
	if c.CommitterName == "" && c.CommitterEmail == "" {
		c.CommitterName, c.CommitterEmail = "GitHub", "noreply@github.com"
	}
	c.fillSHA()
	st.commits = append(st.commits, &c)
	st.bump(c.CommitterDate)
	return c, nil
}

// DeleteIssue deletes issue or pull request number of owner/repo: it is
// no longer listed, GET /repos/{owner}/{repo}/issues/{number} answers 410
// Gone (GitHub's "This issue was deleted"), the reviews of a deleted pull
// request answer 404, and its comments stay listed with an issue_url
// pointing at it, as GitHub serves them.
func (s *Server) DeleteIssue(owner, repo string, number int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return err
	}
	is, err := st.issue(number, false)
	if err != nil {
		return err
	}
	is.Deleted = true
	return nil
}

// DeleteUser makes login's profile and social accounts answer 404 (an
// account deleted, or a managed user the token may not see), while the
// items it made keep naming it as they were served before.
func (s *Server) DeleteUser(login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.needUser(login); err != nil {
		return err
	}
	s.gone[key(login)] = true
	return nil
}

// Issues returns a copy of the issues and pull requests of owner/repo, by
// number.
func (s *Server) Issues(owner, repo string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.repo(owner, repo)
	if err != nil {
		return nil
	}
	out := make([]Issue, len(st.issues))
	for i, is := range st.issues {
		out[i] = *is
	}
	return out
}

// Repos returns the repositories owned by owner, in insertion order.
func (s *Server) Repos(owner string) []Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Repo
	for _, k := range s.repoList {
		if st := s.repos[k]; key(st.repo.Owner) == key(owner) {
			out = append(out, st.repo)
		}
	}
	return out
}
