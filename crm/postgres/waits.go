package postgres

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
	now := s.now().Format(waitLayout)
	if _, err := s.pool.Exec(ctx, `DELETE FROM settings WHERE substr(key, 1, $1) = $2 AND value <= $3`, len(prefix), prefix, now); err != nil {
		return nil, fmt.Errorf("postgres: forget ended waits of %s: %w", source, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM settings WHERE substr(key, 1, $1) = $2`, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("postgres: read waits of %s: %w", source, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("postgres: read waits of %s: %w", source, err)
		}
		if t, err := time.Parse(waitLayout, v); err == nil {
			out[strings.TrimPrefix(k, prefix)] = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read waits of %s: %w", source, err)
	}
	return out, nil
}

// SetWait records that source must not call scope before until; a later
// wait already recorded stays.
func (s *Store) SetWait(ctx context.Context, source, scope string, until time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > settings.value`,
		waitKeyPrefix+source+"/"+scope, until.UTC().Format(waitLayout))
	if err != nil {
		return fmt.Errorf("postgres: record a wait of %s: %w", source, err)
	}
	return nil
}
