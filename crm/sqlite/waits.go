package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// waitKeyPrefix starts the settings keys of announced waits:
// "wait/SOURCE/SCOPE".
const waitKeyPrefix = "wait/"

// waitLayout is fixed-width, so that the text of two times compares as the
// times do.
const waitLayout = "2006-01-02T15:04:05.000000000Z"

// Waits returns the waits a source's service announced that have not
// ended, by scope ("" for the whole source), and forgets the ended ones.
// See connectors.Waits.
func (s *Store) Waits(ctx context.Context, source string) (map[string]time.Time, error) {
	prefix := waitKeyPrefix + source + "/"
	now := s.now().UTC().Format(waitLayout)
	if _, err := s.w.ExecContext(ctx, `DELETE FROM settings WHERE substr(key, 1, ?) = ? AND value <= ?`, len(prefix), prefix, now); err != nil {
		return nil, fmt.Errorf("sqlite: forget ended waits of %s in %s: %w", source, s.path, describe(s.path, err))
	}
	rows, err := s.w.QueryContext(ctx, `SELECT key, value FROM settings WHERE substr(key, 1, ?) = ?`, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read waits of %s from %s: %w", source, s.path, describe(s.path, err))
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("sqlite: read waits of %s from %s: %w", source, s.path, err)
		}
		t, err := time.Parse(waitLayout, v)
		if err != nil {
			continue // not ours to judge; it ends never, so drop it
		}
		out[strings.TrimPrefix(k, prefix)] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read waits of %s from %s: %w", source, s.path, describe(s.path, err))
	}
	return out, nil
}

// SetWait records that source must not call scope before until; a later
// wait already recorded stays.
func (s *Store) SetWait(ctx context.Context, source, scope string, until time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > settings.value`,
		waitKeyPrefix+source+"/"+scope, until.UTC().Format(waitLayout))
	if err != nil {
		return fmt.Errorf("sqlite: record a wait of %s in %s: %w", source, s.path, describe(s.path, err))
	}
	return nil
}
