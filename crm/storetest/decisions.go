package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// decisionTests are the subtests of people's decisions; Run runs them
// when the store implements crm.IdentityStore and crm.Curator.
var decisionTests = []struct {
	name string
	fn   func(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator)
}{
	{"MergeAndUnmerge", testMergeUnmerge},
	{"DecisionsSurviveResync", testDecisionsSurviveResync},
	{"Suggestions", testSuggestions},
	{"Forget", testForget},
	{"Override", testOverride},
	{"PrimaryIdentity", testPrimary},
	{"MergeMembersHonoursSeparation", testMergeMembers},
	{"MoveIdentitiesHonoursDecisions", testMoveIdentities},
	{"AllIdentitiesAndEvidence", testAllIdentities},
	{"StaffBotAndMarksSurviveResync", testMarks},
}

func curated(t *testing.T, s crm.Store) (crm.IdentityStore, crm.Curator) {
	t.Helper()
	is, ok := s.(crm.IdentityStore)
	if !ok {
		t.Skipf("%T does not implement crm.IdentityStore", s)
	}
	c, ok := s.(crm.Curator)
	if !ok {
		t.Skipf("%T does not implement crm.Curator", s)
	}
	return is, c
}

func version(t *testing.T, is crm.IdentityStore) int64 {
	t.Helper()
	v, err := is.DecisionsVersion(t.Context())
	if err != nil {
		t.Fatalf("DecisionsVersion: %v", err)
	}
	return v
}

func member(t *testing.T, s crm.Store, id int64) crm.Member {
	t.Helper()
	m, err := s.Member(t.Context(), id)
	if err != nil {
		t.Fatalf("Member(%d): %v", id, err)
	}
	return m
}

func memberOf(t *testing.T, s crm.Store, r connectors.AccountRef) int64 {
	t.Helper()
	id, err := s.IdentityByRef(t.Context(), r)
	if err != nil {
		t.Fatalf("IdentityByRef(%s): %v", r, err)
	}
	return id.MemberID
}

func refsOf(m crm.Member) []connectors.AccountRef {
	var out []connectors.AccountRef
	for _, id := range m.Identities {
		out = append(out, id.AccountRef)
	}
	return out
}

func decisionKinds(t *testing.T, is crm.IdentityStore) []string {
	t.Helper()
	ds, err := is.Decisions(t.Context())
	if err != nil {
		t.Fatalf("Decisions: %v", err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Kind+" "+d.A.ExternalID+"-"+d.B.ExternalID+" "+d.Actor)
	}
	return out
}

// threeBatch has three github accounts with activity.
func threeBatch() connectors.Batch {
	return connectors.Batch{
		Accounts: []connectors.Account{profile("1", "ann", "Ann A"), ref("2", "ann-alt"), ref("3", "cid")},
		Activities: []connectors.Activity{
			act("t/1", gh("1"), 1), act("t/2", gh("2"), 2), act("t/3", gh("3"), 3), act("t/4", gh("3"), 4),
		},
		Next: cursor(`{"p":1}`, nil),
	}
}

