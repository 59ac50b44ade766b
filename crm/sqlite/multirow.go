package sqlite

import (
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
