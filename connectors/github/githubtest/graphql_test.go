package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

type gqlResult struct {
	status int
	header http.Header
	body   struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Type       string         `json:"type"`
			Path       []any          `json:"path"`
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
		Message string `json:"message"`
	}
	raw string
}

func postGraphQL(t *testing.T, s *Server, path, auth, query string, vars map[string]any) gqlResult {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, "http://fake.test"+path, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := inproc(s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := gqlResult{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	return r
}

// gqlWorld has n users, a bot and an organization, with their node ids.
func gqlWorld(t *testing.T, n int, opts ...Option) (*Server, []string) {
	t.Helper()
	s, _ := fixture(t, 1, opts...)
	var ids []string
	for i := range n {
		u := s.AddUser(User{Login: fmt.Sprintf("u%d", i), Name: fmt.Sprintf("User %d", i), Blog: "example.org/u", Twitter: "tw" + strconv.Itoa(i),
			Email: "u@example.org", Followers: i, Social: []Social{{"mastodon", "https://example.social/@u"}, {"generic", "https://u.example"}}})
		ids = append(ids, nodeID("04:User", u.ID))
	}
	return s, ids
}

const profileQuery = `query($ids:[ID!]!){nodes(ids: $ids){__typename,...on User{login,databaseId,name,email,websiteUrl,twitterUsername,url,avatarUrl,createdAt,followers{totalCount},socialAccounts(first: 100){nodes{provider,url}}},...on Bot{login,databaseId,url}},rateLimit{cost,remaining,resetAt}}`

func anyIDs(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func TestGraphQLCostAndHeaders(t *testing.T) {
	s, ids := gqlWorld(t, 100)
	tests := []struct {
		name  string
		query string
		ids   int
		want  int // points
	}{
		{"one user", profileQuery, 1, 1},
		{"100 users with social accounts (100 requests)", profileQuery, 100, 1},
		{"totalCount only needs no page", `query($ids:[ID!]!){nodes(ids: $ids){...on User{followers{totalCount},socialAccounts{totalCount}}}}`, 100, 1},
		{"two connections under 100 users (200 requests)", `query($ids:[ID!]!){nodes(ids: $ids){...on User{a:socialAccounts(first: 10){nodes{url}},b:socialAccounts(last: 10){nodes{url}}}}}`, 100, 2},
		{"150 requests round to 2", `query($ids:[ID!]!){nodes(ids: $ids){...on User{a:socialAccounts(first: 10){nodes{url}}}} x: nodes(ids: $ids){...on User{b:socialAccounts(first: 1){nodes{url}}}}}`, 75, 2},
		{"rateLimit alone costs the minimum", `{rateLimit{cost,remaining}}`, 0, 1},
	}
	_, coreBefore, _ := s.RateLimit()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before, _ := s.GraphQLRateLimit()
			r := postGraphQL(t, s, "/api/graphql", "Bearer t", tt.query, map[string]any{"ids": anyIDs(ids[:tt.ids])})
			if r.status != 200 || len(r.body.Errors) > 0 {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			limit, after, reset := s.GraphQLRateLimit()
			if before-after != tt.want {
				t.Errorf("charged %d points, want %d", before-after, tt.want)
			}
			h := r.header
			for k, want := range map[string]string{
				"X-RateLimit-Resource":  "graphql",
				"X-RateLimit-Limit":     strconv.Itoa(limit),
				"X-RateLimit-Remaining": strconv.Itoa(after),
				"X-RateLimit-Used":      strconv.Itoa(limit - after),
				"X-RateLimit-Reset":     strconv.FormatInt(reset.Unix(), 10),
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if rl, ok := r.body.Data["rateLimit"]; ok {
				var v struct{ Cost, Remaining int }
				_ = json.Unmarshal(rl, &v)
				if v.Cost != tt.want || v.Remaining != after {
					t.Errorf("rateLimit = %+v, want cost %d remaining %d", v, tt.want, after)
				}
			}
		})
	}
	if _, core, _ := s.RateLimit(); core != coreBefore {
		t.Errorf("GraphQL took from the core budget: %d → %d", coreBefore, core)
	}
	if p := s.Points(); p["graphql"] != 8 || p["core"] != 0 {
		t.Errorf("Points() = %v, want graphql 8 and no core", p)
	}
}

func TestGraphQLProfiles(t *testing.T) {
	s, ids := gqlWorld(t, 2)
	bot, _ := s.User("dependabot[bot]")
	gone := s.AddUser(User{Login: "gone"})
	if err := s.DeleteUser("gone"); err != nil {
		t.Fatal(err)
	}
	ask := []string{ids[0], nodeID("03:Bot", bot.ID), nodeID("04:User", gone.ID), ids[1], "bm90IGFuIGlk"}
	r := postGraphQL(t, s, "/graphql", "Bearer t", profileQuery, map[string]any{"ids": anyIDs(ask)})
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	var nodes []map[string]any
	if err := json.Unmarshal(r.body.Data["nodes"], &nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes) != len(ask) {
		t.Fatalf("%d nodes for %d ids: %s", len(nodes), len(ask), r.raw)
	}
	u0 := nodes[0]
	if u0["__typename"] != "User" || u0["login"] != "u0" || u0["name"] != "User 0" || u0["websiteUrl"] != "example.org/u" ||
		u0["twitterUsername"] != "tw0" || u0["url"] != "https://github.com/u0" {
		t.Errorf("user node = %v", u0)
	}
	if sa := u0["socialAccounts"].(map[string]any)["nodes"].([]any); len(sa) != 2 || sa[0].(map[string]any)["provider"] != "MASTODON" {
		t.Errorf("social accounts = %v", sa)
	}
	if nodes[1]["__typename"] != "Bot" || nodes[1]["url"] != "https://github.com/apps/dependabot" || nodes[1]["name"] != nil {
		t.Errorf("bot node = %v", nodes[1])
	}
	if nodes[2] != nil || nodes[4] != nil || nodes[3]["login"] != "u1" {
		t.Errorf("nodes = %v; want null for the deleted user and the bad id", nodes)
	}
	// Partial data: one NOT_FOUND per null node, at its path.
	if len(r.body.Errors) != 2 {
		t.Fatalf("errors = %+v, want 2", r.body.Errors)
	}
	for i, e := range r.body.Errors {
		want := []any{"nodes", float64([]int{2, 4}[i])}
		if e.Type != "NOT_FOUND" || fmt.Sprint(e.Path) != fmt.Sprint(want) || !strings.Contains(e.Message, "Could not resolve to a node") {
			t.Errorf("error %d = %+v, want NOT_FOUND at %v", i, e, want)
		}
	}
}

func TestGraphQLErrors(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		auth     string
		query    string
		ids      int
		status   int
		wantType string // of the first error, or the message of a REST-shaped body
		data     bool
		charged  bool
	}{
		{"unknown field fails validation", nil, "Bearer t", `{nodes(ids: ["x"]){...on User{nope}}}`, 0, 200, "undefinedField", false, false},
		{"bot has no name", nil, "Bearer t", `{nodes(ids: ["x"]){...on Bot{name}}}`, 0, 200, "undefinedField", false, false},
		{"connection without first", nil, "Bearer t", `{user(login: "u0"){socialAccounts{nodes{url}}}}`, 0, 200, "MISSING_PAGINATION_BOUNDARIES", true, true},
		{"first over 100", nil, "Bearer t", `{user(login: "u0"){socialAccounts(first: 101){nodes{url}}}}`, 0, 200, "EXCESSIVE_PAGINATION", true, true},
		{"more than 100 ids", nil, "Bearer t", profileQuery, 101, 200, "EXCESSIVE_PAGINATION", true, true},
		{"unknown login", nil, "Bearer t", `{user(login: "nobody"){login}}`, 0, 200, "NOT_FOUND", true, true},
		{"syntax error", nil, "Bearer t", `{user(login: "u0"){login}`, 0, 200, "", false, false},
		{"no credentials", nil, "", profileQuery, 1, 401, "This endpoint requires you to be authenticated.", false, false},
		{"refused: no GraphQL on this server", []Option{WithoutGraphQL(404)}, "Bearer t", profileQuery, 1, 404, "Not Found", false, false},
		{"refused: token without access", []Option{WithoutGraphQL(403)}, "Bearer t", profileQuery, 1, 403, "Resource not accessible by personal access token", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ids := gqlWorld(t, 101, tt.opts...)
			_, before, _ := s.GraphQLRateLimit()
			r := postGraphQL(t, s, "/api/graphql", tt.auth, tt.query, map[string]any{"ids": anyIDs(ids[:tt.ids])})
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			switch {
			case tt.status != 200:
				if r.body.Message != tt.wantType {
					t.Errorf("message %q, want %q", r.body.Message, tt.wantType)
				}
			case len(r.body.Errors) == 0:
				t.Fatalf("no errors: %s", r.raw)
			case tt.wantType == "undefinedField":
				if r.body.Errors[0].Extensions["code"] != "undefinedField" {
					t.Errorf("errors = %s", r.raw)
				}
			case r.body.Errors[0].Type != tt.wantType:
				t.Errorf("error type %q, want %q: %s", r.body.Errors[0].Type, tt.wantType, r.raw)
			}
			if _, hasData := r.body.Data, strings.Contains(r.raw, `"data"`); hasData != tt.data {
				t.Errorf("data present = %v, want %v: %s", hasData, tt.data, r.raw)
			}
			if _, after, _ := s.GraphQLRateLimit(); (after < before) != tt.charged {
				t.Errorf("charged %d points, want charged=%v", before-after, tt.charged)
			}
		})
	}
}

