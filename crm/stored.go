package crm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Pure helpers shared by the store drivers (crm/sqlite, crm/postgres): how
// a batch is checked, how a stored account is updated from a batch, and
// the text forms both stores keep in their columns (JSON sets, reaction
// counts, tallies, cursors), so that the two stores hold the same values.
// Nothing here touches a database.

// ValidateBatch checks a batch before a store applies it: a source name,
// every account and evidence with a ref, every activity with a key and an
// actor. A batch that fails is rejected whole.
func ValidateBatch(source string, b connectors.Batch) error {
	if source == "" {
		return errors.New("empty source name")
	}
	for i, a := range b.Accounts {
		if a.IsZero() {
			return fmt.Errorf("account %d (%q) has no external id", i, a.Username)
		}
	}
	for i, a := range b.Activities {
		if a.Key == "" {
			return fmt.Errorf("activity %d (%s %s) has no key", i, a.Type, a.URL)
		}
		if a.Actor.IsZero() {
			return fmt.Errorf("activity %s has no actor", a.Key)
		}
	}
	for i, e := range b.Evidence {
		if e.Kind == "" || e.A.IsZero() || e.B.IsZero() {
			return fmt.Errorf("evidence %d (%q) lacks a kind or an account", i, e.Kind)
		}
	}
	for i, o := range b.Objects {
		if o.Key == "" || !utf8.ValidString(o.Key) || strings.ContainsRune(o.Key, 0) {
			return fmt.Errorf("per-object state %d has an empty key or one that is not text", i)
		}
		if o.Value != nil && (!utf8.Valid(o.Value) || bytes.IndexByte(o.Value, 0) >= 0 || !json.Valid(o.Value)) {
			return fmt.Errorf("per-object state %s is not JSON text", o.Key)
		}
	}
	return nil
}

// MergeAccount returns the stored account old updated with what a says. A
// full profile replaces the profile fields unless the stored one is newer.
// A reference fills the fields it carries; once a full profile is stored,
// it only fills empty ones, so that replaying an old batch cannot undo a
// newer profile. E-mails and links always accumulate.
func MergeAccount(old, a connectors.Account) connectors.Account {
	next := old
	switch {
	case !a.ProfileFetchedAt.IsZero():
		if a.ProfileFetchedAt.Before(old.ProfileFetchedAt) {
			break
		}
		next.Username, next.Name, next.URL, next.AvatarURL = a.Username, a.Name, a.URL, a.AvatarURL
		next.Followers, next.Bot = a.Followers, a.Bot
		next.Reputation = a.Reputation
		next.ProfileFetchedAt = a.ProfileFetchedAt
		// Verification can be withdrawn: a full profile says what holds now.
		next.VerifiedLinks = MergeSet(a.VerifiedLinks, nil)
	default:
		fill := func(dst *string, src string) {
			if src != "" && (*dst == "" || old.ProfileFetchedAt.IsZero()) {
				*dst = src
			}
		}
		fill(&next.Username, a.Username)
		fill(&next.Name, a.Name)
		fill(&next.URL, a.URL)
		fill(&next.AvatarURL, a.AvatarURL)
		if old.ProfileFetchedAt.IsZero() {
			next.Bot = next.Bot || a.Bot
		}
		// A reference (a post's owner) carries the reputation of when the
		// page was read: the latest non-zero one wins.
		if a.Reputation > 0 {
			next.Reputation = a.Reputation
		}
	}
	if next.NetworkID == "" {
		next.NetworkID = a.NetworkID
	}
	next.Emails = MergeSet(old.Emails, a.Emails)
	next.Links = MergeSet(old.Links, a.Links)
	return next
}

// AccountEqual reports whether two accounts have the same stored fields,
// so that a store writes nothing for an unchanged account.
func AccountEqual(x, y connectors.Account) bool {
	return x.Username == y.Username && x.Name == y.Name && x.URL == y.URL && x.AvatarURL == y.AvatarURL &&
		x.Followers == y.Followers && x.Reputation == y.Reputation && x.Bot == y.Bot && x.ProfileFetchedAt.Equal(y.ProfileFetchedAt) &&
		slices.Equal(x.Emails, y.Emails) && slices.Equal(x.Links, y.Links) &&
		slices.Equal(x.VerifiedLinks, y.VerifiedLinks) && x.NetworkID == y.NetworkID
}

