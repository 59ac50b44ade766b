package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
)

// Leases of sources among replicas of the daemon (see crm.Lease), timed by
// the database server's clock.

const leaseColumns = `source, holder, token, expires_at, acquired_at`

func scanLease(row pgx.Row) (crm.Lease, error) {
	var l crm.Lease
	err := row.Scan(&l.Source, &l.Holder, &l.Token, &l.Expires, &l.Acquired)
	l.Expires, l.Acquired = l.Expires.UTC(), l.Acquired.UTC()
	return l, err
}

// AcquireLease takes the lease of source for holder for ttl: a free or
// expired lease is taken (its token grows by one), one holder already
// holds is extended. ok is false when another holder holds it; the
// returned lease then says who, and until when. One statement: two
// replicas taking the same lease at once are ordered by its row.
func (s *Store) AcquireLease(ctx context.Context, source, holder string, ttl time.Duration) (crm.Lease, bool, error) {
	l, err := scanLease(s.pool.QueryRow(ctx, `INSERT INTO leases (`+leaseColumns+`)
		VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 microsecond', clock_timestamp())
		ON CONFLICT (source) DO UPDATE SET
			holder = EXCLUDED.holder,
			token = CASE WHEN leases.holder = EXCLUDED.holder AND leases.expires_at > clock_timestamp() THEN leases.token ELSE leases.token + 1 END,
			acquired_at = CASE WHEN leases.holder = EXCLUDED.holder AND leases.expires_at > clock_timestamp() THEN leases.acquired_at ELSE EXCLUDED.acquired_at END,
			expires_at = EXCLUDED.expires_at
		WHERE leases.expires_at <= clock_timestamp() OR leases.holder = EXCLUDED.holder
		RETURNING `+leaseColumns, source, holder, ttl.Microseconds()))
	if err == nil {
		return l, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return crm.Lease{}, false, fmt.Errorf("postgres: acquire lease of %s: %w", source, err)
	}
	// Held by another: say who.
	l, err = scanLease(s.pool.QueryRow(ctx, `SELECT `+leaseColumns+` FROM leases WHERE source = $1`, source))
	if err != nil {
		return crm.Lease{}, false, fmt.Errorf("postgres: read lease of %s: %w", source, err)
	}
	return l, false, nil
}

// RenewLease extends a lease its holder still has to now + ttl: one
// nobody took since, even if it expired meanwhile. A lease another
// replica took is an error wrapping crm.ErrLeaseLost.
func (s *Store) RenewLease(ctx context.Context, l crm.Lease, ttl time.Duration) (crm.Lease, error) {
	err := s.pool.QueryRow(ctx, `UPDATE leases SET expires_at = clock_timestamp() + $4 * interval '1 microsecond'
		WHERE source = $1 AND holder = $2 AND token = $3 RETURNING expires_at`,
		l.Source, l.Holder, l.Token, ttl.Microseconds()).Scan(&l.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("postgres: renew lease of %s (token %d): %w", l.Source, l.Token, crm.ErrLeaseLost)
	}
	if err != nil {
		return l, fmt.Errorf("postgres: renew lease of %s: %w", l.Source, err)
	}
	l.Expires = l.Expires.UTC()
	return l, nil
}

// ReleaseLease ends a lease its holder holds (at shutdown), so that
// another replica need not wait for it to expire. Its token stays.
func (s *Store) ReleaseLease(ctx context.Context, l crm.Lease) error {
	if _, err := s.pool.Exec(ctx, `UPDATE leases SET expires_at = clock_timestamp()
		WHERE source = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp()`, l.Source, l.Holder, l.Token); err != nil {
		return fmt.Errorf("postgres: release lease of %s: %w", l.Source, err)
	}
	return nil
}

// Leases returns every lease row, held or not, by source.
func (s *Store) Leases(ctx context.Context) ([]crm.Lease, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+leaseColumns+` FROM leases ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read leases: %w", err)
	}
	defer rows.Close()
	var out []crm.Lease
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: read leases: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read leases: %w", err)
	}
	return out, nil
}

// checkFence fails with crm.ErrLeaseLost unless source's lease is still
// f's holder's with f's token. It locks the lease row until the
// transaction ends (FOR SHARE), so that no replica can take the lease
// between the check and the commit of the batch it guards; so expiry
// alone does not fail it (while the token is unchanged, nobody else has
// the source, and a taker waits for this commit).
func checkFence(ctx context.Context, tx pgx.Tx, source string, f crm.Fence) error {
	if f.Source != source {
		return fmt.Errorf("fence of source %q on a batch of %q", f.Source, source)
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM leases
		WHERE source = $1 AND holder = $2 AND token = $3 FOR SHARE`, source, f.Holder, f.Token).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("lease of %s with token %d: %w", source, f.Token, crm.ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("check lease of %s: %w", source, err)
	}
	return nil
}
