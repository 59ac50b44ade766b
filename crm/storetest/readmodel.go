package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// readTests are the subtests of the read model (crm.ReadModel) that need
// only crm.Store.
var readTests = []struct {
	name string
	fn   func(t *testing.T, s crm.Store)
}{
	{"ListMembersPagesCoverEveryMemberOnce", testListPages},
	{"ListMembersFilters", testListFilters},
	{"ListMembersSearch", testListSearch},
	{"ListMembersInvalid", testListInvalid},
	{"TimelinePages", testTimelinePages},
	{"ActivityChart", testActivityChart},
	{"Milestones", testMilestones},
	{"ManyIdentities", testManyIdentities},
	{"ReactionsRead", testReactionsRead},
}

// readDecisionTests are the read model subtests that need people's
// decisions; they run with decisionTests.
var readDecisionTests = []struct {
	name string
	fn   func(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator)
}{
	{"KeptStatsEqualRecount", testKeptStats},
	{"SearchFollowsChanges", testSearchFollows},
	{"JoinReasons", testJoinReasons},
}

func mastodonRef(id string) connectors.AccountRef {
	return connectors.AccountRef{Platform: connectors.PlatformMastodon, Instance: "social.example", ExternalID: id}
}

func soRef(id string) connectors.AccountRef {
	return connectors.AccountRef{Platform: "stackoverflow", Instance: "stackoverflow.com", ExternalID: id}
}

func dsRef(id string) connectors.AccountRef {
	return connectors.AccountRef{Platform: "discourse", Instance: "forum.example", ExternalID: id}
}

// typed is an activity of the given type by actor, on the actor's
// platform, at t0 + h hours (+ m minutes), answering parent ("" none).
func typed(typ, id string, actor connectors.AccountRef, h, m int, parent string) connectors.Activity {
	return connectors.Activity{
		Key: actor.Platform + "/" + actor.Instance + "/" + typ + "/" + id, Platform: actor.Platform, Instance: actor.Instance,
		Type: typ, OccurredAt: at(h).Add(time.Duration(m) * time.Minute), Actor: actor,
		URL: "https://" + actor.Instance + "/" + id, Title: typ + " " + id, ParentKey: parent,
	}
}

// listFixture stores 30 members: accounts 1-20 on GitHub, 21-30 on
// Mastodon, with 0 to 5 activities each (many ties), spread over time.
func listFixture(t *testing.T, s crm.Store) {
	t.Helper()
	var b connectors.Batch
	for i := 1; i <= 30; i++ {
		r := gh(fmt.Sprint(i))
		typ := "issue_comment"
		if i > 20 {
			r, typ = mastodonRef(fmt.Sprint(i)), "post"
		}
		b.Accounts = append(b.Accounts, connectors.Account{AccountRef: r, Username: fmt.Sprintf("user%02d", i)})
		for j := 0; j < (i*7)%6; j++ {
			ty := typ
			if i%4 == 0 && j == 0 {
				ty = "pr_merged"
			}
			b.Activities = append(b.Activities, typed(ty, fmt.Sprintf("%d-%d", i, j), r, (i*13)%50+j, 0, ""))
		}
	}
	apply(t, s, "fx", b)
	assignAllNew(t, s)
}

func listAll(t *testing.T, s crm.Store, q crm.MemberQuery) []crm.Member {
	t.Helper()
	var out []crm.Member
	seen := make(map[string]bool)
	for page := 0; ; page++ {
		p, err := s.ListMembers(t.Context(), q)
		if err != nil {
			t.Fatalf("ListMembers(%+v): %v", q, err)
		}
		if len(p.Members) > max(q.Limit, 0) && q.Limit > 0 {
			t.Fatalf("ListMembers(%+v) returned %d members, more than the limit", q, len(p.Members))
		}
		out = append(out, p.Members...)
		if p.NextCursor == "" {
			return out
		}
		if seen[p.NextCursor] || page > 1000 {
			t.Fatalf("ListMembers(%+v): cursor %q repeats", q, p.NextCursor)
		}
		seen[p.NextCursor] = true
		q.Cursor = p.NextCursor
	}
}

