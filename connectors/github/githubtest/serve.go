package githubtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	apiPrefix = "/api/v3"
	docsURL   = "https://docs.github.com/rest"
	rateDoc   = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
	secDoc    = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// apiError is GitHub's error body.
type apiError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status,omitempty"`
}

func errBody(status int, msg, doc string) []byte {
	b, _ := json.Marshal(apiError{Message: msg, DocumentationURL: doc, Status: strconv.Itoa(status)})
	return b
}

// reply is what a route handler produces.
type reply struct {
	status int
	body   []byte
	header http.Header
}

func notFound() reply { return reply{status: 404, body: errBody(404, "Not Found", docsURL)} }

// gone is GitHub's answer for a deleted issue.
func gone() reply {
	return reply{status: 410, body: errBody(410, "This issue was deleted", "https://docs.github.com/rest/issues/issues#get-an-issue")}
}

// roll starts a new window when the current one is over.
func (s *Server) roll(b *bucket) *bucket {
	now := s.now()
	if b.reset.IsZero() || !now.Before(b.reset) {
		b.used = 0
		b.reset = now.Add(s.window).Truncate(time.Second)
	}
	return b
}

func setRateHeaders(h http.Header, b *bucket) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, b.limit-b.used)))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(b.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// ServeHTTP answers one API request, under chaos with WithChaos.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.chaos == nil {
		s.serve(w, r)
		return
	}
	s.chaos.Serve(w, r, &s.faults, s.applyChaos, http.HandlerFunc(s.serve))
}

