package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// window is the crm.WindowReader of an evaluation: its reads are in the
// evaluation's transaction, the members those of the score data's
// identities (read in the same transaction).
type window struct {
	q        querier
	memberOf map[int64]int64
	strs     crm.Interner
}

func newWindow(q querier, d crm.ScoreData) *window {
	return &window{q: q, memberOf: storekit.MemberOf(d), strs: crm.Interner{}}
}

var _ crm.WindowScoreReader = (*Store)(nil)

// LeanWindow implements crm.WindowScoreReader: the score data (without
// the interactions, which health reads none of) and the window in one
// read-only repeatable-read transaction.
func (s *Store) LeanWindow(ctx context.Context, fn func(d crm.ScoreData, wr crm.WindowReader) error) error {
	return s.read(ctx, func(tx pgx.Tx) error {
		var d crm.ScoreData
		var err error
		if d.Members, err = s.scoreMembers(ctx, tx, nil, false); err != nil {
			return fmt.Errorf("postgres: score data: %w", err)
		}
		return fn(d, newWindow(tx, d))
	})
}

// ActivityHeads returns the title and URL of each of the activities keys.
func (s *Store) ActivityHeads(ctx context.Context, keys []string) (map[string][2]string, error) {
	return (&window{q: s.pool}).ActivityHeads(ctx, keys)
}

// windowCols are the columns scan reads.
const windowCols = `a.key, a.platform, a.type, a.channel, a.parent_key, a.occurred_at, a.identity_id, a.reactions_total, a.sentiment`

// scan reads a row of windowCols into a (its reaction total and sentiment
// new).
func (w *window) scan(rows pgx.Rows, a *crm.PeriodActivity) error {
	var at string
	var reactions *int64
	*a = crm.PeriodActivity{}
	if err := rows.Scan(&a.Key, &a.Platform, &a.Type, &a.Channel, &a.ParentKey, &at, &a.IdentityID, &reactions, &a.Sentiment); err != nil {
		return err
	}
	a.Platform, a.Type, a.Channel = w.strs.Intern(a.Platform), w.strs.Intern(a.Type), w.strs.Intern(a.Channel)
	var err error
	if a.OccurredAt, err = parseTime(at); err != nil {
		return fmt.Errorf("activity %s time: %w", a.Key, err)
	}
	a.MemberID = w.memberOf[a.IdentityID]
	if reactions != nil {
		n := int(*reactions)
		a.Reactions = &n
	}
	return nil
}

