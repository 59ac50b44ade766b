package discourse

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
)

//go:embed sample.yaml
var sample string

// Kind registers the Discourse connector (see connectors/all).
var Kind = connectors.Kind{Name: "discourse", New: New, Sample: sample}

// Settings are the source settings of a discourse source.
type Settings struct {
	// URL is the forum, e.g. https://meta.discourse.org.
	URL string `yaml:"url"`
	// APIKey is a read-only API key, sent only as the Api-Key header. Empty
	// reads the public forum anonymously.
	APIKey config.Secret `yaml:"api_key"`
	// APIUsername is sent as Api-Username with the key ("system" if empty).
	APIUsername string `yaml:"api_username"`
	// UserAPIKey is a user API key (from `rollcall auth discourse`, which
	// needs no admin), sent only as the User-Api-Key header; it reads what
	// its user may read. Set it or api_key, not both.
	UserAPIKey config.Secret `yaml:"user_api_key"`
	// UserAPIClientID is the client id the user API key was made for,
	// sent as User-Api-Client-Id (optional).
	UserAPIClientID string `yaml:"user_api_client_id"`
	// Categories limits the connector to these categories (and their
	// subcategories): "slug/id", an id, or a slug. Empty reads the whole
	// forum.
	Categories []string `yaml:"categories"`
	// Instance names this forum in account and activity keys. Empty means
	// the host of url. Set it when the URL changes but the forum does not.
	Instance string `yaml:"instance"`
}

const (
	// profileTTL is how old a profile may get before it is read again.
	profileTTL = 24 * time.Hour
	// defaultStepsPerBatch bounds the listing pages one Fetch reads.
	defaultStepsPerBatch = 4
	// defaultProfilesPerBatch bounds profile reads per batch.
	defaultProfilesPerBatch = 20
	// keepLikes bounds the per-post like counts kept in the cursor to
	// re-check recent posts (the like window).
	keepLikes = 100
)

// Connector reads topics, replies, likes, accepted solutions and profiles of
// one Discourse forum. Create it with New.
type Connector struct {
	source   string
	settings Settings
	tr       translator
	client   *connectors.Client
	log      *slog.Logger
	now      func() time.Time
	profiles connectors.ProfileAges
	// objects is the store's per-object memory of this source (nil: kept
	// in the cursor; see connectors.ObjectBuffer): the profile queue and
	// marks.
	objects connectors.ObjectState
	hasKey  bool
	// missingTTL is how long a lookup that answered 404 or 410 is not
	// asked again (the source's missing_ttl).
	missingTTL time.Duration

	stepsPerBatch    int
	profilesPerBatch int

	mu    sync.Mutex
	staff *bool // whether the key is staff, asked once
	// accepters are the accepters of solutions (by lower-case username)
	// whose profile was read, and when.
	accepters  map[string]accepterProfile
	categories []categoryFilter // resolved configured categories
	resolved   bool
}

// accepterProfile is an accepter's user id and when its profile was read.
type accepterProfile struct {
	id int64
	at time.Time
}

// categoryFilter is one configured category: its listing path and the ids
// (with subcategories) whose posts count.
type categoryFilter struct {
	slug string
	id   int64
	ids  map[int64]bool
}

// New returns a Discourse connector for opts.Source. It validates the
// settings and does no I/O.
func New(opts connectors.Options) (connectors.Connector, error) {
	return newConnector(opts)
}

