package github

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Activity types emitted by this connector.
const (
	TypeIssueOpened     = "issue_opened"
	TypePROpened        = "pr_opened"
	TypePRMerged        = "pr_merged"
	TypeIssueComment    = "issue_comment"
	TypePRReview        = "pr_review"
	TypePRReviewComment = "pr_review_comment"
	TypeStar            = "star"
	TypeFork            = "fork"
	TypeRelease         = "release"
	TypeCommit          = "commit"
)

// translator turns go-github values into the shared model. It holds only the
// instance name; it does no I/O.
type translator struct {
	instance string
}

func (t translator) key(typ, id string) string {
	return connectors.PlatformGitHub + "/" + t.instance + "/" + typ + "/" + id
}

func (t translator) activity(typ, id, channel string, at time.Time, actor connectors.AccountRef) connectors.Activity {
	return connectors.Activity{
		Key:        t.key(typ, id),
		Platform:   connectors.PlatformGitHub,
		Instance:   t.instance,
		Type:       typ,
		OccurredAt: at.UTC(),
		Actor:      actor,
		Channel:    channel,
	}
}

// ref names a GitHub user by its permanent numeric id.
func (t translator) ref(u *github.User) connectors.AccountRef {
	if u == nil || u.GetID() == 0 {
		return connectors.AccountRef{}
	}
	return connectors.AccountRef{
		Platform:   connectors.PlatformGitHub,
		Instance:   t.instance,
		ExternalID: strconv.FormatInt(u.GetID(), 10),
	}
}

// account is what a reference to u inside another object tells: no profile.
func (t translator) account(u *github.User) (connectors.Account, bool) {
	r := t.ref(u)
	if r.IsZero() {
		return connectors.Account{}, false
	}
	return connectors.Account{
		AccountRef: r,
		Username:   u.GetLogin(),
		URL:        u.GetHTMLURL(),
		AvatarURL:  u.GetAvatarURL(),
		Bot:        u.GetType() == "Bot",
	}, true
}

// socialAccount is an entry of /users/{login}/social_accounts (go-github v60
// has no method for it).
type socialAccount struct {
	Provider string `json:"provider"`
	URL      string `json:"url"`
}

// profile is the full account from /users/{login} and its social accounts.
func (t translator) profile(u *github.User, social []socialAccount, now time.Time) connectors.Account {
	a, _ := t.account(u)
	a.Name = u.GetName()
	if e := strings.TrimSpace(u.GetEmail()); e != "" {
		a.Emails = []string{e}
	}
	seen := map[string]bool{}
	add := func(l string) {
		l = strings.TrimSpace(l)
		if l == "" || seen[l] {
			return
		}
		seen[l] = true
		a.Links = append(a.Links, l)
	}
	if b := strings.TrimSpace(u.GetBlog()); b != "" {
		if !strings.Contains(b, "://") {
			b = "https://" + b
		}
		add(b)
	}
	if tw := strings.TrimPrefix(strings.TrimSpace(u.GetTwitterUsername()), "@"); tw != "" {
		add("https://twitter.com/" + tw)
	}
	for _, s := range social {
		add(s.URL)
	}
	a.Followers = u.GetFollowers()
	a.ProfileFetchedAt = now.UTC()
	return a
}

// reactions translates a GitHub reactions summary; nil when the object
// carried none.
func reactions(r *github.Reactions) *connectors.Reactions {
	if r == nil {
		return nil
	}
	out := connectors.ReactionsOf(map[string]int{
		"+1": r.GetPlusOne(), "-1": r.GetMinusOne(), "laugh": r.GetLaugh(), "hooray": r.GetHooray(),
		"confused": r.GetConfused(), "heart": r.GetHeart(), "rocket": r.GetRocket(), "eyes": r.GetEyes(),
	})
	if r.TotalCount != nil {
		out.Total = r.GetTotalCount()
	}
	return out
}

// issueRef is what a comment needs to know about its issue or pull request.
type issueRef struct {
	ID    int64  `json:"id"`
	PR    bool   `json:"pr,omitempty"`
	Title string `json:"title,omitempty"`
}

// openKey is the key of the activity that opened the issue or pull request.
func (t translator) openKey(r issueRef) string {
	if r.PR {
		return t.key(TypePROpened, strconv.FormatInt(r.ID, 10))
	}
	return t.key(TypeIssueOpened, strconv.FormatInt(r.ID, 10))
}