func ids(ms []crm.Member) []int64 {
	out := make([]int64, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// sortedLike orders ms as the sort says, independently of the store.
func sortedLike(ms []crm.Member, sortName string) []crm.Member {
	out := slices.Clone(ms)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch sortName {
		case crm.SortNewest:
			if !a.FirstSeen.Equal(b.FirstSeen) {
				return a.FirstSeen.After(b.FirstSeen)
			}
			return a.ID > b.ID
		case crm.SortLastSeen:
			if !a.LastSeen.Equal(b.LastSeen) {
				return a.LastSeen.After(b.LastSeen)
			}
			return a.ID > b.ID
		default:
			if a.ActivityCount != b.ActivityCount {
				return a.ActivityCount > b.ActivityCount
			}
			return a.ID < b.ID
		}
	})
	return out
}

func testListPages(t *testing.T, s crm.Store) {
	listFixture(t, s)
	all := members(t, s, crm.MemberQuery{})
	if len(all) != 30 {
		t.Fatalf("Members() = %d members; want 30", len(all))
	}
	for _, sortName := range []string{"", crm.SortMostActive, crm.SortNewest, crm.SortLastSeen} {
		for _, limit := range []int{1, 4, 7, 30, 100} {
			got := listAll(t, s, crm.MemberQuery{Sort: sortName, Limit: limit})
			want := sortedLike(all, sortName)
			if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
				t.Errorf("sort %q limit %d: member ids over all pages (-want +got):\n%s", sortName, limit, diff)
			}
		}
		// Members with the same sort agrees with the pages.
		if diff := cmp.Diff(ids(sortedLike(all, sortName)), ids(members(t, s, crm.MemberQuery{Sort: sortName}))); diff != "" {
			t.Errorf("Members(sort %q) (-want +got):\n%s", sortName, diff)
		}
	}
	// The default page size applies without a limit.
	p, err := s.ListMembers(t.Context(), crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Members) != 30 || p.NextCursor != "" {
		t.Errorf("ListMembers({}) = %d members, cursor %q; want 30 and none", len(p.Members), p.NextCursor)
	}
}

func testListFilters(t *testing.T, s crm.Store) {
	listFixture(t, s)
	all := members(t, s, crm.MemberQuery{})
	type facts struct {
		platforms, types map[string]bool
		last             time.Time
	}
	known := make(map[int64]facts)
	for _, m := range all {
		f := facts{platforms: map[string]bool{}, types: map[string]bool{}}
		for _, id := range m.Identities {
			f.platforms[id.Platform] = true
		}
		for _, a := range journey(t, s, m.ID).Activities {
			f.types[a.Type] = true
			if a.OccurredAt.After(f.last) {
				f.last = a.OccurredAt
			}
		}
		known[m.ID] = f
	}
	since := at(30)
	for _, tt := range []struct {
		name string
		q    crm.MemberQuery
		keep func(f facts) bool
	}{
		{"platform", crm.MemberQuery{Platform: connectors.PlatformMastodon}, func(f facts) bool { return f.platforms[connectors.PlatformMastodon] }},
		{"type", crm.MemberQuery{ActivityType: "pr_merged"}, func(f facts) bool { return f.types["pr_merged"] }},
		{"since", crm.MemberQuery{ActiveSince: since}, func(f facts) bool { return !f.last.IsZero() && !f.last.Before(since) }},
		{"since at the exact time", crm.MemberQuery{ActiveSince: at(49)}, func(f facts) bool { return !f.last.Before(at(49)) && !f.last.IsZero() }},
		{"platform and type", crm.MemberQuery{Platform: connectors.PlatformGitHub, ActivityType: "issue_comment"},
			func(f facts) bool { return f.platforms[connectors.PlatformGitHub] && f.types["issue_comment"] }},
		{"nothing", crm.MemberQuery{Platform: "gitlab"}, func(facts) bool { return false }},
	} {
		for _, sortName := range []string{crm.SortMostActive, crm.SortNewest, crm.SortLastSeen} {
			q := tt.q
			q.Sort, q.Limit = sortName, 3
			var want []crm.Member
			for _, m := range sortedLike(all, sortName) {
				if tt.keep(known[m.ID]) {
					want = append(want, m)
				}
			}
			if diff := cmp.Diff(ids(want), ids(listAll(t, s, q)), cmpOpts...); diff != "" {
				t.Errorf("%s, sort %s (-want +got):\n%s", tt.name, sortName, diff)
			}
		}
	}
}

