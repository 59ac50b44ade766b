package community

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// This file serves `rollcall bench`: the four fakes loaded in-process with
// budgets a bench never exhausts, the fewest requests a backfill of the
// community can make (computed from the community, never from what a
// connector did), and new activity added after a backfill with the fewest
// requests an incremental re-sync of it can make.

// Sources are the platforms of a World, in the order the bench reports them.
var Sources = []string{PlatformGitHub, PlatformMastodon, PlatformDiscourse, PlatformStackOverflow}

// Page sizes: the largest each service allows (API-NOTES.md).
const (
	// GitHubPerPage is per_page's maximum on every REST list.
	GitHubPerPage = 100
	// GitHubProfileBatch is how many accounts one GraphQL query reads
	// for one point (aliases or nodes(ids:)).
	GitHubProfileBatch = 100
	// GitHubReviewBatch is how many pull requests' reviews (a page each)
	// one GraphQL query reads for one point.
	GitHubReviewBatch = 100
	// MastodonAccountLimit is the maximum limit of notifications and
	// account lists; MastodonStatusLimit that of status timelines.
	MastodonAccountLimit = 80
	MastodonStatusLimit  = 40
	// DiscourseTopicsPerPage is per_page's maximum on topic lists;
	// /posts.json always answers 50 posts.
	DiscourseTopicsPerPage = 100
	DiscoursePostsPerPage  = 50
	// DiscourseProfileReads is what one profile costs with a staff key:
	// /u/{username}.json (website, user fields) and
	// /u/{username}/emails.json (e-mails and associated accounts). No
	// batch read carries either: the admin user list
	// (/admin/users/list/{flag}.json?show_emails=true) has the e-mails but
	// no associated accounts, website or user fields, and pages through
	// every registered user, not the ones asked for (API-NOTES.md §3.1).
	DiscourseProfileReads = 2
	// StackExchangePageSize is pagesize's maximum, and the most ids a
	// vectorized method (/users/{ids}, /questions/{ids}/answers) takes.
	StackExchangePageSize = 100
)

// Cost is a count of requests and of the rate-limit units they spend.
type Cost struct {
	Requests int `json:"requests"`
	Units    int `json:"rate_limit_units"`
}

// Add returns c plus d.
func (c Cost) Add(d Cost) Cost { return Cost{c.Requests + d.Requests, c.Units + d.Units} }

// pages is how many requests n items need at size per page: one at least,
// since even an empty list must be asked once to be known empty.
func pages(n, size int) int { return max(1, (n+size-1)/size) }

// batches is how many batch reads n objects need, none for none.
func batches(n, size int) int { return (n + size - 1) / size }

// Fakes are the four fakes loaded with a community, served in-process
// through their Transport (no sockets). Their budgets are large enough that
// a bench never waits on one: the bench counts the units spent instead.
type Fakes struct {
	GitHub        *githubtest.Server
	Mastodon      *mastodontest.Server
	Discourse     *discoursetest.Server
	StackOverflow *stackoverflowtest.Server
}

// NewFakes loads c into four new fakes with the World's credentials.
func NewFakes(c *Community) (*Fakes, error) {
	const huge = 1 << 30
	owner, _, _ := strings.Cut(c.Mastodon.Accounts[0], "@")
	f := &Fakes{
		GitHub: githubtest.New(githubtest.WithToken(WorldGitHubToken), githubtest.WithScopes("public_repo", "read:org"), githubtest.WithRateLimit(huge)),
		Mastodon: mastodontest.New(mastodontest.WithDomain(c.Mastodon.Instance), mastodontest.WithToken(WorldMastodonToken, owner),
			mastodontest.WithApp("rollcall", []string{"read:accounts", "read:statuses", "read:notifications", "read:follows"}),
			mastodontest.WithRateLimit(huge, huge)),
		Discourse:     discoursetest.New(discoursetest.WithAPIKey(WorldDiscourseKey, WorldDiscourseAdmin, true), discoursetest.WithAdminLimit(huge)),
		StackOverflow: stackoverflowtest.New(stackoverflowtest.WithKey(WorldStackExchange), stackoverflowtest.WithSite(c.StackOverflow.Site), stackoverflowtest.WithQuota(huge, huge)),
	}
	if err := c.LoadAll(f.GitHub, f.Mastodon, f.Discourse, f.StackOverflow); err != nil {
		return nil, fmt.Errorf("community: load the generated community into the fakes: %w", err)
	}
	return f, nil
}