func newConnector(opts connectors.Options) (*Connector, error) {
	src := opts.Source
	var s Settings
	if err := config.DecodeSettings(src, &s); err != nil {
		return nil, err
	}
	cfgErr := func(name string, err error) error {
		return &config.Error{File: src.File, Line: src.Line, Field: fmt.Sprintf("sources[%d].%s", src.Index, name), Err: err}
	}
	if strings.TrimSpace(s.URL) == "" {
		return nil, cfgErr("url", config.ErrMissing)
	}
	u, err := url.Parse(strings.TrimSpace(s.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cfgErr("url", fmt.Errorf("%q is not an http(s) URL of a forum", s.URL))
	}
	if u.RawQuery != "" || u.User != nil {
		return nil, cfgErr("url", errors.New("must not carry a query or credentials (put the key in api_key)"))
	}
	instance := strings.ToLower(u.Host)
	if s.Instance != "" {
		if strings.ContainsAny(s.Instance, "/ ") {
			return nil, cfgErr("instance", fmt.Errorf("%q must be a host name, without slashes or spaces", s.Instance))
		}
		instance = strings.ToLower(s.Instance)
	}
	var cats []categoryFilter
	for _, c := range s.Categories {
		c = strings.Trim(strings.TrimSpace(c), "/")
		cf := categoryFilter{}
		slug, idText, hasID := strings.Cut(c, "/")
		if !hasID {
			idText = slug
		}
		if id, err := strconv.ParseInt(idText, 10, 64); err == nil && id > 0 {
			cf.id = id
			if hasID {
				cf.slug = slug
			}
		} else if hasID || c == "" || strings.Contains(c, " ") {
			return nil, cfgErr("categories", fmt.Errorf("%q is not slug/id, an id or a slug", c))
		} else {
			cf.slug = c
		}
		cats = append(cats, cf)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	co := connectors.ClientOptions{
		Source:  src.Name,
		Base:    waitTransport{base: opts.HTTP},
		Logger:  log,
		Now:     now,
		Sleep:   opts.Sleep,
		Version: opts.Version,
		Timeout: opts.HTTPTimeout,
		Waits:   opts.Waits,
	}
	if !s.APIKey.IsZero() && !s.UserAPIKey.IsZero() {
		return nil, cfgErr("user_api_key", errors.New("set api_key or user_api_key, not both"))
	}
	if !s.UserAPIKey.IsZero() {
		// Re-read from its credential file when the file changes, like
		// every token.
		key, client := connectors.NewTokenSource(s.UserAPIKey, log), s.UserAPIClientID
		co.Auth = func(r *http.Request) {
			if tok, err := key.Token(); err == nil {
				r.Header.Set("User-Api-Key", tok.AccessToken)
			}
			if client != "" {
				r.Header.Set("User-Api-Client-Id", client)
			}
		}
	}
	if !s.APIKey.IsZero() {
		// Not a bearer token, but read the same way: a key from a
		// credential file is re-read when the file changes.
		key, user := connectors.NewTokenSource(s.APIKey, log), s.APIUsername
		if user == "" {
			user = "system"
		}
		co.Auth = func(r *http.Request) {
			if tok, err := key.Token(); err == nil {
				r.Header.Set("Api-Key", tok.AccessToken)
			}
			r.Header.Set("Api-Username", user)
		}
	}
	base := strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	return &Connector{
		source:           src.Name,
		settings:         s,
		tr:               translator{instance: instance, base: base},
		client:           connectors.NewClient(co),
		log:              log,
		now:              now,
		profiles:         opts.Profiles,
		objects:          opts.Objects,
		hasKey:           !s.APIKey.IsZero() || !s.UserAPIKey.IsZero(),
		missingTTL:       src.MissingTTL,
		stepsPerBatch:    defaultStepsPerBatch,
		profilesPerBatch: defaultProfilesPerBatch,
		categories:       cats,
	}, nil
}

// Client returns the connector's HTTP client, for rate-limit metrics.
func (c *Connector) Client() *connectors.Client { return c.client }

// state is Cursor.State, JSON. A pass walks each stream (the topic
// listings, one per configured category or /latest.json, then /posts.json)
// from its newest item back to the stream's mark, one page per step, and
// commits the walk position with every batch; see the package documentation.
//
//	{
//	  "v": 1,
//	  "stream": 1,                                  // stream being walked this pass
//	  "walks": {"latest": {"mark": 120, "top": 131, "page": 2, "active": true, "per_page": 100},
//	            "posts": {"mark": 900, "top": 0, "before": 0}},
//	  "likes": {"901": 2},                          // committed like counts of recent posts (at most keepLikes)
//	  "pass": 4,                                    // passes completed
//	  "pending": [{"id": 130, "title": "…", "created_at": "…"}] // topics awaiting an author
//	}
//
// What grows with the forum is in the per-object memory: queued profile
// reads and the profiles read this pass (by account, see profileObject),
// the id of every listed post by topic and number (postPrefix), the
// topics whose solution is committed (solvedObject). A cursor written
// before it holds them here, as "profiles", "profiled", "numbers" and
// "solved"; Fetch moves them there on first use.
type state struct {
	V      int              `json:"v"`
	Pass   int              `json:"pass,omitempty"`
	Stream int              `json:"stream,omitempty"`
	Walks  map[string]*walk `json:"walks,omitempty"`
	Likes  map[int64]int    `json:"likes,omitempty"`
	// Solved, Profiles and Profiled are only in cursors written before
	// the per-object memory.
	Solved   []int64      `json:"solved,omitempty"`
	Profiles []profileReq `json:"profiles,omitempty"`
	Profiled []int64      `json:"profiled,omitempty"`
	// Objects is the per-object memory when the connector has no store.
	Objects map[string]json.RawMessage `json:"objects,omitempty"`
	// Pending are listed topics whose list entry named no author, waiting
	// for their first post in /posts.json or, at the end of the posts
	// walk, for /t/{id}.json.
	Pending []pendingTopic `json:"pending,omitempty"`
	// Numbers is only in cursors written before the per-object memory
	// (which now maps each listed post's number to its id): it mapped
	// "topic#post_number" to the post id of recently listed posts, so
	// that a reply's
	// reply_to_post_number names the post it answers.
	Numbers map[string]int64 `json:"numbers,omitempty"`
}

// walk is one stream's position. Mark is the newest id committed by a
// completed walk; a walk in progress (Active) has read down from Top and
// resumes at Page (topic listings) or Before (posts).
type walk struct {
	Mark   int64 `json:"mark,omitempty"`
	Top    int64 `json:"top,omitempty"`
	Page   int   `json:"page,omitempty"`
	Before int64 `json:"before,omitempty"`
	Active bool  `json:"active,omitempty"`
	// PerPage is the per_page a topic listing's walk asks for, set when it
	// starts: a walk begun by an older version (0: the server's default of
	// 30) ends at that size, so that its Page still means the same topics.
	PerPage int `json:"per_page,omitempty"`
}

// topicsPerPage is the per_page of topic listings: the largest Discourse
// allows (1 to 100; API-NOTES.md §3.1).
const topicsPerPage = 100

type profileReq struct {
	Username string `json:"u"`
	ID       int64  `json:"id"`
}

// builder collects one batch.
type builder struct {
	accounts   []connectors.Account
	index      map[string]int
	activities []connectors.Activity
	// skipped counts activities left out by add.
	skipped int
	// objs is the per-object memory; its writes leave with the batch.
	objs *connectors.ObjectBuffer
}

// add records an activity, unless the response named no id (a topic,
// post or like keyed "0": every such item would share the key) or no time
// for it: that one is left out and counted.
func (b *builder) add(a connectors.Activity) {
	if !keyHasID(a.Key) || a.ParentKey != "" && !keyHasID(a.ParentKey) || a.OccurredAt.IsZero() {
		b.skipped++
		return
	}
	b.activities = append(b.activities, a)
}

// keyHasID reports whether an activity key "discourse/instance/type/id"
// has an id other than 0 (the zero value of an absent id), and a like's
// "post-liked-by-user" no 0 post.
func keyHasID(key string) bool {
	parts := strings.SplitN(key, "/", 4)
	if len(parts) != 4 {
		return false
	}
	id := parts[3]
	return id != "" && id != "0" && !strings.HasPrefix(id, "0-")
}

func (b *builder) addAccount(a connectors.Account) {
	k := a.AccountRef.String()
	if i, ok := b.index[k]; ok {
		if !a.ProfileFetchedAt.IsZero() || b.accounts[i].ProfileFetchedAt.IsZero() {
			b.accounts[i] = a
		}
		return
	}
	b.index[k] = len(b.accounts)
	b.accounts = append(b.accounts, a)
}

// streams returns the names of this pass's streams, in order.
func (c *Connector) streams() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.categories) == 0 {
		return []string{"latest", "posts"}
	}
	var out []string
	for _, cf := range c.categories {
		out = append(out, "c/"+strconv.FormatInt(cf.id, 10))
	}
	return append(out, "posts")
}

