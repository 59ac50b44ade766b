package github

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// conformanceFake adapts githubtest to the conformance suite.
type conformanceFake struct {
	*githubtest.Server
	com *community.Community
}

func (f conformanceFake) Transport() http.RoundTripper { return f.Server.Transport() }

func (f conformanceFake) Settings() string {
	return "token: tok\nbase_url: " + fakeBase + "\norgs: [" + f.com.Org + "]\n"
}

func (f conformanceFake) Exhaust(reset time.Time) { f.SetRateLimit(0, reset) }

// PagesFollowed counts requests for a page after the first: page=2 and
// later, and since-walks. The connector pages issues and comments by moving
// since= to the newest item seen (see advanceSince), and moves it only after
// a full page; so a path asked again in a pass with another since= followed
// a page of the walk.
func (f conformanceFake) PagesFollowed() int {
	n := 0
	since := map[string]string{}
	for _, r := range f.Requests() {
		q := "&" + r.RawQuery + "&"
		if strings.Contains(q, "&page=") && !strings.Contains(q, "&page=1&") {
			n++
		}
		if !strings.Contains(q, "&sort=updated&") {
			continue // not a since-walk (the first has no since= when none is configured)
		}
		s := ""
		if i := strings.Index(q, "&since="); i >= 0 {
			s = q[i+len("&since="):]
			s = s[:strings.Index(s, "&")]
		}
		if prev, ok := since[r.Path]; ok && prev != s {
			n++
		}
		since[r.Path] = s
	}
	return n
}

// Grow adds one activity of every type to the first repository.
func (f conformanceFake) Grow(at time.Time) int {
	repo := f.com.Repos[0].Repo
	o, n := repo.Owner, repo.Name
	login := f.com.Users[len(f.com.Users)-1].Login
	is, _ := f.AddIssue(o, n, githubtest.Issue{User: login, Title: "grown issue", CreatedAt: at})
	pr, _ := f.AddPull(o, n, githubtest.Issue{User: login, Title: "grown PR", CreatedAt: at})
	f.AddComment(o, n, githubtest.Comment{Issue: is.Number, User: login, Body: "hi", CreatedAt: at})
	f.AddReview(o, n, githubtest.Review{Pull: pr.Number, User: login, State: githubtest.ReviewApproved, SubmittedAt: at})
	f.AddReviewComment(o, n, githubtest.ReviewComment{Pull: pr.Number, User: login, Body: "nit", Path: "a.go", CreatedAt: at})
	f.MergePull(o, n, pr.Number, at)
	f.AddStar(o, n, f.com.Users[1].Login, at)
	f.AddRelease(o, n, githubtest.Release{TagName: "v99.0.0", Author: login, CreatedAt: at, PublishedAt: at})
	f.AddCommit(o, n, githubtest.Commit{Message: "grown commit", AuthorName: "N", AuthorEmail: "n@example.org", AuthorDate: at, Author: login})
	f.AddUser(githubtest.User{Login: "grown-forker"})
	f.AddFork(o, n, "grown-forker", at)
	return 10
}

// Roles are the community's maintainers (members of the org, so their items
// carry author_association MEMBER) who authored an issue, pull request,
// comment, review or review comment, and the bots that opened an issue or
// commented.
func (f conformanceFake) Roles() (staff, bots []string) {
	maint, bot := map[string]bool{}, map[string]bool{}
	for _, p := range f.com.People {
		if p.Kind == community.KindStaff && len(p.Accounts) > 0 && p.Accounts[0].Platform == community.PlatformGitHub {
			maint[p.Accounts[0].Username] = true
		}
	}
	for _, u := range f.com.Users {
		if u.Type == githubtest.TypeBot {
			bot[u.Login] = true
		}
	}
	authored := map[string]bool{}
	for _, rd := range f.com.Repos {
		for _, x := range rd.Issues {
			authored[x.User] = true
		}
		for _, x := range rd.Comments {
			authored[x.User] = true
		}
		for _, x := range rd.Reviews {
			if maint[x.User] {
				authored[x.User] = true
			}
		}
		for _, x := range rd.ReviewComments {
			if maint[x.User] {
				authored[x.User] = true
			}
		}
	}
	for l := range authored {
		switch {
		case maint[l]:
			staff = append(staff, l)
		case bot[l]:
			bots = append(bots, l)
		}
	}
	return staff, bots
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Case{
		Kind: Kind,
		New: func(t *testing.T, now func() time.Time) connectortest.Fake {
			srv := githubtest.New(githubtest.WithNow(now), githubtest.WithToken("tok"))
			com := community.Generate(11, 40, now())
			if err := com.LoadGitHub(srv); err != nil {
				t.Fatal(err)
			}
			return conformanceFake{Server: srv, com: com}
		},
		Types:          []string{TypeIssueOpened, TypePROpened, TypePRMerged, TypeIssueComment, TypePRReview, TypePRReviewComment, TypeStar, TypeFork, TypeRelease, TypeCommit},
		ReplyTypes:     []string{TypePRMerged, TypeIssueComment, TypePRReview, TypePRReviewComment},
		ReactionTypes:  []string{TypeIssueOpened, TypePROpened, TypeIssueComment, TypePRReviewComment},
		TextTypes:      []string{TypeIssueOpened, TypePROpened, TypeIssueComment, TypePRReviewComment, TypePRReview},
		IdleMaxCounted: 0,
	})
}
