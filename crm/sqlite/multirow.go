package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// rowsChunk is how many rows one multi-row statement writes at most: a
// batch of a thousand activities is five statements, each well below
// SQLite's limit on parameters (32,766) at 15 columns a row.
const rowsChunk = 200

// multiRow is an INSERT of many rows in one statement: head, then
// "VALUES (?, …), (?, …)" with cols parameters a row, then tail. Rows are
// written in order, so a later row conflicts with an earlier one of the
// same statement exactly as it would with one statement a row.
type multiRow struct {
	head string // up to and without VALUES
	cols int
	tail string // after the rows: ON CONFLICT, RETURNING
}

// sql is the statement for n rows.
func (m multiRow) sql(n int) string {
	row := "(?" + strings.Repeat(", ?", m.cols-1) + ")"
	var b strings.Builder
	b.Grow(len(m.head) + len(m.tail) + 8 + n*(len(row)+2))
	b.WriteString(m.head)
	b.WriteString("\n\tVALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	if m.tail != "" {
		b.WriteString("\n\t")
		b.WriteString(m.tail)
	}
	return b.String()
}

// chunks calls fn with the bounds of each run of at most rowsChunk of n
// rows, in order, and stops at its first error.
func chunks(n int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += rowsChunk {
		if err := fn(lo, min(n, lo+rowsChunk)); err != nil {
			return err
		}
	}
	return nil
}

// andMore is how an error names the rows of a multi-row statement after
// its first: "" for none, " and 199 more".
func andMore(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d more", n)
}

// execRows writes n rows with m, rowsChunk rows a statement, in order.
// args appends the parameters of row i to dst; what names the rows lo to
// hi for an error (see andMore).
func execRows(ctx context.Context, tx querier, m multiRow, n int, args func(dst []any, i int) []any, what func(lo, hi int) string) error {
	return chunks(n, func(lo, hi int) error {
		if _, err := tx.ExecContext(ctx, m.sql(hi-lo), m.args(lo, hi, args)...); err != nil {
			return fmt.Errorf("%s: %w", what(lo, hi), err)
		}
		return nil
	})
}

// queryRows is execRows for a statement that returns rows (RETURNING):
// scan reads each one.
func queryRows(ctx context.Context, tx querier, m multiRow, n int, args func(dst []any, i int) []any, what func(lo, hi int) string,
	scan func(*sql.Rows) error) error {
	return chunks(n, func(lo, hi int) error {
		rows, err := tx.QueryContext(ctx, m.sql(hi-lo), m.args(lo, hi, args)...)
		if err != nil {
			return fmt.Errorf("%s: %w", what(lo, hi), err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("%s: %w", what(lo, hi), err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s: %w", what(lo, hi), err)
		}
		return nil
	})
}

// args are the parameters of rows lo to hi.
func (m multiRow) args(lo, hi int, args func(dst []any, i int) []any) []any {
	dst := make([]any, 0, (hi-lo)*m.cols)
	for i := lo; i < hi; i++ {
		dst = args(dst, i)
	}
	return dst
}
