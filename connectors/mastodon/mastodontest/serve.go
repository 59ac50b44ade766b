package mastodontest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// apiError is Mastodon's error body.
type apiError struct {
	status int
	msg    string
}

func notFound() *apiError { return &apiError{http.StatusNotFound, "Record not found"} }

// reply is what a handler answers: a JSON value and an optional Link header.
type reply struct {
	v    any
	link string
}

// caller is who made a request.
// appJSON is the Application entity of apps/verify_credentials.
type appJSON struct {
	Name    string   `json:"name"`
	Website *string  `json:"website"`
	Scopes  []string `json:"scopes,omitempty"` // Mastodon 4.3+
}

type caller struct {
	authenticated bool
	owner         *Account // the token's user; nil for app tokens and anonymous
}

var pagingParams = []string{"max_id", "min_id", "since_id", "page"}

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
	if s.serveOAuth(w, r) {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	entry := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, IfNoneMatch: r.Header.Get("If-None-Match")}
	for _, p := range pagingParams {
		if q.Has(p) {
			entry.Paginated = true
		}
	}
	finish := func(status int) {
		entry.Status = status
		s.log.Add(entry, status, entry.Counted)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Vary", "Authorization, Origin")

	if status, fail := s.faults.Fail(); fail {
		finish(status)
		writeError(w, status, http.StatusText(status))
		return
	}
	var who caller
	if auth := r.Header.Get("Authorization"); auth != "" {
		entry.Authenticated = true
		who.authenticated = true
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		acct, known := s.tokens[strings.TrimSpace(tok)]
		if !ok || (len(s.tokens) > 0 && !known) {
			finish(http.StatusUnauthorized)
			writeError(w, http.StatusUnauthorized, "The access token is invalid")
			return
		}
		if acct != "" {
			who.owner = s.byAcct[normAcct(acct, s.domain)]
		}
	}

	// Rate limits: Rack::Attack answers before the application does.
	buckets := []*bucket{s.roll(&s.overall)}
	if entry.Paginated {
		buckets = append(buckets, s.roll(&s.paging))
	}
	for _, b := range buckets {
		if b.used >= b.limit {
			setRateHeaders(h, b, 0)
			finish(http.StatusTooManyRequests)
			writeError(w, http.StatusTooManyRequests, "Too many requests")
			return
		}
	}

	var (
		rep  reply
		aerr *apiError
	)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		aerr = &apiError{http.StatusMethodNotAllowed, "Method not allowed"}
	} else {
		rep, aerr = s.route(r, q, who)
	}
	status, body := http.StatusOK, []byte(nil)
	if aerr != nil {
		status = aerr.status
		body, _ = json.Marshal(map[string]string{"error": aerr.msg})
	} else {
		var err error
		if body, err = json.Marshal(rep.v); err != nil {
			status = http.StatusInternalServerError
			body = []byte(`{"error":"internal error"}`)
		}
	}
	if status == http.StatusOK {
		sum := md5.Sum(body)
		etag := `W/"` + hex.EncodeToString(sum[:]) + `"`
		h.Set("ETag", etag)
		if rep.link != "" {
			h.Set("Link", rep.link)
		}
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
			s.rateHeaders(h, buckets)
			finish(http.StatusNotModified)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	entry.Counted = true
	for _, b := range buckets {
		b.used++
	}
	s.rateHeaders(h, buckets)
	if status == http.StatusOK {
		switch {
		case s.faults.Malformed():
			body = []byte(`{"id": "1", "created_at": [` + strings.Repeat("{", 3))
		case s.faults.Truncate():
			h.Set("Content-Length", strconv.Itoa(len(body)))
			body = fakekit.Truncated(body)
		}
	}
	finish(status)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// rateHeaders writes the X-RateLimit-* headers of the budget closest to
// exhaustion among those the request counted against.
func (s *Server) rateHeaders(h http.Header, buckets []*bucket) {
	best := buckets[0]
	for _, b := range buckets[1:] {
		if b.limit-b.used < best.limit-best.used {
			best = b
		}
	}
	setRateHeaders(h, best, max(0, best.limit-best.used))
}

func setRateHeaders(h http.Header, b *bucket, remaining int) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", b.reset.UTC().Format("2006-01-02T15:04:05.000000Z"))
}