// MergeSet returns the union of a and b, without empty strings, sorted and
// deduplicated; nil when empty.
func MergeSet(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, v := range slices.Concat(a, b) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// EncodeSet is the stored form of a set of strings (e-mails, links): a
// JSON array, "[]" when empty.
func EncodeSet(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s) // []string always marshals
	return string(b)
}

// DecodeSet reads what EncodeSet wrote; an empty array reads as nil.
// Strings without escapes are read directly (as DecodeChannels does),
// anything else through encoding/json, with the same result.
func DecodeSet(s string) ([]string, error) {
	out, ok := decodePlainStrings(s)
	if !ok {
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// EncodeReactions returns the stored reactions_total and reactions of r:
// a nil total and "" for nil r; the JSON object of counts by kind (keys
// sorted), "" when there are none.
func EncodeReactions(r *connectors.Reactions) (*int64, string, error) {
	if r == nil {
		return nil, "", nil
	}
	total := int64(r.Total)
	if len(r.ByKind) == 0 {
		return &total, "", nil
	}
	b, err := json.Marshal(r.ByKind) // map keys are sorted: stable text
	if err != nil {
		return nil, "", fmt.Errorf("encode reactions: %w", err)
	}
	return &total, string(b), nil
}

// DecodeReactions is the inverse of EncodeReactions: nil when the total is
// NULL (valid false: the service reported none).
func DecodeReactions(valid bool, total int64, byKind string) (*connectors.Reactions, error) {
	if !valid {
		return nil, nil
	}
	r := &connectors.Reactions{Total: int(total)}
	if byKind != "" {
		if err := json.Unmarshal([]byte(byKind), &r.ByKind); err != nil {
			return nil, fmt.Errorf("decode reactions %q: %w", byKind, err)
		}
	}
	return r, nil
}

// IdentityScore is one identity's stored scoring inputs (the
// identity_scores row): tallies by activity type, its channels (sorted, at
// most MaxChannels) and its week and month presence.
type IdentityScore struct {
	Tallies  map[string]Tally
	Channels []string
	Weeks    Presence
	Months   Presence
}

// Add counts one new activity of type typ in channel at time at, with
// decay for the tally's base.
func (sc *IdentityScore) Add(typ, channel string, at time.Time, decay float64) {
	if sc.Tallies == nil {
		sc.Tallies = make(map[string]Tally)
	}
	t := sc.Tallies[typ]
	t.Add(at, decay)
	sc.Tallies[typ] = t
	if channel != "" && len(sc.Channels) < MaxChannels {
		if i, found := slices.BinarySearch(sc.Channels, channel); !found {
			sc.Channels = slices.Insert(sc.Channels, i, channel)
		}
	}
	sc.Weeks.Set(WeekOf(at))
	sc.Months.Set(MonthOf(at))
}

// EncodeTallies is the stored tallies column: {"type": [count, base]}.
func EncodeTallies(t map[string]Tally) string {
	m := make(map[string][2]float64, len(t))
	for k, v := range t {
		m[k] = [2]float64{float64(v.Count), v.Base}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// DecodeTallies reads what EncodeTallies wrote. The form EncodeTallies
// writes (keys without escapes, two numbers per key) is read directly,
// anything else through encoding/json: the same result either way (both
// parse numbers with strconv.ParseFloat), the first a few times faster,
// which counts when every member's tallies are read.
//
// The keys are copies, not parts of s, so that the tallies keep no row's
// text alive (see DecodeTalliesWith).
func DecodeTallies(s string) (map[string]Tally, error) {
	return DecodeTalliesWith(s, nil)
}

// DecodeTalliesWith is DecodeTallies with the keys taken from in, so that
// the identities of one read share them (nil: a copy of each).
func DecodeTalliesWith(s string, in Interner) (map[string]Tally, error) {
	if out, ok := decodeTalliesFast(s, in); ok {
		return out, nil
	}
	var m map[string][2]float64
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	out := make(map[string]Tally, len(m))
	for k, v := range m {
		out[in.Intern(k)] = Tally{Count: int(v[0]), Base: v[1]}
	}
	return out, nil
}

// decodeTalliesFast reads {"type":[count,base],...} with keys free of
// escapes and counts that are whole numbers; ok is false for anything
// else (left to encoding/json).
func decodeTalliesFast(s string, in Interner) (map[string]Tally, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	out := make(map[string]Tally, 4)
	rest := s[1 : len(s)-1]
	for rest != "" {
		if rest[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, false
		}
		key := rest[1 : 1+end]
		if !plainJSONString(key) {
			return nil, false
		}
		rest = rest[2+end:]
		if !strings.HasPrefix(rest, ":[") {
			return nil, false
		}
		rest = rest[2:]
		comma := strings.IndexByte(rest, ',')
		closing := strings.IndexByte(rest, ']')
		if comma < 0 || closing < comma {
			return nil, false
		}
		if !jsonNumber(rest[:comma]) || !jsonNumber(rest[comma+1:closing]) {
			return nil, false
		}
		n, err1 := strconv.ParseFloat(rest[:comma], 64)
		base, err2 := strconv.ParseFloat(rest[comma+1:closing], 64)
		if err1 != nil || err2 != nil || n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return nil, false
		}
		if _, dup := out[key]; dup {
			return nil, false
		}
		out[in.Intern(key)] = Tally{Count: int(n), Base: base}
		rest = rest[closing+1:]
		if rest == "" {
			break
		}
		if rest[0] != ',' || len(rest) == 1 {
			return nil, false
		}
		rest = rest[1:]
	}
	return out, true
}

// DecodeChannels reads the stored channels column (EncodeChannels): a
// JSON array of strings. Strings without escapes are read directly,
// anything else through encoding/json, with the same result.
//
// The channels are copies, not parts of s (see DecodeChannelsWith).
func DecodeChannels(s string) ([]string, error) {
	return DecodeChannelsWith(s, nil)
}

// DecodeChannelsWith is DecodeChannels with the channels taken from in, so
// that the identities of one read share them (nil: a copy of each).
func DecodeChannelsWith(s string, in Interner) ([]string, error) {
	if out, ok := decodePlainStrings(s); ok {
		for i, c := range out {
			out[i] = in.Intern(c)
		}
		return out, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	for i, c := range out {
		out[i] = in.Intern(c)
	}
	return out, nil
}

// Interner hands out one copy of each string it is given: values decoded
// from many rows then share their text, and keep none of the rows' text
// alive (a part of a string keeps the whole of it). A nil Interner hands
// out a fresh copy each time. It is not safe for concurrent use.
type Interner map[string]string

// Intern returns the interned copy of s.
func (in Interner) Intern(s string) string {
	if in == nil {
		return strings.Clone(s)
	}
	if v, ok := in[s]; ok {
		return v
	}
	v := strings.Clone(s)
	in[v] = v
	return v
}

// decodePlainStrings reads a JSON array of strings without escapes
// directly; ok is false for anything else (encoding/json reads that).
func decodePlainStrings(s string) ([]string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' || strings.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	rest := s[1 : len(s)-1]
	if rest == "" {
		return []string{}, true
	}
	var out []string
	for {
		if len(rest) < 2 || rest[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, false
		}
		v := rest[1 : 1+end]
		if !plainJSONString(v) {
			return nil, false
		}
		out = append(out, v)
		rest = rest[2+end:]
		if rest == "" {
			return out, true
		}
		if rest[0] != ',' {
			return nil, false
		}
		rest = rest[1:]
	}
}

// plainJSONString reports whether s, between quotes, is a JSON string
// that means itself: valid UTF-8, no escapes, no control characters.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == '\\' {
			return false
		}
	}
	return utf8.ValidString(s)
}

// jsonNumber reports whether s is a number as JSON writes them:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// EncodeChannels is the stored channels column: a JSON array, "[]" when
// empty.
func EncodeChannels(ch []string) string {
	if ch == nil {
		return "[]"
	}
	b, _ := json.Marshal(ch)
	return string(b)
}

// ParseAccountKey reads an AccountRef.String() key back. Platforms and
// instances (host names) contain no '/', so the external id is everything
// after the second one.
func ParseAccountKey(s string) (connectors.AccountRef, error) {
	p, rest, ok1 := strings.Cut(s, "/")
	inst, ext, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 {
		return connectors.AccountRef{}, fmt.Errorf("malformed account key %q", s)
	}
	return connectors.AccountRef{Platform: p, Instance: inst, ExternalID: ext}, nil
}

// JSONInner is s as it appears inside a JSON string (escaped, without the
// quotes): how an account key appears inside an audit row's detail.
func JSONInner(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b[1 : len(b)-1])
}

