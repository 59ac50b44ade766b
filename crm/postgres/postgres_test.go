package postgres_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
	"github.com/rollcall-dev/rollcall/crm/storetest"
)

func open(t *testing.T, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crm.Store {
		return open(t, pgtest.URL(t))
	})
}

func TestReopenKeepsMigrations(t *testing.T) {
	u := pgtest.URL(t)
	s := open(t, u)
	cur, latest, err := s.Migrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cur != latest || latest < 1 {
		t.Errorf("Migrations() = %d, %d; want equal and >= 1", cur, latest)
	}
	if err := s.CheckWritable(t.Context()); err != nil {
		t.Errorf("CheckWritable: %v", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	s2 := open(t, u) // a second process: nothing to apply
	if c2, _, err := s2.Migrations(t.Context()); err != nil || c2 != cur {
		t.Errorf("reopened Migrations() = %d, %v; want %d", c2, err, cur)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	u := pgtest.URL(t)
	s := open(t, u)
	_ = s
	// Record a migration from the future, as a newer rollcall would.
	if err := execSQL(t, u, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(t.Context(), u); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: %v; want an error saying it is newer", err)
	}
}

func TestErrorsHideThePassword(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	withPass := func(mut func(u *url.URL)) string {
		c := *u
		c.User = url.UserPassword(c.User.Username(), secret)
		mut(&c)
		return c.String()
	}
	for name, conn := range map[string]string{
		"bad port":         strings.Replace(withPass(func(*url.URL) {}), u.Host, u.Hostname()+":notaport", 1),
		"unknown database": withPass(func(c *url.URL) { c.Path = "/no_such_database_here" }),
		"closed port":      withPass(func(c *url.URL) { c.Host = "127.0.0.1:1" }),
		"bad parameter":    withPass(func(c *url.URL) { c.RawQuery = "sslmode=bogus" }),
		"password param":   strings.Replace(base, "?", "?password="+secret+"&connect_timeout=x&", 1),
		"keyword/value":    "host=127.0.0.1 port=1 user=rollcall password=" + secret + " dbname=x connect_timeout=2",
		"malformed URL":    "postgres://rollcall:" + secret + "@[::1/db",
	} {
		_, err := postgres.Open(t.Context(), conn)
		if err == nil {
			t.Errorf("%s: Open succeeded; want an error", name)
			continue
		}
		t.Logf("%s: %v", name, err)
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
	}
}

// TestConcurrentOpen: replicas starting at once on an empty database all
// end up on the latest schema.
func TestConcurrentOpen(t *testing.T) {
	u := pgtest.URL(t)
	const n = 4
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), u)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			cur, latest, err := s.Migrations(t.Context())
			if err == nil && cur != latest {
				err = fmt.Errorf("schema %d, latest %d", cur, latest)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
