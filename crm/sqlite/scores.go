package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rollcall-dev/rollcall/crm"
)

// The scoring inputs of migration 0009, kept as activities are stored:
// per identity its tallies by activity type, channels and presence masks
// (identity_scores), and the interactions between identities. See
// crm/tally.go for what each holds.

// DefaultDecay is the decay identity_scores is built with until SetDecay
// says otherwise.
const DefaultDecay = 0.9

// scoreDelta accumulates what a batch adds to identity_scores.
type scoreDelta struct {
	decay float64
	crm.ScoreDelta
}

// flush writes the accumulated activities into identity_scores.
func (d *scoreDelta) flush(ctx context.Context, tx querier) error {
	for _, id := range d.Identities() {
		sc, err := loadIdentityScore(ctx, tx, id)
		if err != nil {
			return err
		}
		d.ApplyTo(id, &sc, d.decay)
		if err := saveIdentityScore(ctx, tx, id, sc); err != nil {
			return err
		}
	}
	return nil
}

func loadIdentityScore(ctx context.Context, q querier, id int64) (crm.IdentityScore, error) {
	var sc crm.IdentityScore
	var tallies, channels string
	err := q.QueryRowContext(ctx, loadIdentityScoreSQL, id).Scan(&tallies, &channels,
		(*int64Mask)(&sc.Weeks.Mask), &sc.Weeks.At, (*int64Mask)(&sc.Months.Mask), &sc.Months.At)
	if err == sql.ErrNoRows {
		return sc, nil
	}
	if err != nil {
		return sc, fmt.Errorf("scores of identity %d: %w", id, err)
	}
	if sc.Tallies, err = crm.DecodeTallies(tallies); err != nil {
		return sc, fmt.Errorf("scores of identity %d: tallies: %w", id, err)
	}
	if err := json.Unmarshal([]byte(channels), &sc.Channels); err != nil {
		return sc, fmt.Errorf("scores of identity %d: channels: %w", id, err)
	}
	return sc, nil
}

const (
	loadIdentityScoreSQL = `SELECT tallies, channels, weeks, weeks_at, months, months_at
		FROM identity_scores WHERE identity_id = ?`
	saveIdentityScoreSQL = `INSERT INTO identity_scores (identity_id, tallies, channels, weeks, weeks_at, months, months_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (identity_id) DO UPDATE SET tallies = excluded.tallies, channels = excluded.channels,
			weeks = excluded.weeks, weeks_at = excluded.weeks_at, months = excluded.months, months_at = excluded.months_at`
)

func saveIdentityScore(ctx context.Context, tx querier, id int64, sc crm.IdentityScore) error {
	ch := crm.EncodeChannels(sc.Channels)
	_, err := tx.ExecContext(ctx, saveIdentityScoreSQL,
		id, crm.EncodeTallies(sc.Tallies), ch, int64(sc.Weeks.Mask), sc.Weeks.At, int64(sc.Months.Mask), sc.Months.At)
	if err != nil {
		return fmt.Errorf("store scores of identity %d: %w", id, err)
	}
	return nil
}

// int64Mask scans an INTEGER column (SQLite's signed 64 bits) into a
// uint64 mask.
type int64Mask uint64

func (m *int64Mask) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*m = int64Mask(uint64(x))
	case nil:
		*m = 0
	default:
		return fmt.Errorf("mask: unexpected %T", v)
	}
	return nil
}

// interactionTypesJSON is crm.InteractionTypes as a JSON array.
var interactionTypesJSON = func() string {
	b, _ := json.Marshal(crm.InteractionTypes())
	return string(b)
}()

// The statements of addInteractions.
const (
	// parentAuthorsSQL returns the author of each stored activity whose
	// key is in a JSON array.
	parentAuthorsSQL = `SELECT key, identity_id FROM activities WHERE key IN (SELECT value FROM json_each(?))`
	// repliesSQL returns the stored interactions (types ?2) that answer
	// an activity whose key is in the JSON array ?1.
	repliesSQL = `SELECT key, parent_key, identity_id, occurred_at FROM activities
		WHERE parent_key IN (SELECT value FROM json_each(?1)) AND parent_key <> '' AND type IN (SELECT value FROM json_each(?2))`
)

// addEdgesSQL adds interactions: n more from one identity to another, the
// last at last_at.
var addEdgesSQL = multiRow{head: `INSERT INTO interactions (from_identity, to_identity, n, last_at)`, cols: 4,
	tail: `ON CONFLICT (from_identity, to_identity) DO UPDATE SET n = n + excluded.n, last_at = max(last_at, excluded.last_at)`}