// Fetch reads the next few pages after cur and returns them as one batch,
// oldest first. The batch's cursor holds the walk position, so a crash
// between batches resumes exactly after them; Done is set when every stream
// has been walked back to its mark and queued profiles are read.
func (c *Connector) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	st := &state{V: 1}
	if len(cur.State) > 0 {
		if err := json.Unmarshal(cur.State, st); err != nil {
			return connectors.Batch{}, fmt.Errorf("discourse: decode cursor: %w", err)
		}
	}
	if st.Walks == nil {
		st.Walks = map[string]*walk{}
	}
	if st.Likes == nil {
		st.Likes = map[int64]int{}
	}
	c.client.TakeStats()
	missing := connectors.NewMissingSet(cur.Missing, c.missingTTL, c.now)
	ctx = connectors.WithMissing(ctx, missing)
	if err := c.resolveCategories(ctx); err != nil {
		return connectors.Batch{}, err
	}
	streams := c.streams()
	objs := connectors.NewObjectBuffer(c.objects, c.source, st.Objects)
	if err := migrateProfiles(st, objs); err != nil {
		return connectors.Batch{}, err
	}
	b := &builder{index: map[string]int{}, objs: objs}
	for steps := 0; steps < c.stepsPerBatch && st.Stream < len(streams); steps++ {
		name := streams[st.Stream]
		w := st.Walks[name]
		if w == nil {
			w = &walk{}
			st.Walks[name] = w
		}
		var done bool
		var err error
		if name == "posts" {
			done, err = c.stepPosts(ctx, st, w, b)
		} else {
			done, err = c.stepTopics(ctx, st, name, w, b)
		}
		if err != nil {
			return connectors.Batch{}, err
		}
		if done && name == "posts" {
			if err := c.resolvePending(ctx, st, b); err != nil {
				return connectors.Batch{}, err
			}
		}
		if done {
			w.Mark = max(w.Mark, w.Top)
			w.Top, w.Page, w.Before, w.Active, w.PerPage = 0, 0, 0, false, 0
			st.Stream++
		}
	}
	if err := c.queueProfiles(ctx, st, b); err != nil {
		return connectors.Batch{}, err
	}
	if err := c.readProfiles(ctx, st, b); err != nil {
		return connectors.Batch{}, err
	}
	if b.skipped > 0 {
		c.log.Warn("discourse: items left out: the response named no id or no time for them", "count", b.skipped)
		for range b.skipped {
			c.client.CountSkipped()
		}
	}
	queued, err := c.profilesQueued(ctx, b)
	if err != nil {
		return connectors.Batch{}, err
	}
	done := st.Stream >= len(streams) && !queued
	if done {
		st.Stream = 0
		st.Pass++
		// Forget walks of streams no longer configured.
		for k := range st.Walks {
			if !slices.Contains(streams, k) {
				delete(st.Walks, k)
			}
		}
	}
	slices.SortStableFunc(b.activities, func(x, y connectors.Activity) int {
		if c := x.OccurredAt.Compare(y.OccurredAt); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	st.Objects = objs.Embedded()
	raw, err := json.Marshal(st)
	if err != nil {
		return connectors.Batch{}, fmt.Errorf("discourse: encode cursor: %w", err)
	}
	return connectors.Batch{
		Accounts:   b.accounts,
		Activities: b.activities,
		Objects:    objs.Writes(),
		Next:       connectors.Cursor{State: raw, Missing: missing.Map()},
		Done:       done,
		Stats:      c.client.TakeStats(),
	}, nil
}

// resolveCategories looks up configured categories given without an id,
// and the subcategories of every configured one, once per connector.
func (c *Connector) resolveCategories(ctx context.Context) error {
	c.mu.Lock()
	need := len(c.categories) > 0 && !c.resolved
	c.mu.Unlock()
	if !need {
		return nil
	}
	var resp categoriesResponse
	if err := c.get(ctx, "/categories.json", nil, &resp); err != nil {
		return fmt.Errorf("discourse: list categories: %w", c.listingErr(err))
	}
	if resp.CategoryList == nil {
		return c.malformed("/categories.json", errors.New("no category_list"))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.categories {
		cf := &c.categories[i]
		for _, x := range resp.CategoryList.Categories {
			if cf.id == 0 && strings.EqualFold(x.Slug, cf.slug) {
				cf.id = x.ID
			}
			if cf.id == x.ID && cf.slug == "" {
				cf.slug = x.Slug
			}
		}
		if cf.id == 0 {
			return fmt.Errorf("discourse: category %q: not found on the forum (or not visible to the key)", cf.slug)
		}
		cf.ids = map[int64]bool{cf.id: true}
		for _, x := range resp.CategoryList.Categories {
			if x.ParentCategoryID == cf.id {
				cf.ids[x.ID] = true
			}
		}
	}
	c.resolved = true
	return nil
}

// categoryWanted reports whether posts of category id are collected.
func (c *Connector) categoryWanted(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.categories) == 0 {
		return true
	}
	for _, cf := range c.categories {
		if cf.ids[id] {
			return true
		}
	}
	return false
}

// listPath is the listing of a topic stream.
func (c *Connector) listPath(name string) string {
	if name == "latest" {
		return "/latest.json"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cf := range c.categories {
		if "c/"+strconv.FormatInt(cf.id, 10) == name {
			return "/c/" + url.PathEscape(cf.slug) + "/" + strconv.FormatInt(cf.id, 10) + ".json"
		}
	}
	return "/latest.json"
}

// stepTopics reads one page of a topic listing in creation order, newest
// first, and emits topics newer than the mark and solutions not yet
// committed. It reports whether the walk reached the mark or the end.
func (c *Connector) stepTopics(ctx context.Context, st *state, name string, w *walk, b *builder) (bool, error) {
	path := c.listPath(name)
	if !w.Active {
		w.PerPage = topicsPerPage
	}
	q := url.Values{"order": {"created"}}
	if w.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(w.PerPage))
	}
	if w.Page > 0 {
		q.Set("page", strconv.Itoa(w.Page))
	}
	var resp topicListResponse
	if err := c.get(ctx, path, q, &resp); err != nil {
		return false, fmt.Errorf("discourse: list topics (%s page %d): %w", path, w.Page, c.listingErr(err))
	}
	if resp.TopicList == nil {
		return false, c.malformed(path, errors.New("no topic_list"))
	}
	users := map[int64]basicUser{}
	for _, u := range resp.Users {
		users[u.ID] = u
	}
	solvedKeys := make([]string, 0, len(resp.TopicList.Topics))
	for _, t := range resp.TopicList.Topics {
		solvedKeys = append(solvedKeys, solvedObject(t.ID))
	}
	if err := b.objs.Load(ctx, solvedKeys...); err != nil {
		return false, fmt.Errorf("discourse: solved topics: %w", err)
	}
	solved := func(id int64) (bool, error) {
		var yes bool
		ok, err := b.objs.Get(ctx, solvedObject(id), &yes)
		if err != nil {
			return false, fmt.Errorf("discourse: solved topic %d: %w", id, err)
		}
		return ok, nil
	}
	firstPage := !w.Active
	w.Active = true
	reached := false
	var solve []int64
	for _, t := range resp.TopicList.Topics {
		if t.Archetype != "" && t.Archetype != "regular" {
			continue
		}
		if firstPage {
			w.Top = max(w.Top, t.ID)
		}
		if t.ID <= w.Mark {
			if !t.Pinned {
				reached = true
			}
			// A recent topic solved since it was read.
			if firstPage && t.HasAcceptedAnswer {
				if done, err := solved(t.ID); err != nil || !done {
					if err != nil {
						return false, err
					}
					solve = append(solve, t.ID)
				}
			}
			continue
		}
		if u, ok := listedCreator(t, users); ok {
			c.credit(b, t, u)
		} else if !slices.ContainsFunc(st.Pending, func(p pendingTopic) bool { return p.ID == t.ID }) {
			st.Pending = append(st.Pending, pendingOf(t))
		}
		if t.HasAcceptedAnswer {
			if done, err := solved(t.ID); err != nil || !done {
				if err != nil {
					return false, err
				}
				solve = append(solve, t.ID)
			}
		}
	}
	for _, id := range solve {
		if err := c.readSolution(ctx, st, id, b); err != nil {
			return false, err
		}
	}
	w.Page++
	end := reached || len(resp.TopicList.Topics) == 0 || resp.TopicList.MoreTopicsURL == ""
	return end, nil
}

