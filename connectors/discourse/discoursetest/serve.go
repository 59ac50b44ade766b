package discoursetest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Page sizes of the real server.
const (
	// TopicsPerPage is the default per_page of topic lists.
	TopicsPerPage = 30
	// PostsPerPage is the size of a /posts.json page.
	PostsPerPage = 50
	// PostChunk is how many posts /t/{id}.json embeds.
	PostChunk = 20
	// ActionsPerPage is the size of a /user_actions.json page.
	ActionsPerPage = 30
)

type obj = map[string]any

func errJSON(msg, typ string, extras obj) []byte {
	o := obj{"errors": []string{msg}, "error_type": typ}
	if extras != nil {
		o["extras"] = extras
	}
	b, _ := json.Marshal(o)
	return b
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// viewer is who a request reads as.
type viewer struct {
	anon     bool
	staff    bool
	username string
	// userKey: the request carried a user API key, which the admin key
	// limiter does not count.
	userKey bool
}

func (v viewer) sees(c *Category) bool { return c == nil || !c.ReadRestricted || v.staff }

func (v viewer) is(username string) bool { return !v.anon && key(v.username) == key(username) }

type reply struct {
	status int
	body   []byte
	header http.Header
	text   bool
}

func (s *Server) notFound() reply {
	return reply{status: 404, body: errJSON(s.locale.NotFound, "not_found", nil)}
}

func ok(v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return reply{status: 500, body: errJSON(err.Error(), "server_error", nil)}
	}
	return reply{status: 200, body: b}
}

