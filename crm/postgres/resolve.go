package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Unassigned lists identities that belong to no member, oldest first (by
// first sighting, then id). limit <= 0 means no limit.
func (s *Store) Unassigned(ctx context.Context, limit int) ([]crm.Identity, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	out, err := scanIdentities(s.pool.Query(ctx, `SELECT `+identityCols+` FROM identities
		WHERE member_id IS NULL ORDER BY first_seen_at, id LIMIT $1`, lim))
	if err != nil {
		return nil, fmt.Errorf("postgres: list unassigned identities: %w", err)
	}
	return out, nil
}

// IdentityByRef finds an identity by its account key; the error wraps
// crm.ErrNotFound when there is none.
func (s *Store) IdentityByRef(ctx context.Context, ref connectors.AccountRef) (crm.Identity, error) {
	id, err := identityByRef(ctx, s.pool, ref, false)
	if err != nil {
		return crm.Identity{}, fmt.Errorf("postgres: look up %w", err)
	}
	return id, nil
}

// EvidenceOf lists stored evidence that mentions ref on either side, each
// with the account on the other side, ordered by that account's key then
// kind. The other account may have no identity.
func (s *Store) EvidenceOf(ctx context.Context, ref connectors.AccountRef) ([]crm.IdentityEvidence, error) {
	key := ref.String()
	rows, err := s.pool.Query(ctx, `SELECT kind, b_ref FROM evidence WHERE a_ref = $1
		UNION SELECT kind, a_ref FROM evidence WHERE b_ref = $1
		ORDER BY 2, 1`, key)
	if err != nil {
		return nil, fmt.Errorf("postgres: evidence of %s: %w", ref, err)
	}
	defer rows.Close()
	var out []crm.IdentityEvidence
	for rows.Next() {
		var kind, other string
		if err := rows.Scan(&kind, &other); err != nil {
			return nil, fmt.Errorf("postgres: evidence of %s: %w", ref, err)
		}
		o, err := crm.ParseAccountKey(other)
		if err != nil {
			return nil, fmt.Errorf("postgres: evidence of %s: %w", ref, err)
		}
		out = append(out, crm.IdentityEvidence{Kind: kind, Other: o})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: evidence of %s: %w", ref, err)
	}
	return out, nil
}

// Assign records the resolver's decisions in one transaction, as
// crm/sqlite's Assign does: one audit_log row per identity moved, MemberID
// 0 creating a member (or, with SameAs, joining that identity's), a no-op
// for an identity already in the member, crm.ErrConflict for one in
// another member, crm.ErrNotFound for an unknown identity or member,
// forgotten accounts skipped, touched members recomputed.
func (s *Store) Assign(ctx context.Context, as []crm.Assignment) error {
	if len(as) == 0 {
		return nil
	}
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		now := s.now()
		given := make(map[int64]int64, len(as)) // identity id -> member id, this call
		var touched []int64
		seen := make(map[int64]bool)
		ts := s.tombs(tx)
		ids := make([]int64, 0, len(as))
		for _, a := range as {
			ids = append(ids, a.IdentityID)
		}
		if err := lockIdentities(ctx, tx, ids); err != nil {
			return err
		}
		for _, a := range as {
			mid, err := assignOne(ctx, tx, ts, a, given, now)
			if err != nil {
				return fmt.Errorf("identity %d: %w", a.IdentityID, err)
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
		slices.Sort(touched) // members in id order, as Apply recomputes them
		for _, mid := range touched {
			if err := recomputeMember(ctx, tx, mid); err != nil {
				return fmt.Errorf("name member %d: %w", mid, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: assign %d identities: %w", len(as), err)
	}
	return nil
}

// assignOne performs one assignment and returns the identity's member, or
// 0 when it skipped a forgotten account.
func assignOne(ctx context.Context, tx pgx.Tx, ts *tombs, a crm.Assignment, given map[int64]int64, now time.Time) (int64, error) {
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
		if err := memberExists(ctx, tx, target); err != nil {
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
		if err := tx.QueryRow(ctx, `INSERT INTO members (name, primary_identity_id, created_at) VALUES ($1, $2, $3) RETURNING id`,
			name, ident.ID, formatTime(now)).Scan(&target); err != nil {
			return 0, fmt.Errorf("create member: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE identities SET member_id = $1 WHERE id = $2`, target, ident.ID); err != nil {
		return 0, err
	}
	detail, _ := json.Marshal(struct {
		Reason    string `json:"reason"`
		Account   string `json:"account"`
		NewMember bool   `json:"new_member,omitempty"`
	}{a.Reason, ident.AccountRef.String(), created})
	var aid int64
	if err := tx.QueryRow(ctx, `INSERT INTO audit_log (at, actor, action, member_id, identity_id, detail)
		VALUES ($1, 'resolver', 'assign', $2, $3, $4) RETURNING id`, formatTime(now), target, ident.ID, string(detail)).Scan(&aid); err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO identity_joins (identity_id, member_id, audit_id) VALUES ($1, $2, $3)`,
		ident.ID, target, aid); err != nil {
		return 0, fmt.Errorf("record join: %w", err)
	}
	return target, nil
}

// memberOf returns the member owning ref's identity, 0 if none.
func memberOf(ctx context.Context, q querier, ref connectors.AccountRef) (int64, error) {
	var m *int64
	err := q.QueryRow(ctx, `SELECT member_id FROM identities WHERE platform = $1 AND instance = $2 AND external_id = $3`,
		ref.Platform, ref.Instance, ref.ExternalID).Scan(&m)
	if errors.Is(err, pgx.ErrNoRows) || m == nil {
		return 0, nil
	}
	return *m, err
}

// lockIdentities locks the rows of ids in id order, the order in which
// Apply locks the identities of its batch, so that a resolver write and a
// batch that share identities wait for each other instead of deadlocking.
func lockIdentities(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM identities WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return fmt.Errorf("lock %d identities: %w", len(ids), err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lock %d identities: %w", len(ids), err)
	}
	return nil
}
