package githubtest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const web = "https://github.com"

// ts marshals a time as GitHub does: "2006-01-02T15:04:05Z", or null when
// zero (through a pointer).
type ts time.Time

func (t ts) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05Z") + `"`), nil
}

func tsp(t time.Time) *ts {
	if t.IsZero() {
		return nil
	}
	v := ts(t)
	return &v
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(kind + strconv.FormatInt(id, 10)))
}

type simpleUser struct {
	Login             string `json:"login"`
	ID                int64  `json:"id"`
	NodeID            string `json:"node_id"`
	AvatarURL         string `json:"avatar_url"`
	GravatarID        string `json:"gravatar_id"`
	URL               string `json:"url"`
	HTMLURL           string `json:"html_url"`
	FollowersURL      string `json:"followers_url"`
	FollowingURL      string `json:"following_url"`
	GistsURL          string `json:"gists_url"`
	StarredURL        string `json:"starred_url"`
	SubscriptionsURL  string `json:"subscriptions_url"`
	OrganizationsURL  string `json:"organizations_url"`
	ReposURL          string `json:"repos_url"`
	EventsURL         string `json:"events_url"`
	ReceivedEventsURL string `json:"received_events_url"`
	Type              string `json:"type"`
	SiteAdmin         bool   `json:"site_admin"`
}

func (s *Server) simpleUser(c *ctx, login string) *simpleUser {
	u, ok := s.users[key(login)]
	if !ok {
		return nil
	}
	api := c.api + "/users/" + u.Login
	html := web + "/" + u.Login
	kind := "04:User"
	switch u.Type {
	case TypeBot:
		html = web + "/apps/" + strings.TrimSuffix(u.Login, "[bot]")
		kind = "03:Bot"
	case TypeOrganization:
		kind = "012:Organization"
	}
	return &simpleUser{
		Login: u.Login, ID: u.ID, NodeID: nodeID(kind, u.ID),
		AvatarURL:         fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.ID),
		URL:               api,
		HTMLURL:           html,
		FollowersURL:      api + "/followers",
		FollowingURL:      api + "/following{/other_user}",
		GistsURL:          api + "/gists{/gist_id}",
		StarredURL:        api + "/starred{/owner}{/repo}",
		SubscriptionsURL:  api + "/subscriptions",
		OrganizationsURL:  api + "/orgs",
		ReposURL:          api + "/repos",
		EventsURL:         api + "/events{/privacy}",
		ReceivedEventsURL: api + "/received_events",
		Type:              u.Type,
		SiteAdmin:         u.SiteAdmin,
	}
}

type fullUser struct {
	*simpleUser
	Name            *string `json:"name"`
	Company         *string `json:"company"`
	Blog            string  `json:"blog"`
	Location        *string `json:"location"`
	Email           *string `json:"email"`
	Hireable        *bool   `json:"hireable"`
	Bio             *string `json:"bio"`
	TwitterUsername *string `json:"twitter_username"`
	PublicRepos     int     `json:"public_repos"`
	PublicGists     int     `json:"public_gists"`
	Followers       int     `json:"followers"`
	Following       int     `json:"following"`
	CreatedAt       ts      `json:"created_at"`
	UpdatedAt       ts      `json:"updated_at"`
}

func (s *Server) getUser(c *ctx, login string) reply {
	u, ok := s.users[key(login)]
	if !ok || s.gone[key(login)] {
		return notFound()
	}
	f := fullUser{
		simpleUser: s.simpleUser(c, login),
		Name:       strp(u.Name), Company: strp(u.Company), Blog: u.Blog, Location: strp(u.Location),
		Email: strp(u.Email), Bio: strp(u.Bio), TwitterUsername: strp(u.Twitter),
		Followers: u.Followers, Following: u.Following,
		CreatedAt: ts(u.CreatedAt), UpdatedAt: ts(u.UpdatedAt),
	}
	if u.Hireable {
		t := true
		f.Hireable = &t
	}
	for _, k := range s.repoList {
		if key(s.repos[k].repo.Owner) == key(login) {
			f.PublicRepos++
		}
	}
	return reply{status: 200, body: mustJSON(f)}
}

func (s *Server) socialAccounts(c *ctx, login string) reply {
	u, ok := s.users[key(login)]
	if !ok || s.gone[key(login)] {
		return notFound()
	}
	type social struct {
		Provider string `json:"provider"`
		URL      string `json:"url"`
	}
	out := make([]social, len(u.Social))
	for i, x := range u.Social {
		out[i] = social(x)
	}
	return list(c, out)
}

type repoJSON struct {
	ID              int64       `json:"id"`
	NodeID          string      `json:"node_id"`
	Name            string      `json:"name"`
	FullName        string      `json:"full_name"`
	Private         bool        `json:"private"`
	Owner           *simpleUser `json:"owner"`
	HTMLURL         string      `json:"html_url"`
	Description     *string     `json:"description"`
	Fork            bool        `json:"fork"`
	URL             string      `json:"url"`
	ForksURL        string      `json:"forks_url"`
	StargazersURL   string      `json:"stargazers_url"`
	CreatedAt       ts          `json:"created_at"`
	UpdatedAt       ts          `json:"updated_at"`
	PushedAt        ts          `json:"pushed_at"`
	StargazersCount int         `json:"stargazers_count"`
	WatchersCount   int         `json:"watchers_count"`
	ForksCount      int         `json:"forks_count"`
	OpenIssuesCount int         `json:"open_issues_count"`
	Forks           int         `json:"forks"`
	OpenIssues      int         `json:"open_issues"`
	Watchers        int         `json:"watchers"`
	DefaultBranch   string      `json:"default_branch"`
	Visibility      string      `json:"visibility"`
	Archived        bool        `json:"archived"`
	Disabled        bool        `json:"disabled"`
}

func (s *Server) repoJSON(c *ctx, r Repo) repoJSON {
	st := s.repos[key(r.FullName())]
	open := 0
	for _, is := range st.issues {
		if is.State == "open" {
			open++
		}
	}
	api := c.api + "/repos/" + r.FullName()
	return repoJSON{
		ID: r.ID, NodeID: nodeID("010:Repository", r.ID), Name: r.Name, FullName: r.FullName(),
		Owner: s.simpleUser(c, r.Owner), HTMLURL: web + "/" + r.FullName(), Description: strp(r.Description),
		Fork: r.Fork, URL: api, ForksURL: api + "/forks", StargazersURL: api + "/stargazers",
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), PushedAt: ts(r.UpdatedAt),
		StargazersCount: len(st.stars), WatchersCount: len(st.stars), Watchers: len(st.stars),
		ForksCount: len(st.forks), Forks: len(st.forks), OpenIssuesCount: open, OpenIssues: open,
		DefaultBranch: "main", Visibility: "public",
	}
}

func (s *Server) orgRepos(c *ctx, org string) reply {
	if _, ok := s.users[key(org)]; !ok {
		return notFound()
	}
	var out []repoJSON
	for _, k := range s.repoList {
		if r := s.repos[k].repo; key(r.Owner) == key(org) {
			out = append(out, s.repoJSON(c, r))
		}
	}
	return list(c, out)
}

// reactionsJSON is the reactions summary GitHub embeds in issues, pull
// requests (as issues) and comments: every content, zeros included.
type reactionsJSON struct {
	URL        string `json:"url"`
	TotalCount int    `json:"total_count"`
	PlusOne    int    `json:"+1"`
	MinusOne   int    `json:"-1"`
	Laugh      int    `json:"laugh"`
	Hooray     int    `json:"hooray"`
	Confused   int    `json:"confused"`
	Heart      int    `json:"heart"`
	Rocket     int    `json:"rocket"`
	Eyes       int    `json:"eyes"`
}

// reactionContents are the reaction contents GitHub knows.
var reactionContents = []string{"+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"}

func reactionsOf(url string, m map[string]int) *reactionsJSON {
	r := &reactionsJSON{URL: url, PlusOne: m["+1"], MinusOne: m["-1"], Laugh: m["laugh"], Hooray: m["hooray"],
		Confused: m["confused"], Heart: m["heart"], Rocket: m["rocket"], Eyes: m["eyes"]}
	r.TotalCount = r.PlusOne + r.MinusOne + r.Laugh + r.Hooray + r.Confused + r.Heart + r.Rocket + r.Eyes
	return r
}

type pullRef struct {
	URL      string `json:"url"`
	HTMLURL  string `json:"html_url"`
	DiffURL  string `json:"diff_url"`
	PatchURL string `json:"patch_url"`
	MergedAt *ts    `json:"merged_at"`
}

type issueJSON struct {
	URL               string         `json:"url"`
	RepositoryURL     string         `json:"repository_url"`
	CommentsURL       string         `json:"comments_url"`
	HTMLURL           string         `json:"html_url"`
	ID                int64          `json:"id"`
	NodeID            string         `json:"node_id"`
	Number            int            `json:"number"`
	Title             string         `json:"title"`
	User              *simpleUser    `json:"user"`
	Labels            []struct{}     `json:"labels"`
	State             string         `json:"state"`
	Locked            bool           `json:"locked"`
	Assignee          *simpleUser    `json:"assignee"`
	Assignees         []*simpleUser  `json:"assignees"`
	Comments          int            `json:"comments"`
	CreatedAt         ts             `json:"created_at"`
	UpdatedAt         ts             `json:"updated_at"`
	ClosedAt          *ts            `json:"closed_at"`
	AuthorAssociation string         `json:"author_association"`
	PullRequest       *pullRef       `json:"pull_request,omitempty"`
	Body              *string        `json:"body"`
	Reactions         *reactionsJSON `json:"reactions"`
	StateReason       *string        `json:"state_reason"`
}

func (s *Server) issueJSON(c *ctx, st *repoState, is *Issue) issueJSON {
	full := st.repo.FullName()
	api := c.api + "/repos/" + full
	html := fmt.Sprintf("%s/%s/issues/%d", web, full, is.Number)
	j := issueJSON{
		URL: fmt.Sprintf("%s/issues/%d", api, is.Number), RepositoryURL: api,
		CommentsURL: fmt.Sprintf("%s/issues/%d/comments", api, is.Number),
		ID:          is.ID, NodeID: nodeID("I_", is.ID), Number: is.Number, Title: is.Title,
		User: s.simpleUser(c, is.User), Labels: []struct{}{}, State: is.State,
		Assignees: []*simpleUser{}, Comments: is.Comments,
		CreatedAt: ts(is.CreatedAt), UpdatedAt: ts(is.UpdatedAt), ClosedAt: tsp(is.ClosedAt),
		AuthorAssociation: s.association(st, is.User), Body: strp(is.Body),
		Reactions: reactionsOf(fmt.Sprintf("%s/issues/%d/reactions", api, is.Number), is.Reactions),
	}
	if is.State == "closed" {
		reason := "completed"
		j.StateReason = &reason
	}
	if is.Pull {
		html = fmt.Sprintf("%s/%s/pull/%d", web, full, is.Number)
		j.NodeID = nodeID("PR_", is.ID)
		j.PullRequest = &pullRef{
			URL: fmt.Sprintf("%s/pulls/%d", api, is.Number), HTMLURL: html,
			DiffURL: html + ".diff", PatchURL: html + ".patch", MergedAt: tsp(is.MergedAt),
		}
	}
	j.HTMLURL = html
	return j
}

// association is the author_association of login's items on the repo, as
// GitHub computes it: OWNER for the owner, MEMBER for a member of the
// owning organization, COLLABORATOR for one with write access,
// CONTRIBUTOR for the author of a merged pull request, else NONE.
// (site_admin, GitHub's own staff, says nothing about the repository.)
func (s *Server) association(st *repoState, login string) string {
	k := key(login)
	has := func(logins []string) bool {
		for _, l := range logins {
			if key(l) == k {
				return true
			}
		}
		return false
	}
	switch {
	case k == key(st.repo.Owner):
		return "OWNER"
	case has(st.repo.Members):
		return "MEMBER"
	case has(st.repo.Collaborators):
		return "COLLABORATOR"
	}
	for _, is := range st.issues {
		if is != nil && is.Pull && !is.MergedAt.IsZero() && key(is.User) == k {
			return "CONTRIBUTOR"
		}
	}
	return "NONE"
}

func desc(c *ctx, def bool) bool {
	switch c.q.Get("direction") {
	case "asc":
		return false
	case "desc":
		return true
	}
	return def
}

func cmpTime(a, b time.Time, ida, idb int64) int {
	if x := a.Compare(b); x != 0 {
		return x
	}
	switch {
	case ida < idb:
		return -1
	case ida > idb:
		return 1
	}
	return 0
}

func order[T any](items []T, cmp func(a, b T) int, descending bool) {
	slices.SortStableFunc(items, func(a, b T) int {
		if descending {
			return cmp(b, a)
		}
		return cmp(a, b)
	})
}

func (s *Server) listIssues(c *ctx, st *repoState) reply {
	since, ok := c.since("since")
	if !ok {
		return invalid("since")
	}
	state := c.q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		return invalid("state")
	}
	var items []*Issue
	for _, is := range st.issues {
		if (state == "all" || is.State == state) && !is.UpdatedAt.Before(since) && !is.Deleted {
			items = append(items, is)
		}
	}
	var cmp func(a, b *Issue) int
	switch c.q.Get("sort") {
	case "", "created":
		cmp = func(a, b *Issue) int { return cmpTime(a.CreatedAt, b.CreatedAt, a.ID, b.ID) }
	case "updated":
		cmp = func(a, b *Issue) int { return cmpTime(a.UpdatedAt, b.UpdatedAt, a.ID, b.ID) }
	case "comments":
		cmp = func(a, b *Issue) int {
			if a.Comments != b.Comments {
				return a.Comments - b.Comments
			}
			return cmpTime(a.CreatedAt, b.CreatedAt, a.ID, b.ID)
		}
	default:
		return invalid("sort")
	}
	order(items, cmp, desc(c, true))
	out, h := page(c, items)
	js := make([]issueJSON, len(out))
	for i, is := range out {
		js[i] = s.issueJSON(c, st, is)
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}

type commentJSON struct {
	URL               string         `json:"url"`
	HTMLURL           string         `json:"html_url"`
	IssueURL          string         `json:"issue_url"`
	ID                int64          `json:"id"`
	NodeID            string         `json:"node_id"`
	User              *simpleUser    `json:"user"`
	CreatedAt         ts             `json:"created_at"`
	UpdatedAt         ts             `json:"updated_at"`
	AuthorAssociation string         `json:"author_association"`
	Body              string         `json:"body"`
	Reactions         *reactionsJSON `json:"reactions"`
}

// sortComments orders by id ascending unless sort=created|updated is given.
func sortItems[T any](c *ctx, items []T, id func(T) int64, created, updated func(T) time.Time) bool {
	switch c.q.Get("sort") {
	case "":
		order(items, func(a, b T) int { return cmpTime(time.Time{}, time.Time{}, id(a), id(b)) }, false)
	case "created":
		order(items, func(a, b T) int { return cmpTime(created(a), created(b), id(a), id(b)) }, desc(c, true))
	case "updated":
		order(items, func(a, b T) int { return cmpTime(updated(a), updated(b), id(a), id(b)) }, desc(c, true))
	default:
		return false
	}
	return true
}

// issueURL is a comment's issue_url: by number, or by the issue's id for a
// legacy comment.
func issueURL(api string, is *Issue, legacy bool) string {
	if legacy {
		return fmt.Sprintf("%s/issues/%d", api, is.ID)
	}
	return fmt.Sprintf("%s/issues/%d", api, is.Number)
}

// getIssue answers GET /repos/{owner}/{repo}/issues/{number}: the issue,
// 410 for a deleted one, 404 for a number that never existed (such as an
// issue id in a legacy issue_url).
func (s *Server) getIssue(c *ctx, st *repoState, num string) reply {
	n, err := strconv.Atoi(num)
	if err != nil {
		return notFound()
	}
	is, err := st.issue(n, false)
	switch {
	case err != nil:
		return notFound()
	case is.Deleted:
		return gone()
	}
	return reply{status: 200, body: mustJSON(s.issueJSON(c, st, is))}
}

func (s *Server) listComments(c *ctx, st *repoState) reply {
	since, ok := c.since("since")
	if !ok {
		return invalid("since")
	}
	var items []*Comment
	for _, x := range st.comments {
		if !x.UpdatedAt.Before(since) {
			items = append(items, x)
		}
	}
	if !sortItems(c, items, func(x *Comment) int64 { return x.ID },
		func(x *Comment) time.Time { return x.CreatedAt }, func(x *Comment) time.Time { return x.UpdatedAt }) {
		return invalid("sort")
	}
	out, h := page(c, items)
	full := st.repo.FullName()
	api := c.api + "/repos/" + full
	js := make([]commentJSON, len(out))
	for i, x := range out {
		kind := "issues"
		if st.issues[x.Issue-1].Pull {
			kind = "pull"
		}
		js[i] = commentJSON{
			URL:      fmt.Sprintf("%s/issues/comments/%d", api, x.ID),
			HTMLURL:  fmt.Sprintf("%s/%s/%s/%d#issuecomment-%d", web, full, kind, x.Issue, x.ID),
			IssueURL: issueURL(api, st.issues[x.Issue-1], x.LegacyIssueURL),
			ID:       x.ID, NodeID: nodeID("IC_", x.ID), User: s.simpleUser(c, x.User),
			CreatedAt: ts(x.CreatedAt), UpdatedAt: ts(x.UpdatedAt),
			AuthorAssociation: s.association(st, x.User), Body: x.Body,
			Reactions: reactionsOf(fmt.Sprintf("%s/issues/comments/%d/reactions", api, x.ID), x.Reactions),
		}
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}

type reviewCommentJSON struct {
	URL                 string         `json:"url"`
	PullRequestReviewID *int64         `json:"pull_request_review_id"`
	ID                  int64          `json:"id"`
	NodeID              string         `json:"node_id"`
	Path                string         `json:"path"`
	User                *simpleUser    `json:"user"`
	Body                string         `json:"body"`
	CreatedAt           ts             `json:"created_at"`
	UpdatedAt           ts             `json:"updated_at"`
	HTMLURL             string         `json:"html_url"`
	PullRequestURL      string         `json:"pull_request_url"`
	AuthorAssociation   string         `json:"author_association"`
	Reactions           *reactionsJSON `json:"reactions"`
}

func (s *Server) listReviewComments(c *ctx, st *repoState) reply {
	since, ok := c.since("since")
	if !ok {
		return invalid("since")
	}
	var items []*ReviewComment
	for _, x := range st.rcomments {
		if !x.UpdatedAt.Before(since) {
			items = append(items, x)
		}
	}
	if !sortItems(c, items, func(x *ReviewComment) int64 { return x.ID },
		func(x *ReviewComment) time.Time { return x.CreatedAt }, func(x *ReviewComment) time.Time { return x.UpdatedAt }) {
		return invalid("sort")
	}
	out, h := page(c, items)
	full := st.repo.FullName()
	api := c.api + "/repos/" + full
	js := make([]reviewCommentJSON, len(out))
	for i, x := range out {
		var rid *int64
		if x.ReviewID != 0 {
			v := x.ReviewID
			rid = &v
		}
		js[i] = reviewCommentJSON{
			URL: fmt.Sprintf("%s/pulls/comments/%d", api, x.ID), PullRequestReviewID: rid,
			ID: x.ID, NodeID: nodeID("PRRC_", x.ID), Path: x.Path, User: s.simpleUser(c, x.User), Body: x.Body,
			CreatedAt: ts(x.CreatedAt), UpdatedAt: ts(x.UpdatedAt),
			HTMLURL:           fmt.Sprintf("%s/%s/pull/%d#discussion_r%d", web, full, x.Pull, x.ID),
			PullRequestURL:    fmt.Sprintf("%s/pulls/%d", api, x.Pull),
			AuthorAssociation: s.association(st, x.User),
			Reactions:         reactionsOf(fmt.Sprintf("%s/pulls/comments/%d/reactions", api, x.ID), x.Reactions),
		}
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}

type reviewJSON struct {
	ID                int64       `json:"id"`
	NodeID            string      `json:"node_id"`
	User              *simpleUser `json:"user"`
	Body              string      `json:"body"`
	State             string      `json:"state"`
	HTMLURL           string      `json:"html_url"`
	PullRequestURL    string      `json:"pull_request_url"`
	AuthorAssociation string      `json:"author_association"`
	SubmittedAt       ts          `json:"submitted_at"`
	CommitID          string      `json:"commit_id"`
}

func (s *Server) listReviews(c *ctx, st *repoState, num string) reply {
	n, err := strconv.Atoi(num)
	if err != nil {
		return notFound()
	}
	if pr, err := st.issue(n, true); err != nil || pr.Deleted {
		return notFound()
	}
	var items []*Review
	for _, x := range st.reviews {
		if x.Pull == n {
			items = append(items, x)
		}
	}
	order(items, func(a, b *Review) int { return cmpTime(a.SubmittedAt, b.SubmittedAt, a.ID, b.ID) }, false)
	out, h := page(c, items)
	full := st.repo.FullName()
	api := c.api + "/repos/" + full
	js := make([]reviewJSON, len(out))
	for i, x := range out {
		js[i] = reviewJSON{
			ID: x.ID, NodeID: nodeID("PRR_", x.ID), User: s.simpleUser(c, x.User), Body: x.Body, State: x.State,
			HTMLURL:           fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", web, full, n, x.ID),
			PullRequestURL:    fmt.Sprintf("%s/pulls/%d", api, n),
			AuthorAssociation: s.association(st, x.User), SubmittedAt: ts(x.SubmittedAt),
			CommitID: fmt.Sprintf("%040x", x.ID),
		}
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}

func (s *Server) listStargazers(c *ctx, st *repoState) reply {
	out, h := page(c, st.stars) // insertion order is starring order
	// go-github sends the older spelling application/vnd.github.v3.star+json.
	if accept := c.r.Header.Get("Accept"); strings.Contains(accept, "application/vnd.github.star+json") ||
		strings.Contains(accept, "application/vnd.github.v3.star+json") {
		type star struct {
			StarredAt ts          `json:"starred_at"`
			User      *simpleUser `json:"user"`
		}
		js := make([]star, len(out))
		for i, x := range out {
			js[i] = star{ts(x.StarredAt), s.simpleUser(c, x.User)}
		}
		if h == nil {
			h = http.Header{}
		}
		h.Set("X-GitHub-Media-Type", "github.v3; param=star; format=json")
		return reply{status: 200, body: mustJSON(js), header: h}
	}
	js := make([]*simpleUser, len(out))
	for i, x := range out {
		js[i] = s.simpleUser(c, x.User)
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}

func (s *Server) listForks(c *ctx, st *repoState) reply {
	items := make([]Repo, 0, len(st.forks))
	for _, k := range st.forks {
		items = append(items, s.repos[k].repo)
	}
	switch c.q.Get("sort") {
	case "", "newest", "stargazers", "watchers":
		order(items, func(a, b Repo) int { return cmpTime(a.CreatedAt, b.CreatedAt, a.ID, b.ID) }, true)
	case "oldest":
		order(items, func(a, b Repo) int { return cmpTime(a.CreatedAt, b.CreatedAt, a.ID, b.ID) }, false)
	default:
		return invalid("sort")
	}
	out, h := page(c, items)
	js := make([]repoJSON, len(out))
	for i, r := range out {
		js[i] = s.repoJSON(c, r)
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}

type releaseJSON struct {
	URL             string      `json:"url"`
	HTMLURL         string      `json:"html_url"`
	ID              int64       `json:"id"`
	Author          *simpleUser `json:"author"`
	NodeID          string      `json:"node_id"`
	TagName         string      `json:"tag_name"`
	TargetCommitish string      `json:"target_commitish"`
	Name            string      `json:"name"`
	Draft           bool        `json:"draft"`
	Prerelease      bool        `json:"prerelease"`
	CreatedAt       ts          `json:"created_at"`
	PublishedAt     *ts         `json:"published_at"`
	Assets          []struct{}  `json:"assets"`
	Body            *string     `json:"body"`
}

func (s *Server) listReleases(c *ctx, st *repoState) reply {
	items := slices.Clone(st.releases)
	order(items, func(a, b *Release) int { return cmpTime(a.CreatedAt, b.CreatedAt, a.ID, b.ID) }, true)
	out, h := page(c, items)
	full := st.repo.FullName()
	js := make([]releaseJSON, len(out))
	for i, x := range out {
		js[i] = releaseJSON{
			URL:     fmt.Sprintf("%s/repos/%s/releases/%d", c.api, full, x.ID),
			HTMLURL: fmt.Sprintf("%s/%s/releases/tag/%s", web, full, x.TagName),
			ID:      x.ID, Author: s.simpleUser(c, x.Author), NodeID: nodeID("RE_", x.ID),
			TagName: x.TagName, TargetCommitish: "main", Name: x.Name,
			CreatedAt: ts(x.CreatedAt), PublishedAt: tsp(x.PublishedAt), Assets: []struct{}{}, Body: strp(x.Body),
		}
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}

type gitIdent struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  ts     `json:"date"`
}

type commitJSON struct {
	SHA    string `json:"sha"`
	NodeID string `json:"node_id"`
	Commit struct {
		Author       gitIdent `json:"author"`
		Committer    gitIdent `json:"committer"`
		Message      string   `json:"message"`
		URL          string   `json:"url"`
		CommentCount int      `json:"comment_count"`
	} `json:"commit"`
	URL       string      `json:"url"`
	HTMLURL   string      `json:"html_url"`
	Author    *simpleUser `json:"author"`
	Committer *simpleUser `json:"committer"`
	Parents   []struct{}  `json:"parents"`
}

func (s *Server) listCommits(c *ctx, st *repoState) reply {
	since, ok := c.since("since")
	if !ok {
		return invalid("since")
	}
	until, ok := c.since("until")
	if !ok {
		return invalid("until")
	}
	var items []*Commit
	for _, x := range st.commits {
		if !x.CommitterDate.Before(since) && (until.IsZero() || !x.CommitterDate.After(until)) {
			items = append(items, x)
		}
	}
	idx := map[*Commit]int64{}
	for i, x := range items {
		idx[x] = int64(i)
	}
	order(items, func(a, b *Commit) int { return cmpTime(a.CommitterDate, b.CommitterDate, idx[a], idx[b]) }, true)
	out, h := page(c, items)
	full := st.repo.FullName()
	api := c.api + "/repos/" + full
	js := make([]commitJSON, len(out))
	for i, x := range out {
		j := &js[i]
		j.SHA, j.NodeID = x.SHA, base64.StdEncoding.EncodeToString([]byte("C_"+x.SHA))
		j.Commit.Author = gitIdent{x.AuthorName, x.AuthorEmail, ts(x.AuthorDate)}
		j.Commit.Committer = gitIdent{x.CommitterName, x.CommitterEmail, ts(x.CommitterDate)}
		j.Commit.Message = x.Message
		j.Commit.URL = api + "/git/commits/" + x.SHA
		j.URL = api + "/commits/" + x.SHA
		j.HTMLURL = web + "/" + full + "/commit/" + x.SHA
		if x.Author != "" {
			j.Author = s.simpleUser(c, x.Author)
		}
		if x.Committer != "" {
			j.Committer = s.simpleUser(c, x.Committer)
		}
		j.Parents = []struct{}{}
	}
	return reply{status: 200, body: mustJSON(js), header: h}
}