func testListSearch(t *testing.T, s crm.Store) {
	searchFixture(t, s)
	for _, tt := range []struct {
		search string
		want   []string
	}{
		{"LIDDELL", []string{"Alice Liddell"}},
		{"carol", []string{"Carol"}},
		{"BOB_", []string{"Robert"}},
		{"@WONDER.example", []string{"Alice Liddell"}},
		{"er.ex", []string{"Robert", "Alice Liddell"}},
		{"example", []string{"Robert", "Alice Liddell"}},
		// Shorter than a trigram: the start of a name or a username.
		{"ro", []string{"Robert"}},
		{"BO", []string{"Robert"}},
		{"ob", nil},
		{"c", []string{"Carol"}},
		{"A", []string{"Alice Liddell"}},
		{"%", nil},
		{"_", nil},
		{"a_i", nil},
		{`"`, nil},
		{`al"ice`, nil},
		{"nobody", nil},
	} {
		got := names(listAll(t, s, crm.MemberQuery{Search: tt.search, Limit: 1}))
		if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
			t.Errorf("ListMembers(search %q) names (-want +got):\n%s", tt.search, diff)
		}
	}
}

func testListInvalid(t *testing.T, s crm.Store) {
	listFixture(t, s)
	ctx := t.Context()
	p, err := s.ListMembers(ctx, crm.MemberQuery{Limit: 2, Sort: crm.SortNewest})
	if err != nil || p.NextCursor == "" {
		t.Fatalf("ListMembers = %v, %v", p, err)
	}
	for _, q := range []crm.MemberQuery{
		{Sort: "loudest"},
		{Cursor: "not a cursor!"},
		{Cursor: p.NextCursor, Sort: crm.SortLastSeen}, // another sort's cursor
	} {
		if _, err := s.ListMembers(ctx, q); !errors.Is(err, crm.ErrInvalidQuery) {
			t.Errorf("ListMembers(%+v): err = %v; want ErrInvalidQuery", q, err)
		}
	}
	if _, err := s.Timeline(ctx, crm.TimelineQuery{MemberID: p.Members[0].ID, Cursor: "%%%"}); !errors.Is(err, crm.ErrInvalidQuery) {
		t.Errorf("Timeline with a bad cursor: err = %v; want ErrInvalidQuery", err)
	}
	if _, err := s.ActivityChart(ctx, p.Members[0].ID, "day"); !errors.Is(err, crm.ErrInvalidQuery) {
		t.Errorf("ActivityChart by day: err = %v; want ErrInvalidQuery", err)
	}
	for name, fn := range map[string]func() error{
		"Timeline":      func() error { _, err := s.Timeline(ctx, crm.TimelineQuery{MemberID: 987654}); return err },
		"ActivityChart": func() error { _, err := s.ActivityChart(ctx, 987654, crm.BucketWeek); return err },
		"Milestones":    func() error { _, err := s.Milestones(ctx, 987654); return err },
		"JoinReasons":   func() error { _, err := s.JoinReasons(ctx, 987654); return err },
	} {
		if err := fn(); !errors.Is(err, crm.ErrNotFound) {
			t.Errorf("%s of an unknown member: err = %v; want ErrNotFound", name, err)
		}
	}
}

// twoAccountMember stores a member of two identities (merged by
// Assignment.SameAs) with 25 activities, some at the same instant on both,
// and returns its id.
func twoAccountMember(t *testing.T, s crm.Store) int64 {
	t.Helper()
	var b connectors.Batch
	b.Accounts = []connectors.Account{ref("1", "one"), {AccountRef: mastodonRef("9"), Username: "one"}}
	for i := 0; i < 15; i++ {
		b.Activities = append(b.Activities, typed("issue_comment", fmt.Sprint(i), gh("1"), i*40, 0, ""))
	}
	for i := 0; i < 10; i++ {
		b.Activities = append(b.Activities, typed("post", fmt.Sprint(i), mastodonRef("9"), i*80, 0, "")) // ties with GitHub ones
	}
	apply(t, s, "fx", b)
	un, err := s.Unassigned(t.Context(), 0)
	if err != nil || len(un) != 2 {
		t.Fatalf("Unassigned = %v, %v", un, err)
	}
	if err := s.Assign(t.Context(), []crm.Assignment{
		{IdentityID: un[0].ID, Reason: "new account"},
		{IdentityID: un[1].ID, SameAs: un[0].ID, Reason: "same username"},
	}); err != nil {
		t.Fatal(err)
	}
	return memberOf(t, s, gh("1"))
}

