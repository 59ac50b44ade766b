package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/shurcooL/githubv4"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Profiles through GraphQL: up to 100 accounts per query, by the node ids
// the REST payloads carry (nodes(ids:)), which GitHub's GraphQL cost rule
// charges one point of the separate graphql budget, where REST spends two
// core requests per account (/users/{login} and its social_accounts).
// githubv4 builds the query from the Go types below and decodes the
// answer; it runs on the shared client's Transport (credentials from the
// token source, retries, rate-limit accounting, counting), with the
// requests marked as the "graphql" resource so that its budget and pause
// are its own.
//
// The REST reads stay:
//   - for every account when GraphQL is refused: no token (GitHub's
//     GraphQL API needs one), 401/403/404 at the endpoint (a GitHub
//     Enterprise Server without it, a token without access), or a query
//     the server cannot run (an older schema): for refusalTTL;
//   - for single accounts GraphQL could not give: a null node (deleted,
//     suspended, hidden: REST then answers 404 and the account is
//     remembered as missing, as before), an organization (GraphQL has no
//     followers count for one), a queued account without a node id.
//
// A spent graphql budget (headers down to the reserve, or an error of type
// RATE_LIMIT / RATE_LIMITED) pauses GraphQL only: the REST streams go on,
// the profiles stay queued in the cursor, and a pass that ends with them
// still queued carries them into the next one.

const (
	// graphQLBatch is how many accounts one query asks for: GitHub's
	// limit on nodes(ids:).
	graphQLBatch = 100
	// graphQLProfilesPerBatch bounds the profiles one Fetch reads through
	// GraphQL (queries of graphQLBatch).
	graphQLProfilesPerBatch = 5 * graphQLBatch
	// refusalTTL is how long a refused GraphQL endpoint is not asked again.
	refusalTTL = 24 * time.Hour
	// graphQLResource is GitHub's X-RateLimit-Resource of GraphQL.
	graphQLResource = "graphql"
	// maxGraphQLBody bounds the answer read to see its errors' types.
	maxGraphQLBody = 32 << 20
)

// gqlSocial is one entry of User.socialAccounts.
type gqlSocial struct {
	Provider string
	URL      string `graphql:"url"`
}

// gqlNode is one account of nodes(ids:).
type gqlNode struct {
	Typename string `graphql:"__typename"`
	User     struct {
		DatabaseID      int64  `graphql:"databaseId"`
		Login           string `graphql:"login"`
		Name            *string
		Email           string
		WebsiteURL      *string `graphql:"websiteUrl"`
		Company         *string
		Location        *string
		TwitterUsername *string `graphql:"twitterUsername"`
		URL             string  `graphql:"url"`
		AvatarURL       string  `graphql:"avatarUrl"`
		CreatedAt       githubv4.DateTime
		Followers       struct {
			TotalCount int
		}
		SocialAccounts struct {
			Nodes []gqlSocial
		} `graphql:"socialAccounts(first: 100)"`
	} `graphql:"... on User"`
	Bot struct {
		DatabaseID int64  `graphql:"databaseId"`
		Login      string `graphql:"login"`
		URL        string `graphql:"url"`
		AvatarURL  string `graphql:"avatarUrl"`
		CreatedAt  githubv4.DateTime
	} `graphql:"... on Bot"`
}

// profilesQuery reads up to graphQLBatch accounts and what the query cost.
type profilesQuery struct {
	Nodes     []*gqlNode `graphql:"nodes(ids: $ids)"`
	RateLimit struct {
		Cost      int
		Remaining int
		ResetAt   githubv4.DateTime
	}
}

