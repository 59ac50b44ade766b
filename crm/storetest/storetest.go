package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// TableCounter is implemented by stores that can count their rows per
// table; when the store under test has it, Run checks that a replayed batch
// adds and removes no rows.
type TableCounter interface {
	TableCounts(ctx context.Context) (map[string]int64, error)
}

// Run runs the conformance suite. The subtests of people's decisions
// (merge, unmerge, suggestions, forget, overrides) run when the store
// implements crm.IdentityStore and crm.Curator, and are skipped otherwise. open must return a new, empty store for
// each call and arrange for it to be closed (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) crm.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s crm.Store)
	}{
		{"ApplyThenRead", testApplyThenRead},
		{"ReplayChangesNothing", testReplay},
		{"CursorETagsAndMissingReplacedWhole", testCursor},
		{"ReferenceKeepsProfile", testReferenceKeepsProfile},
		{"UnknownActorStillStored", testUnknownActor},
		{"AssignAndNewMembers", testAssign},
		{"AssignIsAtomic", testAssignAtomic},
		{"MemberNameFromBestIdentity", testMemberName},
		{"Evidence", testEvidence},
		{"MembersSearchAndLimit", testMembersSearch},
		{"MemberByUsername", testMemberByUsername},
		{"JourneyOldestFirst", testJourney},
		{"ConcurrentApply", testConcurrentApply},
		{"FailedApplyIsAtomic", testFailedApply},
		{"VerifiedLinksAndNetworkID", testVerifiedLinks},
		{"TextWithNULAndInvalidUTF8", testUnstorableText},
		{"PerObjectState", testObjects},
		{"WaitsKeptAcrossRestarts", testWaits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
	for _, tt := range readTests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
	for _, tt := range leaseTests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			ls, ok := s.(Leaser)
			if !ok {
				t.Skipf("%T keeps no leases", s)
			}
			tt.fn(t, s, ls)
		})
	}
	runIncremental(t, open)
	for _, tt := range append(decisionTests, readDecisionTests...) {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			is, c := curated(t, s)
			tt.fn(t, s, is, c)
		})
	}
}

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.UTC)

// at returns t0 plus h hours, in a non-UTC zone so that stores must
// normalise.
func at(h int) time.Time {
	return t0.Add(time.Duration(h) * time.Hour).In(time.FixedZone("X", 2*3600))
}

func gh(id string) connectors.AccountRef {
	return connectors.AccountRef{Platform: connectors.PlatformGitHub, Instance: "github.com", ExternalID: id}
}

func gitRef(email string) connectors.AccountRef {
	return connectors.AccountRef{Platform: connectors.PlatformGit, ExternalID: email}
}

// profile is a full profile fetched at t0.
func profile(id, username, name string, emails ...string) connectors.Account {
	return connectors.Account{
		AccountRef: gh(id), Username: username, Name: name,
		URL: "https://github.com/" + username, AvatarURL: "https://avatars.example/" + id,
		Emails: emails, Followers: 7, ProfileFetchedAt: t0,
	}
}

// ref is a reference-only account.
func ref(id, username string) connectors.Account {
	return connectors.Account{AccountRef: gh(id), Username: username, URL: "https://github.com/" + username}
}

func act(key string, actor connectors.AccountRef, h int) connectors.Activity {
	return connectors.Activity{
		Key: "github/github.com/" + key, Platform: connectors.PlatformGitHub, Instance: "github.com",
		Type: "issue_comment", OccurredAt: at(h), Actor: actor,
		URL: "https://github.com/o/r/" + key, Title: "title " + key, Channel: "o/r",
	}
}

func cursor(state string, etags map[string]string) connectors.Cursor {
	return connectors.Cursor{State: json.RawMessage(state), ETags: etags}
}

var cmpOpts = []cmp.Option{cmpopts.EquateEmpty()}

func apply(t *testing.T, s crm.Store, source string, b connectors.Batch) crm.ApplyResult {
	t.Helper()
	res, err := s.Apply(t.Context(), source, b)
	if err != nil {
		t.Fatalf("Apply(%s): %v", source, err)
	}
	return res
}

// assignAllNew puts every unassigned identity into a new member of its own
// and returns the member id of each account.
func assignAllNew(t *testing.T, s crm.Store) map[connectors.AccountRef]int64 {
	t.Helper()
	ids, err := s.Unassigned(t.Context(), 0)
	if err != nil {
		t.Fatalf("Unassigned: %v", err)
	}
	var as []crm.Assignment
	for _, id := range ids {
		as = append(as, crm.Assignment{IdentityID: id.ID, Reason: "new account"})
	}
	if err := s.Assign(t.Context(), as); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	out := make(map[connectors.AccountRef]int64)
	for _, id := range ids {
		got, err := s.IdentityByRef(t.Context(), id.AccountRef)
		if err != nil {
			t.Fatalf("IdentityByRef(%s): %v", id.AccountRef, err)
		}
		if got.MemberID == 0 {
			t.Fatalf("identity %s not assigned after Assign", id.AccountRef)
		}
		out[id.AccountRef] = got.MemberID
	}
	return out
}

