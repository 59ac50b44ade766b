package stackoverflow

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
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

// Kind registers the Stack Overflow connector (see connectors/all).
var Kind = connectors.Kind{Name: "stackoverflow", New: New, Sample: sample}

// Settings are the source settings of a stackoverflow source.
type Settings struct {
	// Site is the api_site_parameter of a Stack Exchange site; empty means
	// "stackoverflow". It is the Instance of accounts and activities.
	Site string `yaml:"site"`
	// Tags are the tags to follow; a question is read when it carries any.
	Tags []string `yaml:"tags"`
	// Key is an app key from stackapps.com. Without one the API allows 300
	// requests a day per IP and no page past 25.
	Key config.Secret `yaml:"key"`
	// APIURL is the API root; empty means https://api.stackexchange.com/2.3.
	// Tests point it at a fake.
	APIURL string `yaml:"api_url"`
}

const (
	// DefaultAPIURL is the Stack Exchange API root.
	DefaultAPIURL = "https://api.stackexchange.com/2.3"
	// DefaultSite is the site read when none is configured.
	DefaultSite = "stackoverflow"

	// Filter is the filter sent with every request. The built-in
	// "withbody" filter is "default" plus the body (HTML) of questions,
	// answers and comments, for text excerpts; "default" already carries
	// every other field the connector reads: question
	// (question_id, title, link, tags, owner, creation_date,
	// last_activity_date, accepted_answer_id), answer (answer_id,
	// question_id, is_accepted, owner, creation_date, last_activity_date),
	// comment (comment_id, post_id, owner, creation_date), shallow_user
	// (user_id, account_id, user_type, display_name, link, profile_image)
	// and user (the same plus website_url). Answer and comment links are
	// built from the question's link, so no custom filter (an opaque string
	// from /filters/create) is needed and none can go stale.
	Filter = "withbody"

	pageSize = 100
	// maxIDs is how many ids a vectorized method takes.
	maxIDs = 100
	// profileTTL is how old a profile may get before it is read again.
	profileTTL = 24 * time.Hour
	// maxBackoffWait is the longest `backoff` the connector waits out
	// itself; a longer one pauses the source.
	maxBackoffWait = 60 * time.Second
	// minReserve is the least quota left unused; the reserve is the larger
	// of it and 1% of quota_max.
	minReserve = 10
	// defaultThrottlePause is how long a throttle_violation that does not
	// say when requests are available again pauses the source.
	defaultThrottlePause = 5 * time.Minute
)

// Connector reads questions, answers, acceptances and comments of tagged
// questions of one Stack Exchange site, and the profiles of their authors.
// Create it with New.
type Connector struct {
	source   string
	site     string
	tags     []string
	apiURL   string
	keyed    bool
	authKind string // for rollcall doctor (AuthKind)
	tr       translator
	client   *connectors.Client
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	profiles connectors.ProfileAges
	objects  connectors.ObjectState
	// missingTTL is how long a user id /users/{ids} did not return is not
	// asked again (the source's missing_ttl).
	missingTTL time.Duration

	mu      sync.Mutex
	until   time.Time // the source is paused before this time
	why     string
	backoff map[string]time.Time // method → when it may be called again
	quota   quotaState
}

// quotaState is the daily quota as last reported.
type quotaState struct {
	Max, Remaining int
	Seen           bool
}

