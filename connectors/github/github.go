package github

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
)

//go:embed sample.yaml
var sample string

// Kind registers the GitHub connector (see connectors/all).
var Kind = connectors.Kind{Name: "github", New: New, Sample: sample}

// Settings are the source settings of a github source.
type Settings struct {
	// Token is a personal access token or app token; without one GitHub
	// allows 60 requests an hour.
	Token config.Secret `yaml:"token"`
	// BaseURL is a GitHub Enterprise server or a fake; "/api/v3/" is
	// appended as go-github does. Empty means api.github.com.
	BaseURL string `yaml:"base_url"`
	// Repos are "owner/name" repositories to follow.
	Repos []string `yaml:"repos"`
	// Orgs are organizations whose public repositories are all followed.
	Orgs []string `yaml:"orgs"`
	// Since is where a backfill starts; activity before it is not read.
	Since config.Date `yaml:"since"`
	// Instance names this GitHub in account and activity keys. Empty means
	// the host of base_url ("github.com" without one). Set it when the URL
	// changes but the server does not (the demo's fake on a random port).
	Instance string `yaml:"instance"`
}

const (
	perPage = 100
	// profileTTL is how old a profile may get before it is read again.
	profileTTL = 24 * time.Hour
	// defaultProfilesPerBatch bounds profile reads (2 requests each) per batch.
	defaultProfilesPerBatch = 50
	// defaultStepsPerBatch bounds the pages one Fetch reads.
	defaultStepsPerBatch = 10
	// maxActivitiesPerBatch ends a batch early once it is this big.
	maxActivitiesPerBatch = 1000
)

// Connector reads issues, pull requests, comments, reviews, stars, forks,
// releases, commits and profiles of GitHub repositories. Create it with New.
type Connector struct {
	source   string
	settings Settings
	repos    []string // validated, deduplicated config repos
	tr       translator
	base     string // go-github enterprise base URL, or "" for api.github.com
	client   *connectors.Client
	log      *slog.Logger
	now      func() time.Time
	profiles connectors.ProfileAges
	// objects is the store's per-object memory of this source (nil: kept
	// in the cursor; see connectors.ObjectBuffer).
	objects connectors.ObjectState
	// gql reads profiles in batches; nil without a token (GitHub's
	// GraphQL API needs one).
	gql *graphQL
	// missingTTL is how long a lookup that answered 404 or 410 is not
	// asked again (the source's missing_ttl).
	missingTTL time.Duration

	stepsPerBatch    int
	profilesPerBatch int
}

// New returns a GitHub connector for opts.Source. It validates the settings
// and does no I/O.
func New(opts connectors.Options) (connectors.Connector, error) {
	return newConnector(opts, opts.Sleep)
}

