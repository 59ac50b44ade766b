package mastodontest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// ErrNotFound is returned by the mutation methods for an unknown account or
// status.
var ErrNotFound = errors.New("mastodontest: not found")

// Notification types the fake creates.
const (
	NotifyMention   = "mention"
	NotifyReblog    = "reblog"
	NotifyFavourite = "favourite"
	NotifyFollow    = "follow"
)

// Account is a Mastodon account, local to the fake's domain or remote.
type Account struct {
	// ID is the account's id on this server; empty lets the fake assign a
	// snowflake-like one.
	ID string
	// Username is the handle without domain, e.g. "alice".
	Username string
	// Domain is the account's home instance; empty means the fake's own
	// domain (a local account, whose acct is the bare username).
	Domain string
	// DisplayName, Note (HTML) and Avatar are profile fields.
	DisplayName, Note, Avatar string
	Bot, Locked               bool
	// Role is the account's role on this server when the role is
	// highlighted (shown on the profile: by default Owner, Admin and
	// Moderator); nil for none. Served in the account's "roles" the way
	// Mastodon 4.x does: only for local accounts ([] when nil), never for
	// remote ones (the field is absent).
	Role *Role
	// Fields are the profile metadata; Value is HTML.
	Fields []Field
	// CreatedAt defaults to the fake's clock; served truncated to the day,
	// as Mastodon does.
	CreatedAt time.Time
}

// Role is a highlighted server role, as the public Account entity shows
// it (Mastodon's REST::RoleSerializer without permissions): id, name and
// color ("" when the role has none).
type Role struct {
	ID, Name, Color string
}

// Field is one profile metadata entry. A non-zero VerifiedAt means the
// server verified a rel="me" link in Value.
type Field struct {
	Name, Value string
	VerifiedAt  time.Time
}

// Status is a post. A boost (made with Boost) is a status whose ReblogOf is
// the boosted status's id.
type Status struct {
	// ID is assigned by the fake from CreatedAt (snowflake-like).
	ID string
	// Account is the author's acct: "alice" (local) or "bob@example.net".
	Account string
	// Content is HTML; empty means the fake writes a paragraph holding the
	// mentions and hashtags as Mastodon renders them.
	Content string
	// Tags are hashtag names without '#'.
	Tags []string
	// Mentions are the accts of mentioned accounts.
	Mentions []string
	// InReplyToID is the id of the status this one answers.
	InReplyToID string
	// ReblogOf is set on boosts.
	ReblogOf string
	// Visibility is "public" (default), "unlisted", "private" or "direct";
	// only public statuses appear in hashtag timelines.
	Visibility string
	// CreatedAt defaults to the fake's clock.
	CreatedAt time.Time
}

// Notification is one entry of an account's notifications.
type Notification struct {
	// ID is a sequence number, as in Mastodon.
	ID string
	// Type is NotifyMention, NotifyReblog, NotifyFavourite or NotifyFollow.
	Type string
	// For is the acct of the account notified.
	For string
	// Account is the acct of the account that acted.
	Account string
	// StatusID is the status concerned (empty for follows).
	StatusID  string
	CreatedAt time.Time
}

// acctOf returns the canonical lower-cased acct of a on a server whose
// domain is local.
func acctOf(a *Account, local string) string {
	if a.Domain == "" || strings.EqualFold(a.Domain, local) {
		return strings.ToLower(a.Username)
	}
	return strings.ToLower(a.Username + "@" + a.Domain)
}

// normAcct canonicalises an acct given by a caller: "@alice@local" and
// "alice@local" become "alice" on the local server.
func normAcct(acct, local string) string {
	acct = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(acct), "@"))
	if u, d, ok := strings.Cut(acct, "@"); ok && strings.EqualFold(d, local) {
		return u
	}
	return acct
}

// AddAccount adds (or replaces, by acct) an account and returns it with
// defaults filled in.
func (s *Server) AddAccount(a Account) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Username == "" || strings.ContainsAny(a.Username, "@/ ") {
		return Account{}, fmt.Errorf("mastodontest: add account %q: a username without @, / or spaces is required", a.Username)
	}
	if strings.EqualFold(a.Domain, s.domain) {
		a.Domain = ""
	}
	k := acctOf(&a, s.domain)
	if old, ok := s.byAcct[k]; ok && a.ID == "" {
		a.ID = old.ID
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	a.CreatedAt = a.CreatedAt.UTC()
	if a.ID == "" {
		a.ID = s.snowflake(a.CreatedAt)
	}
	a.Fields = append([]Field(nil), a.Fields...)
	p := &a
	s.byAcct[k] = p
	s.accounts[a.ID] = p
	return a, nil
}

