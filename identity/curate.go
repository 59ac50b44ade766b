package identity

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// This file holds the decisions people make by hand (merge, unmerge,
// accept or reject a suggestion) as the command line and the web both run
// them: one definition of how a member is named, which of its accounts a
// decision is about, and what each failure means.

// ErrInvalid is wrapped by errors about a member or identity that is
// neither a member id nor platform:username.
var ErrInvalid = errors.New("invalid")

// DecisionError is a failure of a manual decision, worded for the person
// who asked. Kind is crm.ErrNotFound, crm.ErrConflict or ErrInvalid, so
// callers map it with errors.Is (to an exit status or an HTTP status).
type DecisionError struct {
	Msg  string
	Kind error
}

// Error returns the message.
func (e *DecisionError) Error() string { return e.Msg }

// Unwrap returns Kind.
func (e *DecisionError) Unwrap() error { return e.Kind }

func decisionErr(kind error, format string, args ...any) error {
	return &DecisionError{Msg: fmt.Sprintf(format, args...), Kind: kind}
}

// MemberFinder finds members by id or by one of their accounts.
type MemberFinder interface {
	Member(ctx context.Context, id int64) (crm.Member, error)
	MemberByUsername(ctx context.Context, platform, username string) (crm.Member, error)
}

// FindMember resolves spec, a member id or platform:username
// (case-insensitive).
func FindMember(ctx context.Context, st MemberFinder, spec string) (crm.Member, error) {
	if id, err := strconv.ParseInt(spec, 10, 64); err == nil {
		m, err := st.Member(ctx, id)
		if errors.Is(err, crm.ErrNotFound) {
			return m, decisionErr(crm.ErrNotFound, "no member with id %d", id)
		}
		return m, err
	}
	platform, username, ok := strings.Cut(spec, ":")
	if !ok || platform == "" || username == "" {
		return crm.Member{}, decisionErr(ErrInvalid, "MEMBER must be a member id or platform:username, not %q", spec)
	}
	m, err := st.MemberByUsername(ctx, platform, username)
	if errors.Is(err, crm.ErrNotFound) {
		return m, decisionErr(crm.ErrNotFound, "no member has the %s account %q", platform, username)
	}
	return m, err
}

// MemberAndRef finds a member by id or platform:username, and one of its
// accounts: the named one, or its primary (else first) identity for an id.
func MemberAndRef(ctx context.Context, st MemberFinder, spec string) (crm.Member, connectors.AccountRef, error) {
	m, err := FindMember(ctx, st, spec)
	if err != nil {
		return m, connectors.AccountRef{}, err
	}
	if len(m.Identities) == 0 {
		return m, connectors.AccountRef{}, decisionErr(crm.ErrConflict, "member %d has no identities", m.ID)
	}
	if ref, ok := IdentityIn(m, spec); ok {
		return m, ref, nil
	}
	if !m.Primary.IsZero() {
		return m, m.Primary, nil
	}
	return m, m.Identities[0].AccountRef, nil
}

// IdentityIn finds one of a member's identities by platform:username
// (case-insensitive) or by its key platform/instance/external_id.
func IdentityIn(m crm.Member, spec string) (connectors.AccountRef, bool) {
	platform, username, hasColon := strings.Cut(spec, ":")
	for _, id := range m.Identities {
		if hasColon && id.Platform == platform && strings.EqualFold(id.Username, username) || id.AccountRef.String() == spec {
			return id.AccountRef, true
		}
	}
	return connectors.AccountRef{}, false
}

// Decider is what manual decisions need from the store.
type Decider interface {
	MemberFinder
	Merge(ctx context.Context, a, b connectors.AccountRef, actor, reason string) (int64, error)
	Unmerge(ctx context.Context, memberID int64, ref connectors.AccountRef, actor, reason string) (int64, error)
	DecideSuggestion(ctx context.Context, id int64, accept bool, actor string) error
}

// MergeResult says what MergeMembers did.
type MergeResult struct {
	// A and B are the two members as they were before the merge.
	A, B crm.Member
	// Into is the surviving member.
	Into int64
	// Already is set when A and B were one member: nothing changed.
	Already bool
}