// newConnector is New with an injectable sleep for tests.
func newConnector(opts connectors.Options, sleep func(context.Context, time.Duration) error) (*Connector, error) {
	src := opts.Source
	var s Settings
	if err := config.DecodeSettings(src, &s); err != nil {
		return nil, err
	}
	field := func(name string) string { return fmt.Sprintf("sources[%d].%s", src.Index, name) }
	cfgErr := func(name string, err error) error {
		return &config.Error{File: src.File, Line: src.Line, Field: field(name), Err: err}
	}
	if len(s.Repos) == 0 && len(s.Orgs) == 0 {
		return nil, cfgErr("repos", fmt.Errorf("%w: at least one of repos or orgs", config.ErrMissing))
	}
	seen := map[string]bool{}
	var repos []string
	for _, r := range s.Repos {
		r = strings.TrimSpace(r)
		owner, name, ok := strings.Cut(r, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return nil, cfgErr("repos", fmt.Errorf("%q is not owner/name", r))
		}
		if !seen[strings.ToLower(r)] {
			seen[strings.ToLower(r)] = true
			repos = append(repos, r)
		}
	}
	for _, o := range s.Orgs {
		if strings.TrimSpace(o) == "" || strings.Contains(o, "/") {
			return nil, cfgErr("orgs", fmt.Errorf("%q is not an organization name", o))
		}
	}
	instance, err := instanceOf(s.BaseURL)
	if err != nil {
		return nil, cfgErr("base_url", err)
	}
	if s.Instance != "" {
		if strings.ContainsAny(s.Instance, "/ ") {
			return nil, cfgErr("instance", fmt.Errorf("%q must be a host name, without slashes or spaces", s.Instance))
		}
		instance = strings.ToLower(s.Instance)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	co := connectors.ClientOptions{
		Source:  src.Name,
		Base:    opts.HTTP,
		Logger:  log,
		Now:     now,
		Sleep:   sleep,
		Version: opts.Version,
		Timeout: opts.HTTPTimeout,
		Waits:   opts.Waits,
	}
	if s.Token.IsZero() {
		log.Warn("no token: GitHub allows 60 requests/hour")
	} else {
		// A token from a credential file is re-read when the file changes.
		co.Token = connectors.NewTokenSource(s.Token, log)
	}
	c := &Connector{
		source:           src.Name,
		settings:         s,
		repos:            repos,
		tr:               translator{instance: instance},
		client:           connectors.NewClient(co),
		log:              log,
		now:              now,
		profiles:         opts.Profiles,
		objects:          opts.Objects,
		missingTTL:       src.MissingTTL,
		stepsPerBatch:    defaultStepsPerBatch,
		profilesPerBatch: defaultProfilesPerBatch,
	}
	if s.BaseURL != "" && !isPublicGitHub(s.BaseURL) {
		c.base = s.BaseURL
	}
	if !s.Token.IsZero() {
		c.gql = newGraphQL(c.client, c.base)
	}
	return c, nil
}

// Client returns the connector's HTTP client, for rate-limit metrics.
func (c *Connector) Client() *connectors.Client { return c.client }

// newGitHub returns a go-github client on the shared client's Transport
// (conditional requests, rate limits, retries; a 304 reaches go-github as
// a 200 with the body null, see notModified). A fresh one per Fetch:
// go-github v60 refuses calls locally once it has seen an exhausted budget
// and does not export its bypass key, so its memory is kept short and our
// client decides.
func (c *Connector) newGitHub() (*github.Client, error) {
	gh := github.NewClient(c.client.LibraryClient())
	if c.base != "" {
		return gh.WithEnterpriseURLs(c.base, c.base)
	}
	return gh, nil
}

// Streams of one repository, in the order a pass reads them.
const (
	streamIssues = iota
	streamComments
	streamReviewComments
	streamReviews
	streamStars
	streamForks
	streamReleases
	streamCommits
	// streamRefresh re-reads the newest page of issues, of comments and of
	// review comments for their reaction counts (see stepRefresh).
	streamRefresh
	numStreams
)

var streamNames = [numStreams]string{"issues", "issue comments", "review comments", "reviews", "stargazers", "forks", "releases", "commits", "reaction refresh"}

// state is Cursor.State, JSON. A pass lists the organizations' repositories
// (Listed), then reads every stream of every repository in order (Repo,
// Stream, Page), then finishes queued profile reads. Marks survive passes;
// the other position fields are reset when a pass completes. It holds
// watermarks and positions only, O(repositories) whatever their size:
// what the connector remembers per object is in its per-object memory
// (see objectKeys), and which URLs a pass asked for is in the ETags.
//
//	{
//	  "v": 1,
//	  "pass": 7,                  // passes completed
//	  "org": 0, "listed": true, "repos": ["o/r", ...],  // pass's repositories
//	  "repo": 0, "stream": 2, "page": 3,                // position
//	  "top": "...",               // newest item seen by the current newest-first walk
//	  "marks": {"o/r": {          // per repository, kept across passes
//	    "issues": "...", "comments": "...", "review_comments": "...",  // newest updated_at committed
//	    "forks": "...", "releases": "...", "commits": "...",            // newest created_at / committer date
//	    "star_page": 4, "star_full": false,    // last stargazer page with items
//	    "stars": "...",                        // newest starred_at read
//	  }},
//	  "objects": {...}            // per-object memory, only without a store
//	}
//
// A cursor written before the per-object memory also holds "issues" (the
// current repository's issues), "profiles" (queued profile reads),
// "profiled" (user ids read this pass), "touched" (URLs asked for this
// pass) and, in marks, "prs" (pull requests whose reviews are to read);
// Fetch moves them into the memory (and the ETags) on first use.
type state struct {
	V      int               `json:"v"`
	Pass   int               `json:"pass,omitempty"`
	Org    int               `json:"org,omitempty"`
	Listed bool              `json:"listed,omitempty"`
	Repos  []string          `json:"repos,omitempty"`
	Repo   int               `json:"repo,omitempty"`
	Stream int               `json:"stream,omitempty"`
	Page   int               `json:"page,omitempty"`
	Top    time.Time         `json:"top,omitzero"`
	Marks  map[string]*marks `json:"marks,omitempty"`
	// Issues, Profiles, Profiled and Touched are only in cursors written
	// before the per-object memory (see migrateState).
	Issues   map[int]issueRef `json:"issues,omitempty"`
	Profiles []profileReq     `json:"profiles,omitempty"`
	Profiled []int64          `json:"profiled,omitempty"`
	Touched  []string         `json:"touched,omitempty"`
	// OrgPages keeps each organization listing page ("org#page") from the
	// last pass, so that a 304 on it costs nothing and needs no re-read.
	OrgPages map[string]orgPage `json:"org_pages,omitempty"`
	// Objects is the per-object memory when the connector has no store
	// (connectors.Options.Objects nil).
	Objects map[string]json.RawMessage `json:"objects,omitempty"`
}

// orgPage is one page of an organization's repository listing.
type orgPage struct {
	Names []string `json:"names,omitempty"`
	More  bool     `json:"more,omitempty"`
	// At, on a listing's first page, is when the listing was last asked
	// (see reposEvery).
	At time.Time `json:"at,omitzero"`
}

// reposEvery is how often an organization's repository listing is asked
// again. Its pages change with every repository's counts and times (a new
// issue, a star, a push), so asking on every pass would cost a request on
// nearly every pass of a busy organization, for a new repository that
// shows within the hour all the same.
const reposEvery = time.Hour

// listedRepos returns the repositories of org from its listing of less
// than reposEvery ago, kept in OrgPages, if every page of it is there.
func (st *state) listedRepos(org string, now time.Time) ([]string, bool) {
	k := strings.ToLower(org) + "#"
	p, ok := st.OrgPages[k+"1"]
	if !ok || p.At.IsZero() || now.Sub(p.At) >= reposEvery || p.At.After(now) {
		return nil, false
	}
	names := slices.Clone(p.Names)
	for n := 2; p.More; n++ {
		if p, ok = st.OrgPages[k+strconv.Itoa(n)]; !ok {
			return nil, false
		}
		names = append(names, p.Names...)
	}
	return names, true
}

type marks struct {
	Issues         time.Time `json:"issues,omitzero"`
	Comments       time.Time `json:"comments,omitzero"`
	ReviewComments time.Time `json:"review_comments,omitzero"`
	Forks          time.Time `json:"forks,omitzero"`
	Releases       time.Time `json:"releases,omitzero"`
	Commits        time.Time `json:"commits,omitzero"`
	// IssuesSeen, CommentsSeen and ReviewCommentsSeen are the newest
	// updated_at read from a listing whose since watermark was kept (see
	// advanceSince); zero when the watermark is the newest read.
	IssuesSeen         time.Time `json:"issues_seen,omitzero"`
	CommentsSeen       time.Time `json:"comments_seen,omitzero"`
	ReviewCommentsSeen time.Time `json:"review_comments_seen,omitzero"`
	StarPage           int       `json:"star_page,omitempty"`
	StarFull           bool      `json:"star_full,omitempty"`
	// Stars is the newest starred_at read (see stepStars).
	Stars time.Time `json:"stars,omitzero"`
	// Refreshed is when the reaction refresh last read the repository's
	// newest pages (see stepRefresh).
	Refreshed time.Time `json:"refreshed,omitzero"`
	// PRs is only in cursors written before the per-object memory.
	PRs []prRef `json:"prs,omitempty"`
}

type prRef struct {
	Number int    `json:"n"`
	ID     int64  `json:"id"`
	Title  string `json:"title,omitempty"`
}

type profileReq struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	// Node is the account's GraphQL node id from the REST payload that
	// named it ("" in cursors written before GraphQL profile reads).
	Node string `json:"node,omitempty"`
}

func (c *Connector) decodeState(raw json.RawMessage) (*state, error) {
	st := &state{V: 1}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, st); err != nil {
			return nil, fmt.Errorf("github: decode cursor: %w", err)
		}
	}
	if st.Marks == nil {
		st.Marks = map[string]*marks{}
	}
	return st, nil
}

// marksFor returns the marks of repo, created at the configured since.
func (c *Connector) marksFor(st *state, repo string) *marks {
	k := strings.ToLower(repo)
	m := st.Marks[k]
	if m == nil {
		s := c.settings.Since.Time.UTC()
		m = &marks{Issues: s, Comments: s, ReviewComments: s, Forks: s, Releases: s, Commits: s}
		st.Marks[k] = m
	}
	return m
}

func (st *state) passDone() bool { return st.Listed && st.Repo >= len(st.Repos) }

// builder collects one batch.
type builder struct {
	accounts   []connectors.Account
	index      map[string]int
	activities []connectors.Activity
	evidence   []connectors.Evidence
	since      time.Time
	// skipped counts items left out because the response named no author
	// or no id for them (see addActivity).
	skipped int
	// objs is the per-object memory; its writes leave with the batch.
	objs *connectors.ObjectBuffer
	// nodes are the GraphQL node ids of the batch's accounts, by user id.
	nodes map[int64]string
}

// noteNode keeps the node id of u for a GraphQL profile read.
func (b *builder) noteNode(u *github.User) {
	if u.GetID() == 0 || u.GetNodeID() == "" {
		return
	}
	if b.nodes == nil {
		b.nodes = map[int64]string{}
	}
	b.nodes[u.GetID()] = u.GetNodeID()
}

func (b *builder) addAccount(a connectors.Account) {
	if a.IsZero() {
		return
	}
	k := a.AccountRef.String()
	if i, ok := b.index[k]; ok {
		// A full profile wins over a reference; staff seen on any item
		// of the batch stays.
		staff := a.Staff || b.accounts[i].Staff
		if !a.ProfileFetchedAt.IsZero() || b.accounts[i].ProfileFetchedAt.IsZero() {
			b.accounts[i] = a
		}
		b.accounts[i].Staff = staff
		return
	}
	b.index[k] = len(b.accounts)
	b.accounts = append(b.accounts, a)
}