// issue translates an entry of /repos/{o}/{r}/issues: the opening, and for a
// merged pull request the merge.
func (t translator) issue(repo string, is *github.Issue) []connectors.Activity {
	id := strconv.FormatInt(is.GetID(), 10)
	actor := t.ref(is.GetUser())
	typ := TypeIssueOpened
	if is.IsPullRequest() {
		typ = TypePROpened
	}
	open := t.activity(typ, id, repo, is.GetCreatedAt().Time, actor)
	open.URL = is.GetHTMLURL()
	open.Title = is.GetTitle()
	open.Reactions = reactions(is.Reactions)
	open.Text = connectors.Excerpt(is.GetBody())
	out := []connectors.Activity{open}
	if pr := is.PullRequestLinks; pr != nil && pr.MergedAt != nil && !pr.MergedAt.IsZero() {
		// The issues payload carries merged_at but not merged_by: the PR's
		// author stands in as the actor. Fetching each PR for merged_by
		// would cost a request per merge.
		m := t.activity(TypePRMerged, id, repo, pr.MergedAt.Time, actor)
		m.URL = is.GetHTMLURL()
		m.Title = is.GetTitle()
		m.ParentKey = open.Key
		out = append(out, m)
	}
	return out
}

var numberRE = regexp.MustCompile(`/(?:issues|pulls)/(\d+)$`)

