package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

var _ crm.ScoreReader = (*Store)(nil)

// ScoreData reads every member with identities, their identities' tallies
// and the interactions, in one read transaction: three sequential scans,
// no per-member query.
func (s *Store) ScoreData(ctx context.Context) (crm.ScoreData, error) {
	var out crm.ScoreData
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("sqlite: score data: %w", err)
	}
	defer tx.Rollback()

	index := make(map[int64]int)
	marks := make(map[int64]string)
	rows, err := tx.QueryContext(ctx, `SELECT id, name, first_seen, ifnull(role_mark, '') FROM members WHERE identity_count > 0 ORDER BY id`)
	if err != nil {
		return out, fmt.Errorf("sqlite: score data: members: %w", err)
	}
	for rows.Next() {
		var m crm.ScoreMember
		var first, mark string
		if err := rows.Scan(&m.ID, &m.Name, &first, &mark); err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: score data: members: %w", err)
		}
		if first != "" {
			if m.FirstSeen, err = parseTime(first); err != nil {
				rows.Close()
				return out, fmt.Errorf("sqlite: score data: member %d first seen: %w", m.ID, err)
			}
		}
		if mark != "" {
			marks[m.ID] = mark
		}
		index[m.ID] = len(out.Members)
		out.Members = append(out.Members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: score data: members: %w", err)
	}

	// Flags for the roles, gathered per member as the identities stream by.
	type flags struct {
		idents []crm.Identity
	}
	roleOf := make(map[int64]*flags, len(out.Members))
	rows, err = tx.QueryContext(ctx, scoreIdentitySelect+` WHERE i.member_id IS NOT NULL ORDER BY i.member_id, i.id`)
	if err != nil {
		return out, fmt.Errorf("sqlite: score data: identities: %w", err)
	}
	for rows.Next() {
		si, err := scanScoreIdentity(rows)
		if err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: score data: %w", err)
		}
		i, ok := index[si.member]
		if !ok {
			continue
		}
		out.Members[i].Identities = append(out.Members[i].Identities, si.ScoreIdentity)
		f := roleOf[si.member]
		if f == nil {
			f = &flags{}
			roleOf[si.member] = f
		}
		f.idents = append(f.idents, si.roleIdentity())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: score data: identities: %w", err)
	}
	team := s.teamList()
	for i := range out.Members {
		m := &out.Members[i]
		var idents []crm.Identity
		if f := roleOf[m.ID]; f != nil {
			idents = f.idents
		}
		m.Role = crm.Role(crm.Member{ID: m.ID, Mark: marks[m.ID], Identities: idents}, team)
	}

	rows, err = tx.QueryContext(ctx, `SELECT from_identity, to_identity, n, last_at FROM interactions`)
	if err != nil {
		return out, fmt.Errorf("sqlite: score data: interactions: %w", err)
	}
	for rows.Next() {
		var e crm.Interaction
		var at string
		if err := rows.Scan(&e.From, &e.To, &e.N, &at); err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: score data: interactions: %w", err)
		}
		if e.LastAt, err = parseTime(at); err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: score data: interaction time %q: %w", at, err)
		}
		out.Interactions = append(out.Interactions, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: score data: interactions: %w", err)
	}
	return out, nil
}

// scoreIdentitySelect reads identities with their kept tallies, in the
// columns scanScoreIdentity takes; callers add the WHERE clause.
const scoreIdentitySelect = `SELECT i.id, i.member_id, i.platform, i.username, i.followers, i.reputation,
			i.staff, i.bot, ifnull(i.first_activity_at, ''),
			ifnull(s.tallies, '{}'), ifnull(s.channels, '[]'), ifnull(s.weeks, 0), ifnull(s.weeks_at, 0),
			ifnull(s.months, 0), ifnull(s.months_at, 0)
		FROM identities i LEFT JOIN identity_scores s ON s.identity_id = i.id`

// scoredIdentity is one row of scoreIdentitySelect.
type scoredIdentity struct {
	crm.ScoreIdentity
	member     int64
	staff, bot bool
}

// roleIdentity is what crm.Role needs of the identity.
func (si scoredIdentity) roleIdentity() crm.Identity {
	return crm.Identity{Account: connectors.Account{
		AccountRef: connectors.AccountRef{Platform: si.Platform}, Username: si.Username, Staff: si.staff, Bot: si.bot}}
}