func etagMatch(header, etag string) bool {
	for _, e := range strings.Split(header, ",") {
		e = strings.TrimSpace(e)
		if e == "*" || strings.TrimPrefix(e, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	_, _ = w.Write(b)
}

// route dispatches a GET. s.mu is held.
func (s *Server) route(r *http.Request, q url.Values, who caller) (reply, *apiError) {
	p := strings.Trim(r.URL.Path, "/")
	parts := strings.Split(p, "/")
	if len(parts) < 3 || parts[0] != "api" {
		return reply{}, notFound()
	}
	base := baseOf(r)
	switch ver, rest := parts[1], parts[2:]; {
	case ver == "v2" && len(rest) == 1 && rest[0] == "instance":
		return reply{v: s.instanceJSON()}, nil
	case ver != "v1":
		return reply{}, notFound()
	case len(rest) == 2 && rest[0] == "apps" && rest[1] == "verify_credentials":
		if !who.authenticated {
			return reply{}, &apiError{http.StatusUnauthorized, "The access token is invalid"}
		}
		return reply{v: appJSON{Name: s.appName, Scopes: s.appScopes}}, nil
	case len(rest) == 2 && rest[0] == "accounts" && rest[1] == "verify_credentials":
		if err := needUser(who); err != nil {
			return reply{}, err
		}
		a := s.accountJSON(who.owner)
		return reply{v: credentialJSON{accountJSON: a, Source: sourceJSON{Privacy: "public", Note: who.owner.Note, Fields: a.Fields}}}, nil
	case len(rest) == 2 && rest[0] == "accounts" && rest[1] == "lookup":
		a, ok := s.byAcct[normAcct(q.Get("acct"), s.domain)]
		if !ok || s.deleted[a.ID] {
			return reply{}, notFound()
		}
		return reply{v: s.accountJSON(a)}, nil
	case len(rest) >= 2 && rest[0] == "accounts":
		a, ok := s.accounts[rest[1]]
		if !ok || s.deleted[a.ID] {
			return reply{}, notFound()
		}
		switch {
		case len(rest) == 2:
			return reply{v: s.accountJSON(a)}, nil
		case len(rest) == 3 && rest[2] == "statuses":
			return s.accountStatuses(base, r.URL.Path, q, a), nil
		case len(rest) == 3 && rest[2] == "followers":
			return s.accountList(base, r.URL.Path, q, s.followers[a.ID]), nil
		}
	case len(rest) >= 2 && rest[0] == "statuses":
		st, ok := s.statuses[rest[1]]
		if !ok || !visible(st) {
			return reply{}, notFound()
		}
		switch {
		case len(rest) == 2:
			return reply{v: s.statusJSON(st)}, nil
		case len(rest) == 3 && rest[2] == "context":
			return reply{v: s.context(st)}, nil
		case len(rest) == 3 && rest[2] == "reblogged_by":
			var edges []edge
			for _, id := range st.reblogs {
				rb := s.statuses[id]
				if rb.removed {
					continue
				}
				edges = append(edges, edge{id: idNum(id), account: s.byAcct[rb.Account].ID, at: rb.CreatedAt})
			}
			return s.accountList(base, r.URL.Path, q, edges), nil
		case len(rest) == 3 && rest[2] == "favourited_by":
			return s.accountList(base, r.URL.Path, q, st.favs), nil
		}
	case len(rest) == 3 && rest[0] == "timelines" && rest[1] == "tag":
		return s.tagTimeline(base, r.URL.Path, q, rest[2]), nil
	case len(rest) == 1 && rest[0] == "notifications":
		if err := needUser(who); err != nil {
			return reply{}, err
		}
		return s.notifications(base, r.URL.Path, q, who.owner), nil
	}
	return reply{}, notFound()
}

func needUser(who caller) *apiError {
	if !who.authenticated {
		return &apiError{http.StatusUnauthorized, "This API requires an authenticated user"}
	}
	if who.owner == nil {
		return &apiError{http.StatusUnprocessableEntity, "This method requires an authenticated user"}
	}
	return nil
}

func visible(st *status) bool {
	return !st.removed && (st.Visibility == "public" || st.Visibility == "unlisted")
}

func baseOf(r *http.Request) string {
	scheme := r.URL.Scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host
}

// limitOf reads limit with Mastodon's default and maximum.
func limitOf(q url.Values, def, maxLimit int) int {
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, maxLimit)
}

// window selects a page from keys (ascending): the newest limit keys below
// max_id and above since_id, or with min_id the oldest limit keys above it.
// It returns indexes into keys, newest first.
func window(keys []uint64, q url.Values, limit int, allowMin bool) []int {
	num := func(k string) (uint64, bool) {
		if !q.Has(k) {
			return 0, false
		}
		n, err := strconv.ParseUint(q.Get(k), 10, 64)
		return n, err == nil
	}
	maxID, hasMax := num("max_id")
	sinceID, _ := num("since_id")
	minID, hasMin := num("min_id")
	if !allowMin {
		hasMin = false
	}
	var sel []int
	for i, k := range keys {
		if (hasMax && k >= maxID) || k <= sinceID || (hasMin && k <= minID) {
			continue
		}
		sel = append(sel, i)
	}
	if hasMin && !q.Has("since_id") {
		if len(sel) > limit {
			sel = sel[:limit]
		}
	} else if len(sel) > limit {
		sel = sel[len(sel)-limit:]
	}
	slices.Reverse(sel)
	return sel
}

// links builds the Link header of a page whose keys are newest first.
func links(base, path string, q url.Values, page []uint64, limit int, prevParam string) string {
	if len(page) == 0 {
		return ""
	}
	mk := func(k string, v uint64) string {
		u := url.Values{}
		for key, vs := range q {
			if !slices.Contains(pagingParams, key) {
				u[key] = vs
			}
		}
		u.Set(k, strconv.FormatUint(v, 10))
		return base + path + "?" + u.Encode()
	}
	var out []string
	if len(page) >= limit {
		out = append(out, "<"+mk("max_id", page[len(page)-1])+`>; rel="next"`)
	}
	out = append(out, "<"+mk(prevParam, page[0])+`>; rel="prev"`)
	return strings.Join(out, ", ")
}

func (s *Server) statusPage(base, path string, q url.Values, list []*status, def, maxLimit int) reply {
	limit := limitOf(q, def, maxLimit)
	keys := make([]uint64, len(list))
	for i, st := range list {
		keys[i] = idNum(st.ID)
	}
	out := []statusJSON{}
	var page []uint64
	for _, i := range window(keys, q, limit, true) {
		out = append(out, s.statusJSON(list[i]))
		page = append(page, keys[i])
	}
	return reply{v: out, link: links(base, path, q, page, limit, "min_id")}
}

func (s *Server) accountStatuses(base, path string, q url.Values, a *Account) reply {
	acct := acctOf(a, s.domain)
	tagged := strings.ToLower(q.Get("tagged"))
	var list []*status
	if q.Get("pinned") != "true" {
		for _, st := range s.order {
			switch {
			case st.Account != acct || !visible(st):
			case st.ReblogOf != "" && q.Get("exclude_reblogs") == "true":
			case st.InReplyToID != "" && q.Get("exclude_replies") == "true":
			case tagged != "" && !slices.Contains(st.Tags, tagged):
			default:
				list = append(list, st)
			}
		}
	}
	return s.statusPage(base, path, q, list, 20, 40)
}

func (s *Server) tagTimeline(base, path string, q url.Values, tag string) reply {
	tag = strings.ToLower(tag)
	var list []*status
	for _, st := range s.order {
		if st.ReblogOf != "" || st.Visibility != "public" || st.removed || !slices.Contains(st.Tags, tag) {
			continue
		}
		local := s.byAcct[st.Account].Domain == ""
		if (q.Get("local") == "true" && !local) || (q.Get("remote") == "true" && local) {
			continue
		}
		list = append(list, st)
	}
	return s.statusPage(base, path, q, list, 20, 40)
}

// accountList serves followers, reblogged_by and favourited_by: accounts
// paged by an internal id (edges ascending), max_id/since_id only, with a
// since_id prev link as Mastodon sends.
func (s *Server) accountList(base, path string, q url.Values, edges []edge) reply {
	limit := limitOf(q, 40, 80)
	sorted := slices.DeleteFunc(slices.Clone(edges), func(e edge) bool { return s.deleted[e.account] })
	slices.SortFunc(sorted, func(a, b edge) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	keys := make([]uint64, len(sorted))
	for i, e := range sorted {
		keys[i] = e.id
	}
	out := []accountJSON{}
	var page []uint64
	for _, i := range window(keys, q, limit, false) {
		out = append(out, s.accountJSON(s.accounts[sorted[i].account]))
		page = append(page, keys[i])
	}
	return reply{v: out, link: links(base, path, q, page, limit, "since_id")}
}

func (s *Server) notifications(base, path string, q url.Values, owner *Account) reply {
	limit := limitOf(q, 40, 80)
	types, excl := q["types[]"], q["exclude_types[]"]
	var list []notification
	for _, n := range s.notifs {
		if n.forID != owner.ID || (len(types) > 0 && !slices.Contains(types, n.Type)) || slices.Contains(excl, n.Type) {
			continue
		}
		if st := s.statuses[n.StatusID]; s.deleted[n.fromID] || (st != nil && st.removed) {
			continue // Mastodon removes them with the account or status
		}
		if a := q.Get("account_id"); a != "" && n.fromID != a {
			continue
		}
		list = append(list, n)
	}
	keys := make([]uint64, len(list))
	for i, n := range list {
		keys[i] = idNum(n.ID)
	}
	out := []notificationJSON{}
	var page []uint64
	for _, i := range window(keys, q, limit, true) {
		n := list[i]
		j := notificationJSON{ID: n.ID, Type: n.Type, CreatedAt: ts(n.CreatedAt), GroupKey: "ungrouped-" + n.ID, Account: s.accountJSON(s.accounts[n.fromID])}
		if st := s.statuses[n.StatusID]; st != nil {
			sj := s.statusJSON(st)
			j.Status = &sj
		}
		out = append(out, j)
		page = append(page, keys[i])
	}
	return reply{v: out, link: links(base, path, q, page, limit, "min_id")}
}

func (s *Server) context(st *status) contextJSON {
	c := contextJSON{Ancestors: []statusJSON{}, Descendants: []statusJSON{}}
	var anc []*status
	for p := s.statuses[st.InReplyToID]; p != nil; p = s.statuses[p.InReplyToID] {
		if visible(p) {
			anc = append(anc, p)
		}
	}
	slices.Reverse(anc)
	for _, a := range anc {
		c.Ancestors = append(c.Ancestors, s.statusJSON(a))
	}
	in := map[string]bool{st.ID: true}
	for _, d := range s.order { // id order: parents come before replies
		if d.InReplyToID != "" && in[d.InReplyToID] && d.ReblogOf == "" {
			in[d.ID] = true
			if visible(d) {
				c.Descendants = append(c.Descendants, s.statusJSON(d))
			}
		}
	}
	return c
}

// ---- JSON entities ----

type fieldJSON struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

type accountJSON struct {
	ID             string      `json:"id"`
	Username       string      `json:"username"`
	Acct           string      `json:"acct"`
	DisplayName    string      `json:"display_name"`
	Locked         bool        `json:"locked"`
	Bot            bool        `json:"bot"`
	Discoverable   bool        `json:"discoverable"`
	Group          bool        `json:"group"`
	CreatedAt      string      `json:"created_at"`
	Note           string      `json:"note"`
	URL            string      `json:"url"`
	URI            string      `json:"uri"`
	Avatar         string      `json:"avatar"`
	AvatarStatic   string      `json:"avatar_static"`
	Header         string      `json:"header"`
	HeaderStatic   string      `json:"header_static"`
	FollowersCount int         `json:"followers_count"`
	FollowingCount int         `json:"following_count"`
	StatusesCount  int         `json:"statuses_count"`
	LastStatusAt   *string     `json:"last_status_at"`
	Emojis         []struct{}  `json:"emojis"`
	Fields         []fieldJSON `json:"fields"`
	// Roles is present for local accounts only ([] without a highlighted
	// role), as Mastodon 4.x serves it.
	Roles *[]roleJSON `json:"roles,omitempty"`
}

type roleJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

type sourceJSON struct {
	Privacy   string      `json:"privacy"`
	Sensitive bool        `json:"sensitive"`
	Language  string      `json:"language"`
	Note      string      `json:"note"`
	Fields    []fieldJSON `json:"fields"`
}

type credentialJSON struct {
	accountJSON
	Source sourceJSON `json:"source"`
}

type mentionJSON struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

type tagJSON struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type statusJSON struct {
	ID                 string        `json:"id"`
	CreatedAt          string        `json:"created_at"`
	InReplyToID        *string       `json:"in_reply_to_id"`
	InReplyToAccountID *string       `json:"in_reply_to_account_id"`
	Sensitive          bool          `json:"sensitive"`
	SpoilerText        string        `json:"spoiler_text"`
	Visibility         string        `json:"visibility"`
	Language           *string       `json:"language"`
	URI                string        `json:"uri"`
	URL                *string       `json:"url"`
	RepliesCount       int           `json:"replies_count"`
	ReblogsCount       int           `json:"reblogs_count"`
	FavouritesCount    int           `json:"favourites_count"`
	EditedAt           *string       `json:"edited_at"`
	Content            string        `json:"content"`
	Reblog             *statusJSON   `json:"reblog"`
	Account            accountJSON   `json:"account"`
	MediaAttachments   []struct{}    `json:"media_attachments"`
	Mentions           []mentionJSON `json:"mentions"`
	Tags               []tagJSON     `json:"tags"`
	Emojis             []struct{}    `json:"emojis"`
	Card               *struct{}     `json:"card"`
	Poll               *struct{}     `json:"poll"`
}

type notificationJSON struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	CreatedAt string      `json:"created_at"`
	GroupKey  string      `json:"group_key"`
	Account   accountJSON `json:"account"`
	Status    *statusJSON `json:"status,omitempty"`
}

type contextJSON struct {
	Ancestors   []statusJSON `json:"ancestors"`
	Descendants []statusJSON `json:"descendants"`
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Server) home(a *Account) string {
	if a.Domain == "" {
		return s.domain
	}
	return a.Domain
}

func (s *Server) accountJSON(a *Account) accountJSON {
	home := s.home(a)
	j := accountJSON{
		ID: a.ID, Username: a.Username, Acct: acctOf(a, s.domain), DisplayName: a.DisplayName,
		Locked: a.Locked, Bot: a.Bot, Discoverable: true,
		CreatedAt: a.CreatedAt.UTC().Truncate(24 * time.Hour).Format("2006-01-02T15:04:05.000Z"),
		Note:      a.Note, URL: "https://" + home + "/@" + a.Username, URI: "https://" + home + "/users/" + a.Username,
		Avatar: a.Avatar, Header: "https://" + s.domain + "/headers/original/missing.png",
		FollowersCount: len(s.followers[a.ID]), FollowingCount: s.following[a.ID],
		Emojis: []struct{}{}, Fields: []fieldJSON{},
	}
	if j.Avatar == "" {
		j.Avatar = "https://" + s.domain + "/avatars/original/missing.png"
	}
	j.AvatarStatic, j.HeaderStatic = j.Avatar, j.Header
	acct := acctOf(a, s.domain)
	var last time.Time
	for _, st := range s.order {
		if st.Account == acct {
			j.StatusesCount++
			last = st.CreatedAt
		}
	}
	if !last.IsZero() {
		d := last.UTC().Format("2006-01-02")
		j.LastStatusAt = &d
	}
	for _, f := range a.Fields {
		fj := fieldJSON{Name: f.Name, Value: f.Value}
		if !f.VerifiedAt.IsZero() {
			v := f.VerifiedAt.UTC().Format("2006-01-02T15:04:05.000+00:00")
			fj.VerifiedAt = &v
		}
		j.Fields = append(j.Fields, fj)
	}
	if a.Domain == "" || strings.EqualFold(a.Domain, s.domain) {
		roles := []roleJSON{}
		if a.Role != nil {
			roles = append(roles, roleJSON{ID: a.Role.ID, Name: a.Role.Name, Color: a.Role.Color})
		}
		j.Roles = &roles
	}
	return j
}

func (s *Server) statusJSON(st *status) statusJSON {
	author := s.byAcct[st.Account]
	home := s.home(author)
	j := statusJSON{
		ID: st.ID, CreatedAt: ts(st.CreatedAt), Visibility: st.Visibility,
		URI:          "https://" + home + "/users/" + author.Username + "/statuses/" + st.ID,
		RepliesCount: st.replies, ReblogsCount: len(st.reblogs), FavouritesCount: len(st.favs),
		Content: st.Content, Account: s.accountJSON(author),
		MediaAttachments: []struct{}{}, Mentions: []mentionJSON{}, Tags: []tagJSON{}, Emojis: []struct{}{},
	}
	if st.ReblogOf != "" {
		j.URI += "/activity"
		if o := s.statuses[st.ReblogOf]; o != nil {
			oj := s.statusJSON(o)
			j.Reblog = &oj
		}
		return j
	}
	u := "https://" + home + "/@" + author.Username + "/" + st.ID
	j.URL = &u
	lang := "en"
	j.Language = &lang
	if p := s.statuses[st.InReplyToID]; p != nil {
		id, aid := p.ID, s.byAcct[p.Account].ID
		j.InReplyToID, j.InReplyToAccountID = &id, &aid
	}
	var text strings.Builder
	for _, m := range st.Mentions {
		a := s.byAcct[m]
		mj := mentionJSON{ID: a.ID, Username: a.Username, URL: "https://" + s.home(a) + "/@" + a.Username, Acct: m}
		j.Mentions = append(j.Mentions, mj)
		fmt.Fprintf(&text, `<span class="h-card" translate="no"><a href="%s" class="u-url mention">@<span>%s</span></a></span> `, mj.URL, a.Username)
	}
	text.WriteString("hello")
	for _, t := range st.Tags {
		tj := tagJSON{Name: t, URL: "https://" + s.domain + "/tags/" + t}
		j.Tags = append(j.Tags, tj)
		fmt.Fprintf(&text, ` <a href="%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`, tj.URL, t)
	}
	if j.Content == "" {
		j.Content = "<p>" + text.String() + "</p>"
	}
	return j
}

func (s *Server) instanceJSON() any {
	return map[string]any{
		"domain":       s.domain,
		"title":        "mastodontest",
		"version":      "4.5.0",
		"source_url":   "https://github.com/mastodon/mastodon",
		"description":  "A fake Mastodon server for tests.",
		"api_versions": map[string]int{"mastodon": 7},
		"usage":        map[string]any{"users": map[string]int{"active_month": len(s.accounts)}},
		"configuration": map[string]any{
			"urls":     map[string]any{"streaming": "wss://" + s.domain},
			"accounts": map[string]int{"max_featured_tags": 10, "max_pinned_statuses": 5},
			"statuses": map[string]int{"max_characters": 500, "max_media_attachments": 4},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": false},
		"contact":       map[string]any{"email": "admin@" + s.domain},
		"rules":         []any{},
	}
}
