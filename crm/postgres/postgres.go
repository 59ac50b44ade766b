package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rollcall-dev/rollcall/crm/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is a store kept in a PostgreSQL database (or a PostgreSQL-wire
// engine). Its methods are safe for concurrent use, and several processes
// may share one database.
type Store struct {
	// Now returns the current time for stored timestamps; nil means
	// time.Now. Set it before first use.
	Now func() time.Time

	pool *pgxpool.Pool
	name string // the URL without its password, for messages
	salt []byte
	log  *slog.Logger
	// trigram is whether the pg_trgm extension is installed (the search
	// index uses it).
	trigram bool
}

// Redact returns the URL with its password (in the user info or a
// password parameter) replaced by "xxxxx", for messages; a string that
// does not parse as a URL is replaced whole.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Open connects to the database at rawURL (postgres://…) and applies
// pending migrations. Errors name the database without its password. The
// caller must Close the store.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	name := Redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		// pgx's parse errors may quote the connection string.
		return nil, fmt.Errorf("postgres: %s: the URL does not parse (want postgres://user:password@host:port/database?sslmode=...)", name)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect to %s: %w", name, scrub(err, rawURL))
	}
	s := &Store{pool: pool, name: name, log: slog.New(slog.DiscardHandler)}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", name, scrub(err, rawURL))
	}
	// The trigram index of member search needs pg_trgm; without it (no
	// privilege, an engine without extensions) search scans.
	if err := s.execIdempotent(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm`); err == nil {
		s.trigram = true
	} else {
		s.log.Info("postgres: no pg_trgm; member search scans", "store", name, "err", err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.loadSalt(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// scrub hides the password of rawURL in err's text, whatever the driver
// put there.
func scrub(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil {
		return errors.New("connection failed")
	}
	pw, ok := "", false
	if u.User != nil {
		pw, ok = u.User.Password()
	}
	if p := u.Query().Get("password"); p != "" {
		pw, ok = p, true
	}
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping %s: %w", s.name, err)
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// timeFormat is SQLite's: RFC 3339 with a fixed nine-digit fraction.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFS, "migrations", "postgres")
}

// migrate applies every migration not yet recorded, in number order, each
// in its own transaction. Two processes opening one new database at once
// are serialized by the schema_migrations row they both insert.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if err := s.execIdempotent(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations in %s: %w", s.name, err)
	}
	latest := migrations.Latest(ms)
	for _, m := range ms {
		if err := s.applyMigration(ctx, m, latest); err != nil {
			return err
		}
	}
	if s.trigram {
		if err := s.execIdempotent(ctx, `CREATE INDEX IF NOT EXISTS member_search_trgm ON member_search USING gin (lower(text) gin_trgm_ops)`); err != nil {
			return fmt.Errorf("postgres: create the trigram search index in %s: %w", s.name, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migrations.Migration, latest int) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("postgres: migrate %s: read schema version: %w", s.name, err)
		}
		if current > latest {
			return fmt.Errorf("postgres: migrate %s: schema version %d is newer than this program knows (%d); use a newer rollcall", s.name, current, latest)
		}
		// Claim the version first: a second process migrating at the same
		// time waits here, then finds it applied.
		tag, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING`,
			m.Version, m.Name, formatTime(s.now()))
		if err != nil {
			return fmt.Errorf("postgres: record migration %s in %s: %w", m.Name, s.name, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("postgres: apply migration %s to %s: %w", m.Name, s.name, err)
		}
		return nil
	})
}

// Migrations reports the schema version of the database and the latest
// version this program embeds.
func (s *Store) Migrations(ctx context.Context) (current, latest int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, 0, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, 0, fmt.Errorf("postgres: read schema version of %s: %w", s.name, err)
	}
	return current, migrations.Latest(ms), nil
}

// settingSalt is the settings key of the tombstone salt.
const settingSalt = "tombstone_salt"

// loadSalt creates the store's tombstone salt on first use (32 bytes from
// crypto/rand) and caches it.
func (s *Store) loadSalt(ctx context.Context) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("postgres: create tombstone salt: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		settingSalt, hex.EncodeToString(b[:])); err != nil {
		return fmt.Errorf("postgres: store tombstone salt in %s: %w", s.name, err)
	}
	var v string
	if err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, settingSalt).Scan(&v); err != nil {
		return fmt.Errorf("postgres: read tombstone salt of %s: %w", s.name, err)
	}
	salt, err := hex.DecodeString(v)
	if err != nil || len(salt) == 0 {
		return fmt.Errorf("postgres: tombstone salt of %s is malformed", s.name)
	}
	s.salt = salt
	return nil
}

// execIdempotent runs a CREATE ... IF NOT EXISTS, again when another
// process created the same object at the same moment (PostgreSQL then
// reports a duplicate instead of finding it).
func (s *Store) execIdempotent(ctx context.Context, ddl string) error {
	var err error
	for range 5 {
		_, err = s.pool.Exec(ctx, ddl)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "23505" && pe.Code != "42P07" && pe.Code != "42710") {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// isRetryable reports whether err is a serialization failure or a
// deadlock: the transaction may be run again.
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// inTx runs fn in a transaction, again (up to 8 times, with a short
// growing pause) when the database aborted it as a serialization failure
// or a deadlock.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := range 8 {
		err = pgx.BeginFunc(ctx, s.pool, fn)
		if !isRetryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

// CheckWritable proves that the store can write: it writes inside a
// transaction and rolls it back, leaving nothing behind (for rollcall
// doctor).
func (s *Store) CheckWritable(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: check writable: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE doctor_probe (x BIGINT) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("postgres: check writable: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ('doctor_probe', '1')`); err != nil {
		return fmt.Errorf("postgres: check writable: %w", err)
	}
	return nil
}