func (b *builder) addUser(tr translator, u *github.User) {
	if a, ok := tr.account(u); ok {
		b.noteNode(u)
		b.addAccount(a)
	}
}

// addActivity keeps activities at or after the configured since. An
// activity without an actor (a commit whose author GitHub did not link and
// which carries no e-mail, an item whose user is null), without an id
// (the response lacked it) or without a time (a stargazer without
// starred_at) is left out and counted: the store rejects a batch holding
// one whole, and an item without an id would share its key with every
// other such item.
func (b *builder) addActivity(a connectors.Activity) bool {
	if a.Actor.IsZero() || !hasID(a.Key) || a.OccurredAt.IsZero() {
		b.skipped++
		return false
	}
	if !b.since.IsZero() && a.OccurredAt.Before(b.since) {
		return false
	}
	b.activities = append(b.activities, a)
	return true
}

// hasID reports whether an activity key "github/instance/type/id" has an
// id: not empty, not "0" (an absent numeric id), not a repository prefix
// without the item's part ("owner/name@" of a commit without a SHA).
func hasID(key string) bool {
	parts := strings.SplitN(key, "/", 4)
	if len(parts) != 4 {
		return false
	}
	id := parts[3]
	return id != "" && id != "0" && !strings.HasSuffix(id, "/") && !strings.HasSuffix(id, "@")
}

// Fetch reads the next few pages after cur and returns them as one batch.
// The batch's cursor resumes exactly after them; Done is set when a pass
// over every repository and stream is complete.
func (c *Connector) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	st, err := c.decodeState(cur.State)
	if err != nil {
		return connectors.Batch{}, err
	}
	etags := connectors.NewETagSet(cur.ETags)
	ctx = connectors.WithETags(ctx, etags)
	missing := connectors.NewMissingSet(cur.Missing, c.missingTTL, c.now)
	ctx = connectors.WithMissing(ctx, missing)
	gh, err := c.newGitHub()
	if err != nil {
		return connectors.Batch{}, fmt.Errorf("github: %w", err)
	}
	objs := connectors.NewObjectBuffer(c.objects, c.source, st.Objects)
	touchedBefore, err := migrateState(st, objs)
	if err != nil {
		return connectors.Batch{}, err
	}
	b := &builder{index: map[string]int{}, since: c.settings.Since.Time, objs: objs}
	c.client.TakeStats()
	for steps := 0; steps < c.stepsPerBatch && !st.passDone() && len(b.activities) < maxActivitiesPerBatch; steps++ {
		if err := c.step(ctx, gh, st, b); err != nil {
			return connectors.Batch{}, err
		}
	}
	if err := c.readProfiles(ctx, gh, st, b); err != nil {
		return connectors.Batch{}, err
	}
	if b.skipped > 0 {
		c.log.Warn("github: items left out: the response named no author, no id or no time for them", "count", b.skipped)
		for range b.skipped {
			c.client.CountSkipped()
		}
	}
	queued, err := c.profilesQueued(ctx, b)
	if err != nil {
		return connectors.Batch{}, err
	}
	// Profiles that wait for the graphql budget do not hold the pass
	// back: they stay queued into the next one.
	done := st.passDone() && (!queued || c.graphQLPaused())

	tags := etags.EndPass(st.Pass, touchedBefore, done)
	if done {
		*st = state{V: 1, Pass: st.Pass + 1, Marks: st.Marks, OrgPages: st.OrgPages}
	}
	st.Objects = objs.Embedded()
	raw, err := json.Marshal(st)
	if err != nil {
		return connectors.Batch{}, fmt.Errorf("github: encode cursor: %w", err)
	}
	return connectors.Batch{
		Accounts:   b.accounts,
		Activities: b.activities,
		Evidence:   b.evidence,
		Objects:    objs.Writes(),
		Next:       connectors.Cursor{State: raw, ETags: tags, Missing: missing.Map()},
		Done:       done,
		Stats:      c.client.TakeStats(),
	}, nil
}

// step reads one page (or one PR's reviews) and moves the position on.
func (c *Connector) step(ctx context.Context, gh *github.Client, st *state, b *builder) error {
	if !st.Listed {
		return c.stepOrgs(ctx, gh, st, b)
	}
	repo := st.Repos[st.Repo]
	owner, name, _ := strings.Cut(repo, "/")
	if st.Stream == streamIssues && st.Page == 0 && c.client.SkipKnownMissing(ctx, repoKey(repo)) {
		st.Repo++ // not found in an earlier pass: none of its streams is asked
		return nil
	}
	m := c.marksFor(st, repo)
	var (
		done bool
		err  error
	)
	switch st.Stream {
	case streamIssues:
		done, err = c.stepIssues(ctx, gh, st, m, owner, name, b)
	case streamComments:
		done, err = c.stepComments(ctx, gh, st, m, owner, name, b)
	case streamReviewComments:
		done, err = c.stepReviewComments(ctx, gh, st, m, owner, name, b)
	case streamReviews:
		done, err = c.stepReviews(ctx, gh, owner, name, b)
	case streamStars:
		done, err = c.stepStars(ctx, gh, st, m, owner, name, b)
	case streamForks:
		done, err = c.stepForks(ctx, gh, st, m, owner, name, b)
	case streamReleases:
		done, err = c.stepReleases(ctx, gh, st, m, owner, name, b)
	case streamCommits:
		done, err = c.stepCommits(ctx, gh, st, m, owner, name, b)
	case streamRefresh:
		done, err = c.stepRefresh(ctx, gh, st, m, owner, name, b)
	default:
		done = true
	}
	if err != nil {
		code := notFoundStatus(err)
		if code == 0 {
			return err
		}
		// The repository is gone (or the token may not see it): skip its
		// other streams, and the whole of it until the memory expires.
		c.log.Warn("github: repository not found, skipping it", "repo", repo, "stream", streamNames[st.Stream])
		c.client.RememberMissing(ctx, repoKey(repo), code)
		st.Stream, done = numStreams-1, true
	}
	if done {
		st.Stream++
		st.Page = 0
		st.Top = time.Time{}
		if st.Stream >= numStreams {
			st.Stream = 0
			st.Repo++
		}
	}
	return nil
}