// user is the node as go-github's User, so that a profile read through
// GraphQL is translated exactly as one read through REST.
func (n *gqlNode) user() (*github.User, []socialAccount, bool) {
	switch n.Typename {
	case "User":
		u := n.User
		gu := &github.User{
			ID: github.Int64(u.DatabaseID), Login: github.String(u.Login), Type: github.String("User"),
			HTMLURL: github.String(u.URL), AvatarURL: github.String(u.AvatarURL),
			Name: u.Name, Email: github.String(u.Email), Blog: u.WebsiteURL, Company: u.Company,
			Location: u.Location, TwitterUsername: u.TwitterUsername, Followers: github.Int(u.Followers.TotalCount),
			CreatedAt: &github.Timestamp{Time: u.CreatedAt.Time},
		}
		social := make([]socialAccount, len(u.SocialAccounts.Nodes))
		for i, s := range u.SocialAccounts.Nodes {
			social[i] = socialAccount{Provider: strings.ToLower(s.Provider), URL: s.URL}
		}
		return gu, social, u.DatabaseID != 0
	case "Bot":
		b := n.Bot
		return &github.User{
			ID: github.Int64(b.DatabaseID), Login: github.String(b.Login), Type: github.String("Bot"),
			HTMLURL: github.String(b.URL), AvatarURL: github.String(b.AvatarURL),
			Followers: github.Int(0), CreatedAt: &github.Timestamp{Time: b.CreatedAt.Time},
		}, nil, b.DatabaseID != 0
	}
	return nil, nil, false // an organization, or a type this query does not read
}

// graphQL is the GraphQL side of a connector: the client, and whether the
// endpoint refused.
type graphQL struct {
	client *githubv4.Client
	mu     sync.Mutex
	off    time.Time // refused: not asked before this time
}

// newGraphQL returns the GraphQL client of a source: githubv4 on the
// shared Transport, at api.github.com/graphql or, for GitHub Enterprise
// Server, <base>/api/graphql.
func newGraphQL(client *connectors.Client, base string) *graphQL {
	hc := &http.Client{Transport: peekErrors{client.Transport()}}
	if base == "" {
		return &graphQL{client: githubv4.NewClient(hc)}
	}
	return &graphQL{client: githubv4.NewEnterpriseClient(strings.TrimSuffix(base, "/")+"/api/graphql", hc)}
}

// gqlError is what rollcall reads of an entry of a GraphQL answer's
// "errors": its type and path (githubv4 returns only the messages).
type gqlError struct {
	Type string `json:"type"`
	Path []any  `json:"path"`
}

// gqlAnswer is what peekErrors saw of a 200 answer.
type gqlAnswer struct {
	errs    []gqlError
	hasData bool
	parsed  bool // the body was JSON
}

type answerKey struct{}

// peekErrors reads the errors' types of a GraphQL answer for the request
// context's gqlAnswer, and hands the body on unchanged.
type peekErrors struct{ base http.RoundTripper }

func (p peekErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.base.RoundTrip(req)
	ans, _ := req.Context().Value(answerKey{}).(*gqlAnswer)
	if err != nil || ans == nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxGraphQLBody))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		ans.parsed = true
		ans.errs = env.Errors
		ans.hasData = len(env.Data) > 0 && string(env.Data) != "null"
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// errRefused reports that the GraphQL endpoint will not serve this source.
var errRefused = errors.New("github: GraphQL refused")

// available reports whether GraphQL may be asked now.
func (g *graphQL) available(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !now.Before(g.off)
}

func (g *graphQL) refuse(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.off = until
}

// fetchProfiles reads the profiles of reqs (at most graphQLBatch, each
// with a node id) in one query. It returns the users found, by id, and
// the error: errRefused when the endpoint refused, an
// *connectors.ErrRateLimited for the graphql resource when its budget is
// spent.
func (c *Connector) fetchProfiles(ctx context.Context, reqs []profileReq) (map[int64]*gqlNode, error) {
	ids := make([]githubv4.ID, len(reqs))
	for i, r := range reqs {
		ids[i] = githubv4.ID(r.Node)
	}
	var q profilesQuery
	if err := c.query(ctx, &q, map[string]any{"ids": ids}, fmt.Sprintf("read %d profiles", len(reqs))); err != nil {
		return nil, err
	}
	out := make(map[int64]*gqlNode, len(q.Nodes))
	for i, n := range q.Nodes {
		if n != nil && i < len(reqs) {
			out[reqs[i].ID] = n
		}
	}
	return out, nil
}

