package stackoverflowtest

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

const apiPrefix = "/2.3"

// apiError is an error of the wrapper, answered with HTTP 400 unless status
// says otherwise.
type apiError struct {
	status int
	id     int
	name   string
	msg    string
}

var errorNames = map[int]string{
	400: "bad_parameter", 401: "access_token_required", 402: "invalid_access_token",
	403: "access_denied", 404: "no_method", 405: "key_required", 406: "access_token_compromised",
	407: "write_failed", 409: "duplicate_request", 500: "internal_error", 502: "throttle_violation",
	503: "temporarily_unavailable",
}

func badParam(msg string) *apiError {
	return &apiError{status: 400, id: 400, name: "bad_parameter", msg: msg}
}

func throttle(msg string) *apiError {
	return &apiError{status: 400, id: 502, name: "throttle_violation", msg: msg}
}

// nextMidnight is the next UTC midnight after t, when quotas refill.
func nextMidnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

func (s *Server) quotaFor(keyed bool) *quota {
	q := &s.anon
	if keyed {
		q = &s.keyed
	}
	now := s.now()
	if q.reset.IsZero() || !now.Before(q.reset) {
		q.used = 0
		q.reset = nextMidnight(now)
	}
	return q
}

// call is one parsed request.
type call struct {
	q        map[string][]string
	route    string
	ids      []int64
	page     int
	pageSize int
	keyed    bool
}

func (c *call) get(name string) string {
	if v := c.q[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// wrapper is the common wrapper of every response.
type wrapper struct {
	Items          any    `json:"items"`
	HasMore        bool   `json:"has_more"`
	QuotaMax       int    `json:"quota_max"`
	QuotaRemaining int    `json:"quota_remaining"`
	Backoff        int    `json:"backoff,omitempty"`
	Page           int    `json:"page,omitempty"`
	PageSize       int    `json:"page_size,omitempty"`
	Total          *int   `json:"total,omitempty"`
	Type           string `json:"type,omitempty"`
}

type errorBody struct {
	ErrorID      int    `json:"error_id"`
	ErrorMessage string `json:"error_message"`
	ErrorName    string `json:"error_name"`
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

	s.mu.Lock()
	defer s.mu.Unlock()
	c := &call{q: parseQuery(r.URL.RawQuery), page: 1}
	entry := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Page: 1}
	write := func(status int, body []byte) {
		entry.Status = status
		s.log.Add(entry, status, entry.Counted)
		s.writeBody(w, r, status, body)
	}
	fail := func(e *apiError) {
		entry.ErrorID = e.id
		write(e.status, mustJSON(errorBody{ErrorID: e.id, ErrorMessage: e.msg, ErrorName: e.name}))
	}

	c.route, c.ids = parseRoute(strings.TrimSuffix(r.URL.Path, "/"))
	entry.Route = c.route
	if status, failing := s.faults.Fail(); failing {
		name := errorNames[status]
		if name == "" {
			name = "internal_error"
		}
		fail(&apiError{status: status, id: status, name: name, msg: http.StatusText(status)})
		return
	}
	if c.route == "" {
		fail(&apiError{status: 400, id: 404, name: "no_method", msg: "no method found with this name"})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		fail(&apiError{status: 400, id: 404, name: "no_method", msg: "no method found with this name"})
		return
	}
	if key := c.get("key"); key != "" {
		if s.key != "" && key != s.key {
			fail(badParam("key"))
			return
		}
		c.keyed = true
		entry.Keyed = true
	}
	if c.route != RouteFiltersCreate {
		site := c.get("site")
		if site == "" {
			fail(badParam("site is required"))
			return
		}
		if site != s.site && site != siteHost(s.site) {
			fail(badParam("No site found for name `" + site + "`"))
			return
		}
	}
	if f := c.get("filter"); f != "" && !s.filters[f] {
		fail(badParam("filter"))
		return
	}
	if len(c.ids) > 100 {
		fail(badParam("ids"))
		return
	}
	if c.ids == nil && strings.Contains(c.route, "{ids}") {
		fail(badParam("ids"))
		return
	}
	q := s.quotaFor(c.keyed)
	now := s.now()
	if q.used >= q.max {
		secs := int(q.reset.Sub(now).Round(time.Second) / time.Second)
		fail(throttle(fmt.Sprintf("too many requests from this IP, more requests available in %d seconds", max(secs, 1))))
		return
	}
	if until, ok := s.backoffUntil[c.route]; ok && now.Before(until) {
		fail(throttle("Violation of backoff parameter"))
		return
	}
	if v := c.get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fail(badParam("page"))
			return
		}
		c.page = n
		entry.Page = n
	}
	c.pageSize = 30
	if v := c.get("pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			fail(badParam("pagesize"))
			return
		}
		c.pageSize = n
	}
	if !c.keyed && c.get("access_token") == "" && c.page > MaxAnonymousPage {
		fail(&apiError{status: 400, id: 403, name: "access_denied", msg: "page above 25 requires access token or app key"})
		return
	}

	if c.get("filter") == "total" {
		c.page, c.pageSize = 1, 1<<30 // count everything
	}
	items, hasMore, err := s.route(c)
	if err != nil {
		fail(err)
		return
	}
	q.used++
	entry.Counted = true
	out := wrapper{Items: items, HasMore: hasMore, QuotaMax: q.max, QuotaRemaining: q.max - q.used, Page: c.page, PageSize: c.pageSize}
	if c.get("filter") == "total" {
		n := reflectLen(items)
		out = wrapper{Total: &n, QuotaMax: q.max, QuotaRemaining: q.max - q.used}
	}
	n := s.backoff[c.route]
	if s.backoffNext > 0 {
		n, s.backoffNext = max(n, s.backoffNext), 0
	}
	if n > 0 {
		out.Backoff = n
		s.backoffUntil[c.route] = now.Add(time.Duration(n) * time.Second)
		s.chaos.Announce(c.route, s.backoffUntil[c.route], fmt.Sprintf("backoff: %d on %s", n, c.route))
	}
	body := mustJSON(out)
	if s.faults.Malformed() {
		body = []byte(`{"items": [{"question_id": this is not [valid json`)
	}
	write(200, body)
}

