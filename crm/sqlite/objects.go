package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
)

const (
	deleteObjectSQL = `DELETE FROM objects WHERE source = ? AND key = ?`
	putObjectSQL    = `INSERT INTO objects (source, key, value) VALUES (?, ?, ?)
		ON CONFLICT (source, key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value`
)

// putObjects writes a batch's per-object state (nil Value: delete) in its
// transaction.
func putObjects(ctx context.Context, tx querier, source string, objs []connectors.Object) error {
	for _, o := range objs {
		var err error
		if o.Value == nil {
			_, err = tx.ExecContext(ctx, deleteObjectSQL, source, o.Key)
		} else {
			_, err = tx.ExecContext(ctx, putObjectSQL, source, o.Key, string(o.Value))
		}
		if err != nil {
			return fmt.Errorf("store per-object state %s: %w", o.Key, err)
		}
	}
	return nil
}

// objectsChunk bounds the keys of one lookup (SQLite's host parameters).
const objectsChunk = 500

// Objects returns the committed per-object state of source for keys
// (connectors.ObjectState); a key without an entry is absent from the map.
func (s *Store) Objects(ctx context.Context, source string, keys []string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(keys))
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), objectsChunk)]
		keys = keys[len(chunk):]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, source)
		for _, k := range chunk {
			args = append(args, k)
		}
		q := `SELECT key, value FROM objects WHERE source = ? AND key IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		if err := s.scanObjects(ctx, q, args, func(o connectors.Object) { out[o.Key] = o.Value }); err != nil {
			return nil, fmt.Errorf("sqlite: read per-object state of source %q: %w", source, err)
		}
	}
	return out, nil
}

// ObjectsAfter returns, in key order, at most limit committed entries of
// source whose key starts with prefix and sorts after after
// (connectors.ObjectState).
func (s *Store) ObjectsAfter(ctx context.Context, source, prefix, after string, limit int) ([]connectors.Object, error) {
	q := `SELECT key, value FROM objects WHERE source = ? AND key >= ? AND key > ?`
	args := []any{source, prefix, after}
	if end := connectors.PrefixEnd(prefix); end != "" {
		q += ` AND key < ?`
		args = append(args, end)
	}
	q += ` ORDER BY key LIMIT ?`
	args = append(args, limit)
	var out []connectors.Object
	if err := s.scanObjects(ctx, q, args, func(o connectors.Object) { out = append(out, o) }); err != nil {
		return nil, fmt.Errorf("sqlite: scan per-object state %q of source %q: %w", prefix, source, err)
	}
	return out, nil
}

func (s *Store) scanObjects(ctx context.Context, q string, args []any, each func(connectors.Object)) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
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
