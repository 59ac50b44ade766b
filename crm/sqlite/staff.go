package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// SetTeam sets the configured team list: members on it read as staff
// unless a person marked them otherwise (see crm.Role). It is safe to call
// while the store is in use (a configuration reload).
func (s *Store) SetTeam(t crm.Team) { s.team.Store(&t) }

// teamList returns the team list set by SetTeam, empty if none.
func (s *Store) teamList() crm.Team {
	if t := s.team.Load(); t != nil {
		return *t
	}
	return crm.Team{}
}

// keepStaff sets the identity's staff flag when the account says so; a
// batch without it never clears the flag (staff evidence accumulates: the
// role on one repository is seen on that repository's items only).
func keepStaff(ctx context.Context, tx querier, id int64, a connectors.Account) error {
	if !a.Staff {
		return nil
	}
	_, err := tx.ExecContext(ctx, markStaffSQL, id)
	return err
}

const markStaffSQL = `UPDATE identities SET staff = 1 WHERE id = ? AND staff = 0`

// loadMarks fills the Mark of the members in out (index: member id to
// position) whose ids are the JSON array idsJSON.
func loadMarks(ctx context.Context, q querier, idsJSON string, out []crm.Member, index map[int64]int) error {
	rows, err := q.QueryContext(ctx, `SELECT id, role_mark FROM members
		WHERE id IN (SELECT value FROM json_each(?)) AND role_mark IS NOT NULL`, idsJSON)
	if err != nil {
		return fmt.Errorf("marks of members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var mark string
		if err := rows.Scan(&id, &mark); err != nil {
			return fmt.Errorf("marks of members: %w", err)
		}
		out[index[id]].Mark = mark
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("marks of members: %w", err)
	}
	return nil
}

// SetMark records a person's mark on the member: crm.MarkStaff, MarkBot or
// MarkNone (explicitly neither). It is audited ("mark", with the reason)
// and survives syncs, resolver runs and merges (a merged member keeps the
// surviving member's mark, else the absorbed one's). An unknown mark wraps
// crm.ErrConflict; a missing member crm.ErrNotFound.
func (s *Store) SetMark(ctx context.Context, memberID int64, mark, actor, reason string) error {
	if err := s.setMark(ctx, memberID, mark, actor, reason); err != nil {
		return fmt.Errorf("sqlite: mark member %d %s: %w", memberID, mark, err)
	}
	return nil
}

func (s *Store) setMark(ctx context.Context, memberID int64, mark, actor, reason string) error {
	if !crm.ValidMark(mark) {
		return fmt.Errorf("unknown mark %q (want %s): %w", mark, strings.Join([]string{crm.MarkStaff, crm.MarkBot, crm.MarkNone}, ", "), crm.ErrConflict)
	}
	return s.changeMember(ctx, memberID, actor, "mark", func(tx *sql.Tx) (map[string]any, error) {
		var old sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT role_mark FROM members WHERE id = ?`, memberID).Scan(&old); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET role_mark = ? WHERE id = ?`, mark, memberID); err != nil {
			return nil, err
		}
		detail := map[string]any{"mark": mark, "previous": old.String}
		if reason != "" {
			detail["reason"] = reason
		}
		return detail, nil
	})
}