// credit emits t's topic_created by u. A creator that is not a person
// (system, id <= 0) gets no activity.
func (c *Connector) credit(b *builder, t listTopic, u basicUser) {
	acc, ok := c.tr.account(u)
	if !ok {
		c.log.Debug("topic created by a non-person account", "topic", t.ID, "user_id", u.ID)
		return
	}
	b.addAccount(acc)
	b.add(c.tr.topicActivity(t, u.ID))
}

// creditPending credits a pending topic from its first post (post number
// 1), which names the topic's author.
func (c *Connector) creditPending(st *state, b *builder, p post) {
	i := slices.IndexFunc(st.Pending, func(x pendingTopic) bool { return x.ID == p.TopicID })
	if i < 0 {
		return
	}
	u, ok := postAuthor(p)
	if !ok {
		return // the post names no author; the topic view may
	}
	c.credit(b, st.Pending[i].listTopic(), u)
	st.Pending = slices.Delete(st.Pending, i, i+1)
}

// resolvePending asks /t/{id}.json for the author of every topic still
// pending once the posts walk is done. A topic no source names an author
// of is logged and counted as skipped, never guessed.
func (c *Connector) resolvePending(ctx context.Context, st *state, b *builder) error {
	for len(st.Pending) > 0 {
		pt := st.Pending[0]
		u, ok, err := c.topicCreator(ctx, pt.ID)
		if err != nil {
			return err
		}
		if ok {
			c.credit(b, pt.listTopic(), u)
		} else {
			c.log.Warn("topic skipped: no source names its author", "topic", pt.ID)
			c.client.CountSkipped()
		}
		st.Pending = st.Pending[1:]
	}
	st.Pending = nil
	return nil
}

