package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

var _ crm.ScoreReader = (*Store)(nil)

// ScoreData reads every member with identities, their identities' tallies
// and the interactions, in one snapshot: three sequential scans, no
// per-member query.
func (s *Store) ScoreData(ctx context.Context) (crm.ScoreData, error) {
	var out crm.ScoreData
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = s.scoreData(ctx, tx)
		return err
	})
	if err != nil {
		return crm.ScoreData{}, fmt.Errorf("postgres: score data: %w", err)
	}
	return out, nil
}

func (s *Store) scoreData(ctx context.Context, q querier) (crm.ScoreData, error) {
	var out crm.ScoreData
	var err error
	if out.Members, err = s.scoreMembers(ctx, q, nil, false); err != nil {
		return out, err
	}
	rows, err := q.Query(ctx, `SELECT from_identity, to_identity, n, last_at FROM interactions ORDER BY from_identity, to_identity`)
	if err != nil {
		return out, fmt.Errorf("interactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e crm.Interaction
		var at string
		if err := rows.Scan(&e.From, &e.To, &e.N, &at); err != nil {
			return out, fmt.Errorf("interactions: %w", err)
		}
		if e.LastAt, err = parseTime(at); err != nil {
			return out, fmt.Errorf("interaction time: %w", err)
		}
		out.Interactions = append(out.Interactions, e)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("interactions: %w", err)
	}
	return out, nil
}

// ScoreMembers reads the members ids as ScoreData has them, in id order.
func (s *Store) ScoreMembers(ctx context.Context, ids []int64) ([]crm.ScoreMember, error) {
	var out []crm.ScoreMember
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = s.scoreMembers(ctx, tx, ids, true)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: score data: %w", err)
	}
	return out, nil
}

// scoreMembers reads members with identities, and their identities'
// tallies: all of them, or (filter) those whose ids are ids.
func (s *Store) scoreMembers(ctx context.Context, tx querier, ids []int64, filter bool) ([]crm.ScoreMember, error) {
	var members []crm.ScoreMember
	mfilter, ifilter := "", ""
	var args []any
	if filter {
		if len(ids) == 0 {
			return nil, nil
		}
		mfilter, ifilter = ` AND id = ANY($1)`, ` AND i.member_id = ANY($1)`
		args = []any{ids}
	}
	index := make(map[int64]int)
	marks := make(map[int64]string)
	rows, err := tx.Query(ctx, `SELECT id, name, first_seen, coalesce(role_mark, '') FROM members WHERE identity_count > 0`+mfilter+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	for rows.Next() {
		var m crm.ScoreMember
		var first, mark string
		if err := rows.Scan(&m.ID, &m.Name, &first, &mark); err != nil {
			rows.Close()
			return nil, fmt.Errorf("members: %w", err)
		}
		if first != "" {
			if m.FirstSeen, err = parseTime(first); err != nil {
				rows.Close()
				return nil, fmt.Errorf("member %d first seen: %w", m.ID, err)
			}
		}
		if mark != "" {
			marks[m.ID] = mark
		}
		index[m.ID] = len(members)
		members = append(members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}

	// Flags for the roles, gathered per member as the identities stream by.
	roleOf := make(map[int64][]crm.Identity, len(members))
	// The identities' platforms, tally types and channels, one copy each.
	strs := crm.Interner{}
	rows, err = tx.Query(ctx, `SELECT i.id, i.member_id, i.platform, i.username, i.followers, i.reputation,
			i.staff, i.bot, coalesce(i.first_activity_at, ''),
			coalesce(s.tallies, '{}'), coalesce(s.channels, '[]'), coalesce(s.weeks, 0), coalesce(s.weeks_at, 0),
			coalesce(s.months, 0), coalesce(s.months_at, 0)
		FROM identities i LEFT JOIN identity_scores s ON s.identity_id = i.id
		WHERE i.member_id IS NOT NULL`+ifilter+` ORDER BY i.member_id, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id crm.ScoreIdentity
		var member, staff, bot, weeks, months int64
		var first, tallies, channels string
		if err := rows.Scan(&id.ID, &member, &id.Platform, &id.Username, &id.Followers, &id.Reputation,
			&staff, &bot, &first, &tallies, &channels,
			&weeks, &id.Weeks.At, &months, &id.Months.At); err != nil {
			return nil, fmt.Errorf("identities: %w", err)
		}
		id.Weeks.Mask, id.Months.Mask = uint64(weeks), uint64(months)
		i, ok := index[member]
		if !ok {
			continue
		}
		id.Platform = strs.Intern(id.Platform)
		if first != "" {
			if id.FirstActivity, err = parseTime(first); err != nil {
				return nil, fmt.Errorf("identity %d: %w", id.ID, err)
			}
		}
		if id.Tallies, err = crm.DecodeTalliesWith(tallies, strs); err != nil {
			return nil, fmt.Errorf("identity %d tallies: %w", id.ID, err)
		}
		if id.Channels, err = crm.DecodeChannelsWith(channels, strs); err != nil {
			return nil, fmt.Errorf("identity %d channels: %w", id.ID, err)
		}
		members[i].Identities = append(members[i].Identities, id)
		roleOf[member] = append(roleOf[member], crm.Identity{Account: connectors.Account{
			AccountRef: connectors.AccountRef{Platform: id.Platform}, Username: id.Username, Staff: staff != 0, Bot: bot != 0}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	team := s.teamList()
	for i := range members {
		m := &members[i]
		m.Role = crm.Role(crm.Member{ID: m.ID, Mark: marks[m.ID], Identities: roleOf[m.ID]}, team)
	}
	return members, nil
}

// PeriodActivities returns the activities of [since, until) on platform
// ("" for all) with the member of their identity (0 when unassigned).
func (s *Store) PeriodActivities(ctx context.Context, since, until time.Time, platform string) ([]crm.PeriodActivity, error) {
	return periodActivities(ctx, s.pool, since, until, platform)
}

func periodActivities(ctx context.Context, q querier, since, until time.Time, platform string) ([]crm.PeriodActivity, error) {
	rows, err := q.Query(ctx, `SELECT a.key, a.platform, a.type, a.channel, a.title, a.url, a.parent_key,
			a.occurred_at, a.identity_id, coalesce(i.member_id, 0), a.reactions_total, a.sentiment
		FROM activities a JOIN identities i ON i.id = a.identity_id
		WHERE a.occurred_at >= $1 AND a.occurred_at < $2 AND ($3 = '' OR a.platform = $3)`,
		formatTime(since), formatTime(until), platform)
	if err != nil {
		return nil, fmt.Errorf("postgres: activities of a period: %w", err)
	}
	defer rows.Close()
	var out []crm.PeriodActivity
	for rows.Next() {
		var a crm.PeriodActivity
		var at string
		var reactions *int64
		var sentiment *float64
		if err := rows.Scan(&a.Key, &a.Platform, &a.Type, &a.Channel, &a.Title, &a.URL, &a.ParentKey,
			&at, &a.IdentityID, &a.MemberID, &reactions, &sentiment); err != nil {
			return nil, fmt.Errorf("postgres: activities of a period: %w", err)
		}
		if a.OccurredAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("postgres: activity %s time: %w", a.Key, err)
		}
		if reactions != nil {
			n := int(*reactions)
			a.Reactions = &n
		}
		a.Sentiment = sentiment
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: activities of a period: %w", err)
	}
	return out, nil
}