func TestGraphQLBudgetExhausted(t *testing.T) {
	s, ids := gqlWorld(t, 1)
	reset := t0.Add(20 * time.Minute)
	s.SetGraphQLRateLimit(0, reset)
	_, coreBefore, _ := s.RateLimit()
	r := postGraphQL(t, s, "/api/graphql", "Bearer t", profileQuery, map[string]any{"ids": anyIDs(ids)})
	if r.status != 200 || len(r.body.Errors) != 1 || r.body.Errors[0].Type != "RATE_LIMIT" || strings.Contains(r.raw, `"data"`) {
		t.Fatalf("answer %d %s; want 200 with one RATE_LIMIT error and no data", r.status, r.raw)
	}
	if r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") != strconv.FormatInt(reset.Unix(), 10) || r.header.Get("X-RateLimit-Resource") != "graphql" {
		t.Errorf("headers %v", r.header)
	}
	// REST goes on with its own budget.
	if g := get(t, inproc(s), base+"/users/u0", "Authorization", "Bearer t"); g.status != 200 || g.header.Get("X-RateLimit-Resource") != "core" {
		t.Errorf("REST while GraphQL is spent: %d %v", g.status, g.header)
	}
	if _, core, _ := s.RateLimit(); core != coreBefore-1 {
		t.Errorf("core remaining %d, want %d", core, coreBefore-1)
	}
}