func testMergeUnmerge(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	apply(t, s, "gh", threeBatch())
	mids := assignAllNew(t, s)
	v0 := version(t, is)

	into, err := c.Merge(ctx, gh("2"), gh("1"), "ops", "same person")
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if want := min(mids[gh("1")], mids[gh("2")]); into != want {
		t.Errorf("Merge kept member %d; want the lower id %d", into, want)
	}
	m := member(t, s, into)
	if diff := cmp.Diff([]connectors.AccountRef{gh("1"), gh("2")}, refsOf(m)); diff != "" {
		t.Errorf("merged member identities (-want +got):\n%s", diff)
	}
	if m.Name != "Ann A" || m.Primary != gh("1") || m.ActivityCount != 2 {
		t.Errorf("merged member = %q primary %s, %d activities; want Ann A, %s, 2", m.Name, m.Primary, m.ActivityCount, gh("1"))
	}
	if _, err := s.Member(ctx, max(mids[gh("1")], mids[gh("2")])); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("absorbed member still readable: err = %v", err)
	}
	v1 := version(t, is)
	if v1 == v0 {
		t.Errorf("Merge did not change DecisionsVersion (%d)", v0)
	}
	if again, err := c.Merge(ctx, gh("1"), gh("2"), "ops", ""); err != nil || again != into {
		t.Errorf("Merge of one member = %d, %v; want %d, nil", again, err, into)
	}
	if _, err := c.Merge(ctx, gh("1"), gh("404"), "ops", ""); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("Merge with an unknown account: err = %v; want ErrNotFound", err)
	}
	if diff := cmp.Diff([]string{"merge 2-1 ops"}, decisionKinds(t, is)); diff != "" {
		t.Errorf("Decisions after Merge (-want +got):\n%s", diff)
	}

	// Unmerge errors.
	if _, err := c.Unmerge(ctx, mids[gh("3")], gh("1"), "ops", ""); !errors.Is(err, crm.ErrConflict) {
		t.Errorf("Unmerge from a member it is not in: err = %v; want ErrConflict", err)
	}
	if _, err := c.Unmerge(ctx, mids[gh("3")], gh("3"), "ops", ""); !errors.Is(err, crm.ErrConflict) {
		t.Errorf("Unmerge of a member's only identity: err = %v; want ErrConflict", err)
	}
	if _, err := c.Unmerge(ctx, into, gh("404"), "ops", ""); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("Unmerge of an unknown account: err = %v; want ErrNotFound", err)
	}

	nm, err := c.Unmerge(ctx, into, gh("2"), "ops", "not the same")
	if err != nil {
		t.Fatalf("Unmerge: %v", err)
	}
	if nm == into || nm == 0 {
		t.Fatalf("Unmerge returned member %d; want a new one", nm)
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("2")}, refsOf(member(t, s, nm))); diff != "" {
		t.Errorf("new member identities (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("1")}, refsOf(member(t, s, into))); diff != "" {
		t.Errorf("old member identities (-want +got):\n%s", diff)
	}
	if n := member(t, s, nm); n.Name != "ann-alt" || n.ActivityCount != 1 {
		t.Errorf("new member = %q with %d activities; want ann-alt, 1", n.Name, n.ActivityCount)
	}
	if diff := cmp.Diff([]string{"merge 2-1 ops", "separate 2-1 ops"}, decisionKinds(t, is)); diff != "" {
		t.Errorf("Decisions after Unmerge (-want +got):\n%s", diff)
	}
	if version(t, is) == v1 {
		t.Errorf("Unmerge did not change DecisionsVersion")
	}
}

func testDecisionsSurviveResync(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	b := threeBatch()
	apply(t, s, "gh", b)
	assignAllNew(t, s)
	into, err := c.Merge(ctx, gh("1"), gh("3"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetOverride(ctx, into, "Chosen", gh("3"), "ops"); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, s, "gh")
	v := version(t, is)
	// Replays and newer profiles do not undo people's decisions.
	apply(t, s, "gh", b)
	if diff := cmp.Diff(before, takeSnapshot(t, s, "gh"), cmpOpts...); diff != "" {
		t.Errorf("replay changed the store (-before +after):\n%s", diff)
	}
	newer := profile("1", "ann", "Ann Newer")
	newer.ProfileFetchedAt = t0.Add(48 * 3600e9)
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{newer}, Activities: []connectors.Activity{act("t/9", gh("1"), 9)}})
	m := member(t, s, into)
	if m.Name != "Chosen" || m.Primary != gh("3") || len(m.Identities) != 2 || m.ActivityCount != 4 {
		t.Errorf("after re-sync: %q primary %s, %d identities, %d activities; want Chosen, %s, 2, 4",
			m.Name, m.Primary, len(m.Identities), m.ActivityCount, gh("3"))
	}
	if version(t, is) != v {
		t.Errorf("a sync changed DecisionsVersion")
	}
}