// topicCreator reads who created topic id from /t/{id}.json: the topic
// view's details.created_by, else the author of post number 1 in its post
// stream. A topic that is gone (404, 410: remembered, see lookup) or hidden
// (403) has no known author: false, no error.
func (c *Connector) topicCreator(ctx context.Context, id int64) (basicUser, bool, error) {
	var t topicView
	found, err := c.lookup(ctx, topicKey(id), "/t/"+strconv.FormatInt(id, 10)+".json", nil, &t)
	if err != nil {
		return basicUser{}, false, fmt.Errorf("discourse: read creator of topic %d: %w", id, err)
	}
	if !found {
		return basicUser{}, false, nil
	}
	if cb := t.Details.CreatedBy; cb != nil && cb.ID != 0 && cb.Username != "" {
		return *cb, true, nil
	}
	for _, p := range t.PostStream.Posts {
		if p.PostNumber == 1 {
			u, ok := postAuthor(p)
			return u, ok, nil
		}
	}
	return basicUser{}, false, nil
}

// readSolution reads a solved topic and emits its solution_accepted.
func (c *Connector) readSolution(ctx context.Context, st *state, id int64, b *builder) error {
	var t topicView
	found, err := c.lookup(ctx, topicKey(id), "/t/"+strconv.FormatInt(id, 10)+".json", nil, &t)
	if err != nil {
		return fmt.Errorf("discourse: read solved topic %d: %w", id, err)
	}
	if !found {
		return nil // deleted or hidden since it was listed
	}
	if t.AcceptedAnswer == nil {
		return nil
	}
	accepter := int64(0)
	var who basicUser
	people := t.Details.Participants
	if t.Details.CreatedBy != nil {
		people = append([]basicUser{*t.Details.CreatedBy}, people...)
	}
	for _, u := range people {
		if t.AcceptedAnswer.AccepterUsername != "" && strings.EqualFold(u.Username, t.AcceptedAnswer.AccepterUsername) {
			accepter, who = u.ID, u
			break
		}
	}
	if name := t.AcceptedAnswer.AccepterUsername; accepter == 0 && name != "" {
		// Staff often accept answers without posting: read their profile,
		// once a profileTTL (the same few accept most solutions).
		if id, ok := c.accepterRead(name); ok {
			if acc, ok := c.tr.account(basicUser{ID: id, Username: name}); ok {
				accepter = id
				b.addAccount(acc) // a reference: queueProfiles reads it if it is not stored
			}
		} else {
			p, err := c.readProfile(ctx, name)
			if err != nil {
				return err
			}
			if p != nil {
				if id, err := strconv.ParseInt(p.ExternalID, 10, 64); err == nil && id > 0 {
					accepter = id
					b.addAccount(*p)
					c.rememberAccepter(name, id)
				}
			}
		}
	}
	if accepter == 0 && t.Details.CreatedBy != nil {
		accepter, who = t.Details.CreatedBy.ID, *t.Details.CreatedBy
	}
	if accepter <= 0 {
		return nil
	}
	if acc, ok := c.tr.account(who); ok {
		b.addAccount(acc)
	}
	b.add(c.tr.solution(t, accepter))
	if err := b.objs.Put(solvedObject(id), true); err != nil {
		return fmt.Errorf("discourse: remember solved topic %d: %w", id, err)
	}
	return nil
}

