package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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

// SetMark records a person's mark on the member: crm.MarkStaff, MarkBot or
// MarkNone (explicitly neither), audited ("mark", with the reason); it
// survives syncs, resolver runs and merges. An unknown mark wraps
// crm.ErrConflict; a missing member crm.ErrNotFound.
func (s *Store) SetMark(ctx context.Context, memberID int64, mark, actor, reason string) error {
	if err := s.setMark(ctx, memberID, mark, actor, reason); err != nil {
		return fmt.Errorf("postgres: mark member %d %s: %w", memberID, mark, err)
	}
	return nil
}

func (s *Store) setMark(ctx context.Context, memberID int64, mark, actor, reason string) error {
	if !crm.ValidMark(mark) {
		return fmt.Errorf("unknown mark %q (want %s): %w", mark, strings.Join([]string{crm.MarkStaff, crm.MarkBot, crm.MarkNone}, ", "), crm.ErrConflict)
	}
	return s.changeMember(ctx, memberID, actor, "mark", func(tx pgx.Tx) (map[string]any, error) {
		var old *string
		if err := tx.QueryRow(ctx, `SELECT role_mark FROM members WHERE id = $1`, memberID).Scan(&old); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE members SET role_mark = $1 WHERE id = $2`, mark, memberID); err != nil {
			return nil, err
		}
		prev := ""
		if old != nil {
			prev = *old
		}
		detail := map[string]any{"mark": mark, "previous": prev}
		if reason != "" {
			detail["reason"] = reason
		}
		return detail, nil
	})
}
