package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// execSQL runs one statement on the database of u.
func execSQL(t *testing.T, u, sql string) error {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		return err
	}
	defer conn.Close(t.Context())
	_, err = conn.Exec(t.Context(), sql)
	return err
}
