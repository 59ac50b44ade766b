package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/migrations"
	"github.com/rollcall-dev/rollcall/crm/sentiment"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// busyTimeout is how long a connection waits for a lock held by another
// process (a CLI command next to the daemon) before failing.
const busyTimeout = 10 * time.Second

// Store is a crm.Store kept in one SQLite file. Its methods are safe for
// concurrent use.
type Store struct {
	// Now returns the current time for ingested_at, first_seen_at and audit
	// timestamps; nil means time.Now. Set it before first use.
	Now func() time.Time

	path string
	w    *sql.DB // the single writer connection
	// prep holds the write path's statements, prepared on w (see
	// writeStatements).
	prep *prepared
	r    *sql.DB // read-only connections
	salt []byte  // the tombstone salt, read once at Open
	// lookupMost is how many members or identities RisingWindow looks up
	// by id before it scans them all instead (0: defaultLookupMost).
	lookupMost int
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
	// rareLimit overrides defaultRareLimit when not 0; tests set -1 to
	// take the per-member path of every filter.
	rareLimit int
	// dv is the connection behind DataVersion.
	dv dataVersion
}

var (
	_ crm.Store              = (*Store)(nil)
	_ connectors.ObjectState = (*Store)(nil)
	_ crm.IdentityStore      = (*Store)(nil)
	_ crm.Curator            = (*Store)(nil)
	_ crm.Marker             = (*Store)(nil)
)

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations. The caller must Close the store.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: path must be non-empty and contain no '?'", path)
	}
	ms := strconv.FormatInt(busyTimeout.Milliseconds(), 10)
	wq := url.Values{
		"_busy_timeout": {ms},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"NORMAL"},
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
		// Freed pages are zeroed, so that deleted (forgotten) data does
		// not linger in the file.
		"_pragma": {"secure_delete(ON)"},
	}
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One writer connection: database/sql queues writers instead of SQLite
	// answering SQLITE_BUSY.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w, vader: sentiment.New()}
	if err := pingNew(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, describe(path, err))
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, describe(path, err)
	}
	if err := s.loadSalt(ctx); err != nil {
		w.Close()
		return nil, describe(path, err)
	}
	// A store from before migration 0009 gets its scoring inputs once.
	if err := s.rebuildScores(ctx, DefaultDecay, true); err != nil {
		w.Close()
		return nil, describe(path, err)
	}
	if s.prep, err = prepareWrites(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, describe(path, err))
	}
	rq := url.Values{
		"_busy_timeout": {ms},
		"_synchronous":  {"NORMAL"},
		"_foreign_keys": {"1"},
		"_query_only":   {"1"},
		// Reads of every member's scores or a long period's activities
		// walk hundreds of MB: pages are mapped rather than read with a
		// system call each. The mapped pages are the kernel's page cache
		// (file-backed, shared, given back under pressure), at most
		// mmap_size; what each connection allocates itself (pages from
		// the WAL, sorts) is bounded by its page cache, 16 MiB (2 MB by
		// default), so the readers' own memory does not grow with the
		// store (docs/benchmarks.md, "Pages and API under load").
		"_pragma": {"mmap_size(1073741824)", "cache_size(-16384)"},
	}
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		s.prep.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	return s, nil
}

// pingNew opens the writer's connection. A connection's first statement
// (journal_mode=WAL) on a file another connection is creating at the same
// moment answers SQLITE_BUSY at once rather than waiting: SQLite does not
// call the busy handler when a read transaction wants to become a write,
// since that could deadlock. Replicas started together on a new store do
// exactly that, so pingNew tries again, for as long as busy_timeout would
// have waited.
func pingNew(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := w.PingContext(ctx)
		if err == nil || faultKind(err) != FaultLocked || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// Close closes the prepared statements and both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.prep.Close(), s.closeDataVersion(), s.r.Close(), s.w.Close())
}

// Ping checks that the database answers, for reads and for writes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping %s: %w", s.path, describe(s.path, err))
	}
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping %s: %w", s.path, describe(s.path, err))
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFS, "migrations", "sqlite")
}

// migrate applies every migration whose number is not yet recorded, in
// number order, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations in %s: %w", s.path, err)
	}
	latest := migrations.Latest(ms)
	for _, m := range ms {
		if err := s.applyMigration(ctx, m, latest); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migrations.Migration, latest int) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", s.path, err)
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("sqlite: migrate %s: read schema version: %w", s.path, err)
	}
	if current > latest {
		return fmt.Errorf("sqlite: migrate %s: schema version %d is newer than this program knows (%d); use a newer rollcall", s.path, current, latest)
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&applied); err != nil {
		return fmt.Errorf("sqlite: migrate %s: read schema version: %w", s.path, err)
	}
	if applied > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("sqlite: apply migration %s to %s: %w", m.Name, s.path, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, formatTime(s.now())); err != nil {
		return fmt.Errorf("sqlite: record migration %s in %s: %w", m.Name, s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit migration %s to %s: %w", m.Name, s.path, err)
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
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, 0, fmt.Errorf("sqlite: read schema version of %s: %w", s.path, err)
	}
	return current, migrations.Latest(ms), nil
}

// countedTables are the tables TableCounts reports.
var countedTables = []string{"members", "identities", "activities", "evidence", "cursors", "etags", "missing", "audit_log",
	"schema_migrations", "decisions", "suggestions", "tombstones"}

// TableCounts returns the number of rows of each table, for doctor and for
// the conformance suite's replay checks.
func (s *Store) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(countedTables))
	for _, t := range countedTables {
		var n int64
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: count rows of %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// timeFormat is RFC 3339 with a fixed nine-digit fraction, so that stored
// times sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}

// CheckWritable proves that the store can write: it writes inside a
// transaction and rolls it back, leaving nothing behind (for rollcall doctor).
func (s *Store) CheckWritable(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: check writable: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE doctor_probe (x INTEGER)`); err != nil {
		return fmt.Errorf("sqlite: check writable: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO doctor_probe (x) VALUES (1)`); err != nil {
		return fmt.Errorf("sqlite: check writable: %w", err)
	}
	return nil
}