// query runs one GraphQL query on the graphql resource. Partial data (some
// nodes null, with errors) is no error: the caller reads those through
// REST. It returns errRefused when the endpoint refused or could not run
// the query, an *connectors.ErrRateLimited for the graphql resource when
// its budget is spent.
func (c *Connector) query(ctx context.Context, q any, vars map[string]any, what string) error {
	ctx = connectors.WithResource(ctx, graphQLResource)
	ctx, last := connectors.WithLastResponse(ctx)
	ans := &gqlAnswer{}
	ctx = context.WithValue(ctx, answerKey{}, ans)
	err := c.gql.client.Query(ctx, q, vars)
	for _, e := range ans.errs {
		if e.Type == "RATE_LIMIT" || e.Type == "RATE_LIMITED" {
			until := c.now().Add(time.Minute)
			if h := last.Header(); h != nil {
				if n, perr := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); perr == nil && time.Unix(n, 0).After(c.now()) {
					until = time.Unix(n, 0).UTC()
				}
			}
			return c.client.PauseResource(ctx, graphQLResource, until, "graphql rate-limit budget exhausted ("+e.Type+")")
		}
	}
	if err == nil {
		return nil
	}
	var rl *connectors.ErrRateLimited
	var un *connectors.ErrUnauthorized
	var te *connectors.ErrToken
	switch {
	case errors.As(err, &rl), errors.As(err, &te), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &un):
		return fmt.Errorf("%w (401 at %s)", errRefused, un.URL)
	}
	switch st := last.Status(); {
	case st == http.StatusOK && (isDecodeError(err) || !ans.parsed):
		// A body that is not the JSON it claims (cut short, spoilt).
		return fmt.Errorf("github: %s through GraphQL: %w", what, &connectors.ErrMalformed{Source: c.source, URL: last.URL(), Status: st, Err: err})
	case st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusNotFound:
		return fmt.Errorf("%w (%d at %s)", errRefused, st, last.URL())
	case st == http.StatusOK && !ans.hasData:
		// The query failed as a whole (validation): a server whose schema
		// lacks a field this query reads.
		return fmt.Errorf("%w (the query failed: %v)", errRefused, err)
	case st == http.StatusOK && len(ans.errs) > 0:
		return nil // partial data
	}
	return fmt.Errorf("github: %s through GraphQL: %w", what, err)
}

// Reviews through GraphQL: the reviews of up to graphQLBatch pull
// requests of one repository in one query (repository { p0:
// pullRequest(number: N) { reviews(first: 100) {...} } ... }), one point
// where REST spends a request per pull request. A pull request GraphQL
// does not give (deleted: null, NOT_FOUND) or with more than 100 reviews
// is read through REST, as are all when GraphQL is refused or waits for
// its budget.

// gqlActor is a review's author. The Actor interface has no id or
// databaseId: those come from the fragments on its object types.
type gqlActor struct {
	Typename  string `graphql:"__typename"`
	Login     string `graphql:"login"`
	URL       string `graphql:"url"`
	AvatarURL string `graphql:"avatarUrl"`
	User      gqlIDs `graphql:"... on User"`
	Bot       gqlIDs `graphql:"... on Bot"`
	Org       gqlIDs `graphql:"... on Organization"`
}

// gqlIDs are an object's node id and numeric id.
type gqlIDs struct {
	ID         string `graphql:"id"`
	DatabaseID int64  `graphql:"databaseId"`
}

// gqlReview is one review of a pull request.
type gqlReview struct {
	DatabaseID        int64 `graphql:"databaseId"`
	Author            *gqlActor
	AuthorAssociation string `graphql:"authorAssociation"`
	State             string `graphql:"state"`
	Body              string `graphql:"body"`
	URL               string `graphql:"url"`
	SubmittedAt       *githubv4.DateTime
}

// gqlPullReviews is a pull request's reviews, up to one page.
type gqlPullReviews struct {
	Number  int
	Reviews struct {
		PageInfo struct {
			HasNextPage bool
		}
		Nodes []gqlReview
	} `graphql:"reviews(first: 100)"`
}

