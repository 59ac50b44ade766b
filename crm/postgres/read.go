package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
)

// memberTx runs fn in one read transaction after reading the member's
// identities (memberIdentityIDs), so that every read of fn sees the same
// member.
func (s *Store) memberTx(ctx context.Context, memberID int64, fn func(tx pgx.Tx, ids []int64, byID map[int64]crm.Identity) error) error {
	return s.read(ctx, func(tx pgx.Tx) error {
		ids, byID, err := memberIdentityIDs(ctx, tx, memberID)
		if err != nil {
			return err
		}
		return fn(tx, ids, byID)
	})
}

// memberIdentityIDs returns the identities of a member that has one, in id
// order, with their accounts; crm.ErrNotFound otherwise.
func memberIdentityIDs(ctx context.Context, q querier, member int64) ([]int64, map[int64]crm.Identity, error) {
	rows, err := q.Query(ctx, `SELECT id, platform, instance, external_id, username FROM identities WHERE member_id = $1 ORDER BY id`, member)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	byID := make(map[int64]crm.Identity)
	for rows.Next() {
		var id crm.Identity
		if err := rows.Scan(&id.ID, &id.Platform, &id.Instance, &id.ExternalID, &id.Username); err != nil {
			return nil, nil, err
		}
		id.MemberID = member
		ids = append(ids, id.ID)
		byID[id.ID] = id
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("member %d: %w", member, crm.ErrNotFound)
	}
	return ids, byID, nil
}

// activityCols are the activity columns scanActivity reads, of alias a.
// The text excerpt is never read here: it is for sentiment, not for pages.
const activityCols = `a.key, a.platform, a.instance, a.type, a.occurred_at, a.url, a.title, a.channel, a.parent_key, a.identity_id, a.reactions_total, a.reactions`

func scanActivity(sc pgx.Row, byID map[int64]crm.Identity, extra ...any) (crm.Activity, error) {
	var a crm.Activity
	var at, byKind string
	var total *int64
	dest := append([]any{&a.Key, &a.Platform, &a.Instance, &a.Type, &at, &a.URL, &a.Title, &a.Channel, &a.ParentKey, &a.IdentityID, &total, &byKind}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return a, err
	}
	var err error
	if a.OccurredAt, err = parseTime(at); err != nil {
		return a, fmt.Errorf("activity %s: %w", a.Key, err)
	}
	var t int64
	if total != nil {
		t = *total
	}
	if a.Reactions, err = crm.DecodeReactions(total != nil, t, byKind); err != nil {
		return a, fmt.Errorf("activity %s: %w", a.Key, err)
	}
	id := byID[a.IdentityID]
	a.Actor, a.Username, a.MemberID = id.AccountRef, id.Username, id.MemberID
	return a, nil
}

// timelineCursor is what a timeline cursor encodes: the last activity's
// time (stored text) and key (the same form as crm/sqlite's).
type timelineCursor struct {
	At  string `json:"t"`
	Key string `json:"k"`
}

// Timeline returns a page of the member's activities, newest first (ties
// by key, descending), each with its identity's account and username,
// by keyset on (occurred_at, key). An unknown member wraps
// crm.ErrNotFound; a malformed cursor crm.ErrInvalidQuery.
func (s *Store) Timeline(ctx context.Context, q crm.TimelineQuery) (crm.TimelinePage, error) {
	p, err := s.timeline(ctx, q)
	if err != nil {
		return crm.TimelinePage{}, fmt.Errorf("postgres: timeline of member %d: %w", q.MemberID, err)
	}
	return p, nil
}

