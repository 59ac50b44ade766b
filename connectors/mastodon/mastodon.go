package mastodon

import (
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
	"strings"
	"sync"
	"time"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
)

//go:embed sample.yaml
var sample string

// Kind registers the Mastodon connector (see connectors/all).
var Kind = connectors.Kind{Name: "mastodon", New: New, Sample: sample}

// Settings are the source settings of a mastodon source.
type Settings struct {
	// Server is the instance URL, e.g. https://fosstodon.org.
	Server string `yaml:"server"`
	// Token is an access token; optional for public data. When it belongs
	// to one of Accounts, that account's notifications are read.
	Token config.Secret `yaml:"token"`
	// Accounts are the community's own accounts: "name" or "name@domain".
	Accounts []string `yaml:"accounts"`
	// Hashtags are followed without '#'.
	Hashtags []string `yaml:"hashtags"`
	// Instance names this server in activity keys (and is the home domain
	// of local accounts without one). Empty means the host of server. Set
	// it when the URL changes but the server does not (a proxy, or the
	// demo's fake on a random port).
	Instance string `yaml:"instance"`
}

const (
	statusLimit  = 40 // max of statuses and hashtag timelines
	accountLimit = 80 // max of account lists and notifications
	// defaultStepsPerBatch bounds the pages one Fetch reads.
	defaultStepsPerBatch = 10
	// maxActivitiesPerBatch ends a batch early once it is this big.
	maxActivitiesPerBatch = 1000
)

// notificationTypes are the notification types the connector reads.
var notificationTypes = []string{"mention", "reblog", "favourite", "follow"}

// Connector reads a Mastodon server with go-mastodon on the shared
// connectors.Client's Transport. Create it with New.
type Connector struct {
	source   string
	settings Settings
	accts    []string // configured accounts, trimmed
	tags     []string // configured hashtags, lower-cased, without '#'
	base     string   // server URL without trailing slash
	tr       translator
	client   *connectors.Client
	// mc is go-mastodon on client's Transport; hc is the same transport
	// for the reads go-mastodon cannot make (see README.md).
	mc  *gomastodon.Client
	hc  *http.Client
	log *slog.Logger
	now func() time.Time
	// missingTTL is how long a lookup that answered 404 is not asked
	// again (the source's missing_ttl).
	missingTTL time.Duration

	stepsPerBatch int

	mu sync.Mutex
	// refreshed is when each hashtag's newest page was last re-read for
	// its counts (see stepTagRefresh).
	refreshed map[string]time.Time
}

// New returns a Mastodon connector for opts.Source. It validates the
// settings and does no I/O.
func New(opts connectors.Options) (connectors.Connector, error) {
	src := opts.Source
	var s Settings
	if err := config.DecodeSettings(src, &s); err != nil {
		return nil, err
	}
	cfgErr := func(name string, err error) error {
		return &config.Error{File: src.File, Line: src.Line, Field: fmt.Sprintf("sources[%d].%s", src.Index, name), Err: err}
	}
	if s.Server == "" {
		return nil, cfgErr("server", fmt.Errorf("%w: the instance URL, e.g. https://fosstodon.org", config.ErrMissing))
	}
	u, err := url.Parse(s.Server)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, cfgErr("server", fmt.Errorf("%q is not an http(s) URL", s.Server))
	}
	instance := strings.ToLower(u.Host)
	if s.Instance != "" {
		if strings.ContainsAny(s.Instance, "/ @") {
			return nil, cfgErr("instance", fmt.Errorf("%q must be a host name", s.Instance))
		}
		instance = strings.ToLower(s.Instance)
	}
	if len(s.Accounts) == 0 && len(s.Hashtags) == 0 {
		return nil, cfgErr("accounts", fmt.Errorf("%w: at least one of accounts or hashtags", config.ErrMissing))
	}
	c := &Connector{
		source:        src.Name,
		settings:      s,
		base:          strings.TrimRight(s.Server, "/"),
		tr:            translator{instance: instance},
		log:           opts.Logger,
		now:           opts.Now,
		missingTTL:    src.MissingTTL,
		stepsPerBatch: defaultStepsPerBatch,
	}
	for _, a := range s.Accounts {
		a = strings.TrimPrefix(strings.TrimSpace(a), "@")
		if a == "" || strings.ContainsAny(a, "/ ") || strings.Count(a, "@") > 1 {
			return nil, cfgErr("accounts", fmt.Errorf("%q is not name or name@domain", a))
		}
		c.accts = append(c.accts, a)
	}
	for _, t := range s.Hashtags {
		t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))
		if t == "" || strings.ContainsAny(t, "/ #?&") {
			return nil, cfgErr("hashtags", fmt.Errorf("%q is not a hashtag", t))
		}
		if !slicesContains(c.tags, t) {
			c.tags = append(c.tags, t)
		}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	co := connectors.ClientOptions{Source: src.Name, Base: opts.HTTP, Logger: c.log, Now: c.now, Sleep: opts.Sleep, Version: opts.Version, Timeout: opts.HTTPTimeout, Waits: opts.Waits}
	if !s.Token.IsZero() {
		// A token from a credential file is re-read when the file changes.
		co.Token = connectors.NewTokenSource(s.Token, c.log)
	}
	c.client = connectors.NewClient(co)
	c.hc = c.client.LibraryClient()
	// No token for go-mastodon: the shared client's Auth is the one place
	// the secret is handled (the empty "Bearer " go-mastodon then sends is
	// dropped by the transport).
	c.mc = gomastodon.NewClient(&gomastodon.Config{Server: c.base})
	c.mc.Client = *c.hc
	return c, nil
}