func testTimelinePages(t *testing.T, s crm.Store) {
	m := twoAccountMember(t, s)
	j := journey(t, s, m)
	var want []string
	for i := len(j.Activities) - 1; i >= 0; i-- {
		want = append(want, j.Activities[i].Key)
	}
	for _, limit := range []int{1, 4, 25, 0} {
		var got []string
		q := crm.TimelineQuery{MemberID: m, Limit: limit}
		for n := 0; ; n++ {
			p, err := s.Timeline(t.Context(), q)
			if err != nil {
				t.Fatalf("Timeline(%+v): %v", q, err)
			}
			for _, a := range p.Activities {
				got = append(got, a.Key)
				if a.Username != "one" || a.Actor.IsZero() {
					t.Errorf("activity %s: username %q, actor %v; want its identity's", a.Key, a.Username, a.Actor)
				}
			}
			if p.NextCursor == "" {
				break
			}
			if n > 100 {
				t.Fatal("Timeline pages never end")
			}
			q.Cursor = p.NextCursor
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: timeline keys over all pages, newest first (-want +got):\n%s", limit, diff)
		}
	}
}

func weekStart(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func testActivityChart(t *testing.T, s crm.Store) {
	m := twoAccountMember(t, s)
	j := journey(t, s, m)
	for bucket, start := range map[string]func(time.Time) time.Time{
		crm.BucketWeek:  weekStart,
		crm.BucketMonth: func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) },
	} {
		counts := make(map[crm.ChartPoint]int)
		for _, a := range j.Activities {
			counts[crm.ChartPoint{Start: start(a.OccurredAt.UTC()), Platform: a.Platform}]++
		}
		var want []crm.ChartPoint
		for p, n := range counts {
			p.Count = n
			want = append(want, p)
		}
		sort.Slice(want, func(i, k int) bool {
			if !want[i].Start.Equal(want[k].Start) {
				return want[i].Start.Before(want[k].Start)
			}
			return want[i].Platform < want[k].Platform
		})
		got, err := s.ActivityChart(t.Context(), m, bucket)
		if err != nil {
			t.Fatalf("ActivityChart(%s): %v", bucket, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ActivityChart(%s) (-want +got):\n%s", bucket, diff)
		}
		sum := 0
		for _, p := range got {
			sum += p.Count
		}
		if sum != len(j.Activities) {
			t.Errorf("ActivityChart(%s) counts sum to %d; want %d activities", bucket, sum, len(j.Activities))
		}
	}
}