// scanScoreIdentity decodes the current row of scoreIdentitySelect.
func scanScoreIdentity(rows *sql.Rows) (scoredIdentity, error) {
	var si scoredIdentity
	id := &si.ScoreIdentity
	var first, tallies, channels string
	if err := rows.Scan(&id.ID, &si.member, &id.Platform, &id.Username, &id.Followers, &id.Reputation,
		&si.staff, &si.bot, &first, &tallies, &channels,
		(*int64Mask)(&id.Weeks.Mask), &id.Weeks.At, (*int64Mask)(&id.Months.Mask), &id.Months.At); err != nil {
		return si, fmt.Errorf("identities: %w", err)
	}
	var err error
	if first != "" {
		if id.FirstActivity, err = parseTime(first); err != nil {
			return si, fmt.Errorf("identity %d: %w", id.ID, err)
		}
	}
	if id.Tallies, err = decodeTallies(tallies); err != nil {
		return si, fmt.Errorf("identity %d tallies: %w", id.ID, err)
	}
	if err := json.Unmarshal([]byte(channels), &id.Channels); err != nil {
		return si, fmt.Errorf("identity %d channels: %w", id.ID, err)
	}
	return si, nil
}

// MemberScore reads one member as ScoreData has it (identities with their
// tallies, the role), without the interactions: what a member's page
// needs for its love and level, in two small queries. A missing member
// wraps crm.ErrNotFound.
func (s *Store) MemberScore(ctx context.Context, member int64) (crm.ScoreMember, error) {
	var m crm.ScoreMember
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return m, fmt.Errorf("sqlite: score of member %d: %w", member, err)
	}
	defer tx.Rollback()
	var first, mark string
	err = tx.QueryRowContext(ctx, `SELECT id, name, first_seen, ifnull(role_mark, '') FROM members WHERE id = ?`, member).Scan(&m.ID, &m.Name, &first, &mark)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("sqlite: score of member %d: %w", member, crm.ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("sqlite: score of member %d: %w", member, err)
	}
	if first != "" {
		if m.FirstSeen, err = parseTime(first); err != nil {
			return m, fmt.Errorf("sqlite: score of member %d: first seen: %w", member, err)
		}
	}
	rows, err := tx.QueryContext(ctx, scoreIdentitySelect+` WHERE i.member_id = ? ORDER BY i.id`, member)
	if err != nil {
		return m, fmt.Errorf("sqlite: score of member %d: %w", member, err)
	}
	defer rows.Close()
	var idents []crm.Identity
	for rows.Next() {
		si, err := scanScoreIdentity(rows)
		if err != nil {
			return m, fmt.Errorf("sqlite: score of member %d: %w", member, err)
		}
		m.Identities = append(m.Identities, si.ScoreIdentity)
		idents = append(idents, si.roleIdentity())
	}
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("sqlite: score of member %d: %w", member, err)
	}
	m.Role = crm.Role(crm.Member{ID: m.ID, Mark: mark, Identities: idents}, s.teamList())
	return m, nil
}

// PeriodActivities returns the activities of [since, until) on platform
// ("" for all) with the member of their identity (0 when unassigned).
func (s *Store) PeriodActivities(ctx context.Context, since, until time.Time, platform string) ([]crm.PeriodActivity, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT a.key, a.platform, a.type, a.channel, a.title, a.url, a.parent_key,
			a.occurred_at, a.identity_id, ifnull(i.member_id, 0), a.reactions_total, a.sentiment
		FROM activities a JOIN identities i ON i.id = a.identity_id
		WHERE a.occurred_at >= ? AND a.occurred_at < ? AND (? = '' OR a.platform = ?)`,
		formatTime(since), formatTime(until), platform, platform)
	if err != nil {
		return nil, fmt.Errorf("sqlite: activities of a period: %w", err)
	}
	defer rows.Close()
	var out []crm.PeriodActivity
	for rows.Next() {
		var a crm.PeriodActivity
		var at string
		var reactions sql.NullInt64
		var sentiment sql.NullFloat64
		if err := rows.Scan(&a.Key, &a.Platform, &a.Type, &a.Channel, &a.Title, &a.URL, &a.ParentKey,
			&at, &a.IdentityID, &a.MemberID, &reactions, &sentiment); err != nil {
			return nil, fmt.Errorf("sqlite: activities of a period: %w", err)
		}
		if a.OccurredAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: activity %s time: %w", a.Key, err)
		}
		if reactions.Valid {
			n := int(reactions.Int64)
			a.Reactions = &n
		}
		if sentiment.Valid {
			f := sentiment.Float64
			a.Sentiment = &f
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: activities of a period: %w", err)
	}
	return out, nil
}