// MergeMembers joins the members named by a and b (member ids or
// platform:username), recording a decision that later syncs respect.
func MergeMembers(ctx context.Context, st Decider, a, b, actor, reason string) (MergeResult, error) {
	ma, ra, err := MemberAndRef(ctx, st, a)
	if err != nil {
		return MergeResult{}, err
	}
	mb, rb, err := MemberAndRef(ctx, st, b)
	if err != nil {
		return MergeResult{}, err
	}
	res := MergeResult{A: ma, B: mb}
	if ma.ID == mb.ID {
		res.Into, res.Already = ma.ID, true
		return res, nil
	}
	id, err := st.Merge(ctx, ra, rb, actor, reason)
	if err != nil {
		return res, fmt.Errorf("merge %s and %s: %w", a, b, err)
	}
	res.Into = id
	return res, nil
}

// UnmergeResult says what UnmergeIdentity did.
type UnmergeResult struct {
	// Member is the member the identity left, as it was before.
	Member crm.Member
	// Identity is the account that moved.
	Identity connectors.AccountRef
	// NewMember is the member the identity is in now, alone.
	NewMember int64
}

// UnmergeIdentity moves identity (platform:username or platform/instance/id) out
// of the member named by member into a new member of its own, recording
// that it is a different person from the member's other identities.
func UnmergeIdentity(ctx context.Context, st Decider, member, identity, actor, reason string) (UnmergeResult, error) {
	m, err := FindMember(ctx, st, member)
	if err != nil {
		return UnmergeResult{}, err
	}
	ref, ok := IdentityIn(m, identity)
	if !ok {
		return UnmergeResult{Member: m}, decisionErr(crm.ErrNotFound, "member %d has no identity %q", m.ID, identity)
	}
	res := UnmergeResult{Member: m, Identity: ref}
	id, err := st.Unmerge(ctx, m.ID, ref, actor, reason)
	if errors.Is(err, crm.ErrConflict) {
		return res, decisionErr(crm.ErrConflict, "unmerge %s from member %d: it is the member's only identity", identity, m.ID)
	}
	if err != nil {
		return res, fmt.Errorf("unmerge %s from member %d: %w", identity, m.ID, err)
	}
	res.NewMember = id
	return res, nil
}

// DecideSuggestion accepts (merging the two members) or rejects (recording
// that they differ) suggestion id.
func DecideSuggestion(ctx context.Context, st Decider, id int64, accept bool, actor string) error {
	err := st.DecideSuggestion(ctx, id, accept, actor)
	verb := "reject"
	if accept {
		verb = "accept"
	}
	switch {
	case errors.Is(err, crm.ErrNotFound):
		return decisionErr(crm.ErrNotFound, "no suggestion %d", id)
	case errors.Is(err, crm.ErrConflict):
		return decisionErr(crm.ErrConflict, "suggestion %d was already decided", id)
	case err != nil:
		return fmt.Errorf("%s suggestion %d: %w", verb, id, err)
	}
	return nil
}

// MarkDecider is what MarkMember needs from the store.
type MarkDecider interface {
	MemberFinder
	crm.Marker
}

// MarkMember records a person's mark on the member named by member (a
// member id or platform:username): crm.MarkStaff, MarkBot or MarkNone
// (explicitly neither, whatever the team list and the connectors say). It
// returns the member as it reads after the mark.
func MarkMember(ctx context.Context, st MarkDecider, member, mark, actor, reason string) (crm.Member, error) {
	if !crm.ValidMark(mark) {
		return crm.Member{}, decisionErr(ErrInvalid, "mark must be %s, %s or %s, not %q", crm.MarkStaff, crm.MarkBot, crm.MarkNone, mark)
	}
	m, err := FindMember(ctx, st, member)
	if err != nil {
		return m, err
	}
	if err := st.SetMark(ctx, m.ID, mark, actor, reason); err != nil {
		return m, fmt.Errorf("mark member %d %s: %w", m.ID, mark, err)
	}
	after, err := st.Member(ctx, m.ID)
	if err != nil {
		return m, fmt.Errorf("read member %d after marking it: %w", m.ID, err)
	}
	return after, nil
}
