package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

var (
	_ crm.Outbox         = (*Store)(nil)
	_ crm.DeliveryLister = (*Store)(nil)
)

// ErrNoDelivery is crm.ErrNoDelivery, kept under this name for callers.
var ErrNoDelivery = crm.ErrNoDelivery

// defaultDeliveryLimit is the rows Deliveries returns when the filter sets
// no limit.
const defaultDeliveryLimit = 100

// enqueueEvent writes one webhook event to the outbox inside tx, due at
// now, and returns its id. The body is the JSON of ev with ID set to that
// id (and At to now when zero). The level evaluation calls it in the
// transaction that records the change, so the event is kept exactly when
// the change is.
func enqueueEvent(ctx context.Context, tx *sql.Tx, ev crm.Event, now time.Time) (int64, error) {
	if ev.Type == "" {
		return 0, errors.New("sqlite: enqueue event: no type")
	}
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.At = ev.At.UTC()
	var member any
	if ev.Member.ID != 0 {
		member = ev.Member.ID
	}
	at := formatTime(now)
	res, err := tx.ExecContext(ctx,
		`INSERT INTO outbox (event, member_id, body, created_at, next_attempt_at) VALUES (?, ?, '', ?, ?)`,
		ev.Type, member, at, at)
	if err != nil {
		return 0, fmt.Errorf("sqlite: enqueue %s event: %w", ev.Type, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: enqueue %s event: %w", ev.Type, err)
	}
	ev.ID = id
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("sqlite: enqueue %s event: encode: %w", ev.Type, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET body = ? WHERE id = ?`, string(body), id); err != nil {
		return 0, fmt.Errorf("sqlite: enqueue %s event: %w", ev.Type, err)
	}
	return id, nil
}

// EnqueueEvent writes one webhook event to the outbox in its own
// transaction and returns its id (see enqueueEvent). Tests and tools use
// it; the level evaluation enqueues inside its own transaction.
func (s *Store) EnqueueEvent(ctx context.Context, ev crm.Event) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: enqueue event: %w", err)
	}
	defer tx.Rollback()
	id, err := enqueueEvent(ctx, tx, ev, s.now())
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: enqueue event: %w", err)
	}
	return id, nil
}

const deliveryColumns = `id, event, member_id, body, created_at, attempts, next_attempt_at, delivered_at, failed, last_error`

func scanDeliveries(rows *sql.Rows) ([]crm.Delivery, error) {
	defer rows.Close()
	var out []crm.Delivery
	for rows.Next() {
		var (
			d             crm.Delivery
			member        sql.NullInt64
			body, created string
			next          string
			delivered     sql.NullString
			failed        int
		)
		if err := rows.Scan(&d.ID, &d.Event, &member, &body, &created, &d.Attempts, &next, &delivered, &failed, &d.LastError); err != nil {
			return nil, err
		}
		d.MemberID = member.Int64
		d.Body = []byte(body)
		d.Failed = failed != 0
		var err error
		if d.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if d.DeliveredAt, err = parseNullTime(delivered); err != nil {
			return nil, err
		}
		if d.DeliveredAt.IsZero() && !d.Failed {
			if d.NextAttemptAt, err = parseTime(next); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueDeliveries returns up to limit undelivered, unfailed rows whose next
// attempt is due at now, oldest first.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]crm.Delivery, error) {
	if limit <= 0 {
		limit = defaultDeliveryLimit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM outbox
		WHERE delivered_at IS NULL AND failed = 0 AND next_attempt_at <= ?
		ORDER BY next_attempt_at, id LIMIT ?`, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: due deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: due deliveries: %w", err)
	}
	return out, nil
}

// DeliveryDone records a 2xx answer to the delivery id at at.
func (s *Store) DeliveryDone(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = ''
		WHERE id = ? AND delivered_at IS NULL`, formatTime(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: delivery %d done: %w", id, err)
	}
	return oneRow(res, id, "done")
}

// DeliveryFailed records a failed attempt at at: the next one at next, or
// none (the row is failed) when giveUp is set. reason is kept as the
// row's last error.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, at, next time.Time, giveUp bool, reason string) error {
	failed := 0
	if giveUp {
		failed = 1
	}
	if next.IsZero() {
		next = at
	}
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, failed = ?, last_error = ?
		WHERE id = ? AND delivered_at IS NULL`, formatTime(next), failed, reason, id)
	if err != nil {
		return fmt.Errorf("sqlite: delivery %d failed: %w", id, err)
	}
	return oneRow(res, id, "failed")
}

// oneRow checks that an update of the undelivered row id changed it.
func oneRow(res sql.Result, id int64, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: delivery %d %s: %w", id, what, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: delivery %d %s: %w (or already delivered)", id, what, ErrNoDelivery)
	}
	return nil
}

// Deliveries returns the outbox rows the filter selects, newest first.
func (s *Store) Deliveries(ctx context.Context, f crm.DeliveryFilter) ([]crm.Delivery, error) {
	var or []string
	if f.Pending {
		or = append(or, `(delivered_at IS NULL AND failed = 0)`)
	}
	if f.Failed {
		or = append(or, `failed = 1`)
	}
	if f.Delivered {
		or = append(or, `delivered_at IS NOT NULL`)
	}
	if len(or) == 0 {
		return nil, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultDeliveryLimit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM outbox WHERE `+strings.Join(or, " OR ")+
		` ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list deliveries: %w", err)
	}
	return out, nil
}

// RetryDelivery puts the failed row id back to pending, due at at, with
// its attempts counted from zero again (the last error stays until the
// next attempt).
func (s *Store) RetryDelivery(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET failed = 0, attempts = 0, next_attempt_at = ?
		WHERE id = ? AND failed = 1 AND delivered_at IS NULL`, formatTime(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: retry delivery %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: retry delivery %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: retry delivery %d: %w that failed", id, ErrNoDelivery)
	}
	return nil
}