// Account returns the account with acct ("alice" or "bob@example.net").
func (s *Server) Account(acct string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fakekit.Lookup(s.byAcct, normAcct(acct, s.domain))
}

// RemoveStatus deletes status id as its author would: it leaves every
// timeline, and it and its favourited_by, reblogged_by and context answer
// 404 "Record not found".
func (s *Server) RemoveStatus(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.statuses[id]
	if !ok {
		return fmt.Errorf("%w: status %q", ErrNotFound, id)
	}
	st.removed = true
	return nil
}

// DeleteAccount deletes the account acct and its statuses: looking it up
// and every /api/v1/accounts/:id route answer 404, its statuses are
// removed (see RemoveStatus), and it leaves other accounts' followers,
// favourites and notifications.
func (s *Server) DeleteAccount(acct string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(acct)
	if err != nil {
		return err
	}
	s.deleted[a.ID] = true
	k := acctOf(a, s.domain)
	for _, st := range s.statuses {
		if st.Account == k {
			st.removed = true
		}
	}
	return nil
}

// Status returns the status with id.
func (s *Server) Status(id string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.statuses[id]
	if !ok {
		return Status{}, false
	}
	return st.Status, true
}

func (s *Server) account(acct string) (*Account, error) {
	a, ok := s.byAcct[normAcct(acct, s.domain)]
	if !ok {
		return nil, fmt.Errorf("%w: account %q", ErrNotFound, acct)
	}
	return a, nil
}

// AddStatus adds a status by st.Account. Every mentioned account must exist;
// each is sent a mention notification.
func (s *Server) AddStatus(st Status) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	author, err := s.account(st.Account)
	if err != nil {
		return Status{}, fmt.Errorf("mastodontest: add status: %w", err)
	}
	var ments []*Account
	for _, m := range st.Mentions {
		a, err := s.account(m)
		if err != nil {
			return Status{}, fmt.Errorf("mastodontest: add status: mention: %w", err)
		}
		ments = append(ments, a)
	}
	if st.InReplyToID != "" {
		if _, ok := s.statuses[st.InReplyToID]; !ok {
			return Status{}, fmt.Errorf("mastodontest: add status: %w: status %s replied to", ErrNotFound, st.InReplyToID)
		}
	}
	if st.ReblogOf != "" {
		return Status{}, errors.New("mastodontest: add status: make boosts with Boost")
	}
	if st.CreatedAt.IsZero() {
		st.CreatedAt = s.now()
	}
	st.CreatedAt = st.CreatedAt.UTC()
	st.Account = acctOf(author, s.domain)
	st.Mentions = nil
	for _, m := range ments {
		st.Mentions = append(st.Mentions, acctOf(m, s.domain))
	}
	st.Tags = append([]string(nil), st.Tags...)
	for i, t := range st.Tags {
		st.Tags[i] = strings.ToLower(strings.TrimPrefix(t, "#"))
	}
	if st.Visibility == "" {
		st.Visibility = "public"
	}
	st.ID = s.snowflake(st.CreatedAt)
	rec := &status{Status: st}
	s.statuses[st.ID] = rec
	s.insertStatus(rec)
	if p := s.statuses[st.InReplyToID]; p != nil {
		p.replies++
	}
	for _, m := range ments {
		if m != author {
			s.notify(NotifyMention, m, author, st.ID, st.CreatedAt)
		}
	}
	return st, nil
}

// Boost makes acct boost (reblog) the status id at time at (zero: now) and
// returns the reblog status. The author is sent a reblog notification.
func (s *Server) Boost(acct, id string, at time.Time) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(acct)
	if err != nil {
		return Status{}, fmt.Errorf("mastodontest: boost: %w", err)
	}
	orig, ok := s.statuses[id]
	if !ok || orig.ReblogOf != "" {
		return Status{}, fmt.Errorf("mastodontest: boost: %w: status %s", ErrNotFound, id)
	}
	for _, r := range orig.reblogs {
		if s.statuses[r].Account == acctOf(a, s.domain) {
			return Status{}, fmt.Errorf("mastodontest: boost: %s already boosted %s", acct, id)
		}
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	rb := Status{ID: s.snowflake(at), Account: acctOf(a, s.domain), ReblogOf: id, Visibility: "public", CreatedAt: at}
	rec := &status{Status: rb}
	s.statuses[rb.ID] = rec
	s.insertStatus(rec)
	orig.reblogs = append(orig.reblogs, rb.ID)
	if au := s.byAcct[orig.Account]; au != nil && au != a {
		s.notify(NotifyReblog, au, a, id, at)
	}
	return rb, nil
}