func testSuggestions(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	apply(t, s, "gh", threeBatch())
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("4", "dee"), ref("5", "eve")}})
	mids := assignAllNew(t, s)
	list := func(status string) []crm.Suggestion {
		t.Helper()
		ss, err := c.Suggestions(ctx, status)
		if err != nil {
			t.Fatalf("Suggestions(%q): %v", status, err)
		}
		return ss
	}
	pairs := func(ss []crm.Suggestion) []string {
		var out []string
		for _, sg := range ss {
			out = append(out, sg.A.ExternalID+"-"+sg.B.ExternalID+" "+sg.Status)
		}
		return out
	}
	replace := func(ss ...crm.Suggestion) {
		t.Helper()
		if err := is.ReplaceSuggestions(ctx, ss); err != nil {
			t.Fatalf("ReplaceSuggestions: %v", err)
		}
	}
	sug := func(a, b string, conf float64) crm.Suggestion {
		return crm.Suggestion{A: gh(a), B: gh(b), Confidence: conf, Reasons: []string{"similar names " + a + "/" + b}}
	}
	replace(sug("2", "1", 0.5), sug("3", "2", 0.9), sug("1", "1", 1), sug("4", "5", 0.1))
	got := list("")
	if diff := cmp.Diff([]string{"2-3 open", "1-2 open", "4-5 open"}, pairs(got)); diff != "" {
		t.Fatalf("Suggestions, highest confidence first, pairs ordered (-want +got):\n%s", diff)
	}
	// Pages of it: the same suggestions in the same order, and the total.
	var paged []crm.Suggestion
	for _, off := range []int{0, 2, 4} {
		page, total, err := c.SuggestionPage(ctx, "", off, 2)
		if err != nil {
			t.Fatalf("SuggestionPage(%d, 2): %v", off, err)
		}
		if total != len(got) || len(page) != min(2, max(0, len(got)-off)) {
			t.Errorf("SuggestionPage(%d, 2) = %d suggestions of %d; want %d of %d", off, len(page), total, min(2, max(0, len(got)-off)), len(got))
		}
		paged = append(paged, page...)
	}
	if diff := cmp.Diff(got, paged); diff != "" {
		t.Errorf("SuggestionPage's pages differ from Suggestions (-all +paged):\n%s", diff)
	}
	if page, total, err := c.SuggestionPage(ctx, crm.SuggestionRejected, 0, 10); err != nil || len(page) != 0 || total != 0 {
		t.Errorf("SuggestionPage(rejected) = %d of %d, %v; want none", len(page), total, err)
	}
	if got[1].MemberA != mids[gh("1")] || got[1].MemberB != mids[gh("2")] || got[1].Confidence != 0.5 ||
		!slices.Equal(got[1].Reasons, []string{"similar names 2/1"}) || got[1].Created.IsZero() {
		t.Errorf("suggestion 1-2 = %+v", got[1])
	}
	ids := map[string]int64{}
	for _, sg := range got {
		ids[sg.A.ExternalID+"-"+sg.B.ExternalID] = sg.ID
	}
	// Replacing keeps the ids of pairs still suggested and drops the rest.
	replace(sug("1", "2", 0.6), sug("3", "2", 0.9), sug("1", "3", 0.2))
	got = list(crm.SuggestionOpen)
	if diff := cmp.Diff([]string{"2-3 open", "1-2 open", "1-3 open"}, pairs(got)); diff != "" {
		t.Errorf("after replace (-want +got):\n%s", diff)
	}
	for _, sg := range got {
		if id, ok := ids[sg.A.ExternalID+"-"+sg.B.ExternalID]; ok && id != sg.ID {
			t.Errorf("suggestion %s-%s changed id from %d to %d", sg.A.ExternalID, sg.B.ExternalID, id, sg.ID)
		}
	}

	v := version(t, is)
	if err := c.DecideSuggestion(ctx, ids["1-2"], false, "ops"); err != nil {
		t.Fatalf("reject: %v", err)
	}
	if err := c.DecideSuggestion(ctx, ids["1-2"], true, "ops"); !errors.Is(err, crm.ErrConflict) {
		t.Errorf("deciding twice: err = %v; want ErrConflict", err)
	}
	if err := c.DecideSuggestion(ctx, 987654, true, "ops"); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("deciding an unknown suggestion: err = %v; want ErrNotFound", err)
	}
	if err := c.DecideSuggestion(ctx, ids["2-3"], true, "ops"); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if version(t, is) == v {
		t.Errorf("deciding suggestions did not change DecisionsVersion")
	}
	if memberOf(t, s, gh("2")) != memberOf(t, s, gh("3")) {
		t.Errorf("accepted suggestion did not merge 2 and 3")
	}
	if memberOf(t, s, gh("1")) == memberOf(t, s, gh("2")) {
		t.Errorf("rejected suggestion merged 1 and 2")
	}
	if diff := cmp.Diff([]string{"separate 1-2 ops", "merge 2-3 ops"}, decisionKinds(t, is)); diff != "" {
		t.Errorf("Decisions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1-2 rejected"}, pairs(list(crm.SuggestionRejected))); diff != "" {
		t.Errorf("rejected suggestions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2-3 accepted"}, pairs(list(crm.SuggestionAccepted))); diff != "" {
		t.Errorf("accepted suggestions (-want +got):\n%s", diff)
	}

	// A rejected or accepted pair, a decided pair and a pair in one member
	// are never suggested again.
	replace(sug("1", "2", 0.99), sug("3", "2", 0.99), sug("4", "5", 0.3))
	if diff := cmp.Diff([]string{"4-5 open"}, pairs(list(crm.SuggestionOpen))); diff != "" {
		t.Errorf("open suggestions after re-suggesting decided pairs (-want +got):\n%s", diff)
	}
	if _, err := c.Merge(ctx, gh("4"), gh("5"), "ops", ""); err != nil {
		t.Fatal(err)
	}
	replace(sug("4", "5", 0.3), sug("1", "4", 0.2))
	if diff := cmp.Diff([]string{"1-4 open"}, pairs(list(crm.SuggestionOpen))); diff != "" {
		t.Errorf("open suggestions after a merge (-want +got):\n%s", diff)
	}
	if _, err := c.Suggestions(ctx, "bogus"); err == nil {
		t.Errorf("Suggestions(bogus) succeeded; want an error")
	}
}

