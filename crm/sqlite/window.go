package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// window is the crm.WindowReader of an evaluation: its reads are in one
// read transaction (one snapshot), the members those of the score data's
// identities, as the lean period reads give them.
type window struct {
	tx       *sql.Tx
	memberOf map[int64]int64
	strs     crm.Interner
}

func newWindow(tx *sql.Tx, d crm.ScoreData) *window {
	return &window{tx: tx, memberOf: storekit.MemberOf(d), strs: crm.Interner{}}
}

var _ crm.WindowScoreReader = (*Store)(nil)

// LeanWindow implements crm.WindowScoreReader: the lean score data and
// the window in one read transaction.
func (s *Store) LeanWindow(ctx context.Context, fn func(d crm.ScoreData, wr crm.WindowReader) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: lean score data: %w", err)
	}
	defer tx.Rollback()
	var d crm.ScoreData
	if d.Members, err = s.scoreMembers(ctx, tx, "", true); err != nil {
		return err
	}
	return fn(d, newWindow(tx, d))
}

// windowCols are the columns scan reads.
const windowCols = `a.key, a.platform, a.type, a.channel, a.parent_key, a.occurred_at, a.identity_id, a.reactions_total, a.sentiment`

// windowWhere limits a query to [since, until): its arguments are
// windowArgs.
const windowWhere = `a.occurred_at >= ? AND a.occurred_at < ?`

func windowArgs(since, until time.Time) []any {
	return []any{formatTime(since), formatTime(until)}
}

// windowNums holds the reaction total and sentiment an activity points to.
type windowNums struct {
	n int
	f float64
}

// scan reads a row of windowCols into a; the reaction total and sentiment
// it points to are new unless into is given, to be reused.
func (w *window) scan(rows *sql.Rows, a *crm.PeriodActivity, into *windowNums) error {
	var at string
	var reactions sql.NullInt64
	var sentiment sql.NullFloat64
	*a = crm.PeriodActivity{}
	if err := rows.Scan(&a.Key, &a.Platform, &a.Type, &a.Channel, &a.ParentKey, &at, &a.IdentityID, &reactions, &sentiment); err != nil {
		return err
	}
	a.Platform, a.Type, a.Channel = w.strs.Intern(a.Platform), w.strs.Intern(a.Type), w.strs.Intern(a.Channel)
	var err error
	if a.OccurredAt, err = parseTime(at); err != nil {
		return fmt.Errorf("activity %s time: %w", a.Key, err)
	}
	a.MemberID = w.memberOf[a.IdentityID]
	if into == nil {
		into = &windowNums{}
	}
	if reactions.Valid {
		into.n = int(reactions.Int64)
		a.Reactions = &into.n
	}
	if sentiment.Valid {
		into.f = sentiment.Float64
		a.Sentiment = &into.f
	}
	return nil
}

// EachActivity implements crm.WindowReader: the rows come from the index
// activities_time (covering), sorted by key.
func (w *window) EachActivity(ctx context.Context, since, until time.Time, fn func(a *crm.PeriodActivity) error) error {
	rows, err := w.tx.QueryContext(ctx, `SELECT `+windowCols+` FROM activities a INDEXED BY activities_time
		WHERE `+windowWhere+` ORDER BY a.key`, windowArgs(since, until)...)
	if err != nil {
		return fmt.Errorf("sqlite: activities of the evaluation: %w", err)
	}
	defer rows.Close()
	var a crm.PeriodActivity
	var into windowNums
	for rows.Next() {
		if err := w.scan(rows, &a, &into); err != nil {
			return fmt.Errorf("sqlite: activities of the evaluation: %w", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: activities of the evaluation: %w", err)
	}
	return nil
}

// list reads the rows of a query of windowCols.
func (w *window) list(ctx context.Context, what, query string, args ...any) ([]crm.PeriodActivity, error) {
	rows, err := w.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	var out []crm.PeriodActivity
	for rows.Next() {
		var a crm.PeriodActivity
		if err := w.scan(rows, &a, nil); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}

var (
	// openingsQuery's window starts at the last opening read (the
	// index's range), then leaves out what was read at that time.
	openingsQuery = `SELECT ` + windowCols + ` FROM activities a INDEXED BY activities_time
		WHERE ` + windowWhere + ` AND a.type IN (` + storekit.QuotedList(crm.OpeningTypes) + `) AND (a.occurred_at > ? OR a.key > ?)
		ORDER BY a.occurred_at, a.key LIMIT ?`
	repliesQuery = `SELECT ` + windowCols + ` FROM activities a
		WHERE a.parent_key IN (SELECT value FROM json_each(?)) AND a.parent_key <> '' AND a.type IN (` + storekit.QuotedList(crm.ReplyTypes) + `)
			AND ` + windowWhere
	mentionsQuery = `SELECT j.value ->> 0, a.platform, a.key, a.occurred_at FROM json_each(?) j JOIN activities a
			ON a.key >= j.value ->> 1 AND a.key < (j.value ->> 1) || ';' AND (a.key = j.value ->> 1 OR a.key >= (j.value ->> 1) || ':')
		WHERE a.type = 'mention' AND (a.platform = 'mastodon' OR a.parent_key <> '') AND ` + windowWhere
)

// Openings implements crm.WindowReader.
func (w *window) Openings(ctx context.Context, since, until time.Time, afterAt time.Time, afterKey string, limit int) ([]crm.PeriodActivity, error) {
	if afterAt.Before(since) {
		afterAt, afterKey = since, ""
	}
	args := append(windowArgs(afterAt, until), formatTime(afterAt), afterKey, limit)
	return w.list(ctx, "thread openings of the evaluation", openingsQuery, args...)
}

// Replies implements crm.WindowReader, from the index activities_parent.
func (w *window) Replies(ctx context.Context, since, until time.Time, keys []string) ([]crm.PeriodActivity, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	js, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("sqlite: replies of the evaluation: %w", err)
	}
	return w.list(ctx, "replies of the evaluation", repliesQuery, append([]any{string(js)}, windowArgs(since, until)...)...)
}

// Mentions implements crm.WindowReader, from the key's index.
func (w *window) Mentions(ctx context.Context, since, until time.Time, keys []string) ([]crm.Mention, error) {
	statuses, prefixes := storekit.MentionPrefixes(keys)
	if len(statuses) == 0 {
		return nil, nil
	}
	pairs := make([][2]string, len(statuses))
	for i := range statuses {
		pairs[i] = [2]string{statuses[i], prefixes[i]}
	}
	js, err := json.Marshal(pairs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: mentions of the evaluation: %w", err)
	}
	rows, err := w.tx.QueryContext(ctx, mentionsQuery, append([]any{string(js)}, windowArgs(since, until)...)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: mentions of the evaluation: %w", err)
	}
	defer rows.Close()
	var out []crm.Mention
	for rows.Next() {
		var m crm.Mention
		var at string
		if err := rows.Scan(&m.Status, &m.Platform, &m.Key, &at); err != nil {
			return nil, fmt.Errorf("sqlite: mentions of the evaluation: %w", err)
		}
		if m.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: mention %s time: %w", m.Key, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: mentions of the evaluation: %w", err)
	}
	return out, nil
}
