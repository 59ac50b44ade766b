package githubtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The GraphQL endpoint, as GitHub serves it: POST /graphql on
// api.github.com, POST /api/graphql on GitHub Enterprise Server (where
// githubv4.NewEnterpriseClient points). It answers the profile queries a
// community CRM makes: nodes(ids:) and node(id:) with the node ids of the
// REST payloads, user(login:), and rateLimit, on the User, Bot and
// Organization types (inline fragments on them and on the Node, Actor and
// RepositoryOwner interfaces).
//
// What GitHub documents and the fake reproduces
// (docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api):
//   - a separate budget of points per hour (5,000 for a user token), told
//     by x-ratelimit-limit, -remaining, -used, -reset on every response,
//     with x-ratelimit-resource: graphql;
//   - a query's cost: add up the requests needed to fulfil each connection
//     (one per parent object, assuming every page is full at its first or
//     last), divide by 100 and round to the nearest whole number, minimum
//     1. A connection that selects only totalCount needs no page and adds
//     nothing (a search of 100 pull requests with reviews(last:100) and
//     reviewRequests(last:100) totalCounts is observed to cost 1). So
//     nodes(ids:) of 100 users with socialAccounts(first:100) costs 1;
//   - first/last between 1 and 100 on a connection that selects nodes
//     (MISSING_PAGINATION_BOUNDARIES, EXCESSIVE_PAGINATION errors), and at
//     most 100 ids in nodes(ids:);
//   - an unknown node id is null in data with an error of type NOT_FOUND
//     at its path, status 200 (partial data);
//   - a spent budget answers 200 with only
//     {"errors":[{"type":"RATE_LIMIT","code":"graphql_rate_limit",...}]}
//     (older responses said "RATE_LIMITED") and x-ratelimit-remaining 0;
//   - a query naming a field the type lacks fails validation: 200 with
//     errors only (extensions.code undefinedField), nothing charged;
//   - requests without credentials get 401 ("This endpoint requires you to
//     be authenticated.").
//
// WithoutGraphQL and RefuseGraphQL make the endpoint refuse, as a GitHub
// Enterprise Server without it (404) or a token without access (401,
// 403) does.

const gqlDocs = "https://docs.github.com/graphql"

// WithoutGraphQL makes POST /graphql and /api/graphql answer status (404:
// a GitHub Enterprise Server without the GraphQL API; 401 or 403: a token
// the GraphQL API refuses) with GitHub's REST-shaped error body. Without it
// GraphQL is served, as on github.com.
func WithoutGraphQL(status int) Option { return func(s *Server) { s.gqlRefuse = status } }

// RefuseGraphQL is WithoutGraphQL at run time; 0 serves GraphQL again.
func (s *Server) RefuseGraphQL(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gqlRefuse = status
}

// WithGraphQLRateLimit sets the GraphQL budget in points per window
// (default 5000).
func WithGraphQLRateLimit(limit int) Option { return func(s *Server) { s.gql.limit = limit } }

// SetGraphQLRateLimit sets the GraphQL budget's remaining points and reset
// time, as SetRateLimit does for the REST (core) budget.
func (s *Server) SetGraphQLRateLimit(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gql.used = max(0, s.gql.limit-remaining)
	s.gql.reset = reset
}

// GraphQLRateLimit reports the GraphQL budget: limit, remaining points and
// reset.
func (s *Server) GraphQLRateLimit() (limit, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.roll(&s.gql)
	return b.limit, max(0, b.limit-b.used), b.reset
}

func isGraphQLPath(p string) bool { return p == "/graphql" || p == "/api/graphql" }

func setGraphQLRateHeaders(h http.Header, b *bucket) {
	setRateHeaders(h, b)
	h.Set("X-RateLimit-Resource", "graphql")
}

// jsonObj is a JSON object that keeps its keys in order, as GraphQL
// responses do.
type jsonObj []jsonKV

type jsonKV struct {
	K string
	V any
}

