package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// fakeDecider holds two members: 1 (github:ann, mastodon:ann) and 2 (github:bo).
type fakeDecider struct {
	merged, unmerged []string
	decide           error
}

func ref(p, id string) connectors.AccountRef {
	return connectors.AccountRef{Platform: p, Instance: p + ".test", ExternalID: id}
}

func (f *fakeDecider) members() []crm.Member {
	ident := func(p, id, user string) crm.Identity {
		return crm.Identity{Account: connectors.Account{AccountRef: ref(p, id), Username: user}}
	}
	return []crm.Member{
		{ID: 1, Name: "Ann", Identities: []crm.Identity{ident("github", "11", "ann"), ident("mastodon", "12", "ann")}},
		{ID: 2, Name: "Bo", Identities: []crm.Identity{ident("github", "21", "bo")}},
	}
}

func (f *fakeDecider) Member(_ context.Context, id int64) (crm.Member, error) {
	for _, m := range f.members() {
		if m.ID == id {
			return m, nil
		}
	}
	return crm.Member{}, crm.ErrNotFound
}

func (f *fakeDecider) MemberByUsername(_ context.Context, platform, username string) (crm.Member, error) {
	for _, m := range f.members() {
		if _, ok := IdentityIn(m, platform+":"+username); ok {
			return m, nil
		}
	}
	return crm.Member{}, crm.ErrNotFound
}

func (f *fakeDecider) Merge(_ context.Context, a, b connectors.AccountRef, actor, reason string) (int64, error) {
	f.merged = append(f.merged, a.String()+"+"+b.String())
	return 1, nil
}

func (f *fakeDecider) Unmerge(_ context.Context, memberID int64, r connectors.AccountRef, actor, reason string) (int64, error) {
	if memberID == 2 {
		return 0, crm.ErrConflict
	}
	f.unmerged = append(f.unmerged, r.String())
	return 3, nil
}

func (f *fakeDecider) DecideSuggestion(context.Context, int64, bool, string) error { return f.decide }

func TestManualDecisions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(*fakeDecider) error
		kind error // nil: success
		msg  string
	}{
		{"merge by id and handle", func(f *fakeDecider) error {
			res, err := MergeMembers(ctx, f, "1", "github:BO", "cli", "")
			if err == nil && (res.Into != 1 || res.Already || len(f.merged) != 1) {
				t.Errorf("merge = %+v, merged %v", res, f.merged)
			}
			return err
		}, nil, ""},
		{"merge the same member", func(f *fakeDecider) error {
			res, err := MergeMembers(ctx, f, "github:ann", "mastodon:ann", "cli", "")
			if err == nil && (!res.Already || len(f.merged) != 0) {
				t.Errorf("merge = %+v, merged %v", res, f.merged)
			}
			return err
		}, nil, ""},
		{"merge bad spec", func(f *fakeDecider) error { _, err := MergeMembers(ctx, f, "ann", "2", "cli", ""); return err },
			ErrInvalid, `MEMBER must be a member id or platform:username, not "ann"`},
		{"merge unknown id", func(f *fakeDecider) error { _, err := MergeMembers(ctx, f, "9", "2", "cli", ""); return err },
			crm.ErrNotFound, "no member with id 9"},
		{"merge unknown handle", func(f *fakeDecider) error { _, err := MergeMembers(ctx, f, "1", "github:zed", "cli", ""); return err },
			crm.ErrNotFound, `no member has the github account "zed"`},
		{"unmerge", func(f *fakeDecider) error {
			res, err := UnmergeIdentity(ctx, f, "1", "mastodon:ann", "cli", "")
			if err == nil && (res.NewMember != 3 || res.Identity != ref("mastodon", "12")) {
				t.Errorf("unmerge = %+v", res)
			}
			return err
		}, nil, ""},
		{"unmerge foreign identity", func(f *fakeDecider) error { _, err := UnmergeIdentity(ctx, f, "1", "github:bo", "cli", ""); return err },
			crm.ErrNotFound, `member 1 has no identity "github:bo"`},
		{"unmerge only identity", func(f *fakeDecider) error { _, err := UnmergeIdentity(ctx, f, "2", "github:bo", "cli", ""); return err },
			crm.ErrConflict, "unmerge github:bo from member 2: it is the member's only identity"},
		{"decide", func(f *fakeDecider) error { return DecideSuggestion(ctx, f, 4, true, "cli") }, nil, ""},
		{"decide unknown", func(f *fakeDecider) error {
			f.decide = crm.ErrNotFound
			return DecideSuggestion(ctx, f, 4, true, "cli")
		},
			crm.ErrNotFound, "no suggestion 4"},
		{"decide twice", func(f *fakeDecider) error {
			f.decide = crm.ErrConflict
			return DecideSuggestion(ctx, f, 4, false, "cli")
		},
			crm.ErrConflict, "suggestion 4 was already decided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(&fakeDecider{})
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) || err.Error() != tt.msg {
				t.Errorf("err = %v, want %q (is %v)", err, tt.msg, tt.kind)
			}
		})
	}
}

// fakeMarker is fakeDecider's members with marks.
type fakeMarker struct {
	fakeDecider
	marks map[int64]string
	fail  error
}

func (f *fakeMarker) SetMark(_ context.Context, id int64, mark, actor, reason string) error {
	if f.fail != nil {
		return f.fail
	}
	f.marks[id] = mark + " by " + actor + ": " + reason
	return nil
}

func TestMarkMember(t *testing.T) {
	f := &fakeMarker{marks: map[int64]string{}}
	for _, tt := range []struct {
		member, mark string
		kind         error
		want         string
	}{
		{"github:ann", crm.MarkStaff, nil, ""},
		{"2", crm.MarkNone, nil, ""},
		{"github:ann", "admin", ErrInvalid, `mark must be staff, bot or none, not "admin"`},
		{"ann", crm.MarkBot, ErrInvalid, "MEMBER must be a member id or platform:username"},
		{"github:nobody", crm.MarkBot, crm.ErrNotFound, `no member has the github account "nobody"`},
		{"9", crm.MarkBot, crm.ErrNotFound, "no member with id 9"},
	} {
		m, err := MarkMember(t.Context(), f, tt.member, tt.mark, "ops", "why")
		if tt.kind == nil {
			if err != nil {
				t.Errorf("MarkMember(%s, %s): %v", tt.member, tt.mark, err)
			}
			continue
		}
		var de *DecisionError
		if !errors.Is(err, tt.kind) || !errors.As(err, &de) || de.Msg[:min(len(de.Msg), len(tt.want))] != tt.want {
			t.Errorf("MarkMember(%s, %s) = %v, %v; want %v %q", tt.member, tt.mark, m.ID, err, tt.kind, tt.want)
		}
	}
	if want := map[int64]string{1: "staff by ops: why", 2: "none by ops: why"}; len(f.marks) != 2 || f.marks[1] != want[1] || f.marks[2] != want[2] {
		t.Errorf("marks = %v; want %v", f.marks, want)
	}
	f.fail = errors.New("disk full")
	if _, err := MarkMember(t.Context(), f, "1", crm.MarkBot, "ops", ""); err == nil || errors.As(err, new(*DecisionError)) {
		t.Errorf("store failure: err = %v; want a plain wrapped error", err)
	}
}