func members(t *testing.T, s crm.Store, q crm.MemberQuery) []crm.Member {
	t.Helper()
	ms, err := s.Members(t.Context(), q)
	if err != nil {
		t.Fatalf("Members(%+v): %v", q, err)
	}
	return ms
}

func names(ms []crm.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func journey(t *testing.T, s crm.Store, id int64) crm.Journey {
	t.Helper()
	j, err := s.Journey(t.Context(), id)
	if err != nil {
		t.Fatalf("Journey(%d): %v", id, err)
	}
	return j
}

func keys(j crm.Journey) []string {
	var out []string
	for _, a := range j.Activities {
		out = append(out, a.Key)
	}
	return out
}

// sampleBatch has a full profile (alice), a reference (bob), three
// activities and one piece of evidence.
func sampleBatch() connectors.Batch {
	return connectors.Batch{
		Accounts: []connectors.Account{
			profile("1", "alice", "Alice A", "b@example.com", "a@example.com", "a@example.com"),
			ref("2", "bob"),
		},
		Activities: []connectors.Activity{
			act("issue/10", gh("1"), 2),
			act("issue/11", gh("2"), 3),
			act("issue/9", gh("1"), 1),
		},
		Evidence: []connectors.Evidence{{Kind: connectors.EvidenceCommitAuthorLogin, A: gitRef("a@example.com"), B: gh("1")}},
		Next:     cursor(`{"since":"x"}`, map[string]string{"https://api/u": `"e1"`}),
	}
}

func testApplyThenRead(t *testing.T, s crm.Store) {
	ctx := t.Context()
	res := apply(t, s, "gh", sampleBatch())
	if diff := cmp.Diff(crm.ApplyResult{NewActivities: 3, NewAccounts: 2}, res); diff != "" {
		t.Errorf("ApplyResult (-want +got):\n%s", diff)
	}
	if ft, ok, err := s.ProfileFetchedAt(ctx, gh("1")); err != nil || !ok || !ft.Equal(t0) {
		t.Errorf("ProfileFetchedAt(alice) = %v, %v, %v; want %v, true, nil", ft, ok, err, t0)
	}
	if _, ok, err := s.ProfileFetchedAt(ctx, gh("2")); err != nil || ok {
		t.Errorf("ProfileFetchedAt(bob) ok = %v, err = %v; want false, nil", ok, err)
	}
	if _, ok, err := s.ProfileFetchedAt(ctx, gh("404")); err != nil || ok {
		t.Errorf("ProfileFetchedAt(unknown) ok = %v, err = %v; want false, nil", ok, err)
	}
	if ms := members(t, s, crm.MemberQuery{}); len(ms) != 0 {
		t.Errorf("Members before Assign = %v; want none (new identities are unassigned)", names(ms))
	}
	mids := assignAllNew(t, s)

	ms := members(t, s, crm.MemberQuery{})
	alice, err := s.IdentityByRef(ctx, gh("1"))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.IdentityByRef(ctx, gh("2"))
	if err != nil {
		t.Fatal(err)
	}
	wantAlice := crm.Identity{ID: alice.ID, MemberID: mids[gh("1")], Account: profile("1", "alice", "Alice A", "a@example.com", "b@example.com")}
	wantBob := crm.Identity{ID: bob.ID, MemberID: mids[gh("2")], Account: ref("2", "bob")}
	want := []crm.Member{
		{ID: mids[gh("1")], Name: "Alice A", Identities: []crm.Identity{wantAlice}, Primary: gh("1"), ActivityCount: 2, FirstSeen: at(1), LastSeen: at(2)},
		{ID: mids[gh("2")], Name: "bob", Identities: []crm.Identity{wantBob}, Primary: gh("2"), ActivityCount: 1, FirstSeen: at(3), LastSeen: at(3)},
	}
	if diff := cmp.Diff(want, ms, cmpOpts...); diff != "" {
		t.Errorf("Members (-want +got):\n%s", diff)
	}
	for _, m := range ms {
		for _, tm := range []time.Time{m.FirstSeen, m.LastSeen} {
			if tm.Location() != time.UTC {
				t.Errorf("member %d: time %v not in UTC", m.ID, tm)
			}
		}
	}

	m, err := s.Member(ctx, mids[gh("1")])
	if err != nil {
		t.Fatalf("Member: %v", err)
	}
	if diff := cmp.Diff(want[0], m, cmpOpts...); diff != "" {
		t.Errorf("Member (-want +got):\n%s", diff)
	}

	j := journey(t, s, mids[gh("1")])
	wantActs := []crm.Activity{
		{Activity: act("issue/9", gh("1"), 1), IdentityID: alice.ID, MemberID: mids[gh("1")], Username: "alice"},
		{Activity: act("issue/10", gh("1"), 2), IdentityID: alice.ID, MemberID: mids[gh("1")], Username: "alice"},
	}
	if diff := cmp.Diff(crm.Journey{Member: want[0], Activities: wantActs}, j, cmpOpts...); diff != "" {
		t.Errorf("Journey (-want +got):\n%s", diff)
	}
}

// snapshot is everything the suite can read about a store.
type snapshot struct {
	Counts     map[string]int64
	Unassigned []crm.Identity
	Members    []crm.Member
	Journeys   []crm.Journey
	Cursor     connectors.Cursor
	Evidence   []crm.IdentityEvidence
}

func takeSnapshot(t *testing.T, s crm.Store, source string) snapshot {
	t.Helper()
	ctx := t.Context()
	var snap snapshot
	var err error
	if tc, ok := s.(TableCounter); ok {
		if snap.Counts, err = tc.TableCounts(ctx); err != nil {
			t.Fatalf("TableCounts: %v", err)
		}
	}
	if snap.Unassigned, err = s.Unassigned(ctx, 0); err != nil {
		t.Fatalf("Unassigned: %v", err)
	}
	snap.Members = members(t, s, crm.MemberQuery{})
	for _, m := range snap.Members {
		snap.Journeys = append(snap.Journeys, journey(t, s, m.ID))
	}
	if snap.Cursor, err = s.Cursor(ctx, source); err != nil {
		t.Fatalf("Cursor: %v", err)
	}
	if snap.Evidence, err = s.EvidenceOf(ctx, gh("1")); err != nil {
		t.Fatalf("EvidenceOf: %v", err)
	}
	return snap
}

func testReplay(t *testing.T, s crm.Store) {
	b := sampleBatch()
	apply(t, s, "gh", b)
	before := takeSnapshot(t, s, "gh")
	if res := apply(t, s, "gh", b); res != (crm.ApplyResult{}) {
		t.Errorf("replayed ApplyResult = %+v; want zero", res)
	}
	if diff := cmp.Diff(before, takeSnapshot(t, s, "gh"), cmpOpts...); diff != "" {
		t.Errorf("replay before assignment changed the store (-before +after):\n%s", diff)
	}

	assignAllNew(t, s)
	before = takeSnapshot(t, s, "gh")
	if res := apply(t, s, "gh", b); res != (crm.ApplyResult{}) {
		t.Errorf("replayed ApplyResult = %+v; want zero", res)
	}
	if diff := cmp.Diff(before, takeSnapshot(t, s, "gh"), cmpOpts...); diff != "" {
		t.Errorf("replay after assignment changed the store (-before +after):\n%s", diff)
	}
}

func testCursor(t *testing.T, s crm.Store) {
	ctx := t.Context()
	get := func(source string) connectors.Cursor {
		t.Helper()
		c, err := s.Cursor(ctx, source)
		if err != nil {
			t.Fatalf("Cursor(%s): %v", source, err)
		}
		return c
	}
	if diff := cmp.Diff(connectors.Cursor{}, get("none"), cmpOpts...); diff != "" {
		t.Errorf("Cursor of unknown source (-want +got):\n%s", diff)
	}
	withMissing := func(c connectors.Cursor, m map[string]time.Time) connectors.Cursor {
		c.Missing = m
		return c
	}
	until := time.Date(2025, 3, 2, 12, 30, 15, 123456789, time.UTC)
	steps := []connectors.Cursor{
		cursor(`{"page":1}`, map[string]string{"https://a/1": `"x1"`, "https://a/2": `W/"x2"`}),
		withMissing(cursor(`{"page":2}`, map[string]string{"https://a/3": `"x3"`}),
			map[string]time.Time{"issue:o/r#12": until, "user:583231": until.Add(time.Hour)}),
		// The missing set is replaced whole, like the ETags.
		withMissing(cursor(`{"page":3}`, nil), map[string]time.Time{"user:9": until}),
		cursor(`{"page":4}`, nil),
	}
	other := withMissing(cursor(`"other"`, map[string]string{"https://o": "o"}), map[string]time.Time{"user:9": until})
	apply(t, s, "other", connectors.Batch{Next: other})
	for i, c := range steps {
		apply(t, s, "src", connectors.Batch{Next: c})
		if diff := cmp.Diff(c, get("src"), cmpOpts...); diff != "" {
			t.Errorf("step %d: Cursor (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(other, get("other"), cmpOpts...); diff != "" {
		t.Errorf("another source's cursor changed (-want +got):\n%s", diff)
	}
}

func testReferenceKeepsProfile(t *testing.T, s crm.Store) {
	ctx := t.Context()
	full := profile("1", "alice", "Alice A", "a@example.com")
	full.Links = []string{"https://alice.example"}
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{full}})

	// A reference carries less; it must not erase anything.
	r := connectors.Account{AccountRef: gh("1"), Username: "alice", Emails: []string{"z@example.com"}}
	if res := apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{r}}); res.NewAccounts != 0 {
		t.Errorf("NewAccounts = %d for a known account; want 0", res.NewAccounts)
	}
	got, err := s.IdentityByRef(ctx, gh("1"))
	if err != nil {
		t.Fatal(err)
	}
	want := full
	want.Emails = []string{"a@example.com", "z@example.com"}
	if diff := cmp.Diff(want, got.Account, cmpOpts...); diff != "" {
		t.Errorf("after a reference (-want +got):\n%s", diff)
	}

	// A newer full profile replaces the fields; e-mails accumulate.
	newer := profile("1", "alice2", "", "n@example.com")
	newer.ProfileFetchedAt = t0.Add(24 * time.Hour)
	newer.Followers = 9
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{newer}})
	got, err = s.IdentityByRef(ctx, gh("1"))
	if err != nil {
		t.Fatal(err)
	}
	want = newer
	want.Emails = []string{"a@example.com", "n@example.com", "z@example.com"}
	want.Links = []string{"https://alice.example"}
	if diff := cmp.Diff(want, got.Account, cmpOpts...); diff != "" {
		t.Errorf("after a newer profile (-want +got):\n%s", diff)
	}

	// Replaying the first batch (an older profile) does not undo it.
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{full}})
	got, err = s.IdentityByRef(ctx, gh("1"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Account, cmpOpts...); diff != "" {
		t.Errorf("after replaying an older profile (-want +got):\n%s", diff)
	}
}