// Spent is what the fakes' request logs say was asked of each source since
// the last ResetLogs: every request, and the units of budget they consumed
// (a 304 to a conditional request consumes none on GitHub and Mastodon; a
// GitHub GraphQL query its cost in points).
func (f *Fakes) Spent() map[string]Cost {
	return map[string]Cost{
		PlatformGitHub:        {f.GitHub.Count(), f.GitHub.Units()},
		PlatformMastodon:      {f.Mastodon.Count(), f.Mastodon.Counted()},
		PlatformDiscourse:     {f.Discourse.Count(), f.Discourse.Counted()},
		PlatformStackOverflow: {f.StackOverflow.Count(), f.StackOverflow.Counted()},
	}
}

// ResetLogs empties the four request logs.
func (f *Fakes) ResetLogs() {
	f.GitHub.ResetLog()
	f.Mastodon.ResetLog()
	f.Discourse.ResetLog()
	f.StackOverflow.ResetLog()
}

// Items is how many items the community holds on each platform: a size
// measure to scale a community to a number of activities.
func (c *Community) Items() map[string]int {
	gh := 0
	for _, rd := range c.Repos {
		gh += len(rd.Issues) + len(rd.Comments) + len(rd.Reviews) + len(rd.ReviewComments) + len(rd.Stars) + len(rd.Forks) + len(rd.Releases) + len(rd.Commits)
		for _, is := range rd.Issues {
			if !is.ClosedAt.IsZero() {
				gh++
			}
		}
	}
	md, d, so := c.Mastodon, c.Discourse, c.StackOverflow
	return map[string]int{
		PlatformGitHub:        gh,
		PlatformMastodon:      len(md.Statuses) + len(md.Boosts) + len(md.Favourites) + len(md.Follows),
		PlatformDiscourse:     len(d.Posts) + len(d.Likes),
		PlatformStackOverflow: len(so.Questions) + len(so.Answers) + len(so.Comments),
	}
}

// BackfillMinimum is the fewest requests, and rate-limit units, a first
// sync of the whole community can make on each platform, from what the
// community holds:
//
//   - every stream read at the largest page size the service allows, one
//     request at least per stream;
//   - one batch read per 100 new profiles where the service has one (GitHub
//     GraphQL, Stack Exchange /users/{ids}), else the reads of each profile
//     (Discourse with a staff key: /u/{username}.json and
//     /u/{username}/emails.json, see DiscourseProfileReads); Mastodon embeds
//     the whole account in every status and notification;
//   - the per-object reads the data needs: pull requests' reviews (one
//     GitHub GraphQL query per 100 pull requests of a repository, plus the
//     pages beyond the first of one with more than 100), who liked a liked
//     Discourse post, a solved topic's accepted answer, the
//     answers and comments of Stack Exchange questions (by 100 ids).
//
// Every request costs one unit: a backfill has nothing cached to revalidate.
func (c *Community) BackfillMinimum() map[string]Cost {
	req := map[string]int{
		PlatformGitHub:        c.githubMinimum(),
		PlatformMastodon:      c.mastodonMinimum(),
		PlatformDiscourse:     c.discourseMinimum(),
		PlatformStackOverflow: c.stackOverflowMinimum(),
	}
	out := map[string]Cost{}
	for k, n := range req {
		out[k] = Cost{n, n}
	}
	return out
}

