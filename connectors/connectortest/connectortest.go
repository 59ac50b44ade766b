// Package connectortest is the conformance suite every connector runs
// against its own fake: backfill across pages, incremental re-sync, the cost
// of an idle re-sync, rate-limit pauses, 5xx, malformed bodies, and resuming
// after a crash between batches.
//
// A connector's test supplies a Case: its Kind and a constructor for its
// fake seen through the Fake interface. The suite drives the connector the
// way the daemon does (Fetch until Done, committing each batch with its
// cursor) into an in-memory store, with a fake clock: nothing sleeps.
package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
)

// Fake is a service fake as the suite sees it. Each connector's test adapts
// its own fake to it.
type Fake interface {
	// Transport serves requests in-process.
	Transport() http.RoundTripper
	// Settings returns the source's YAML settings (without name, type and
	// interval) that point a connector at this fake.
	Settings() string
	// Grow adds, at time at, new activity of every type the connector
	// collects, and returns how many new activities a sync must then find.
	Grow(at time.Time) int
	// Exhaust spends the rate limit (or quota) so that the service refuses
	// requests until reset.
	Exhaust(reset time.Time)
	// FailNext makes the next n requests answer HTTP status (e.g. 503).
	FailNext(status, n int)
	// MalformedNext makes the next n successful responses carry invalid JSON.
	MalformedNext(n int)
	// Count is how many requests the fake served; Counted how many of them
	// consumed rate limit or quota.
	Count() int
	Counted() int
	// PagesFollowed is how many served requests asked for a page after the
	// first (page=2+, max_id, before=, …).
	PagesFollowed() int
}

// RoleFake is a Fake that knows which of its seeded accounts the
// connector must report as staff of the community (connectors.Account.Staff)
// and as bots, by username. The suite checks them after the backfill: every
// staff username and no other comes out staff; every bot username and no
// other comes out a bot. A platform that reports no staff at all (see
// Case.NoStaff) returns no staff usernames, and then nobody may come out
// staff.
type RoleFake interface {
	Roles() (staff, bots []string)
}

// Case describes one connector for the suite.
type Case struct {
	Kind connectors.Kind
	// New returns a fake seeded with a community big enough to need several
	// pages per stream. now is the suite's clock; the fake must use it for
	// rate-limit windows.
	New func(t *testing.T, now func() time.Time) Fake
	// Types are the activity types the seeded fake must yield.
	Types []string
	// ReplyTypes are the activity types that always answer another
	// activity (a comment, an answer, a review, a like): each must carry a
	// ParentKey that is a well-formed activity key (see WellFormedKey) of
	// its platform and instance. Any other activity's ParentKey, when set,
	// must be well-formed too.
	ReplyTypes []string
	// ReactionTypes are the activity types whose service reports reaction
	// or vote counts on the pages read: each must carry Reactions, whose
	// Total is the sum of its non-zero ByKind counts.
	ReactionTypes []string
	// TextTypes are the activity types that carry a text excerpt: at least
	// one of each must have one. Every excerpt is valid UTF-8, at most
	// connectors.MaxTextRunes runes, without tags or runs of whitespace.
	TextTypes []string
	// IdleMaxCounted bounds the requests an idle re-sync may count against
	// the limit: 0 for services that answer conditional requests with a free
	// 304.
	IdleMaxCounted int
	// Start is the suite's clock at the beginning; zero means 2026-03-01.
	Start time.Time
	// NoStaff says the connector never reports Account.Staff (the service
	// has no notion of the community's staff); a RoleFake then returns no
	// staff, and the suite checks that no account comes out staff, even
	// the ones the fake gives a site role.
	NoStaff bool
}

