package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The read model's kept data (migration 0005): each identity's activity
// count and first and last activity time, kept by Apply as it inserts
// activities; each member's identity count, activity count, first_seen and
// last_seen, summed from its identities whenever recomputeMember runs (on
// every change of a member's identities or activities); and each member's
// search text in member_search. The work is proportional to the identities
// of the members a change touches, never a recount of activities.

// identityStats accumulates the activities a batch added to one identity.
type identityStats struct {
	n           int
	first, last string
}

func (st *identityStats) add(at time.Time) {
	t := formatTime(at)
	if st.n == 0 || t < st.first {
		st.first = t
	}
	if st.n == 0 || t > st.last {
		st.last = t
	}
	st.n++
}

const addIdentityStatsSQL = `UPDATE identities SET activity_count = activity_count + ?,
	first_activity_at = CASE WHEN first_activity_at IS NULL OR ? < first_activity_at THEN ? ELSE first_activity_at END,
	last_activity_at = CASE WHEN last_activity_at IS NULL OR ? > last_activity_at THEN ? ELSE last_activity_at END
	WHERE id = ?`

// addIdentityStats adds st to the identity's stored stats.
func addIdentityStats(ctx context.Context, tx querier, identity int64, st identityStats) error {
	if st.n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, addIdentityStatsSQL, st.n, st.first, st.first, st.last, st.last, identity)
	if err != nil {
		return fmt.Errorf("activity stats of identity %d: %w", identity, err)
	}
	return nil
}

// refreshStats sets the member's stats from its identities' stats.
func refreshStats(ctx context.Context, tx querier, member int64) error {
	_, err := tx.ExecContext(ctx, refreshStatsSQL, member)
	return err
}

const refreshStatsSQL = `UPDATE members SET (identity_count, activity_count, first_seen, last_seen) =
	(SELECT COUNT(*), COALESCE(SUM(i.activity_count), 0),
		COALESCE(MIN(i.first_activity_at), MIN(i.first_seen_at), ''),
		COALESCE(MAX(i.last_activity_at), MAX(i.first_seen_at), '')
	FROM identities i WHERE i.member_id = ?1)
	WHERE id = ?1`

// searchText is the member_search text of member m (an alias of members):
// its name and each identity's username, name and e-mail addresses, one a
// line (as migration 0005 builds it).
const searchText = `m.name || ifnull((SELECT group_concat(char(10) || i.username || char(10) || i.name ||
		ifnull((SELECT char(10) || group_concat(e.value, char(10)) FROM json_each(i.emails) e), ''), '')
	FROM identities i WHERE i.member_id = m.id), '')`

// The statements of refreshSearch.
const (
	wantSearchSQL   = `SELECT ` + searchText + ` FROM members m WHERE m.id = ? AND m.identity_count > 0`
	haveSearchSQL   = `SELECT text FROM member_search WHERE rowid = ?`
	deleteSearchSQL = `DELETE FROM member_search WHERE rowid = ?`
	insertSearchSQL = `INSERT INTO member_search (rowid, text) VALUES (?, ?)`
)

// refreshSearch rewrites the member's row of member_search when its text
// changed, and drops it when the member has no identity.
func refreshSearch(ctx context.Context, tx querier, member int64) error {
	var want sql.NullString
	err := tx.QueryRowContext(ctx, wantSearchSQL, member).Scan(&want)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	var have sql.NullString
	err = tx.QueryRowContext(ctx, haveSearchSQL, member).Scan(&have)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if want == have {
		return nil
	}
	if have.Valid {
		if _, err := tx.ExecContext(ctx, deleteSearchSQL, member); err != nil {
			return err
		}
	}
	if want.Valid {
		if _, err := tx.ExecContext(ctx, insertSearchSQL, member, want.String); err != nil {
			return err
		}
	}
	return nil
}