// EachActivity implements crm.WindowReader (keys are COLLATE "C": Go's
// byte order).
func (w *window) EachActivity(ctx context.Context, since, until time.Time, fn func(a *crm.PeriodActivity) error) error {
	rows, err := w.q.Query(ctx, `SELECT `+windowCols+` FROM activities a WHERE a.occurred_at >= $1 AND a.occurred_at < $2 ORDER BY a.key`,
		formatTime(since), formatTime(until))
	if err != nil {
		return fmt.Errorf("postgres: activities of the evaluation: %w", err)
	}
	defer rows.Close()
	var a crm.PeriodActivity
	for rows.Next() {
		if err := w.scan(rows, &a); err != nil {
			return fmt.Errorf("postgres: activities of the evaluation: %w", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: activities of the evaluation: %w", err)
	}
	return nil
}

// list reads the rows of a query of windowCols.
func (w *window) list(ctx context.Context, what, query string, args ...any) ([]crm.PeriodActivity, error) {
	rows, err := w.q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	defer rows.Close()
	var out []crm.PeriodActivity
	for rows.Next() {
		var a crm.PeriodActivity
		if err := w.scan(rows, &a); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	return out, nil
}

var (
	openingsQuery = `SELECT ` + windowCols + ` FROM activities a
		WHERE a.occurred_at >= $1 AND a.occurred_at < $2 AND a.type IN (` + storekit.QuotedList(crm.OpeningTypes) + `) AND (a.occurred_at > $1 OR a.key > $3)
		ORDER BY a.occurred_at, a.key LIMIT $4`
	repliesQuery = `SELECT ` + windowCols + ` FROM activities a
		WHERE a.parent_key = ANY($3) AND a.parent_key <> '' AND a.type IN (` + storekit.QuotedList(crm.ReplyTypes) + `)
			AND a.occurred_at >= $1 AND a.occurred_at < $2`
	mentionsQuery = `SELECT j.sk, a.platform, a.key, a.occurred_at FROM unnest($3::text[], $4::text[]) AS j(sk, p) JOIN activities a
			ON a.key >= j.p AND a.key < j.p || ';' AND (a.key = j.p OR a.key >= j.p || ':')
		WHERE a.type = 'mention' AND (a.platform = 'mastodon' OR a.parent_key <> '') AND a.occurred_at >= $1 AND a.occurred_at < $2`
)

// Openings implements crm.WindowReader.
func (w *window) Openings(ctx context.Context, since, until time.Time, afterAt time.Time, afterKey string, limit int) ([]crm.PeriodActivity, error) {
	// The window starts at the last opening read (the index's range),
	// then leaves out what was read at that time.
	if afterAt.Before(since) {
		afterAt, afterKey = since, ""
	}
	return w.list(ctx, "thread openings of the evaluation", openingsQuery, formatTime(afterAt), formatTime(until), afterKey, limit)
}

// Replies implements crm.WindowReader, from the index activities_parent.
func (w *window) Replies(ctx context.Context, since, until time.Time, keys []string) ([]crm.PeriodActivity, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	return w.list(ctx, "replies of the evaluation", repliesQuery, formatTime(since), formatTime(until), keys)
}

// Mentions implements crm.WindowReader, from the key's index.
func (w *window) Mentions(ctx context.Context, since, until time.Time, keys []string) ([]crm.Mention, error) {
	sks, ps := storekit.MentionPrefixes(keys)
	if len(sks) == 0 {
		return nil, nil
	}
	rows, err := w.q.Query(ctx, mentionsQuery, formatTime(since), formatTime(until), sks, ps)
	if err != nil {
		return nil, fmt.Errorf("postgres: mentions of the evaluation: %w", err)
	}
	defer rows.Close()
	var out []crm.Mention
	for rows.Next() {
		var m crm.Mention
		var at string
		if err := rows.Scan(&m.Status, &m.Platform, &m.Key, &at); err != nil {
			return nil, fmt.Errorf("postgres: mentions of the evaluation: %w", err)
		}
		if m.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("postgres: mention %s time: %w", m.Key, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: mentions of the evaluation: %w", err)
	}
	return out, nil
}

// ActivityHeads returns the title and URL of each of the activities keys
// (crm.ThreadHeadReader, for the top threads of the reports).
func (w *window) ActivityHeads(ctx context.Context, keys []string) (map[string][2]string, error) {
	rows, err := w.q.Query(ctx, `SELECT key, title, url FROM activities WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: activity titles: %w", err)
	}
	defer rows.Close()
	out := make(map[string][2]string, len(keys))
	for rows.Next() {
		var k, title, url string
		if err := rows.Scan(&k, &title, &url); err != nil {
			return nil, fmt.Errorf("postgres: activity titles: %w", err)
		}
		out[k] = [2]string{title, url}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: activity titles: %w", err)
	}
	return out, nil
}

var _ crm.RisingWindowReader = (*Store)(nil)

// RisingWindow implements crm.RisingWindowReader: every member's score
// data (the graph's and the entries') and the window, in one read-only
// repeatable-read transaction.
func (s *Store) RisingWindow(ctx context.Context, since, until time.Time, fn func(graph crm.ScoreData, active []crm.ScoreMember, wr crm.WindowReader) error) error {
	return s.read(ctx, func(tx pgx.Tx) error {
		d, err := s.scoreData(ctx, tx)
		if err != nil {
			return fmt.Errorf("postgres: score data: %w", err)
		}
		return fn(d, d.Members, newWindow(tx, d))
	})
}