// New returns a Stack Overflow connector for opts.Source. It validates the
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
	site := strings.TrimSpace(s.Site)
	if site == "" {
		site = DefaultSite
	}
	if strings.ContainsAny(site, "/ ?&;") {
		return nil, cfgErr("site", fmt.Errorf("%q is not an api_site_parameter such as stackoverflow", s.Site))
	}
	var tags []string
	for _, t := range s.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || strings.ContainsAny(t, "; ") {
			return nil, cfgErr("tags", fmt.Errorf("%q is not one tag", t))
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return nil, cfgErr("tags", fmt.Errorf("%w: at least one tag", config.ErrMissing))
	}
	apiURL := strings.TrimRight(s.APIURL, "/")
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if u, err := url.Parse(apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cfgErr("api_url", fmt.Errorf("%q is not an http(s) URL", s.APIURL))
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	co := connectors.ClientOptions{Source: src.Name, Base: opts.HTTP, Logger: log, Now: now, Sleep: sleep, Version: opts.Version, Timeout: opts.HTTPTimeout, Waits: opts.Waits}
	if s.Key.IsZero() {
		log.Warn("no key: Stack Exchange allows 300 requests a day per IP and no page past 25; register an app on stackapps.com for a key")
	} else {
		// The key is a query parameter, added on the way out only;
		// connectors.RedactURL masks it in logs and errors. A key from a
		// credential file is re-read when the file changes.
		key := connectors.NewTokenSource(s.Key, log)
		co.Auth = func(r *http.Request) {
			tok, err := key.Token()
			if err != nil || withoutKey(r.Context()) {
				return
			}
			q := r.URL.Query()
			q.Set("key", tok.AccessToken)
			r.URL.RawQuery = q.Encode()
		}
	}
	client := connectors.NewClient(co)
	return &Connector{
		source:   src.Name,
		site:     site,
		tags:     tags,
		apiURL:   apiURL,
		keyed:    !s.Key.IsZero(),
		authKind: connectors.AuthKind(s.Key, "app key"),
		tr:       translator{site: site},
		client:   client,
		http:     client.HTTPClient(),
		log:      log,
		now:      now,
		sleep:    sleep,
		profiles: opts.Profiles,
		objects:  opts.Objects,
		backoff:  map[string]time.Time{},

		missingTTL: src.MissingTTL,
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Client returns the connector's HTTP client, for request metrics.
func (c *Connector) Client() *connectors.Client { return c.client }

// Quota reports the daily quota as last seen (quota_max, quota_remaining)
// and until when the source is paused, for metrics and status lines.
func (c *Connector) Quota() (maximum, remaining int, pausedUntil time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.quota.Max, c.quota.Remaining, c.until
}

// state is Cursor.State, JSON. A pass walks the tags in order; for each
// tag it reads /questions?tagged=T&sort=activity&order=asc&min=Min, one
// page per batch, moving Min to the newest last_activity_date it saw:
//
//	{
//	  "v": 1,
//	  "tag": 1,                  // index of the tag being walked this pass
//	  "page": 0,                 // >1 only while a page is full of ties at Min
//	  "marks": {"go": {"min": 1709251200, "seen": [123, 456]}}
//	}
//
// Seen are the questions at exactly Min already read, skipped when the next
// request (min is inclusive) returns them again. Once the tag is caught up
// and Min's second is long over, Min moves one second on and Seen empties
// (see mark.settle). Marks survive passes.
type state struct {
	V     int              `json:"v"`
	Tag   int              `json:"tag,omitempty"`
	Page  int              `json:"page,omitempty"`
	Marks map[string]*mark `json:"marks,omitempty"`
	// Objects is the per-object memory when the connector has no store.
	Objects map[string]json.RawMessage `json:"objects,omitempty"`
}

// The per-object memory of a Stack Overflow source holds the reads that
// wait for a full request of 100 ids (a vectorized method takes 100), so
// that a page of questions with 130 new answers or 130 new askers costs one
// request now and the other 30 ride with the next page's, instead of two
// requests each page:
//
//	acomments/<answer id>      {"t": "title", "l": "link", "c": "tag"}  the comments of an answer
//	profile/account:<user id>  true                                    a profile to read
//
// Both are committed with the batch that found them; a pass reads every
// one left before it is Done.
const commentsPrefix = "acomments/"

// pendingComments is a queued read of an answer's comments: what the
// comments' activities take from the question.
type pendingComments struct {
	Title   string `json:"t"`
	Link    string `json:"l"`
	Channel string `json:"c,omitempty"`
}

func commentsObject(answer int64) string { return commentsPrefix + strconv.FormatInt(answer, 10) }

var profilePrefix = connectors.AccountObjectKey("profile", "")

func profileObject(id int64) string {
	return connectors.AccountObjectKey("profile", strconv.FormatInt(id, 10))
}

// mark is where the walk of a tag stands: it has read every question whose
// last_activity_date is below Min, and those at exactly Min listed in Seen.
// Min is the newest last_activity_date read, or one second past it once
// that second is settled (see settle).
type mark struct {
	Min  int64   `json:"min,omitempty"`
	Seen []int64 `json:"seen,omitempty"`
	// Scored is when the scores of the tag's newest questions were last
	// refreshed (see refreshScores).
	Scored time.Time `json:"scored,omitzero"`
}

// scoreEvery is how often the scores of a tag's newest questions are
// re-read: votes do not move last_activity_date, and Stack Exchange has
// no free conditional requests, so once a day (one request per tag).
const scoreEvery = 24 * time.Hour

func (c *Connector) decodeState(raw json.RawMessage) (*state, error) {
	st := &state{V: 1}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, st); err != nil {
			return nil, fmt.Errorf("stackoverflow: decode cursor: %w", err)
		}
	}
	if st.Marks == nil {
		st.Marks = map[string]*mark{}
	}
	if st.Tag < 0 || st.Tag > len(c.tags) {
		st.Tag, st.Page = 0, 0
	}
	return st, nil
}