// Clock is the suite's fake clock: Sleep advances it instead of waiting.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// Now returns the fake time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// Sleep records d and advances the clock by it.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// Store is an in-memory stand-in for the CRM store: it commits a batch,
// its cursor and its per-object memory (Batch.Objects) together, keyed by
// activity key, so replays are no-ops.
type Store struct {
	mu       sync.Mutex
	Acts     map[string]connectors.Activity
	Accounts map[connectors.AccountRef]connectors.Account
	Evidence []connectors.Evidence
	Cursor   connectors.Cursor
	Batches  int
	// Memory is the source's per-object memory (connectors.ObjectState).
	Memory map[string]json.RawMessage
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{Acts: map[string]connectors.Activity{}, Accounts: map[connectors.AccountRef]connectors.Account{},
		Memory: map[string]json.RawMessage{}}
}

// Objects implements connectors.ObjectState (the store holds one source).
func (s *Store) Objects(_ context.Context, _ string, keys []string) (map[string]json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]json.RawMessage, len(keys))
	for _, k := range keys {
		if v, ok := s.Memory[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

// ObjectsAfter implements connectors.ObjectState.
func (s *Store) ObjectsAfter(_ context.Context, _, prefix, after string, limit int) ([]connectors.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []connectors.Object
	for k, v := range s.Memory {
		if strings.HasPrefix(k, prefix) && k > after {
			out = append(out, connectors.Object{Key: k, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b connectors.Object) int { return strings.Compare(a.Key, b.Key) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Apply commits a batch and its cursor.
func (s *Store) Apply(b connectors.Batch) (newActs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range b.Accounts {
		old, ok := s.Accounts[a.AccountRef]
		if !ok || !a.ProfileFetchedAt.IsZero() || old.ProfileFetchedAt.IsZero() {
			if ok && a.ProfileFetchedAt.IsZero() {
				a.ProfileFetchedAt = old.ProfileFetchedAt
			}
			// Staff evidence accumulates, as in the CRM store.
			a.Staff = a.Staff || old.Staff
			s.Accounts[a.AccountRef] = a
		} else if a.Staff && !old.Staff {
			old.Staff = true
			s.Accounts[a.AccountRef] = old
		}
	}
	for _, a := range b.Activities {
		if _, ok := s.Acts[a.Key]; !ok {
			newActs++
		}
		s.Acts[a.Key] = a
	}
	s.Evidence = append(s.Evidence, b.Evidence...)
	for _, o := range b.Objects {
		if o.Value == nil {
			delete(s.Memory, o.Key)
		} else {
			s.Memory[o.Key] = o.Value
		}
	}
	s.Cursor = b.Next
	s.Batches++
	return newActs
}

// Keys returns the stored activity keys, sorted.
func (s *Store) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.Acts))
	for k := range s.Acts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ProfileFetchedAt implements connectors.ProfileAges.
func (s *Store) ProfileFetchedAt(ctx context.Context, ref connectors.AccountRef) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.Accounts[ref]
	if !ok || a.ProfileFetchedAt.IsZero() {
		return time.Time{}, false, nil
	}
	return a.ProfileFetchedAt, true, nil
}

// WellFormedKey reports whether key is an activity key
// "platform/instance/type/external-id" of the given platform and instance,
// with a type of lower-case letters and underscores and a non-empty id.
func WellFormedKey(key, platform, instance string) error {
	if key == "" {
		return errors.New("empty")
	}
	parts := strings.SplitN(key, "/", 4)
	if len(parts) != 4 {
		return fmt.Errorf("%q is not platform/instance/type/id", key)
	}
	if parts[0] != platform || parts[1] != instance {
		return fmt.Errorf("%q is not of %s/%s", key, platform, instance)
	}
	if parts[2] == "" || strings.Trim(parts[2], "abcdefghijklmnopqrstuvwxyz_") != "" {
		return fmt.Errorf("%q: type %q is not lower_case", key, parts[2])
	}
	if strings.TrimSpace(parts[3]) == "" {
		return fmt.Errorf("%q has no id", key)
	}
	return nil
}

// checkReactions checks a's counts; want says they must be present.
func checkReactions(a connectors.Activity, want bool) error {
	r := a.Reactions
	if r == nil {
		if want {
			return errors.New("no reactions")
		}
		return nil
	}
	sum := 0
	for k, n := range r.ByKind {
		if k == "" || n == 0 {
			return fmt.Errorf("reactions %v hold an empty kind or a zero count", r.ByKind)
		}
		sum += n
	}
	if sum != r.Total {
		return fmt.Errorf("reactions total %d, by kind %v", r.Total, r.ByKind)
	}
	return nil
}

// checkText checks an excerpt's bounds and that it is plain text.
func checkText(s string) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8")
	case utf8.RuneCountInString(s) > connectors.MaxTextRunes:
		return fmt.Errorf("%d runes, more than %d", utf8.RuneCountInString(s), connectors.MaxTextRunes)
	case strings.Join(strings.Fields(s), " ") != s:
		return fmt.Errorf("%q: whitespace not collapsed", s)
	case strings.Contains(s, "<p>") || strings.Contains(s, "</"):
		return fmt.Errorf("%q: HTML left", s)
	}
	return nil
}

// Env is one connector under test: fake, clock, store.
type Env struct {
	T     *testing.T
	Case  Case
	Fake  Fake
	Clock *Clock
	Store *Store
}

// NewEnv builds a fresh fake, clock and store for c.
func NewEnv(t *testing.T, c Case) *Env {
	t.Helper()
	start := c.Start
	if start.IsZero() {
		start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	}
	clk := &Clock{now: start}
	return &Env{T: t, Case: c, Fake: c.New(t, clk.Now), Clock: clk, Store: NewStore()}
}

// Source builds the config.Source for the fake's settings.
func (e *Env) Source() config.Source {
	e.T.Helper()
	text := "sources:\n  - name: test\n    type: " + e.Case.Kind.Name + "\n"
	for _, line := range strings.Split(strings.TrimRight(e.Fake.Settings(), "\n"), "\n") {
		text += "    " + line + "\n"
	}
	cfg, err := config.Parse("connectortest.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		e.T.Fatalf("settings of the fake do not parse: %v\n%s", err, text)
	}
	return cfg.Sources[0]
}

// Connector returns a new connector instance, as after a restart.
func (e *Env) Connector() connectors.Connector {
	e.T.Helper()
	c, err := e.Case.Kind.New(connectors.Options{
		Source:   e.Source(),
		Logger:   slog.New(slog.DiscardHandler),
		Now:      e.Clock.Now,
		Sleep:    e.Clock.Sleep,
		HTTP:     e.Fake.Transport(),
		Profiles: e.Store,
		Objects:  e.Store,
		Version:  "test",
	})
	if err != nil {
		e.T.Fatalf("%s: New: %v", e.Case.Kind.Name, err)
	}
	return c
}

// maxBatches guards against a connector that never reports Done.
const maxBatches = 10000

// Sync runs Fetch from the committed cursor until Done or limit batches
// (limit <= 0: no limit), committing each batch. Rate-limit errors wait on
// the fake clock and go on, as the daemon does.
func (e *Env) Sync(c connectors.Connector, limit int) (done bool, err error) {
	ctx := context.Background()
	for i := 0; limit <= 0 || i < limit; i++ {
		if i > maxBatches {
			return false, fmt.Errorf("no Done after %d batches", maxBatches)
		}
		b, err := c.Fetch(ctx, e.Store.Cursor)
		if err != nil {
			return false, err
		}
		e.Store.Apply(b)
		if b.Done {
			return true, nil
		}
	}
	return false, nil
}

// MustSync syncs until Done and fails the test on error.
func (e *Env) MustSync() {
	e.T.Helper()
	if _, err := e.Sync(e.Connector(), 0); err != nil {
		e.T.Fatalf("sync: %v", err)
	}
}

// Run runs every conformance check for c.
func Run(t *testing.T, c Case) {
	ref := NewEnv(t, c)
	ref.MustSync()
	want := ref.Store.Keys()
	refBatches := ref.Store.Batches

	t.Run("backfill", func(t *testing.T) {
		types := map[string]int{}
		for _, a := range ref.Store.Acts {
			types[a.Type]++
			if a.Actor.IsZero() {
				t.Errorf("%s has no actor", a.Key)
			}
			if _, ok := ref.Store.Accounts[a.Actor]; !ok {
				t.Errorf("%s: actor %s is in no batch's accounts", a.Key, a.Actor)
			}
			if a.OccurredAt.IsZero() || a.Platform == "" || !strings.HasPrefix(a.Key, a.Platform+"/") {
				t.Errorf("%s: incomplete activity %+v", a.Key, a)
			}
		}
		for _, typ := range c.Types {
			if types[typ] == 0 {
				t.Errorf("no %s activity after backfill (got %v)", typ, types)
			}
		}
		withText := map[string]bool{}
		for _, k := range ref.Store.Keys() {
			a := ref.Store.Acts[k]
			if err := checkReactions(a, slices.Contains(c.ReactionTypes, a.Type)); err != nil {
				t.Errorf("%s: %v", a.Key, err)
			}
			if a.Text != "" {
				withText[a.Type] = true
				if err := checkText(a.Text); err != nil {
					t.Errorf("%s: text: %v", a.Key, err)
				}
			}
			reply := slices.Contains(c.ReplyTypes, a.Type)
			if a.ParentKey == "" && !reply {
				continue
			}
			if err := WellFormedKey(a.ParentKey, a.Platform, a.Instance); err != nil {
				t.Errorf("%s: parent key: %v", a.Key, err)
			}
			if a.ParentKey == a.Key {
				t.Errorf("%s answers itself", a.Key)
			}
		}
		for _, typ := range c.TextTypes {
			if !withText[typ] {
				t.Errorf("no %s activity carries a text excerpt", typ)
			}
		}
		if rf, ok := ref.Fake.(RoleFake); ok {
			checkRoles(t, ref.Store, rf, c.NoStaff)
		}
		if ref.Fake.PagesFollowed() == 0 {
			t.Errorf("backfill never followed a page: make the seeded community bigger")
		}
		if refBatches < 2 {
			t.Errorf("backfill took %d batch; the crash test needs several", refBatches)
		}
	})

	t.Run("idle re-sync", func(t *testing.T) {
		e := NewEnv(t, c)
		e.MustSync()
		e.Clock.Advance(time.Hour)
		before, beforeAll := e.Fake.Counted(), e.Fake.Count()
		n := len(e.Store.Acts)
		e.MustSync()
		if got := e.Fake.Counted() - before; got > c.IdleMaxCounted {
			t.Errorf("idle re-sync counted %d requests against the limit, want at most %d (of %d made)", got, c.IdleMaxCounted, e.Fake.Count()-beforeAll)
		}
		if len(e.Store.Acts) != n {
			t.Errorf("idle re-sync found %d new activities", len(e.Store.Acts)-n)
		}
	})

	t.Run("incremental re-sync", func(t *testing.T) {
		e := NewEnv(t, c)
		e.MustSync()
		old := e.Store.Keys()
		e.Clock.Advance(time.Hour)
		wantNew := e.Fake.Grow(e.Clock.Now())
		e.Clock.Advance(time.Minute)
		e.MustSync()
		got := e.Store.Keys()
		if len(got)-len(old) != wantNew {
			t.Errorf("incremental re-sync found %d new activities, want %d", len(got)-len(old), wantNew)
		}
		for _, k := range old {
			if _, ok := e.Store.Acts[k]; !ok {
				t.Errorf("%s lost", k)
			}
		}
	})

	t.Run("rate limit pauses until reset", func(t *testing.T) {
		e := NewEnv(t, c)
		reset := e.Clock.Now().Add(17 * time.Minute)
		e.Fake.Exhaust(reset)
		conn := e.Connector()
		_, err := conn.Fetch(context.Background(), connectors.Cursor{})
		var rl *connectors.ErrRateLimited
		if !errors.As(err, &rl) {
			t.Fatalf("Fetch with the limit spent = %v, want ErrRateLimited", err)
		}
		if d := rl.Until.Sub(reset); d < -time.Second || d > time.Minute {
			t.Errorf("paused until %v, want the reset %v", rl.Until, reset)
		}
		// While paused, the connector makes no request at all.
		n := e.Fake.Count()
		if _, err := conn.Fetch(context.Background(), connectors.Cursor{}); !errors.As(err, &rl) {
			t.Errorf("second Fetch while paused = %v, want ErrRateLimited", err)
		}
		if e.Fake.Count() != n {
			t.Errorf("%d requests sent while paused", e.Fake.Count()-n)
		}
		e.Clock.Advance(rl.Until.Sub(e.Clock.Now()) + time.Second)
		if _, err := e.Sync(conn, 0); err != nil {
			t.Fatalf("sync after the reset: %v", err)
		}
		if diff := slices.Compare(want, e.Store.Keys()); diff != 0 {
			t.Errorf("after the pause: %d activities, want %d", len(e.Store.Keys()), len(want))
		}
	})

	t.Run("5xx then success", func(t *testing.T) {
		e := NewEnv(t, c)
		e.Fake.FailNext(503, 2)
		e.MustSync()
		if !slices.Equal(want, e.Store.Keys()) {
			t.Errorf("after 5xx: %d activities, want %d", len(e.Store.Keys()), len(want))
		}
	})

	t.Run("malformed body", func(t *testing.T) {
		e := NewEnv(t, c)
		conn := e.Connector()
		if _, err := e.Sync(conn, 1); err != nil {
			t.Fatal(err)
		}
		committed := e.Store.Cursor
		e.Fake.MalformedNext(1)
		_, err := e.Sync(conn, 1)
		var bad *connectors.ErrMalformed
		if !errors.As(err, &bad) {
			t.Fatalf("Fetch of a malformed body = %v, want ErrMalformed", err)
		}
		if bad.URL == "" || bad.Source == "" {
			t.Errorf("ErrMalformed lacks source or URL: %+v", bad)
		}
		if string(e.Store.Cursor.State) != string(committed.State) {
			t.Errorf("cursor moved past a malformed response")
		}
		if _, err := e.Sync(e.Connector(), 0); err != nil {
			t.Fatalf("sync after the malformed body: %v", err)
		}
		if !slices.Equal(want, e.Store.Keys()) {
			t.Errorf("after a malformed body: %d activities, want %d", len(e.Store.Keys()), len(want))
		}
	})

	t.Run("resume after a crash between batches", func(t *testing.T) {
		// Kill after batch k for up to 12 values of k spread over the pass.
		step := max(1, refBatches/12)
		for k := 1; k < refBatches; k += step {
			e := NewEnv(t, c)
			if done, err := e.Sync(e.Connector(), k); err != nil || done {
				t.Fatalf("k=%d: first run done=%v err=%v", k, done, err)
			}
			e.MustSync()
			if got := e.Store.Keys(); !slices.Equal(want, got) {
				t.Fatalf("killed after batch %d of %d: %d activities, want %d", k, refBatches, len(got), len(want))
			}
		}
	})
}

// checkRoles compares the staff and bot flags of the stored accounts with
// what the fake says its seeded community holds.
func checkRoles(t *testing.T, s *Store, rf RoleFake, noStaff bool) {
	t.Helper()
	staff, bots := rf.Roles()
	gotStaff, gotBot, seen := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, a := range s.Accounts {
		seen[a.Username] = true
		gotStaff[a.Username] = gotStaff[a.Username] || a.Staff
		gotBot[a.Username] = gotBot[a.Username] || a.Bot
	}
	switch {
	case noStaff && len(staff) > 0:
		t.Errorf("the case says the connector reports no staff, but Roles lists %d", len(staff))
	case !noStaff && len(staff) == 0:
		t.Errorf("the seeded community has no staff: seed some (Roles)")
	}
	t.Logf("roles: %d staff, %d bots expected", len(staff), len(bots))
	for _, u := range staff {
		if !seen[u] {
			t.Errorf("staff account %s is in no batch's accounts", u)
		} else if !gotStaff[u] {
			t.Errorf("staff account %s is not reported as staff", u)
		}
	}
	for u, st := range gotStaff {
		if st && !slices.Contains(staff, u) {
			t.Errorf("%s is reported as staff; the fake says it is not", u)
		}
	}
	for _, u := range bots {
		if !seen[u] {
			t.Errorf("bot account %s is in no batch's accounts", u)
		} else if !gotBot[u] {
			t.Errorf("bot account %s is not reported as a bot", u)
		}
	}
	for u, b := range gotBot {
		if b && !slices.Contains(bots, u) {
			t.Errorf("%s is reported as a bot; the fake says it is not", u)
		}
	}
}

// CheckBatch checks what a connector hands the store in one batch, as a
// fuzz target sees it after translating a hostile response: every
// activity has a well-formed key of platform and instance (see
// WellFormedKey) whose id is not "0" (a response that lacked the id),
// matching Platform and Instance fields, an actor and a time, a
// well-formed ParentKey when one is set, reactions whose total is their
// sum, a bounded plain-text excerpt, and valid UTF-8 in every text field;
// every account has a platform and an external id; every piece of
// evidence a kind and two accounts. The store rejects a batch whole when
// an activity lacks a key or an actor (crm.ValidateBatch): a connector
// must leave such an item out, never send it.
func CheckBatch(b connectors.Batch, platform, instance string) error {
	for _, a := range b.Activities {
		if err := checkActivity(a, platform, instance); err != nil {
			return fmt.Errorf("activity %q: %w", a.Key, err)
		}
	}
	for _, a := range b.Accounts {
		if a.IsZero() || a.Platform == "" {
			return fmt.Errorf("account %+v has no platform or external id", a.AccountRef)
		}
		for _, s := range append([]string{a.ExternalID, a.Username, a.Name, a.URL, a.AvatarURL, a.NetworkID}, append(a.Emails, append(a.Links, a.VerifiedLinks...)...)...) {
			if !utf8.ValidString(s) {
				return fmt.Errorf("account %s: %q is not valid UTF-8", a.AccountRef, s)
			}
		}
	}
	for _, e := range b.Evidence {
		if e.Kind == "" || e.A.IsZero() || e.B.IsZero() {
			return fmt.Errorf("evidence %+v lacks a kind or an account", e)
		}
	}
	return nil
}

// checkActivity is CheckBatch for one activity.
func checkActivity(a connectors.Activity, platform, instance string) error {
	if err := WellFormedKey(a.Key, platform, instance); err != nil {
		return err
	}
	parts := strings.SplitN(a.Key, "/", 4)
	if id := parts[3]; id == "0" || strings.HasPrefix(id, "0-") || strings.HasSuffix(id, "/") || strings.HasSuffix(id, "@") || strings.HasSuffix(id, "-by-0") {
		return fmt.Errorf("id %q names nothing: the response lacked it", id)
	}
	switch {
	case a.Platform != platform || a.Instance != instance:
		return fmt.Errorf("platform/instance %s/%s in a key of %s/%s", a.Platform, a.Instance, platform, instance)
	case a.Type != parts[2]:
		return fmt.Errorf("type %q in a key of type %q", a.Type, parts[2])
	case a.Actor.IsZero() || a.Actor.Platform == "":
		return errors.New("no actor")
	case a.OccurredAt.IsZero():
		return errors.New("no time")
	}
	if a.ParentKey != "" {
		if err := WellFormedKey(a.ParentKey, platform, instance); err != nil {
			return fmt.Errorf("parent key: %w", err)
		}
	}
	if err := checkReactions(a, false); err != nil {
		return err
	}
	if a.Text != "" {
		if err := checkText(a.Text); err != nil {
			return fmt.Errorf("text: %w", err)
		}
	}
	for _, s := range []string{a.Key, a.URL, a.Title, a.Channel, a.ParentKey, a.Actor.ExternalID} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%q is not valid UTF-8", s)
		}
	}
	return nil
}