func (s *Store) timeline(ctx context.Context, q crm.TimelineQuery) (crm.TimelinePage, error) {
	n := crm.PageSize(q.Limit)
	var c timelineCursor
	if q.Cursor != "" {
		if err := crm.DecodeCursor(q.Cursor, &c); err != nil {
			return crm.TimelinePage{}, err
		}
		if _, err := parseTime(c.At); err != nil || c.Key == "" {
			return crm.TimelinePage{}, fmt.Errorf("malformed cursor %q: %w", q.Cursor, crm.ErrInvalidQuery)
		}
	}
	var p crm.TimelinePage
	err := s.memberTx(ctx, q.MemberID, func(tx pgx.Tx, ids []int64, byID map[int64]crm.Identity) error {
		p = crm.TimelinePage{}
		// The newest of each identity (an index range of
		// activities_identity_time each), then the newest of those:
		// with identity_id = ANY($1) the planner walks activities_time
		// back from the newest activity of anyone instead.
		where := ``
		args := []any{ids}
		if q.Cursor != "" {
			where = ` AND (a.occurred_at, a.key) < ($3::text, $4::text)`
			args = append(args, n+1, c.At, c.Key)
		} else {
			args = append(args, n+1)
		}
		const order = ` ORDER BY a.occurred_at DESC, a.key DESC LIMIT $2`
		query := `SELECT ` + activityCols + ` FROM unnest($1::bigint[]) AS m(id) CROSS JOIN LATERAL (
			SELECT ` + activityCols + ` FROM activities a WHERE a.identity_id = m.id` + where + order + `) a` + order
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanActivity(rows, byID)
			if err != nil {
				return err
			}
			p.Activities = append(p.Activities, a)
		}
		return rows.Err()
	})
	if err != nil {
		return crm.TimelinePage{}, err
	}
	if len(p.Activities) > n {
		p.Activities = p.Activities[:n]
		last := p.Activities[n-1]
		p.NextCursor = crm.EncodeCursor(timelineCursor{At: formatTime(last.OccurredAt), Key: last.Key})
	}
	return p, nil
}

// ActivityChart counts all of the member's activities per bucket (UTC
// weeks from Monday, or months) and activity platform: counted per day in
// SQL, folded into buckets here. Oldest bucket first, platforms by name.
// An unknown bucket wraps crm.ErrInvalidQuery, an unknown member
// crm.ErrNotFound.
func (s *Store) ActivityChart(ctx context.Context, memberID int64, bucket string) ([]crm.ChartPoint, error) {
	out, err := s.activityChart(ctx, memberID, bucket)
	if err != nil {
		return nil, fmt.Errorf("postgres: activity chart of member %d by %s: %w", memberID, bucket, err)
	}
	return out, nil
}