func testMilestones(t *testing.T, s crm.Store) {
	ctx := t.Context()
	me := []connectors.AccountRef{gh("1"), soRef("1"), dsRef("1")}
	other := []connectors.AccountRef{gh("2"), soRef("2"), dsRef("2")}
	var b connectors.Batch
	for i, r := range append(slices.Clone(me), other...) {
		b.Accounts = append(b.Accounts, connectors.Account{AccountRef: r, Username: fmt.Sprint("u", i)})
	}
	k := func(a connectors.Activity) string { return a.Key }
	theirIssue := typed("issue_opened", "o1", gh("2"), 0, 0, "")
	star := typed("star", "s1", gh("1"), 1, 0, "")
	myIssue := typed("issue_opened", "i1", gh("1"), 2, 0, "")
	ownReply := typed("issue_comment", "c1", gh("1"), 3, 0, k(myIssue))
	question := typed("question", "q1", soRef("2"), 3, 30, "")
	earlyAnswer := typed("answer", "a0", soRef("1"), 3, 40, k(question))
	reply := typed("issue_comment", "c2", gh("1"), 4, 0, k(theirIssue))
	like := typed("star", "s2", gh("1"), 0, 30, k(theirIssue)) // a reaction, before: not a reply
	pr := typed("pr_opened", "p1", gh("1"), 5, 0, "")
	merged := typed("pr_merged", "p1", gh("1"), 6, 0, k(pr))
	answer := typed("answer", "a1", soRef("1"), 7, 0, k(question))
	post := typed("post_created", "d1", dsRef("1"), 8, 0, "")
	accepted := typed("answer_accepted", "q1", soRef("2"), 9, 0, k(answer))
	solved := typed("solution_accepted", "t1", dsRef("2"), 10, 0, k(post))
	b.Activities = []connectors.Activity{theirIssue, star, myIssue, ownReply, question, earlyAnswer, reply, like, pr, merged, answer, post, accepted, solved}
	apply(t, s, "fx", b)
	un, err := s.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	idOf := make(map[connectors.AccountRef]int64)
	for _, id := range un {
		idOf[id.AccountRef] = id.ID
	}
	as := []crm.Assignment{{IdentityID: idOf[me[0]], Reason: "new account"}}
	for _, r := range me[1:] {
		as = append(as, crm.Assignment{IdentityID: idOf[r], SameAs: idOf[me[0]], Reason: "x"})
	}
	for _, r := range other {
		as = append(as, crm.Assignment{IdentityID: idOf[r], Reason: "new account"})
	}
	if err := s.Assign(ctx, as); err != nil {
		t.Fatal(err)
	}
	m := memberOf(t, s, me[0])
	got, err := s.Milestones(ctx, m)
	if err != nil {
		t.Fatalf("Milestones: %v", err)
	}
	type ms struct {
		Kind, Key string
		At        time.Time
	}
	var gotKinds []ms
	for _, x := range got {
		gotKinds = append(gotKinds, ms{x.Kind, x.Activity.Key, x.At})
		if x.Activity.MemberID != m || x.Activity.Username == "" {
			t.Errorf("milestone %s: activity member %d, username %q; want the member's", x.Kind, x.Activity.MemberID, x.Activity.Username)
		}
	}
	want := []ms{
		{crm.MilestoneFirstSeen, like.Key, like.OccurredAt.UTC()},
		{crm.MilestoneFirstContribution, myIssue.Key, myIssue.OccurredAt.UTC()},
		{crm.MilestoneFirstMergedPR, merged.Key, merged.OccurredAt.UTC()},
		{crm.MilestoneFirstAcceptedAnswer, answer.Key, accepted.OccurredAt.UTC()},
		{crm.MilestoneFirstAcceptedSolution, post.Key, solved.OccurredAt.UTC()},
		{crm.MilestoneFirstReplyToOther, earlyAnswer.Key, earlyAnswer.OccurredAt.UTC()},
	}
	if diff := cmp.Diff(want, gotKinds); diff != "" {
		t.Errorf("Milestones (-want +got):\n%s", diff)
	}
	// Someone with nothing but a star has only first_seen.
	lone := memberOf(t, s, other[2])
	got, err = s.Milestones(ctx, lone)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, x := range got {
		kinds = append(kinds, x.Kind)
	}
	if diff := cmp.Diff([]string{crm.MilestoneFirstSeen}, kinds); diff != "" {
		t.Errorf("Milestones of a member who only accepted a solution (-want +got):\n%s", diff)
	}
}

// checkStats compares every member's kept stats with a recount of its
// journey, and the total with the activities stored.
func checkStats(t *testing.T, s crm.Store, when string) {
	t.Helper()
	total := 0
	for _, m := range members(t, s, crm.MemberQuery{}) {
		j := journey(t, s, m.ID)
		total += len(j.Activities)
		if m.ActivityCount != len(j.Activities) {
			t.Errorf("%s: member %d (%s): kept activity count %d; recount %d", when, m.ID, m.Name, m.ActivityCount, len(j.Activities))
		}
		if len(j.Activities) == 0 {
			continue
		}
		first, last := j.Activities[0].OccurredAt, j.Activities[len(j.Activities)-1].OccurredAt
		if !m.FirstSeen.Equal(first) || !m.LastSeen.Equal(last) {
			t.Errorf("%s: member %d (%s): kept first/last seen %v/%v; recount %v/%v", when, m.ID, m.Name, m.FirstSeen, m.LastSeen, first, last)
		}
		one := member(t, s, m.ID)
		if one.ActivityCount != m.ActivityCount || !one.FirstSeen.Equal(m.FirstSeen) || !one.LastSeen.Equal(m.LastSeen) {
			t.Errorf("%s: Member(%d) stats differ from Members'", when, m.ID)
		}
	}
	if tc, ok := s.(TableCounter); ok {
		un, err := s.Unassigned(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		n, err := tc.TableCounts(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(un) == 0 && int64(total) != n["activities"] {
			t.Errorf("%s: members' activities sum to %d; the store holds %d", when, total, n["activities"])
		}
	}
}

func testKeptStats(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	apply(t, s, "gh", threeBatch())
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("4", "dee"), ref("5", "eve")},
		Activities: []connectors.Activity{act("d/1", gh("4"), 9), act("e/1", gh("5"), 10)}})
	mids := assignAllNew(t, s)
	checkStats(t, s, "after assign")
	// New activities of assigned identities, older and newer than their
	// first and last, plus a replay.
	b := connectors.Batch{Activities: []connectors.Activity{act("t/0", gh("1"), -5), act("t/9", gh("3"), 50), act("t/1", gh("1"), 1)}}
	apply(t, s, "gh", b)
	apply(t, s, "gh", b)
	checkStats(t, s, "after apply")
	if err := is.MergeMembers(ctx, []crm.MemberMerge{{Into: mids[gh("1")], From: mids[gh("2")], Reason: "r", Evidence: []string{"e"}}}); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s, "after MergeMembers")
	m, err := c.Merge(ctx, gh("3"), gh("1"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, s, "after Merge")
	if _, err := c.Unmerge(ctx, m, gh("1"), "ops", ""); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s, "after Unmerge")
	if err := is.ReplaceSuggestions(ctx, []crm.Suggestion{{A: gh("4"), B: gh("3"), Confidence: 0.5}}); err != nil {
		t.Fatal(err)
	}
	ss, err := c.Suggestions(ctx, crm.SuggestionOpen)
	if err != nil || len(ss) != 1 {
		t.Fatalf("Suggestions = %v, %v", ss, err)
	}
	if err := c.DecideSuggestion(ctx, ss[0].ID, true, "ops"); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s, "after DecideSuggestion")
	// An activity arriving for a merged member, then a forget.
	apply(t, s, "gh", connectors.Batch{Activities: []connectors.Activity{act("d/2", gh("4"), 99)}})
	checkStats(t, s, "after apply to a merged member")
	if _, err := c.Forget(ctx, memberOf(t, s, gh("5")), "ops"); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s, "after Forget")
	// A newly seen identity without activity joins an existing member.
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("6", "fay")}})
	if _, err := c.Merge(ctx, gh("6"), gh("4"), "ops", ""); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s, "after merging an identity without activity")
	// The sorts read the same kept values.
	all := members(t, s, crm.MemberQuery{})
	for _, sortName := range []string{crm.SortMostActive, crm.SortNewest, crm.SortLastSeen} {
		if diff := cmp.Diff(ids(sortedLike(all, sortName)), ids(listAll(t, s, crm.MemberQuery{Sort: sortName, Limit: 2}))); diff != "" {
			t.Errorf("sort %s after the changes (-want +got):\n%s", sortName, diff)
		}
	}
}

