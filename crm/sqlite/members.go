package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/rollcall-dev/rollcall/crm"
)

// Members lists members that have at least one identity, in q.Sort order
// (most active first by default, ties by id), each with its identities.
// q.Search matches member names and identity usernames, names and e-mail
// addresses as a case-insensitive substring (see ListMembers); the other
// filters apply as in ListMembers, q.Cursor is ignored, and q.Limit <= 0
// means no limit. It reads the kept member stats, never the activities.
func (s *Store) Members(ctx context.Context, q crm.MemberQuery) ([]crm.Member, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	rare, err := s.rareFilters(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members: %w", err)
	}
	query, args, _, err := memberListSQL(q, rare, false, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members: %w", err)
	}
	ms, _, err := s.loadMembers(ctx, query, args)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members (search %q): %w", q.Search, err)
	}
	return ms, nil
}

// Member returns one member with its identities; the error wraps
// crm.ErrNotFound when there is no such member with an identity.
func (s *Store) Member(ctx context.Context, id int64) (crm.Member, error) {
	ms, _, err := s.loadMembers(ctx, `SELECT m.id, m.name, m.primary_identity_id, m.activity_count, m.first_seen, m.last_seen, ''
		FROM members m WHERE m.id = ? AND m.identity_count > 0`, []any{id})
	if err != nil {
		return crm.Member{}, fmt.Errorf("sqlite: read member %d: %w", id, err)
	}
	if len(ms) == 0 {
		return crm.Member{}, fmt.Errorf("sqlite: read member %d: %w", id, crm.ErrNotFound)
	}
	return ms[0], nil
}

// MemberByUsername returns the member owning the platform account with that
// username, compared case-insensitively (ASCII). When several accounts had
// the name, the most recently updated wins. The error wraps crm.ErrNotFound
// when no assigned identity has it.
func (s *Store) MemberByUsername(ctx context.Context, platform, username string) (crm.Member, error) {
	var mid int64
	err := s.r.QueryRowContext(ctx, `SELECT member_id FROM identities
		WHERE platform = ? AND lower(username) = lower(?) AND member_id IS NOT NULL
		ORDER BY updated_at DESC, id DESC LIMIT 1`, platform, username).Scan(&mid)
	if err == sql.ErrNoRows {
		return crm.Member{}, fmt.Errorf("sqlite: member with %s username %q: %w", platform, username, crm.ErrNotFound)
	}
	if err != nil {
		return crm.Member{}, fmt.Errorf("sqlite: member with %s username %q: %w", platform, username, err)
	}
	return s.Member(ctx, mid)
}

// Journey returns the member and the activities of all its identities,
// oldest first (ties by key), each with its identity's username.
func (s *Store) Journey(ctx context.Context, memberID int64) (crm.Journey, error) {
	m, err := s.Member(ctx, memberID)
	if err != nil {
		return crm.Journey{}, fmt.Errorf("sqlite: journey: %w", err)
	}
	j := crm.Journey{Member: m}
	rows, err := s.r.QueryContext(ctx, `SELECT a.key, a.platform, a.instance, a.type, a.occurred_at,
			a.url, a.title, a.channel, a.parent_key, a.reactions_total, a.reactions,
			i.id, i.platform, i.instance, i.external_id, i.username
		FROM identities i JOIN `+byTime+` ON a.identity_id = i.id
		WHERE i.member_id = ?
		ORDER BY a.occurred_at, a.key`, memberID)
	if err != nil {
		return crm.Journey{}, fmt.Errorf("sqlite: journey of member %d: %w", memberID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a crm.Activity
		var at, byKind string
		var total sql.NullInt64
		if err := rows.Scan(&a.Key, &a.Platform, &a.Instance, &a.Type, &at, &a.URL, &a.Title, &a.Channel, &a.ParentKey, &total, &byKind,
			&a.IdentityID, &a.Actor.Platform, &a.Actor.Instance, &a.Actor.ExternalID, &a.Username); err != nil {
			return crm.Journey{}, fmt.Errorf("sqlite: journey of member %d: %w", memberID, err)
		}
		if a.OccurredAt, err = parseTime(at); err != nil {
			return crm.Journey{}, fmt.Errorf("sqlite: journey of member %d: activity %s: %w", memberID, a.Key, err)
		}
		if a.Reactions, err = crm.DecodeReactions(total.Valid, total.Int64, byKind); err != nil {
			return crm.Journey{}, fmt.Errorf("sqlite: journey of member %d: activity %s: %w", memberID, a.Key, err)
		}
		a.MemberID = memberID
		j.Activities = append(j.Activities, a)
	}
	if err := rows.Err(); err != nil {
		return crm.Journey{}, fmt.Errorf("sqlite: journey of member %d: %w", memberID, err)
	}
	return j, nil
}

// loadMembers runs a member query selecting id, name, primary identity,
// activity count, first and last seen and a sort key, then loads the
// identities of the members found, in one read transaction. It returns
// the members and their sort keys, in query order.
func (s *Store) loadMembers(ctx context.Context, query string, args []any) ([]crm.Member, []string, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	var keys []string
	var out []crm.Member
	index := make(map[int64]int)
	var ids []int64
	primary := make(map[int64]int64) // member id -> primary identity id
	for rows.Next() {
		var m crm.Member
		var first, last, key string
		var prim sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Name, &prim, &m.ActivityCount, &first, &last, &key); err != nil {
			rows.Close()
			return nil, nil, err
		}
		keys = append(keys, key)
		if m.FirstSeen, err = parseTime(first); err == nil {
			m.LastSeen, err = parseTime(last)
		}
		if err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("member %d: %w", m.ID, err)
		}
		index[m.ID] = len(out)
		primary[m.ID] = prim.Int64
		ids = append(ids, m.ID)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return nil, nil, nil
	}
	idsJSON, _ := json.Marshal(ids)
	irows, err := tx.QueryContext(ctx, `SELECT `+identityCols+` FROM identities
		WHERE member_id IN (SELECT value FROM json_each(?))
		ORDER BY member_id, id`, string(idsJSON))
	if err != nil {
		return nil, nil, fmt.Errorf("identities of %d members: %w", len(ids), err)
	}
	defer irows.Close()
	for irows.Next() {
		id, err := scanIdentity(irows)
		if err != nil {
			return nil, nil, fmt.Errorf("identities of %d members: %w", len(ids), err)
		}
		m := &out[index[id.MemberID]]
		m.Identities = append(m.Identities, id)
		if id.ID == primary[m.ID] {
			m.Primary = id.AccountRef
		}
	}
	if err := irows.Err(); err != nil {
		return nil, nil, fmt.Errorf("identities of %d members: %w", len(ids), err)
	}
	if err := loadMarks(ctx, tx, string(idsJSON), out, index); err != nil {
		return nil, nil, err
	}
	for i := range out {
		if out[i].Primary.IsZero() && len(out[i].Identities) > 0 {
			// Not recomputed yet (a store written by an older version).
			out[i].Primary = out[i].Identities[0].AccountRef
		}
		out[i].Role = crm.Role(out[i], s.teamList())
	}
	return out, keys, nil
}
