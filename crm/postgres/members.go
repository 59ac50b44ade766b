package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// Members lists members that have at least one identity, in q.Sort order
// (most active first by default, ties by id), each with its identities.
// Filters and search are those of ListMembers; q.Cursor is ignored and
// q.Limit <= 0 means no limit.
func (s *Store) Members(ctx context.Context, q crm.MemberQuery) ([]crm.Member, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	query, args, _, err := memberListSQL(q, false, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list members: %w", err)
	}
	ms, _, err := s.loadMembers(ctx, query, args)
	if err != nil {
		return nil, fmt.Errorf("postgres: list members (search %q): %w", q.Search, err)
	}
	return ms, nil
}

// Member returns one member with its identities; the error wraps
// crm.ErrNotFound when there is no such member with an identity.
func (s *Store) Member(ctx context.Context, id int64) (crm.Member, error) {
	ms, _, err := s.loadMembers(ctx, `SELECT m.id, m.name, m.primary_identity_id, m.activity_count, m.first_seen, m.last_seen, ''
		FROM members m WHERE m.id = $1 AND m.identity_count > 0`, []any{id})
	if err != nil {
		return crm.Member{}, fmt.Errorf("postgres: read member %d: %w", id, err)
	}
	if len(ms) == 0 {
		return crm.Member{}, fmt.Errorf("postgres: read member %d: %w", id, crm.ErrNotFound)
	}
	return ms[0], nil
}

// MemberByUsername returns the member owning the platform account with that
// username, compared case-insensitively. When several accounts had the
// name, the most recently updated wins. The error wraps crm.ErrNotFound
// when no assigned identity has it.
func (s *Store) MemberByUsername(ctx context.Context, platform, username string) (crm.Member, error) {
	var mid int64
	err := s.pool.QueryRow(ctx, `SELECT member_id FROM identities
		WHERE platform = $1 AND lower(username) = lower($2) AND member_id IS NOT NULL
		ORDER BY updated_at DESC, id DESC LIMIT 1`, platform, username).Scan(&mid)
	if errors.Is(err, pgx.ErrNoRows) {
		return crm.Member{}, fmt.Errorf("postgres: member with %s username %q: %w", platform, username, crm.ErrNotFound)
	}
	if err != nil {
		return crm.Member{}, fmt.Errorf("postgres: member with %s username %q: %w", platform, username, err)
	}
	return s.Member(ctx, mid)
}

// Journey returns the member and the activities of all its identities,
// oldest first (ties by key), each with its identity's username.
func (s *Store) Journey(ctx context.Context, memberID int64) (crm.Journey, error) {
	m, err := s.Member(ctx, memberID)
	if err != nil {
		return crm.Journey{}, fmt.Errorf("postgres: journey: %w", err)
	}
	j := crm.Journey{Member: m}
	rows, err := s.pool.Query(ctx, `SELECT `+activityCols+`, i.username
		FROM identities i JOIN activities a ON a.identity_id = i.id
		WHERE i.member_id = $1
		ORDER BY a.occurred_at, a.key`, memberID)
	if err != nil {
		return crm.Journey{}, fmt.Errorf("postgres: journey of member %d: %w", memberID, err)
	}
	defer rows.Close()
	byID := make(map[int64]crm.Identity)
	for _, id := range m.Identities {
		byID[id.ID] = id
	}
	for rows.Next() {
		var username string
		a, err := scanActivity(rows, byID, &username)
		if err != nil {
			return crm.Journey{}, fmt.Errorf("postgres: journey of member %d: %w", memberID, err)
		}
		a.Username = username
		a.MemberID = memberID
		j.Activities = append(j.Activities, a)
	}
	if err := rows.Err(); err != nil {
		return crm.Journey{}, fmt.Errorf("postgres: journey of member %d: %w", memberID, err)
	}
	return j, nil
}