func waitSecs(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

func (s *Server) rateLimited(wait int, retryAfter bool) reply {
	h := http.Header{}
	if retryAfter {
		h.Set("Retry-After", strconv.Itoa(wait))
	}
	h.Set("Discourse-Rate-Limit-Error-Code", "admin_api_key_rate_limit")
	l := s.locale
	return reply{status: 429, header: h, body: errJSON(l.tooMany(wait), "rate_limit", obj{"wait_seconds": wait, "time_left": l.timeLeft(wait)})}
}

func ipLimited(wait int) reply {
	h := http.Header{}
	h.Set("Retry-After", strconv.Itoa(wait))
	h.Set("Discourse-Rate-Limit-Error-Code", "ip_10_secs_limit")
	body := fmt.Sprintf("Slow down, too many requests from this IP address.\nPlease retry again in %d seconds.\nError code: ip_10_secs_limit.\n", wait)
	return reply{status: 429, header: h, body: []byte(body), text: true}
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

	if s.serveUserAPIKey(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entry := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Counted: true}
	rep := s.answer(r, &entry)
	h := w.Header()
	for k, vs := range rep.header {
		h[k] = vs
	}
	body, n := s.faults.Spoil(rep.status, rep.body, []byte(`{"latest_posts":[{"id":`))
	switch {
	case rep.text:
		h.Set("Content-Type", "text/plain; charset=utf-8")
	case rep.status >= 500:
		h.Set("Content-Type", "text/html")
	default:
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(n))
	entry.Status = rep.status
	s.log.Add(entry, rep.status, entry.Counted)
	w.WriteHeader(rep.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// answer authenticates, applies limits and faults, and routes.
func (s *Server) answer(r *http.Request, entry *Request) reply {
	q := r.URL.Query()
	if q.Has("api_key") || q.Has("api_username") {
		return reply{status: 403, body: []byte(`["BAD CSRF"]`)}
	}
	v := viewer{anon: true}
	if k := r.Header.Get("User-Api-Key"); k != "" {
		// A user API key (userapikey.go) reads as its user.
		entry.Authenticated = true
		uv, found := s.userKeyViewer(k)
		if !found {
			return reply{status: 403, body: errJSON(s.locale.InvalidAPICredentials, "invalid_access", nil)}
		}
		v = uv
		entry.APIUsername = v.username
	} else if k := r.Header.Get("Api-Key"); k != "" {
		entry.Authenticated = true
		user := r.Header.Get("Api-Username")
		entry.APIUsername = user
		if len(s.keys) == 0 {
			v = viewer{staff: true, username: user}
		} else {
			ak, found := s.keys[k]
			if !found || (user != "" && key(user) != key(ak.username)) {
				return reply{status: 403, body: errJSON(s.locale.InvalidAPICredentials, "invalid_access", nil)}
			}
			if user == "" {
				user = ak.username
			}
			v = viewer{staff: ak.staff, username: user}
		}
		if v.username == "" {
			v.username = "system"
		}
	}
	now := s.now()
	if now.Before(s.limitUntil) {
		wait := waitSecs(s.limitUntil.Sub(now))
		if s.limitIP {
			return ipLimited(wait)
		}
		return s.rateLimited(wait, true)
	}
	if s.ipLimitN > 0 {
		s.ipLimitN--
		return ipLimited(s.ipWait)
	}
	if s.noRetryN > 0 {
		s.noRetryN--
		s.chaos.Announce("", now.Add(time.Duration(s.noRetryWait)*time.Second), fmt.Sprintf("429 with extras.wait_seconds: %d", s.noRetryWait))
		return s.rateLimited(s.noRetryWait, false)
	}
	if !v.anon && !v.userKey && s.adminLimit > 0 {
		if s.adminReset.IsZero() || !now.Before(s.adminReset) {
			s.adminUsed, s.adminReset = 0, now.Add(time.Minute)
		}
		if s.adminUsed >= s.adminLimit {
			return s.rateLimited(waitSecs(s.adminReset.Sub(now)), true)
		}
		s.adminUsed++
	}
	if status, fail := s.faults.Fail(); fail {
		if status >= 500 {
			return reply{status: status, body: []byte("<html><body><h1>" + strconv.Itoa(status) + " " + http.StatusText(status) + "</h1></body></html>")}
		}
		return reply{status: status, body: errJSON(http.StatusText(status), "invalid_access", nil)}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return s.notFound()
	}
	return s.route(r.URL, v)
}

func (s *Server) route(u *url.URL, v viewer) reply {
	path := u.Path
	q := u.Query()
	parts := strings.Split(strings.Trim(path, "/"), "/")
	last := strings.TrimSuffix(parts[len(parts)-1], ".json")
	switch {
	case path == "/latest.json" || path == "/latest":
		return s.topicList(q, v, 0, "/latest.json")
	case parts[0] == "c" && len(parts) >= 2:
		// /c/{slug}/{id}.json, /c/{id}.json, /c/{slug}/{id}/l/latest.json
		p := parts[1:]
		if len(p) >= 3 && p[len(p)-2] == "l" {
			p = p[:len(p)-2]
		}
		id, err := strconv.ParseInt(strings.TrimSuffix(p[len(p)-1], ".json"), 10, 64)
		c, found := s.categories[id]
		if err != nil || !found || !v.sees(c) {
			return s.notFound()
		}
		return s.topicList(q, v, id, "/c/"+c.Slug+"/"+strconv.FormatInt(id, 10)+".json")
	case parts[0] == "t" && len(parts) >= 2:
		id, err := strconv.ParseInt(last, 10, 64)
		if err != nil {
			return s.notFound()
		}
		return s.topicView(id, v)
	case path == "/posts.json":
		return s.latestPosts(q, v)
	case parts[0] == "posts" && len(parts) == 2:
		id, err := strconv.ParseInt(last, 10, 64)
		p, found := s.posts[id]
		if err != nil || !found || !s.visiblePost(p, v) {
			return s.notFound()
		}
		return ok(s.postJSON(p, v))
	case path == "/post_action_users.json":
		return s.postActionUsers(q, v)
	case path == "/user_actions.json":
		return s.userActions(q, v)
	case parts[0] == "u" && len(parts) == 2:
		u, found := s.users[key(last)]
		if !found || s.goneUsers[key(last)] {
			return s.notFound()
		}
		return ok(obj{"user_badges": []any{}, "user": s.userJSON(u, v)})
	case parts[0] == "u" && len(parts) == 3 && parts[2] == "emails.json":
		u, found := s.users[key(parts[1])]
		if !found || s.goneUsers[key(parts[1])] {
			return s.notFound()
		}
		if v.anon {
			return reply{status: 403, body: errJSON(s.locale.NotLoggedIn, "not_logged_in", nil)}
		}
		if !v.staff && !v.is(u.Username) {
			return reply{status: 403, body: errJSON(s.locale.InvalidAccess, "invalid_access", nil)}
		}
		return ok(obj{
			"email":               u.Email,
			"secondary_emails":    nonNil(u.SecondaryEmails),
			"unconfirmed_emails":  []string{},
			"associated_accounts": associated(u),
		})
	case path == "/session/current.json":
		if v.anon {
			return s.notFound()
		}
		cu := obj{"id": -1, "username": v.username, "name": "system", "avatar_template": avatar(v.username), "admin": v.staff, "moderator": false, "staff": v.staff, "trust_level": 4}
		if u, found := s.users[key(v.username)]; found {
			cu["id"], cu["name"], cu["trust_level"] = u.ID, u.Name, u.TrustLevel
		}
		return ok(obj{"current_user": cu})
	case path == "/categories.json":
		var cats []any
		for _, c := range s.sortedCategories() {
			if !v.sees(c) {
				continue
			}
			topics, posts := 0, 0
			for _, t := range s.topics {
				if t.CategoryID == c.ID {
					topics++
					posts += len(s.topicPosts[t.ID])
				}
			}
			co := obj{"id": c.ID, "name": c.Name, "color": "0088CC", "text_color": "FFFFFF", "slug": c.Slug,
				"topic_count": topics, "post_count": posts, "position": c.ID, "description": c.Description,
				"description_text": c.Description, "topic_url": "/t/about-the-" + c.Slug + "-category", "read_restricted": c.ReadRestricted,
				"permission": nil, "notification_level": 1, "has_children": false}
			if c.ParentID != 0 {
				co["parent_category_id"] = c.ParentID
			}
			cats = append(cats, co)
		}
		return ok(obj{"category_list": obj{"can_create_category": v.staff, "can_create_topic": !v.anon, "categories": nonNilAny(cats)}})
	case path == "/about.json":
		return ok(obj{"about": obj{"title": s.title, "description": "A fake forum for tests.", "version": "3.3.0",
			"stats":  obj{"topic_count": len(s.topics), "post_count": len(s.posts), "user_count": len(s.users)},
			"admins": []any{}, "moderators": []any{}}})
	}
	return s.notFound()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilAny(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

func avatar(username string) string {
	return "/letter_avatar_proxy/v4/letter/" + strings.ToLower(username[:min(1, len(username))]) + "/8e7dd6/{size}.png"
}

func associated(u *User) []any {
	out := []any{}
	for _, a := range u.Associated {
		out = append(out, obj{"name": a.Name, "description": a.Description})
	}
	return out
}

func (s *Server) sortedCategories() []*Category {
	var out []*Category
	for _, c := range s.categories {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Server) visibleTopic(t *Topic, v viewer) bool { return v.sees(s.categories[t.CategoryID]) }

func (s *Server) visiblePost(p *Post, v viewer) bool {
	t, found := s.topics[p.TopicID]
	return found && s.visibleTopic(t, v)
}

func (s *Server) userByName(username string) *User {
	if u, found := s.users[key(username)]; found {
		return u
	}
	return &User{Username: username}
}

// basicUserOrNil is BasicUserSerializer of username, nil when the account
// no longer exists.
func (s *Server) basicUserOrNil(username string) any {
	u, ok := s.users[key(username)]
	if !ok {
		return nil
	}
	return basicUser(u)
}

func idOrNil(u *User) any {
	if u.ID == 0 {
		return nil
	}
	return u.ID
}

func basicUser(u *User) obj {
	return obj{"id": u.ID, "username": u.Username, "name": u.Name, "avatar_template": avatar(u.Username)}
}

// topicList serves /latest.json and category lists.
func (s *Server) topicList(q url.Values, v viewer, category int64, base string) reply {
	page, _ := strconv.Atoi(q.Get("page"))
	perPage := TopicsPerPage
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n >= 1 {
		perPage = min(n, 100)
	}
	order := q.Get("order")
	asc := q.Get("ascending") == "true"
	solved := q.Get("solved")
	var list []*Topic
	for _, t := range s.topics {
		if !s.visibleTopic(t, v) {
			continue
		}
		if category != 0 && t.CategoryID != category && s.categories[t.CategoryID].ParentID != category {
			continue
		}
		if solved == "yes" && t.AcceptedPostID == 0 || solved == "no" && t.AcceptedPostID != 0 {
			continue
		}
		list = append(list, t)
	}
	byTime := func(a, b *Topic) bool {
		ta, tb := a.BumpedAt, b.BumpedAt
		if order == "created" {
			ta, tb = a.CreatedAt, b.CreatedAt
		}
		if !ta.Equal(tb) {
			return ta.After(tb) != asc
		}
		return (a.ID > b.ID) != asc
	}
	sort.Slice(list, func(i, j int) bool {
		if order == "" || order == "default" {
			if list[i].Pinned != list[j].Pinned {
				return list[i].Pinned
			}
		}
		return byTime(list[i], list[j])
	})
	start := min(page*perPage, len(list))
	end := min(start+perPage, len(list))
	users := map[int64]*User{}
	var userOrder []int64
	topics := []any{}
	for _, t := range list[start:end] {
		tj, posters := s.topicListItem(t)
		topics = append(topics, tj)
		for _, u := range posters {
			if _, seen := users[u.ID]; !seen {
				users[u.ID] = u
				userOrder = append(userOrder, u.ID)
			}
		}
	}
	ul := []any{}
	for _, id := range userOrder {
		ul = append(ul, basicUser(users[id]))
	}
	tl := obj{"can_create_topic": !v.anon, "draft": nil, "draft_key": "new_topic", "draft_sequence": nil, "per_page": perPage, "topics": topics}
	if end < len(list) {
		mq := url.Values{}
		for k, vs := range q {
			mq[k] = vs
		}
		mq.Set("page", strconv.Itoa(page+1))
		tl["more_topics_url"] = base + "?" + mq.Encode()
	}
	return ok(obj{"users": ul, "primary_groups": []any{}, "topic_list": tl})
}

// topicListItem is a topic as topic lists show it, with its posters.
func (s *Server) topicListItem(t *Topic) (obj, []*User) {
	posts := s.topicPosts[t.ID]
	lastPost := posts[len(posts)-1]
	lp := s.userByName(lastPost.User)
	likes := 0
	for _, p := range posts {
		likes += len(s.likes[p.ID])
	}
	posters, users := s.postersSummary(t, posts)
	return obj{
		"id": t.ID, "title": t.Title, "fancy_title": t.Title, "slug": slugify(t.Title),
		"posts_count": len(posts), "reply_count": len(posts) - 1, "highest_post_number": len(posts),
		"image_url": nil, "created_at": ts(t.CreatedAt), "last_posted_at": ts(lastPost.CreatedAt),
		"bumped": true, "bumped_at": ts(t.BumpedAt), "archetype": "regular", "unseen": false,
		"pinned": t.Pinned, "unpinned": nil, "visible": true, "closed": t.Closed, "archived": false,
		"bookmarked": nil, "liked": nil, "views": len(posts) * 3, "like_count": likes, "has_summary": false,
		"last_poster_username": lastPosterName(lp), "category_id": t.CategoryID, "pinned_globally": false,
		"featured_link": nil, "has_accepted_answer": t.AcceptedPostID != 0, "can_have_answer": true,
		"posters": posters,
	}, users
}

// postersSummary builds a listed topic's posters as Discourse's
// TopicPostersSummary does: the user ids are the creator, the last poster,
// then the topic's featured users (its most frequent other posters, up to
// four); users that no longer exist are dropped, at most five are kept, and
// the last poster moves to the back unless they created the topic. The
// descriptions are given by position in that id list (original poster,
// most recent poster, frequent poster) in the site's locale, joined with its
// poster_description_joiner; extras is "latest" for the last poster, plus
// " single" when one user wrote every post. The creator is first whenever
// their account exists; posters is empty when no poster's account does.
func (s *Server) postersSummary(t *Topic, posts []*Post) ([]any, []*User) {
	creator := key(t.User)
	last := key(posts[len(posts)-1].User)
	counts := map[string]int{}
	var order []string
	for _, p := range posts {
		k := key(p.User)
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	var featured []string
	for _, k := range order {
		if k != creator && k != last {
			featured = append(featured, k)
		}
	}
	sort.SliceStable(featured, func(i, j int) bool { return counts[featured[i]] > counts[featured[j]] })
	if len(featured) > 4 {
		featured = featured[:4]
	}
	ids := append([]string{creator, last}, featured...)
	desc := map[string][]string{}
	for i, k := range ids {
		d := s.locale.FrequentPoster
		switch i {
		case 0:
			d = s.locale.OriginalPoster
		case 1:
			d = s.locale.MostRecentPoster
		}
		desc[k] = append(desc[k], d)
	}
	var top []*User
	seen := map[string]bool{}
	for _, k := range ids {
		u, ok := s.users[k]
		if !ok || seen[k] || len(top) == 5 {
			continue
		}
		seen[k] = true
		top = append(top, u)
	}
	if creator != last {
		if u, ok := s.users[last]; ok {
			top = slices.DeleteFunc(top, func(x *User) bool { return x == u })
			top = append(top, u)
		}
	}
	single := len(counts) == 1
	out := []any{}
	for _, u := range top {
		var extras any
		if key(u.Username) == last {
			e := "latest"
			if single {
				e += " single"
			}
			extras = e
		}
		out = append(out, obj{"extras": extras, "description": strings.Join(desc[key(u.Username)], s.locale.Joiner), "user_id": u.ID, "primary_group_id": nil})
	}
	return out, top
}

// lastPosterName is last_poster_username: nil when the account is gone.
func lastPosterName(u *User) any {
	if u.ID == 0 {
		return nil
	}
	return u.Username
}

// postJSON is a post as PostSerializer renders it, with the solved
// plugin's fields.
func (s *Server) postJSON(p *Post, v viewer) obj {
	t := s.topics[p.TopicID]
	u := s.userByName(p.User)
	actions := []any{}
	if n := len(s.likes[p.ID]); n > 0 || !v.anon {
		a := obj{"id": 2, "count": n}
		if !v.anon {
			a["can_act"] = true
		}
		if n == 0 {
			delete(a, "count")
		}
		actions = append(actions, a)
	}
	var reply any
	if p.ReplyToPostNumber > 0 {
		reply = p.ReplyToPostNumber
	}
	o := obj{
		"id": p.ID, "name": u.Name, "username": u.Username, "avatar_template": avatar(u.Username),
		"created_at": ts(p.CreatedAt), "cooked": "<p>" + p.Raw + "</p>", "raw": p.Raw,
		"post_number": p.PostNumber, "post_type": 1, "updated_at": ts(p.CreatedAt),
		"reply_count": 0, "reply_to_post_number": reply, "quote_count": 0, "incoming_link_count": 0,
		"reads": 1, "readers_count": 0, "score": 0, "yours": v.is(u.Username),
		"topic_id": p.TopicID, "topic_slug": slugify(t.Title), "topic_title": t.Title,
		"topic_html_title": t.Title, "category_id": t.CategoryID, "display_username": u.Name,
		"primary_group_name": nil, "version": 1, "can_edit": v.staff, "can_delete": v.staff,
		"can_recover": v.staff, "can_wiki": v.staff, "user_title": nil, "actions_summary": actions,
		"moderator": u.Moderator, "admin": u.Admin, "staff": u.Admin || u.Moderator, "user_id": u.ID,
		"hidden": false, "trust_level": u.TrustLevel, "deleted_at": nil, "user_deleted": false,
		"edit_reason": nil, "can_view_edit_history": true, "wiki": false,
		"accepted_answer": t.AcceptedPostID == p.ID, "topic_accepted_answer": t.AcceptedPostID != 0,
		"can_accept_answer": v.staff && p.PostNumber > 1, "can_unaccept_answer": v.staff && t.AcceptedPostID == p.ID,
	}
	if u.ID == 0 {
		// The author's account is gone: PostSerializer has no user to name.
		for _, k := range []string{"name", "username", "display_username", "user_id", "avatar_template"} {
			o[k] = nil
		}
		o["user_deleted"] = true
	}
	return o
}

// latestPosts serves /posts.json?before=: 50 posts, newest id first,
// id <= before (inclusive, as the server code applies it).
func (s *Server) latestPosts(q url.Values, v viewer) reply {
	before := int64(math.MaxInt64)
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return reply{status: 400, body: errJSON("before is invalid", "invalid_parameters", nil)}
		}
		before = n
	}
	var ids []int64
	for id, p := range s.posts {
		if id <= before && s.visiblePost(p, v) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	out := []any{}
	for _, id := range ids[:min(PostsPerPage, len(ids))] {
		out = append(out, s.postJSON(s.posts[id], v))
	}
	return ok(obj{"latest_posts": out})
}

// topicView serves /t/{id}.json.
func (s *Server) topicView(id int64, v viewer) reply {
	t, found := s.topics[id]
	if !found || !s.visibleTopic(t, v) {
		return s.notFound()
	}
	posts := s.topicPosts[id]
	stream := []int64{}
	chunk := []any{}
	participants := []any{}
	counts := map[string]int{}
	var order []string
	for i, p := range posts {
		stream = append(stream, p.ID)
		if i < PostChunk {
			chunk = append(chunk, s.postJSON(p, v))
		}
		if counts[key(p.User)] == 0 {
			order = append(order, p.User)
		}
		counts[key(p.User)]++
	}
	for _, name := range order {
		if _, ok := s.users[key(name)]; !ok {
			continue
		}
		u := basicUser(s.userByName(name))
		u["post_count"] = counts[key(name)]
		participants = append(participants, u)
	}
	lastPost := posts[len(posts)-1]
	item, _ := s.topicListItem(t)
	out := obj{
		"post_stream":     obj{"posts": chunk, "stream": stream},
		"timeline_lookup": []any{}, "id": t.ID, "title": t.Title, "fancy_title": t.Title,
		"posts_count": len(posts), "created_at": ts(t.CreatedAt), "views": item["views"],
		"reply_count": len(posts) - 1, "like_count": item["like_count"], "last_posted_at": ts(lastPost.CreatedAt),
		"visible": true, "closed": t.Closed, "archived": false, "has_summary": false, "archetype": "regular",
		"slug": slugify(t.Title), "category_id": t.CategoryID, "word_count": 10, "deleted_at": nil,
		"user_id": idOrNil(s.userByName(t.User)), "pinned": t.Pinned, "pinned_globally": false,
		"highest_post_number": len(posts), "deleted_by": nil, "chunk_size": PostChunk,
		"has_accepted_answer": t.AcceptedPostID != 0,
		"details": obj{
			"created_by":         s.basicUserOrNil(t.User),
			"last_poster":        s.basicUserOrNil(lastPost.User),
			"participants":       participants,
			"notification_level": 1,
		},
	}
	if t.AcceptedPostID != 0 {
		p := s.posts[t.AcceptedPostID]
		au := s.userByName(p.User)
		acc := s.userByName(t.AcceptedBy)
		out["accepted_answer"] = obj{"post_number": p.PostNumber, "username": au.Username, "name": au.Name,
			"excerpt": p.Raw, "accepter_username": acc.Username, "accepter_name": acc.Name}
	}
	return ok(out)
}

// postActionUsers serves /post_action_users.json?id=&post_action_type_id=2.
func (s *Server) postActionUsers(q url.Values, v viewer) reply {
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil {
		return reply{status: 400, body: errJSON("param is missing or the value is empty: id", "invalid_parameters", nil)}
	}
	p, found := s.posts[id]
	if !found || !s.visiblePost(p, v) {
		return s.notFound()
	}
	typ, _ := strconv.Atoi(q.Get("post_action_type_id"))
	limit := 200
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 200)
	}
	page, _ := strconv.Atoi(q.Get("page"))
	var likes []*Like
	if typ == 2 {
		likes = s.likes[id]
	}
	out := []any{}
	start := min(page*limit, len(likes))
	for _, l := range likes[start:min(start+limit, len(likes))] {
		u := basicUser(s.userByName(l.User))
		u["post_url"] = nil
		u["username_lower"] = strings.ToLower(l.User)
		out = append(out, u)
	}
	return ok(obj{"post_action_users": out, "total_rows_post_action_users": len(likes)})
}

// userActions serves /user_actions.json?username=&filter=1 (likes given)
// and filter=2 (likes received), newest first, 30 a page from offset.
func (s *Server) userActions(q url.Values, v viewer) reply {
	u, found := s.users[key(q.Get("username"))]
	if !found {
		return s.notFound()
	}
	filter, _ := strconv.Atoi(q.Get("filter"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	type act struct {
		l *Like
		p *Post
	}
	var acts []act
	for pid, ls := range s.likes {
		p := s.posts[pid]
		if !s.visiblePost(p, v) {
			continue
		}
		for _, l := range ls {
			if filter == 1 && key(l.User) == key(u.Username) || filter == 2 && key(p.User) == key(u.Username) {
				acts = append(acts, act{l, p})
			}
		}
	}
	sort.Slice(acts, func(i, j int) bool {
		if !acts[i].l.CreatedAt.Equal(acts[j].l.CreatedAt) {
			return acts[i].l.CreatedAt.After(acts[j].l.CreatedAt)
		}
		return acts[i].p.ID > acts[j].p.ID
	})
	out := []any{}
	start := min(max(0, offset), len(acts))
	for _, a := range acts[start:min(start+ActionsPerPage, len(acts))] {
		t := s.topics[a.p.TopicID]
		liker := s.userByName(a.l.User)
		author := s.userByName(a.p.User)
		out = append(out, obj{
			"excerpt": a.p.Raw, "action_type": max(1, filter), "created_at": ts(a.l.CreatedAt),
			"avatar_template": avatar(author.Username), "acting_avatar_template": avatar(liker.Username),
			"slug": slugify(t.Title), "topic_id": t.ID, "target_user_id": author.ID, "target_name": author.Name,
			"target_username": author.Username, "post_number": a.p.PostNumber, "post_id": a.p.ID,
			"username": author.Username, "name": author.Name, "user_id": author.ID,
			"acting_username": liker.Username, "acting_name": liker.Name, "acting_user_id": liker.ID,
			"title": t.Title, "deleted": false, "hidden": nil, "post_type": nil, "action_code": nil,
			"category_id": t.CategoryID, "closed": t.Closed, "archived": false,
		})
	}
	return ok(obj{"user_actions": out})
}

// userJSON is /u/{username}.json's user: website, location and bio are
// hidden from anonymous readers for trust level 0; e-mail and associated
// accounts are shown to the user themself only.
func (s *Server) userJSON(u *User, v viewer) obj {
	var lastPosted time.Time
	for _, p := range s.posts {
		if key(p.User) == key(u.Username) && p.CreatedAt.After(lastPosted) {
			lastPosted = p.CreatedAt
		}
	}
	fields := obj{}
	for k, val := range u.UserFields {
		fields[k] = val
	}
	o := obj{
		"id": u.ID, "username": u.Username, "name": u.Name, "avatar_template": avatar(u.Username),
		"created_at": ts(u.CreatedAt), "last_posted_at": ts(lastPosted), "last_seen_at": ts(lastPosted),
		"trust_level": u.TrustLevel, "title": nil, "badge_count": 0, "profile_view_count": 0,
		"admin": u.Admin, "moderator": u.Moderator, "user_fields": fields, "custom_fields": obj{},
		"groups": []any{}, "featured_user_badge_ids": []any{}, "invited_by": nil, "pending_count": 0,
		"can_edit": v.staff || v.is(u.Username), "can_send_private_messages": !v.anon,
	}
	if u.TrustLevel > 0 || !v.anon {
		o["website"] = u.Website
		o["website_name"] = u.WebsiteName
		o["location"] = u.Location
		o["bio_raw"] = u.Bio
		o["bio_cooked"] = "<p>" + u.Bio + "</p>"
		o["bio_excerpt"] = u.Bio
	}
	if v.is(u.Username) {
		o["email"] = u.Email
		o["secondary_emails"] = nonNil(u.SecondaryEmails)
		o["associated_accounts"] = associated(u)
	}
	return o
}