// issueNumber extracts N from an issue_url or pull_request_url.
func issueNumber(u string) int {
	m := numberRE.FindStringSubmatch(u)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TypeIssueNumber is the type of a parent key that names an issue or pull
// request by repository and number, taken from a comment's issue_url when
// the issue itself could not be read (see numberKey).
const TypeIssueNumber = "issue_number"

// numberKey is the parent key of a comment whose issue or pull request
// could not be read (deleted, transferred, hidden, or an old id-style
// issue_url): "github/<instance>/issue_number/<owner/repo>#<n>", what the
// comment's own URL says. It is "" when the URL names no number.
func (t translator) numberKey(repo, issueURL string) string {
	n := issueNumber(issueURL)
	if n == 0 {
		return ""
	}
	return t.key(TypeIssueNumber, strings.ToLower(repo)+"#"+strconv.Itoa(n))
}

// comment translates an issue or pull-request conversation comment. parent
// is the issue it answers when known; otherwise the parent key comes from
// its issue_url.
func (t translator) comment(repo string, c *github.IssueComment, parent *issueRef) connectors.Activity {
	a := t.activity(TypeIssueComment, strconv.FormatInt(c.GetID(), 10), repo, c.GetCreatedAt().Time, t.ref(c.GetUser()))
	a.URL = c.GetHTMLURL()
	a.Reactions = reactions(c.Reactions)
	a.Text = connectors.Excerpt(c.GetBody())
	if parent != nil {
		a.ParentKey = t.openKey(*parent)
		a.Title = parent.Title
	} else {
		a.ParentKey = t.numberKey(repo, c.GetIssueURL())
	}
	return a
}

// reviewComment translates a comment on a pull request's diff.
func (t translator) reviewComment(repo string, c *github.PullRequestComment, parent *issueRef) connectors.Activity {
	a := t.activity(TypePRReviewComment, strconv.FormatInt(c.GetID(), 10), repo, c.GetCreatedAt().Time, t.ref(c.GetUser()))
	a.URL = c.GetHTMLURL()
	a.Reactions = reactions(c.Reactions)
	a.Text = connectors.Excerpt(c.GetBody())
	if parent != nil {
		a.ParentKey = t.openKey(*parent)
		a.Title = parent.Title
	} else {
		a.ParentKey = t.numberKey(repo, c.GetPullRequestURL())
	}
	return a
}

// review translates a submitted pull request review; ok is false for a
// pending (unsubmitted) one.
func (t translator) review(repo string, r *github.PullRequestReview, parent issueRef) (connectors.Activity, bool) {
	if strings.EqualFold(r.GetState(), "PENDING") || r.SubmittedAt == nil {
		return connectors.Activity{}, false
	}
	a := t.activity(TypePRReview, strconv.FormatInt(r.GetID(), 10), repo, r.GetSubmittedAt().Time, t.ref(r.GetUser()))
	a.URL = r.GetHTMLURL()
	a.Text = connectors.Excerpt(r.GetBody())
	parent.PR = true
	a.ParentKey = t.openKey(parent)
	a.Title = parent.Title
	return a, true
}

// star translates a stargazer (star+json media type).
func (t translator) star(repo string, s *github.Stargazer) connectors.Activity {
	actor := t.ref(s.GetUser())
	a := t.activity(TypeStar, repo+"/starred_by/"+actor.ExternalID, repo, s.GetStarredAt().Time, actor)
	a.URL = s.GetUser().GetHTMLURL()
	return a
}

// fork translates a fork: the fork repository, owned by the actor.
func (t translator) fork(repo string, f *github.Repository) connectors.Activity {
	a := t.activity(TypeFork, strconv.FormatInt(f.GetID(), 10), repo, f.GetCreatedAt().Time, t.ref(f.GetOwner()))
	a.URL = f.GetHTMLURL()
	a.Title = f.GetFullName()
	return a
}

// release translates a published release; ok is false for a draft.
func (t translator) release(repo string, r *github.RepositoryRelease) (connectors.Activity, bool) {
	if r.GetDraft() {
		return connectors.Activity{}, false
	}
	at := r.GetCreatedAt().Time
	if r.PublishedAt != nil && !r.PublishedAt.IsZero() {
		at = r.PublishedAt.Time
	}
	a := t.activity(TypeRelease, strconv.FormatInt(r.GetID(), 10), repo, at, t.ref(r.GetAuthor()))
	a.URL = r.GetHTMLURL()
	a.Title = r.GetName()
	if a.Title == "" {
		a.Title = r.GetTagName()
	}
	return a, true
}

// gitAccount is the git identity of a commit author, keyed by lower-cased
// e-mail address.
func gitAccount(name, email string) (connectors.Account, bool) {
	email = strings.TrimSpace(email)
	if email == "" {
		return connectors.Account{}, false
	}
	return connectors.Account{
		AccountRef: connectors.AccountRef{Platform: connectors.PlatformGit, ExternalID: strings.ToLower(email)},
		Username:   email,
		Name:       name,
		Emails:     []string{email},
	}, true
}

// commitResult is what one commit contributes to a batch.
type commitResult struct {
	activity connectors.Activity
	accounts []connectors.Account
	evidence []connectors.Evidence
}

// commit translates a commit of /repos/{o}/{r}/commits. The actor is the
// GitHub account GitHub linked to the author e-mail, else the git identity;
// when linked, the git identity and the link are reported as evidence.
func (t translator) commit(repo string, c *github.RepositoryCommit) commitResult {
	var res commitResult
	gc := c.GetCommit()
	ga := gc.GetAuthor()
	git, hasGit := gitAccount(ga.GetName(), ga.GetEmail())
	var actor connectors.AccountRef
	if gh, ok := t.account(c.GetAuthor()); ok {
		actor = gh.AccountRef
		res.accounts = append(res.accounts, gh)
		if hasGit {
			res.accounts = append(res.accounts, git)
			res.evidence = append(res.evidence, connectors.Evidence{
				Kind: connectors.EvidenceCommitAuthorLogin, A: git.AccountRef, B: gh.AccountRef,
			})
		}
	} else if hasGit {
		actor = git.AccountRef
		res.accounts = append(res.accounts, git)
	}
	at := ga.GetDate().Time
	if at.IsZero() {
		at = gc.GetCommitter().GetDate().Time
	}
	a := t.activity(TypeCommit, repo+"@"+c.GetSHA(), repo, at, actor)
	a.URL = c.GetHTMLURL()
	a.Title, _, _ = strings.Cut(gc.GetMessage(), "\n")
	a.Title = strings.TrimSpace(a.Title)
	res.activity = a
	return res
}

// commitDate is the committer date, which `since` filters on.
func commitDate(c *github.RepositoryCommit) time.Time {
	if d := c.GetCommit().GetCommitter().GetDate().Time; !d.IsZero() {
		return d
	}
	return c.GetCommit().GetAuthor().GetDate().Time
}

// instanceOf returns the instance name for a base URL: its host, or
// "github.com" for the public API.
func instanceOf(base string) (string, error) {
	if base == "" {
		return "github.com", nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("not an http(s) URL: %q", base)
	}
	h := strings.ToLower(u.Host)
	if h == "api.github.com" {
		return "github.com", nil
	}
	return h, nil
}

// isPublicGitHub reports whether base is github.com's own API, which
// go-github reaches without enterprise URLs.
func isPublicGitHub(base string) bool {
	h, err := instanceOf(base)
	return err == nil && h == "github.com"
}