// EncodeCursor is the opaque page cursor of v (a small struct): base64url
// of its JSON.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v) // plain structs always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor EncodeCursor wrote into v; a malformed one
// wraps ErrInvalidQuery.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("malformed cursor %q: %w", s, ErrInvalidQuery)
	}
	return nil
}

// JoinStep is one time an identity entered a member (an identity_joins row)
// with the audit_log row that says why; JoinReasons of both stores words
// them.
type JoinStep struct {
	Actor, Action, Detail string
	At                    time.Time
}

// joinDetail is what the audit rows of assign, merge, unmerge and move keep.
type joinDetail struct {
	Reason    string   `json:"reason"`
	NewMember any      `json:"new_member"`
	Evidence  []string `json:"evidence"`
	From      int64    `json:"from"`
}

func (st JoinStep) parsed() joinDetail {
	var d joinDetail
	_ = json.Unmarshal([]byte(st.Detail), &d) // written by a store; a bad row only loses its words
	return d
}

// Origin reports whether the step brought the identity in from outside any
// member (an assignment, a split, a manual merge of an unassigned account).
func (st JoinStep) Origin() bool {
	switch st.Action {
	case "assign", "unmerge", "move":
		return true
	case "merge":
		return st.Actor != "resolver" && st.parsed().From == 0
	}
	return false
}

