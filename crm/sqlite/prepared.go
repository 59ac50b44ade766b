package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The write path's statements are prepared once, on the writer
// connection, when the store opens (prepareWrites), and closed with the
// store. A write transaction (wtx) runs them through tx.StmtContext,
// which reuses the statement already prepared on that connection:
// SQLite parses and plans each of them once per connection, not once per
// row. Any other query text runs as *sql.Tx runs it.

// writeStatements are the statements prepared on the writer connection:
// those Apply runs for each account, activity, identity or member of a
// batch, and Assign for each identity and member.
var writeStatements = []string{
	// Tombstones (tombs).
	anyTombstoneSQL, tombstoneSQL,
	// Accounts (upsertAccount, ensureIdentity, keepStaff, markDirty).
	identityByRefSQL, storedIdentitiesSQL, identityIDByRefSQL, insertIdentitySQL, updateIdentitySQL, markStaffSQL, markDirtySQL,
	// Activities (apply, addInteractions, addIdentityStats).
	storedActivitiesSQL, insertActivitiesSQL.sql(rowsChunk), updateCountsSQL, updateTextSQL, setSentimentSQL, memberOfIdentitySQL,
	parentAuthorsSQL, repliesSQL, addEdgesSQL.sql(rowsChunk), addIdentityStatsSQL,
	// Scores (scoreDelta.flush).
	loadIdentityScoreSQL, saveIdentityScoreSQL,
	// Members (recomputeMember, refreshStats, refreshSearch).
	memberOverridesSQL, primaryOverrideSQL, primaryIdentitySQL, nameMemberSQL, refreshStatsSQL,
	wantSearchSQL, haveSearchSQL, deleteSearchSQL, insertSearchSQL,
	// The resolver's assignments (Assign).
	identityByIDSQL, memberExistsSQL, insertMemberSQL, setMemberSQL, auditAssignSQL, recordJoinSQL,
	// Evidence, cursor, ETags, missing objects, per-object state, lease.
	insertEvidenceSQL.sql(rowsChunk), markRefDirtySQL, putCursorSQL, clearETagsSQL, insertETagsSQL.sql(rowsChunk),
	clearMissingSQL, insertMissingSQL.sql(rowsChunk),
	deleteObjectSQL, putObjectSQL, readLeaseSQL,
}

// prepared holds statements prepared on one *sql.DB, by query text.
type prepared struct {
	byQuery map[string]*sql.Stmt
}

// prepareWrites prepares writeStatements on db (the writer).
func prepareWrites(ctx context.Context, db *sql.DB) (*prepared, error) {
	p := &prepared{byQuery: make(map[string]*sql.Stmt, len(writeStatements))}
	for _, q := range writeStatements {
		if _, ok := p.byQuery[q]; ok {
			continue
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("prepare %.40q…: %w", q, err), p.Close())
		}
		p.byQuery[q] = st
	}
	return p, nil
}

// Close closes every statement.
func (p *prepared) Close() error {
	if p == nil {
		return nil
	}
	var errs []error
	for _, st := range p.byQuery {
		errs = append(errs, st.Close())
	}
	p.byQuery = nil
	return errors.Join(errs...)
}

// wtx is a write transaction that runs the statements its store prepared
// (bound to the transaction once each, on first use) and runs any other
// query as *sql.Tx does. It is a querier.
type wtx struct {
	*sql.Tx
	p     *prepared
	bound map[string]*sql.Stmt
}

// beginWrite starts a write transaction on the writer connection.
func (s *Store) beginWrite(ctx context.Context) (*wtx, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &wtx{Tx: tx, p: s.prep, bound: make(map[string]*sql.Stmt)}, nil
}

// stmt returns the prepared statement of query bound to the transaction,
// nil when query is not one of the store's prepared statements.
func (t *wtx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := t.bound[query]; ok {
		return st
	}
	if t.p == nil {
		return nil
	}
	ps, ok := t.p.byQuery[query]
	if !ok {
		return nil
	}
	st := t.Tx.StmtContext(ctx, ps)
	t.bound[query] = st
	return st
}

// ExecContext runs query as tx.ExecContext does, from its prepared
// statement when there is one.
func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query as tx.QueryContext does, from its prepared
// statement when there is one.
func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query as tx.QueryRowContext does, from its
// prepared statement when there is one.
func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