func (c *Community) githubMinimum() int {
	n := pages(len(c.Repos), GitHubPerPage) // the organization's repositories
	actors := map[string]bool{}
	see := func(login string) {
		if login != "" && login != c.Org {
			actors[strings.ToLower(login)] = true
		}
	}
	for _, rd := range c.Repos {
		reviews := map[int]int{}
		for _, r := range rd.Reviews {
			reviews[r.Pull]++
			see(r.User)
		}
		pulls := 0
		for _, is := range rd.Issues {
			see(is.User)
			if is.Pull {
				pulls++
				n += pages(reviews[is.Number], GitHubPerPage) - 1
			}
		}
		n += batches(pulls, GitHubReviewBatch)
		for _, x := range rd.Comments {
			see(x.User)
		}
		for _, x := range rd.ReviewComments {
			see(x.User)
		}
		for _, x := range rd.Stars {
			see(x.User)
		}
		for _, x := range rd.Forks {
			see(x.Owner)
		}
		for _, x := range rd.Releases {
			see(x.Author)
		}
		for _, x := range rd.Commits {
			see(x.Author)
			see(x.Committer)
		}
		for _, k := range []int{len(rd.Issues), len(rd.Comments), len(rd.ReviewComments), len(rd.Stars), len(rd.Forks), len(rd.Releases), len(rd.Commits)} {
			n += pages(k, GitHubPerPage)
		}
	}
	return n + batches(len(actors), GitHubProfileBatch)
}

func (c *Community) mastodonMinimum() int {
	md := c.Mastodon
	tracked := map[string]bool{}
	for _, a := range md.Accounts {
		tracked[strings.ToLower(a)] = true
	}
	// The token's owner (verify_credentials) and each tracked account
	// (accounts/lookup) once.
	n := 1 + len(md.Accounts)
	notes := len(md.Follows)
	for _, r := range slices.Concat(md.Boosts, md.Favourites) {
		if tracked[md.Statuses[r.Status-1].Account] {
			notes++
		}
	}
	for _, s := range md.Statuses {
		for _, m := range s.Mentions {
			if tracked[m] && s.Account != m {
				notes++
				break
			}
		}
	}
	n += pages(notes, MastodonAccountLimit)
	for _, tag := range md.Hashtags {
		k := 0
		for _, s := range md.Statuses {
			if slices.Contains(s.Tags, tag) {
				k++
			}
		}
		n += pages(k, MastodonStatusLimit)
	}
	return n
}

func (c *Community) discourseMinimum() int {
	d := c.Discourse
	n := 1 // /categories.json: the categories' names
	n += pages(len(d.Topics), DiscourseTopicsPerPage) + pages(len(d.Posts), DiscoursePostsPerPage)
	// system and discobot (ids below 1) are Discourse's own users, not
	// members: their posts are listed but not read further, and they have
	// no profile to read.
	service := map[string]bool{}
	for _, u := range d.Users {
		if u.ID <= 0 {
			service[strings.ToLower(u.Username)] = true
		}
	}
	users := map[string]bool{}
	author := map[int64]string{}
	for _, p := range d.Posts {
		author[p.ID] = strings.ToLower(p.User)
		users[strings.ToLower(p.User)] = true
	}
	liked := map[int64]bool{}
	for _, l := range d.Likes {
		if service[author[l.PostID]] {
			continue
		}
		liked[l.PostID] = true
		users[strings.ToLower(l.User)] = true
	}
	n += len(liked)
	for _, t := range d.Topics {
		users[strings.ToLower(t.User)] = true
		if t.AcceptedPostID != 0 {
			n++
			if t.AcceptedBy != "" {
				users[strings.ToLower(t.AcceptedBy)] = true
			}
		}
	}
	for u := range service {
		delete(users, u)
	}
	return n + DiscourseProfileReads*len(users)
}