func testForget(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	b := sampleBatch()
	b.Accounts = append(b.Accounts, connectors.Account{AccountRef: gitRef("a@example.com"), Username: "alice-git"})
	b.Activities = append(b.Activities, connectors.Activity{
		Key: "git//commit/1", Platform: connectors.PlatformGit, Type: "commit", OccurredAt: at(4), Actor: gitRef("a@example.com"),
	})
	apply(t, s, "gh", b)
	mids := assignAllNew(t, s)
	alice, err := c.Merge(ctx, gh("1"), gitRef("a@example.com"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := is.ReplaceSuggestions(ctx, []crm.Suggestion{{A: gh("1"), B: gh("2"), Confidence: 0.4}}); err != nil {
		t.Fatal(err)
	}
	v := version(t, is)
	if _, err := c.Forget(ctx, 987654, "ops"); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("Forget(unknown): err = %v; want ErrNotFound", err)
	}
	n, err := c.Forget(ctx, alice, "ops")
	if err != nil || n != 2 {
		t.Fatalf("Forget = %d, %v; want 2, nil", n, err)
	}
	if version(t, is) == v {
		t.Errorf("Forget did not change DecisionsVersion")
	}
	check := func(when string) {
		t.Helper()
		if _, err := s.Member(ctx, alice); !errors.Is(err, crm.ErrNotFound) {
			t.Errorf("%s: Member(forgotten): err = %v; want ErrNotFound", when, err)
		}
		for _, r := range []connectors.AccountRef{gh("1"), gitRef("a@example.com")} {
			if _, err := s.IdentityByRef(ctx, r); !errors.Is(err, crm.ErrNotFound) {
				t.Errorf("%s: IdentityByRef(%s): err = %v; want ErrNotFound", when, r, err)
			}
			if ev, err := s.EvidenceOf(ctx, r); err != nil || len(ev) != 0 {
				t.Errorf("%s: EvidenceOf(%s) = %v, %v; want none", when, r, ev, err)
			}
		}
		if un, err := s.Unassigned(ctx, 0); err != nil || len(un) != 0 {
			t.Errorf("%s: Unassigned = %v, %v; want none", when, un, err)
		}
		ms := members(t, s, crm.MemberQuery{})
		if len(ms) != 1 || ms[0].ID != mids[gh("2")] || ms[0].ActivityCount != 1 {
			t.Errorf("%s: members = %+v; want only bob with 1 activity", when, ms)
		}
		if ss, err := c.Suggestions(ctx, ""); err != nil || len(ss) != 0 {
			t.Errorf("%s: Suggestions = %v, %v; want none", when, ss, err)
		}
		if ds, err := is.Decisions(ctx); err != nil || len(ds) != 0 {
			t.Errorf("%s: Decisions = %v, %v; want none", when, ds, err)
		}
		var all []connectors.AccountRef
		if err := is.AllIdentities(ctx, func(id crm.Identity) error { all = append(all, id.AccountRef); return nil }); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]connectors.AccountRef{gh("2")}, all); diff != "" {
			t.Errorf("%s: AllIdentities (-want +got):\n%s", when, diff)
		}
	}
	check("after Forget")
	// The next sync brings nothing of alice back, and counts nothing of hers.
	res := apply(t, s, "gh", b)
	if res != (crm.ApplyResult{}) {
		t.Errorf("re-sync of forgotten accounts = %+v; want nothing new", res)
	}
	apply(t, s, "gh", connectors.Batch{
		Activities: []connectors.Activity{act("issue/99", gh("1"), 9)},
		Evidence:   []connectors.Evidence{{Kind: "same_name", A: gh("2"), B: gh("1")}},
	})
	check("after re-sync")
	if err := s.Assign(ctx, nil); err != nil {
		t.Error(err)
	}
	if ms := members(t, s, crm.MemberQuery{Search: "alice"}); len(ms) != 0 {
		t.Errorf("search for alice found %v", names(ms))
	}
}