// serve answers one API request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.faults.Delay(r.Context())
	if s.serveLogin(w, r) {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	entry := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, IfNoneMatch: r.Header.Get("If-None-Match")}
	h := w.Header()
	finish := func(status int, body []byte, contentLength int) {
		// The server's own clock, as GitHub sends it (RFC 9110 §6.6.1).
		h.Set("Date", s.now().UTC().Format(http.TimeFormat))
		if body != nil {
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Length", strconv.Itoa(contentLength))
		}
		entry.Status = status
		s.log.Add(entry, status, entry.Counted)
		w.WriteHeader(status)
		if body != nil && r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	}
	plain := func(status int, body []byte) { finish(status, body, len(body)) }

	// Credentials.
	b := &s.anon
	var owner issuedToken // a device-flow token's owner (oauth.go)
	if auth := r.Header.Get("Authorization"); auth != "" {
		entry.Authenticated = true
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			tok, ok = strings.CutPrefix(auth, "token ")
		}
		var issued bool
		owner, issued = s.issued[strings.TrimSpace(tok)]
		if !ok || (s.token != "" && strings.TrimSpace(tok) != s.token && !issued) {
			plain(401, errBody(401, "Bad credentials", docsURL))
			return
		}
		b = &s.auth
		if s.hasScopes {
			h.Set("X-OAuth-Scopes", strings.Join(s.scopes, ", "))
		}
		if !s.expires.IsZero() {
			h.Set("GitHub-Authentication-Token-Expiration", s.expires.UTC().Format(TokenExpirationLayout))
		}
	}
	if isGraphQLPath(r.URL.Path) {
		entry.Resource = "graphql"
		if status, fail := s.faults.Fail(); fail {
			plain(status, errBody(status, failMessage(status), docsURL))
			return
		}
		if s.secondaryOn {
			s.secondaryOn = false
			h.Set("Retry-After", strconv.Itoa(s.secondary))
			plain(403, errBody(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.", secDoc))
			return
		}
		status, body, points := s.serveGraphQL(r, h, entry.Authenticated)
		entry.Points, entry.Counted = points, points > 0
		spoilt, n := s.faults.Spoil(status, body, []byte(`{"data": {"nodes": [this is not valid json`))
		finish(status, spoilt, n)
		return
	}
	entry.Resource = "core"
	s.roll(b)
	setRateHeaders(h, b)
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")

	if status, fail := s.faults.Fail(); fail {
		plain(status, errBody(status, failMessage(status), docsURL))
		return
	}
	if s.secondaryOn {
		s.secondaryOn = false
		h.Set("Retry-After", strconv.Itoa(s.secondary))
		plain(403, errBody(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.", secDoc))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix+"/")
	if !ok {
		plain(404, errBody(404, "Not Found", docsURL))
		return
	}
	rest = strings.TrimSuffix(rest, "/")
	free := rest == "rate_limit"
	if !free && b.used >= b.limit {
		plain(403, errBody(403, fmt.Sprintf("API rate limit exceeded for user ID %d.", 1), rateDoc))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		plain(404, errBody(404, "Not Found", docsURL))
		return
	}

	var rep reply
	switch {
	case free:
		rep = s.rateLimitReply(b)
	case rest == "user":
		rep = s.currentUser(r, owner.login, owner.scopes)
	default:
		rep = s.route(r, rest)
	}
	for k, v := range rep.header {
		h[k] = v
	}
	if rep.status == 200 {
		sum := sha256.Sum256(rep.body)
		etag := `"` + hex.EncodeToString(sum[:]) + `"`
		h.Set("ETag", etag)
		h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if etagMatch(entry.IfNoneMatch, etag) {
			h.Del("Link")
			finish(304, nil, 0)
			return
		}
	}
	if !free {
		b.used++
		entry.Counted, entry.Points = true, 1
		setRateHeaders(h, b)
	}
	body, n := s.faults.Spoil(rep.status, rep.body, []byte(`{"message": "this is not [valid json`))
	finish(rep.status, body, n)
}

func failMessage(status int) string {
	switch status {
	case 401:
		return "Bad credentials"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 422:
		return "Validation Failed"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Server Error"
	case 503:
		return "Service Unavailable"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, part := range strings.Split(header, ",") {
		p := strings.TrimSpace(part)
		if p == "*" || strings.TrimPrefix(p, "W/") == etag {
			return true
		}
	}
	return false
}

func (s *Server) rateLimitReply(b *bucket) reply {
	type res struct {
		Limit     int    `json:"limit"`
		Remaining int    `json:"remaining"`
		Reset     int64  `json:"reset"`
		Used      int    `json:"used"`
		Resource  string `json:"resource"`
	}
	core := res{b.limit, max(0, b.limit-b.used), b.reset.Unix(), b.used, "core"}
	body := map[string]any{"resources": map[string]res{"core": core}, "rate": core}
	return reply{status: 200, body: mustJSON(body)}
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("githubtest: encode: %v", err)) // only our own types: a bug
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ---- routing ----

type ctx struct {
	r    *http.Request
	q    url.Values
	api  string // absolute API base, e.g. http://host/api/v3
	self *url.URL
}

func (s *Server) route(r *http.Request, rest string) reply {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	c := &ctx{r: r, q: r.URL.Query(), api: scheme + "://" + r.Host + apiPrefix}
	c.self = &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path}
	seg := strings.Split(rest, "/")
	for i, p := range seg {
		if u, err := url.PathUnescape(p); err == nil {
			seg[i] = u
		}
	}
	switch {
	case len(seg) == 2 && seg[0] == "users":
		return s.getUser(c, seg[1])
	case len(seg) == 3 && seg[0] == "users" && seg[2] == "social_accounts":
		return s.socialAccounts(c, seg[1])
	case len(seg) == 3 && seg[0] == "orgs" && seg[2] == "repos":
		return s.orgRepos(c, seg[1])
	case len(seg) >= 3 && seg[0] == "repos":
		st, ok := s.repos[key(seg[1]+"/"+seg[2])]
		if !ok {
			return notFound()
		}
		tail := seg[3:]
		switch {
		case len(tail) == 0:
			return reply{status: 200, body: mustJSON(s.repoJSON(c, st.repo))}
		case len(tail) == 1 && tail[0] == "issues":
			return s.listIssues(c, st)
		case len(tail) == 2 && tail[0] == "issues" && tail[1] == "comments":
			return s.listComments(c, st)
		case len(tail) == 2 && tail[0] == "issues":
			return s.getIssue(c, st, tail[1])
		case len(tail) == 2 && tail[0] == "pulls" && tail[1] == "comments":
			return s.listReviewComments(c, st)
		case len(tail) == 3 && tail[0] == "pulls" && tail[2] == "reviews":
			return s.listReviews(c, st, tail[1])
		case len(tail) == 1 && tail[0] == "stargazers":
			return s.listStargazers(c, st)
		case len(tail) == 1 && tail[0] == "forks":
			return s.listForks(c, st)
		case len(tail) == 1 && tail[0] == "releases":
			return s.listReleases(c, st)
		case len(tail) == 1 && tail[0] == "commits":
			return s.listCommits(c, st)
		}
	}
	return notFound()
}

// since parses the `since` parameter; ok is false on a malformed value.
func (c *ctx) since(name string) (t time.Time, ok bool) {
	v := c.q.Get(name)
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

func invalid(param string) reply {
	return reply{status: 422, body: errBody(422, fmt.Sprintf("Invalid value for parameter %q", param), docsURL)}
}

// page slices items (already filtered and ordered) per page/per_page and
// sets the Link header.
func page[T any](c *ctx, items []T) ([]T, http.Header) {
	per := 30
	if v, err := strconv.Atoi(c.q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	p := 1
	if v, err := strconv.Atoi(c.q.Get("page")); err == nil && v > 0 {
		p = v
	}
	last := max(1, int(math.Ceil(float64(len(items))/float64(per))))
	lo := min(len(items), (p-1)*per)
	hi := min(len(items), lo+per)
	out := items[lo:hi]
	if last == 1 {
		return out, nil
	}
	link := func(n int, rel string) string {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		if c.q.Get("per_page") != "" {
			q.Set("per_page", c.q.Get("per_page"))
		}
		u := *c.self
		u.RawQuery = q.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if p > 1 {
		links = append(links, link(min(p-1, last), "prev"))
	}
	if p < last {
		links = append(links, link(p+1, "next"), link(last, "last"))
	}
	if p > 1 {
		links = append(links, link(1, "first"))
	}
	return out, http.Header{"Link": {strings.Join(links, ", ")}}
}

func list[T any](c *ctx, items []T) reply {
	out, h := page(c, items)
	if out == nil {
		out = []T{}
	}
	return reply{status: 200, body: mustJSON(out), header: h}
}
