package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rollcall-dev/rollcall/crm"
)

// Members lists members that have at least one identity, most active first
// (ties by id), each with its identities. q.Search matches member names and
// identity usernames, names and e-mail addresses as a case-insensitive
// substring (ASCII case folding); q.Limit <= 0 means no limit. It runs two
// queries in one read transaction, whatever the number of members.
func (s *Store) Members(ctx context.Context, q crm.MemberQuery) ([]crm.Member, error) {
	var where string
	var args []any
	if q.Search != "" {
		pat := "%" + escapeLike(q.Search) + "%"
		where = `WHERE m.name LIKE ? ESCAPE '\' OR m.id IN (SELECT member_id FROM identities
			WHERE member_id IS NOT NULL AND (username LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR emails LIKE ? ESCAPE '\'))`
		args = []any{pat, pat, pat, pat}
	}
	ms, err := s.members(ctx, where, args, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list members (search %q): %w", q.Search, err)
	}
	return ms, nil
}

// Member returns one member with its identities; the error wraps
// crm.ErrNotFound when there is no such member with an identity.
func (s *Store) Member(ctx context.Context, id int64) (crm.Member, error) {
	ms, err := s.members(ctx, `WHERE m.id = ?`, []any{id}, 1)
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
			a.url, a.title, a.channel, a.parent_key,
			i.id, i.platform, i.instance, i.external_id, i.username
		FROM identities i JOIN activities a ON a.identity_id = i.id
		WHERE i.member_id = ?
		ORDER BY a.occurred_at, a.key`, memberID)
	if err != nil {
		return crm.Journey{}, fmt.Errorf("sqlite: journey of member %d: %w", memberID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a crm.Activity
		var at string
		if err := rows.Scan(&a.Key, &a.Platform, &a.Instance, &a.Type, &at, &a.URL, &a.Title, &a.Channel, &a.ParentKey,
			&a.IdentityID, &a.Actor.Platform, &a.Actor.Instance, &a.Actor.ExternalID, &a.Username); err != nil {
			return crm.Journey{}, fmt.Errorf("sqlite: journey of member %d: %w", memberID, err)
		}
		if a.OccurredAt, err = parseTime(at); err != nil {
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

// members runs the member list query with an extra WHERE clause on m, then
// loads the identities of the members found, in one read transaction.
func (s *Store) members(ctx context.Context, where string, args []any, limit int) ([]crm.Member, error) {
	if limit <= 0 {
		limit = -1
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.name, m.primary_identity_id, COUNT(a.key),
			COALESCE(MIN(a.occurred_at), MIN(i.first_seen_at)),
			COALESCE(MAX(a.occurred_at), MAX(i.first_seen_at))
		FROM members m
		JOIN identities i ON i.member_id = m.id
		LEFT JOIN activities a ON a.identity_id = i.id
		`+where+`
		GROUP BY m.id
		ORDER BY COUNT(a.key) DESC, m.id
		LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	var out []crm.Member
	index := make(map[int64]int)
	var ids []int64
	primary := make(map[int64]int64) // member id -> primary identity id
	for rows.Next() {
		var m crm.Member
		var first, last string
		var prim sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Name, &prim, &m.ActivityCount, &first, &last); err != nil {
			rows.Close()
			return nil, err
		}
		if m.FirstSeen, err = parseTime(first); err == nil {
			m.LastSeen, err = parseTime(last)
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("member %d: %w", m.ID, err)
		}
		index[m.ID] = len(out)
		primary[m.ID] = prim.Int64
		ids = append(ids, m.ID)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	idsJSON, _ := json.Marshal(ids)
	irows, err := tx.QueryContext(ctx, `SELECT `+identityCols+` FROM identities
		WHERE member_id IN (SELECT value FROM json_each(?))
		ORDER BY member_id, id`, string(idsJSON))
	if err != nil {
		return nil, fmt.Errorf("identities of %d members: %w", len(ids), err)
	}
	defer irows.Close()
	for irows.Next() {
		id, err := scanIdentity(irows)
		if err != nil {
			return nil, fmt.Errorf("identities of %d members: %w", len(ids), err)
		}
		m := &out[index[id.MemberID]]
		m.Identities = append(m.Identities, id)
		if id.ID == primary[m.ID] {
			m.Primary = id.AccountRef
		}
	}
	if err := irows.Err(); err != nil {
		return nil, fmt.Errorf("identities of %d members: %w", len(ids), err)
	}
	for i := range out {
		if out[i].Primary.IsZero() && len(out[i].Identities) > 0 {
			// Not recomputed yet (a store written by an older version).
			out[i].Primary = out[i].Identities[0].AccountRef
		}
	}
	return out, nil
}

// escapeLike escapes LIKE wildcards with '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