// stepOrgs reads one page of an organization's public repositories; when
// every organization is listed the pass's repository list is complete.
func (c *Connector) stepOrgs(ctx context.Context, gh *github.Client, st *state, b *builder) error {
	if st.Org >= len(c.settings.Orgs) {
		seen := map[string]bool{}
		var repos []string
		for _, r := range append(slices.Clone(c.repos), st.Repos...) {
			if k := strings.ToLower(r); !seen[k] {
				seen[k] = true
				repos = append(repos, r)
			}
		}
		st.Repos, st.Listed, st.Org, st.Page = repos, true, 0, 0
		return nil
	}
	org := c.settings.Orgs[st.Org]
	if st.Page <= 1 && c.client.SkipKnownMissing(ctx, orgKey(org)) {
		st.Org++
		st.Page = 0
		return nil
	}
	now := c.now()
	if st.Page <= 1 {
		if names, ok := st.listedRepos(org, now); ok {
			st.Repos = append(st.Repos, names...)
			st.Org++
			st.Page = 0
			return nil
		}
	}
	page := max(st.Page, 1)
	list, resp, err := gh.Repositories.ListByOrg(ctx, org, &github.RepositoryListByOrgOptions{
		Type: "public", Sort: "full_name", ListOptions: github.ListOptions{Page: page, PerPage: perPage},
	})
	key := strings.ToLower(org) + "#" + strconv.Itoa(page)
	if notModified(resp) {
		if prev, ok := st.OrgPages[key]; ok {
			// Unchanged since the last pass: reuse its page (a 304
			// carries no Link header, so the page remembers if more follow).
			st.Repos = append(st.Repos, prev.Names...)
			if page == 1 {
				prev.At = now
				st.OrgPages[key] = prev
			}
			if prev.More {
				st.Page = page + 1
			} else {
				st.Org++
				st.Page = 0
			}
			return nil
		}
		// The cursor lost the page: read it again without the ETag.
		list, resp, err = gh.Repositories.ListByOrg(connectors.WithETags(ctx, nil), org, &github.RepositoryListByOrgOptions{
			Type: "public", Sort: "full_name", ListOptions: github.ListOptions{Page: page, PerPage: perPage},
		})
	}
	if err != nil {
		if code := notFoundStatus(err); code != 0 {
			c.log.Warn("github: organization not found, skipping", "org", org)
			c.client.RememberMissing(ctx, orgKey(org), code)
			st.Org++
			st.Page = 0
			return nil
		}
		return c.wrap(fmt.Sprintf("list repositories of %s", org), resp, err)
	}
	var names []string
	for _, r := range list {
		if r.GetPrivate() || r.GetFullName() == "" {
			continue
		}
		names = append(names, r.GetFullName())
	}
	st.Repos = append(st.Repos, names...)
	if st.OrgPages == nil {
		st.OrgPages = map[string]orgPage{}
	}
	p := orgPage{Names: names, More: resp.NextPage != 0}
	if page == 1 {
		p.At = now
	}
	st.OrgPages[key] = p
	if resp.NextPage != 0 {
		st.Page = resp.NextPage
	} else {
		st.Org++
		st.Page = 0
	}
	return nil
}

// keepSinceMost is how many items the first page of a `since` listing
// may hold, when it is the listing's last, for its watermark to be kept
// (see advanceSince): any page that is not full. The next change reads
// those o items again beside its k new ones, in ceil((o+k)/perPage)
// requests: at most one more than the k alone need, and that with a
// chance of about o/perPage, below the one request that asking again from
// the newest item costs every time. The items read again cost nothing
// more: they are skipped (unread).
const keepSinceMost = perPage - 1

// advanceSince moves an ascending `since` listing on after one page with n
// items whose newest updated_at is newest, and reports whether the stream is
// done for this pass. Each pass ends on a request that the next pass
// repeats verbatim, so that it gets a free 304 when nothing changed:
//   - a first page that is the listing's last and holds at most
//     keepSinceMost items keeps the watermark w, and newest goes into seen
//     (what was read; items updated before it are skipped when read
//     again, see unread), or final when it is later: the time before
//     which the read saw every change (see finalBefore). The pass is done
//     without another request;
//   - any other page that moved the watermark asks the listing again
//     from the new watermark;
//   - a full page entirely at the watermark follows the next page, to
//     avoid asking for the same page forever.
func advanceSince(w, seen *time.Time, page *int, n int, newest, final time.Time, next int) bool {
	switch {
	case n == 0:
		*page = 0
		return true
	case *page == 0 && next == 0 && n <= keepSinceMost:
		s := newest
		if final.After(s) {
			s = final
		}
		if s.After(*seen) && s.After(*w) {
			*seen = s
		}
		return true
	case newest.After(*w):
		*w = newest
		if !seen.After(newest) {
			*seen = time.Time{}
		}
		*page = 0
		return false
	case next != 0:
		*page = next
		return false
	default:
		*page = 0
		return true
	}
}

// finalBefore is the time before which the whole of a listing's answer is
// final: the server's Date, less sealAfter. An item updated after the
// answer was made has a later updated_at, so one read updated before it
// cannot have changed since, even in the second of its updated_at. Zero
// without a Date.
func finalBefore(resp *github.Response) time.Time {
	if resp == nil || resp.Response == nil {
		return time.Time{}
	}
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return d.UTC().Add(-sealAfter)
}

// sealAfter is how long after an item's updated_at a listing must have
// been answered for the item to be taken as final (finalBefore): a margin
// for the clocks of GitHub's own servers and for a change that a lagging
// database replica shows late. Within it, the newest items read are read
// again beside the next change, as they always were; past it (the common
// case of a listing whose newest item is older than a minute) they are not.
const sealAfter = time.Minute

// readTo is how far a `since` listing has been read: its watermark w, or
// the newest item read past it (advanceSince).
func readTo(w, seen time.Time) time.Time {
	if seen.After(w) {
		return seen
	}
	return w
}

// unread returns the newest updated_at of a `since` listing's page, and
// its items not read already by an earlier read of the same kept listing:
// those updated before seen are left out. One updated in the same second
// as seen may have changed after that read (when seen is the newest item
// read, not the read's finalBefore), and is kept.
func unread[T any](list []T, updated func(T) github.Timestamp, seen time.Time) (fresh []T, newest time.Time) {
	fresh = list[:0:0]
	for _, x := range list {
		t := updated(x).Time
		if t.After(newest) {
			newest = t
		}
		if !t.Before(seen) {
			fresh = append(fresh, x)
		}
	}
	return fresh, newest.UTC()
}

func (c *Connector) stepIssues(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	list, resp, err := gh.Issues.ListByRepo(ctx, owner, name, &github.IssueListByRepoOptions{
		State: "all", Sort: "updated", Direction: "asc", Since: m.Issues,
		ListOptions: github.ListOptions{Page: st.Page, PerPage: perPage},
	})
	if notModified(resp) {
		st.Page = 0
		return true, nil
	}
	if err != nil {
		return false, c.wrap("list issues of "+repo, resp, err)
	}
	fresh, newest := unread(list, (*github.Issue).GetUpdatedAt, m.IssuesSeen)
	for _, is := range fresh {
		ref := issueRef{ID: is.GetID(), PR: is.IsPullRequest(), Title: is.GetTitle()}
		if err := b.objs.Put(issueObject(repo, is.GetNumber()), ref); err != nil {
			return false, fmt.Errorf("github: remember issue %s#%d: %w", repo, is.GetNumber(), err)
		}
		for _, a := range c.tr.issue(repo, is) {
			if b.addActivity(a) {
				b.addAuthor(c.tr, is.GetUser(), is.GetAuthorAssociation())
			}
		}
		if ref.PR {
			// Its reviews are read by this pass's reviews stream.
			if err := b.objs.Put(reviewObject(repo, is.GetNumber()), prRef{Number: is.GetNumber(), ID: is.GetID(), Title: is.GetTitle()}); err != nil {
				return false, fmt.Errorf("github: queue reviews of %s#%d: %w", repo, is.GetNumber(), err)
			}
		}
	}
	return advanceSince(&m.Issues, &m.IssuesSeen, &st.Page, len(list), newest, finalBefore(resp), resp.NextPage), nil
}

// issueKey is the MissingSet key of issue or pull request n of owner/name.
func issueKey(owner, name string, n int) string {
	return strings.ToLower("issue:" + owner + "/" + name + "#" + strconv.Itoa(n))
}

