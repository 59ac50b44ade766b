package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
)

// replayScanAt is how many members without a level make EvaluateLevels
// read all activities in one scan instead of a query by identity.
const replayScanAt = 500

// storedLevel is a member_levels row.
type storedLevel struct {
	crm.LevelState
	champion, slipping bool
}

// Levels returns every member's stored level state.
func (s *Store) Levels(ctx context.Context) (map[int64]crm.LevelState, error) {
	return levelStates(loadLevels(ctx, s.pool, nil, false))
}

// LevelsOf returns the stored level states of the members ids.
func (s *Store) LevelsOf(ctx context.Context, ids []int64) (map[int64]crm.LevelState, error) {
	if len(ids) == 0 {
		return map[int64]crm.LevelState{}, nil
	}
	return levelStates(loadLevels(ctx, s.pool, ids, true))
}

// levelStates drops what only the evaluation reads.
func levelStates(st map[int64]storedLevel, err error) (map[int64]crm.LevelState, error) {
	if err != nil {
		return nil, err
	}
	out := make(map[int64]crm.LevelState, len(st))
	for id, l := range st {
		out[id] = l.LevelState
	}
	return out, nil
}

// loadLevels reads the member_levels rows: all of them, or (filter) those
// of the members ids.
func loadLevels(ctx context.Context, q querier, ids []int64, filter bool) (map[int64]storedLevel, error) {
	query, args := `SELECT member_id, level, since, coalesce(below_since, ''), champion, slipping FROM member_levels`, []any(nil)
	if filter {
		query += ` WHERE member_id = ANY($1)`
		args = []any{ids}
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: levels: %w", err)
	}
	defer rows.Close()
	out := map[int64]storedLevel{}
	for rows.Next() {
		var id, champion, slipping int64
		var l storedLevel
		var since, below string
		if err := rows.Scan(&id, &l.Level, &since, &below, &champion, &slipping); err != nil {
			return nil, fmt.Errorf("postgres: levels: %w", err)
		}
		l.champion, l.slipping = champion != 0, slipping != 0
		if l.Since, err = parseTime(since); err != nil {
			return nil, fmt.Errorf("postgres: level of member %d: %w", id, err)
		}
		if below != "" {
			if l.BelowSince, err = parseTime(below); err != nil {
				return nil, fmt.Errorf("postgres: level of member %d: %w", id, err)
			}
		}
		out[id] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: levels: %w", err)
	}
	return out, nil
}