// parseQuery parses a raw query like url.ParseQuery but keeps semicolons
// inside values (tagged=a;b, sent unescaped by most clients), which
// net/url rejects.
func parseQuery(raw string) map[string][]string {
	q := map[string][]string{}
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		q[k] = append(q[k], v)
	}
	return q
}

func reflectLen(items any) int {
	b, _ := json.Marshal(items)
	var xs []json.RawMessage
	_ = json.Unmarshal(b, &xs)
	return len(xs)
}

// writeBody compresses body as the service does and writes it.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	var buf bytes.Buffer
	h := w.Header()
	switch s.enc {
	case Deflate:
		zw := zlib.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		h.Set("Content-Encoding", "deflate")
	default:
		gw := gzip.NewWriter(&buf)
		_, _ = gw.Write(body)
		_ = gw.Close()
		if s.enc == Gzip {
			h.Set("Content-Encoding", "gzip")
		}
	}
	out := buf.Bytes()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	h.Set("Access-Control-Allow-Origin", "*")
	if status == 200 && s.faults.Truncate() {
		out = fakekit.Truncated(out)
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(out)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("stackoverflowtest: encode: %v", err)) // a bug in the fake
	}
	return b
}

// parseRoute maps a path to its route and vectorized ids (nil when the
// route has none or they do not parse).
func parseRoute(path string) (string, []int64) {
	rest, ok := strings.CutPrefix(path, apiPrefix+"/")
	if !ok {
		return "", nil
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 1 && parts[0] == "questions":
		return RouteQuestions, nil
	case len(parts) == 1 && parts[0] == "info":
		return RouteInfo, nil
	case len(parts) == 2 && parts[0] == "filters" && parts[1] == "create":
		return RouteFiltersCreate, nil
	case len(parts) == 2 && parts[0] == "questions":
		return RouteQuestionsByID, ids(parts[1])
	case len(parts) == 3 && parts[0] == "questions" && parts[2] == "answers":
		return RouteAnswers, ids(parts[1])
	case len(parts) == 3 && parts[0] == "questions" && parts[2] == "comments":
		return RouteQuestionComments, ids(parts[1])
	case len(parts) == 3 && parts[0] == "answers" && parts[2] == "comments":
		return RouteAnswerComments, ids(parts[1])
	case len(parts) == 2 && parts[0] == "users":
		return RouteUsers, ids(parts[1])
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "associated":
		return RouteAssociated, ids(parts[1])
	}
	return "", nil
}

