package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// replayScanAt is how many members without a level make EvaluateLevels
// read all activities in one scan instead of one query per member.
const replayScanAt = 500

// storedLevel is a member_levels row.
type storedLevel struct {
	crm.LevelState
	champion, slipping bool
}

// Levels returns every member's stored level state.
func (s *Store) Levels(ctx context.Context) (map[int64]crm.LevelState, error) {
	return levelStates(loadLevels(ctx, s.r))
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

// loadLevels reads the member_levels rows: all of them, or those of the
// members whose ids are the JSON array idsJSON.
func loadLevels(ctx context.Context, q querier, idsJSON ...string) (map[int64]storedLevel, error) {
	query, args := `SELECT member_id, level, since, ifnull(below_since, ''), champion, slipping FROM member_levels`, []any(nil)
	if len(idsJSON) > 0 {
		query += ` WHERE member_id IN (SELECT value FROM json_each(?))`
		args = []any{idsJSON[0]}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: levels: %w", err)
	}
	defer rows.Close()
	out := map[int64]storedLevel{}
	for rows.Next() {
		var id int64
		var l storedLevel
		var since, below string
		if err := rows.Scan(&id, &l.Level, &since, &below, &l.champion, &l.slipping); err != nil {
			return nil, fmt.Errorf("sqlite: levels: %w", err)
		}
		if l.Since, err = parseTime(since); err != nil {
			return nil, fmt.Errorf("sqlite: level of member %d: %w", id, err)
		}
		if below != "" {
			if l.BelowSince, err = parseTime(below); err != nil {
				return nil, fmt.Errorf("sqlite: level of member %d: %w", id, err)
			}
		}
		out[id] = l
	}
	return out, rows.Err()
}

// LevelHistory returns a member's level changes, oldest first.
func (s *Store) LevelHistory(ctx context.Context, member int64) ([]crm.LevelPoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, level, ifnull(previous, 0) FROM level_history WHERE member_id = ? ORDER BY at, id`, member)
	if err != nil {
		return nil, fmt.Errorf("sqlite: level history of member %d: %w", member, err)
	}
	defer rows.Close()
	var out []crm.LevelPoint
	for rows.Next() {
		var p crm.LevelPoint
		var at string
		if err := rows.Scan(&at, &p.Level, &p.Previous); err != nil {
			return nil, fmt.Errorf("sqlite: level history of member %d: %w", member, err)
		}
		if p.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: level history of member %d: %w", member, err)
		}
		p.Name = crm.LevelName(p.Level)
		out = append(out, p)
	}
	return out, rows.Err()
}

// EvaluateLevels brings every member's level up to now with sc (see
// crm.Scoring.NextLevel), records each change in level_history, and finds
// who is on the champions list (sc.ChampionsTop, staff and bots left out)
// and who is slipping. A member evaluated for the first time gets a
// history replayed from their activities (crm.Scoring.ReplayLevels).
//
// With events set, it writes a webhook event to the outbox, in the same
// transaction, for each level change of a member who had a level, each
// member entering the champions list and each regular starting to slip.
// The first evaluation of a store (no levels yet) is a baseline and writes
// none, so that a backfill does not flood the receiver.
func (s *Store) EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error) {
	var res crm.Evaluation
	now = now.UTC()
	d, err := s.ScoreData(ctx)
	if err != nil {
		return res, err
	}
	stored, err := loadLevels(ctx, s.r)
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
	acts, err := s.timedActivities(ctx, d, replay)
	if err != nil {
		return res, err
	}

	type change struct {
		member int64
		next   storedLevel
		hist   []crm.LevelPoint
		write  bool
	}
	changes := make(map[int64]*change, len(d.Members))
	levels := make(map[int64]crm.LevelState, len(d.Members))
	for _, m := range d.Members {
		prev, ok := stored[m.ID]
		c := &change{member: m.ID, next: prev}
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
	// the stored health reports: read lean (no titles and URLs, their
	// members from d), the top threads' heads afterwards. The long
	// periods' span (two years) only when they are due.
	longAt, err := s.metaTime(ctx, crm.LongPeriodsKey)
	if err != nil {
		return res, err
	}
	longThen, err := s.metaCount(ctx, crm.LongPeriodsActivitiesKey)
	if err != nil {
		return res, err
	}
	long := crm.LongPeriodsDue(longAt, now, longThen, crm.ActivityCount(d))
	ev, err := s.evaluateWindow(ctx, sc, d, levels, now, long)
	if err != nil {
		return res, err
	}
	if err := crm.FillThreadHeads(ctx, s, ev.Reports); err != nil {
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

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("sqlite: evaluate levels: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, 0, len(changes))
	for id := range changes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
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
		var below any
		if !c.next.BelowSince.IsZero() {
			below = formatTime(c.next.BelowSince)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_levels (member_id, level, since, below_since, champion, slipping, evaluated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (member_id) DO UPDATE SET level = excluded.level, since = excluded.since, below_since = excluded.below_since,
				champion = excluded.champion, slipping = excluded.slipping, evaluated_at = excluded.evaluated_at`,
			id, c.next.Level, formatTime(c.next.Since), below, c.next.champion, c.next.slipping, formatTime(now)); err != nil {
			return res, fmt.Errorf("sqlite: store level of member %d: %w", id, err)
		}
		for _, p := range c.hist {
			var prevLevel any
			if p.Previous != 0 {
				prevLevel = p.Previous
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO level_history (member_id, at, level, previous) VALUES (?, ?, ?, ?)`,
				id, formatTime(p.At), p.Level, prevLevel); err != nil {
				return res, fmt.Errorf("sqlite: store level history of member %d: %w", id, err)
			}
			res.Changes++
		}
		if !events || baseline {
			continue
		}
		ev := crm.Event{At: now, Member: crm.EventMember{ID: id, Name: names[id]}, Level: c.next.Level, LevelName: crm.LevelName(c.next.Level)}
		if had && len(c.hist) > 0 {
			e := ev
			e.Type, e.PreviousLevel = crm.EventLevelChanged, prev.Level
			if err := s.enqueue(ctx, tx, e, &res); err != nil {
				return res, err
			}
		}
		if enteredChamp {
			e := ev
			e.Type, e.Rank = crm.EventChampionEntered, rank[id]
			if err := s.enqueue(ctx, tx, e, &res); err != nil {
				return res, err
			}
		}
		if startedSlip {
			e := ev
			e.Type = crm.EventSlippingStarted
			if err := s.enqueue(ctx, tx, e, &res); err != nil {
				return res, err
			}
		}
	}
	// The kinds and periods computed replace their rows; the others (the
	// long periods between their refreshes) stay.
	for _, k := range ev.RankKinds {
		if _, err := tx.ExecContext(ctx, `DELETE FROM champion_ranks WHERE kind = ?`, k); err != nil {
			return res, fmt.Errorf("sqlite: store rankings: %w", err)
		}
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO champion_ranks (kind, platform, staff, rank, member_id, helped, connects, contacts, gain)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return res, fmt.Errorf("sqlite: store rankings: %w", err)
	}
	for _, r := range ranks {
		if _, err := stmt.ExecContext(ctx, r.Kind, r.Platform, r.Staff, r.Rank, r.MemberID, r.Reach.Helped, r.Reach.Connects, r.Reach.Contacts, r.Gain); err != nil {
			stmt.Close()
			return res, fmt.Errorf("sqlite: store rankings: %w", err)
		}
	}
	stmt.Close()
	for _, p := range ev.HealthPeriods {
		if _, err := tx.ExecContext(ctx, `DELETE FROM health_reports WHERE period_seconds = ?`, int64(p/time.Second)); err != nil {
			return res, fmt.Errorf("sqlite: store health reports: %w", err)
		}
	}
	for _, r := range reports {
		body, err := json.Marshal(r)
		if err != nil {
			return res, fmt.Errorf("sqlite: store health reports: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO health_reports (platform, staff, period_seconds, body) VALUES (?, ?, ?, ?)`,
			r.Platform, r.IncludeStaff, r.PeriodSeconds, string(body)); err != nil {
			return res, fmt.Errorf("sqlite: store health reports: %w", err)
		}
	}
	// Members merged away or forgotten keep no level.
	if _, err := tx.ExecContext(ctx, `DELETE FROM member_levels WHERE member_id NOT IN
		(SELECT id FROM members WHERE identity_count > 0)`); err != nil {
		return res, fmt.Errorf("sqlite: drop levels of gone members: %w", err)
	}
	for k, v := range ev.Meta(formatTime(now)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO score_meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return res, fmt.Errorf("sqlite: evaluate levels: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("sqlite: evaluate levels: %w", err)
	}
	res.Members = len(d.Members)
	res.Replayed = len(replay)
	res.Champions = len(rank)
	res.Slipping = len(slipping)
	return res, nil
}

// evaluateWindow computes the rankings and reports of the evaluation
// (crm.Scoring.EvaluateWindow) from the activities of its span, read a
// piece at a time in one read transaction.
func (s *Store) evaluateWindow(ctx context.Context, sc crm.Scoring, d crm.ScoreData, levels map[int64]crm.LevelState, now time.Time, long bool) (crm.Evaluated, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return crm.Evaluated{}, fmt.Errorf("sqlite: activities of the evaluation: %w", err)
	}
	defer tx.Rollback()
	return sc.EvaluateWindow(ctx, newWindow(tx, d), d, levels, now, long)
}

