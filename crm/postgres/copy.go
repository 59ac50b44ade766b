package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
)

// The store as a source and a target of `rollcall migrate` (crm.CopyStore).

var (
	_ crm.CopySource = (*Store)(nil)
	_ crm.CopyTarget = (*Store)(nil)
)

// identityTables are the tables whose id column is an identity: after a
// copy writes ids, their sequences continue after the largest.
var identityTables = []string{"members", "identities", "evidence", "audit_log", "identity_joins", "decisions", "suggestions",
	"level_history", "outbox"}

// searchTextSQL is the member_search text of member m (an alias of
// members): its name and each identity's username, name and e-mail
// addresses, one a line, as SQLite's member_search keeps it.
const searchTextSQL = `m.name || COALESCE((SELECT string_agg(E'\n' || i.username || E'\n' || i.name ||
		COALESCE((SELECT E'\n' || string_agg(e.value, E'\n') FROM json_array_elements_text(i.emails::json) e), ''), '' ORDER BY i.id)
	FROM identities i WHERE i.member_id = m.id), '')`

func dollars(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// CopyRows returns at most limit rows of t in key order after the key
// after.
func (s *Store) CopyRows(ctx context.Context, t crm.CopyTable, after crm.Row, limit int) ([]crm.Row, error) {
	key := strings.Join(t.KeyColumns(), ", ")
	q := `SELECT ` + strings.Join(t.Columns, ", ") + ` FROM ` + t.Name
	var args []any
	if after != nil {
		q += ` WHERE (` + key + `) > (` + dollars(1, t.Key) + `)`
		args = append(args, after...)
	}
	q += ` ORDER BY ` + key + ` LIMIT ` + strconv.Itoa(limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: read %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out []crm.Row
	for rows.Next() {
		vs, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("postgres: read %s: %w", t.Name, err)
		}
		r := make(crm.Row, len(vs))
		for i, v := range vs {
			r[i] = crm.CanonicalValue(v)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read %s: %w", t.Name, err)
	}
	return out, nil
}

// CopyFingerprint is a hash of the store's tombstone salt, as SQLite's.
func (s *Store) CopyFingerprint(ctx context.Context) (string, error) {
	return crm.StoreFingerprint(s.salt), nil
}

// CopyCounts returns the number of rows of each crm.CopyTables table.
func (s *Store) CopyCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(crm.CopyTables))
	for _, t := range crm.CopyTables {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM `+t.Name).Scan(&n); err != nil {
			return nil, fmt.Errorf("postgres: count rows of %s: %w", t.Name, err)
		}
		out[t.Name] = n
	}
	return out, nil
}

// copyProgressTable holds an interrupted copy's crm.CopyProgress; it
// exists only while a copy into this store is under way.
const copyProgressTable = `CREATE TABLE IF NOT EXISTS copy_progress (
	id       BIGINT PRIMARY KEY CHECK (id = 1),
	progress TEXT NOT NULL)`

// CopyProgress returns the progress of an interrupted copy into the store.
func (s *Store) CopyProgress(ctx context.Context) (crm.CopyProgress, bool, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('copy_progress') IS NOT NULL`).Scan(&exists); err != nil {
		return crm.CopyProgress{}, false, fmt.Errorf("postgres: read copy progress: %w", err)
	}
	if !exists {
		return crm.CopyProgress{}, false, nil
	}
	var v string
	err := s.pool.QueryRow(ctx, `SELECT progress FROM copy_progress WHERE id = 1`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return crm.CopyProgress{}, false, nil
	}
	if err != nil {
		return crm.CopyProgress{}, false, fmt.Errorf("postgres: read copy progress: %w", err)
	}
	p, err := crm.DecodeCopyProgress(v)
	if err != nil {
		return p, false, fmt.Errorf("postgres: %w", err)
	}
	return p, true, nil
}