// Client returns the connector's HTTP client, for rate-limit metrics.
func (c *Connector) Client() *connectors.Client { return c.client }

// Phases of a pass.
const (
	phaseResolve = iota // look up the tracked accounts and the token's owner
	phaseNotifications
	phaseTags
	phaseAccounts // per tracked account (public path): statuses, checks, followers
	phaseDone
)

// Sub-phases of phaseTags: walk a hashtag from its mark, then refresh the
// counts of its newest page.
const (
	subTagWalk = iota
	subTagRefresh
)

// Sub-phases of phaseAccounts.
const (
	subStatuses = iota
	subChecks
	subFollowers
)

// state is Cursor.State, JSON.
//
//	{
//	  "v": 1,
//	  "accounts": [{"acct": "rollcall@fosstodon.org", "id": "1", "url": "...", "created": "..."}],
//	  "config": ["rollcall"],   // the configured accounts "accounts" resolves
//	  "owner": "rollcall@fosstodon.org",  // tracked account owning the token, if any
//	  "phase": 2, "idx": 0, "sub": 0,     // position in the pass
//	  "top": "17", "max": "12",           // follower walk in progress
//	  "checks": [{"kind": "favourited_by", "status": "9", "tracked": "...", "url": "..."}],
//	  "touched": ["url", ...],            // URLs requested this pass (ETag pruning)
//	  "marks": {                          // kept across passes
//	    "notifications": "123",           // newest notification id committed
//	    "tags": {"rollcall": "1100"},     // newest status id per hashtag
//	    "followers": {"acct": "55"},      // newest follow id (from Link rel=prev)
//	    "watch": {"acct": [{"id": "9", "at": "...", "r": 1, "f": 2, "c": 0}]}  // newest statuses and their counts
//	  }
//	}
type state struct {
	V        int       `json:"v"`
	Accounts []tracked `json:"accounts,omitempty"`
	Config   []string  `json:"config,omitempty"`
	Owner    string    `json:"owner,omitempty"`
	Phase    int       `json:"phase,omitempty"`
	Idx      int       `json:"idx,omitempty"`
	Sub      int       `json:"sub,omitempty"`
	Top      string    `json:"top,omitempty"`
	Max      string    `json:"max,omitempty"`
	Checks   []check   `json:"checks,omitempty"`
	Touched  []string  `json:"touched,omitempty"`
	Marks    marks     `json:"marks"`
}