func TestGraphQLPullRequestReviews(t *testing.T) {
	s, _ := fixture(t, 12) // pull requests 3, 6, 9, 12
	s.AddUser(User{Login: "bob"})
	for i, n := range []int{3, 3, 6} {
		if _, err := s.AddReview("acme", "widget", Review{Pull: n, User: []string{"bob", "dependabot[bot]", "alice"}[i], State: ReviewApproved, Body: "ok", SubmittedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteIssue("acme", "widget", 9); err != nil {
		t.Fatal(err)
	}
	const q = `query($owner:String!$name:String!){repository(owner: $owner, name: $name){p0: pullRequest(number: 3){number,reviews(first: 100){pageInfo{hasNextPage},nodes{databaseId,author{__typename,login,url,...on User{id,databaseId},...on Bot{id,databaseId}},authorAssociation,state,body,url,submittedAt}}},p1: pullRequest(number: 6){number,reviews(first: 100){nodes{databaseId}}},p2: pullRequest(number: 9){number},p3: pullRequest(number: 1){number}}}`
	_, before, _ := s.GraphQLRateLimit()
	r := postGraphQL(t, s, "/api/graphql", "Bearer t", q, map[string]any{"owner": "acme", "name": "widget"})
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if _, after, _ := s.GraphQLRateLimit(); before-after != 1 {
		t.Errorf("charged %d points, want 1 (two reviews connections)", before-after)
	}
	var repo map[string]map[string]any
	if err := json.Unmarshal(r.body.Data["repository"], &repo); err != nil {
		t.Fatalf("%v: %s", err, r.raw)
	}
	reviews := repo["p0"]["reviews"].(map[string]any)
	nodes := reviews["nodes"].([]any)
	if len(nodes) != 2 || reviews["pageInfo"].(map[string]any)["hasNextPage"] != false {
		t.Fatalf("reviews of #3 = %v", reviews)
	}
	first := nodes[0].(map[string]any)
	author := first["author"].(map[string]any)
	if first["state"] != "APPROVED" || author["login"] != "bob" || author["__typename"] != "User" || author["databaseId"] == nil ||
		!strings.HasPrefix(first["url"].(string), "https://github.com/acme/widget/pull/3#pullrequestreview-") {
		t.Errorf("review = %v", first)
	}
	if bot := nodes[1].(map[string]any)["author"].(map[string]any); bot["__typename"] != "Bot" || bot["url"] != "https://github.com/apps/dependabot" {
		t.Errorf("bot author = %v", bot)
	}
	// A deleted pull request and an issue are null, each with NOT_FOUND.
	if repo["p2"] != nil || repo["p3"] != nil || len(r.body.Errors) != 2 || r.body.Errors[0].Type != "NOT_FOUND" {
		t.Errorf("p2 %v, p3 %v, errors %+v", repo["p2"], repo["p3"], r.body.Errors)
	}
	// The Actor interface has no id: it needs a fragment, as on GitHub.
	bad := postGraphQL(t, s, "/api/graphql", "Bearer t", `{repository(owner: "acme", name: "widget"){pullRequest(number: 3){reviews(first: 1){nodes{author{id}}}}}}`, nil)
	if len(bad.body.Errors) != 1 || bad.body.Errors[0].Extensions["code"] != "undefinedField" {
		t.Errorf("author{id}: %s", bad.raw)
	}
}