// CopyWrite inserts rows into t and records p, in one transaction, the
// rows as one batch of statements (one round trip).
func (s *Store) CopyWrite(ctx context.Context, t crm.CopyTable, rows []crm.Row, p crm.CopyProgress) (int64, error) {
	enc, err := crm.EncodeCopyProgress(p)
	if err != nil {
		return 0, fmt.Errorf("postgres: copy %s: %w", t.Name, err)
	}
	// A fresh target's own settings (its salt, versions) give way to the
	// source's; in an append copy they must agree like any row.
	conflict := ` ON CONFLICT DO NOTHING`
	if !p.Append && (t.Name == "settings" || t.Name == "score_meta") {
		conflict = ` ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`
	}
	ins := `INSERT INTO ` + t.Name + ` (` + strings.Join(t.Columns, ", ") + `) VALUES (` + dollars(1, len(t.Columns)) + `)` + conflict
	var inserted int64
	err = s.write(ctx, false, func(tx pgx.Tx) error {
		inserted = 0
		if _, err := tx.Exec(ctx, copyProgressTable); err != nil {
			return fmt.Errorf("create copy_progress: %w", err)
		}
		var b pgx.Batch
		for _, r := range rows {
			b.Queue(ins, r...)
		}
		res := tx.SendBatch(ctx, &b)
		var skipped []crm.Row
		for _, r := range rows {
			tag, err := res.Exec()
			if err != nil {
				res.Close()
				return err
			}
			if tag.RowsAffected() > 0 {
				inserted++
			} else {
				skipped = append(skipped, r)
			}
		}
		if err := res.Close(); err != nil {
			return err
		}
		for _, r := range skipped {
			if err := sameRow(ctx, tx, t, r); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO copy_progress (id, progress) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET progress = EXCLUDED.progress`, enc); err != nil {
			return fmt.Errorf("record progress: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: copy %s: %w", t.Name, err)
	}
	return inserted, nil
}

// sameRow checks that the stored row with r's key equals r.
func sameRow(ctx context.Context, tx pgx.Tx, t crm.CopyTable, r crm.Row) error {
	where := make([]string, t.Key)
	for i, c := range t.KeyColumns() {
		where[i] = c + ` = $` + strconv.Itoa(i+1)
	}
	rows, err := tx.Query(ctx, `SELECT `+strings.Join(t.Columns, ", ")+` FROM `+t.Name+` WHERE `+strings.Join(where, " AND "), r[:t.Key]...)
	if err != nil {
		return fmt.Errorf("compare with the stored row: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return fmt.Errorf("key %v: a row with that key was skipped but cannot be read: %w", r[:t.Key], rows.Err())
	}
	vs, err := rows.Values()
	if err != nil {
		return fmt.Errorf("compare with the stored row: %w", err)
	}
	row := make(crm.Row, len(vs))
	for i, v := range vs {
		row[i] = crm.CanonicalValue(v)
	}
	same, err := crm.EqualRows(row, r)
	if err != nil {
		return err
	}
	if !same {
		return fmt.Errorf("key %v: %w", r[:t.Key], crm.ErrCopyConflict)
	}
	return nil
}

// CopyFinish continues the id sequences after the copied ids, rebuilds
// the search index from the copied members, reloads the salt the copy
// brought, and deletes the copy's progress.
func (s *Store) CopyFinish(ctx context.Context) error {
	err := s.write(ctx, false, func(tx pgx.Tx) error {
		for _, t := range identityTables {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`); err != nil {
				return fmt.Errorf("continue the ids of %s: %w", t, err)
			}
		}
		for _, q := range []string{
			`DELETE FROM member_search`,
			`INSERT INTO member_search (member_id, text) SELECT m.id, ` + searchTextSQL + ` FROM members m WHERE m.identity_count > 0`,
			`DROP TABLE IF EXISTS copy_progress`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: finish copy into %s: %w", s.where, err)
	}
	return s.loadSalt(ctx)
}
