package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// enqueueEvent writes ev to the outbox inside tx, its body carrying the
// row's id, due at once.
func enqueueEvent(ctx context.Context, tx *sql.Tx, ev crm.Event, now time.Time) (int64, error) {
	r, err := tx.ExecContext(ctx, `INSERT INTO outbox (event, member_id, body, created_at, next_attempt_at) VALUES (?, ?, '', ?, ?)`,
		ev.Type, ev.Member.ID, formatTime(now), formatTime(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: queue webhook event %s: %w", ev.Type, err)
	}
	id, err := r.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: queue webhook event %s: %w", ev.Type, err)
	}
	ev.ID = id
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("sqlite: queue webhook event %s: %w", ev.Type, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET body = ? WHERE id = ?`, string(body), id); err != nil {
		return 0, fmt.Errorf("sqlite: queue webhook event %s: %w", ev.Type, err)
	}
	return id, nil
}