// LevelsEvaluatedAt is when EvaluateLevels last committed (zero: never).
func (s *Store) LevelsEvaluatedAt(ctx context.Context) (time.Time, error) {
	return s.metaTime(ctx, crm.LevelsEvaluatedKey)
}

// metaTime reads a time kept in score_meta (zero when absent).
func (s *Store) metaTime(ctx context.Context, key string) (time.Time, error) {
	v, err := s.metaValue(ctx, key)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	return parseTime(v)
}

// metaCount reads a count kept in score_meta (0 when absent, or when not
// a count: the evaluation then writes it again).
func (s *Store) metaCount(ctx context.Context, key string) (int, error) {
	v, err := s.metaValue(ctx, key)
	n, _ := strconv.Atoi(v)
	return n, err
}

// metaValue reads a value kept in score_meta ("" when absent).
func (s *Store) metaValue(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM score_meta WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: %s: %w", key, err)
	}
	return v, nil
}

// enqueue writes ev to the outbox inside tx.
func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, ev crm.Event, res *crm.Evaluation) error {
	if _, err := enqueueEvent(ctx, tx, ev, ev.At); err != nil {
		return err
	}
	res.Events++
	return nil
}

// timedActivities reads the activities (type and time) of the members
// ids, by member: one query per member for a few, one scan for many.
func (s *Store) timedActivities(ctx context.Context, d crm.ScoreData, members []int64) (map[int64][]crm.TimedActivity, error) {
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
	types := crm.Interner{}
	scan := func(rows *sql.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var ident int64
			var typ, at string
			if err := rows.Scan(&ident, &typ, &at); err != nil {
				return err
			}
			m, ok := memberOf[ident]
			if !ok {
				continue
			}
			t, err := parseTime(at)
			if err != nil {
				return err
			}
			typ = types.Intern(typ)
			out[m] = append(out[m], crm.TimedActivity{Type: typ, At: t})
		}
		return rows.Err()
	}
	if len(members) >= replayScanAt {
		rows, err := s.r.QueryContext(ctx, `SELECT identity_id, type, occurred_at FROM activities`)
		if err != nil {
			return nil, fmt.Errorf("sqlite: activities for level history: %w", err)
		}
		if err := scan(rows); err != nil {
			return nil, fmt.Errorf("sqlite: activities for level history: %w", err)
		}
		return out, nil
	}
	b, _ := json.Marshal(idents)
	rows, err := s.r.QueryContext(ctx, `SELECT identity_id, type, occurred_at FROM activities
		WHERE identity_id IN (SELECT value FROM json_each(?))`, string(b))
	if err != nil {
		return nil, fmt.Errorf("sqlite: activities for level history: %w", err)
	}
	if err := scan(rows); err != nil {
		return nil, fmt.Errorf("sqlite: activities for level history: %w", err)
	}
	return out, nil
}