// review is r as go-github's review, translated as one read through REST.
func (r gqlReview) review() *github.PullRequestReview {
	out := &github.PullRequestReview{
		ID: github.Int64(r.DatabaseID), State: github.String(r.State), Body: github.String(r.Body),
		HTMLURL: github.String(r.URL), AuthorAssociation: github.String(r.AuthorAssociation),
	}
	if r.SubmittedAt != nil {
		out.SubmittedAt = &github.Timestamp{Time: r.SubmittedAt.Time}
	}
	if a := r.Author; a != nil {
		ids, typ := a.User, "User"
		switch a.Typename {
		case "Bot":
			ids, typ = a.Bot, "Bot"
		case "Organization":
			ids, typ = a.Org, "Organization"
		}
		if ids.DatabaseID != 0 {
			out.User = &github.User{
				ID: github.Int64(ids.DatabaseID), NodeID: github.String(ids.ID), Login: github.String(a.Login), Type: github.String(typ),
				HTMLURL: github.String(a.URL), AvatarURL: github.String(a.AvatarURL),
			}
		}
	}
	return out
}

// reviewsQuery is the query of the reviews of prs (at most graphQLBatch)
// and its variables: repository(owner: $owner, name: $name) { p0:
// pullRequest(number: $n0) ... }. The numbers are variables, so that the
// query's Go type depends only on len(prs): reflect keeps every struct
// type it makes for the life of the process, and a type naming the
// numbers would be a new one for every batch the daemon ever asks.
func reviewsQuery(owner, name string, prs []prRef) (reflect.Value, map[string]any) {
	vars := map[string]any{"owner": githubv4.String(owner), "name": githubv4.String(name)}
	fields := make([]reflect.StructField, len(prs))
	for i, pr := range prs {
		fields[i] = reflect.StructField{
			Name: fmt.Sprintf("P%d", i), Type: reflect.TypeFor[*gqlPullReviews](),
			Tag: reflect.StructTag(fmt.Sprintf(`graphql:"p%d: pullRequest(number: $n%d)"`, i, i)),
		}
		vars["n"+strconv.Itoa(i)] = githubv4.Int(pr.Number)
	}
	q := reflect.New(reflect.StructOf([]reflect.StructField{{
		Name: "Repository", Type: reflect.PointerTo(reflect.StructOf(fields)), Tag: `graphql:"repository(owner: $owner, name: $name)"`,
	}}))
	return q, vars
}

// reviewsGraphQL reads the reviews of the first pull requests of prs (at
// most graphQLBatch) and returns how many of prs it dealt with.
func (c *Connector) reviewsGraphQL(ctx context.Context, gh *github.Client, prs []prRef, owner, name string, b *builder) (int, error) {
	repo := owner + "/" + name
	n := min(len(prs), graphQLBatch)
	var ask []prRef
	for _, pr := range prs[:n] {
		if !c.client.SkipKnownMissing(ctx, issueKey(owner, name, pr.Number)) {
			ask = append(ask, pr)
		}
	}
	if len(ask) == 0 {
		return n, nil
	}
	q, vars := reviewsQuery(owner, name, ask)
	if err := c.query(ctx, q.Interface(), vars, fmt.Sprintf("reviews of %d pull requests of %s", len(ask), repo)); err != nil {
		return 0, err
	}
	rv := q.Elem().Field(0)
	for i, pr := range ask {
		var got *gqlPullReviews
		if !rv.IsNil() {
			got, _ = rv.Elem().Field(i).Interface().(*gqlPullReviews)
		}
		if got == nil || got.Number != pr.Number || got.Reviews.PageInfo.HasNextPage {
			if err := c.reviewsREST(ctx, gh, owner, name, pr, b); err != nil {
				return 0, err
			}
			continue
		}
		list := make([]*github.PullRequestReview, 0, len(got.Reviews.Nodes))
		for _, r := range got.Reviews.Nodes {
			list = append(list, r.review())
		}
		c.addReviews(repo, pr, list, b)
	}
	return n, nil
}