// parent finds the issue or pull request number n of repo: from the
// per-object memory (every issue listed so far), else by reading it
// (without ETag, as a 304 would carry no body).
// One that answers 404 or 410 (deleted, transferred away, hidden, or an
// issue id in an old issue_url) is nil, and is remembered so that it is not
// asked again before the memory expires.
func (c *Connector) parent(ctx context.Context, gh *github.Client, b *builder, owner, name string, n int) (*issueRef, error) {
	if n == 0 {
		return nil, nil
	}
	if r, ok, err := knownIssue(ctx, b, owner+"/"+name, n); err != nil || ok {
		return r, err
	}
	key := issueKey(owner, name, n)
	if c.client.SkipKnownMissing(ctx, key) {
		return nil, nil
	}
	is, resp, err := gh.Issues.Get(connectors.WithETags(ctx, nil), owner, name, n)
	if err != nil {
		if code := notFoundStatus(err); code != 0 {
			c.client.RememberMissing(ctx, key, code)
			return nil, nil
		}
		return nil, c.wrap(fmt.Sprintf("get issue %s/%s#%d", owner, name, n), resp, err)
	}
	r := issueRef{ID: is.GetID(), PR: is.IsPullRequest(), Title: is.GetTitle()}
	if err := b.objs.Put(issueObject(owner+"/"+name, n), r); err != nil {
		return nil, fmt.Errorf("github: remember issue %s/%s#%d: %w", owner, name, n, err)
	}
	return &r, nil
}

func (c *Connector) stepComments(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	sortBy, dir := "updated", "asc"
	opts := &github.IssueListCommentsOptions{Sort: &sortBy, Direction: &dir, ListOptions: github.ListOptions{Page: st.Page, PerPage: perPage}}
	if !m.Comments.IsZero() {
		since := m.Comments
		opts.Since = &since
	}
	list, resp, err := gh.Issues.ListComments(ctx, owner, name, 0, opts)
	if notModified(resp) {
		st.Page = 0
		return true, nil
	}
	if err != nil {
		return false, c.wrap("list issue comments of "+repo, resp, err)
	}
	fresh, newest := unread(list, (*github.IssueComment).GetUpdatedAt, m.CommentsSeen)
	if err := loadIssues(ctx, b, repo, fresh, (*github.IssueComment).GetIssueURL); err != nil {
		return false, err
	}
	for _, cm := range fresh {
		p, err := c.parent(ctx, gh, b, owner, name, issueNumber(cm.GetIssueURL()))
		if err != nil {
			return false, err
		}
		if b.addActivity(c.tr.comment(repo, cm, p)) {
			b.addAuthor(c.tr, cm.GetUser(), cm.GetAuthorAssociation())
		}
	}
	return advanceSince(&m.Comments, &m.CommentsSeen, &st.Page, len(list), newest, finalBefore(resp), resp.NextPage), nil
}

func (c *Connector) stepReviewComments(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	list, resp, err := gh.PullRequests.ListComments(ctx, owner, name, 0, &github.PullRequestListCommentsOptions{
		Sort: "updated", Direction: "asc", Since: m.ReviewComments,
		ListOptions: github.ListOptions{Page: st.Page, PerPage: perPage},
	})
	if notModified(resp) {
		st.Page = 0
		return true, nil
	}
	if err != nil {
		return false, c.wrap("list review comments of "+repo, resp, err)
	}
	fresh, newest := unread(list, (*github.PullRequestComment).GetUpdatedAt, m.ReviewCommentsSeen)
	if err := loadIssues(ctx, b, repo, fresh, (*github.PullRequestComment).GetPullRequestURL); err != nil {
		return false, err
	}
	for _, cm := range fresh {
		p, err := c.parent(ctx, gh, b, owner, name, issueNumber(cm.GetPullRequestURL()))
		if err != nil {
			return false, err
		}
		if b.addActivity(c.tr.reviewComment(repo, cm, p)) {
			b.addAuthor(c.tr, cm.GetUser(), cm.GetAuthorAssociation())
		}
	}
	return advanceSince(&m.ReviewComments, &m.ReviewCommentsSeen, &st.Page, len(list), newest, finalBefore(resp), resp.NextPage), nil
}

// Sub-steps of streamRefresh, in st.Page.
const (
	refreshIssues = iota
	refreshComments
	refreshReviewComments
	numRefresh
)

// stepRefresh re-reads, newest first by creation, the first page
// (perPage items) of one of a repository's issue (with pull request),
// comment and review comment listings, for their reaction summaries: on
// GitHub a reaction does not bump updated_at, so the since= listings never
// bring a reacted-to item back. The look-back is thus the perPage newest
// issues and pull requests, comments and review comments of each
// repository, refreshed at most once every reactionsEvery (the first pass
// reads them too, so that later refreshes of unchanged pages are
// conditional requests answered by a free 304). Only items the since=
// listings have already read (updated at or before how far they were
// read, readTo) are emitted: the store then only updates their counts. A
// comment whose issue this pass did not read keeps the issue-number
// parent key (its stored row keeps the parent it was stored with).
func (c *Connector) stepRefresh(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	first := github.ListOptions{Page: 1, PerPage: perPage}
	parent := func(n int) (*issueRef, error) {
		r, _, err := knownIssue(ctx, b, repo, n)
		return r, err
	}
	if st.Page == refreshIssues && !m.Refreshed.IsZero() {
		if now := c.now(); now.Sub(m.Refreshed) < reactionsEvery && !now.Before(m.Refreshed) {
			return true, nil
		}
	}
	switch st.Page {
	case refreshIssues:
		list, resp, err := gh.Issues.ListByRepo(ctx, owner, name, &github.IssueListByRepoOptions{
			State: "all", Sort: "created", Direction: "desc", ListOptions: first,
		})
		if err != nil && !notModified(resp) {
			return false, c.wrap("refresh issues of "+repo, resp, err)
		}
		for _, is := range list {
			if is.GetUpdatedAt().After(readTo(m.Issues, m.IssuesSeen)) {
				continue
			}
			if err := b.objs.Put(issueObject(repo, is.GetNumber()), issueRef{ID: is.GetID(), PR: is.IsPullRequest(), Title: is.GetTitle()}); err != nil {
				return false, fmt.Errorf("github: remember issue %s#%d: %w", repo, is.GetNumber(), err)
			}
			for _, a := range c.tr.issue(repo, is) {
				b.addActivity(a)
			}
		}
	case refreshComments:
		sortBy, dir := "created", "desc"
		list, resp, err := gh.Issues.ListComments(ctx, owner, name, 0, &github.IssueListCommentsOptions{Sort: &sortBy, Direction: &dir, ListOptions: first})
		if err != nil && !notModified(resp) {
			return false, c.wrap("refresh issue comments of "+repo, resp, err)
		}
		if err := loadIssues(ctx, b, repo, list, (*github.IssueComment).GetIssueURL); err != nil {
			return false, err
		}
		for _, cm := range list {
			if cm.GetUpdatedAt().After(readTo(m.Comments, m.CommentsSeen)) {
				continue
			}
			p, err := parent(issueNumber(cm.GetIssueURL()))
			if err != nil {
				return false, err
			}
			b.addActivity(c.tr.comment(repo, cm, p))
		}
	case refreshReviewComments:
		list, resp, err := gh.PullRequests.ListComments(ctx, owner, name, 0, &github.PullRequestListCommentsOptions{
			Sort: "created", Direction: "desc", ListOptions: first,
		})
		if err != nil && !notModified(resp) {
			return false, c.wrap("refresh review comments of "+repo, resp, err)
		}
		if err := loadIssues(ctx, b, repo, list, (*github.PullRequestComment).GetPullRequestURL); err != nil {
			return false, err
		}
		for _, cm := range list {
			if cm.GetUpdatedAt().After(readTo(m.ReviewComments, m.ReviewCommentsSeen)) {
				continue
			}
			p, err := parent(issueNumber(cm.GetPullRequestURL()))
			if err != nil {
				return false, err
			}
			b.addActivity(c.tr.reviewComment(repo, cm, p))
		}
	}
	st.Page++
	if st.Page >= numRefresh {
		m.Refreshed = c.now()
		return true, nil
	}
	return false, nil
}