func (c *Community) stackOverflowMinimum() int {
	so := c.StackOverflow
	n := 0
	for _, tag := range so.Tags {
		k := 0
		for _, q := range so.Questions {
			if slices.Contains(q.Tags, tag) {
				k++
			}
		}
		n += pages(k, StackExchangePageSize)
	}
	users := map[int64]bool{}
	answersOf := map[int64]int{}
	commentsOf := map[int64]int{}
	for _, a := range so.Answers {
		answersOf[a.QuestionID]++
		users[a.OwnerID] = true
	}
	for _, cm := range so.Comments {
		commentsOf[cm.PostID]++
		users[cm.OwnerID] = true
	}
	qids := make([]int64, 0, len(so.Questions))
	for _, q := range so.Questions {
		qids = append(qids, q.QuestionID)
		users[q.OwnerID] = true
	}
	aids := make([]int64, 0, len(so.Answers))
	for _, a := range so.Answers {
		aids = append(aids, a.AnswerID)
	}
	n += vectorPages(qids, answersOf) + vectorPages(qids, commentsOf) + vectorPages(aids, commentsOf)
	delete(users, 0)
	return n + batches(len(users), StackExchangePageSize)
}

// vectorPages is the requests of a vectorized method over ids (100 ids a
// call) whose results per id are per[id], at 100 results a page.
func vectorPages(ids []int64, per map[int64]int) int {
	n := 0
	for chunk := range slices.Chunk(ids, StackExchangePageSize) {
		k := 0
		for _, id := range chunk {
			k += per[id]
		}
		n += pages(k, StackExchangePageSize)
	}
	return n
}

// Growth is new activity added to the fakes after a backfill, with the
// fewest requests and units an incremental re-sync of it can make.
type Growth struct {
	// Added is how many items were added per platform.
	Added map[string]int
	// Minimum per platform: every stream polled once (a conditional
	// request answered 304, free, on GitHub and Mastodon; a full-price
	// request on Discourse and Stack Exchange, which have none), plus the
	// pages the new items need at the largest page size, plus the
	// per-object reads they need. The new items are by accounts already
	// known, so they need no profile reads.
	Minimum map[string]Cost
}

