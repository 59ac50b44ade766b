package github

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/shurcooL/githubv4"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// fuzzNow is the fixed time of the fuzz targets.
var fuzzNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// decodeList decodes a page as go-github does.
func decodeList[T any](body []byte) ([]*T, error) {
	var list []*T
	err := json.Unmarshal(body, &list)
	return list, err
}

// fuzzKinds are the GitHub responses the connector translates, each run
// through the translator and the batch builder as its step function does.
func fuzzKinds() []connectortest.TranslateKind {
	tr := translator{instance: "github.com"}
	c := &Connector{tr: tr}
	const repo = "octo/hello"
	batch := func(b *builder) connectors.Batch {
		return connectors.Batch{Accounts: b.accounts, Activities: b.activities, Evidence: b.evidence}
	}
	newBuilder := func() *builder { return &builder{index: map[string]int{}} }
	parent := &issueRef{ID: 7, Title: "parent"}
	return []connectortest.TranslateKind{
		{Name: "issues", Paths: regexp.MustCompile(`/repos/[^/]+/[^/]+/issues$`), Files: regexp.MustCompile(`/issues(\?|$)`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.Issue](body)
				b := newBuilder()
				for _, is := range list {
					for _, a := range tr.issue(repo, is) {
						if b.addActivity(a) {
							b.addAuthor(tr, is.GetUser(), is.GetAuthorAssociation())
						}
					}
				}
				return batch(b), err
			}},
		{Name: "issue comments", Paths: regexp.MustCompile(`/issues/comments$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.IssueComment](body)
				b := newBuilder()
				for i, cm := range list {
					p := parent
					if i%2 == 1 {
						p = nil // the parent could not be read: the key comes from issue_url
					}
					if b.addActivity(tr.comment(repo, cm, p)) {
						b.addAuthor(tr, cm.GetUser(), cm.GetAuthorAssociation())
					}
				}
				return batch(b), err
			}},
		{Name: "review comments", Paths: regexp.MustCompile(`/pulls/comments$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.PullRequestComment](body)
				b := newBuilder()
				for i, cm := range list {
					p := parent
					if i%2 == 1 {
						p = nil
					}
					if b.addActivity(tr.reviewComment(repo, cm, p)) {
						b.addAuthor(tr, cm.GetUser(), cm.GetAuthorAssociation())
					}
				}
				return batch(b), err
			}},
		{Name: "reviews", Paths: regexp.MustCompile(`/pulls/\d+/reviews$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.PullRequestReview](body)
				b := newBuilder()
				c.addReviews(repo, prRef{Number: 3, ID: 9, Title: "pr"}, list, b)
				return batch(b), err
			}},
		{Name: "stargazers", Paths: regexp.MustCompile(`/stargazers$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.Stargazer](body)
				b := newBuilder()
				for _, s := range list {
					if b.addActivity(tr.star(repo, s)) {
						b.addUser(tr, s.GetUser())
					}
				}
				return batch(b), err
			}},
		{Name: "forks", Paths: regexp.MustCompile(`/forks$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.Repository](body)
				b := newBuilder()
				for _, f := range list {
					if b.addActivity(tr.fork(repo, f)) {
						b.addUser(tr, f.GetOwner())
					}
				}
				return batch(b), err
			}},
		{Name: "releases", Paths: regexp.MustCompile(`/releases$`), Files: regexp.MustCompile(`/releases/`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.RepositoryRelease](body)
				b := newBuilder()
				for _, r := range list {
					if a, ok := tr.release(repo, r); ok && b.addActivity(a) {
						b.addUser(tr, r.GetAuthor())
					}
				}
				return batch(b), err
			}},
		{Name: "commits", Paths: regexp.MustCompile(`/commits$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeList[github.RepositoryCommit](body)
				b := newBuilder()
				for _, cm := range list {
					res := tr.commit(repo, cm)
					if b.addActivity(res.activity) {
						for _, a := range res.accounts {
							b.addAccount(a)
						}
						b.evidence = append(b.evidence, res.evidence...)
					}
				}
				return batch(b), err
			}},
		{Name: "profile", Paths: regexp.MustCompile(`/users/[^/]+$`), Files: regexp.MustCompile(`/(orgs|users)/[^/]+$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var u github.User
				if err := json.Unmarshal(body, &u); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				b.addAccount(tr.profile(&u, []socialAccount{{Provider: "mastodon", URL: u.GetBlog()}}, fuzzNow))
				return batch(b), nil
			}},
		{Name: "graphql reviews", Paths: regexp.MustCompile(`/graphql$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				// The nodes of a pull request's reviews(first: 100), as
				// githubv4 decodes them: the inline fragments on User, Bot
				// and Organization all read the author object's id and
				// databaseId.
				var nodes []struct {
					DatabaseID int64 `json:"databaseId"`
					Author     *struct {
						Typename   string `json:"__typename"`
						Login      string `json:"login"`
						URL        string `json:"url"`
						AvatarURL  string `json:"avatarUrl"`
						ID         string `json:"id"`
						DatabaseID int64  `json:"databaseId"`
					} `json:"author"`
					AuthorAssociation string             `json:"authorAssociation"`
					State             string             `json:"state"`
					Body              string             `json:"body"`
					URL               string             `json:"url"`
					SubmittedAt       *githubv4.DateTime `json:"submittedAt"`
				}
				if err := json.Unmarshal(body, &nodes); err != nil {
					return connectors.Batch{}, err
				}
				var list []*github.PullRequestReview
				for _, n := range nodes {
					r := gqlReview{DatabaseID: n.DatabaseID, AuthorAssociation: n.AuthorAssociation, State: n.State, Body: n.Body, URL: n.URL, SubmittedAt: n.SubmittedAt}
					if a := n.Author; a != nil {
						ids := gqlIDs{ID: a.ID, DatabaseID: a.DatabaseID}
						r.Author = &gqlActor{Typename: a.Typename, Login: a.Login, URL: a.URL, AvatarURL: a.AvatarURL, User: ids, Bot: ids, Org: ids}
					}
					list = append(list, r.review())
				}
				b := newBuilder()
				c.addReviews(repo, prRef{Number: 3, ID: 9, Title: "pr"}, list, b)
				return batch(b), nil
			}},
	}
}

// FuzzTranslate: whatever a GitHub response holds, its translation never
// panics, and yields activities with well-formed keys, an actor and a
// time, valid UTF-8, and accounts with an id (connectortest.CheckBatch).
// Seeds: octokit's recorded responses and the fake's output.
func FuzzTranslate(f *testing.F) {
	fixtures := connectortest.FixtureBodies("../../../shared/fixtures/github", "../../../../shared/fixtures/github")
	srv := githubtest.New(githubtest.WithNow(func() time.Time { return fuzzNow }), githubtest.WithToken("tok"))
	com := community.Generate(3, 12, fuzzNow)
	if err := com.LoadGitHub(srv); err != nil {
		f.Fatal(err)
	}
	served, err := connectortest.FakeResponses(Kind, "token: tok\nbase_url: "+fakeBase+"\norgs: ["+com.Org+"]\n", srv.Transport(), fuzzNow)
	if err != nil {
		f.Fatal(err)
	}
	connectortest.FuzzTranslate(f, connectors.PlatformGitHub, "github.com", fuzzKinds(), fixtures, served)
}