// ChampionRanks returns the first top places of a stored ranking and
// when the evaluation computed it; ok is false before the first one.
func (s *Store) ChampionRanks(ctx context.Context, kind, platform string, staff bool, top int) (time.Time, []crm.RankRow, bool, error) {
	at, err := s.metaTime(ctx, crm.RankTimeKey(kind))
	if err != nil || at.IsZero() {
		return time.Time{}, nil, false, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT rank, member_id, helped, connects, contacts, gain FROM champion_ranks
		WHERE kind = ? AND platform = ? AND staff = ? AND rank <= ? ORDER BY rank`, kind, platform, staff, top)
	if err != nil {
		return time.Time{}, nil, false, fmt.Errorf("sqlite: rankings: %w", err)
	}
	defer rows.Close()
	var out []crm.RankRow
	for rows.Next() {
		r := crm.RankRow{Kind: kind, Platform: platform, Staff: staff}
		if err := rows.Scan(&r.Rank, &r.MemberID, &r.Reach.Helped, &r.Reach.Connects, &r.Reach.Contacts, &r.Gain); err != nil {
			return time.Time{}, nil, false, fmt.Errorf("sqlite: rankings: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, nil, false, fmt.Errorf("sqlite: rankings: %w", err)
	}
	return at, out, true, nil
}

// LevelsOf returns the stored level states of the members ids.
func (s *Store) LevelsOf(ctx context.Context, ids []int64) (map[int64]crm.LevelState, error) {
	b, _ := json.Marshal(ids)
	return levelStates(loadLevels(ctx, s.r, string(b)))
}

// StoredHealth returns the health report the last evaluation stored for
// the platform, staff choice and period; ok is false when there is none.
func (s *Store) StoredHealth(ctx context.Context, platform string, staff bool, period time.Duration) (crm.HealthReport, bool, error) {
	var body string
	err := s.r.QueryRowContext(ctx, `SELECT body FROM health_reports WHERE platform = ? AND staff = ? AND period_seconds = ?`,
		platform, staff, int64(period/time.Second)).Scan(&body)
	if err == sql.ErrNoRows {
		return crm.HealthReport{}, false, nil
	}
	if err != nil {
		return crm.HealthReport{}, false, fmt.Errorf("sqlite: stored health report: %w", err)
	}
	var r crm.HealthReport
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return crm.HealthReport{}, false, fmt.Errorf("sqlite: stored health report: %w", err)
	}
	return r, true, nil
}
