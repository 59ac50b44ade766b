package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rollcall-dev/rollcall/crm"
)

var (
	_ crm.Outbox         = (*Store)(nil)
	_ crm.DeliveryLister = (*Store)(nil)
)

// defaultDeliveryLimit is the rows Deliveries returns when the filter sets
// no limit.
const defaultDeliveryLimit = 100

// enqueueEvent writes one webhook event to the outbox inside tx, due at
// now, and returns its id. The body is the JSON of ev with ID set to that
// id (and At to now when zero). The level evaluation calls it in the
// transaction that records the change, so the event is kept exactly when
// the change is.
func enqueueEvent(ctx context.Context, tx pgx.Tx, ev crm.Event, now time.Time) (int64, error) {
	if ev.Type == "" {
		return 0, errors.New("postgres: enqueue event: no type")
	}
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.At = ev.At.UTC()
	var member *int64
	if ev.Member.ID != 0 {
		member = &ev.Member.ID
	}
	at := formatTime(now)
	var id int64
	if err := tx.QueryRow(ctx,
		`INSERT INTO outbox (event, member_id, body, created_at, next_attempt_at) VALUES ($1, $2, '', $3, $4) RETURNING id`,
		ev.Type, member, at, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("postgres: enqueue %s event: %w", ev.Type, err)
	}
	ev.ID = id
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("postgres: enqueue %s event: encode: %w", ev.Type, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE outbox SET body = $1 WHERE id = $2`, string(body), id); err != nil {
		return 0, fmt.Errorf("postgres: enqueue %s event: %w", ev.Type, err)
	}
	return id, nil
}

// EnqueueEvent writes one webhook event to the outbox in its own
// transaction and returns its id (see enqueueEvent). Tests and tools use
// it; the level evaluation enqueues inside its own transaction.
func (s *Store) EnqueueEvent(ctx context.Context, ev crm.Event) (int64, error) {
	var id int64
	err := s.write(ctx, false, func(tx pgx.Tx) error {
		var err error
		id, err = enqueueEvent(ctx, tx, ev, s.now())
		return err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

const deliveryColumns = `id, event, member_id, body, created_at, attempts, next_attempt_at, delivered_at, failed, last_error`

func scanDeliveries(rows pgx.Rows) ([]crm.Delivery, error) {
	defer rows.Close()
	var out []crm.Delivery
	for rows.Next() {
		var (
			d             crm.Delivery
			member        *int64
			body, created string
			next          string
			delivered     *string
			failed        int64
		)
		if err := rows.Scan(&d.ID, &d.Event, &member, &body, &created, &d.Attempts, &next, &delivered, &failed, &d.LastError); err != nil {
			return nil, err
		}
		if member != nil {
			d.MemberID = *member
		}
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
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM outbox
		WHERE delivered_at IS NULL AND failed = 0 AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id LIMIT $2`, formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: due deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: due deliveries: %w", err)
	}
	return out, nil
}

// DeliveryDone records a 2xx answer to the delivery id at at.
func (s *Store) DeliveryDone(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET delivered_at = $1, attempts = attempts + 1, last_error = ''
		WHERE id = $2 AND delivered_at IS NULL`, formatTime(at), id)
	if err != nil {
		return fmt.Errorf("postgres: delivery %d done: %w", id, err)
	}
	return oneRow(tag, id, "done")
}

// DeliveryFailed records a failed attempt at at: the next one at next, or
// none (the row is failed) when giveUp is set. reason is kept as the
// row's last error.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, at, next time.Time, giveUp bool, reason string) error {
	if next.IsZero() {
		next = at
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, failed = $2, last_error = $3
		WHERE id = $4 AND delivered_at IS NULL`, formatTime(next), b2i(giveUp), reason, id)
	if err != nil {
		return fmt.Errorf("postgres: delivery %d failed: %w", id, err)
	}
	return oneRow(tag, id, "failed")
}

// oneRow checks that an update of the undelivered row id changed it.
func oneRow(tag pgconn.CommandTag, id int64, what string) error {
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delivery %d %s: %w (or already delivered)", id, what, crm.ErrNoDelivery)
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
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM outbox WHERE `+strings.Join(or, " OR ")+
		` ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: list deliveries: %w", err)
	}
	return out, nil
}

// RetryDelivery puts the failed row id back to pending, due at at, with
// its attempts counted from zero again (the last error stays until the
// next attempt).
func (s *Store) RetryDelivery(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET failed = 0, attempts = 0, next_attempt_at = $1
		WHERE id = $2 AND failed = 1 AND delivered_at IS NULL`, formatTime(at), id)
	if err != nil {
		return fmt.Errorf("postgres: retry delivery %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: retry delivery %d: %w that failed", id, crm.ErrNoDelivery)
	}
	return nil
}