func testUnknownActor(t *testing.T, s crm.Store) {
	ctx := t.Context()
	res := apply(t, s, "gh", connectors.Batch{Activities: []connectors.Activity{act("pr/1", gh("77"), 1)}})
	if diff := cmp.Diff(crm.ApplyResult{NewActivities: 1, NewAccounts: 1}, res); diff != "" {
		t.Errorf("ApplyResult (-want +got):\n%s", diff)
	}
	un, err := s.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 1 || un[0].AccountRef != gh("77") || un[0].MemberID != 0 {
		t.Fatalf("Unassigned = %+v; want one minimal identity for %s", un, gh("77"))
	}
	mids := assignAllNew(t, s)
	if diff := cmp.Diff([]string{"github/github.com/pr/1"}, keys(journey(t, s, mids[gh("77")]))); diff != "" {
		t.Errorf("Journey keys (-want +got):\n%s", diff)
	}
	// Later, the profile arrives and fills the identity.
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{profile("77", "seven", "Seven S")}})
	m, err := s.Member(ctx, mids[gh("77")])
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Seven S" || len(m.Identities) != 1 || m.Identities[0].Username != "seven" {
		t.Errorf("member after profile = %+v; want name %q with identity seven", m, "Seven S")
	}
}

func testAssign(t *testing.T, s crm.Store) {
	ctx := t.Context()
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{
		ref("1", "first"), ref("2", "second"), profile("3", "third", "Third T"),
	}})
	apply(t, s, "git", connectors.Batch{Accounts: []connectors.Account{{AccountRef: gitRef("x@example.com"), Username: "x"}}})
	un, err := s.Unassigned(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []connectors.AccountRef
	for _, id := range un {
		got = append(got, id.AccountRef)
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("1"), gh("2")}, got); diff != "" {
		t.Errorf("Unassigned(2), oldest first (-want +got):\n%s", diff)
	}
	all, err := s.Unassigned(ctx, 0)
	if err != nil || len(all) != 4 {
		t.Fatalf("Unassigned(0) = %d identities, %v; want 4", len(all), err)
	}
	id := func(r connectors.AccountRef) int64 {
		for _, i := range all {
			if i.AccountRef == r {
				return i.ID
			}
		}
		t.Fatalf("no identity %s", r)
		return 0
	}
	// 1 creates a member, 3 joins it through SameAs, 2 gets its own.
	if err := s.Assign(ctx, []crm.Assignment{
		{IdentityID: id(gh("1")), Reason: "new account"},
		{IdentityID: id(gh("3")), SameAs: id(gh("1")), Reason: "grouped"},
		{IdentityID: id(gh("2")), Reason: "new account"},
	}); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	one, _ := s.IdentityByRef(ctx, gh("1"))
	two, _ := s.IdentityByRef(ctx, gh("2"))
	three, _ := s.IdentityByRef(ctx, gh("3"))
	if one.MemberID == 0 || one.MemberID != three.MemberID || two.MemberID == 0 || two.MemberID == one.MemberID {
		t.Fatalf("members: 1→%d 2→%d 3→%d; want 1 and 3 together, 2 alone", one.MemberID, two.MemberID, three.MemberID)
	}
	// Join an existing member by id.
	if err := s.Assign(ctx, []crm.Assignment{{IdentityID: id(gitRef("x@example.com")), MemberID: two.MemberID, Reason: "commit_author_login"}}); err != nil {
		t.Fatalf("Assign to existing member: %v", err)
	}
	if un, err := s.Unassigned(ctx, 0); err != nil || len(un) != 0 {
		t.Errorf("Unassigned after assigning all = %v, %v; want none", un, err)
	}
	m, err := s.Member(ctx, two.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Identities) != 2 || m.Name != "second" {
		t.Errorf("member %d = %q with %d identities; want %q with 2", m.ID, m.Name, len(m.Identities), "second")
	}
	m, err = s.Member(ctx, one.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Third T" {
		t.Errorf("member name = %q; want the identity with a name, %q", m.Name, "Third T")
	}
	// Re-assigning to the same member is a no-op; to another is a conflict.
	if err := s.Assign(ctx, []crm.Assignment{{IdentityID: one.ID, MemberID: one.MemberID}}); err != nil {
		t.Errorf("Assign to the member it is in: %v", err)
	}
	if err := s.Assign(ctx, []crm.Assignment{{IdentityID: one.ID, MemberID: two.MemberID}}); !errors.Is(err, crm.ErrConflict) {
		t.Errorf("Assign to another member: err = %v; want ErrConflict", err)
	}
	if err := s.Assign(ctx, nil); err != nil {
		t.Errorf("Assign(nil): %v", err)
	}
}