// reactionsEvery is how often the reaction refresh re-reads a
// repository's newest pages: reactions do not move updated_at, and a
// count an hour old is fresh enough for the champions and health
// figures, so not on every pass (three requests per repository).
const reactionsEvery = time.Hour

// stepReviews reads the reviews of the pull requests queued by the issues
// stream (in the per-object memory, by number): up to graphQLBatch of them
// in one GraphQL query where GraphQL serves this source (reviewsGraphQL),
// else every page of the first one through REST.
func (c *Connector) stepReviews(ctx context.Context, gh *github.Client, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	prefix := reviewPrefix(repo)
	keys, prs, err := queuedReviews(ctx, b, repo, graphQLBatch)
	if err != nil || len(prs) == 0 {
		return true, err
	}
	n := 0
	if c.gql != nil && c.gql.available(c.now()) && !c.graphQLPaused() {
		var err error
		n, err = c.reviewsGraphQL(ctx, gh, prs, owner, name, b)
		var rl *connectors.ErrRateLimited
		switch {
		case err == nil:
		case errors.As(err, &rl) && rl.Resource == graphQLResource:
			// REST reads the reviews while GraphQL waits for its budget.
		case errors.Is(err, errRefused):
			c.log.Warn("github: GraphQL refused, reading reviews through REST", "error", err, "retry_after", refusalTTL)
			c.gql.refuse(c.now().Add(refusalTTL))
		default:
			return false, err
		}
	}
	if n == 0 {
		if err := c.reviewsREST(ctx, gh, owner, name, prs[0], b); err != nil {
			return false, err
		}
		n = 1
	}
	for _, k := range keys[:n] {
		b.objs.Delete(k)
	}
	_, _, more, err := b.objs.Next(ctx, prefix, keys[n-1])
	return !more, err
}

// reviewsREST reads every page of the reviews of pr.
func (c *Connector) reviewsREST(ctx context.Context, gh *github.Client, owner, name string, pr prRef, b *builder) error {
	repo := owner + "/" + name
	key := issueKey(owner, name, pr.Number)
	for page := 1; page != 0 && !c.client.SkipKnownMissing(ctx, key); {
		list, resp, err := gh.PullRequests.ListReviews(ctx, owner, name, pr.Number, &github.ListOptions{Page: page, PerPage: perPage})
		if notModified(resp) {
			break
		}
		if err != nil {
			if code := notFoundStatus(err); code != 0 {
				c.client.RememberMissing(ctx, key, code)
				break
			}
			return c.wrap(fmt.Sprintf("list reviews of %s#%d", repo, pr.Number), resp, err)
		}
		c.addReviews(repo, pr, list, b)
		page = resp.NextPage
	}
	return nil
}

// addReviews adds the submitted reviews of pr and their authors.
func (c *Connector) addReviews(repo string, pr prRef, list []*github.PullRequestReview, b *builder) {
	for _, r := range list {
		if a, ok := c.tr.review(repo, r, issueRef{ID: pr.ID, PR: true, Title: pr.Title}); ok && b.addActivity(a) {
			b.addAuthor(c.tr, r.GetUser(), r.GetAuthorAssociation())
		}
	}
}

// stepStars reads one page of the oldest-first stargazer list. New stars
// land at its end, so each pass starts on the last page that had stars:
// one request when nothing changed (a 304) or the new stars fit on it.
// Stars removed before that page move the later ones back, and new stars
// may then begin on a page before. That is seen from the page's first star
// (or its being empty): if it is not older than the newest star read before
// the pass (m.Stars, kept in st.Top), the pass steps back a page (st.Page
// holds it negated while it does) until a page begins with an older star,
// and goes on forward from there. A cursor without m.Stars starts one page
// before the last, as cursors did before it.
func (c *Connector) stepStars(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	p, back := st.Page, st.Page < 0 || (st.Page == 0 && !m.Stars.IsZero())
	switch {
	case p < 0:
		p = -p
	case p == 0 && back:
		p = max(1, m.StarPage)
		st.Top = m.Stars // the newest star read before this pass
	case p == 0:
		p = max(1, m.StarPage-1)
	}
	list, resp, err := gh.Activity.ListStargazers(ctx, owner, name, &github.ListOptions{Page: p, PerPage: perPage})
	if notModified(resp) {
		// Unchanged. A page known to be full may be followed by a new one.
		if p < m.StarPage || (p == m.StarPage && m.StarFull) {
			st.Page = p + 1
			return false, nil
		}
		return true, nil
	}
	if err != nil {
		return false, c.wrap("list stargazers of "+repo, resp, err)
	}
	for _, s := range list {
		if b.addActivity(c.tr.star(repo, s)) {
			b.addUser(c.tr, s.GetUser())
		}
		if t := s.GetStarredAt().Time.UTC(); t.After(m.Stars) {
			m.Stars = t
		}
	}
	switch {
	case len(list) > 0 && p >= m.StarPage:
		m.StarPage, m.StarFull = p, len(list) >= perPage
	case len(list) == 0 && p <= m.StarPage:
		m.StarPage, m.StarFull = p-1, true // the list ends before p
	}
	if back && p > 1 && (len(list) == 0 || !list[0].GetStarredAt().Time.Before(st.Top)) {
		// Stars before this page were removed: new ones may begin on
		// the page before.
		st.Page = -(p - 1)
		return false, nil
	}
	switch {
	case resp.NextPage != 0:
		st.Page = resp.NextPage
		return false, nil
	case len(list) >= perPage:
		st.Page = p + 1 // probe the page new stars will land on
		return false, nil
	}
	return true, nil
}

// walkNewest moves a newest-first walk on after one page: top collects the
// newest time seen, and the walk completes at the last page or once an item
// at or before the watermark was seen (stop). On completion the watermark
// moves to top.
func walkNewest(st *state, w *time.Time, newest time.Time, stop bool, next int) bool {
	if newest.After(st.Top) {
		st.Top = newest
	}
	if !stop && next != 0 {
		st.Page = next
		return false
	}
	if st.Top.After(*w) {
		*w = st.Top
	}
	return true
}

func (c *Connector) stepForks(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	list, resp, err := gh.Repositories.ListForks(ctx, owner, name, &github.RepositoryListForksOptions{
		Sort: "newest", ListOptions: github.ListOptions{Page: max(st.Page, 1), PerPage: perPage},
	})
	if notModified(resp) {
		return walkNewest(st, &m.Forks, time.Time{}, true, 0), nil
	}
	if err != nil {
		return false, c.wrap("list forks of "+repo, resp, err)
	}
	var newest time.Time
	stop := false
	for _, f := range list {
		t := f.GetCreatedAt().Time.UTC()
		if !t.After(m.Forks) {
			stop = true
			continue
		}
		newest = later(newest, t)
		if b.addActivity(c.tr.fork(repo, f)) {
			b.addUser(c.tr, f.GetOwner())
		}
	}
	return walkNewest(st, &m.Forks, newest, stop, resp.NextPage), nil
}

