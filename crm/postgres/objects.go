package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
)

// putObjects writes a batch's per-object state (nil Value: delete) in its
// transaction, in one round trip.
func putObjects(ctx context.Context, tx pgx.Tx, source string, objs []connectors.Object) error {
	var b pgx.Batch
	for _, o := range objs {
		if o.Value == nil {
			b.Queue(`DELETE FROM objects WHERE source = $1 AND key = $2`, source, o.Key)
			continue
		}
		b.Queue(`INSERT INTO objects (source, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (source, key) DO UPDATE SET value = excluded.value
			WHERE objects.value IS DISTINCT FROM excluded.value`, source, o.Key, string(o.Value))
	}
	if err := sendBatch(ctx, tx, &b, nil); err != nil {
		return fmt.Errorf("store per-object state: %w", err)
	}
	return nil
}

// Objects returns the committed per-object state of source for keys
// (connectors.ObjectState); a key without an entry is absent from the map.
func (s *Store) Objects(ctx context.Context, source string, keys []string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	err := scanObjects(ctx, s.pool, func(o connectors.Object) { out[o.Key] = o.Value },
		`SELECT key, value FROM objects WHERE source = $1 AND key = ANY($2)`, source, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: read per-object state of source %q: %w", source, err)
	}
	return out, nil
}

// ObjectsAfter returns, in key order (COLLATE "C": Go's byte order), at
// most limit committed entries of source whose key starts with prefix and
// sorts after after (connectors.ObjectState).
func (s *Store) ObjectsAfter(ctx context.Context, source, prefix, after string, limit int) ([]connectors.Object, error) {
	q := `SELECT key, value FROM objects WHERE source = $1 AND key >= $2 AND key > $3`
	args := []any{source, prefix, after}
	if end := connectors.PrefixEnd(prefix); end != "" {
		q += ` AND key < $5`
	}
	q += ` ORDER BY key LIMIT $4`
	args = append(args, limit)
	if end := connectors.PrefixEnd(prefix); end != "" {
		args = append(args, end)
	}
	var out []connectors.Object
	err := scanObjects(ctx, s.pool, func(o connectors.Object) { out = append(out, o) }, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: scan per-object state %q of source %q: %w", prefix, source, err)
	}
	return out, nil
}

// scanObjects runs one query (a single statement needs no snapshot
// transaction) and hands each row to each.
func scanObjects(ctx context.Context, db querier, each func(connectors.Object), q string, args ...any) error {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		each(connectors.Object{Key: k, Value: json.RawMessage(v)})
	}
	return rows.Err()
}