// builder collects one batch.
type builder struct {
	objs       *connectors.ObjectBuffer
	accounts   []connectors.Account
	index      map[string]int
	activities []connectors.Activity
	// skipped counts activities left out because the response named no
	// id for them (see add).
	skipped int
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

// keyHasID reports whether an activity key "stackoverflow/site/type/id"
// has an id above 0 (0 is what an absent id decodes to).
func keyHasID(key string) bool {
	parts := strings.SplitN(key, "/", 4)
	if len(parts) != 4 {
		return false
	}
	id, err := strconv.ParseInt(parts[3], 10, 64)
	return err == nil && id > 0
}

// add keeps an activity with an actor, and its actor's account.
func (b *builder) add(tr translator, a connectors.Activity, owner *shallowUser) {
	acc, ok := tr.account(owner)
	if !ok || a.OccurredAt.IsZero() {
		return // a deleted user's post: nobody to credit
	}
	if !keyHasID(a.Key) || a.ParentKey != "" && !keyHasID(a.ParentKey) {
		// A post or comment without its id (or its parent's): every such
		// item would share the key "…/0".
		b.skipped++
		return
	}
	b.addAccount(acc)
	b.activities = append(b.activities, a)
}

// Fetch reads one page of questions of the current tag, with their
// answers, comments and new authors' profiles, and returns them as one
// batch whose cursor resumes after them. Done is set when every tag is
// caught up.
func (c *Connector) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	st, err := c.decodeState(cur.State)
	if err != nil {
		return connectors.Batch{}, err
	}
	if err := c.paused(); err != nil {
		return connectors.Batch{}, err
	}
	c.client.TakeStats()
	missing := connectors.NewMissingSet(cur.Missing, c.missingTTL, c.now)
	ctx = connectors.WithMissing(ctx, missing)
	objs := connectors.NewObjectBuffer(c.objects, c.source, st.Objects)
	b := &builder{index: map[string]int{}, objs: objs}
	if st.Tag < len(c.tags) {
		done, err := c.step(ctx, st, b)
		if err != nil {
			return connectors.Batch{}, err
		}
		if done {
			if err := c.refreshScores(ctx, st.Marks[c.tags[st.Tag]], c.tags[st.Tag], b); err != nil {
				return connectors.Batch{}, err
			}
			st.Tag++
			st.Page = 0
		}
	}
	// The last batch of a pass reads every queued read; the others only
	// full requests of 100.
	last := st.Tag >= len(c.tags)
	if err := c.readComments(ctx, b, last); err != nil {
		return connectors.Batch{}, err
	}
	if err := c.queueProfiles(ctx, b); err != nil {
		return connectors.Batch{}, err
	}
	if err := c.readProfiles(ctx, b, last); err != nil {
		return connectors.Batch{}, err
	}
	if b.skipped > 0 {
		c.log.Warn("stackoverflow: items left out: the response named no id for them", "count", b.skipped)
		for range b.skipped {
			c.client.CountSkipped()
		}
	}
	done := st.Tag >= len(c.tags)
	if done {
		st.Tag, st.Page = 0, 0
	}
	st.Objects = objs.Embedded()
	raw, err := json.Marshal(st)
	if err != nil {
		return connectors.Batch{}, fmt.Errorf("stackoverflow: encode cursor: %w", err)
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

// channel is the first tracked tag the question carries.
func (c *Connector) channel(q *question) string {
	for _, t := range c.tags {
		if slices.Contains(q.Tags, t) {
			return t
		}
	}
	return ""
}

// step reads one page of the current tag's questions and everything under
// the new ones, and reports whether the tag is caught up.
func (c *Connector) step(ctx context.Context, st *state, b *builder) (bool, error) {
	tag := c.tags[st.Tag]
	m := st.Marks[tag]
	if m == nil {
		m = &mark{}
		st.Marks[tag] = m
	}
	q := url.Values{"tagged": {tag}, "sort": {"activity"}, "order": {"asc"}, "pagesize": {strconv.Itoa(pageSize)}}
	if m.Min > 0 {
		q.Set("min", strconv.FormatInt(m.Min, 10))
	}
	if st.Page > 1 {
		q.Set("page", strconv.Itoa(st.Page))
	}
	var qs []question
	env, err := c.get(ctx, "/questions", q, &qs)
	if errors.Is(err, errPageLimit) {
		c.log.Warn("stackoverflow: page above 25 needs a key; stopping this tag's walk until the next pass", "tag", tag)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("stackoverflow: list questions tagged %s: %w", tag, err)
	}
	var fresh []*question
	newest := m.Min
	for i := range qs {
		qq := &qs[i]
		lad := int64(qq.LastActivityDate)
		newest = max(newest, lad)
		if lad == m.Min && slices.Contains(m.Seen, qq.QuestionID) {
			continue
		}
		fresh = append(fresh, qq)
	}
	if err := c.readPosts(ctx, fresh, b); err != nil {
		return false, err
	}
	// Every branch that ends the tag's walk goes on to settle below.
	switch {
	case len(qs) == 0:
		// Nothing at or after the watermark: caught up.
	case newest > m.Min:
		m.Min, m.Seen, st.Page = newest, nil, 0
		for _, qq := range qs {
			if int64(qq.LastActivityDate) == newest {
				m.Seen = append(m.Seen, qq.QuestionID)
			}
		}
		if env.HasMore {
			return false, nil
		}
	case env.HasMore:
		// A full page of ties at Min: follow the next page.
		for _, qq := range qs {
			if !slices.Contains(m.Seen, qq.QuestionID) {
				m.Seen = append(m.Seen, qq.QuestionID)
			}
		}
		st.Page = max(st.Page, 1) + 1
		return false, nil
	default:
		for _, qq := range fresh {
			m.Seen = append(m.Seen, qq.QuestionID)
		}
		st.Page = 0
	}
	m.settle(c.now())
	return true, nil
}

// settleAfter is how long after a second the connector takes every
// question whose last_activity_date is that second to be listed. Activity
// is stamped with the time it happens, so once a second is over no new
// question can land on it; what remains is the lag of what the API shows
// (its responses are heavily cached, and semantically identical requests
// more often than once a minute count as abusive, so the cache is of the
// order of a minute) and the skew between our clock and Stack Exchange's,
// both far below this. A longer wait costs nothing but the ties listed
// once more.
const settleAfter = 10 * time.Minute

// settle drops the ties of a caught-up mark once their second is settled
// (see settleAfter), asking from the next second on instead: otherwise
// every later pass lists the questions at Min again only to skip them,
// and when many share it (a burst of activity in one second, or a
// backfill whose newest activity is the same instant) they crowd the new
// questions off the first page and push them onto one page more, each with
// its own answers and comments requests. Every question at Min is in Seen,
// so every question below Min+1 has been read: no activity is lost. A mark
// with no Seen is left alone, so idle passes never move it.
func (m *mark) settle(now time.Time) {
	if len(m.Seen) == 0 || now.Sub(time.Unix(m.Min, 0)) < settleAfter {
		return
	}
	m.Min, m.Seen = m.Min+1, nil
}

// refreshScores re-reads, once every scoreEvery, the first page (pageSize
// questions, newest first by creation) of the tag, and emits the questions
// the walk has already read (last_activity_date at or before its mark)
// with their current score; the store updates the counts. A tag's first
// caught-up pass just read everything, so it only starts the clock.
func (c *Connector) refreshScores(ctx context.Context, m *mark, tag string, b *builder) error {
	now := c.now()
	if m == nil {
		return nil
	}
	if m.Scored.IsZero() {
		m.Scored = now
		return nil
	}
	if now.Sub(m.Scored) < scoreEvery {
		return nil
	}
	q := url.Values{"tagged": {tag}, "sort": {"creation"}, "order": {"desc"}, "pagesize": {strconv.Itoa(pageSize)}}
	var qs []question
	if _, err := c.get(ctx, "/questions", q, &qs); err != nil {
		return fmt.Errorf("stackoverflow: refresh scores of questions tagged %s: %w", tag, err)
	}
	for i := range qs {
		qq := &qs[i]
		if int64(qq.LastActivityDate) > m.Min {
			continue // the walk reads it
		}
		b.add(c.tr, c.tr.question(qq, c.channel(qq)), qq.Owner)
	}
	m.Scored = now
	return nil
}

// readPosts emits the questions and reads their answers and comments.
func (c *Connector) readPosts(ctx context.Context, qs []*question, b *builder) error {
	if len(qs) == 0 {
		return nil
	}
	byID := map[int64]*question{}
	var ids []int64
	for _, q := range qs {
		byID[q.QuestionID] = q
		ids = append(ids, q.QuestionID)
		b.add(c.tr, c.tr.question(q, c.channel(q)), q.Owner)
	}
	var answers []answer
	if err := c.getAll(ctx, "/questions/%s/answers", ids, url.Values{"sort": {"activity"}, "order": {"asc"}}, func(raw json.RawMessage) error {
		var page []answer
		err := json.Unmarshal(raw, &page)
		answers = append(answers, page...)
		return err
	}); err != nil {
		return fmt.Errorf("stackoverflow: list answers: %w", err)
	}
	accepted := map[int64]*answer{}
	answerQ := map[int64]*question{}
	var answerIDs []int64
	for i := range answers {
		a := &answers[i]
		q := byID[a.QuestionID]
		if q == nil {
			continue
		}
		answerQ[a.AnswerID] = q
		answerIDs = append(answerIDs, a.AnswerID)
		b.add(c.tr, c.tr.answer(q, a, c.channel(q)), a.Owner)
		if a.IsAccepted {
			accepted[q.QuestionID] = a
		}
	}
	for _, q := range qs {
		if a := accepted[q.QuestionID]; a != nil || q.AcceptedAnswerID != 0 {
			b.add(c.tr, c.tr.accepted(q, a, c.channel(q)), q.Owner)
		}
	}
	comments := func(path string, ids []int64, parent func(int64) *question, onAnswer bool) error {
		return c.getAll(ctx, path, ids, url.Values{"sort": {"creation"}, "order": {"asc"}}, func(raw json.RawMessage) error {
			var page []comment
			if err := json.Unmarshal(raw, &page); err != nil {
				return err
			}
			for i := range page {
				cm := &page[i]
				if q := parent(cm.PostID); q != nil {
					b.add(c.tr, c.tr.comment(q, cm, onAnswer, c.channel(q)), cm.Owner)
				}
			}
			return nil
		})
	}
	if err := comments("/questions/%s/comments", ids, func(id int64) *question { return byID[id] }, false); err != nil {
		return fmt.Errorf("stackoverflow: list comments of questions: %w", err)
	}
	for _, id := range answerIDs {
		q := answerQ[id]
		if err := b.objs.Put(commentsObject(id), pendingComments{Title: q.Title, Link: q.Link, Channel: c.channel(q)}); err != nil {
			return fmt.Errorf("stackoverflow: queue the comments of answer %d: %w", id, err)
		}
	}
	return nil
}

// queuedRead is an entry of a queue of reads: the id to read and what the
// entry keeps.
type queuedRead struct {
	id    int64
	value json.RawMessage
}

// takeQueued takes from the queue under prefix (keys prefix + id) the next
// 100 reads, or fewer with all (none otherwise: they wait for a full
// request), deleting them in this batch; took is false when it took none.
// An entry whose key names no id is logged and dropped.
func (c *Connector) takeQueued(ctx context.Context, b *builder, prefix string, all bool) (reads []queuedRead, took bool, err error) {
	list, err := b.objs.Scan(ctx, prefix, "", maxIDs)
	if err != nil {
		return nil, false, fmt.Errorf("stackoverflow: queued reads %s: %w", prefix, err)
	}
	if len(list) == 0 || len(list) < maxIDs && !all {
		return nil, false, nil
	}
	out := make([]queuedRead, 0, len(list))
	for _, o := range list {
		b.objs.Delete(o.Key)
		id, err := strconv.ParseInt(strings.TrimPrefix(o.Key, prefix), 10, 64)
		if err != nil || id <= 0 {
			c.log.Warn("stackoverflow: a queued read names no id; dropped", "key", o.Key)
			continue
		}
		out = append(out, queuedRead{id, o.Value})
	}
	return out, true, nil
}

// readComments reads the comments of the answers queued by readPosts, 100
// answers a request: only full requests, or with all every one left.
func (c *Connector) readComments(ctx context.Context, b *builder, all bool) error {
	for {
		list, took, err := c.takeQueued(ctx, b, commentsPrefix, all)
		if err != nil || !took {
			return err
		}
		type parent struct {
			q       *question
			channel string
		}
		parents := make(map[int64]parent, len(list))
		ids := make([]int64, 0, len(list))
		for _, o := range list {
			var p pendingComments
			if err := json.Unmarshal(o.value, &p); err != nil {
				c.log.Warn("stackoverflow: a queued comment read is not readable; dropped", "answer", o.id)
				continue
			}
			ids = append(ids, o.id)
			parents[o.id] = parent{&question{Title: p.Title, Link: p.Link}, p.Channel}
		}
		err = c.getAll(ctx, "/answers/%s/comments", ids, url.Values{"sort": {"creation"}, "order": {"asc"}}, func(raw json.RawMessage) error {
			var page []comment
			if err := json.Unmarshal(raw, &page); err != nil {
				return err
			}
			for i := range page {
				cm := &page[i]
				if p, ok := parents[cm.PostID]; ok {
					b.add(c.tr, c.tr.comment(p.q, cm, true, p.channel), cm.Owner)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("stackoverflow: list comments of answers: %w", err)
		}
	}
}

// getAll reads every page of a vectorized method for ids, at most maxIDs
// at a time; pathFmt has one %s for the ids.
func (c *Connector) getAll(ctx context.Context, pathFmt string, ids []int64, q url.Values, page func(json.RawMessage) error) error {
	for chunk := range slices.Chunk(ids, maxIDs) {
		parts := make([]string, len(chunk))
		for i, id := range chunk {
			parts[i] = strconv.FormatInt(id, 10)
		}
		path := fmt.Sprintf(pathFmt, strings.Join(parts, ";"))
		for p := 1; ; p++ {
			pq := url.Values{"pagesize": {strconv.Itoa(pageSize)}}
			for k, v := range q {
				pq[k] = v
			}
			if p > 1 {
				pq.Set("page", strconv.Itoa(p))
			}
			var raw json.RawMessage
			env, err := c.getRoute(ctx, pathFmt, path, pq, &raw)
			if errors.Is(err, errPageLimit) {
				c.log.Warn("stackoverflow: page above 25 needs a key; the rest of this listing is skipped", "method", pathFmt)
				break
			}
			if err != nil {
				return err
			}
			if err := page(raw); err != nil {
				return c.malformed(env, err)
			}
			if !env.HasMore {
				break
			}
		}
	}
	return nil
}

// userKey is the MissingSet key of the user with id on this site.
func userKey(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// queueProfiles queues a profile read (website_url) for every account of
// this batch whose profile is unknown or older than a day.
func (c *Connector) queueProfiles(ctx context.Context, b *builder) error {
	now := c.now()
	for _, a := range b.accounts {
		if !a.ProfileFetchedAt.IsZero() {
			continue
		}
		if c.profiles != nil {
			t, ok, err := c.profiles.ProfileFetchedAt(ctx, a.AccountRef)
			if err != nil {
				return fmt.Errorf("stackoverflow: profile age of user %s: %w", a.ExternalID, err)
			}
			if ok && now.Sub(t) < profileTTL {
				continue
			}
		}
		id, err := strconv.ParseInt(a.ExternalID, 10, 64)
		if err != nil || id <= 0 || c.client.SkipKnownMissing(ctx, userKey(id)) {
			continue
		}
		if err := b.objs.Put(profileObject(id), true); err != nil {
			return fmt.Errorf("stackoverflow: queue the profile of user %d: %w", id, err)
		}
	}
	return nil
}

// readProfiles reads the queued profiles, 100 per request: only full
// requests, or with all every one left. /users/{ids} does not fail for an
// id it does not know (a deleted user): it leaves it out of items. Such an
// id is remembered, and left out of the requests of later batches and
// passes until the memory expires.
func (c *Connector) readProfiles(ctx context.Context, b *builder, all bool) error {
	now := c.now()
	for {
		list, took, err := c.takeQueued(ctx, b, profilePrefix, all)
		if err != nil || !took {
			return err
		}
		ids := make([]int64, 0, len(list))
		for _, o := range list {
			ids = append(ids, o.id)
		}
		returned := map[int64]bool{}
		err = c.getAll(ctx, "/users/%s", ids, url.Values{"sort": {"creation"}, "order": {"asc"}}, func(raw json.RawMessage) error {
			var users []user
			if err := json.Unmarshal(raw, &users); err != nil {
				return err
			}
			for i := range users {
				returned[users[i].UserID] = true
				if a, ok := c.tr.profile(&users[i], now); ok {
					b.addAccount(a)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("stackoverflow: read user profiles: %w", err)
		}
		// Each chunk of at most 100 ids is one page of 100, so an id not
		// returned is not on a later page.
		for _, id := range ids {
			if !returned[id] {
				c.client.RememberMissing(ctx, userKey(id), 0)
			}
		}
	}
}

// envelope is the common wrapper of every response.
type envelope struct {
	Items          json.RawMessage `json:"items"`
	HasMore        bool            `json:"has_more"`
	QuotaMax       int             `json:"quota_max"`
	QuotaRemaining int             `json:"quota_remaining"`
	Backoff        float64         `json:"backoff"`
	ErrorID        int             `json:"error_id"`
	ErrorName      string          `json:"error_name"`
	ErrorMessage   string          `json:"error_message"`

	status int
	url    string
}

// anonymousPageLimit is the last page an anonymous caller may read.
const anonymousPageLimit = 25

// errPageLimit reports the anonymous page-25 limit (error_id 403).
var errPageLimit = errors.New("page above 25 requires an app key")

func (c *Connector) paused() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now().Before(c.until) {
		return &connectors.ErrRateLimited{Source: c.source, Until: c.until, Reason: c.why}
	}
	return nil
}

// pause stops the source until until (keeping a later pause) and returns
// the error that says so.
func (c *Connector) pause(until time.Time, why string) *connectors.ErrRateLimited {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.until) {
		c.until, c.why = until, why
	}
	return &connectors.ErrRateLimited{Source: c.source, Until: c.until, Reason: c.why}
}

// nextMidnight is the next UTC midnight after t, when the daily quota
// refills (the API does not say when; its quotas are per UTC day).
func nextMidnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

func (c *Connector) get(ctx context.Context, path string, q url.Values, items any) (*envelope, error) {
	return c.getRoute(ctx, path, path, q, items)
}

// getRoute makes one request of the method route (backoffs are per
// method) and decodes its items into items. It honours the method's
// backoff, pauses the source before the quota runs out and turns the API's
// error wrapper into our errors.
func (c *Connector) getRoute(ctx context.Context, route, path string, q url.Values, items any) (*envelope, error) {
	env, err := c.do(ctx, route, path, q)
	if err != nil {
		return nil, err
	}
	if env.ErrorID != 0 || env.status != http.StatusOK {
		err := c.apiError(env, q, c.now())
		var bp *badParameter
		if errors.As(err, &bp) {
			return nil, c.blameKey(ctx, route, path, q, bp)
		}
		return nil, err
	}
	if items != nil {
		if raw, ok := items.(*json.RawMessage); ok {
			*raw = env.Items
		} else if err := json.Unmarshal(env.Items, items); err != nil {
			return nil, c.malformed(env, err)
		}
	}
	return env, nil
}

// do makes one request of the method route and decodes the wrapper; errors
// are the request's own (transport, pauses, unreadable bodies), an error
// answer of the API comes back as the envelope.
func (c *Connector) do(ctx context.Context, route, path string, q url.Values) (*envelope, error) {
	if err := c.paused(); err != nil {
		return nil, err
	}
	// A backoff announced before a restart holds too.
	held := c.client.Held(ctx, route)
	c.mu.Lock()
	if held.After(c.backoff[route]) {
		c.backoff[route] = held
	}
	wait := c.backoff[route].Sub(c.now())
	c.mu.Unlock()
	if wait > 0 {
		if wait > maxBackoffWait {
			return nil, c.pause(c.now().Add(wait), "backoff of "+route)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("wait for the backoff of %s: %w", route, err)
		}
	}
	q.Set("site", c.site)
	q.Set("filter", Filter)
	u := c.apiURL + path + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	// Set ourselves, so that net/http never decompresses behind our back
	// and every body is decoded the same way.
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	req.Header.Set("Accept", "application/json")
	shown := connectors.RedactURL(req.URL)
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL is ours, but say it once, redacted
		}
		var rl *connectors.ErrRateLimited
		if errors.As(err, &rl) {
			return nil, c.pause(rl.Until, rl.Reason)
		}
		return nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	defer resp.Body.Close()
	env := &envelope{status: resp.StatusCode, url: shown}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err == nil {
		raw, err = decompress(resp.Header.Get("Content-Encoding"), raw)
	}
	if err == nil {
		err = json.Unmarshal(raw, env)
	}
	if err != nil {
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return nil, c.malformed(env, err)
		}
		return nil, fmt.Errorf("GET %s: HTTP %d with an unreadable body: %w", shown, resp.StatusCode, err)
	}
	// A keyless probe (blameKey) runs on another quota: keep only its
	// backoff, which is per method.
	c.observe(route, env, c.now(), !withoutKey(ctx))
	c.hold(ctx, route)
	return env, nil
}

// hold records the backoff of route and the source's pause, so that a
// restart honours them (the client's store of waits).
func (c *Connector) hold(ctx context.Context, route string) {
	c.mu.Lock()
	backoff, until := c.backoff[route], c.until
	c.mu.Unlock()
	c.client.Hold(ctx, route, backoff)
	c.client.Hold(ctx, "", until)
}

func (c *Connector) malformed(env *envelope, err error) error {
	return &connectors.ErrMalformed{Source: c.source, URL: env.url, Status: env.status, Err: err}
}

// observe records the backoff of route and, with quota, the quota, pausing
// the source when quota_remaining is down to the reserve.
func (c *Connector) observe(route string, env *envelope, now time.Time, quota bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if env.Backoff > 0 {
		c.backoff[route] = now.Add(time.Duration(env.Backoff * float64(time.Second)))
	}
	if !quota || env.QuotaMax <= 0 {
		return
	}
	c.quota = quotaState{Max: env.QuotaMax, Remaining: env.QuotaRemaining, Seen: true}
	if env.QuotaRemaining <= reserve(env.QuotaMax) {
		if until := nextMidnight(now); until.After(c.until) {
			c.until, c.why = until, fmt.Sprintf("daily quota down to its reserve (%d of %d left)", env.QuotaRemaining, env.QuotaMax)
		}
	}
}

// reserve is how much of a daily quota of quotaMax requests is left
// unused: 1%, at least minReserve.
func reserve(quotaMax int) int { return max(minReserve, quotaMax/100) }

var availableIn = regexp.MustCompile(`(?i)available in (\d+) seconds?`)

// waitHint reads the wait a throttle_violation's message may state ("more
// requests available in N seconds"): the only place the API says it. It is
// a hint, never a decision: the error is known to be a throttle from its
// error_id, and the hint may only lengthen the pause chosen from structure,
// so a reworded message costs at worst an early retry that is throttled
// again, never a wrong decision.
func waitHint(msg string) (time.Duration, bool) {
	m := availableIn.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// apiError turns the error wrapper into our errors. It decides on
// error_id and on what the request was (keyed, page), never on
// error_message, which is prose the API may reword; the message is only
// shown.
func (c *Connector) apiError(env *envelope, q url.Values, now time.Time) error {
	msg := env.ErrorMessage
	switch env.ErrorID {
	case 502: // throttle_violation: quota spent or backoff ignored
		// The wrapper says nothing structured about when requests are
		// available again: a quota seen spent refills at the next UTC
		// midnight, else pause a few minutes. The message's wait can
		// only lengthen that pause (see waitHint).
		until := now.Add(defaultThrottlePause)
		if c.lowQuota() {
			until = nextMidnight(now)
		}
		if d, ok := waitHint(msg); ok && now.Add(d).After(until) {
			until = now.Add(d)
		}
		return c.pause(until, "throttle_violation: "+msg)
	case 401, 402, 405, 406:
		return c.unauthorized(env)
	case 400:
		if c.keyed {
			return &badParameter{env: env}
		}
	case 403:
		// access_denied on a page past the anonymous limit, asked
		// without a key, is the page limit.
		if page, _ := strconv.Atoi(q.Get("page")); !c.keyed && page > anonymousPageLimit {
			return errPageLimit
		}
	}
	if env.ErrorID == 0 {
		return fmt.Errorf("GET %s: HTTP %d", env.url, env.status)
	}
	return fmt.Errorf("GET %s: %s (error_id %d): %s", env.url, env.ErrorName, env.ErrorID, msg)
}

// badParameter is a bad_parameter (error_id 400) answer to a keyed
// request: the key or another parameter was refused, which the wrapper
// tells only in prose.
type badParameter struct{ env *envelope }

func (e *badParameter) Error() string {
	return fmt.Sprintf("GET %s: %s (error_id %d): %s", e.env.url, e.env.ErrorName, e.env.ErrorID, e.env.ErrorMessage)
}

type noKeyKey struct{}

// withoutKey reports whether ctx asks the client not to add the key.
func withoutKey(ctx context.Context) bool { return ctx.Value(noKeyKey{}) != nil }

// blameKey finds out whether a bad_parameter answer to a keyed request was
// about the key, without reading its prose: it repeats the request without
// the key. Refused again with bad_parameter, another parameter is at fault
// and the first answer stands; answered otherwise (success or another
// error_id), the key was the parameter at fault: ErrUnauthorized. A
// throttle_violation or a failed request leaves it undecided, and the
// first answer stands.
func (c *Connector) blameKey(ctx context.Context, route, path string, q url.Values, bp *badParameter) error {
	env, err := c.do(context.WithValue(ctx, noKeyKey{}, true), route, path, q)
	if err != nil || env.ErrorID == 400 || env.ErrorID == 502 {
		return bp
	}
	return c.unauthorized(bp.env)
}

func (c *Connector) lowQuota() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.quota.Seen && c.quota.Remaining <= reserve(c.quota.Max)
}

func (c *Connector) unauthorized(env *envelope) error {
	return fmt.Errorf("the service refused the key (%s, error_id %d): check key for source %s: %w",
		env.ErrorName, env.ErrorID, c.source, &connectors.ErrUnauthorized{Source: c.source, URL: env.url})
}

// decompress decodes a body by its Content-Encoding. Stack Exchange always
// compresses, and may omit the header (then gzip is sniffed by its magic
// bytes, zlib by its header); an uncompressed body passes through.
func decompress(encoding string, body []byte) ([]byte, error) {
	enc := strings.ToLower(strings.TrimSpace(encoding))
	isGzip := len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b
	isZlib := len(body) >= 2 && body[0]&0x0f == 8 && (uint16(body[0])<<8|uint16(body[1]))%31 == 0
	var r io.Reader
	switch {
	case enc == "gzip" || enc == "x-gzip" || (enc == "" && isGzip):
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		r = zr
	case enc == "deflate" || (enc == "" && isZlib):
		if isZlib {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				return nil, fmt.Errorf("inflate: %w", err)
			}
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(body)) // raw deflate, as some servers send
		}
	case enc == "" || enc == "identity":
		return body, nil
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return out, nil
}
