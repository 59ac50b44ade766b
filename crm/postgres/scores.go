package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
)

// The scoring inputs kept as activities are stored, as crm/sqlite keeps
// them (its migration 0009): per identity its tallies by activity type,
// channels and presence masks (identity_scores, see crm.IdentityScore),
// and the interactions between identities.

// DefaultDecay is the decay identity_scores is built with until SetDecay
// says otherwise.
const DefaultDecay = 0.9

// flushScores folds the batch's new activities into identity_scores. The
// identities' rows are already locked by the batch (their stats), so the
// read-modify-write of each scores row does not race another batch.
func flushScores(ctx context.Context, tx pgx.Tx, d *crm.ScoreDelta, decay float64) error {
	ids := slices.Clone(d.Identities())
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	have, err := loadIdentityScores(ctx, tx, ids)
	if err != nil {
		return err
	}
	var b pgx.Batch
	for _, id := range ids {
		sc := have[id]
		d.ApplyTo(id, &sc, decay)
		queueSaveScore(&b, id, sc)
	}
	if err := sendBatch(ctx, tx, &b, nil); err != nil {
		return fmt.Errorf("store scores: %w", err)
	}
	return nil
}

// loadIdentityScores reads the stored scores of ids; missing ones are zero.
func loadIdentityScores(ctx context.Context, q querier, ids []int64) (map[int64]crm.IdentityScore, error) {
	rows, err := q.Query(ctx, `SELECT identity_id, tallies, channels, weeks, weeks_at, months, months_at
		FROM identity_scores WHERE identity_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read scores: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]crm.IdentityScore, len(ids))
	for rows.Next() {
		var id, weeks, months int64
		var sc crm.IdentityScore
		var tallies, channels string
		if err := rows.Scan(&id, &tallies, &channels, &weeks, &sc.Weeks.At, &months, &sc.Months.At); err != nil {
			return nil, fmt.Errorf("read scores: %w", err)
		}
		// The masks are SQLite's signed 64 bits.
		sc.Weeks.Mask, sc.Months.Mask = uint64(weeks), uint64(months)
		if sc.Tallies, err = crm.DecodeTallies(tallies); err != nil {
			return nil, fmt.Errorf("scores of identity %d: tallies: %w", id, err)
		}
		if err := json.Unmarshal([]byte(channels), &sc.Channels); err != nil {
			return nil, fmt.Errorf("scores of identity %d: channels: %w", id, err)
		}
		out[id] = sc
	}
	return out, rows.Err()
}

func queueSaveScore(b *pgx.Batch, id int64, sc crm.IdentityScore) {
	b.Queue(`INSERT INTO identity_scores (identity_id, tallies, channels, weeks, weeks_at, months, months_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (identity_id) DO UPDATE SET tallies = excluded.tallies, channels = excluded.channels,
			weeks = excluded.weeks, weeks_at = excluded.weeks_at, months = excluded.months, months_at = excluded.months_at`,
		id, crm.EncodeTallies(sc.Tallies), crm.EncodeChannels(sc.Channels), int64(sc.Weeks.Mask), sc.Weeks.At, int64(sc.Months.Mask), sc.Months.At)
}

// edge is one interactions increment.
type edge struct {
	n  int64
	at string
}

// addInteractions records the edges the batch's new activities make: from
// each one that answers a stored activity (also one of the batch) to that
// activity's author, and to each new activity from the replies stored
// before the batch that answer it (replies can land first). Each edge is
// counted once whatever the order of reply and parent.
func addInteractions(ctx context.Context, tx pgx.Tx, fresh []newActivity) error {
	if len(fresh) == 0 {
		return nil
	}
	edges := make(map[[2]int64]edge)
	addEdge := func(from, to int64, at string) {
		if from == to {
			return
		}
		e := edges[[2]int64{from, to}]
		e.n++
		e.at = max(e.at, at)
		edges[[2]int64{from, to}] = e
	}
	var parents, keys []string
	for _, na := range fresh {
		keys = append(keys, na.a.Key)
		if na.a.ParentKey != "" && crm.Interacts(na.a.Type) {
			parents = append(parents, na.a.ParentKey)
		}
	}
	author := make(map[string]int64)
	if len(parents) > 0 {
		rows, err := tx.Query(ctx, `SELECT key, identity_id FROM activities WHERE key = ANY($1)`, parents)
		if err != nil {
			return fmt.Errorf("parents of new activities: %w", err)
		}
		for rows.Next() {
			var k string
			var id int64
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return fmt.Errorf("parents of new activities: %w", err)
			}
			author[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("parents of new activities: %w", err)
		}
	}
	for _, na := range fresh {
		if na.a.ParentKey != "" && crm.Interacts(na.a.Type) {
			if to, ok := author[na.a.ParentKey]; ok {
				addEdge(na.identity, to, formatTime(na.a.OccurredAt))
			}
		}
	}
	idOf := make(map[string]int64, len(fresh))
	for _, na := range fresh {
		if _, ok := idOf[na.a.Key]; !ok {
			idOf[na.a.Key] = na.identity
		}
	}
	rows, err := tx.Query(ctx, `SELECT parent_key, identity_id, occurred_at FROM activities
		WHERE parent_key = ANY($1) AND parent_key <> '' AND type = ANY($2) AND NOT (key = ANY($1))`,
		keys, crm.InteractionTypes())
	if err != nil {
		return fmt.Errorf("replies to new activities: %w", err)
	}
	for rows.Next() {
		var parent, at string
		var from int64
		if err := rows.Scan(&parent, &from, &at); err != nil {
			rows.Close()
			return fmt.Errorf("replies to new activities: %w", err)
		}
		addEdge(from, idOf[parent], at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replies to new activities: %w", err)
	}
	var b pgx.Batch
	for _, p := range sortedPairs(edges) {
		e := edges[p]
		b.Queue(`INSERT INTO interactions (from_identity, to_identity, n, last_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (from_identity, to_identity) DO UPDATE SET n = interactions.n + excluded.n,
				last_at = GREATEST(interactions.last_at, excluded.last_at)`, p[0], p[1], e.n, e.at)
	}
	if err := sendBatch(ctx, tx, &b, nil); err != nil {
		return fmt.Errorf("store interactions: %w", err)
	}
	return nil
}

// decay returns the decay identity_scores is built with.
func (s *Store) decay() float64 {
	if d := s.scoreDecay.Load(); d != nil {
		return *d
	}
	return DefaultDecay
}

// SetDecay makes the tallies' bases follow decay (config scoring.decay).
// When the stored scores were built with another decay it rebuilds them
// from the activities, in one transaction; otherwise it changes nothing.
func (s *Store) SetDecay(ctx context.Context, decay float64) error {
	if !(decay > 0 && decay <= 1) {
		return fmt.Errorf("postgres: decay %v: must be in (0, 1]", decay)
	}
	if err := s.rebuildScores(ctx, decay, false); err != nil {
		return err
	}
	s.scoreDecay.Store(&decay)
	return nil
}

// rebuildScores rebuilds identity_scores (and, the first time,
// interactions) from the activities when score_meta says they were built
// with another decay or not at all; with firstOnly (at Open) only when
// they were never built.
func (s *Store) rebuildScores(ctx context.Context, decay float64, firstOnly bool) error {
	want := strconv.FormatFloat(decay, 'g', -1, 64)
	var have string
	err := s.pool.QueryRow(ctx, `SELECT value FROM score_meta WHERE key = 'decay'`).Scan(&have)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: read score decay: %w", err)
	}
	if have != "" {
		if firstOnly {
			if d, err := strconv.ParseFloat(have, 64); err == nil && d > 0 && d <= 1 {
				s.scoreDecay.Store(&d)
			}
			return nil
		}
		if have == want {
			return nil
		}
	}
	err = s.write(ctx, true, func(tx pgx.Tx) error {
		// Read again under the lock: another process may have built them.
		var now string
		err := tx.QueryRow(ctx, `SELECT value FROM score_meta WHERE key = 'decay'`).Scan(&now)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if now == want || (firstOnly && now != "") {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM identity_scores`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT identity_id, type, channel, occurred_at FROM activities ORDER BY identity_id`)
		if err != nil {
			return err
		}
		var b pgx.Batch
		var cur int64
		var sc crm.IdentityScore
		started := false
		for rows.Next() {
			var id int64
			var typ, ch, at string
			if err := rows.Scan(&id, &typ, &ch, &at); err != nil {
				rows.Close()
				return err
			}
			if started && id != cur {
				queueSaveScore(&b, cur, sc)
				sc = crm.IdentityScore{}
			}
			cur, started = id, true
			t, err := parseTime(at)
			if err != nil {
				rows.Close()
				return fmt.Errorf("activity time %q: %w", at, err)
			}
			sc.Add(typ, ch, t, decay)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if started {
			queueSaveScore(&b, cur, sc)
		}
		if err := sendBatch(ctx, tx, &b, nil); err != nil {
			return err
		}
		if now == "" {
			if _, err := tx.Exec(ctx, `DELETE FROM interactions`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO interactions (from_identity, to_identity, n, last_at)
				SELECT c.identity_id, p.identity_id, COUNT(*), MAX(c.occurred_at)
				FROM activities c JOIN activities p ON p.key = c.parent_key
				WHERE c.parent_key <> '' AND c.type = ANY($1) AND c.identity_id <> p.identity_id
				GROUP BY c.identity_id, p.identity_id`, crm.InteractionTypes()); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO score_meta (key, value) VALUES ('decay', $1)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, want)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: rebuild scores: %w", err)
	}
	return nil
}