// loadMembers runs a member query selecting id, name, primary identity,
// activity count, first and last seen and a sort key (text), then loads
// the identities and marks of the members found, in one read transaction.
// It returns the members and their sort keys, in query order.
func (s *Store) loadMembers(ctx context.Context, query string, args []any) ([]crm.Member, []string, error) {
	var out []crm.Member
	var keys []string
	err := s.read(ctx, func(tx pgx.Tx) error {
		out, keys = nil, nil
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		index := make(map[int64]int)
		var ids []int64
		primary := make(map[int64]int64) // member id -> primary identity id
		for rows.Next() {
			var m crm.Member
			var first, last, key string
			var prim *int64
			var count int64
			if err := rows.Scan(&m.ID, &m.Name, &prim, &count, &first, &last, &key); err != nil {
				rows.Close()
				return err
			}
			m.ActivityCount = int(count)
			keys = append(keys, key)
			if m.FirstSeen, err = parseTime(first); err == nil {
				m.LastSeen, err = parseTime(last)
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("member %d: %w", m.ID, err)
			}
			index[m.ID] = len(out)
			if prim != nil {
				primary[m.ID] = *prim
			}
			ids = append(ids, m.ID)
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		idents, err := scanIdentities(tx.Query(ctx, `SELECT `+identityCols+` FROM identities
			WHERE member_id = ANY($1) ORDER BY member_id, id`, ids))
		if err != nil {
			return fmt.Errorf("identities of %d members: %w", len(ids), err)
		}
		for _, id := range idents {
			m := &out[index[id.MemberID]]
			m.Identities = append(m.Identities, id)
			if id.ID == primary[m.ID] {
				m.Primary = id.AccountRef
			}
		}
		mrows, err := tx.Query(ctx, `SELECT id, role_mark FROM members WHERE id = ANY($1) AND role_mark IS NOT NULL`, ids)
		if err != nil {
			return fmt.Errorf("marks of members: %w", err)
		}
		defer mrows.Close()
		for mrows.Next() {
			var id int64
			var mark string
			if err := mrows.Scan(&id, &mark); err != nil {
				return fmt.Errorf("marks of members: %w", err)
			}
			out[index[id]].Mark = mark
		}
		return mrows.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range out {
		if out[i].Primary.IsZero() && len(out[i].Identities) > 0 {
			out[i].Primary = out[i].Identities[0].AccountRef
		}
		out[i].Role = crm.Role(out[i], s.teamList())
	}
	return out, keys, nil
}

// listCursor is what a member list cursor encodes: the sort, the last
// member's sort key and its id (the same form as crm/sqlite's).
type listCursor struct {
	Sort string `json:"s"`
	Key  string `json:"k"`
	ID   int64  `json:"i"`
}

// memberListSQL builds the member list query for q: members with an
// identity, filtered, in q.Sort order, after q.Cursor when withCursor,
// limit rows (-1: all). It selects the columns loadMembers reads plus the
// sort key as text.
func memberListSQL(q crm.MemberQuery, withCursor bool, limit int) (string, []any, string, error) {
	sortName := q.Sort
	if sortName == "" {
		sortName = crm.SortMostActive
	}
	var keyCol, order, after string
	switch sortName {
	case crm.SortMostActive:
		keyCol, order = "m.activity_count::text", "m.activity_count DESC, m.id"
		after = "(m.activity_count < $1::bigint OR (m.activity_count = $1::bigint AND m.id > $2::bigint))"
	case crm.SortNewest:
		keyCol, order = "m.first_seen", "m.first_seen DESC, m.id DESC"
		after = "(m.first_seen, m.id) < ($1::text, $2::bigint)"
	case crm.SortLastSeen:
		keyCol, order = "m.last_seen", "m.last_seen DESC, m.id DESC"
		after = "(m.last_seen, m.id) < ($1::text, $2::bigint)"
	default:
		return "", nil, "", fmt.Errorf("unknown sort %q (want %q, %q or %q): %w",
			q.Sort, crm.SortMostActive, crm.SortNewest, crm.SortLastSeen, crm.ErrInvalidQuery)
	}
	var args []any
	where := []string{"m.identity_count > 0"}
	next := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if withCursor && q.Cursor != "" {
		var c listCursor
		if err := crm.DecodeCursor(q.Cursor, &c); err != nil {
			return "", nil, "", err
		}
		if c.Sort != sortName {
			return "", nil, "", fmt.Errorf("cursor of sort %q used with sort %q: %w", c.Sort, sortName, crm.ErrInvalidQuery)
		}
		if sortName == crm.SortMostActive {
			n, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return "", nil, "", fmt.Errorf("malformed cursor %q: %w", q.Cursor, crm.ErrInvalidQuery)
			}
			args = append(args, n, c.ID)
		} else {
			args = append(args, c.Key, c.ID)
		}
		where = append(where, after)
	}
	if q.Search != "" {
		if utf8.RuneCountInString(q.Search) >= crm.MinSearchLen {
			// A substring anywhere, from the trigram index when there is one.
			where = append(where, `m.id IN (SELECT member_id FROM member_search WHERE lower(text) LIKE '%' || lower(`+next(storekit.EscapeLike(q.Search))+`) || '%')`)
		} else {
			// Too short for trigrams: the start of a name or username.
			p := next(storekit.EscapeLike(q.Search))
			where = append(where, `m.id IN (SELECT id FROM members WHERE identity_count > 0 AND lower(name) LIKE lower(`+p+`) || '%'
				UNION SELECT member_id FROM identities WHERE member_id IS NOT NULL AND lower(username) LIKE lower(`+p+`) || '%')`)
		}
	}
	if q.Platform != "" {
		where = append(where, "EXISTS (SELECT 1 FROM identities i WHERE i.member_id = m.id AND i.platform = "+next(q.Platform)+")")
	}
	if q.ActivityType != "" {
		where = append(where, `EXISTS (SELECT 1 FROM identities i JOIN activities a ON a.identity_id = i.id
			WHERE i.member_id = m.id AND a.type = `+next(q.ActivityType)+`)`)
	}
	if !q.ActiveSince.IsZero() {
		where = append(where, "m.activity_count > 0 AND m.last_seen >= "+next(formatTime(q.ActiveSince)))
	}
	lim := ""
	if limit >= 0 {
		lim = " LIMIT " + next(limit)
	}
	query := `SELECT m.id, m.name, m.primary_identity_id, m.activity_count, m.first_seen, m.last_seen, ` + keyCol + `
		FROM members m WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY ` + order + lim
	return query, args, sortName, nil
}

// ListMembers returns one page of members matching q (see crm.MemberQuery),
// in q.Sort order, with a cursor for the next page, by keyset on the kept
// stats (sort key, id). Searches of crm.MinSearchLen characters or more
// match a substring of a member's names, usernames and e-mails anywhere;
// shorter ones match the start of the member's name or of one of its
// usernames. An unknown sort or a malformed cursor wraps
// crm.ErrInvalidQuery.
func (s *Store) ListMembers(ctx context.Context, q crm.MemberQuery) (crm.MemberPage, error) {
	n := crm.PageSize(q.Limit)
	query, args, sortName, err := memberListSQL(q, true, n+1)
	if err != nil {
		return crm.MemberPage{}, fmt.Errorf("postgres: list members: %w", err)
	}
	ms, keys, err := s.loadMembers(ctx, query, args)
	if err != nil {
		return crm.MemberPage{}, fmt.Errorf("postgres: list members (search %q, sort %q): %w", q.Search, sortName, err)
	}
	var p crm.MemberPage
	if len(ms) > n {
		ms, keys = ms[:n], keys[:n]
		p.NextCursor = crm.EncodeCursor(listCursor{Sort: sortName, Key: keys[n-1], ID: ms[n-1].ID})
	}
	p.Members = ms
	return p, nil
}
