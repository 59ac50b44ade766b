package storetest

import (
	"errors"
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// testMarks checks the connectors' staff and bot flags, people's marks
// (crm.Marker) and the derived role, across re-syncs and merges.
func testMarks(t *testing.T, s crm.Store, _ crm.IdentityStore, c crm.Curator) {
	ctx := t.Context()
	mk, ok := s.(crm.Marker)
	if !ok {
		t.Skipf("%T does not implement crm.Marker", s)
	}
	staffRef := ref("2", "maintainer")
	staffRef.Staff = true
	botProfile := profile("3", "ci-bot", "CI")
	botProfile.Bot = true
	apply(t, s, "gh", connectors.Batch{
		Accounts:   []connectors.Account{profile("1", "ann", "Ann A"), staffRef, botProfile},
		Activities: []connectors.Activity{act("m/1", gh("1"), 1), act("m/2", gh("2"), 2), act("m/3", gh("3"), 3)},
	})
	mids := assignAllNew(t, s)
	role := func(r connectors.AccountRef) string {
		t.Helper()
		return member(t, s, memberOf(t, s, r)).Role
	}
	want := func(when string, ann, maint, bot string) {
		t.Helper()
		if got := [3]string{role(gh("1")), role(gh("2")), role(gh("3"))}; got != [3]string{ann, maint, bot} {
			t.Errorf("%s: roles of ann, maintainer, ci-bot = %q; want %q", when, got, [3]string{ann, maint, bot})
		}
	}
	want("from connector flags", "", crm.RoleStaff, crm.RoleBot)
	if id, err := s.IdentityByRef(ctx, gh("2")); err != nil || !id.Staff {
		t.Errorf("IdentityByRef(maintainer) staff = %v, %v; want true", id.Staff, err)
	}

	// A later reference and a full profile without the flag keep it: staff
	// evidence accumulates.
	plain := profile("2", "maintainer", "Mae")
	plain.ProfileFetchedAt = t0.Add(1)
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{ref("2", "maintainer"), plain}})
	want("after a re-sync without the staff flag", "", crm.RoleStaff, crm.RoleBot)

	if err := mk.SetMark(ctx, mids[gh("1")], crm.MarkStaff, "ops", "works here"); err != nil {
		t.Fatal(err)
	}
	if err := mk.SetMark(ctx, mids[gh("2")], crm.MarkNone, "ops", "left the company"); err != nil {
		t.Fatal(err)
	}
	if err := mk.SetMark(ctx, mids[gh("3")], crm.MarkNone, "ops", ""); err != nil {
		t.Fatal(err)
	}
	want("after marks", crm.RoleStaff, "", "")
	if m := member(t, s, mids[gh("2")]); m.Mark != crm.MarkNone {
		t.Errorf("Mark = %q; want none", m.Mark)
	}
	if err := mk.SetMark(ctx, mids[gh("1")], "admin", "ops", ""); !errors.Is(err, crm.ErrConflict) {
		t.Errorf("unknown mark: err = %v; want ErrConflict", err)
	}
	if err := mk.SetMark(ctx, 987654, crm.MarkBot, "ops", ""); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("mark of an unknown member: err = %v; want ErrNotFound", err)
	}

	// A re-sync that says staff and bot again changes no mark.
	apply(t, s, "gh", connectors.Batch{Accounts: []connectors.Account{staffRef, botProfile},
		Activities: []connectors.Activity{act("m/4", gh("2"), 4), act("m/5", gh("3"), 5)}})
	want("after a re-sync with the flags", crm.RoleStaff, "", "")
	if ms := members(t, s, crm.MemberQuery{}); len(ms) != 3 {
		t.Errorf("Members = %v; want 3", names(ms))
	} else {
		for _, m := range ms {
			if want := member(t, s, m.ID).Role; m.Role != want {
				t.Errorf("Members: member %d role %q; Member says %q", m.ID, m.Role, want)
			}
		}
	}

	// A merge keeps the surviving member's mark, else the absorbed one's.
	into, err := c.Merge(ctx, gh("1"), gh("3"), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	if m := member(t, s, into); m.Mark == "" || m.Role != crm.Role(m, crm.Team{}) {
		t.Errorf("after merge: mark %q role %q; want a mark kept and its role", m.Mark, m.Role)
	}
	if err := mk.SetMark(ctx, into, crm.MarkBot, "ops", "a shared account"); err != nil {
		t.Fatal(err)
	}
	if got := member(t, s, into).Role; got != crm.RoleBot {
		t.Errorf("after marking bot: role %q", got)
	}
}
