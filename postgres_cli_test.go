package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

// A PostgreSQL store's wrong password, or a URL that does not parse, is
// reported by doctor and migrate without ever showing the password; a good
// one is checked (migrations, writable).
func TestPostgresURLErrorsHidePassword(t *testing.T) {
	good := pgtest.URL(t)
	code, out, errOut := runMain(t, "doctor", "--store", good)
	if !strings.Contains(out, "migrations 2/2, writable") {
		t.Errorf("doctor on a PostgreSQL store: exit %d\n%s\n%s", code, out, errOut)
	}
	u, err := url.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Zq8-not-the-password"
	u.User = url.UserPassword("nobody_here", secret)
	for _, bad := range []string{u.String(), "postgres://user:" + secret + "@[::1/db"} {
		for _, args := range [][]string{
			{"doctor", "--store", bad},
			{"migrate", "--from", "sqlite:" + t.TempDir() + "/a.db", "--to", bad},
		} {
			code, out, errOut := runMain(t, args...)
			all := out + errOut
			if code == exitOK {
				t.Errorf("%s with a bad store URL: exit 0", args[0])
			}
			if strings.Contains(all, secret) {
				t.Errorf("%s shows the password:\n%s", args[0], all)
			}
			if !strings.Contains(all, "postgres") {
				t.Errorf("%s does not say which store it could not open:\n%s", args[0], all)
			}
		}
	}
}