func testAssignAtomic(t *testing.T, s crm.Store) {
	ctx := t.Context()
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("1", "one")}})
	un, err := s.Unassigned(ctx, 0)
	if err != nil || len(un) != 1 {
		t.Fatalf("Unassigned = %v, %v", un, err)
	}
	err = s.Assign(ctx, []crm.Assignment{
		{IdentityID: un[0].ID, Reason: "new account"},
		{IdentityID: un[0].ID + 1000, MemberID: 0, Reason: "no such identity"},
	})
	if !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("Assign with an unknown identity: err = %v; want ErrNotFound", err)
	}
	err = s.Assign(ctx, []crm.Assignment{{IdentityID: un[0].ID, MemberID: 987654, Reason: "no such member"}})
	if !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("Assign to an unknown member: err = %v; want ErrNotFound", err)
	}
	after, err := s.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(un, after, cmpOpts...); diff != "" {
		t.Errorf("failed Assign changed the store (-before +after):\n%s", diff)
	}
	if ms := members(t, s, crm.MemberQuery{}); len(ms) != 0 {
		t.Errorf("failed Assign left members %v", names(ms))
	}
}

func testMemberName(t *testing.T, s crm.Store) {
	ctx := t.Context()
	// carol is the most active but has no name; carol-name has one; dave
	// has neither a name nor activity.
	apply(t, s, "gh", connectors.Batch{
		Accounts: []connectors.Account{ref("1", "carol"), profile("2", "carol-name", "Carol C"), ref("3", "dave")},
		Activities: []connectors.Activity{
			act("c/1", gh("1"), 1), act("c/2", gh("1"), 2), act("c/3", gh("1"), 3),
		},
	})
	one, _ := s.IdentityByRef(ctx, gh("1"))
	two, _ := s.IdentityByRef(ctx, gh("2"))
	three, _ := s.IdentityByRef(ctx, gh("3"))
	if err := s.Assign(ctx, []crm.Assignment{
		{IdentityID: three.ID},
		{IdentityID: one.ID, SameAs: three.ID},
	}); err != nil {
		t.Fatal(err)
	}
	one, _ = s.IdentityByRef(ctx, gh("1"))
	m, err := s.Member(ctx, one.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "carol" {
		t.Errorf("name without any profile name = %q; want the most active username %q", m.Name, "carol")
	}
	if err := s.Assign(ctx, []crm.Assignment{{IdentityID: two.ID, MemberID: m.ID}}); err != nil {
		t.Fatal(err)
	}
	if m, err = s.Member(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if m.Name != "Carol C" || len(m.Identities) != 3 || m.ActivityCount != 3 {
		t.Errorf("member = %q, %d identities, %d activities; want %q, 3, 3", m.Name, len(m.Identities), m.ActivityCount, "Carol C")
	}
}

func testEvidence(t *testing.T, s crm.Store) {
	ctx := t.Context()
	ev := connectors.Evidence{Kind: connectors.EvidenceCommitAuthorLogin, A: gitRef("a@example.com"), B: gh("1")}
	apply(t, s, "gh", connectors.Batch{Evidence: []connectors.Evidence{ev, ev}})
	apply(t, s, "gh", connectors.Batch{Evidence: []connectors.Evidence{ev, {Kind: "same_name", A: gh("1"), B: gh("2")}}})

	check := func(r connectors.AccountRef, want []crm.IdentityEvidence) {
		t.Helper()
		got, err := s.EvidenceOf(ctx, r)
		if err != nil {
			t.Fatalf("EvidenceOf(%s): %v", r, err)
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("EvidenceOf(%s) (-want +got):\n%s", r, diff)
		}
	}
	check(gitRef("a@example.com"), []crm.IdentityEvidence{{Kind: connectors.EvidenceCommitAuthorLogin, Other: gh("1")}})
	// Ordered by the other account's key ("git//..." < "github/..."), then kind.
	check(gh("1"), []crm.IdentityEvidence{
		{Kind: connectors.EvidenceCommitAuthorLogin, Other: gitRef("a@example.com")},
		{Kind: "same_name", Other: gh("2")},
	})
	check(gh("2"), []crm.IdentityEvidence{{Kind: "same_name", Other: gh("1")}})
	check(gh("404"), nil)
}

func searchFixture(t *testing.T, s crm.Store) map[connectors.AccountRef]int64 {
	t.Helper()
	apply(t, s, "gh", connectors.Batch{
		Accounts: []connectors.Account{
			profile("1", "alice", "Alice Liddell", "alice@wonder.example"),
			profile("2", "bob_b", "Robert", "rob@builder.example"),
			ref("3", "Carol"),
		},
		Activities: []connectors.Activity{
			act("a/1", gh("1"), 1),
			act("b/1", gh("2"), 1), act("b/2", gh("2"), 2), act("b/3", gh("2"), 3),
			act("c/1", gh("3"), 1), act("c/2", gh("3"), 2),
		},
	})
	return assignAllNew(t, s)
}

func testMembersSearch(t *testing.T, s crm.Store) {
	searchFixture(t, s)
	for _, tt := range []struct {
		q    crm.MemberQuery
		want []string
	}{
		{crm.MemberQuery{}, []string{"Robert", "Carol", "Alice Liddell"}},
		{crm.MemberQuery{Limit: 2}, []string{"Robert", "Carol"}},
		{crm.MemberQuery{Search: "LIDDELL"}, []string{"Alice Liddell"}},
		{crm.MemberQuery{Search: "carol"}, []string{"Carol"}},
		{crm.MemberQuery{Search: "BOB_"}, []string{"Robert"}},
		{crm.MemberQuery{Search: "@WONDER.example"}, []string{"Alice Liddell"}},
		{crm.MemberQuery{Search: "example"}, []string{"Robert", "Alice Liddell"}},
		{crm.MemberQuery{Search: "example", Limit: 1}, []string{"Robert"}},
		{crm.MemberQuery{Search: "%"}, nil},
		{crm.MemberQuery{Search: "b_b"}, []string{"Robert"}},
		{crm.MemberQuery{Search: "a_i"}, nil}, // '_' is literal, not a wildcard
		{crm.MemberQuery{Search: "nobody"}, nil},
	} {
		got := names(members(t, s, tt.q))
		if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
			t.Errorf("Members(%+v) names (-want +got):\n%s", tt.q, diff)
		}
	}
}

func testMemberByUsername(t *testing.T, s crm.Store) {
	ctx := t.Context()
	mids := searchFixture(t, s)
	for _, u := range []string{"alice", "ALICE", "Alice"} {
		m, err := s.MemberByUsername(ctx, connectors.PlatformGitHub, u)
		if err != nil {
			t.Errorf("MemberByUsername(%q): %v", u, err)
			continue
		}
		if m.ID != mids[gh("1")] || len(m.Identities) != 1 {
			t.Errorf("MemberByUsername(%q) = member %d with %d identities; want %d with 1", u, m.ID, len(m.Identities), mids[gh("1")])
		}
	}
	if _, err := s.MemberByUsername(ctx, connectors.PlatformGitHub, "nobody"); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("MemberByUsername(nobody): err = %v; want ErrNotFound", err)
	}
	if _, err := s.MemberByUsername(ctx, "mastodon", "alice"); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("MemberByUsername on another platform: err = %v; want ErrNotFound", err)
	}
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("9", "loner")}})
	if _, err := s.MemberByUsername(ctx, connectors.PlatformGitHub, "loner"); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("MemberByUsername of an unassigned identity: err = %v; want ErrNotFound", err)
	}
	if _, err := s.Member(ctx, 987654); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("Member(unknown): err = %v; want ErrNotFound", err)
	}
	if _, err := s.Journey(ctx, 987654); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("Journey(unknown): err = %v; want ErrNotFound", err)
	}
	if _, err := s.IdentityByRef(ctx, gh("404")); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("IdentityByRef(unknown): err = %v; want ErrNotFound", err)
	}
}