func (c *Connector) stepReleases(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	list, resp, err := gh.Repositories.ListReleases(ctx, owner, name, &github.ListOptions{Page: max(st.Page, 1), PerPage: perPage})
	if notModified(resp) {
		return walkNewest(st, &m.Releases, time.Time{}, true, 0), nil
	}
	if err != nil {
		return false, c.wrap("list releases of "+repo, resp, err)
	}
	var newest time.Time
	stop := false
	for _, r := range list {
		t := r.GetCreatedAt().Time.UTC()
		if !t.After(m.Releases) {
			stop = true
			continue
		}
		newest = later(newest, t)
		if a, ok := c.tr.release(repo, r); ok && b.addActivity(a) {
			b.addUser(c.tr, r.GetAuthor())
		}
	}
	return walkNewest(st, &m.Releases, newest, stop, resp.NextPage), nil
}

// stepCommits reads one page of /commits?since=<watermark> (newest first).
// The watermark moves to the newest commit date only when the walk
// completes; then the listing is asked once more from the new watermark so
// that the next pass repeats that request (a free 304 when idle).
func (c *Connector) stepCommits(ctx context.Context, gh *github.Client, st *state, m *marks, owner, name string, b *builder) (bool, error) {
	repo := owner + "/" + name
	list, resp, err := gh.Repositories.ListCommits(ctx, owner, name, &github.CommitsListOptions{
		Since: m.Commits, ListOptions: github.ListOptions{Page: max(st.Page, 1), PerPage: perPage},
	})
	if notModified(resp) {
		return walkNewest(st, &m.Commits, time.Time{}, true, 0), nil
	}
	if err != nil {
		if er := (*github.ErrorResponse)(nil); errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusConflict {
			return true, nil // empty repository
		}
		return false, c.wrap("list commits of "+repo, resp, err)
	}
	var newest time.Time
	for _, cm := range list {
		newest = later(newest, commitDate(cm).UTC())
		res := c.tr.commit(repo, cm)
		if b.addActivity(res.activity) {
			b.noteNode(cm.GetAuthor())
			b.noteNode(cm.GetCommitter())
			for _, a := range res.accounts {
				b.addAccount(a)
			}
			b.evidence = append(b.evidence, res.evidence...)
		}
	}
	before := m.Commits
	if !walkNewest(st, &m.Commits, newest, false, resp.NextPage) {
		return false, nil
	}
	if m.Commits.After(before) {
		st.Page, st.Top = 0, time.Time{}
		return false, nil // ask again from the new watermark
	}
	return true, nil
}

// readProfiles queues the GitHub accounts of this batch whose profile is
// older than a day, then reads queued profiles: through GraphQL in batches
// when it serves this source (graphql.go), else up to profilesPerBatch
// through REST.
func (c *Connector) readProfiles(ctx context.Context, gh *github.Client, st *state, b *builder) error {
	now := c.now()
	if err := c.loadProfileMarks(ctx, b); err != nil {
		return err
	}
	for _, a := range b.accounts {
		if a.Platform != connectors.PlatformGitHub || a.Username == "" || !a.ProfileFetchedAt.IsZero() {
			continue
		}
		id, err := strconv.ParseInt(a.ExternalID, 10, 64)
		if err != nil {
			continue
		}
		if seen, err := c.profileSeen(ctx, st, b, id); err != nil || seen {
			if err != nil {
				return err
			}
			continue
		}
		if c.client.SkipKnownMissing(ctx, userKey(id)) {
			if err := c.profileDone(st, b, id); err != nil { // skipped once a pass
				return err
			}
			continue
		}
		if c.profiles != nil {
			t, ok, err := c.profiles.ProfileFetchedAt(ctx, a.AccountRef)
			if err != nil {
				return fmt.Errorf("github: profile age of %s: %w", a.Username, err)
			}
			if ok && now.Sub(t) < profileTTL {
				continue
			}
		}
		if err := c.queueProfile(b, profileReq{Login: a.Username, ID: id, Node: b.nodes[id]}); err != nil {
			return err
		}
	}
	// Profiles are read without ETags: a 304 would carry no body to store.
	pctx := connectors.WithETags(ctx, nil)
	if c.gql != nil && c.gql.available(now) {
		// Queries go full: the pass's end reads the rest.
		err := c.readProfilesGraphQL(pctx, gh, st, b, st.passDone())
		var rl *connectors.ErrRateLimited
		switch {
		case err == nil:
			return nil
		case errors.As(err, &rl) && rl.Resource == graphQLResource:
			// GraphQL waits for its budget; REST goes on without it.
			c.log.Info("github: profiles wait for the graphql rate limit", "until", rl.Until)
			return nil
		case errors.Is(err, errRefused):
			c.log.Warn("github: GraphQL refused, reading profiles through REST", "error", err, "retry_after", refusalTTL)
			c.gql.refuse(now.Add(refusalTTL))
		default:
			return err
		}
	}
	queue, err := c.nextProfiles(ctx, b, c.profilesPerBatch)
	if err != nil {
		return err
	}
	for _, p := range queue {
		if err := c.readProfileREST(pctx, gh, p, b); err != nil {
			return err
		}
		if err := c.profileRead(st, b, p); err != nil {
			return err
		}
	}
	return nil
}

// fullBatch reports whether the queue holds a full GraphQL query of
// accounts with node ids.
func fullBatch(q []profileReq) bool {
	n := 0
	for _, p := range q {
		if p.Node != "" {
			n++
		}
	}
	return n >= graphQLBatch
}

// graphQLPaused reports whether profile reads wait for the graphql budget.
func (c *Connector) graphQLPaused() bool {
	if c.gql == nil || !c.gql.available(c.now()) {
		return false
	}
	for _, r := range c.client.Resources() {
		if r.Resource == graphQLResource && r.Paused {
			return true
		}
	}
	return false
}

// readProfilesGraphQL reads up to graphQLProfilesPerBatch queued profiles
// in queries of graphQLBatch, only full ones unless flush; the accounts
// GraphQL does not give are read through REST (see graphql.go).
func (c *Connector) readProfilesGraphQL(ctx context.Context, gh *github.Client, st *state, b *builder, flush bool) error {
	now := c.now()
	// The queue's head, a query more than this batch reads: enough to tell
	// whether a query would be full.
	queue, err := c.nextProfiles(ctx, b, graphQLProfilesPerBatch+graphQLBatch)
	if err != nil {
		return err
	}
	for read := 0; read < graphQLProfilesPerBatch && len(queue) > 0 && (flush || fullBatch(queue)); {
		var batch, rest []profileReq
		n := 0
		for ; n < len(queue) && len(batch) < graphQLBatch; n++ {
			if p := queue[n]; p.Node != "" {
				batch = append(batch, p)
			} else {
				rest = append(rest, p)
			}
		}
		var found map[int64]*gqlNode
		if len(batch) > 0 {
			var err error
			if found, err = c.fetchProfiles(ctx, batch); err != nil {
				return err
			}
		}
		for _, p := range batch {
			if node := found[p.ID]; node != nil {
				if u, social, ok := node.user(); ok && u.GetID() == p.ID {
					b.addAccount(c.tr.profile(u, social, now))
					continue
				}
			}
			rest = append(rest, p)
		}
		for _, p := range rest {
			if err := c.readProfileREST(ctx, gh, p, b); err != nil {
				return err
			}
		}
		for _, p := range queue[:n] {
			if err := c.profileRead(st, b, p); err != nil {
				return err
			}
		}
		queue = queue[n:]
		read += n
	}
	return nil
}

