package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// MoveIdentities records the resolver's moves of identities between
// members in one transaction, as crm/sqlite's MoveIdentities does: a
// "move" audit_log row each; a move whose identity is gone or no longer
// in From, or that would leave From empty, is skipped; one that would part
// the identity from an identity of From a person joined it with, or put
// it with one a person separated it from, is refused with a
// "move_refused" row. Every touched member is recomputed.
func (s *Store) MoveIdentities(ctx context.Context, ms []crm.IdentityMove) error {
	if len(ms) == 0 {
		return nil
	}
	err := s.write(ctx, true, func(tx pgx.Tx) error {
		now := s.now()
		made := map[int]int64{} // group -> the new member made for it
		var touched []int64
		seen := map[int64]bool{}
		ids := make([]int64, 0, len(ms))
		for _, m := range ms {
			ids = append(ids, m.IdentityID)
		}
		if err := lockIdentities(ctx, tx, ids); err != nil {
			return err
		}
		for _, m := range ms {
			into, err := moveIdentity(ctx, tx, now, m, made)
			if err != nil {
				return fmt.Errorf("identity %d out of member %d: %w", m.IdentityID, m.From, err)
			}
			if into == 0 {
				continue
			}
			for _, id := range []int64{m.From, into} {
				if !seen[id] {
					seen[id] = true
					touched = append(touched, id)
				}
			}
		}
		slices.Sort(touched)
		for _, id := range touched {
			if err := recomputeMember(ctx, tx, id); err != nil {
				return fmt.Errorf("name member %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: move %d identities: %w", len(ms), err)
	}
	return nil
}

// moveIdentity performs one move and returns the member the identity went
// into, or 0 when it skipped or refused the move.
func moveIdentity(ctx context.Context, tx pgx.Tx, now time.Time, m crm.IdentityMove, made map[int]int64) (int64, error) {
	ident, err := identityByID(ctx, tx, m.IdentityID)
	if errors.Is(err, crm.ErrNotFound) {
		return 0, nil // forgotten since the resolver read it
	}
	if err != nil {
		return 0, err
	}
	if m.From == 0 || ident.MemberID != m.From || m.Into == m.From {
		return 0, nil
	}
	stay, err := memberIdentities(ctx, tx, m.From)
	if err != nil {
		return 0, err
	}
	key := ident.AccountRef.String()
	var others []string
	for _, k := range storekit.RefKeys(stay) {
		if k != key {
			others = append(others, k)
		}
	}
	if len(others) == 0 {
		return 0, nil // its member's last identity: nothing to part it from
	}
	detail := map[string]any{"reason": m.Reason, "account": key, "from": m.From, "from_accounts": others}
	decided, err := latestDecisions(ctx, tx, []string{key}, others)
	if err != nil {
		return 0, err
	}
	if why := storekit.Refusal(decided, crm.DecisionMerge); why != "" {
		detail["refused"] = why
		return 0, audit(ctx, tx, now, "resolver", "move_refused", m.From, ident.ID, detail)
	}
	target := m.Into
	if target == 0 {
		target = made[m.Group]
	}
	if target != 0 {
		if err := memberExists(ctx, tx, target); err != nil {
			return 0, err
		}
		there, err := memberIdentities(ctx, tx, target)
		if err != nil {
			return 0, err
		}
		decided, err := latestDecisions(ctx, tx, []string{key}, storekit.RefKeys(there))
		if err != nil {
			return 0, err
		}
		if why := storekit.Refusal(decided, crm.DecisionSeparate); why != "" {
			detail["refused"] = why
			return 0, audit(ctx, tx, now, "resolver", "move_refused", m.From, ident.ID, detail)
		}
	} else {
		if target, err = newMember(ctx, tx, now); err != nil {
			return 0, err
		}
		made[m.Group] = target
		detail["new_member"] = true
	}
	if _, err := tx.Exec(ctx, `UPDATE identities SET member_id = $1 WHERE id = $2`, target, ident.ID); err != nil {
		return 0, fmt.Errorf("move identity: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE members SET primary_override = NULL WHERE id = $1 AND primary_override = $2`,
		m.From, ident.ID); err != nil {
		return 0, fmt.Errorf("drop primary override: %w", err)
	}
	aid, err := auditID(ctx, tx, now, "resolver", "move", target, ident.ID, detail)
	if err != nil {
		return 0, err
	}
	if err := recordJoins(ctx, tx, target, aid, []string{key}); err != nil {
		return 0, err
	}
	return target, nil
}