func (o jsonObj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(kv.K)
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(kv.V)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// serveGraphQL answers a request to the GraphQL endpoint (with s.mu held)
// and returns the status, body and points charged.
func (s *Server) serveGraphQL(r *http.Request, h http.Header, authenticated bool) (status int, body []byte, points int) {
	if s.gqlRefuse != 0 {
		switch s.gqlRefuse {
		case 401:
			return 401, errBody(401, "Bad credentials", gqlDocs), 0
		case 403:
			return 403, errBody(403, "Resource not accessible by personal access token", gqlDocs), 0
		}
		return s.gqlRefuse, errBody(s.gqlRefuse, failMessage(s.gqlRefuse), docsURL), 0
	}
	if !authenticated {
		return 401, errBody(401, "This endpoint requires you to be authenticated.", gqlDocs+"/guides/forming-calls-with-graphql#authenticating-with-graphql"), 0
	}
	b := s.roll(&s.gql)
	setGraphQLRateHeaders(h, b)
	if r.Method != http.MethodPost {
		return 404, errBody(404, "Not Found", docsURL), 0
	}
	var in struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(raw, &in) != nil {
		return 400, errBody(400, "Problems parsing JSON", gqlDocs), 0
	}
	if strings.TrimSpace(in.Query) == "" {
		return 200, mustJSON(jsonObj{{"errors", []jsonObj{{{"message", "A query attribute must be specified and must be a string."}}}}}), 0
	}
	sel, err := parseGraphQL(in.Query)
	if err != nil {
		pe := err.(*gqlParseError)
		return 200, mustJSON(jsonObj{{"errors", []jsonObj{{
			{"message", pe.msg}, {"locations", []jsonObj{{{"line", pe.line}, {"column", pe.col}}}},
		}}}}), 0
	}
	e := &gqlExec{s: s, vars: in.Variables}
	if errs := e.validate(sel, "Query", []any{"query"}); len(errs) > 0 {
		return 200, mustJSON(jsonObj{{"errors", errs}}), 0
	}
	cost := max(1, int(math.Round(float64(e.requests(sel, "Query", 1))/100)))
	if b.limit-b.used < cost {
		return 200, mustJSON(jsonObj{{"errors", []jsonObj{{
			{"type", "RATE_LIMIT"}, {"code", "graphql_rate_limit"},
			{"message", fmt.Sprintf("API rate limit already exceeded for user ID %d.", 1)},
		}}}}), 0
	}
	b.used += cost
	setGraphQLRateHeaders(h, b)
	e.cost = cost
	data := e.object(queryRoot{}, sel, nil)
	out := jsonObj{{"data", data}}
	if len(e.errs) > 0 {
		out = jsonObj{{"errors", e.errs}, {"data", data}}
	}
	return 200, mustJSON(out), cost
}

// gqlExec runs one query.
type gqlExec struct {
	s    *Server
	vars map[string]any
	cost int
	errs []jsonObj
}

type queryRoot struct{}

type rateLimitObj struct{}

// socialConn is a user's socialAccounts connection; followConn counts
// followers or following.
type socialConn struct {
	u           *User
	first, last int
}
type followConn struct{ n int }
type socialNode struct{ s Social }

// repoObj, prObj, reviewConn, pageInfo and reviewObj are a repository, a
// pull request, its reviews connection, a page's info and a review.
type repoObj struct{ st *repoState }
type prObj struct {
	st *repoState
	is *Issue
}
type reviewConn struct {
	pr          prObj
	first, last int
}
type pageInfo struct{ hasNext bool }
type reviewObj struct {
	pr prObj
	r  *Review
}

// the object types and their fields (validation), and which of those
// fields are connections (cost).
var gqlFields = map[string][]string{
	"Query":                       {"nodes", "node", "user", "repository", "rateLimit"},
	"Repository":                  {"id", "databaseId", "name", "nameWithOwner", "pullRequest"},
	"PullRequest":                 {"id", "databaseId", "number", "title", "url", "reviews"},
	"PullRequestReviewConnection": {"totalCount", "pageInfo", "nodes"},
	"PageInfo":                    {"hasNextPage", "endCursor"},
	"PullRequestReview":           {"id", "databaseId", "author", "authorAssociation", "state", "body", "url", "submittedAt"},
	"User":                        {"id", "databaseId", "login", "name", "email", "websiteUrl", "company", "location", "twitterUsername", "bio", "url", "avatarUrl", "createdAt", "updatedAt", "isSiteAdmin", "isHireable", "followers", "following", "socialAccounts"},
	"Bot":                         {"id", "databaseId", "login", "url", "avatarUrl", "createdAt", "updatedAt"},
	"Organization":                {"id", "databaseId", "login", "name", "email", "websiteUrl", "location", "twitterUsername", "description", "url", "avatarUrl", "createdAt", "updatedAt"},
	"RateLimit":                   {"cost", "limit", "remaining", "used", "resetAt", "nodeCount"},
	"SocialAccountConnection":     {"totalCount", "nodes"},
	"SocialAccount":               {"provider", "url", "displayName"},
	"FollowerConnection":          {"totalCount"},
	"FollowingConnection":         {"totalCount"},
}

// gqlFieldType is the object type a field returns ("" for scalars).
var gqlFieldType = map[string]string{
	"Query.nodes": "Node", "Query.node": "Node", "Query.user": "User", "Query.rateLimit": "RateLimit",
	"User.followers": "FollowerConnection", "User.following": "FollowingConnection",
	"User.socialAccounts": "SocialAccountConnection", "SocialAccountConnection.nodes": "SocialAccount",
	"Query.repository": "Repository", "Repository.pullRequest": "PullRequest",
	"PullRequest.reviews": "PullRequestReviewConnection", "PullRequestReviewConnection.nodes": "PullRequestReview",
	"PullRequestReviewConnection.pageInfo": "PageInfo", "PullRequestReview.author": "Actor",
}

// gqlInterfaceFields are the fields an interface itself has (others need
// an inline fragment on an object type).
var gqlInterfaceFields = map[string][]string{
	"Node":            {"id"},
	"Actor":           {"login", "url", "avatarUrl", "resourcePath"},
	"RepositoryOwner": {"id", "login", "url", "avatarUrl"},
}

// gqlImplements lists the interfaces of each object type a fragment may
// name.
var gqlImplements = map[string][]string{
	"User":         {"Node", "Actor", "RepositoryOwner"},
	"Bot":          {"Node", "Actor"},
	"Organization": {"Node", "Actor", "RepositoryOwner"},
}

func typeMatches(typ, cond string) bool {
	if typ == cond {
		return true
	}
	for _, i := range gqlImplements[typ] {
		if i == cond {
			return true
		}
	}
	return false
}

// possibleTypes are the object types a selection on typ may meet.
func possibleTypes(typ string) []string {
	if _, ok := gqlFields[typ]; ok {
		return []string{typ}
	}
	var out []string
	for _, t := range []string{"User", "Bot", "Organization"} {
		if typeMatches(t, typ) {
			out = append(out, t)
		}
	}
	return out
}

func hasField(typ, name string) bool {
	if name == "__typename" {
		return true
	}
	if fields, ok := gqlInterfaceFields[typ]; ok {
		for _, f := range fields {
			if f == name {
				return true
			}
		}
		return false
	}
	for _, t := range possibleTypes(typ) {
		found := false
		for _, f := range gqlFields[t] {
			if f == name {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return len(possibleTypes(typ)) > 0
}

// validate reports fields a type lacks, as GitHub's validation does.
func (e *gqlExec) validate(sel []gqlSel, typ string, path []any) []jsonObj {
	var errs []jsonObj
	for _, s := range sel {
		if s.On != "" {
			errs = append(errs, e.validate(s.Sel, s.On, append(path, "... on "+s.On))...)
			continue
		}
		p := append(append([]any{}, path...), s.key())
		if !hasField(typ, s.Name) {
			errs = append(errs, jsonObj{
				{"path", p},
				{"extensions", jsonObj{{"code", "undefinedField"}, {"typeName", typ}, {"fieldName", s.Name}}},
				{"locations", []jsonObj{{{"line", s.Line}, {"column", s.Col}}}},
				{"message", fmt.Sprintf("Field '%s' doesn't exist on type '%s'", s.Name, typ)},
			})
			continue
		}
		if sub := e.subType(typ, s.Name); sub != "" && len(s.Sel) > 0 {
			errs = append(errs, e.validate(s.Sel, sub, p)...)
		}
	}
	return errs
}

func (e *gqlExec) subType(typ, field string) string {
	for _, t := range possibleTypes(typ) {
		if st := gqlFieldType[t+"."+field]; st != "" {
			return st
		}
	}
	return ""
}

// arg returns a field argument with variables substituted.
func (e *gqlExec) arg(s gqlSel, name string) any {
	v := s.Args[name]
	if n, ok := v.(gqlVar); ok {
		return e.vars[string(n)]
	}
	if list, ok := v.([]any); ok {
		out := make([]any, len(list))
		for i, x := range list {
			if n, ok := x.(gqlVar); ok {
				x = e.vars[string(n)]
			}
			out[i] = x
		}
		return out
	}
	return v
}

func (e *gqlExec) intArg(s gqlSel, name string) (int, bool) {
	f, ok := e.arg(s, name).(float64)
	return int(f), ok
}

func (e *gqlExec) idsArg(s gqlSel) []string {
	list, _ := e.arg(s, "ids").([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if id, ok := x.(string); ok {
			out = append(out, id)
		} else {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// selectsPage reports whether a connection's selection needs a page of
// items (nodes or edges), not only totalCount.
func selectsPage(sel []gqlSel) bool {
	for _, s := range sel {
		if s.On != "" && selectsPage(s.Sel) || s.Name == "nodes" || s.Name == "edges" {
			return true
		}
	}
	return false
}

// requests counts the requests GitHub's cost rule charges for sel on typ,
// met mult times.
func (e *gqlExec) requests(sel []gqlSel, typ string, mult int) int {
	n := 0
	for _, s := range sel {
		if s.On != "" {
			n += e.requests(s.Sel, s.On, mult)
			continue
		}
		sub := e.subType(typ, s.Name)
		switch {
		case typ == "Query" && s.Name == "nodes":
			n += e.requests(s.Sel, sub, mult*len(e.idsArg(s)))
		case strings.HasSuffix(sub, "Connection"):
			if !selectsPage(s.Sel) {
				continue
			}
			size, ok := e.intArg(s, "first")
			if !ok {
				size, _ = e.intArg(s, "last")
			}
			n += mult
			n += e.requests(s.Sel, sub, mult*max(size, 1))
		case sub != "":
			n += e.requests(s.Sel, sub, mult)
		}
	}
	return n
}

func (e *gqlExec) fail(path []any, s gqlSel, typ, msg string) {
	o := jsonObj{}
	if typ != "" {
		o = append(o, jsonKV{"type", typ})
	}
	o = append(o, jsonKV{"path", path}, jsonKV{"locations", []jsonObj{{{"line", s.Line}, {"column", s.Col}}}}, jsonKV{"message", msg})
	e.errs = append(e.errs, o)
}

func typeName(v any) string {
	switch v := v.(type) {
	case queryRoot:
		return "Query"
	case rateLimitObj:
		return "RateLimit"
	case *User:
		return v.Type
	case socialConn:
		return "SocialAccountConnection"
	case followConn:
		return "FollowerConnection"
	case socialNode:
		return "SocialAccount"
	case repoObj:
		return "Repository"
	case prObj:
		return "PullRequest"
	case reviewConn:
		return "PullRequestReviewConnection"
	case pageInfo:
		return "PageInfo"
	case reviewObj:
		return "PullRequestReview"
	}
	return ""
}

// object resolves sel on v.
func (e *gqlExec) object(v any, sel []gqlSel, path []any) jsonObj {
	out := jsonObj{}
	seen := map[string]int{}
	var add func(sel []gqlSel)
	add = func(sel []gqlSel) {
		for _, s := range sel {
			if s.On != "" {
				if typeMatches(typeName(v), s.On) {
					add(s.Sel)
				}
				continue
			}
			k := s.key()
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = len(out)
			out = append(out, jsonKV{k, e.field(v, s, append(append([]any{}, path...), k))})
		}
	}
	add(sel)
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func gqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// userByNode finds the account a node id names.
func (e *gqlExec) userByNode(id string) *User {
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil {
		return nil
	}
	_, num, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil
	}
	for _, kind := range []string{"User", "Bot", "Organization"} {
		if n, ok := strings.CutPrefix(num, kind); ok {
			uid, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return nil
			}
			login := e.s.byID[uid]
			u := e.s.users[login]
			if u == nil || u.Type != kind || e.s.gone[login] {
				return nil
			}
			return u
		}
	}
	return nil
}

func (e *gqlExec) field(v any, s gqlSel, path []any) any {
	if s.Name == "__typename" {
		return typeName(v)
	}
	switch v := v.(type) {
	case queryRoot:
		switch s.Name {
		case "rateLimit":
			return e.object(rateLimitObj{}, s.Sel, path)
		case "nodes":
			ids := e.idsArg(s)
			if len(ids) > 100 {
				e.fail(path, s, "EXCESSIVE_PAGINATION", fmt.Sprintf("You may not request more than 100 nodes; %d ids were given.", len(ids)))
				return nil
			}
			out := make([]any, len(ids))
			for i, id := range ids {
				u := e.userByNode(id)
				if u == nil {
					e.fail(append(append([]any{}, path...), i), s, "NOT_FOUND", fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id))
					continue
				}
				out[i] = e.object(u, s.Sel, append(append([]any{}, path...), i))
			}
			return out
		case "node":
			id, _ := e.arg(s, "id").(string)
			u := e.userByNode(id)
			if u == nil {
				e.fail(path, s, "NOT_FOUND", fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id))
				return nil
			}
			return e.object(u, s.Sel, path)
		case "repository":
			owner, _ := e.arg(s, "owner").(string)
			name, _ := e.arg(s, "name").(string)
			st, ok := e.s.repos[key(owner+"/"+name)]
			if !ok {
				e.fail(path, s, "NOT_FOUND", fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name))
				return nil
			}
			return e.object(repoObj{st}, s.Sel, path)
		case "user":
			login, _ := e.arg(s, "login").(string)
			u := e.s.users[key(login)]
			if u == nil || u.Type != TypeUser || e.s.gone[key(login)] {
				e.fail(path, s, "NOT_FOUND", fmt.Sprintf("Could not resolve to a User with the login of '%s'.", login))
				return nil
			}
			return e.object(u, s.Sel, path)
		}
	case rateLimitObj:
		b := &e.s.gql
		switch s.Name {
		case "cost":
			return e.cost
		case "limit":
			return b.limit
		case "remaining":
			return max(0, b.limit-b.used)
		case "used":
			return b.used
		case "resetAt":
			return gqlTime(b.reset)
		case "nodeCount":
			return 0
		}
	case *User:
		return e.userField(v, s, path)
	case socialConn:
		switch s.Name {
		case "totalCount":
			return len(v.u.Social)
		case "nodes":
			list := v.u.Social
			if v.first > 0 && len(list) > v.first {
				list = list[:v.first]
			}
			if v.last > 0 && len(list) > v.last {
				list = list[len(list)-v.last:]
			}
			out := make([]any, len(list))
			for i, x := range list {
				out[i] = e.object(socialNode{x}, s.Sel, append(append([]any{}, path...), i))
			}
			return out
		}
	case followConn:
		return v.n
	case repoObj:
		switch s.Name {
		case "id":
			return nodeID("010:Repository", v.st.repo.ID)
		case "databaseId":
			return v.st.repo.ID
		case "name":
			return v.st.repo.Name
		case "nameWithOwner":
			return v.st.repo.FullName()
		case "pullRequest":
			n, _ := e.intArg(s, "number")
			is, err := v.st.issue(n, true)
			if err != nil || is.Deleted {
				e.fail(path, s, "NOT_FOUND", fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n))
				return nil
			}
			return e.object(prObj{v.st, is}, s.Sel, path)
		}
	case prObj:
		switch s.Name {
		case "id":
			return nodeID("011:PullRequest", v.is.ID)
		case "databaseId":
			return v.is.ID
		case "number":
			return v.is.Number
		case "title":
			return v.is.Title
		case "url":
			return fmt.Sprintf("%s/%s/pull/%d", web, v.st.repo.FullName(), v.is.Number)
		case "reviews":
			first, last, ok := e.pageArgs(s, path, "reviews")
			if !ok {
				return nil
			}
			return e.object(reviewConn{v, first, last}, s.Sel, path)
		}
	case reviewConn:
		var items []*Review
		for _, x := range v.pr.st.reviews {
			if x.Pull == v.pr.is.Number {
				items = append(items, x)
			}
		}
		order(items, func(a, b *Review) int { return cmpTime(a.SubmittedAt, b.SubmittedAt, a.ID, b.ID) }, false)
		total := len(items)
		more := false
		if v.first > 0 && len(items) > v.first {
			items, more = items[:v.first], true
		}
		if v.last > 0 && len(items) > v.last {
			items = items[len(items)-v.last:]
		}
		switch s.Name {
		case "totalCount":
			return total
		case "pageInfo":
			return e.object(pageInfo{more}, s.Sel, path)
		case "nodes":
			out := make([]any, len(items))
			for i, x := range items {
				out[i] = e.object(reviewObj{v.pr, x}, s.Sel, append(append([]any{}, path...), i))
			}
			return out
		}
	case pageInfo:
		switch s.Name {
		case "hasNextPage":
			return v.hasNext
		case "endCursor":
			return nil
		}
	case reviewObj:
		full := v.pr.st.repo.FullName()
		switch s.Name {
		case "id":
			return nodeID("PRR_", v.r.ID)
		case "databaseId":
			return v.r.ID
		case "author":
			u := e.s.users[key(v.r.User)]
			if u == nil {
				return nil
			}
			return e.object(u, s.Sel, path)
		case "authorAssociation":
			return e.s.association(v.pr.st, v.r.User)
		case "state":
			return v.r.State
		case "body":
			return v.r.Body
		case "url":
			return fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", web, full, v.pr.is.Number, v.r.ID)
		case "submittedAt":
			if v.r.SubmittedAt.IsZero() {
				return nil
			}
			return gqlTime(v.r.SubmittedAt)
		}
	case socialNode:
		switch s.Name {
		case "provider":
			return strings.ToUpper(v.s.Provider)
		case "url":
			return v.s.URL
		case "displayName":
			return v.s.URL
		}
	}
	return nil
}

func (e *gqlExec) userField(u *User, s gqlSel, path []any) any {
	html := web + "/" + u.Login
	kind := "04:User"
	switch u.Type {
	case TypeBot:
		html = web + "/apps/" + strings.TrimSuffix(u.Login, "[bot]")
		kind = "03:Bot"
	case TypeOrganization:
		kind = "012:Organization"
	}
	switch s.Name {
	case "id":
		return nodeID(kind, u.ID)
	case "databaseId":
		return u.ID
	case "login":
		return u.Login
	case "name":
		return nullable(u.Name)
	case "email":
		return u.Email // String!: "" when not public
	case "websiteUrl":
		return nullable(u.Blog)
	case "company":
		return nullable(u.Company)
	case "location":
		return nullable(u.Location)
	case "twitterUsername":
		return nullable(u.Twitter)
	case "bio", "description":
		return nullable(u.Bio)
	case "url":
		return html
	case "avatarUrl":
		return fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.ID)
	case "createdAt":
		return gqlTime(u.CreatedAt)
	case "updatedAt":
		return gqlTime(u.UpdatedAt)
	case "isSiteAdmin":
		return u.SiteAdmin
	case "isHireable":
		return u.Hireable
	case "followers":
		return e.object(followConn{u.Followers}, s.Sel, path)
	case "following":
		return e.object(followConn{u.Following}, s.Sel, path)
	case "socialAccounts":
		first, last, ok := e.pageArgs(s, path, "socialAccounts")
		if !ok {
			return nil
		}
		return e.object(socialConn{u: u, first: first, last: last}, s.Sel, path)
	}
	return nil
}

// pageArgs reads a connection's first and last, failing the field as
// GitHub does when a page is asked for without them or beyond 100.
func (e *gqlExec) pageArgs(s gqlSel, path []any, conn string) (first, last int, ok bool) {
	first, hasFirst := e.intArg(s, "first")
	last, hasLast := e.intArg(s, "last")
	if selectsPage(s.Sel) && !hasFirst && !hasLast {
		e.fail(path, s, "MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to properly paginate the `"+conn+"` connection.")
		return 0, 0, false
	}
	for _, n := range []struct {
		v   int
		ok  bool
		arg string
	}{{first, hasFirst, "first"}, {last, hasLast, "last"}} {
		if n.ok && (n.v < 0 || n.v > 100) {
			e.fail(path, s, "EXCESSIVE_PAGINATION", fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `%s` limit of 100 records.", n.v, conn, n.arg))
			return 0, 0, false
		}
	}
	return first, last, true
}