// readProfileREST reads one profile and its social accounts through REST.
func (c *Connector) readProfileREST(ctx context.Context, gh *github.Client, p profileReq, b *builder) error {
	u, resp, err := gh.Users.Get(ctx, p.Login)
	if err != nil && !isNotFound(err) {
		return c.wrap("get user "+p.Login, resp, err)
	}
	if err != nil {
		// A deleted account (or one the token may not see): keep it as
		// the references show it, and do not ask again for a while.
		c.client.RememberMissing(ctx, userKey(p.ID), notFoundStatus(err))
		return nil
	}
	var social []socialAccount
	req, err := gh.NewRequest(http.MethodGet, "users/"+p.Login+"/social_accounts?per_page=100", nil)
	if err != nil {
		return fmt.Errorf("github: social accounts of %s: %w", p.Login, err)
	}
	if resp, err := gh.Do(ctx, req, &social); err != nil && !isNotFound(err) {
		return c.wrap("list social accounts of "+p.Login, resp, err)
	}
	b.addAccount(c.tr.profile(u, social, c.now()))
	return nil
}

// notModified reports that a conditional request was answered 304: the
// shared Transport hands go-github a 200 with the body null (so the list is
// empty and err nil) and marks it; the page is then skipped, as its data
// was committed by the pass that read it.
func notModified(resp *github.Response) bool {
	return resp != nil && connectors.NotModified(resp.Response)
}

// repoKey and orgKey are the MissingSet keys of a configured repository
// ("owner/name") and organization.
func repoKey(repo string) string { return "repo:" + strings.ToLower(repo) }
func orgKey(org string) string   { return "org:" + strings.ToLower(org) }

// userKey is the MissingSet key of the GitHub user with numeric id.
func userKey(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// isNotFound reports a 404 Not Found or 410 Gone from go-github.
func isNotFound(err error) bool { return notFoundStatus(err) != 0 }

// notFoundStatus returns 404 or 410 when err is go-github's answer with
// that status, else 0.
func notFoundStatus(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		if code := er.Response.StatusCode; code == http.StatusNotFound || code == http.StatusGone {
			return code
		}
	}
	return 0
}

// wrap turns an error of go-github or of the shared client into one of
// ours, with what was being done.
func (c *Connector) wrap(op string, resp *github.Response, err error) error {
	var (
		rl   *connectors.ErrRateLimited
		un   *connectors.ErrUnauthorized
		rle  *github.RateLimitError
		abe  *github.AbuseRateLimitError
		er   *github.ErrorResponse
		mal  *connectors.ErrMalformed
		path string
	)
	if resp != nil && resp.Response != nil && resp.Request != nil {
		path = connectors.RedactURL(resp.Request.URL)
	}
	switch {
	case errors.As(err, &rl), errors.As(err, &un), errors.As(err, &mal):
		// Already ours.
	case errors.As(err, &rle):
		until := rle.Rate.Reset.Time
		if !until.After(c.now()) {
			until = c.now().Add(time.Minute)
		}
		err = &connectors.ErrRateLimited{Source: c.source, Until: until, Reason: "rate-limit budget exhausted"}
	case errors.As(err, &abe):
		d := time.Minute
		if abe.RetryAfter != nil {
			d = *abe.RetryAfter
		}
		err = &connectors.ErrRateLimited{Source: c.source, Until: c.now().Add(d), Reason: "secondary rate limit"}
	case errors.As(err, &er):
		if er.Response != nil && er.Response.StatusCode == http.StatusUnauthorized {
			err = &connectors.ErrUnauthorized{Source: c.source, URL: path}
		}
	case resp != nil && resp.Response != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 && isDecodeError(err):
		err = &connectors.ErrMalformed{Source: c.source, URL: path, Status: resp.StatusCode, Err: err}
	}
	return fmt.Errorf("github: %s: %w", op, err)
}

func isDecodeError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RateLimit reports the source's rate-limit state, for metrics.
func (c *Connector) RateLimit() connectors.RateState { return c.client.RateLimit() }

// Check reads /rate_limit (free of charge) to prove that the service
// answers and accepts the token, for rollcall doctor.
func (c *Connector) Check(ctx context.Context) (string, error) {
	gh, err := c.newGitHub()
	if err != nil {
		return "", fmt.Errorf("github: %w", err)
	}
	limits, resp, err := gh.RateLimit.Get(ctx)
	if err != nil {
		return "", c.wrap("read /rate_limit", resp, err)
	}
	core := limits.GetCore()
	if core == nil {
		return "", fmt.Errorf("github: /rate_limit has no core budget")
	}
	who := "anonymous (60 requests/hour: add a token)"
	if !c.settings.Token.IsZero() {
		who = "token accepted; " + tokenFacts(resp.Response.Header, c.now())
	}
	return fmt.Sprintf("%s; %d of %d requests left, resets %s", who, core.Remaining, core.Limit, core.Reset.UTC().Format("15:04 MST")), nil
}

// AuthKind says which credentials the source uses, for rollcall doctor.
func (c *Connector) AuthKind() string { return connectors.AuthKind(c.settings.Token, "token") }

// Headers of an authenticated response that tell about its token.
const (
	// scopesHeader lists a classic or OAuth token's scopes, comma-separated
	// (empty: no scopes); fine-grained and GitHub App tokens get none.
	scopesHeader = "X-OAuth-Scopes"
	// expirationHeader is an expiring token's expiry, as
	// expirationLayout.
	expirationHeader = "GitHub-Authentication-Token-Expiration"
)

// expirationLayouts are the forms of expirationHeader: "2026-01-02
// 15:04:05 UTC" as GitHub sends it, and a numeric zone.
var expirationLayouts = []string{"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700", time.RFC3339}

// tokenFacts says what an authenticated response's headers tell of its
// token: its scopes and its expiry, where GitHub reports them.
func tokenFacts(h http.Header, now time.Time) string {
	var scopes string
	if v, ok := h[http.CanonicalHeaderKey(scopesHeader)]; !ok {
		scopes = "scopes not reported (a fine-grained or app token: its permissions are set on GitHub)"
	} else if list := strings.TrimSpace(strings.Join(v, ",")); list == "" {
		scopes = "scopes: none (public data only)"
	} else {
		scopes = "scopes: " + list
	}
	exp := "no expiry reported"
	if v := strings.TrimSpace(h.Get(expirationHeader)); v != "" {
		exp = "expires " + v + " (not understood)"
		for _, layout := range expirationLayouts {
			if t, err := time.Parse(layout, v); err == nil {
				exp = "expires " + t.UTC().Format("2006-01-02 15:04 MST")
				if left := t.Sub(now); left < 0 {
					exp += " (expired)"
				} else {
					exp += fmt.Sprintf(" (in %d days)", int(left.Hours()/24))
				}
				break
			}
		}
	}
	return scopes + "; " + exp
}