func testJourney(t *testing.T, s crm.Store) {
	ctx := t.Context()
	// Two identities of one member, applied out of order, with a tie.
	apply(t, s, "gh", connectors.Batch{
		Accounts:   []connectors.Account{ref("1", "dana")},
		Activities: []connectors.Activity{act("x/5", gh("1"), 5), act("x/b", gh("1"), 2), act("x/1", gh("1"), 1)},
	})
	gitAct := connectors.Activity{
		Key: "git//commit/abc", Platform: connectors.PlatformGit, Type: "commit",
		OccurredAt: at(2), Actor: gitRef("dana@example.com"), Title: "fix",
	}
	apply(t, s, "git", connectors.Batch{
		Accounts:   []connectors.Account{{AccountRef: gitRef("dana@example.com"), Username: "Dana"}},
		Activities: []connectors.Activity{gitAct, act("x/3", gh("1"), 3)},
	})
	one, _ := s.IdentityByRef(ctx, gh("1"))
	two, _ := s.IdentityByRef(ctx, gitRef("dana@example.com"))
	if err := s.Assign(ctx, []crm.Assignment{{IdentityID: one.ID}, {IdentityID: two.ID, SameAs: one.ID}}); err != nil {
		t.Fatal(err)
	}
	one, _ = s.IdentityByRef(ctx, gh("1"))
	j := journey(t, s, one.MemberID)
	want := []string{"github/github.com/x/1", "git//commit/abc", "github/github.com/x/b", "github/github.com/x/3", "github/github.com/x/5"}
	if diff := cmp.Diff(want, keys(j)); diff != "" {
		t.Errorf("Journey keys, oldest first, ties by key (-want +got):\n%s", diff)
	}
	for _, a := range j.Activities {
		wantUser := "dana"
		if a.Platform == connectors.PlatformGit {
			wantUser = "Dana"
		}
		if a.Username != wantUser || a.MemberID != one.MemberID || a.IdentityID == 0 || a.OccurredAt.Location() != time.UTC {
			t.Errorf("activity %s: username %q, member %d, identity %d, time %v; want %q, %d, non-zero, UTC",
				a.Key, a.Username, a.MemberID, a.IdentityID, a.OccurredAt, wantUser, one.MemberID)
		}
	}
	if j.Member.ActivityCount != 5 || !j.Member.FirstSeen.Equal(at(1)) || !j.Member.LastSeen.Equal(at(5)) {
		t.Errorf("journey member: %d activities, %v..%v; want 5, %v..%v", j.Member.ActivityCount, j.Member.FirstSeen, j.Member.LastSeen, at(1), at(5))
	}
}