type tracked struct {
	// Conf is the configured account this one resolves.
	Conf    string    `json:"conf,omitempty"`
	Acct    string    `json:"acct"` // canonical user@home
	ID      string    `json:"id"`
	URL     string    `json:"url,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

type marks struct {
	Notifications string               `json:"notifications,omitempty"`
	Tags          map[string]string    `json:"tags,omitempty"`
	Followers     map[string]string    `json:"followers,omitempty"`
	Watch         map[string][]watched `json:"watch,omitempty"`
}

// watched is one of a tracked account's newest statuses with the counts
// last acted on.
type watched struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Reblogs int       `json:"r,omitempty"`
	Favs    int       `json:"f,omitempty"`
	Replies int       `json:"c,omitempty"`
	URL     string    `json:"u,omitempty"`
}

// check is a pending read of who boosted, favourited or answered a status.
type check struct {
	Kind    string    `json:"kind"` // reblogged_by, favourited_by, context
	Status  string    `json:"status"`
	At      time.Time `json:"at"`
	Tracked string    `json:"tracked"`
	URL     string    `json:"url,omitempty"` // next page, from Link rel=next
}

func (c *Connector) decodeState(raw json.RawMessage) (*state, error) {
	st := &state{V: 1}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, st); err != nil {
			return nil, fmt.Errorf("mastodon: decode cursor: %w", err)
		}
	}
	if st.Marks.Tags == nil {
		st.Marks.Tags = map[string]string{}
	}
	if st.Marks.Followers == nil {
		st.Marks.Followers = map[string]string{}
	}
	if st.Marks.Watch == nil {
		st.Marks.Watch = map[string][]watched{}
	}
	changed := !equalStrings(st.Config, c.accts)
	if st.Config == nil && st.Phase == phaseResolve {
		// The first resolution is in progress (it may span batches): keep
		// the accounts resolved so far while the config still names them.
		changed = slices.ContainsFunc(st.Accounts, func(t tracked) bool { return !slices.Contains(c.accts, t.Conf) })
	}
	if changed {
		// The configured accounts changed: resolve them again.
		st.Accounts, st.Config, st.Owner = nil, nil, ""
		st.Phase, st.Idx, st.Sub, st.Top, st.Max, st.Checks = phaseResolve, 0, 0, "", "", nil
	} else if len(st.Accounts) == len(c.accts) {
		// A cursor from before Conf: accounts were resolved in order.
		for i := range st.Accounts {
			if st.Accounts[i].Conf == "" {
				st.Accounts[i].Conf = c.accts[i]
			}
		}
	}
	return st, nil
}

// acctKey is the MissingSet key of a configured account looked up by acct.
func acctKey(acct string) string { return "acct:" + strings.ToLower(acct) }

// userKey is the MissingSet key of a tracked account, by its canonical
// acct (the account's ExternalID).
func userKey(acct string) string { return "user:" + strings.ToLower(acct) }

// statusKey is the MissingSet key of a status.
func statusKey(id string) string { return "status:" + id }

// unresolved reports whether a configured account is not tracked (its
// lookup answered 404), so that the next pass starts by resolving again:
// the lookup is skipped while it is known missing and made once after.
func (c *Connector) unresolved(st *state) bool {
	for _, a := range c.accts {
		if !slices.ContainsFunc(st.Accounts, func(t tracked) bool { return t.Conf == a }) {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// builder collects one batch.
type builder struct {
	accounts   []connectors.Account
	index      map[string]int
	activities []connectors.Activity
	// staff holds the ExternalIDs of the tracked accounts.
	staff map[string]bool
	// skipped counts activities left out because the status or
	// notification they come from had no id or no time (see add).
	skipped int
}

// addAccount records an account once per batch, a full profile winning
// over a reference.
//
// Staff on Mastodon: the public Account entity has no flag for "works for
// this community". Its bot flag says bot (Account.Bot); its "roles" (local
// accounts only) are the highlighted roles of the server (Owner, Admin,
// Moderator), i.e. the people who run the instance, who are not the
// community's staff on a shared server such as mastodon.social. The
// accounts the community itself configured as its own (settings
// "accounts", resolved by lookup) are: those are reported Staff, wherever
// they appear; nobody else is.
func (b *builder) addAccount(a connectors.Account) {
	if a.IsZero() {
		return
	}
	a.Staff = a.Staff || b.staff[a.ExternalID]
	k := a.AccountRef.String()
	if i, ok := b.index[k]; ok {
		staff := a.Staff || b.accounts[i].Staff
		if !a.ProfileFetchedAt.IsZero() || b.accounts[i].ProfileFetchedAt.IsZero() {
			b.accounts[i] = a
		}
		b.accounts[i].Staff = staff
		return
	}
	b.index[k] = len(b.accounts)
	b.accounts = append(b.accounts, a)
}

// add records an activity and its actor's full profile. An activity
// without an actor is dropped; one whose status had no id (its key would
// be shared by every such status) or no time is dropped and counted.
func (b *builder) add(act connectors.Activity, actor connectors.Account) {
	if act.Actor.IsZero() {
		return
	}
	if !keyHasID(act.Key) || act.ParentKey != "" && !keyHasID(act.ParentKey) || act.OccurredAt.IsZero() {
		b.skipped++
		return
	}
	b.addAccount(actor)
	b.activities = append(b.activities, act)
}

// keyHasID reports whether an activity key "mastodon/instance/type/id"
// has an id, and one that does not start with the ":" that joins a
// status id to an account (an empty status id).
func keyHasID(key string) bool {
	parts := strings.SplitN(key, "/", 4)
	return len(parts) == 4 && parts[3] != "" && !strings.HasPrefix(parts[3], ":")
}

// Fetch reads the next few pages after cur and returns them as one batch.
// The batch's cursor resumes exactly after them; Done is set when a pass
// over every stream is complete.
func (c *Connector) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	st, err := c.decodeState(cur.State)
	if err != nil {
		return connectors.Batch{}, err
	}
	etags := connectors.NewETagSet(cur.ETags)
	ctx = connectors.WithETags(ctx, etags)
	missing := connectors.NewMissingSet(cur.Missing, c.missingTTL, c.now)
	ctx = connectors.WithMissing(ctx, missing)
	b := &builder{index: map[string]int{}, staff: c.trackedSet(st)}
	c.client.TakeStats()
	for steps := 0; steps < c.stepsPerBatch && st.Phase < phaseDone && len(b.activities) < maxActivitiesPerBatch; steps++ {
		if steps > 0 && c.client.RateLimit().Paused {
			break // commit what we have; the next Fetch reports the pause
		}
		if err := c.step(ctx, st, b); err != nil {
			return connectors.Batch{}, err
		}
	}
	if b.skipped > 0 {
		c.log.Warn("mastodon: items left out: the status or notification had no id or no time", "count", b.skipped)
		for range b.skipped {
			c.client.CountSkipped()
		}
	}
	done := st.Phase >= phaseDone
	tags, touched := etags.EndBatch(st.Touched, done)
	st.Touched = touched
	if done {
		next := phaseNotifications
		if c.unresolved(st) {
			next = phaseResolve
		}
		*st = state{V: 1, Accounts: st.Accounts, Config: st.Config, Owner: st.Owner, Phase: next, Marks: st.Marks}
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return connectors.Batch{}, fmt.Errorf("mastodon: encode cursor: %w", err)
	}
	return connectors.Batch{
		Accounts: b.accounts, Activities: b.activities,
		Next: connectors.Cursor{State: raw, ETags: tags, Missing: missing.Map()}, Done: done, Stats: c.client.TakeStats(),
	}, nil
}

// step reads one page and moves the position on.
func (c *Connector) step(ctx context.Context, st *state, b *builder) error {
	switch st.Phase {
	case phaseResolve:
		return c.stepResolve(ctx, st, b)
	case phaseNotifications:
		if st.Owner == "" {
			st.Phase = phaseTags
			return nil
		}
		return c.stepNotifications(ctx, st, b)
	case phaseTags:
		if st.Idx >= len(c.tags) {
			st.Phase, st.Idx = phaseAccounts, 0
			return nil
		}
		if st.Sub == subTagRefresh {
			return c.stepTagRefresh(ctx, st, b)
		}
		return c.stepTag(ctx, st, b)
	case phaseAccounts:
		if st.Idx >= len(st.Accounts) {
			st.Phase, st.Idx = phaseDone, 0
			return nil
		}
		t := st.Accounts[st.Idx]
		if t.Acct == st.Owner {
			st.Idx++ // its notifications cover it
			return nil
		}
		switch st.Sub {
		case subStatuses:
			return c.stepStatuses(ctx, st, t, b)
		case subChecks:
			return c.stepCheck(ctx, st, b)
		default:
			return c.stepFollowers(ctx, st, t, b)
		}
	}
	st.Phase = phaseDone
	return nil
}

func (c *Connector) trackedSet(st *state) map[string]bool {
	m := map[string]bool{}
	for _, t := range st.Accounts {
		m[t.Acct] = true
	}
	return m
}

// stepResolve looks up one configured account by acct (position Idx),
// then, on the first resolution, asks whom the token belongs to. An account
// the server does not know (404) is not tracked: it is logged, remembered,
// and looked up again once a pass after the memory expires.
func (c *Connector) stepResolve(ctx context.Context, st *state, b *builder) error {
	if st.Idx < len(c.accts) {
		acct := c.accts[st.Idx]
		st.Idx++
		if slices.ContainsFunc(st.Accounts, func(t tracked) bool { return t.Conf == acct }) {
			return nil // resolved in an earlier pass
		}
		if c.client.SkipKnownMissing(ctx, acctKey(acct)) {
			return nil
		}
		var a account
		// Without ETags: a 304 would carry no id.
		status, _, err := c.call(connectors.WithETags(ctx, nil), "look up account "+acct, func(ctx context.Context) error {
			got, err := c.mc.AccountLookup(ctx, acct)
			a = fromAccount(got)
			return err
		})
		if err != nil {
			return err
		}
		if status == http.StatusNotFound {
			c.client.RememberMissing(ctx, acctKey(acct), status)
			c.log.Warn("mastodon: configured account not found on the server; not tracked until it is (check sources[].accounts)",
				"account", acct, "instance", c.tr.instance)
			return nil
		}
		if a.ID == "" {
			return c.malformed(c.api("/api/v1/accounts/lookup", url.Values{"acct": {acct}}), status, errors.New("account without id"))
		}
		ref := c.tr.ref(a)
		st.Accounts = append(st.Accounts, tracked{Conf: acct, Acct: ref.ExternalID, ID: a.ID, URL: a.URL, Created: a.CreatedAt.Time})
		b.staff[ref.ExternalID] = true
		b.addAccount(c.tr.account(a, c.now()))
		return nil
	}
	first := st.Config == nil
	st.Config = append([]string(nil), c.accts...)
	st.Phase, st.Idx = phaseNotifications, 0
	if c.settings.Token.IsZero() || !first {
		return nil
	}
	var a account
	status, _, err := c.call(connectors.WithETags(ctx, nil), "verify credentials", func(ctx context.Context) error {
		got, err := c.mc.GetAccountCurrentUser(ctx)
		a = fromAccount(got)
		return err
	})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		// 422: an app token, which belongs to no account.
		c.log.Info("mastodon: the token belongs to no account; reading public endpoints", "status", status)
		return nil
	}
	ref := c.tr.ref(a)
	if c.trackedSet(st)[ref.ExternalID] {
		st.Owner = ref.ExternalID
		return nil
	}
	c.log.Info("mastodon: the token belongs to an account that is not tracked; reading public endpoints", "account", ref.ExternalID)
	return nil
}

// stepNotifications reads one page of the owner's notifications oldest-first
// from the mark (min_id), so that an interruption leaves no gap.
func (c *Connector) stepNotifications(ctx context.Context, st *state, b *builder) error {
	q := url.Values{"types[]": notificationTypes, "limit": {fmt.Sprint(accountLimit)}, "min_id": {orZero(st.Marks.Notifications)}}
	u := c.api("/api/v1/notifications", q)
	// Direct: go-mastodon v0.0.13 sends types[] only from its Notifications
	// iterator, which walks on to older pages; one page newer than the mark
	// is wanted.
	var got []*gomastodon.Notification
	status, _, err := c.get(ctx, "list notifications", u, &got)
	if err != nil {
		return err
	}
	list := make([]notification, 0, len(got))
	for _, n := range got {
		if n != nil {
			list = append(list, fromNotification(n))
		}
	}
	if status != http.StatusOK || len(list) == 0 {
		st.Phase = phaseTags
		return nil
	}
	owner := st.Owner
	var ownerURL string
	for _, t := range st.Accounts {
		if t.Acct == owner {
			ownerURL = t.URL
		}
	}
	now := c.now()
	for _, n := range list {
		if newer(n.ID, st.Marks.Notifications) {
			st.Marks.Notifications = n.ID
		}
		actor := c.tr.account(n.Account, now)
		at := n.CreatedAt.Time
		switch {
		case n.Type == "follow":
			b.add(c.tr.follow(owner, ownerURL, n.Account, at), actor)
		case n.Status == nil:
		case n.Type == "mention":
			b.add(c.tr.mentionOf(*n.Status, owner, at), actor)
		case n.Type == "reblog":
			b.add(c.tr.reaction(TypeBoost, *n.Status, owner, n.Account, at), actor)
		case n.Type == "favourite":
			b.add(c.tr.reaction(TypeFavourite, *n.Status, owner, n.Account, at), actor)
		}
	}
	return nil
}

// stepTag reads one page of a hashtag timeline oldest-first from its mark.
func (c *Connector) stepTag(ctx context.Context, st *state, b *builder) error {
	tag := c.tags[st.Idx]
	list, status, err := c.tagTimeline(ctx, "list #"+tag, tag, gomastodon.Pagination{MinID: gomastodon.ID(orZero(st.Marks.Tags[tag])), Limit: statusLimit})
	if err != nil {
		return err
	}
	if status != http.StatusOK || len(list) == 0 {
		st.Sub = subTagRefresh
		return nil
	}
	tracked := c.trackedSet(st)
	now := c.now()
	for _, s := range list {
		if newer(s.ID, st.Marks.Tags[tag]) {
			st.Marks.Tags[tag] = s.ID
		}
		if s.Reblog != nil {
			continue
		}
		c.addTagStatus(b, s, tag, tracked, now)
	}
	return nil
}

// tagTimeline reads one page of a hashtag timeline with go-mastodon, or
// directly for a hashtag with a '%' (go-mastodon unescapes it back into
// the path and cannot make the request; Mastodon's hashtags never hold
// one, a configured one may).
func (c *Connector) tagTimeline(ctx context.Context, op, tag string, pg gomastodon.Pagination) ([]status, int, error) {
	var got []*gomastodon.Status
	if strings.Contains(tag, "%") {
		u := c.api("/api/v1/timelines/tag/"+url.PathEscape(tag), pageValues(pg))
		status, _, err := c.get(ctx, op, u, &got)
		return fromStatuses(got), status, err
	}
	status, _, err := c.call(ctx, op, func(ctx context.Context) error {
		var err error
		got, err = c.mc.GetTimelineHashtag(ctx, tag, false, &pg)
		return err
	})
	return fromStatuses(got), status, err
}

// pageValues are the query parameters go-mastodon sends for pg.
func pageValues(pg gomastodon.Pagination) url.Values {
	q := url.Values{}
	for k, v := range map[string]gomastodon.ID{"max_id": pg.MaxID, "since_id": pg.SinceID, "min_id": pg.MinID} {
		if v != "" {
			q.Set(k, string(v))
		}
	}
	if pg.Limit > 0 {
		q.Set("limit", fmt.Sprint(pg.Limit))
	}
	return q
}

// addTagStatus emits a hashtag status as a post by its author and a
// mention of each tracked account it names (other than its author).
func (c *Connector) addTagStatus(b *builder, s status, tag string, tracked map[string]bool, now time.Time) {
	actor := c.tr.account(s.Account, now)
	b.add(c.tr.post(s, tag), actor)
	for _, m := range c.tr.mentions(s, tracked) {
		if m != actor.ExternalID {
			b.add(c.tr.mentionOf(s, m, s.CreatedAt.Time), actor)
		}
	}
}

// stepTagRefresh re-reads the newest page (statusLimit statuses) of a
// hashtag timeline, without min_id, after its walk, at most once every
// reactionsEvery (the connector remembers when, in memory: a restarted
// daemon refreshes on its first pass, so that later refreshes of an
// unchanged page are free): favourites and boosts do not bring a status
// back into a min_id walk, so this page carries the counts of the newest
// statuses. The request is conditional
// (an unchanged page is a free 304) and carries no paging parameter (it
// does not spend the paging limit). Only statuses the walk has read (at or
// below the mark) are emitted; the store updates their counts.
func (c *Connector) stepTagRefresh(ctx context.Context, st *state, b *builder) error {
	tag := c.tags[st.Idx]
	st.Sub, st.Idx = subTagWalk, st.Idx+1
	now := c.now()
	c.mu.Lock()
	last, ok := c.refreshed[tag]
	c.mu.Unlock()
	if ok && now.Sub(last) < reactionsEvery && !now.Before(last) {
		return nil
	}
	list, status, err := c.tagTimeline(ctx, "refresh #"+tag, tag, gomastodon.Pagination{Limit: statusLimit})
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.refreshed == nil {
		c.refreshed = map[string]time.Time{}
	}
	c.refreshed[tag] = now
	c.mu.Unlock()
	if status != http.StatusOK {
		return nil
	}
	tracked := c.trackedSet(st)
	for _, s := range list {
		if s.Reblog != nil || newer(s.ID, st.Marks.Tags[tag]) {
			continue
		}
		c.addTagStatus(b, s, tag, tracked, now)
	}
	return nil
}

// reactionsEvery is how often a hashtag's newest page is re-read for its
// favourite and boost counts: a count an hour old is fresh enough for the
// champions and health figures, so not on every pass.
const reactionsEvery = time.Hour

// stepStatuses reads the tracked account's newest statuses (one request,
// conditional) and queues who-boosted, who-favourited and replies reads for
// the statuses whose counts changed since the last pass.
func (c *Connector) stepStatuses(ctx context.Context, st *state, t tracked, b *builder) error {
	st.Sub = subFollowers
	if c.client.SkipKnownMissing(ctx, userKey(t.Acct)) {
		return nil
	}
	var list []status
	status, _, err := c.call(ctx, "list statuses of "+t.Acct, func(ctx context.Context) error {
		got, err := c.mc.GetAccountStatusesParams(ctx, gomastodon.ID(t.ID), url.Values{"exclude_reblogs": {"true"}}, &gomastodon.Pagination{Limit: statusLimit})
		list = fromStatuses(got)
		return err
	})
	if err != nil {
		return err
	}
	if status == http.StatusNotFound {
		// The tracked account is gone: its followers are not asked either.
		c.client.RememberMissing(ctx, userKey(t.Acct), status)
		return nil
	}
	if status != http.StatusOK {
		return nil // 304: no count changed
	}
	old := map[string]watched{}
	for _, w := range st.Marks.Watch[t.Acct] {
		old[w.ID] = w
	}
	var watch []watched
	for _, s := range list {
		w := watched{ID: s.ID, At: s.CreatedAt.Time, Reblogs: s.ReblogsCount, Favs: s.FavouritesCount, Replies: s.RepliesCount, URL: statusURL(s)}
		o := old[s.ID]
		if w.Reblogs != o.Reblogs {
			st.Checks = append(st.Checks, check{Kind: "reblogged_by", Status: s.ID, At: w.At, Tracked: t.Acct})
		}
		if w.Favs != o.Favs {
			st.Checks = append(st.Checks, check{Kind: "favourited_by", Status: s.ID, At: w.At, Tracked: t.Acct})
		}
		if w.Replies != o.Replies {
			st.Checks = append(st.Checks, check{Kind: "context", Status: s.ID, At: w.At, Tracked: t.Acct})
		}
		watch = append(watch, w)
	}
	st.Marks.Watch[t.Acct] = watch
	if len(st.Checks) > 0 {
		st.Sub = subChecks
	}
	return nil
}

// stepCheck reads one page of the first pending check.
func (c *Connector) stepCheck(ctx context.Context, st *state, b *builder) error {
	if len(st.Checks) == 0 {
		st.Sub = subFollowers
		return nil
	}
	ck := &st.Checks[0]
	if c.client.SkipKnownMissing(ctx, statusKey(ck.Status)) {
		c.nextCheck(st)
		return nil
	}
	// The status itself, for the activity's URL and title.
	ref := status{ID: ck.Status, CreatedAt: mtime{ck.At}}
	for _, w := range st.Marks.Watch[ck.Tracked] {
		if w.ID == ck.Status && w.URL != "" {
			su := w.URL
			ref.URL = &su
		}
	}
	now := c.now()
	next := ""
	if ck.Kind == "context" {
		var sc statusContext
		status, _, err := c.call(ctx, "read replies to "+ck.Status, func(ctx context.Context) error {
			got, err := c.mc.GetStatusContext(ctx, gomastodon.ID(ck.Status))
			if got != nil {
				sc = statusContext{Ancestors: fromStatuses(got.Ancestors), Descendants: fromStatuses(got.Descendants)}
			}
			return err
		})
		if err != nil {
			return err
		}
		if status == http.StatusNotFound {
			c.client.RememberMissing(ctx, statusKey(ck.Status), status)
		}
		if status == http.StatusOK {
			tracked := c.trackedSet(st)
			for _, s := range sc.Descendants {
				actor := c.tr.account(s.Account, now)
				for _, m := range c.tr.mentions(s, tracked) {
					if m == ck.Tracked && m != actor.ExternalID {
						b.add(c.tr.mentionOf(s, m, s.CreatedAt.Time), actor)
					}
				}
			}
		}
	} else {
		var list []account
		op := "list " + ck.Kind + " of " + ck.Status
		var (
			status int
			link   string
			err    error
		)
		if ck.URL != "" {
			// A later page: the URL of Link rel=next as the server
			// gave it, read directly (go-mastodon would rebuild it from
			// max_id/min_id/since_id/limit alone).
			var got []*gomastodon.Account
			status, link, err = c.get(ctx, op, ck.URL, &got)
			list = fromAccounts(got)
		} else {
			status, link, err = c.call(ctx, op, func(ctx context.Context) error {
				pg := &gomastodon.Pagination{Limit: accountLimit}
				var got []*gomastodon.Account
				var err error
				if ck.Kind == "favourited_by" {
					got, err = c.mc.GetFavouritedBy(ctx, gomastodon.ID(ck.Status), pg)
				} else {
					got, err = c.mc.GetRebloggedBy(ctx, gomastodon.ID(ck.Status), pg)
				}
				list = fromAccounts(got)
				return err
			})
		}
		if err != nil {
			return err
		}
		typ := TypeBoost
		if ck.Kind == "favourited_by" {
			typ = TypeFavourite
		}
		if status == http.StatusNotFound {
			c.client.RememberMissing(ctx, statusKey(ck.Status), status)
		}
		if status == http.StatusOK {
			for _, a := range list {
				actor := c.tr.account(a, now)
				if actor.ExternalID == ck.Tracked {
					continue
				}
				// No time is given: the status's created_at is a lower bound.
				b.add(c.tr.reaction(typ, ref, ck.Tracked, a, ck.At), actor)
			}
			next = linkRel(link, "next")
		}
	}
	if next != "" {
		ck.URL = next
		return nil
	}
	c.nextCheck(st)
	return nil
}

// nextCheck drops the first pending check.
func (c *Connector) nextCheck(st *state) {
	st.Checks = st.Checks[1:]
	if len(st.Checks) == 0 {
		st.Sub = subFollowers
	}
}

// stepFollowers reads one page of the tracked account's followers newer than
// the mark (since_id, an internal follow id known from Link rel=prev),
// walking down with max_id while pages are full. When the walk ends the
// mark moves to the newest follow seen and the same request is asked once
// more, so that an idle pass repeats it verbatim.
func (c *Connector) stepFollowers(ctx context.Context, st *state, t tracked, b *builder) error {
	if c.client.SkipKnownMissing(ctx, userKey(t.Acct)) {
		st.Top, st.Max = "", ""
		st.Sub = subStatuses
		st.Idx++
		return nil
	}
	mark, known := st.Marks.Followers[t.Acct]
	var list []account
	pg := &gomastodon.Pagination{SinceID: gomastodon.ID(mark), MaxID: gomastodon.ID(st.Max), Limit: accountLimit}
	status, link, err := c.call(ctx, "list followers of "+t.Acct, func(ctx context.Context) error {
		got, err := c.mc.GetAccountFollowers(ctx, gomastodon.ID(t.ID), pg)
		list = fromAccounts(got)
		return err
	})
	if err != nil {
		return err
	}
	if status == http.StatusNotFound {
		c.client.RememberMissing(ctx, userKey(t.Acct), status)
		st.Top, st.Max = "", ""
		st.Sub = subStatuses
		st.Idx++
		return nil
	}
	if status == http.StatusOK && len(list) > 0 {
		if st.Top == "" {
			// rel=prev, which go-mastodon does not keep: from the header.
			st.Top = paramOf(linkRel(link, "prev"), "since_id")
		}
		at := followTime(st.Marks.Watch[t.Acct], t.Created)
		now := c.now()
		for _, a := range list {
			actor := c.tr.account(a, now)
			// No time is given: first seen ≈ the newest status time known.
			b.add(c.tr.follow(t.Acct, t.URL, a, later(at, a.CreatedAt.Time)), actor)
		}
		if nx := string(pg.MaxID); nx != "" { // go-mastodon's rel=next
			st.Max = nx
			return nil
		}
	}
	top := st.Top
	st.Top, st.Max = "", ""
	if top != "" && (!known || top != mark) {
		st.Marks.Followers[t.Acct] = top
		return nil // ask again from the new mark
	}
	if !known {
		st.Marks.Followers[t.Acct] = ""
	}
	st.Sub = subStatuses
	st.Idx++
	return nil
}

// followTime is the time given to a follow seen without one: the newest
// status time of the tracked account known, else its creation.
func followTime(watch []watched, created time.Time) time.Time {
	at := created
	for _, w := range watch {
		at = later(at, w.At)
	}
	return at
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func orZero(id string) string {
	if id == "" {
		return "0"
	}
	return id
}

// newer reports whether id a is after id b (ids are decimal strings).
func newer(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func (c *Connector) api(path string, q url.Values) string {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// get reads u into v directly, for what go-mastodon cannot ask (see
// README.md), through the same transport. It returns the status: 200 with
// v filled, 304, or 404 and 422 (v untouched); other statuses and
// undecodable bodies are errors.
func (c *Connector) get(ctx context.Context, op, u string, v any) (status int, link string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", fmt.Errorf("mastodon: %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		var (
			rl *connectors.ErrRateLimited
			un *connectors.ErrUnauthorized
		)
		if errors.As(err, &rl) {
			return 0, "", fmt.Errorf("mastodon: %s: %w", op, rl)
		}
		if errors.As(err, &un) {
			return 0, "", fmt.Errorf("mastodon: %s: %w", op, un)
		}
		return 0, "", fmt.Errorf("mastodon: %s: %w", op, err)
	}
	defer resp.Body.Close()
	if connectors.NotModified(resp) {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return http.StatusNotModified, "", nil
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified, http.StatusNotFound, http.StatusUnprocessableEntity:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, "", nil
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, "", fmt.Errorf("mastodon: %s: %s answered %d: %s", op, connectors.RedactURL(req.URL), resp.StatusCode, errorText(body))
	}
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		return 0, "", fmt.Errorf("mastodon: %s: %w", op, c.malformed(u, resp.StatusCode, err))
	}
	return resp.StatusCode, resp.Header.Get("Link"), nil
}

func (c *Connector) malformed(u string, status int, err error) *connectors.ErrMalformed {
	p, _ := url.Parse(u)
	return &connectors.ErrMalformed{Source: c.source, URL: connectors.RedactURL(p), Status: status, Err: err}
}

// errorText returns the "error" of a Mastodon error body, or the body.
func errorText(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(body))
}

// linkRel returns the URL of relation rel in a Link header.
func linkRel(header, rel string) string {
	for _, part := range strings.Split(header, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		u := strings.Trim(strings.TrimSpace(seg[0]), "<>")
		for _, p := range seg[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == rel {
				return u
			}
		}
	}
	return ""
}

// paramOf returns query parameter name of rawURL.
func paramOf(rawURL, name string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Query().Get(name)
}