// Words says the step in words.
func (st JoinStep) Words() string {
	d := st.parsed()
	with := func(s, reason string) string {
		if reason != "" {
			return s + ": " + reason
		}
		return s
	}
	switch st.Action {
	case "assign":
		if b, _ := d.NewMember.(bool); b {
			if d.Reason == ReasonNewAccount {
				return "first account of a new member"
			}
			return with("first account of a new member", d.Reason)
		}
		return with("joined by the resolver", d.Reason)
	case "unmerge":
		return with("split out into a member of its own by "+st.Actor, d.Reason)
	case "move":
		return with(fmt.Sprintf("moved by the resolver out of member %d, where an earlier run had put it", d.From), d.Reason)
	case "merge":
		if st.Actor == "resolver" {
			if len(d.Evidence) > 0 {
				return "members merged on evidence: " + strings.Join(d.Evidence, "; ")
			}
			return with("members merged by the resolver", d.Reason)
		}
		return with("merged by "+st.Actor, d.Reason)
	}
	return st.Action + " by " + st.Actor
}

// JoinReasonOf words an identity's join steps (oldest first): from the
// latest step that brought it in from outside any member to the last.
func JoinReasonOf(ident connectors.AccountRef, steps []JoinStep) JoinReason {
	jr := JoinReason{Identity: ident}
	start := 0
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Origin() {
			start = i
			break
		}
	}
	for _, st := range steps[start:] {
		jr.Reasons = append(jr.Reasons, st.Words())
		jr.Actor, jr.At = st.Actor, st.At
	}
	return jr
}

// ScoreDelta accumulates the new activities of a batch per identity, in
// the order identities first appear, for a store to fold into each
// identity's stored IdentityScore once per batch.
type ScoreDelta struct {
	by    map[int64][]scoredActivity
	order []int64
}

type scoredActivity struct {
	typ, channel string
	at           time.Time
}

// Add counts a newly stored activity of identity.
func (d *ScoreDelta) Add(identity int64, a connectors.Activity) {
	if d.by == nil {
		d.by = make(map[int64][]scoredActivity)
	}
	if _, ok := d.by[identity]; !ok {
		d.order = append(d.order, identity)
	}
	d.by[identity] = append(d.by[identity], scoredActivity{a.Type, a.Channel, a.OccurredAt})
}

// Identities returns the identities with new activities, in the order
// they first appeared.
func (d *ScoreDelta) Identities() []int64 { return d.order }

// ApplyTo adds the identity's accumulated activities to sc.
func (d *ScoreDelta) ApplyTo(identity int64, sc *IdentityScore, decay float64) {
	for _, a := range d.by[identity] {
		sc.Add(a.typ, a.channel, a.at, decay)
	}
}