// Favourite makes acct favourite the status id at time at (zero: now). The
// author is sent a favourite notification.
func (s *Server) Favourite(acct, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(acct)
	if err != nil {
		return fmt.Errorf("mastodontest: favourite: %w", err)
	}
	st, ok := s.statuses[id]
	if !ok || st.ReblogOf != "" {
		return fmt.Errorf("mastodontest: favourite: %w: status %s", ErrNotFound, id)
	}
	for _, f := range st.favs {
		if f.account == a.ID {
			return fmt.Errorf("mastodontest: favourite: %s already favourited %s", acct, id)
		}
	}
	if at.IsZero() {
		at = s.now()
	}
	s.seq++
	st.favs = append(st.favs, edge{id: s.seq, account: a.ID, at: at.UTC()})
	if au := s.byAcct[st.Account]; au != nil && au != a {
		s.notify(NotifyFavourite, au, a, id, at)
	}
	return nil
}

// Follow makes follower follow followee at time at (zero: now). The
// followee is sent a follow notification.
func (s *Server) Follow(follower, followee string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(follower)
	if err != nil {
		return fmt.Errorf("mastodontest: follow: %w", err)
	}
	b, err := s.account(followee)
	if err != nil {
		return fmt.Errorf("mastodontest: follow: %w", err)
	}
	if a == b {
		return fmt.Errorf("mastodontest: follow: %s cannot follow itself", follower)
	}
	for _, f := range s.followers[b.ID] {
		if f.account == a.ID {
			return fmt.Errorf("mastodontest: follow: %s already follows %s", follower, followee)
		}
	}
	if at.IsZero() {
		at = s.now()
	}
	s.seq++
	s.followers[b.ID] = append(s.followers[b.ID], edge{id: s.seq, account: a.ID, at: at.UTC()})
	s.following[a.ID]++
	s.notify(NotifyFollow, b, a, "", at)
	return nil
}

// Notifications returns the notifications of acct, newest first.
func (s *Server) Notifications(acct string) []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byAcct[normAcct(acct, s.domain)]
	if !ok {
		return nil
	}
	var out []Notification
	for i := len(s.notifs) - 1; i >= 0; i-- {
		if n := s.notifs[i]; n.forID == a.ID {
			out = append(out, n.Notification)
		}
	}
	return out
}

func (s *Server) notify(typ string, to, from *Account, statusID string, at time.Time) {
	s.seq++
	s.notifs = append(s.notifs, notification{
		Notification: Notification{
			ID: strconv.FormatUint(s.seq, 10), Type: typ, For: acctOf(to, s.domain),
			Account: acctOf(from, s.domain), StatusID: statusID, CreatedAt: at.UTC(),
		},
		forID: to.ID, fromID: from.ID,
	})
}

// status is a stored status with what the fake maintains about it.
type status struct {
	Status
	removed bool // by RemoveStatus or DeleteAccount
	replies int
	reblogs []string // ids of reblog statuses, oldest first
	favs    []edge
}

// edge is a favourite or follow: an internal id (used in Link headers only),
// the acting account's id and when.
type edge struct {
	id      uint64
	account string
	at      time.Time
}

type notification struct {
	Notification
	forID, fromID string
}

// snowflake returns a fresh id for time t: milliseconds since the epoch
// shifted left by 16 bits plus a sequence, like Mastodon's.
func (s *Server) snowflake(t time.Time) string {
	id := uint64(max(t.UnixMilli(), 0)) << 16
	for s.ids[id] {
		id++
	}
	s.ids[id] = true
	return strconv.FormatUint(id, 10)
}

// insertStatus keeps s.order sorted by id.
func (s *Server) insertStatus(st *status) {
	n := idNum(st.ID)
	i := len(s.order)
	for i > 0 && idNum(s.order[i-1].ID) > n {
		i--
	}
	s.order = append(s.order, nil)
	copy(s.order[i+1:], s.order[i:])
	s.order[i] = st
}

func idNum(id string) uint64 {
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}