func (s *Store) activityChart(ctx context.Context, memberID int64, bucket string) ([]crm.ChartPoint, error) {
	var start func(day time.Time) time.Time
	switch bucket {
	case crm.BucketWeek:
		start = func(d time.Time) time.Time { return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) }
	case crm.BucketMonth:
		start = func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC) }
	default:
		return nil, fmt.Errorf("unknown bucket %q (want %q or %q): %w", bucket, crm.BucketWeek, crm.BucketMonth, crm.ErrInvalidQuery)
	}
	type key struct {
		start    time.Time
		platform string
	}
	counts := make(map[key]int)
	err := s.memberTx(ctx, memberID, func(tx pgx.Tx, ids []int64, _ map[int64]crm.Identity) error {
		clear(counts)
		rows, err := tx.Query(ctx, `SELECT substr(a.occurred_at, 1, 10), a.platform, COUNT(*) FROM activities a
			WHERE a.identity_id = ANY($1) GROUP BY 1, 2`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var day, platform string
			var n int64
			if err := rows.Scan(&day, &platform, &n); err != nil {
				return err
			}
			d, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return fmt.Errorf("day %q: %w", day, err)
			}
			counts[key{start(d), platform}] += int(n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]crm.ChartPoint, 0, len(counts))
	for k, n := range counts {
		out = append(out, crm.ChartPoint{Start: k.start, Platform: k.platform, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Platform < out[j].Platform
	})
	return out, nil
}

// Milestones returns the member's milestones that exist, in the order of
// the crm.Milestone* constants: first activity; first contribution
// (crm.ContributionTypes); first pr_merged; first answer of theirs with an
// answer_accepted pointing at it (ordered by acceptance); first
// post_created of theirs with a solution_accepted pointing at it; first
// contribution whose parent activity is stored and belongs to an identity
// outside the member. An unknown member wraps crm.ErrNotFound.
func (s *Store) Milestones(ctx context.Context, memberID int64) ([]crm.Milestone, error) {
	var out []crm.Milestone
	err := s.memberTx(ctx, memberID, func(tx pgx.Tx, ids []int64, byID map[int64]crm.Identity) error {
		out = nil
		contrib := crm.ContributionTypes()
		const first = ` ORDER BY a.occurred_at, a.key LIMIT 1`
		// perIdentity finds the first activity of each identity that
		// the joins and conditions admit (an index range of
		// activities_identity_time each), then the first of those: with
		// identity_id = ANY($1) the planner walks activities_time from
		// the oldest activity of anyone instead.
		perIdentity := func(joins, conds string) string {
			return `SELECT ` + activityCols + ` FROM unnest($1::bigint[]) AS m(id) CROSS JOIN LATERAL (
				SELECT ` + activityCols + ` FROM activities a` + joins + ` WHERE a.identity_id = m.id` + conds + first + `) a` + first
		}
		type find struct {
			kind, query string
			args        []any
			accepted    bool // the query selects the acceptance's time too
		}
		finds := []find{
			{kind: crm.MilestoneFirstSeen, query: perIdentity(``, ``)},
			{kind: crm.MilestoneFirstContribution, query: perIdentity(``, ` AND a.type = ANY($2)`), args: []any{contrib}},
			{kind: crm.MilestoneFirstMergedPR, query: perIdentity(``, ` AND a.type = $2`), args: []any{crm.TypePRMerged}},
			{kind: crm.MilestoneFirstAcceptedAnswer, accepted: true, args: []any{"answer", crm.TypeAnswerAccepted}},
			{kind: crm.MilestoneFirstAcceptedSolution, accepted: true, args: []any{"post_created", crm.TypeSolutionAccepted}},
			{kind: crm.MilestoneFirstReplyToOther, query: perIdentity(`
				JOIN activities p ON p.key = a.parent_key
				JOIN identities pi ON pi.id = p.identity_id`, ` AND a.parent_key <> '' AND a.type = ANY($2)
					AND pi.member_id IS DISTINCT FROM $3::bigint`), args: []any{contrib, memberID}},
		}
		for _, f := range finds {
			query := f.query
			var xAt string
			var extra []any
			if f.accepted {
				query = `SELECT ` + activityCols + `, x.occurred_at FROM activities a
					JOIN activities x ON x.parent_key = a.key AND x.parent_key <> '' AND x.type = $3
					WHERE a.identity_id = ANY($1) AND a.type = $2
					ORDER BY x.occurred_at, x.key LIMIT 1`
				extra = []any{&xAt}
			}
			a, err := scanActivity(tx.QueryRow(ctx, query, append([]any{ids}, f.args...)...), byID, extra...)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", f.kind, err)
			}
			m := crm.Milestone{Kind: f.kind, Activity: a, At: a.OccurredAt}
			if f.accepted {
				if m.At, err = parseTime(xAt); err != nil {
					return fmt.Errorf("%s: %w", f.kind, err)
				}
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: milestones of member %d: %w", memberID, err)
	}
	return out, nil
}

// JoinReasons says for each identity of the member, in id order, why it is
// in the member (see crm.JoinReasonOf): the steps recorded in
// identity_joins with their audit_log rows. An unknown member wraps
// crm.ErrNotFound.
func (s *Store) JoinReasons(ctx context.Context, memberID int64) ([]crm.JoinReason, error) {
	var out []crm.JoinReason
	err := s.memberTx(ctx, memberID, func(tx pgx.Tx, ids []int64, byID map[int64]crm.Identity) error {
		rows, err := tx.Query(ctx, `SELECT j.identity_id, l.actor, l.action, l.at, l.detail
			FROM identity_joins j JOIN audit_log l ON l.id = j.audit_id
			WHERE j.identity_id = ANY($1)
			ORDER BY j.identity_id, j.id`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		steps := make(map[int64][]crm.JoinStep)
		for rows.Next() {
			var id int64
			var st crm.JoinStep
			var at string
			if err := rows.Scan(&id, &st.Actor, &st.Action, &at, &st.Detail); err != nil {
				return err
			}
			if st.At, err = parseTime(at); err != nil {
				return err
			}
			steps[id] = append(steps[id], st)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out = make([]crm.JoinReason, 0, len(ids))
		for _, id := range ids {
			out = append(out, crm.JoinReasonOf(byID[id].AccountRef, steps[id]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: join reasons of member %d: %w", memberID, err)
	}
	return out, nil
}