func testSearchFollows(t *testing.T, s crm.Store, _ crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	mids := searchFixture(t, s)
	search := func(q string) []int64 {
		return ids(listAll(t, s, crm.MemberQuery{Search: q}))
	}
	// A profile update changes what is found.
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("3", "Caroline")}})
	if diff := cmp.Diff([]int64{mids[gh("3")]}, search("roline"), cmpOpts...); diff != "" {
		t.Errorf("search after a rename (-want +got):\n%s", diff)
	}
	// A merge: the absorbed member is found no more, the survivor by both.
	m, err := c.Merge(ctx, gh("1"), gh("3"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"roline", "liddell", "wonder"} {
		if diff := cmp.Diff([]int64{m}, search(q), cmpOpts...); diff != "" {
			t.Errorf("search %q after a merge (-want +got):\n%s", q, diff)
		}
	}
	// A person's name override is searchable.
	if err := c.SetOverride(ctx, m, "Queen of Hearts", connectors.AccountRef{}, "ops"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{m}, search("of hear"), cmpOpts...); diff != "" {
		t.Errorf("search for an override name (-want +got):\n%s", diff)
	}
	// Unmerge: each side finds its own.
	nm, err := c.Unmerge(ctx, m, gh("3"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{nm}, search("roline"), cmpOpts...); diff != "" {
		t.Errorf("search after unmerge (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{m}, search("liddell"), cmpOpts...); diff != "" {
		t.Errorf("search after unmerge (-want +got):\n%s", diff)
	}
	// Forget: gone from the search.
	if _, err := c.Forget(ctx, m, "ops"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"liddell", "of hear", "wonder", "al"} {
		if got := search(q); len(got) != 0 {
			t.Errorf("search %q after forget = %v; want none", q, got)
		}
	}
}

func testJoinReasons(t *testing.T, s crm.Store, is crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	var b connectors.Batch
	for i := 1; i <= 6; i++ {
		b.Accounts = append(b.Accounts, ref(fmt.Sprint(i), fmt.Sprint("u", i)))
	}
	apply(t, s, "gh", b)
	un, err := s.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	idOf := make(map[connectors.AccountRef]int64)
	for _, id := range un {
		idOf[id.AccountRef] = id.ID
	}
	// The resolver: 1 new, 2 joins 1 on evidence, 3, 4 and 5 new.
	if err := s.Assign(ctx, []crm.Assignment{{IdentityID: idOf[gh("1")], Reason: "new account"}}); err != nil {
		t.Fatal(err)
	}
	m1 := memberOf(t, s, gh("1"))
	as := []crm.Assignment{{IdentityID: idOf[gh("2")], MemberID: m1, Reason: "commit_author_login"}}
	for _, i := range []string{"3", "4", "5"} {
		as = append(as, crm.Assignment{IdentityID: idOf[gh(i)], Reason: "new account"})
	}
	if err := s.Assign(ctx, as); err != nil {
		t.Fatal(err)
	}
	if err := is.MergeMembers(ctx, []crm.MemberMerge{{Into: m1, From: memberOf(t, s, gh("3")), Reason: "resolver: strong evidence",
		Evidence: []string{"mutual profile links", "same verified e-mail"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Merge(ctx, gh("4"), gh("1"), "ana", "same person"); err != nil {
		t.Fatal(err)
	}
	// A suggestion accepted for an account no member had.
	if err := is.ReplaceSuggestions(ctx, []crm.Suggestion{{A: gh("6"), B: gh("2"), Confidence: 0.6, Reasons: []string{"same name"}}}); err != nil {
		t.Fatal(err)
	}
	ss, err := c.Suggestions(ctx, crm.SuggestionOpen)
	if err != nil || len(ss) != 1 {
		t.Fatalf("Suggestions = %v, %v", ss, err)
	}
	if err := c.DecideSuggestion(ctx, ss[0].ID, true, "ana"); err != nil {
		t.Fatal(err)
	}
	type jr struct {
		ID      string
		Reasons []string
		Actor   string
	}
	reasons := func(m int64) []jr {
		t.Helper()
		got, err := s.JoinReasons(ctx, m)
		if err != nil {
			t.Fatalf("JoinReasons(%d): %v", m, err)
		}
		var out []jr
		for _, g := range got {
			out = append(out, jr{g.Identity.ExternalID, g.Reasons, g.Actor})
			if g.At.IsZero() {
				t.Errorf("join of %s has no time", g.Identity)
			}
		}
		return out
	}
	want := []jr{
		{"1", []string{"first account of a new member"}, "resolver"},
		{"2", []string{"joined by the resolver: commit_author_login"}, "resolver"},
		{"3", []string{"first account of a new member", "members merged on evidence: mutual profile links; same verified e-mail"}, "resolver"},
		{"4", []string{"first account of a new member", "merged by ana: same person"}, "ana"},
		{"6", []string{fmt.Sprintf("merged by ana: suggestion %d accepted", ss[0].ID)}, "ana"},
	}
	if diff := cmp.Diff(want, reasons(m1)); diff != "" {
		t.Errorf("JoinReasons after resolver and manual merges (-want +got):\n%s", diff)
	}
	// Split out, then merged by hand elsewhere: the story starts at the split.
	nm, err := c.Unmerge(ctx, m1, gh("3"), "bob", "not the same")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]jr{{"3", []string{"split out into a member of its own by bob: not the same"}, "bob"}}, reasons(nm)); diff != "" {
		t.Errorf("JoinReasons after unmerge (-want +got):\n%s", diff)
	}
	m5 := memberOf(t, s, gh("5"))
	into, err := c.Merge(ctx, gh("5"), gh("3"), "cy", "")
	if err != nil {
		t.Fatal(err)
	}
	if into != m5 {
		t.Fatalf("Merge kept member %d; want %d", into, m5)
	}
	want = []jr{
		{"3", []string{"split out into a member of its own by bob: not the same", "merged by cy"}, "cy"},
		{"5", []string{"first account of a new member"}, "resolver"},
	}
	if diff := cmp.Diff(want, reasons(m5)); diff != "" {
		t.Errorf("JoinReasons after unmerge and merge (-want +got):\n%s", diff)
	}
}

// testManyIdentities reads the journey of a member with 80 identities
// (stores may read a few identities one by one and many at once).
func testManyIdentities(t *testing.T, s crm.Store) {
	ctx := t.Context()
	var b connectors.Batch
	for i := 1; i <= 80; i++ {
		r := gh(fmt.Sprint(i))
		b.Accounts = append(b.Accounts, ref(fmt.Sprint(i), fmt.Sprint("u", i)))
		b.Activities = append(b.Activities, typed("star", fmt.Sprint(i), r, 100-i, 0, ""), typed("issue_opened", fmt.Sprint(i), r, 200-i, 0, ""))
	}
	apply(t, s, "fx", b)
	un, err := s.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	as := []crm.Assignment{{IdentityID: un[0].ID, Reason: "new account"}}
	for _, id := range un[1:] {
		as = append(as, crm.Assignment{IdentityID: id.ID, SameAs: un[0].ID, Reason: "x"})
	}
	if err := s.Assign(ctx, as); err != nil {
		t.Fatal(err)
	}
	m := memberOf(t, s, gh("1"))
	j := journey(t, s, m)
	if len(j.Activities) != 160 {
		t.Fatalf("journey has %d activities; want 160", len(j.Activities))
	}
	var got []string
	q := crm.TimelineQuery{MemberID: m, Limit: 7}
	for {
		p, err := s.Timeline(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Activities {
			got = append(got, a.Key)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	var want []string
	for i := len(j.Activities) - 1; i >= 0; i-- {
		want = append(want, j.Activities[i].Key)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeline of 80 identities (-want +got):\n%s", diff)
	}
	ms, err := s.Milestones(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, x := range ms {
		kinds = append(kinds, x.Kind+" "+x.Activity.Key)
	}
	wantKinds := []string{
		crm.MilestoneFirstSeen + " " + j.Activities[0].Key,
		crm.MilestoneFirstContribution + " " + typed("issue_opened", "80", gh("80"), 0, 0, "").Key,
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("milestones of 80 identities (-want +got):\n%s", diff)
	}
	jr, err := s.JoinReasons(ctx, m)
	if err != nil || len(jr) != 80 {
		t.Errorf("JoinReasons = %d reasons, %v; want 80", len(jr), err)
	}
}

// testReactionsRead: the journey, the timeline and the milestones carry
// each activity's latest reaction counts (nil when the service reported
// none, zero counts kept as a zero total, a negative score as is), and
// never its text excerpt.
func testReactionsRead(t *testing.T, s crm.Store) {
	hearts := typed("issue_opened", "1", gh("1"), 0, 0, "")
	hearts.Reactions = &connectors.Reactions{Total: 3, ByKind: map[string]int{"+1": 2, "heart": 1}}
	hearts.Text = "it breaks"
	none := typed("issue_comment", "2", gh("1"), 1, 0, "")
	none.Text = "me too"
	zero := typed("pr_opened", "3", gh("1"), 2, 0, "")
	zero.Reactions = &connectors.Reactions{}
	score := typed("answer", "4", soRef("5"), 3, 0, "")
	score.Reactions = &connectors.Reactions{Total: -2, ByKind: map[string]int{connectors.ReactionScore: -2}}
	apply(t, s, "fx", connectors.Batch{
		Accounts:   []connectors.Account{ref("1", "one"), {AccountRef: soRef("5"), Username: "Five"}},
		Activities: []connectors.Activity{hearts, none, zero, score},
	})
	// A later batch with newer counts replaces them.
	hearts.Reactions = &connectors.Reactions{Total: 4, ByKind: map[string]int{"+1": 3, "heart": 1}}
	apply(t, s, "fx", connectors.Batch{Activities: []connectors.Activity{hearts}})
	want := map[string]*connectors.Reactions{hearts.Key: hearts.Reactions, none.Key: nil, zero.Key: {}, score.Key: score.Reactions}
	members := assignAllNew(t, s)
	check := func(where string, as []crm.Activity) {
		t.Helper()
		for _, a := range as {
			if diff := cmp.Diff(want[a.Key], a.Reactions); diff != "" {
				t.Errorf("%s: %s reactions (-want +got):\n%s", where, a.Key, diff)
			}
			if a.Text != "" {
				t.Errorf("%s: %s carries its text excerpt %q", where, a.Key, a.Text)
			}
		}
	}
	seen := 0
	for _, m := range []int64{members[gh("1")], members[soRef("5")]} {
		j := journey(t, s, m)
		check("journey", j.Activities)
		seen += len(j.Activities)
		p, err := s.Timeline(t.Context(), crm.TimelineQuery{MemberID: m})
		if err != nil {
			t.Fatalf("Timeline: %v", err)
		}
		check("timeline", p.Activities)
		ms, err := s.Milestones(t.Context(), m)
		if err != nil {
			t.Fatalf("Milestones: %v", err)
		}
		for _, x := range ms {
			check("milestone "+x.Kind, []crm.Activity{x.Activity})
		}
	}
	if seen != len(want) {
		t.Errorf("journeys hold %d activities, want %d", seen, len(want))
	}
}