func testConcurrentApply(t *testing.T, s crm.Store) {
	const sources, batches, perBatch = 6, 5, 4
	var wg sync.WaitGroup
	errs := make(chan error, sources*batches)
	for src := range sources {
		wg.Go(func() {
			name := fmt.Sprintf("src-%d", src)
			for b := range batches {
				var batch connectors.Batch
				// Every source also mentions the shared account 1.
				batch.Accounts = []connectors.Account{ref("1", "shared"), ref(fmt.Sprint(100+src), name)}
				for i := range perBatch {
					actor := gh(fmt.Sprint(100 + src))
					if i == 0 {
						actor = gh("1")
					}
					batch.Activities = append(batch.Activities, act(fmt.Sprintf("%s/%d/%d", name, b, i), actor, b*perBatch+i))
				}
				batch.Next = cursor(fmt.Sprintf(`{"batch":%d}`, b), map[string]string{"https://x/" + name: fmt.Sprint(b)})
				res, err := s.Apply(t.Context(), name, batch)
				if err != nil {
					errs <- fmt.Errorf("%s batch %d: %w", name, b, err)
					return
				}
				if res.NewActivities != perBatch {
					errs <- fmt.Errorf("%s batch %d: %d new activities; want %d", name, b, res.NewActivities, perBatch)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for src := range sources {
		name := fmt.Sprintf("src-%d", src)
		c, err := s.Cursor(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		want := cursor(fmt.Sprintf(`{"batch":%d}`, batches-1), map[string]string{"https://x/" + name: fmt.Sprint(batches - 1)})
		if diff := cmp.Diff(want, c, cmpOpts...); diff != "" {
			t.Errorf("Cursor(%s) (-want +got):\n%s", name, diff)
		}
	}
	un, err := s.Unassigned(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != sources+1 {
		t.Errorf("%d identities; want %d (one per source plus the shared one)", len(un), sources+1)
	}
	assignAllNew(t, s)
	total := 0
	for _, m := range members(t, s, crm.MemberQuery{}) {
		total += m.ActivityCount
	}
	if total != sources*batches*perBatch {
		t.Errorf("%d activities stored; want %d", total, sources*batches*perBatch)
	}
}

func testFailedApply(t *testing.T, s crm.Store) {
	ctx := t.Context()
	good := cursor(`{"page":1}`, map[string]string{"https://a": "1"})
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("1", "one")}, Next: good})
	before := takeSnapshot(t, s, "gh")

	bad := connectors.Batch{
		Accounts:   []connectors.Account{ref("2", "two")},
		Activities: []connectors.Activity{act("ok/1", gh("2"), 1), {Key: "", Actor: gh("2"), OccurredAt: at(2)}},
		Evidence:   []connectors.Evidence{{Kind: "k", A: gh("1"), B: gh("2")}},
		Next:       cursor(`{"page":2}`, nil),
	}
	if res, err := s.Apply(ctx, "gh", bad); err == nil {
		t.Errorf("Apply with an activity without key = %+v, nil; want an error", res)
	}
	if diff := cmp.Diff(before, takeSnapshot(t, s, "gh"), cmpOpts...); diff != "" {
		t.Errorf("rejected batch changed the store (-before +after):\n%s", diff)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	fine := bad
	fine.Activities = fine.Activities[:1]
	if _, err := s.Apply(cancelled, "gh", fine); err == nil {
		t.Errorf("Apply with a cancelled context succeeded; want an error")
	}
	if diff := cmp.Diff(before, takeSnapshot(t, s, "gh"), cmpOpts...); diff != "" {
		t.Errorf("cancelled Apply changed the store (-before +after):\n%s", diff)
	}
	// The same batch then applies normally.
	if res := apply(t, s, "gh", fine); res.NewActivities != 1 || res.NewAccounts != 1 {
		t.Errorf("ApplyResult = %+v; want 1 activity, 1 account", res)
	}
	if c, err := s.Cursor(ctx, "gh"); err != nil || string(c.State) != `{"page":2}` {
		t.Errorf("Cursor = %s, %v; want the new state", c.State, err)
	}
}

// testVerifiedLinks checks that platform-verified links and network ids are
// kept, that a newer full profile replaces verified links (verification can
// be withdrawn), and that a reference never erases them.
func testVerifiedLinks(t *testing.T, s crm.Store) {
	ref := connectors.AccountRef{Platform: connectors.PlatformMastodon, Instance: "fosstodon.org", ExternalID: "109"}
	a := connectors.Account{AccountRef: ref, Username: "ana@fosstodon.org", Links: []string{"https://github.com/ana", "https://ana.dev"},
		VerifiedLinks: []string{"https://github.com/ana"}, NetworkID: "n-1", ProfileFetchedAt: t0}
	apply(t, s, "m", connectors.Batch{Accounts: []connectors.Account{a}, Next: cursor(`{}`, nil)})
	get := func() crm.Identity {
		t.Helper()
		id, err := s.IdentityByRef(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if id := get(); !cmp.Equal(id.VerifiedLinks, []string{"https://github.com/ana"}) || id.NetworkID != "n-1" {
		t.Errorf("stored verified=%v network=%q", id.VerifiedLinks, id.NetworkID)
	}
	apply(t, s, "m", connectors.Batch{Accounts: []connectors.Account{{AccountRef: ref, Username: "ana@fosstodon.org"}}, Next: cursor(`{}`, nil)})
	if id := get(); len(id.VerifiedLinks) != 1 || id.NetworkID != "n-1" {
		t.Errorf("a reference erased verified=%v network=%q", id.VerifiedLinks, id.NetworkID)
	}
	b := a
	b.VerifiedLinks = nil
	b.ProfileFetchedAt = t0.Add(time.Hour)
	apply(t, s, "m", connectors.Batch{Accounts: []connectors.Account{b}, Next: cursor(`{}`, nil)})
	if id := get(); len(id.VerifiedLinks) != 0 {
		t.Errorf("a newer profile without verification kept verified=%v", id.VerifiedLinks)
	}
}
