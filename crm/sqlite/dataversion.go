package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"sync"
)

// dataVersion is the connection behind DataVersion, opened on first use.
type dataVersion struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// DataVersion returns SQLite's data_version as seen by a connection of its
// own that never writes: it changes whenever a transaction is committed to
// the file, by this Store or any other process (the web pages' cache reads
// it before serving a kept answer). It costs one PRAGMA, no I/O.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	dv := &s.dv
	dv.once.Do(func() {
		q := url.Values{"_busy_timeout": {strconv.FormatInt(busyTimeout.Milliseconds(), 10)}, "_query_only": {"1"}}
		dv.db, dv.err = sql.Open("sqlite", s.path+"?"+q.Encode())
		if dv.err == nil {
			dv.db.SetMaxOpenConns(1)
			dv.db.SetMaxIdleConns(1)
			dv.db.SetConnMaxLifetime(0)
			dv.db.SetConnMaxIdleTime(0)
		}
	})
	if dv.err != nil {
		return 0, fmt.Errorf("sqlite: data version of %s: %w", s.path, dv.err)
	}
	var v int64
	if err := dv.db.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: data version of %s: %w", s.path, describe(s.path, err))
	}
	return v, nil
}

// closeDataVersion closes DataVersion's connection, if it was opened.
func (s *Store) closeDataVersion() error {
	if s.dv.db != nil {
		return s.dv.db.Close()
	}
	return nil
}