// addInteractions records the edges the activities a batch stored (fresh,
// in batch order, each at its position newAt[key]) make: each to the
// author of its parent when it answers one that is stored, and from each
// stored reply that answers it (replies can land first). The edges are
// those of storing the activities one at a time in batch order: an
// activity does not count the ones the batch stores after it (they make
// the edge with it themselves).
func addInteractions(ctx context.Context, tx querier, fresh []activityRow, newAt map[string]int) error {
	if len(fresh) == 0 {
		return nil
	}
	var parents, keys []string
	for _, r := range fresh {
		keys = append(keys, r.a.Key)
		if r.a.ParentKey != "" && crm.Interacts(r.a.Type) {
			parents = append(parents, r.a.ParentKey)
		}
	}
	authors := make(map[string]int64, len(parents))
	if len(parents) > 0 {
		err := scanJSONQuery(ctx, tx, parentAuthorsSQL, []any{parents}, func(rows *sql.Rows) error {
			var key string
			var id int64
			if err := rows.Scan(&key, &id); err != nil {
				return err
			}
			authors[key] = id
			return nil
		})
		if err != nil {
			return fmt.Errorf("parents of %d activities: %w", len(fresh), err)
		}
	}
	type reply struct {
		key  string
		from int64
		at   string
	}
	replies := make(map[string][]reply) // by parent key
	err := scanJSONQuery(ctx, tx, repliesSQL, []any{keys, json.RawMessage(interactionTypesJSON)}, func(rows *sql.Rows) error {
		var r reply
		var parent string
		if err := rows.Scan(&r.key, &parent, &r.from, &r.at); err != nil {
			return err
		}
		replies[parent] = append(replies[parent], r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("replies to %d activities: %w", len(fresh), err)
	}

	type pair struct{ from, to int64 }
	type edge struct {
		n    int
		last string
	}
	edges := make(map[pair]*edge)
	var order []pair
	add := func(from, to int64, at string) {
		if from == to {
			return
		}
		p := pair{from, to}
		e := edges[p]
		if e == nil {
			e = &edge{last: at}
			edges[p] = e
			order = append(order, p)
		}
		e.n++
		e.last = max(e.last, at)
	}
	for _, r := range fresh {
		i := newAt[r.a.Key]
		later := func(key string) bool {
			at, ok := newAt[key]
			return ok && at > i
		}
		if to, ok := authors[r.a.ParentKey]; ok && r.a.ParentKey != "" && crm.Interacts(r.a.Type) && !later(r.a.ParentKey) {
			add(r.id, to, formatTime(r.a.OccurredAt))
		}
		for _, rp := range replies[r.a.Key] {
			if !later(rp.key) {
				add(rp.from, r.id, rp.at)
			}
		}
	}
	return execRows(ctx, tx, addEdgesSQL, len(order), func(dst []any, i int) []any {
		p := order[i]
		return append(dst, p.from, p.to, edges[p].n, edges[p].last)
	}, func(lo, hi int) string {
		return fmt.Sprintf("interaction %d→%d%s", order[lo].from, order[lo].to, andMore(hi-lo-1))
	})
}

// scanJSONQuery runs query with args, each encoded as one JSON parameter
// (a json.RawMessage as it is), and calls scan for each row.
func scanJSONQuery(ctx context.Context, tx querier, query string, args []any, scan func(*sql.Rows) error) error {
	params := make([]any, len(args))
	for i, a := range args {
		if raw, ok := a.(json.RawMessage); ok {
			params[i] = string(raw)
			continue
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		params[i] = string(b)
	}
	rows, err := tx.QueryContext(ctx, query, params...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
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
		return fmt.Errorf("sqlite: decay %v: must be in (0, 1]", decay)
	}
	if err := s.rebuildScores(ctx, decay, false); err != nil {
		return err
	}
	s.scoreDecay.Store(&decay)
	return nil
}

// rebuildScores rebuilds identity_scores and interactions from the
// activities when score_meta says they were built with another decay or
// not at all; with firstOnly (at Open) only when they were never built.
func (s *Store) rebuildScores(ctx context.Context, decay float64, firstOnly bool) error {
	want := strconv.FormatFloat(decay, 'g', -1, 64)
	// Read first, so that an Open with nothing to build starts no write
	// transaction; the single writer connection serializes the rest.
	var have string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM score_meta WHERE key = 'decay'`).Scan(&have)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("sqlite: read score decay: %w", err)
	}
	if have != "" {
		if firstOnly {
			// Open: keep what was built, with the decay it was built with.
			if d, err := strconv.ParseFloat(have, 64); err == nil && d > 0 && d <= 1 {
				s.scoreDecay.Store(&d)
			}
			return nil
		}
		if have == want {
			return nil
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: rebuild scores: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM identity_scores`); err != nil {
		return fmt.Errorf("sqlite: rebuild scores: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT identity_id, type, channel, occurred_at FROM activities ORDER BY identity_id`)
	if err != nil {
		return fmt.Errorf("sqlite: rebuild scores: %w", err)
	}
	// Rows come grouped by identity: each group is one identity's scores.
	type built struct {
		id int64
		sc crm.IdentityScore
	}
	var all []built
	for rows.Next() {
		var id int64
		var typ, ch, at string
		if err := rows.Scan(&id, &typ, &ch, &at); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: rebuild scores: %w", err)
		}
		if len(all) == 0 || all[len(all)-1].id != id {
			all = append(all, built{id: id})
		}
		t, err := parseTime(at)
		if err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: rebuild scores: activity time %q: %w", at, err)
		}
		all[len(all)-1].sc.Add(typ, ch, t, decay)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: rebuild scores: %w", err)
	}
	for _, b := range all {
		if err := saveIdentityScore(ctx, tx, b.id, b.sc); err != nil {
			return fmt.Errorf("sqlite: rebuild scores: %w", err)
		}
	}
	// Interactions do not depend on the decay, but are built here the
	// first time (a store migrated from before 0009).
	if have == "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM interactions`); err != nil {
			return fmt.Errorf("sqlite: rebuild interactions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO interactions (from_identity, to_identity, n, last_at)
			SELECT c.identity_id, p.identity_id, COUNT(*), MAX(c.occurred_at)
			FROM activities c JOIN activities p ON p.key = c.parent_key
			WHERE c.parent_key <> '' AND c.type IN (SELECT value FROM json_each(?)) AND c.identity_id <> p.identity_id
			GROUP BY c.identity_id, p.identity_id`, interactionTypesJSON); err != nil {
			return fmt.Errorf("sqlite: rebuild interactions: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO score_meta (key, value) VALUES ('decay', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, want); err != nil {
		return fmt.Errorf("sqlite: rebuild scores: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: rebuild scores: %w", err)
	}
	return nil
}