// stepPosts reads one page of /posts.json (newest first) and emits replies
// newer than the mark and the likes of posts whose like count grew.
func (c *Connector) stepPosts(ctx context.Context, st *state, w *walk, b *builder) (bool, error) {
	var q url.Values
	if w.Active && w.Before > 0 {
		q = url.Values{"before": {strconv.FormatInt(w.Before, 10)}}
	}
	var resp latestPostsResponse
	if err := c.get(ctx, "/posts.json", q, &resp); err != nil {
		return false, fmt.Errorf("discourse: list posts (before %d): %w", w.Before, c.listingErr(err))
	}
	if resp.LatestPosts == nil {
		return false, c.malformed("/posts.json", errors.New("no latest_posts"))
	}
	posts := *resp.LatestPosts
	// A page lists newest first: a reply's parent, older, may come later on
	// it. Index the page before translating it; parents on earlier pages
	// are in the per-object memory.
	numbers, err := postNumbers(ctx, b, posts)
	if err != nil {
		return false, err
	}
	firstPage := !w.Active
	w.Active = true
	reached := false
	smallest := int64(0)
	for _, p := range posts {
		if smallest == 0 || p.ID < smallest {
			smallest = p.ID
		}
		if p.PostNumber == 1 {
			c.creditPending(st, b, p)
		}
		if firstPage {
			w.Top = max(w.Top, p.ID)
		}
		if !c.categoryWanted(p.CategoryID) || p.UserID <= 0 {
			if p.ID <= w.Mark {
				reached = true
			}
			continue
		}
		known, seen := st.Likes[p.ID]
		if p.ID <= w.Mark {
			reached = true
			if !seen {
				continue // older than the like window
			}
			if p.likes() != known && (p.PostType == 0 || p.PostType == 1) {
				// Inside the like window: the post's like count moved,
				// the store updates it.
				if p.PostNumber > 1 {
					b.add(c.tr.postActivity(p, numbers))
				} else if p.PostNumber == 1 {
					b.add(c.tr.firstPostActivity(p))
				}
			}
		} else {
			if p.PostNumber > 1 && (p.PostType == 0 || p.PostType == 1) {
				if acc, ok := c.tr.account(basicUser{ID: p.UserID, Username: p.Username, Name: p.Name, AvatarTemplate: p.AvatarTemplate}); ok {
					b.addAccount(acc)
					b.add(c.tr.postActivity(p, numbers))
				}
			}
			if p.PostNumber == 1 && (p.PostType == 0 || p.PostType == 1) {
				// The topic's first post: its likes and text are the topic's.
				b.add(c.tr.firstPostActivity(p))
			}
			known = 0
		}
		if n := p.likes(); n > known {
			if err := c.readLikes(ctx, p, b); err != nil {
				return false, err
			}
		}
		st.Likes[p.ID] = p.likes()
	}
	if len(st.Likes) > keepLikes {
		ids := make([]int64, 0, len(st.Likes))
		for id := range st.Likes {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids[:len(ids)-keepLikes] {
			delete(st.Likes, id)
		}
	}
	// before= is applied as id <= before: the next page starts below the
	// smallest id of this one.
	w.Before = smallest - 1
	return reached || len(posts) == 0 || w.Before <= 0, nil
}

// readLikes reads who liked p and emits one like each.
func (c *Connector) readLikes(ctx context.Context, p post, b *builder) error {
	key := "post:" + strconv.FormatInt(p.ID, 10)
	for page := 0; ; page++ {
		q := url.Values{"id": {strconv.FormatInt(p.ID, 10)}, "post_action_type_id": {strconv.Itoa(likeActionType)}}
		if page > 0 {
			q.Set("page", strconv.Itoa(page))
		}
		var resp postActionUsersResponse
		found, err := c.lookup(ctx, key, "/post_action_users.json", q, &resp)
		if err != nil {
			return fmt.Errorf("discourse: list likes of post %d: %w", p.ID, err)
		}
		if !found {
			return nil // likes hidden from this key, or the post is gone
		}
		if resp.Users == nil {
			return c.malformed("/post_action_users.json", errors.New("no post_action_users"))
		}
		for _, u := range *resp.Users {
			if acc, ok := c.tr.account(u); ok {
				b.addAccount(acc)
				b.add(c.tr.likeActivity(p, u.ID))
			}
		}
		if len(*resp.Users) == 0 || (page+1)*len(*resp.Users) >= resp.Total || page >= 50 {
			return nil
		}
	}
}

// queueProfiles queues a profile read for every account of the batch whose
// profile is unknown or older than a day.
func (c *Connector) queueProfiles(ctx context.Context, st *state, b *builder) error {
	keys := make([]string, 0, 2*len(b.accounts))
	for _, a := range b.accounts {
		keys = append(keys, profileObject(a.ExternalID), profiledObject(a.ExternalID))
	}
	if err := b.objs.Load(ctx, keys...); err != nil {
		return fmt.Errorf("discourse: profile marks: %w", err)
	}
	for _, a := range b.accounts {
		if !a.ProfileFetchedAt.IsZero() {
			continue
		}
		id, err := strconv.ParseInt(a.ExternalID, 10, 64)
		if err != nil {
			continue
		}
		if seen, err := profileSeen(ctx, st, b, a.ExternalID); err != nil || seen {
			if err != nil {
				return err
			}
			continue
		}
		if c.profiles != nil {
			t, ok, err := c.profiles.ProfileFetchedAt(ctx, a.AccountRef)
			if err != nil {
				return fmt.Errorf("discourse: profile age of %s: %w", a.AccountRef, err)
			}
			if ok && c.now().Sub(t) < profileTTL {
				continue
			}
		}
		if err := b.objs.Put(profileObject(a.ExternalID), profileReq{Username: a.Username, ID: id}); err != nil {
			return fmt.Errorf("discourse: queue profile of %s: %w", a.Username, err)
		}
	}
	return nil
}

// readProfiles reads up to profilesPerBatch queued profiles.
func (c *Connector) readProfiles(ctx context.Context, st *state, b *builder) error {
	after := ""
	for n := 0; n < c.profilesPerBatch; n++ {
		k, raw, ok, err := b.objs.Next(ctx, profilePrefix, after)
		if err != nil {
			return fmt.Errorf("discourse: queued profiles: %w", err)
		}
		if !ok {
			break
		}
		after = k
		var req profileReq
		if err := json.Unmarshal(raw, &req); err != nil {
			return fmt.Errorf("discourse: decode queued profile %s: %w", k, err)
		}
		a, err := c.readProfile(ctx, req.Username)
		if err != nil {
			return err
		}
		if a != nil {
			b.addAccount(*a)
		}
		b.objs.Delete(k)
		if err := b.objs.Put(profiledObject(strconv.FormatInt(req.ID, 10)), st.Pass); err != nil {
			return fmt.Errorf("discourse: mark profile of %s: %w", req.Username, err)
		}
	}
	return nil
}

// The per-object memory of a Discourse source holds, by account
// (connectors.AccountObjectKey, so that forgetting it deletes them):
//
//	profile/account:<user id>   {"u": "alice", "id": 3}   a queued profile read
//	profiled/account:<user id>  4                         the last pass that read it
var profilePrefix = connectors.AccountObjectKey("profile", "")

func profileObject(id string) string  { return connectors.AccountObjectKey("profile", id) }
func profiledObject(id string) string { return connectors.AccountObjectKey("profiled", id) }

// profileSeen reports whether this pass read the profile of user id
// already, or has it queued.
func profileSeen(ctx context.Context, st *state, b *builder, id string) (bool, error) {
	var pass int
	ok, err := b.objs.Get(ctx, profiledObject(id), &pass)
	if err != nil {
		return false, fmt.Errorf("discourse: profile mark of %s: %w", id, err)
	}
	if ok && pass == st.Pass {
		return true, nil
	}
	var p profileReq
	ok, err = b.objs.Get(ctx, profileObject(id), &p)
	if err != nil {
		return false, fmt.Errorf("discourse: queued profile of %s: %w", id, err)
	}
	return ok, nil
}

// profilesQueued reports whether profile reads are still queued.
func (c *Connector) profilesQueued(ctx context.Context, b *builder) (bool, error) {
	_, _, ok, err := b.objs.Next(ctx, profilePrefix, "")
	if err != nil {
		return false, fmt.Errorf("discourse: queued profiles: %w", err)
	}
	return ok, nil
}

// migrateProfiles moves the queued and the read profiles of a cursor
// written before the per-object memory into objs (committed with the
// batch, so a crash before finds the old cursor again).
func migrateProfiles(st *state, objs *connectors.ObjectBuffer) error {
	for _, p := range st.Profiles {
		if err := objs.Put(profileObject(strconv.FormatInt(p.ID, 10)), p); err != nil {
			return fmt.Errorf("discourse: move queued profile %s of the cursor: %w", p.Username, err)
		}
	}
	for _, id := range st.Profiled {
		if err := objs.Put(profiledObject(strconv.FormatInt(id, 10)), st.Pass); err != nil {
			return fmt.Errorf("discourse: move profile mark %d of the cursor: %w", id, err)
		}
	}
	st.Profiles, st.Profiled = nil, nil
	for k, id := range st.Numbers {
		if err := objs.Put(postPrefix+k, id); err != nil {
			return fmt.Errorf("discourse: move post number %s of the cursor: %w", k, err)
		}
	}
	st.Numbers = nil
	for _, id := range st.Solved {
		if err := objs.Put(solvedObject(id), true); err != nil {
			return fmt.Errorf("discourse: move solved topic %d of the cursor: %w", id, err)
		}
	}
	st.Solved = nil
	return nil
}

// solvedObject is the per-object memory's key of a topic whose accepted
// solution is committed.
func solvedObject(id int64) string { return "solved/" + strconv.FormatInt(id, 10) }

// postPrefix starts the per-object memory's keys of listed posts:
// "post/<topic id>#<post number>" → post id, so that a reply's
// reply_to_post_number names the post it answers.
const postPrefix = "post/"

// postNumbers records the post number of every post of a /posts.json
// page and returns the ids of those posts and of the posts they answer
// (numberKey → id), read in one lookup.
func postNumbers(ctx context.Context, b *builder, posts []post) (map[string]int64, error) {
	numbers := make(map[string]int64, len(posts))
	var keys []string
	for _, p := range posts {
		numbers[numberKey(p.TopicID, p.PostNumber)] = p.ID
		if n := p.replyTo(); n > 1 {
			keys = append(keys, postPrefix+numberKey(p.TopicID, n))
		}
	}
	if err := b.objs.Load(ctx, keys...); err != nil {
		return nil, fmt.Errorf("discourse: post numbers: %w", err)
	}
	for _, k := range keys {
		if _, ok := numbers[k[len(postPrefix):]]; ok {
			continue
		}
		var id int64
		ok, err := b.objs.Get(ctx, k, &id)
		if err != nil {
			return nil, fmt.Errorf("discourse: post number %s: %w", k, err)
		}
		if ok {
			numbers[k[len(postPrefix):]] = id
		}
	}
	for _, p := range posts {
		if err := b.objs.Put(postPrefix+numberKey(p.TopicID, p.PostNumber), p.ID); err != nil {
			return nil, fmt.Errorf("discourse: remember post %d: %w", p.ID, err)
		}
	}
	return numbers, nil
}

// readProfile reads /u/{username}.json and, with a staff key, the user's
// e-mails and associated accounts. It returns nil for a user that is gone
// or renamed (the account stays as last seen); a 404 or 410 is remembered
// by username (the path it is read by: a renamed user's new name is read).
func (c *Connector) readProfile(ctx context.Context, username string) (*connectors.Account, error) {
	path := "/u/" + url.PathEscape(username) + ".json"
	var resp profileResponse
	found, err := c.lookup(ctx, "username:"+strings.ToLower(username), path, nil, &resp)
	if err != nil {
		return nil, fmt.Errorf("discourse: read profile of %s: %w", username, err)
	}
	if !found {
		return nil, nil
	}
	if resp.User == nil || resp.User.ID == 0 {
		return nil, c.malformed(path, errors.New("no user"))
	}
	var emails *emailsResponse
	staff, err := c.isStaff(ctx)
	if err != nil {
		return nil, err
	}
	if staff {
		var e emailsResponse
		err := c.get(ctx, "/u/"+url.PathEscape(username)+"/emails.json", nil, &e)
		switch {
		case isStatus(err, http.StatusNotFound, http.StatusForbidden):
		case err != nil:
			return nil, fmt.Errorf("discourse: read e-mails of %s: %w", username, err)
		default:
			emails = &e
		}
	}
	a := c.tr.profileAccount(*resp.User, emails, c.now().UTC())
	if a.ExternalID == "" {
		return nil, nil
	}
	return &a, nil
}

// accepterRead reports the user id of an accepter whose profile was read
// less than profileTTL ago. A user that is gone is not kept here: the
// missing set (lookup) remembers those.
func (c *Connector) accepterRead(username string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.accepters[strings.ToLower(username)]
	if !ok || c.now().Sub(r.at) >= profileTTL {
		return 0, false
	}
	return r.id, true
}

// maxAccepters bounds the accepters remembered: when full, the memory
// starts again (a forum where that many users accept answers without
// posting in the topic reads some profiles again, no more).
const maxAccepters = 10_000

// rememberAccepter records that the profile of accepter username (user id)
// was read now.
func (c *Connector) rememberAccepter(username string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.accepters == nil || len(c.accepters) >= maxAccepters {
		c.accepters = map[string]accepterProfile{}
	}
	c.accepters[strings.ToLower(username)] = accepterProfile{id: id, at: c.now()}
}

// isStaff asks /session/current.json, once per connector, whether the key
// belongs to staff (who may read e-mails and associated accounts).
func (c *Connector) isStaff(ctx context.Context) (bool, error) {
	if !c.hasKey {
		return false, nil
	}
	c.mu.Lock()
	if c.staff != nil {
		s := *c.staff
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	var resp sessionResponse
	err := c.get(ctx, "/session/current.json", nil, &resp)
	var se *statusError
	staff := false
	switch {
	case errors.As(err, &se):
	case err != nil:
		return false, fmt.Errorf("discourse: read current session: %w", err)
	case resp.CurrentUser != nil:
		cu := resp.CurrentUser
		staff = cu.Staff || cu.Admin || cu.Moderator
	}
	c.mu.Lock()
	c.staff = &staff
	c.mu.Unlock()
	return staff, nil
}

// listingErr turns a 403 on a listing of the forum (topic lists, the posts
// list, categories) into ErrUnauthorized: those are readable by anyone the
// forum lets in, so a refusal there is the key's (or, on a login-required
// forum, its absence). A 403 on one object (a hidden topic, likes, e-mails)
// stays a statusError its caller skips. Nothing here reads the errors[]
// text, which Discourse translates.
func (c *Connector) listingErr(err error) error {
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusForbidden {
		return &connectors.ErrUnauthorized{Source: c.source, URL: se.url}
	}
	return err
}

// statusError is an HTTP error status that callers may skip (404, 403 on
// one resource).
type statusError struct {
	status int
	url    string
	msg    string
}

func (e *statusError) Error() string {
	if e.msg != "" {
		return fmt.Sprintf("HTTP %d from %s: %s", e.status, e.url, e.msg)
	}
	return fmt.Sprintf("HTTP %d from %s", e.status, e.url)
}

// lookup reads the one object at path into v, remembering under key an
// object that is gone. It reports false, with no error, for an object known
// to be missing (the request is not made, and the skip is counted), one that
// answers 404 or 410 (remembered until the source's missing_ttl expires) and
// one hidden from this key (403: not remembered, as it says something about
// the key rather than the object).
func (c *Connector) lookup(ctx context.Context, key, path string, q url.Values, v any) (bool, error) {
	if c.client.SkipKnownMissing(ctx, key) {
		return false, nil
	}
	err := c.get(ctx, path, q, v)
	var se *statusError
	if errors.As(err, &se) {
		switch se.status {
		case http.StatusNotFound, http.StatusGone:
			c.client.RememberMissing(ctx, key, se.status)
			return false, nil
		case http.StatusForbidden:
			return false, nil
		}
	}
	return err == nil, err
}

// topicKey is a topic's key in the memory of missing objects.
func topicKey(id int64) string { return "topic:" + strconv.FormatInt(id, 10) }

// isStatus reports whether err is a statusError with one of codes.
func isStatus(err error, codes ...int) bool {
	var se *statusError
	return errors.As(err, &se) && slices.Contains(codes, se.status)
}

// errorBody is Discourse's error shape.
type errorBody struct {
	Errors    []string `json:"errors"`
	ErrorType string   `json:"error_type"`
	Extras    struct {
		WaitSeconds float64 `json:"wait_seconds"`
	} `json:"extras"`
}

func (c *Connector) malformed(path string, err error) error {
	return &connectors.ErrMalformed{Source: c.source, URL: path, Status: http.StatusOK, Err: err}
}

// get requests base+path?q and decodes a 200 JSON body into v.
func (c *Connector) get(ctx context.Context, path string, q url.Values, v any) error {
	u := c.tr.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.HTTPClient().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the forum's; keep the message short
		}
		return err
	}
	defer resp.Body.Close()
	shown := connectors.RedactURL(req.URL)
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if resp.StatusCode == http.StatusOK {
		if rerr != nil {
			return &connectors.ErrMalformed{Source: c.source, URL: shown, Status: resp.StatusCode, Err: rerr}
		}
		if err := json.Unmarshal(body, v); err != nil {
			return &connectors.ErrMalformed{Source: c.source, URL: shown, Status: resp.StatusCode, Err: err}
		}
		return nil
	}
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	msg := strings.Join(eb.Errors, "; ")
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return &connectors.ErrUnauthorized{Source: c.source, URL: shown}
	case http.StatusTooManyRequests:
		// The client hands back a 429 whose short wait it already retried.
		wait := time.Minute
		if d, ok := retryWait(resp.Header, body); ok {
			wait = max(d, time.Second)
		}
		reason := "Discourse rate limit"
		if code := resp.Header.Get("Discourse-Rate-Limit-Error-Code"); code != "" {
			reason += " " + code
		}
		return &connectors.ErrRateLimited{Source: c.source, Until: c.now().Add(wait), Reason: reason}
	}
	return &statusError{status: resp.StatusCode, url: shown, msg: msg}
}

// waitTransport sits under the shared client: a Discourse 429 that says how
// long to wait only in its JSON body (extras.wait_seconds) gets a
// Retry-After header, so the client's pause logic sees it. The per-IP
// limiter's plain-text 429 carries Retry-After itself; its English sentence
// is never read.
type waitTransport struct{ base http.RoundTripper }

func (t waitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "" {
		return resp, err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if d, ok := retryWait(nil, body); ok {
		resp.Header = resp.Header.Clone()
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		resp.Header.Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	return resp, nil
}

// retryWait reads how long a 429 asks to wait from its structure:
// Retry-After seconds, else JSON extras.wait_seconds.
func retryWait(h http.Header, body []byte) (time.Duration, bool) {
	if h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Extras.WaitSeconds > 0 {
		return time.Duration(eb.Extras.WaitSeconds * float64(time.Second)), true
	}
	return 0, false
}
