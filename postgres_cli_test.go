package main

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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
	if m := regexp.MustCompile(`migrations (\d+)/(\d+), writable`).FindStringSubmatch(out); m == nil || m[1] != m[2] {
		t.Errorf("doctor on a PostgreSQL store: exit %d\n%s\n%s", code, out, errOut)
	}
	u, err := url.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Zq8-not-the-password"
	u.User = url.UserPassword("nobody_here", secret)
	wrong := pgtest.WrongPasswordURL(t, good, secret)
	for _, bad := range []string{u.String(), wrong, "postgres://user:" + secret + "@[::1/db"} {
		for _, args := range [][]string{
			{"doctor", "--store", bad},
			{"migrate", "--from", "sqlite:" + t.TempDir() + "/a.db", "--to", bad},
			{"members", "--store", bad},
			{"demo", "--once", "--size", "10", "--store", bad},
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
	if _, out, _ := runMain(t, "doctor", "--store", wrong); !strings.Contains(out, "password authentication failed") {
		t.Errorf("doctor with a wrong password does not say so:\n%s", out)
	}
}

// A store URL in the configuration that does not open is a configuration
// error naming the file, the line and the field, never the password.
func TestPostgresStoreConfigError(t *testing.T) {
	good := pgtest.URL(t)
	const secret = "Yk3-not-the-password"
	wrong := pgtest.WrongPasswordURL(t, good, secret)
	for _, tc := range []struct{ name, url, says string }{
		{"wrong password", wrong, "password authentication failed"},
		{"no server", "postgres://rollcall:" + secret + "@127.0.0.1:1/rollcall?sslmode=disable&connect_timeout=5", "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "rollcall.yaml")
			if err := os.WriteFile(cfg, []byte("# rollcall\nlisten: 127.0.0.1:0\nstore: '"+tc.url+"'\nsources:\n  - name: so\n    type: stackoverflow\n    tags: [go]\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"sync", "run"} {
				args := []string{cmd, "--config", cfg}
				if cmd == "sync" {
					args = append(args, "--once")
				}
				code, out, errOut := runMain(t, args...)
				all := out + errOut
				if code == exitOK {
					t.Fatalf("%s with a store that does not open: exit 0\n%s", cmd, all)
				}
				if !strings.Contains(all, cfg+":3: store: ") || !strings.Contains(all, tc.says) {
					t.Errorf("%s: the error does not name %s:3 and the store field, or not why (%q):\n%s", cmd, cfg, tc.says, all)
				}
				if strings.Contains(all, secret) {
					t.Errorf("%s shows the password:\n%s", cmd, all)
				}
			}
		})
	}
}