func ids(s string) []int64 {
	var out []int64
	for _, p := range strings.Split(s, ";") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n <= 0 {
			return nil
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// ---- JSON shapes ----

type shallowUser struct {
	AccountID    int64  `json:"account_id,omitempty"`
	Reputation   int    `json:"reputation,omitempty"`
	UserID       int64  `json:"user_id,omitempty"`
	UserType     string `json:"user_type"`
	ProfileImage string `json:"profile_image,omitempty"`
	DisplayName  string `json:"display_name"`
	Link         string `json:"link,omitempty"`
}

type questionJSON struct {
	Tags             []string     `json:"tags"`
	Owner            *shallowUser `json:"owner"`
	IsAnswered       bool         `json:"is_answered"`
	ViewCount        int          `json:"view_count"`
	AcceptedAnswerID int64        `json:"accepted_answer_id,omitempty"`
	AnswerCount      int          `json:"answer_count"`
	Score            int          `json:"score"`
	LastActivityDate int64        `json:"last_activity_date"`
	CreationDate     int64        `json:"creation_date"`
	QuestionID       int64        `json:"question_id"`
	ContentLicense   string       `json:"content_license"`
	Link             string       `json:"link"`
	Title            string       `json:"title"`
	Body             *string      `json:"body,omitempty"`
}

type answerJSON struct {
	Owner            *shallowUser `json:"owner"`
	IsAccepted       bool         `json:"is_accepted"`
	Score            int          `json:"score"`
	LastActivityDate int64        `json:"last_activity_date"`
	CreationDate     int64        `json:"creation_date"`
	AnswerID         int64        `json:"answer_id"`
	QuestionID       int64        `json:"question_id"`
	ContentLicense   string       `json:"content_license"`
	Body             *string      `json:"body,omitempty"`
}

type commentJSON struct {
	Owner          *shallowUser `json:"owner"`
	Edited         bool         `json:"edited"`
	Score          int          `json:"score"`
	CreationDate   int64        `json:"creation_date"`
	PostID         int64        `json:"post_id"`
	CommentID      int64        `json:"comment_id"`
	ContentLicense string       `json:"content_license"`
	Body           *string      `json:"body,omitempty"`
}

type badgeCounts struct {
	Bronze int `json:"bronze"`
	Silver int `json:"silver"`
	Gold   int `json:"gold"`
}

type userJSON struct {
	BadgeCounts      badgeCounts `json:"badge_counts"`
	AccountID        int64       `json:"account_id"`
	IsEmployee       bool        `json:"is_employee"`
	LastModifiedDate int64       `json:"last_modified_date"`
	LastAccessDate   int64       `json:"last_access_date"`
	Reputation       int         `json:"reputation"`
	CreationDate     int64       `json:"creation_date"`
	UserType         string      `json:"user_type"`
	UserID           int64       `json:"user_id"`
	Location         string      `json:"location,omitempty"`
	WebsiteURL       string      `json:"website_url,omitempty"`
	Link             string      `json:"link"`
	ProfileImage     string      `json:"profile_image"`
	DisplayName      string      `json:"display_name"`
}

type networkUserJSON struct {
	BadgeCounts    badgeCounts `json:"badge_counts"`
	QuestionCount  int         `json:"question_count"`
	AnswerCount    int         `json:"answer_count"`
	LastAccessDate int64       `json:"last_access_date"`
	CreationDate   int64       `json:"creation_date"`
	AccountID      int64       `json:"account_id"`
	Reputation     int         `json:"reputation"`
	UserID         int64       `json:"user_id"`
	SiteURL        string      `json:"site_url"`
	SiteName       string      `json:"site_name"`
}

func (s *Server) owner(id int64) *shallowUser {
	u, ok := s.users[id]
	if !ok {
		return &shallowUser{UserType: "does_not_exist", DisplayName: fmt.Sprintf("user%d", id)}
	}
	return &shallowUser{AccountID: u.AccountID, Reputation: u.Reputation, UserID: u.UserID, UserType: u.UserType,
		ProfileImage: u.ProfileImage, DisplayName: html.EscapeString(u.DisplayName), Link: u.Link}
}

// body is a post's body as the filter serves it: present (possibly empty)
// with withbody, absent with the other built-in filters.
func body(c *call, html string) *string {
	if c.get("filter") != "withbody" {
		return nil
	}
	return &html
}

func (s *Server) questionJSON(q *Question) questionJSON {
	n := 0
	for _, a := range s.answers {
		if a.QuestionID == q.QuestionID {
			n++
		}
	}
	return questionJSON{Tags: q.Tags, Owner: s.owner(q.OwnerID), IsAnswered: q.AcceptedAnswerID != 0 || n > 0,
		AcceptedAnswerID: q.AcceptedAnswerID, AnswerCount: n, Score: q.Score,
		LastActivityDate: q.LastActivityDate.Unix(), CreationDate: q.CreationDate.Unix(), QuestionID: q.QuestionID,
		ContentLicense: "CC BY-SA 4.0", Link: q.Link, Title: html.EscapeString(q.Title)}
}

func (s *Server) userJSON(u *User) userJSON {
	return userJSON{AccountID: u.AccountID, LastModifiedDate: u.CreationDate.Unix(), LastAccessDate: u.CreationDate.Unix(),
		Reputation: u.Reputation, CreationDate: u.CreationDate.Unix(), UserType: u.UserType, UserID: u.UserID, IsEmployee: u.IsEmployee,
		Location: html.EscapeString(u.Location), WebsiteURL: u.WebsiteURL, Link: u.Link, ProfileImage: u.ProfileImage,
		DisplayName: html.EscapeString(u.DisplayName)}
}

// ---- listing ----

// sortable is one item with the values sorts and ranges look at.
type sortable struct {
	id       int64
	activity time.Time
	creation time.Time
	votes    int
	name     string
	item     any
}

// list sorts, filters and pages items as every method does. sorts is the
// allowed list, default first.
func list(c *call, items []sortable, sorts ...string) ([]any, bool, *apiError) {
	sortBy := c.get("sort")
	if sortBy == "" {
		sortBy = sorts[0]
	}
	if !slices.Contains(sorts, sortBy) {
		return nil, false, badParam("sort")
	}
	order := c.get("order")
	if order == "" {
		order = "desc"
	}
	if order != "asc" && order != "desc" {
		return nil, false, badParam("order")
	}
	num := func(name string) (int64, bool, *apiError) {
		v := c.get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false, badParam(name)
		}
		return n, true, nil
	}
	key := func(it sortable) int64 {
		switch sortBy {
		case "activity":
			return it.activity.Unix()
		case "creation":
			return it.creation.Unix()
		case "votes", "reputation":
			return int64(it.votes)
		case "modified":
			return it.activity.Unix()
		}
		return 0
	}
	minV, hasMin, err := num("min")
	if err != nil {
		return nil, false, err
	}
	maxV, hasMax, err := num("max")
	if err != nil {
		return nil, false, err
	}
	from, hasFrom, err := num("fromdate")
	if err != nil {
		return nil, false, err
	}
	to, hasTo, err := num("todate")
	if err != nil {
		return nil, false, err
	}
	var kept []sortable
	for _, it := range items {
		k := key(it)
		switch {
		case sortBy != "name" && hasMin && k < minV,
			sortBy != "name" && hasMax && k > maxV,
			sortBy == "name" && c.get("min") != "" && strings.ToLower(it.name) < strings.ToLower(c.get("min")),
			sortBy == "name" && c.get("max") != "" && strings.ToLower(it.name) > strings.ToLower(c.get("max")),
			hasFrom && it.creation.Unix() < from,
			hasTo && it.creation.Unix() > to:
			continue
		}
		kept = append(kept, it)
	}
	slices.SortStableFunc(kept, func(a, b sortable) int {
		var d int
		if sortBy == "name" {
			d = strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
		} else {
			d = cmp64(key(a), key(b))
		}
		if d == 0 {
			d = cmp64(a.id, b.id)
		}
		if order == "desc" {
			d = -d
		}
		return d
	})
	start := (c.page - 1) * c.pageSize
	end := start + c.pageSize
	out := []any{}
	for i := start; i < end && i < len(kept); i++ {
		out = append(out, kept[i].item)
	}
	return out, end < len(kept), nil
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// route answers a parsed, admitted request.
func (s *Server) route(c *call) (any, bool, *apiError) {
	switch c.route {
	case RouteQuestions, RouteQuestionsByID:
		var tags []string
		if t := c.get("tagged"); t != "" {
			tags = strings.Split(t, ";")
		}
		var items []sortable
		for _, id := range s.qOrder {
			q := s.questions[id]
			if c.route == RouteQuestionsByID && !slices.Contains(c.ids, id) {
				continue
			}
			if len(tags) > 5 || !hasAll(q.Tags, tags) {
				continue
			}
			qj := s.questionJSON(q)
			qj.Body = body(c, q.Body)
			items = append(items, sortable{id: id, activity: q.LastActivityDate, creation: q.CreationDate, votes: q.Score, item: qj})
		}
		return list(c, items, "activity", "creation", "votes")
	case RouteAnswers:
		var items []sortable
		for _, id := range s.aOrder {
			a := s.answers[id]
			if !slices.Contains(c.ids, a.QuestionID) {
				continue
			}
			items = append(items, sortable{id: id, activity: a.LastActivityDate, creation: a.CreationDate, votes: a.Score, item: answerJSON{
				Owner: s.owner(a.OwnerID), IsAccepted: a.IsAccepted, Score: a.Score, LastActivityDate: a.LastActivityDate.Unix(),
				CreationDate: a.CreationDate.Unix(), AnswerID: a.AnswerID, QuestionID: a.QuestionID, ContentLicense: "CC BY-SA 4.0",
				Body: body(c, a.Body)}})
		}
		return list(c, items, "activity", "creation", "votes")
	case RouteQuestionComments, RouteAnswerComments:
		var items []sortable
		for _, cm := range s.comments {
			if !slices.Contains(c.ids, cm.PostID) {
				continue
			}
			if _, isQ := s.questions[cm.PostID]; isQ != (c.route == RouteQuestionComments) {
				continue
			}
			items = append(items, sortable{id: cm.CommentID, creation: cm.CreationDate, activity: cm.CreationDate, votes: cm.Score, item: commentJSON{
				Owner: s.owner(cm.OwnerID), Score: cm.Score, CreationDate: cm.CreationDate.Unix(), PostID: cm.PostID,
				CommentID: cm.CommentID, ContentLicense: "CC BY-SA 4.0", Body: body(c, cm.Body)}})
		}
		return list(c, items, "creation", "votes")
	case RouteUsers:
		var items []sortable
		for _, id := range s.userOrder {
			if !slices.Contains(c.ids, id) || s.goneUsers[id] {
				continue
			}
			u := s.users[id]
			items = append(items, sortable{id: id, creation: u.CreationDate, activity: u.CreationDate, votes: u.Reputation, name: u.DisplayName, item: s.userJSON(u)})
		}
		return list(c, items, "reputation", "creation", "name", "modified")
	case RouteAssociated:
		var items []sortable
		for _, id := range s.userOrder {
			u := s.users[id]
			if !slices.Contains(c.ids, u.AccountID) || s.goneUsers[id] {
				continue
			}
			items = append(items, sortable{id: u.UserID, creation: u.CreationDate, item: networkUserJSON{
				LastAccessDate: u.CreationDate.Unix(), CreationDate: u.CreationDate.Unix(), AccountID: u.AccountID,
				Reputation: u.Reputation, UserID: u.UserID, SiteURL: "https://" + siteHost(s.site), SiteName: siteName(s.site)}})
		}
		for i, a := range s.associated {
			if !slices.Contains(c.ids, a.AccountID) {
				continue
			}
			items = append(items, sortable{id: int64(1<<40 + i), creation: a.CreationDate, item: networkUserJSON{
				LastAccessDate: a.CreationDate.Unix(), CreationDate: a.CreationDate.Unix(), AccountID: a.AccountID,
				Reputation: a.Reputation, UserID: a.UserID, SiteURL: a.SiteURL, SiteName: a.SiteName}})
		}
		// The real method has no sort; keep insertion order.
		c.q["sort"], c.q["order"] = []string{"creation"}, []string{"asc"}
		for i := range items {
			items[i].creation = time.Unix(0, 0)
		}
		return list(c, items, "creation")
	case RouteInfo:
		nq, na := len(s.questions), len(s.answers)
		return []any{map[string]any{
			"total_questions": nq, "total_unanswered": nq - min(nq, na), "total_answers": na,
			"total_comments": len(s.comments), "total_users": len(s.users), "api_revision": "2023.1.1.0000",
			"site": map[string]any{"api_site_parameter": s.site, "site_url": "https://" + siteHost(s.site), "name": siteName(s.site), "site_type": "main_site", "site_state": "normal"},
		}}, false, nil
	case RouteFiltersCreate:
		base := c.get("base")
		if base == "" {
			base = "default"
		}
		if !s.filters[base] {
			return nil, false, badParam("base")
		}
		include, exclude := c.get("include"), c.get("exclude")
		unsafe := c.get("unsafe") == "true"
		f := filterName(base, include, exclude, unsafe)
		s.filters[f] = true
		typ := "safe"
		if unsafe {
			typ = "unsafe"
		}
		var fields []string
		for _, p := range strings.Split(include, ";") {
			if p != "" {
				fields = append(fields, p)
			}
		}
		return []any{map[string]any{"filter": f, "filter_type": typ, "included_fields": fields}}, false, nil
	}
	return nil, false, &apiError{status: 400, id: 404, name: "no_method", msg: "no method found with this name"}
}

// filterName makes a deterministic filter string for a filter definition,
// shaped like the real opaque strings ("!" and base-64-ish characters).
func filterName(base, include, exclude string, unsafe bool) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789()*-._"
	h := uint64(14695981039346656037)
	for _, b := range []byte(fmt.Sprintf("%s|%s|%s|%v", base, include, exclude, unsafe)) {
		h ^= uint64(b)
		h *= 1099511628211
	}
	out := []byte{'!'}
	for range 10 {
		out = append(out, alphabet[h%uint64(len(alphabet))])
		h /= uint64(len(alphabet))
		if h == 0 {
			h = 7919
		}
	}
	return string(out)
}

func siteName(site string) string {
	if site == DefaultSite {
		return "Stack Overflow"
	}
	return site
}

func hasAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, strings.TrimSpace(t)) {
			return false
		}
	}
	return true
}
