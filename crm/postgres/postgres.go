package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sentiment"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is a crm.Store kept in a PostgreSQL database (or a compatible
// engine). Its methods are safe for concurrent use, also by several
// processes sharing the database.
type Store struct {
	// Now returns the current time for ingested_at, first_seen_at and audit
	// timestamps; nil means time.Now. Set it before first use.
	Now func() time.Time

	// where names the database in messages, without its password.
	where string
	pool  *pgxpool.Pool
	salt  []byte // the tombstone salt, read once at Open
	// trigram reports whether member_search has its pg_trgm index.
	trigram bool
	// team is the configured team list (SetTeam); nil means none.
	team atomic.Pointer[crm.Team]
	// scoreDecay is the decay identity_scores follows (SetDecay); nil
	// means DefaultDecay.
	scoreDecay atomic.Pointer[float64]
	// dropText, when set (SetKeepText(false)), stores the sentiment of
	// each text excerpt but not the excerpt.
	dropText atomic.Bool
	// vader scores text excerpts as Apply stores them.
	vader *sentiment.Analyzer
	log   *slog.Logger
}

var (
	_ crm.Store              = (*Store)(nil)
	_ connectors.ObjectState = (*Store)(nil)
	_ crm.IdentityStore      = (*Store)(nil)
	_ crm.Curator            = (*Store)(nil)
	_ crm.Marker             = (*Store)(nil)
	_ crm.ReadModel          = (*Store)(nil)
)

// redactedError is an error whose message was written without any secret
// of the connection string; Unwrap still gives the cause (for errors.Is).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err, its message after prefix, with every occurrence of
// secret removed from the message.
func redact(prefix, secret string, err error) error {
	msg := prefix + err.Error()
	if secret != "" {
		msg = strings.ReplaceAll(msg, secret, "xxxxx")
		if e := url.QueryEscape(secret); e != secret {
			msg = strings.ReplaceAll(msg, e, "xxxxx")
		}
	}
	return &redactedError{msg: msg, err: err}
}

// dsnPassword finds password=... in a keyword/value connection string.
var dsnPassword = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// describe returns the connection string with its password hidden, and
// the password, for messages.
func describe(connString string) (where, password string, err error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error repeats the whole URL, password included
			}
			return "", "", fmt.Errorf("malformed connection URL: %w", err)
		}
		password, _ = u.User.Password()
		if p := u.Query().Get("password"); p != "" {
			password = p
			q := u.Query()
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted(), password, nil
	}
	if m := dsnPassword.FindStringSubmatch(connString); m != nil {
		password = strings.Trim(m[1], "'")
		return dsnPassword.ReplaceAllString(connString, "password=xxxxx"), password, nil
	}
	return connString, "", nil
}

// sessionDefaults are the session settings every connection starts with,
// unless the connection string sets them: a replica that stops (SIGSTOP, a
// frozen VM) or dies without closing its connection (a machine failure, a
// network partition) inside a transaction would otherwise hold that
// transaction's locks, such as the share lock on its source's lease row,
// until the server noticed, which TCP keepalive defaults make two hours.
// The server probes a silent client after 30 s, every 10 s, three times
// (a dead or frozen machine answers none: its session ends within a
// minute), and ends a session idle inside a transaction for five minutes
// (a stopped process, whose kernel still answers probes; the longest wait
// of the store between two statements of one transaction is the level
// evaluation's computing, about 12 s for 1,000,000 activities).
// CockroachDB and YugabyteDB accept these settings too.
var sessionDefaults = map[string]string{
	"idle_in_transaction_session_timeout": "300000", // milliseconds
	"tcp_keepalives_idle":                 "30",
	"tcp_keepalives_interval":             "10",
	"tcp_keepalives_count":                "3",
}