// Grow adds new activity to the fakes, want[platform] items each, dated
// from at on, by accounts that were active before: new issues with one
// comment each in the first repository, new statuses under the first
// hashtag, replies in the newest Discourse topic, new questions under the
// first Stack Overflow tag.
func (c *Community) Grow(f *Fakes, want map[string]int, at time.Time) (Growth, error) {
	g := Growth{Added: map[string]int{}, Minimum: map[string]Cost{}}
	at = at.UTC().Truncate(time.Second)
	tick := func(i int) time.Time { return at.Add(time.Duration(i) * time.Second) }

	// GitHub: issues and comments, half each.
	if n := want[PlatformGitHub]; n > 0 && len(c.Repos) > 0 {
		rd := c.Repos[0]
		var authors []string
		for _, is := range rd.Issues {
			if !slices.Contains(authors, is.User) {
				authors = append(authors, is.User)
			}
			if len(authors) == 20 {
				break
			}
		}
		if len(authors) == 0 {
			return g, fmt.Errorf("community: grow github: no issue authors")
		}
		issues, comments := (n+1)/2, n/2
		var nums []int
		for i := range issues {
			is, err := f.GitHub.AddIssue(rd.Repo.Owner, rd.Repo.Name, githubtest.Issue{User: authors[i%len(authors)], Title: "Bench: new issue", Body: "More.", State: "open", CreatedAt: tick(i)})
			if err != nil {
				return g, fmt.Errorf("community: grow github: %w", err)
			}
			nums = append(nums, is.Number)
		}
		for i := range comments {
			if _, err := f.GitHub.AddComment(rd.Repo.Owner, rd.Repo.Name, githubtest.Comment{Issue: nums[i%len(nums)], User: authors[(i+1)%len(authors)], Body: "Seen it too.", CreatedAt: tick(issues + i)}); err != nil {
				return g, fmt.Errorf("community: grow github: %w", err)
			}
		}
		g.Added[PlatformGitHub] = issues + comments
		// Each stream of each repository polled (304, free); the first
		// repository's issues and comments read anew. Not the
		// organization's listing: no repository was added, so a re-sync
		// needs none (rollcall asks it at most hourly).
		polls := 7 * len(c.Repos)
		read := pages(issues, GitHubPerPage) + pages(comments, GitHubPerPage)
		g.Minimum[PlatformGitHub] = Cost{polls - 2 + read, read}
	}

	// Mastodon: statuses under the first hashtag.
	if n := want[PlatformMastodon]; n > 0 && len(c.Mastodon.Hashtags) > 0 {
		md := c.Mastodon
		tag := md.Hashtags[0]
		var authors []string
		for _, s := range md.Statuses {
			if slices.Contains(s.Tags, tag) && !slices.Contains(authors, s.Account) {
				authors = append(authors, s.Account)
			}
			if len(authors) == 20 {
				break
			}
		}
		if len(authors) == 0 {
			return g, fmt.Errorf("community: grow mastodon: no one posted #%s", tag)
		}
		for i := range n {
			if _, err := f.Mastodon.AddStatus(mastodontest.Status{Account: authors[i%len(authors)], Tags: []string{tag}, CreatedAt: tick(i)}); err != nil {
				return g, fmt.Errorf("community: grow mastodon: %w", err)
			}
		}
		g.Added[PlatformMastodon] = n
		polls := 1 + len(md.Hashtags) // notifications and every hashtag
		read := pages(n, MastodonStatusLimit)
		g.Minimum[PlatformMastodon] = Cost{polls - 1 + read, read}
	}

	// Discourse: replies in the newest topic.
	if n := want[PlatformDiscourse]; n > 0 && len(c.Discourse.Topics) > 0 {
		d := c.Discourse
		t := d.Topics[len(d.Topics)-1]
		var authors []string
		for i := len(d.Posts) - 1; i >= 0 && len(authors) < 20; i-- {
			if u := d.Posts[i].User; !slices.Contains(authors, u) && u != WorldDiscourseAdmin && u != "discobot" {
				authors = append(authors, u)
			}
		}
		for i := range n {
			if _, err := f.Discourse.AddPost(discoursetest.Post{TopicID: t.ID, User: authors[i%len(authors)], Raw: "Same here, thanks.", CreatedAt: tick(i)}); err != nil {
				return g, fmt.Errorf("community: grow discourse: %w", err)
			}
		}
		g.Added[PlatformDiscourse] = n
		// The topic list (its first page holds the bumped topic) and the
		// new posts; no conditional requests, so every request costs.
		r := 1 + pages(n, DiscoursePostsPerPage)
		g.Minimum[PlatformDiscourse] = Cost{r, r}
	}

	// Stack Overflow: questions under the first tag.
	if n := want[PlatformStackOverflow]; n > 0 && len(c.StackOverflow.Tags) > 0 {
		so := c.StackOverflow
		var owners []int64
		for _, q := range so.Questions {
			if q.OwnerID != 0 && !slices.Contains(owners, q.OwnerID) {
				owners = append(owners, q.OwnerID)
			}
			if len(owners) == 20 {
				break
			}
		}
		if len(owners) == 0 {
			return g, fmt.Errorf("community: grow stackoverflow: no askers")
		}
		for i := range n {
			if _, err := f.StackOverflow.AddQuestion(stackoverflowtest.Question{Title: "Bench: how do I do this?", Tags: []string{so.Tags[0]}, OwnerID: owners[i%len(owners)], CreationDate: tick(i)}); err != nil {
				return g, fmt.Errorf("community: grow stackoverflow: %w", err)
			}
		}
		g.Added[PlatformStackOverflow] = n
		// Every tag polled, the first one's new questions paged, and the
		// new questions' answers and comments asked for by 100 ids.
		r := len(so.Tags) - 1 + pages(n, StackExchangePageSize) + 2*batches(n, StackExchangePageSize)
		g.Minimum[PlatformStackOverflow] = Cost{r, r}
	}
	return g, nil
}
