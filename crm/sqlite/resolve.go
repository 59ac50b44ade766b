package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Unassigned lists identities that belong to no member, oldest first (by
// first sighting, then id). limit <= 0 means no limit.
func (s *Store) Unassigned(ctx context.Context, limit int) ([]crm.Identity, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+identityCols+` FROM identities
		WHERE member_id IS NULL ORDER BY first_seen_at, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list unassigned identities: %w", err)
	}
	defer rows.Close()
	var out []crm.Identity
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list unassigned identities: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list unassigned identities: %w", err)
	}
	return out, nil
}

// IdentityByRef finds an identity by its account key; the error wraps
// crm.ErrNotFound when there is none.
func (s *Store) IdentityByRef(ctx context.Context, ref connectors.AccountRef) (crm.Identity, error) {
	id, err := identityByRef(ctx, s.r, ref)
	if err != nil {
		return crm.Identity{}, fmt.Errorf("sqlite: look up %w", err)
	}
	return id, nil
}

// EvidenceOf lists stored evidence that mentions ref on either side, each
// with the account on the other side, ordered by that account's key then
// kind. The other account may have no identity.
func (s *Store) EvidenceOf(ctx context.Context, ref connectors.AccountRef) ([]crm.IdentityEvidence, error) {
	key := ref.String()
	rows, err := s.r.QueryContext(ctx, `SELECT kind, b_ref FROM evidence WHERE a_ref = ?
		UNION SELECT kind, a_ref FROM evidence WHERE b_ref = ?
		ORDER BY 2, 1`, key, key)
	if err != nil {
		return nil, fmt.Errorf("sqlite: evidence of %s: %w", ref, err)
	}
	defer rows.Close()
	var out []crm.IdentityEvidence
	for rows.Next() {
		var kind, other string
		if err := rows.Scan(&kind, &other); err != nil {
			return nil, fmt.Errorf("sqlite: evidence of %s: %w", ref, err)
		}
		o, err := crm.ParseAccountKey(other)
		if err != nil {
			return nil, fmt.Errorf("sqlite: evidence of %s: %w", ref, err)
		}
		out = append(out, crm.IdentityEvidence{Kind: kind, Other: o})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: evidence of %s: %w", ref, err)
	}
	return out, nil
}

// Assign records the resolver's decisions in one transaction, with one
// audit_log row (actor "resolver", action "assign") per identity it moves.
// MemberID 0 creates a member, or, with SameAs set, uses the member that
// identity SameAs got earlier in the same call (or already has). Assigning
// an identity to the member it is already in is a no-op; assigning one
// that is in another member fails with crm.ErrConflict; an unknown identity
// or member fails with crm.ErrNotFound. Each touched member's display name
// and primary identity are then recomputed (a person's overrides win). An
// identity whose account was forgotten is skipped.
func (s *Store) Assign(ctx context.Context, as []crm.Assignment) error {
	if len(as) == 0 {
		return nil
	}
	now := s.now()
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: assign %d identities: begin: %w", len(as), err)
	}
	defer tx.Rollback()
	given := make(map[int64]int64, len(as)) // identity id -> member id, this call
	var touched []int64
	seen := make(map[int64]bool)
	ts := s.tombs(tx)
	for _, a := range as {
		mid, err := assignOne(ctx, tx, ts, a, given, now)
		if err != nil {
			return fmt.Errorf("sqlite: assign identity %d: %w", a.IdentityID, err)
		}
		if mid == 0 {
			continue // a forgotten account
		}
		given[a.IdentityID] = mid
		if !seen[mid] {
			seen[mid] = true
			touched = append(touched, mid)
		}
	}
	for _, mid := range touched {
		if err := recomputeMember(ctx, tx, mid); err != nil {
			return fmt.Errorf("sqlite: name member %d: %w", mid, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: assign %d identities: commit: %w", len(as), err)
	}
	return nil
}

// The statements of assignOne (prepared once, see writeStatements).
const (
	memberExistsSQL = `SELECT 1 FROM members WHERE id = ?`
	insertMemberSQL = `INSERT INTO members (name, primary_identity_id, created_at) VALUES (?, ?, ?)`
	setMemberSQL    = `UPDATE identities SET member_id = ? WHERE id = ?`
	auditAssignSQL  = `INSERT INTO audit_log (at, actor, action, member_id, identity_id, detail)
		VALUES (?, 'resolver', 'assign', ?, ?, ?)`
	recordJoinSQL = `INSERT INTO identity_joins (identity_id, member_id, audit_id) VALUES (?, ?, ?)`
)

// assignOne performs one assignment and returns the identity's member, or
// 0 when it skipped a forgotten account.
func assignOne(ctx context.Context, tx querier, ts *tombs, a crm.Assignment, given map[int64]int64, now time.Time) (int64, error) {
	ident, err := identityByID(ctx, tx, a.IdentityID)
	if err != nil {
		return 0, err
	}
	if f, err := ts.has(ctx, ident.AccountRef); err != nil || f {
		return 0, err
	}
	target := a.MemberID
	if target == 0 && a.SameAs != 0 {
		target = given[a.SameAs]
		if target == 0 {
			other, err := identityByID(ctx, tx, a.SameAs)
			if err != nil {
				return 0, fmt.Errorf("same as: %w", err)
			}
			if other.MemberID == 0 {
				return 0, fmt.Errorf("same as identity %d, which has no member: %w", a.SameAs, crm.ErrNotFound)
			}
			target = other.MemberID
		}
	}
	if target != 0 {
		var one int
		err := tx.QueryRowContext(ctx, memberExistsSQL, target).Scan(&one)
		if err == sql.ErrNoRows {
			return 0, fmt.Errorf("member %d: %w", target, crm.ErrNotFound)
		}
		if err != nil {
			return 0, err
		}
	}
	if ident.MemberID != 0 {
		if ident.MemberID == target {
			return target, nil
		}
		return 0, fmt.Errorf("identity %s is already in member %d: %w", ident.AccountRef, ident.MemberID, crm.ErrConflict)
	}
	created := target == 0
	if created {
		name := ident.Name
		if name == "" {
			name = ident.Username
		}
		r, err := tx.ExecContext(ctx, insertMemberSQL, name, ident.ID, formatTime(now))
		if err != nil {
			return 0, fmt.Errorf("create member: %w", err)
		}
		if target, err = r.LastInsertId(); err != nil {
			return 0, fmt.Errorf("create member: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, setMemberSQL, target, ident.ID); err != nil {
		return 0, err
	}
	detail, _ := json.Marshal(struct {
		Reason    string `json:"reason"`
		Account   string `json:"account"`
		NewMember bool   `json:"new_member,omitempty"`
	}{a.Reason, ident.AccountRef.String(), created})
	r, err := tx.ExecContext(ctx, auditAssignSQL, formatTime(now), target, ident.ID, string(detail))
	if err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	aid, err := r.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	if _, err := tx.ExecContext(ctx, recordJoinSQL, ident.ID, target, aid); err != nil {
		return 0, fmt.Errorf("record join: %w", err)
	}
	return target, nil
}