// Open connects to the PostgreSQL database of connString (a postgres://
// URL or keyword/value settings), enables pg_trgm when it can, and applies
// pending migrations. Errors never contain the password. The caller must
// Close the store.
func Open(ctx context.Context, connString string) (*Store, error) {
	where, password, err := describe(connString)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx's message can quote the connection string: say which part
		// is wrong without it.
		var inner error
		if pe := (*pgconn.ParseConfigError)(nil); errors.As(err, &pe) {
			inner = errors.Unwrap(pe)
		}
		if inner == nil {
			return nil, fmt.Errorf("postgres: open %s: invalid connection settings (check host, port, user, database and parameters)", where)
		}
		return nil, redact("postgres: open "+where+": invalid connection settings: ", password, inner)
	}
	for k, v := range sessionDefaults {
		if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, redact("postgres: open "+where+": ", password, err)
	}
	s := &Store{where: where, pool: pool, vader: sentiment.New(), log: slog.Default()}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, redact("postgres: open "+where+": ", password, err)
	}
	if err := s.setUp(ctx); err != nil {
		pool.Close()
		return nil, redact("", password, err)
	}
	return s, nil
}

// setUp prepares a connected store: extension, migrations, salt, search
// index, scoring inputs.
func (s *Store) setUp(ctx context.Context) error {
	// pg_trgm makes member search an index lookup; without it (no
	// privilege, an engine without the extension) search scans.
	if err := s.ensure(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm`); err != nil {
		s.log.Warn("postgres: pg_trgm is not available; member search reads the whole search table", "db", s.where, "err", err)
	} else {
		s.trigram = true
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if s.trigram {
		if err := s.ensure(ctx, `CREATE INDEX IF NOT EXISTS member_search_trgm ON member_search USING gin (lower(text) gin_trgm_ops)`); err != nil {
			s.log.Warn("postgres: no trigram index for member search; search reads the whole search table", "db", s.where, "err", err)
		}
	}
	if err := s.loadSalt(ctx); err != nil {
		return err
	}
	// A store that never built its scoring inputs builds them once.
	return s.rebuildScores(ctx, DefaultDecay, true)
}

// ensure runs an idempotent "IF NOT EXISTS" statement. Two processes
// running one at once can make the later fail on a catalog key ("already
// exists") once the first commits: it then runs again and finds the
// object.
func (s *Store) ensure(ctx context.Context, ddl string) error {
	var err error
	for range 5 {
		if _, err = s.pool.Exec(ctx, ddl); err == nil {
			return nil
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "23505" && pe.Code != "42710" && pe.Code != "42P07") {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10+rand.N(40)) * time.Millisecond):
		}
	}
	return err
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Remote reports true: the store lives on a database server of its own.
// The daemon then leaves the server's absence out of its own liveness
// (the systemd watchdog), and reports it through readiness instead.
func (s *Store) Remote() bool { return true }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping %s: %w", s.where, err)
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxAttempts is how many times a write transaction runs before a
// serialization failure or deadlock is returned.
const maxAttempts = 10

// retryable reports whether err is a conflict with another writer that
// running the transaction again resolves.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		case "23503":
			// foreign_key_violation: a row this transaction refers to was
			// deleted meanwhile (an activity of an identity being
			// forgotten); run again, it sees the tombstone.
			return true
		}
	}
	return false
}

// write runs fn in a read-committed transaction and commits it, running it
// again (after a short, growing, jittered pause) when the database reports
// a serialization failure or a deadlock; fn must set its results afresh on
// each run. With resolver, the transaction first locks the one row of
// resolver_lock, so that identity-resolution writes run one at a time.
func (s *Store) write(ctx context.Context, resolver bool, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := range maxAttempts {
		if attempt > 0 {
			d := time.Duration(5<<min(attempt, 6))*time.Millisecond + rand.N(10*time.Millisecond)
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(d):
			}
		}
		err = s.writeOnce(ctx, resolver, fn)
		if err == nil || !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, err)
}

func (s *Store) writeOnce(ctx context.Context, resolver bool, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if resolver {
		var v int64
		if err := tx.QueryRow(ctx, `SELECT id FROM resolver_lock WHERE id = 1 FOR UPDATE`).Scan(&v); err != nil {
			return fmt.Errorf("lock resolver_lock: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only, repeatable-read transaction, so that its
// queries see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// migration is one embedded migrations/NNNN_name.sql file.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: read embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration file %q: name must start with a positive number and '_'", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if i > 0 && m.version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: migrations %s and %s have the same number", ms[i-1].name, m.name)
		}
	}
	return ms, nil
}

// migrate applies every migration whose number is not yet recorded, in
// number order, each in its own transaction. Another process migrating
// at the same time makes one of the two fail on schema_migrations' key;
// that one then finds the migration applied and goes on.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if err := s.ensure(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT COLLATE "C" NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations in %s: %w", s.where, err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	var current int
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: migrate %s: read schema version: %w", s.where, err)
	}
	if current > latest {
		return fmt.Errorf("postgres: migrate %s: schema version %d is newer than this program knows (%d); use a newer rollcall", s.where, current, latest)
	}
	for _, m := range ms {
		err := s.applyMigration(ctx, m, latest)
		if err == nil {
			continue
		}
		var applied int
		if qerr := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&applied); qerr == nil && applied > 0 {
			continue // another process applied it meanwhile
		}
		return err
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migration, latest int) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate %s: %w", s.where, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: migrate %s: read schema version: %w", s.where, err)
	}
	if current > latest {
		return fmt.Errorf("postgres: migrate %s: schema version %d is newer than this program knows (%d); use a newer rollcall", s.where, current, latest)
	}
	var applied int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&applied); err != nil {
		return fmt.Errorf("postgres: migrate %s: read schema version: %w", s.where, err)
	}
	if applied > 0 {
		return nil
	}
	// The simple protocol runs a file of several statements at once.
	if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("postgres: apply migration %s to %s: %w", m.name, s.where, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, formatTime(s.now())); err != nil {
		return fmt.Errorf("postgres: record migration %s in %s: %w", m.name, s.where, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit migration %s to %s: %w", m.name, s.where, err)
	}
	return nil
}

// Migrations reports the schema version of the database (the highest
// migration applied) and the latest version this program embeds. After a
// successful Open they are equal; doctor reports them.
func (s *Store) Migrations(ctx context.Context) (current, latest int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, 0, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, 0, fmt.Errorf("postgres: read schema version of %s: %w", s.where, err)
	}
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	return current, latest, nil
}

// countedTables are the tables TableCounts reports (as SQLite's).
var countedTables = []string{"members", "identities", "activities", "evidence", "cursors", "etags", "missing", "audit_log",
	"schema_migrations", "decisions", "suggestions", "tombstones"}

// TableCounts returns the number of rows of each table, for doctor and for
// the conformance suite's replay checks.
func (s *Store) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(countedTables))
	for _, t := range countedTables {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("postgres: count rows of %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// CheckWritable proves that the store can write: it writes inside a
// transaction and rolls it back, leaving nothing behind (for rollcall doctor).
func (s *Store) CheckWritable(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: check writable: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE doctor_probe (x BIGINT) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("postgres: check writable: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO doctor_probe (x) VALUES (1)`); err != nil {
		return fmt.Errorf("postgres: check writable: %w", err)
	}
	// A temporary table proves little about the real ones: update a
	// settings row (to its own value) too.
	if _, err := tx.Exec(ctx, `UPDATE settings SET value = value WHERE key = 'decisions_version'`); err != nil {
		return fmt.Errorf("postgres: check writable: %w", err)
	}
	return nil
}

// timeFormat is RFC 3339 with a fixed nine-digit fraction, so that stored
// times sort as text (the same form as crm/sqlite's).
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := formatTime(t)
	return &v
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseNullTime(s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	return parseTime(*s)
}

// b2i stores a boolean as SQLite does: 0 or 1.
func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
