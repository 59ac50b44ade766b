package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rollcall-dev/rollcall/crm"
)

// The store as a source and a target of `rollcall migrate` (crm.CopyStore).

var (
	_ crm.CopySource = (*Store)(nil)
	_ crm.CopyTarget = (*Store)(nil)
)

// copyColumn is column c of t as SQLite names it: evidence's id is its
// rowid.
func copyColumn(t crm.CopyTable, c string) string {
	if t.Name == "evidence" && c == "id" {
		return "rowid"
	}
	return c
}

func copyColumns(t crm.CopyTable, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = copyColumn(t, c)
	}
	return strings.Join(out, ", ")
}

// CopyRows returns at most limit rows of t in key order after the key
// after.
func (s *Store) CopyRows(ctx context.Context, t crm.CopyTable, after crm.Row, limit int) ([]crm.Row, error) {
	return copyRows(ctx, s.r, t, after, limit)
}

func copyRows(ctx context.Context, q querier, t crm.CopyTable, after crm.Row, limit int) ([]crm.Row, error) {
	key := copyColumns(t, t.KeyColumns())
	query := `SELECT ` + copyColumns(t, t.Columns) + ` FROM ` + t.Name
	var args []any
	if after != nil {
		query += ` WHERE (` + key + `) > (` + placeholders(t.Key) + `)`
		args = append(args, after...)
	}
	query += ` ORDER BY ` + key + ` LIMIT ?`
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out []crm.Row
	for rows.Next() {
		r := make(crm.Row, len(t.Columns))
		ptrs := make([]any, len(r))
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("sqlite: read %s: %w", t.Name, err)
		}
		for i, v := range r {
			r[i] = crm.CanonicalValue(v)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read %s: %w", t.Name, err)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// CopyFingerprint is a hash of the store's tombstone salt: it names the
// store without revealing the salt.
func (s *Store) CopyFingerprint(ctx context.Context) (string, error) {
	return crm.StoreFingerprint(s.salt), nil
}

// CopyCounts returns the number of rows of each crm.CopyTables table.
func (s *Store) CopyCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(crm.CopyTables))
	for _, t := range crm.CopyTables {
		var n int64
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.Name).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: count rows of %s: %w", t.Name, err)
		}
		out[t.Name] = n
	}
	return out, nil
}

// copyProgressTable holds an interrupted copy's crm.CopyProgress; it
// exists only while a copy into this store is under way.
const copyProgressTable = `CREATE TABLE IF NOT EXISTS copy_progress (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	progress TEXT NOT NULL)`

// CopyProgress returns the progress of an interrupted copy into the store.
func (s *Store) CopyProgress(ctx context.Context) (crm.CopyProgress, bool, error) {
	var n int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'copy_progress'`).Scan(&n); err != nil {
		return crm.CopyProgress{}, false, fmt.Errorf("sqlite: read copy progress: %w", err)
	}
	if n == 0 {
		return crm.CopyProgress{}, false, nil
	}
	var v string
	err := s.w.QueryRowContext(ctx, `SELECT progress FROM copy_progress WHERE id = 1`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return crm.CopyProgress{}, false, nil
	}
	if err != nil {
		return crm.CopyProgress{}, false, fmt.Errorf("sqlite: read copy progress: %w", err)
	}
	p, err := crm.DecodeCopyProgress(v)
	if err != nil {
		return p, false, fmt.Errorf("sqlite: %w", err)
	}
	return p, true, nil
}

// CopyWrite inserts rows into t and records p, in one transaction.
func (s *Store) CopyWrite(ctx context.Context, t crm.CopyTable, rows []crm.Row, p crm.CopyProgress) (int64, error) {
	enc, err := crm.EncodeCopyProgress(p)
	if err != nil {
		return 0, fmt.Errorf("sqlite: copy %s: %w", t.Name, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: copy %s: %w", t.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, copyProgressTable); err != nil {
		return 0, fmt.Errorf("sqlite: copy %s: create copy_progress: %w", t.Name, err)
	}
	// A fresh target's own settings (its salt, versions) give way to the
	// source's; in an append copy they must agree like any row.
	replace := !p.Append && (t.Name == "settings" || t.Name == "score_meta")
	verb := `INSERT INTO `
	if replace {
		verb = `INSERT OR REPLACE INTO `
	}
	ins, err := tx.PrepareContext(ctx, verb+t.Name+` (`+copyColumns(t, t.Columns)+`) VALUES (`+placeholders(len(t.Columns))+`)`+
		map[bool]string{false: ` ON CONFLICT DO NOTHING`, true: ``}[replace])
	if err != nil {
		return 0, fmt.Errorf("sqlite: copy %s: %w", t.Name, err)
	}
	defer ins.Close()
	var inserted int64
	for _, r := range rows {
		res, err := ins.ExecContext(ctx, r...)
		if err != nil {
			return 0, fmt.Errorf("sqlite: copy %s: %w", t.Name, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("sqlite: copy %s: %w", t.Name, err)
		}
		if n > 0 {
			inserted++
			continue
		}
		if err := sameRow(ctx, tx, t, r); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO copy_progress (id, progress) VALUES (1, ?)`, enc); err != nil {
		return 0, fmt.Errorf("sqlite: copy %s: record progress: %w", t.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: copy %s: commit: %w", t.Name, err)
	}
	return inserted, nil
}

// sameRow checks that the stored row with r's key equals r.
func sameRow(ctx context.Context, tx *sql.Tx, t crm.CopyTable, r crm.Row) error {
	where := make([]string, t.Key)
	for i, c := range t.KeyColumns() {
		where[i] = copyColumn(t, c) + ` = ?`
	}
	row := make(crm.Row, len(t.Columns))
	ptrs := make([]any, len(row))
	for i := range row {
		ptrs[i] = &row[i]
	}
	if err := tx.QueryRowContext(ctx, `SELECT `+copyColumns(t, t.Columns)+` FROM `+t.Name+` WHERE `+strings.Join(where, " AND "),
		r[:t.Key]...).Scan(ptrs...); err != nil {
		return fmt.Errorf("sqlite: copy %s: compare with the stored row: %w", t.Name, err)
	}
	for i, v := range row {
		row[i] = crm.CanonicalValue(v)
	}
	same, err := crm.EqualRows(row, r)
	if err != nil {
		return fmt.Errorf("sqlite: copy %s: %w", t.Name, err)
	}
	if !same {
		return fmt.Errorf("sqlite: copy %s: key %v: %w", t.Name, r[:t.Key], crm.ErrCopyConflict)
	}
	return nil
}

// CopyFinish rebuilds the search index from the copied members, reloads
// the salt the copy brought, and deletes the copy's progress.
func (s *Store) CopyFinish(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: finish copy: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM member_search`,
		`INSERT INTO member_search (rowid, text) SELECT m.id, ` + searchText + ` FROM members m WHERE m.identity_count > 0`,
		`DROP TABLE IF EXISTS copy_progress`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite: finish copy: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: finish copy: %w", err)
	}
	return s.loadSalt(ctx)
}
