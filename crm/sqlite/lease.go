package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// Leases of sources among replicas of the daemon (see crm.Lease). Times
// come from this machine's clock: every process sharing a SQLite file
// runs on the machine that has the file.

// AcquireLease takes the lease of source for holder for ttl: a free or
// expired lease is taken (its token grows by one), one holder already
// holds is extended. ok is false when another holder holds it; the
// returned lease then says who, and until when.
func (s *Store) AcquireLease(ctx context.Context, source, holder string, ttl time.Duration) (crm.Lease, bool, error) {
	now := s.now()
	var out crm.Lease
	var ok bool
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return out, false, fmt.Errorf("sqlite: acquire lease of %s: %w", source, err)
	}
	defer tx.Rollback()
	cur, found, err := readLease(ctx, tx, source)
	if err != nil {
		return out, false, fmt.Errorf("sqlite: acquire lease of %s: %w", source, err)
	}
	switch {
	case found && cur.Held(now) && cur.Holder != holder:
		return cur, false, nil
	case found && cur.Held(now):
		out, ok = cur, true
		out.Expires = now.Add(ttl)
		_, err = tx.ExecContext(ctx, `UPDATE leases SET expires_at = ? WHERE source = ?`, formatTime(out.Expires), source)
	default:
		out = crm.Lease{Source: source, Holder: holder, Token: cur.Token + 1, Expires: now.Add(ttl), Acquired: now}
		ok = true
		_, err = tx.ExecContext(ctx, `INSERT INTO leases (source, holder, token, expires_at, acquired_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (source) DO UPDATE SET holder = excluded.holder, token = excluded.token,
				expires_at = excluded.expires_at, acquired_at = excluded.acquired_at`,
			source, holder, out.Token, formatTime(out.Expires), formatTime(now))
	}
	if err != nil {
		return crm.Lease{}, false, fmt.Errorf("sqlite: acquire lease of %s: %w", source, err)
	}
	if err := tx.Commit(); err != nil {
		return crm.Lease{}, false, fmt.Errorf("sqlite: acquire lease of %s: %w", source, err)
	}
	return out, ok, nil
}

// TakeOverLease gives the lease f names to holder before it expires, with
// the next token, until ttl from now: for a holder known to be dead (a
// process of this host that no longer runs). It takes the lease only if
// it still has f's holder and token, or is free or expired; otherwise it
// returns the lease as it is and false.
func (s *Store) TakeOverLease(ctx context.Context, f crm.Fence, holder string, ttl time.Duration) (crm.Lease, bool, error) {
	now := s.now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return crm.Lease{}, false, fmt.Errorf("sqlite: take over lease of %s: %w", f.Source, err)
	}
	defer tx.Rollback()
	cur, found, err := readLease(ctx, tx, f.Source)
	if err != nil {
		return crm.Lease{}, false, fmt.Errorf("sqlite: take over lease of %s: %w", f.Source, err)
	}
	if found && cur.Held(now) && (cur.Holder != f.Holder || cur.Token != f.Token) {
		return cur, false, nil
	}
	out := crm.Lease{Source: f.Source, Holder: holder, Token: cur.Token + 1, Expires: now.Add(ttl), Acquired: now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO leases (source, holder, token, expires_at, acquired_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET holder = excluded.holder, token = excluded.token,
			expires_at = excluded.expires_at, acquired_at = excluded.acquired_at`,
		out.Source, holder, out.Token, formatTime(out.Expires), formatTime(now)); err != nil {
		return crm.Lease{}, false, fmt.Errorf("sqlite: take over lease of %s: %w", f.Source, err)
	}
	if err := tx.Commit(); err != nil {
		return crm.Lease{}, false, fmt.Errorf("sqlite: take over lease of %s: %w", f.Source, err)
	}
	return out, true, nil
}

// RenewLease extends a lease its holder still has to now + ttl: one
// nobody took since, even if it expired meanwhile (a renewal that waited
// behind a long write). A lease another replica took is an error
// wrapping crm.ErrLeaseLost.
func (s *Store) RenewLease(ctx context.Context, l crm.Lease, ttl time.Duration) (crm.Lease, error) {
	now := s.now()
	r, err := s.w.ExecContext(ctx, `UPDATE leases SET expires_at = ? WHERE source = ? AND holder = ? AND token = ?`,
		formatTime(now.Add(ttl)), l.Source, l.Holder, l.Token)
	if err != nil {
		return l, fmt.Errorf("sqlite: renew lease of %s: %w", l.Source, err)
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 {
		return l, fmt.Errorf("sqlite: renew lease of %s (token %d): %w", l.Source, l.Token, crm.ErrLeaseLost)
	}
	l.Expires = now.Add(ttl)
	return l, nil
}

// ReleaseLease ends a lease its holder holds (at shutdown), so that
// another replica need not wait for it to expire. Its token stays.
func (s *Store) ReleaseLease(ctx context.Context, l crm.Lease) error {
	now := s.now()
	if _, err := s.w.ExecContext(ctx, `UPDATE leases SET expires_at = ? WHERE source = ? AND holder = ? AND token = ? AND expires_at > ?`,
		formatTime(now), l.Source, l.Holder, l.Token, formatTime(now)); err != nil {
		return fmt.Errorf("sqlite: release lease of %s: %w", l.Source, err)
	}
	return nil
}

// Leases returns every lease row, held or not, by source.
func (s *Store) Leases(ctx context.Context) ([]crm.Lease, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT source, holder, token, expires_at, acquired_at FROM leases ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read leases: %w", err)
	}
	defer rows.Close()
	var out []crm.Lease
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read leases: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read leases: %w", err)
	}
	return out, nil
}

func scanLease(r scanner) (crm.Lease, error) {
	var l crm.Lease
	var exp, acq string
	if err := r.Scan(&l.Source, &l.Holder, &l.Token, &exp, &acq); err != nil {
		return l, err
	}
	var err error
	if l.Expires, err = parseTime(exp); err != nil {
		return l, err
	}
	if l.Acquired, err = parseTime(acq); err != nil {
		return l, err
	}
	return l, nil
}

const readLeaseSQL = `SELECT source, holder, token, expires_at, acquired_at FROM leases WHERE source = ?`

func readLease(ctx context.Context, q querier, source string) (crm.Lease, bool, error) {
	l, err := scanLease(q.QueryRowContext(ctx, readLeaseSQL, source))
	if errors.Is(err, sql.ErrNoRows) {
		return crm.Lease{}, false, nil
	}
	if err != nil {
		return crm.Lease{}, false, err
	}
	return l, true, nil
}

// checkFence fails with crm.ErrLeaseLost unless source's lease is still
// f's holder's with f's token. Expiry alone does not fail it: taking a
// lease over needs the write lock this transaction holds, so while the
// token is unchanged nobody else has the source.
func checkFence(ctx context.Context, tx querier, source string, f crm.Fence) error {
	if f.Source != source {
		return fmt.Errorf("fence of source %q on a batch of %q", f.Source, source)
	}
	l, found, err := readLease(ctx, tx, source)
	if err != nil {
		return fmt.Errorf("check lease: %w", err)
	}
	if !found || l.Holder != f.Holder || l.Token != f.Token {
		return fmt.Errorf("lease of %s with token %d: %w", source, f.Token, crm.ErrLeaseLost)
	}
	return nil
}