// LevelHistory returns a member's level changes, oldest first.
func (s *Store) LevelHistory(ctx context.Context, member int64) ([]crm.LevelPoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, level, coalesce(previous, 0) FROM level_history WHERE member_id = $1 ORDER BY at, id`, member)
	if err != nil {
		return nil, fmt.Errorf("postgres: level history of member %d: %w", member, err)
	}
	defer rows.Close()
	var out []crm.LevelPoint
	for rows.Next() {
		var p crm.LevelPoint
		var at string
		if err := rows.Scan(&at, &p.Level, &p.Previous); err != nil {
			return nil, fmt.Errorf("postgres: level history of member %d: %w", member, err)
		}
		if p.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("postgres: level history of member %d: %w", member, err)
		}
		p.Name = crm.LevelName(p.Level)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: level history of member %d: %w", member, err)
	}
	return out, nil
}

// EvaluateLevels brings every member's level up to now with sc (see
// crm.Scoring.NextLevel), records each change in level_history, and finds
// who is on the champions list (sc.ChampionsTop, staff and bots left out)
// and who is slipping, as crm/sqlite's does. A member evaluated for the
// first time gets a history replayed from their activities
// (crm.Scoring.ReplayLevels).
//
// With events set, it writes a webhook event to the outbox, in the same
// transaction, for each level change of a member who had a level, each
// member entering the champions list and each regular starting to slip.
// The first evaluation of a store (no levels yet) is a baseline and writes
// none, so that a backfill does not flood the receiver.
//
// The whole evaluation is one transaction that first locks the row of
// levels_lock: replicas evaluating at once run one after the other, and
// the later one reads the levels the earlier one stored, so that no level
// change is recorded, and no event written, twice.
func (s *Store) EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error) {
	var res crm.Evaluation
	now = now.UTC()
	err := s.write(ctx, false, func(tx pgx.Tx) error {
		var err error
		res, err = s.evaluateLevels(ctx, tx, sc, now, events)
		return err
	})
	if err != nil {
		return crm.Evaluation{}, fmt.Errorf("postgres: evaluate levels: %w", err)
	}
	return res, nil
}

func (s *Store) evaluateLevels(ctx context.Context, tx pgx.Tx, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error) {
	var res crm.Evaluation
	// The evaluation computes in Go between its reads and its writes: for
	// a store's first evaluation of 10,000,000 activities minutes (4 min 9
	// s measured, docs/scaling.md). The session's idle-in-transaction
	// limit (sessionDefaults) is for stalled replicas holding a source's
	// lock, not for this: lift it for this transaction only (TCP
	// keepalives still end the session of a machine that died).
	if _, err := tx.Exec(ctx, `SET LOCAL idle_in_transaction_session_timeout = 0`); err != nil {
		return res, fmt.Errorf("lift the idle limit of the evaluation: %w", err)
	}
	var lock int64
	if err := tx.QueryRow(ctx, `SELECT id FROM levels_lock WHERE id = 1 FOR UPDATE`).Scan(&lock); err != nil {
		return res, fmt.Errorf("lock levels_lock: %w", err)
	}
	d, err := s.scoreData(ctx, tx)
	if err != nil {
		return res, err
	}
	stored, err := loadLevels(ctx, tx, nil, false)
	if err != nil {
		return res, err
	}
	baseline := len(stored) == 0

	var replay []int64
	for _, m := range d.Members {
		if _, ok := stored[m.ID]; !ok {
			replay = append(replay, m.ID)
		}
	}
	acts, err := timedActivities(ctx, tx, d, replay)
	if err != nil {
		return res, err
	}

	type change struct {
		next  storedLevel
		hist  []crm.LevelPoint
		write bool
	}
	changes := make(map[int64]*change, len(d.Members))
	levels := make(map[int64]crm.LevelState, len(d.Members))
	for _, m := range d.Members {
		prev, ok := stored[m.ID]
		c := &change{next: prev}
		if !ok {
			hist, st := sc.ReplayLevels(acts[m.ID], now)
			c.next.LevelState, c.hist, c.write = st, hist, true
		} else {
			love := sc.MemberLove(m, now, "")
			measured := sc.MeasuredLevel(love.Base, crm.CountPresence(crm.MemberWeeks(m), now))
			next, changed := sc.NextLevel(prev.LevelState, true, measured, now)
			if changed {
				c.hist = []crm.LevelPoint{{At: now, Level: next.Level, Name: crm.LevelName(next.Level), Previous: prev.Level}}
			}
			c.write = changed || !next.BelowSince.Equal(prev.BelowSince)
			c.next.LevelState = next
		}
		changes[m.ID] = c
		levels[m.ID] = c.next.LevelState
	}

	// The activities of the evaluation's span serve the rising lists and
	// the stored health reports; the long periods' span (two years) only
	// when they are due.
	longAt, err := metaTime(ctx, tx, crm.LongPeriodsKey)
	if err != nil {
		return res, err
	}
	longThen, err := metaCount(ctx, tx, crm.LongPeriodsActivitiesKey)
	if err != nil {
		return res, err
	}
	long := crm.LongPeriodsDue(longAt, now, longThen, crm.ActivityCount(d))
	// Read a piece at a time (crm.Scoring.EvaluateWindow), in this
	// transaction.
	w := newWindow(tx, d)
	ev, err := sc.EvaluateWindow(ctx, w, d, levels, now, long)
	if err != nil {
		return res, err
	}
	if err := crm.FillThreadHeads(ctx, w, ev.Reports); err != nil {
		return res, err
	}
	ranks, slipping, reports := ev.Ranks, ev.Slipping, ev.Reports
	rank := map[int64]int{}
	for _, r := range ranks {
		if r.Kind == "champions" && r.Platform == "" && !r.Staff && r.Rank <= sc.ChampionsTop {
			rank[r.MemberID] = r.Rank
		}
	}
	slip := map[int64]bool{}
	for _, id := range slipping {
		slip[id] = true
	}
	names := map[int64]string{}
	for _, m := range d.Members {
		names[m.ID] = m.Name
	}

	ids := make([]int64, 0, len(changes))
	for id := range changes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := &pgx.Batch{}
	for _, id := range ids {
		c := changes[id]
		prev, had := stored[id]
		isChamp, isSlip := rank[id] > 0, slip[id]
		if isChamp != prev.champion || isSlip != prev.slipping {
			c.write = true
		}
		enteredChamp := isChamp && !prev.champion
		startedSlip := isSlip && !prev.slipping
		c.next.champion, c.next.slipping = isChamp, isSlip
		if !c.write {
			continue
		}
		b.Queue(`INSERT INTO member_levels (member_id, level, since, below_since, champion, slipping, evaluated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (member_id) DO UPDATE SET level = excluded.level, since = excluded.since, below_since = excluded.below_since,
				champion = excluded.champion, slipping = excluded.slipping, evaluated_at = excluded.evaluated_at`,
			id, c.next.Level, formatTime(c.next.Since), nullTime(c.next.BelowSince), b2i(c.next.champion), b2i(c.next.slipping), formatTime(now))
		for _, p := range c.hist {
			var prevLevel *int
			if p.Previous != 0 {
				v := p.Previous
				prevLevel = &v
			}
			b.Queue(`INSERT INTO level_history (member_id, at, level, previous) VALUES ($1, $2, $3, $4)`,
				id, formatTime(p.At), p.Level, prevLevel)
			res.Changes++
		}
		if !events || baseline {
			continue
		}
		ev := crm.Event{At: now, Member: crm.EventMember{ID: id, Name: names[id]}, Level: c.next.Level, LevelName: crm.LevelName(c.next.Level)}
		if had && len(c.hist) > 0 {
			e := ev
			e.Type, e.PreviousLevel = crm.EventLevelChanged, prev.Level
			if err := enqueue(ctx, tx, e, &res); err != nil {
				return res, err
			}
		}
		if enteredChamp {
			e := ev
			e.Type, e.Rank = crm.EventChampionEntered, rank[id]
			if err := enqueue(ctx, tx, e, &res); err != nil {
				return res, err
			}
		}
		if startedSlip {
			e := ev
			e.Type = crm.EventSlippingStarted
			if err := enqueue(ctx, tx, e, &res); err != nil {
				return res, err
			}
		}
	}
	// The kinds and periods computed replace their rows; the others (the
	// long periods between their refreshes) stay.
	for _, k := range ev.RankKinds {
		b.Queue(`DELETE FROM champion_ranks WHERE kind = $1`, k)
	}
	for _, r := range ranks {
		b.Queue(`INSERT INTO champion_ranks (kind, platform, staff, rank, member_id, helped, connects, contacts, gain)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.Kind, r.Platform, b2i(r.Staff), r.Rank, r.MemberID, r.Reach.Helped, r.Reach.Connects, r.Reach.Contacts, r.Gain)
	}
	for _, p := range ev.HealthPeriods {
		b.Queue(`DELETE FROM health_reports WHERE period_seconds = $1`, int64(p/time.Second))
	}
	for _, r := range reports {
		body, err := json.Marshal(r)
		if err != nil {
			return res, fmt.Errorf("store health reports: %w", err)
		}
		b.Queue(`INSERT INTO health_reports (platform, staff, period_seconds, body) VALUES ($1, $2, $3, $4)`,
			r.Platform, b2i(r.IncludeStaff), r.PeriodSeconds, string(body))
	}
	// Members merged away or forgotten keep no level. NOT EXISTS, an
	// anti join: NOT IN over a members list larger than work_mem is a
	// subplan scanned again for every row (at 1,000,000 members the
	// first evaluation was still in it after 18 minutes).
	b.Queue(`DELETE FROM member_levels l WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = l.member_id AND m.identity_count > 0)`)
	for k, v := range ev.Meta(formatTime(now)) {
		b.Queue(`INSERT INTO score_meta (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return res, fmt.Errorf("store levels, rankings and health reports: %w", err)
	}
	res.Members = len(d.Members)
	res.Replayed = len(replay)
	res.Champions = len(rank)
	res.Slipping = len(slipping)
	return res, nil
}

// enqueue writes ev to the outbox inside tx.
func enqueue(ctx context.Context, tx pgx.Tx, ev crm.Event, res *crm.Evaluation) error {
	if _, err := enqueueEvent(ctx, tx, ev, ev.At); err != nil {
		return err
	}
	res.Events++
	return nil
}

// LevelsEvaluatedAt is when EvaluateLevels last committed (zero: never).
func (s *Store) LevelsEvaluatedAt(ctx context.Context) (time.Time, error) {
	return levelsEvaluatedAt(ctx, s.pool)
}

func levelsEvaluatedAt(ctx context.Context, q querier) (time.Time, error) {
	return metaTime(ctx, q, crm.LevelsEvaluatedKey)
}

// metaTime reads a time kept in score_meta (zero when absent).
func metaTime(ctx context.Context, q querier, key string) (time.Time, error) {
	v, err := metaValue(ctx, q, key)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	return parseTime(v)
}

// metaCount reads a count kept in score_meta (0 when absent, or when not
// a count: the evaluation then writes it again).
func metaCount(ctx context.Context, q querier, key string) (int, error) {
	v, err := metaValue(ctx, q, key)
	n, _ := strconv.Atoi(v)
	return n, err
}

// metaValue reads a value kept in score_meta ("" when absent).
func metaValue(ctx context.Context, q querier, key string) (string, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM score_meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres: %s: %w", key, err)
	}
	return v, nil
}

// timedActivities reads the activities (type and time) of the members
// ids, by member: one query by identity for a few, one scan for many.
func timedActivities(ctx context.Context, q querier, d crm.ScoreData, members []int64) (map[int64][]crm.TimedActivity, error) {
	out := make(map[int64][]crm.TimedActivity, len(members))
	if len(members) == 0 {
		return out, nil
	}
	memberOf := map[int64]int64{}
	want := map[int64]bool{}
	for _, id := range members {
		want[id] = true
	}
	var idents []int64
	for _, m := range d.Members {
		if !want[m.ID] {
			continue
		}
		for _, id := range m.Identities {
			memberOf[id.ID] = m.ID
			idents = append(idents, id.ID)
		}
	}
	query, args := `SELECT identity_id, type, occurred_at FROM activities`, []any(nil)
	if len(members) < replayScanAt {
		query += ` WHERE identity_id = ANY($1)`
		args = []any{idents}
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: activities for level history: %w", err)
	}
	defer rows.Close()
	types := crm.Interner{}
	for rows.Next() {
		var ident int64
		var typ, at string
		if err := rows.Scan(&ident, &typ, &at); err != nil {
			return nil, fmt.Errorf("postgres: activities for level history: %w", err)
		}
		m, ok := memberOf[ident]
		if !ok {
			continue
		}
		t, err := parseTime(at)
		if err != nil {
			return nil, fmt.Errorf("postgres: activities for level history: %w", err)
		}
		typ = types.Intern(typ)
		out[m] = append(out[m], crm.TimedActivity{Type: typ, At: t})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: activities for level history: %w", err)
	}
	return out, nil
}

// ChampionRanks returns the first top places of a stored ranking and
// when the evaluation computed it; ok is false before the first one.
func (s *Store) ChampionRanks(ctx context.Context, kind, platform string, staff bool, top int) (time.Time, []crm.RankRow, bool, error) {
	var at time.Time
	var out []crm.RankRow
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		out = nil
		if at, err = metaTime(ctx, tx, crm.RankTimeKey(kind)); err != nil || at.IsZero() {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT rank, member_id, helped, connects, contacts, gain FROM champion_ranks
			WHERE kind = $1 AND platform = $2 AND staff = $3 AND rank <= $4 ORDER BY rank`, kind, platform, b2i(staff), top)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := crm.RankRow{Kind: kind, Platform: platform, Staff: staff}
			if err := rows.Scan(&r.Rank, &r.MemberID, &r.Reach.Helped, &r.Reach.Connects, &r.Reach.Contacts, &r.Gain); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return time.Time{}, nil, false, fmt.Errorf("postgres: rankings: %w", err)
	}
	if at.IsZero() {
		return time.Time{}, nil, false, nil
	}
	return at, out, true, nil
}

// StoredHealth returns the health report the last evaluation stored for
// the platform, staff choice and period; ok is false when there is none.
func (s *Store) StoredHealth(ctx context.Context, platform string, staff bool, period time.Duration) (crm.HealthReport, bool, error) {
	var body string
	err := s.pool.QueryRow(ctx, `SELECT body FROM health_reports WHERE platform = $1 AND staff = $2 AND period_seconds = $3`,
		platform, b2i(staff), int64(period/time.Second)).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return crm.HealthReport{}, false, nil
	}
	if err != nil {
		return crm.HealthReport{}, false, fmt.Errorf("postgres: stored health report: %w", err)
	}
	var r crm.HealthReport
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return crm.HealthReport{}, false, fmt.Errorf("postgres: stored health report: %w", err)
	}
	return r, true, nil
}