func testOverride(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	apply(t, s, "gh", threeBatch())
	assignAllNew(t, s)
	into, err := c.Merge(ctx, gh("1"), gh("2"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetOverride(ctx, into, "", gh("3"), "ops"); !errors.Is(err, crm.ErrConflict) {
		t.Errorf("override with another member's identity: err = %v; want ErrConflict", err)
	}
	if err := c.SetOverride(ctx, 987654, "x", connectors.AccountRef{}, "ops"); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("override of an unknown member: err = %v; want ErrNotFound", err)
	}
	v := version(t, is)
	if err := c.SetOverride(ctx, into, "", gh("2"), "ops"); err != nil {
		t.Fatal(err)
	}
	if m := member(t, s, into); m.Primary != gh("2") || m.Name != "ann-alt" {
		t.Errorf("after primary override: %q primary %s; want ann-alt, %s", m.Name, m.Primary, gh("2"))
	}
	if version(t, is) == v {
		t.Errorf("SetOverride did not change DecisionsVersion")
	}
	if err := c.SetOverride(ctx, into, "Annie", connectors.AccountRef{}, "ops"); err != nil {
		t.Fatal(err)
	}
	// A sync, a resolver assignment and a merge keep both overrides.
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{profile("1", "ann", "Ann Renamed"), profile("6", "six", "Six")}})
	six, err := s.IdentityByRef(ctx, gh("6"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Assign(ctx, []crm.Assignment{{IdentityID: six.ID, MemberID: into, Reason: "test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Merge(ctx, gh("3"), gh("1"), "ops", ""); err != nil {
		t.Fatal(err)
	}
	m := member(t, s, into)
	if m.Name != "Annie" || m.Primary != gh("2") || len(m.Identities) != 4 {
		t.Errorf("after sync, assign and merge: %q primary %s, %d identities; want Annie, %s, 4", m.Name, m.Primary, len(m.Identities), gh("2"))
	}
	if ms := members(t, s, crm.MemberQuery{Search: "annie"}); len(ms) != 1 || ms[0].ID != into {
		t.Errorf("search by chosen name = %v", names(ms))
	}
}

func testPrimary(t *testing.T, s crm.Store, _ crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	// busy is the most active; full has the most complete profile.
	full := profile("2", "full", "Full Name")
	full.Links = []string{"https://full.example"}
	apply(t, s, "gh", connectors.Batch{
		Accounts:   []connectors.Account{ref("1", "busy"), full, ref("3", "quiet")},
		Activities: []connectors.Activity{act("p/1", gh("1"), 1), act("p/2", gh("1"), 2), act("p/3", gh("3"), 3)},
	})
	assignAllNew(t, s)
	if _, err := c.Merge(ctx, gh("1"), gh("3"), "ops", ""); err != nil {
		t.Fatal(err)
	}
	m := member(t, s, memberOf(t, s, gh("1")))
	if m.Primary != gh("1") || m.Name != "busy" {
		t.Errorf("equal profiles: primary %s %q; want the most active %s busy", m.Primary, m.Name, gh("1"))
	}
	into, err := c.Merge(ctx, gh("3"), gh("2"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	m = member(t, s, into)
	if m.Primary != gh("2") || m.Name != "Full Name" {
		t.Errorf("primary %s %q; want the most complete profile %s Full Name", m.Primary, m.Name, gh("2"))
	}
	j := journey(t, s, into)
	if j.Member.Primary != gh("2") {
		t.Errorf("Journey member primary = %s", j.Member.Primary)
	}
	if bu, err := s.MemberByUsername(ctx, connectors.PlatformGitHub, "busy"); err != nil || bu.Primary != gh("2") {
		t.Errorf("MemberByUsername primary = %s, %v", bu.Primary, err)
	}
}

func testMergeMembers(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	apply(t, s, "gh", threeBatch())
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("4", "dee")}})
	mids := assignAllNew(t, s)
	m1, err := c.Merge(ctx, gh("1"), gh("2"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := c.Unmerge(ctx, m1, gh("2"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	v := version(t, is)
	err = is.MergeMembers(ctx, []crm.MemberMerge{
		{Into: m1, From: m2, Reason: "same_email", Evidence: []string{"shared e-mail"}},
		{Into: m1, From: mids[gh("3")], Reason: "same_email", Evidence: []string{"shared e-mail"}},
		{Into: m1, From: m1},
	})
	if err != nil {
		t.Fatalf("MergeMembers: %v", err)
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("1"), gh("3")}, refsOf(member(t, s, m1))); diff != "" {
		t.Errorf("members after MergeMembers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("2")}, refsOf(member(t, s, m2))); diff != "" {
		t.Errorf("a separated member was merged (-want +got):\n%s", diff)
	}
	if _, err := s.Member(ctx, mids[gh("3")]); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("merged member still readable: %v", err)
	}
	if version(t, is) != v {
		t.Errorf("resolver merges changed DecisionsVersion")
	}
	// A later manual merge overrides the separation.
	if _, err := c.Merge(ctx, gh("2"), gh("1"), "ops", "after all"); err != nil {
		t.Fatal(err)
	}
	if memberOf(t, s, gh("2")) != m1 {
		t.Errorf("manual merge after a separation did not merge")
	}
	// A rejected suggestion is a separation too.
	if err := is.ReplaceSuggestions(ctx, []crm.Suggestion{{A: gh("4"), B: gh("1"), Confidence: 0.5}}); err != nil {
		t.Fatal(err)
	}
	ss, err := c.Suggestions(ctx, crm.SuggestionOpen)
	if err != nil || len(ss) != 1 {
		t.Fatalf("Suggestions = %v, %v", ss, err)
	}
	if err := c.DecideSuggestion(ctx, ss[0].ID, false, "ops"); err != nil {
		t.Fatal(err)
	}
	if err := is.MergeMembers(ctx, []crm.MemberMerge{{Into: m1, From: mids[gh("4")], Reason: "x"}}); err != nil {
		t.Fatal(err)
	}
	if memberOf(t, s, gh("4")) == m1 {
		t.Errorf("MergeMembers merged a rejected pair")
	}
	if err := is.MergeMembers(ctx, []crm.MemberMerge{{Into: m1, From: 987654}}); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("MergeMembers with an unknown member: err = %v; want ErrNotFound", err)
	}
}

// testMoveIdentities moves identities out of members an earlier resolver
// run made: into a new member shared by a group, into an existing member;
// it skips what changed since and refuses what people decided.
func testMoveIdentities(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	apply(t, s, "gh", threeBatch())
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("4", "dee"), ref("5", "eve")}})
	mids := assignAllNew(t, s)
	idOf := func(r connectors.AccountRef) int64 {
		t.Helper()
		id, err := s.IdentityByRef(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return id.ID
	}
	a := mids[gh("1")]
	if err := is.MergeMembers(ctx, []crm.MemberMerge{{Into: a, From: mids[gh("2")]}, {Into: a, From: mids[gh("3")]}}); err != nil {
		t.Fatal(err)
	}
	b, err := c.Merge(ctx, gh("4"), gh("5"), "ops", "same person")
	if err != nil {
		t.Fatal(err)
	}
	v := version(t, is)

	// Two identities out of a into one new member.
	if err := is.MoveIdentities(ctx, []crm.IdentityMove{
		{IdentityID: idOf(gh("2")), From: a, Group: 1, Reason: "later accounts share the name"},
		{IdentityID: idOf(gh("3")), From: a, Group: 1, Reason: "later accounts share the name"},
	}); err != nil {
		t.Fatalf("MoveIdentities: %v", err)
	}
	n := memberOf(t, s, gh("2"))
	if n == a || n == b || n == 0 || memberOf(t, s, gh("3")) != n {
		t.Fatalf("after the move: gh/2 in %d, gh/3 in %d; want one new member (a %d, b %d)", n, memberOf(t, s, gh("3")), a, b)
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("1")}, refsOf(member(t, s, a))); diff != "" {
		t.Errorf("member left behind (-want +got):\n%s", diff)
	}
	if m := member(t, s, n); m.ActivityCount != 3 || m.Name != "cid" {
		t.Errorf("new member: %d activities, name %q; want 3, %q (the most active)", m.ActivityCount, m.Name, "cid")
	}
	if version(t, is) != v {
		t.Errorf("resolver moves changed DecisionsVersion")
	}
	if m := member(t, s, a); m.ActivityCount != 1 {
		t.Errorf("member moved out of: %d activities, want 1", m.ActivityCount)
	}
	if jr, ok := s.(crm.JourneyReader); ok {
		joins, err := jr.JoinReasons(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(joins) != 2 || len(joins[0].Reasons) != 1 || !strings.Contains(joins[0].Reasons[0], "moved by the resolver") ||
			!strings.Contains(joins[0].Reasons[0], "later accounts share the name") {
			t.Errorf("join reasons of the new member = %+v, want a move by the resolver with its reason", joins)
		}
	}

	// Into an existing member.
	if err := is.MoveIdentities(ctx, []crm.IdentityMove{{IdentityID: idOf(gh("3")), From: n, Into: b}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("3"), gh("4"), gh("5")}, refsOf(member(t, s, b))); diff != "" {
		t.Errorf("member moved into (-want +got):\n%s", diff)
	}

	// Skipped: the last identity of its member, a From that is not its
	// member any more, an identity that is gone.
	if err := is.MoveIdentities(ctx, []crm.IdentityMove{
		{IdentityID: idOf(gh("2")), From: n, Group: 2},
		{IdentityID: idOf(gh("1")), From: b, Into: n},
		{IdentityID: 987654, From: a, Into: b},
	}); err != nil {
		t.Fatal(err)
	}
	if memberOf(t, s, gh("2")) != n || memberOf(t, s, gh("1")) != a {
		t.Errorf("skipped moves moved: gh/2 in %d (want %d), gh/1 in %d (want %d)", memberOf(t, s, gh("2")), n, memberOf(t, s, gh("1")), a)
	}

	// Refused: parting what a person joined, or joining what a person
	// separated.
	if err := is.MoveIdentities(ctx, []crm.IdentityMove{{IdentityID: idOf(gh("5")), From: b, Into: n}}); err != nil {
		t.Fatal(err)
	}
	if memberOf(t, s, gh("5")) != b {
		t.Errorf("a move parted two accounts a person merged")
	}
	if _, err := c.Unmerge(ctx, b, gh("3"), "ops", "not the same"); err != nil {
		t.Fatal(err)
	}
	if err := is.MergeMembers(ctx, []crm.MemberMerge{{Into: n, From: memberOf(t, s, gh("3"))}}); err != nil {
		t.Fatal(err)
	}
	v = version(t, is)
	if err := is.MoveIdentities(ctx, []crm.IdentityMove{{IdentityID: idOf(gh("3")), From: n, Into: b}}); err != nil {
		t.Fatal(err)
	}
	if memberOf(t, s, gh("3")) != n {
		t.Errorf("a move joined two accounts a person separated")
	}
	if version(t, is) != v {
		t.Errorf("resolver moves changed DecisionsVersion")
	}
}

func testAllIdentities(t *testing.T, s crm.Store, is crm.IdentityStore, _ crm.Curator) {
	ctx := t.Context()
	apply(t, s, "gh", sampleBatch())
	apply(t, s, "gh", threeBatch())
	assignAllNew(t, s)
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("9", "late")}})
	var got []crm.Identity
	if err := is.AllIdentities(ctx, func(id crm.Identity) error { got = append(got, id); return nil }); err != nil {
		t.Fatal(err)
	}
	var refs []connectors.AccountRef
	for i, id := range got {
		refs = append(refs, id.AccountRef)
		if i > 0 && id.ID <= got[i-1].ID {
			t.Errorf("AllIdentities not in id order: %d after %d", id.ID, got[i-1].ID)
		}
	}
	if diff := cmp.Diff([]connectors.AccountRef{gh("1"), gh("2"), gh("3"), gh("9")}, refs); diff != "" {
		t.Errorf("AllIdentities (-want +got):\n%s", diff)
	}
	if got[0].Name != "Ann A" || got[0].MemberID == 0 || got[3].MemberID != 0 {
		t.Errorf("AllIdentities rows: %+v", got)
	}
	stop := errors.New("stop")
	n := 0
	if err := is.AllIdentities(ctx, func(crm.Identity) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("AllIdentities with a failing fn = %v after %d calls; want stop after 1", err, n)
	}
	var ev []string
	if err := is.AllEvidence(ctx, func(kind string, a, b connectors.AccountRef) error {
		ev = append(ev, kind+" "+a.String()+" "+b.String())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{connectors.EvidenceCommitAuthorLogin + " git//a@example.com github/github.com/1"}, ev); diff != "" {
		t.Errorf("AllEvidence (-want +got):\n%s", diff)
	}
}
