package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// demoStoreFile syncs a small demo community into a new SQLite file and
// evaluates levels, so that every table has rows.
func demoStoreFile(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, errOut := runMain(t, "demo", "--once", "--quiet", "--seed", "7", "--size", "40", "--store", db, "--log-level", "error")
	if code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runMain(t, "champions", "--store", db, "--format", "json"); code != exitOK {
		t.Fatalf("champions: exit %d\n%s\n%s", code, out, errOut)
	}
	return db
}

// failingTarget fails the copy's write number failAt (counting from 1).
type failingTarget struct {
	crm.CopyTarget
	writes, failAt int
}

var errInjected = errors.New("injected failure")

func (f *failingTarget) CopyWrite(ctx context.Context, t crm.CopyTable, rows []crm.Row, p crm.CopyProgress) (int64, error) {
	f.writes++
	if f.writes == f.failAt {
		return 0, errInjected
	}
	return f.CopyTarget.CopyWrite(ctx, t, rows, p)
}

// TestMigrate runs the migrate tests on one demo store (each syncing its
// own would cost the suite a demo sync each).
func TestMigrate(t *testing.T) {
	src := demoStoreFile(t)
	// Each subtest works on its own copy: opening a store may write to it.
	copyOf := func(t *testing.T) string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "demo.db")
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(src + suffix)
			if errors.Is(err, os.ErrNotExist) && suffix != "" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dst
	}
	t.Run("RoundTrip", func(t *testing.T) { testMigrateRoundTrip(t, copyOf(t)) })
	t.Run("Resumes", func(t *testing.T) { testMigrateResumes(t, copyOf(t)) })
	t.Run("PostgresRoundTrip", func(t *testing.T) { testMigratePostgresRoundTrip(t, copyOf(t)) })
}

func testMigrateRoundTrip(t *testing.T, src string) {
	dir := t.TempDir()
	mid, back := filepath.Join(dir, "mid.db"), filepath.Join(dir, "back.db")

	code, out, errOut := runMain(t, "migrate", "--from", "sqlite:"+src, "--to", "sqlite:"+mid, "--batch", "50")
	if code != exitOK {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "verified: ") {
		t.Fatalf("migrate printed no verification:\n%s", out)
	}
	// And back again, into a third store: the same hashes all the way.
	if code, out, errOut := runMain(t, "migrate", "--from", mid, "--to", "sqlite:"+back); code != exitOK {
		t.Fatalf("migrate back: exit %d\n%s\n%s", code, out, errOut)
	}
	a, b := hashes(t, src), hashes(t, back)
	for table, h := range a {
		if b[table] != h {
			t.Errorf("%s: hash %s after the round trip, %s before", table, b[table], h)
		}
	}
	if a["activities"] == hashes(t, filepath.Join(dir, "empty.db"))["activities"] {
		t.Fatal("a store with activities hashes like an empty one")
	}

	// The copy reads like the original: the same members and journeys.
	for _, args := range [][]string{{"members", "--format", "json", "--limit", "500"}, {"health", "--format", "json"}} {
		_, want, _ := runMain(t, append(args, "--store", src)...)
		code, got, errOut := runMain(t, append(args, "--store", back)...)
		if code != exitOK || got != want {
			t.Errorf("%v differs on the copy (exit %d, %s)", args, code, errOut)
		}
	}

	// A non-empty target is refused without --append.
	code, _, errOut = runMain(t, "migrate", "--from", src, "--to", back)
	if code == exitOK || !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "--append") {
		t.Fatalf("migrate into a full store: exit %d, %s", code, errOut)
	}
	// With --append into a copy of itself, every row is there already.
	code, out, errOut = runMain(t, "migrate", "--from", src, "--to", back, "--append")
	if code != exitOK || !strings.Contains(out, "0 rows copied by this run") {
		t.Fatalf("migrate --append into a copy: exit %d\n%s\n%s", code, out, errOut)
	}
	// Into another store (another salt, other members), --append stops at
	// the first row that differs and says so.
	other := demoStoreFileSeed(t, "9")
	code, _, errOut = runMain(t, "migrate", "--from", src, "--to", other, "--append")
	if code == exitOK || !strings.Contains(errOut, "different row with the same key") {
		t.Fatalf("migrate --append into another store: exit %d, %s", code, errOut)
	}
}

func demoStoreFileSeed(t *testing.T, seed string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "demo.db")
	if code, out, errOut := runMain(t, "demo", "--once", "--quiet", "--seed", seed, "--size", "20", "--store", db, "--log-level", "error"); code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	return db
}

func hashes(t *testing.T, path string) map[string]string {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := map[string]string{}
	for _, tb := range crm.CopyTables {
		h, _, err := crm.ContentHash(t.Context(), s, tb, 100)
		if err != nil {
			t.Fatal(err)
		}
		out[tb.Name] = h
	}
	return out
}

// An interrupted copy resumes where it stopped, whichever write failed,
// and ends equal to the source, with no row twice.
func testMigrateResumes(t *testing.T, srcPath string) {
	ctx := t.Context()
	src, err := sqlite.Open(ctx, srcPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	for _, failAt := range []int{1, 2, 7, 20, 35} {
		dst, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dst.db"))
		if err != nil {
			t.Fatal(err)
		}
		f := &failingTarget{CopyTarget: dst, failAt: failAt}
		_, err = crm.CopyStore(ctx, src, f, crm.CopyOptions{Batch: 100})
		if !errors.Is(err, errInjected) {
			dst.Close()
			t.Fatalf("fail at write %d: CopyStore returned %v", failAt, err)
		}
		wantResumed := failAt > 1 // the first write failing commits nothing
		// Another source's copy may not take over the interrupted one.
		other, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "other.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := crm.CopyStore(ctx, other, &failingTarget{CopyTarget: dst, failAt: 1}, crm.CopyOptions{Batch: 100}); wantResumed && !errors.Is(err, crm.ErrCopyTargetNotEmpty) {
			t.Errorf("fail at write %d: another source's copy over the interrupted one: %v", failAt, err)
		}
		other.Close()
		rep, err := crm.CopyStore(ctx, src, dst, crm.CopyOptions{Batch: 100})
		if err != nil {
			dst.Close()
			t.Fatalf("fail at write %d: resume: %v", failAt, err)
		}
		if rep.Resumed != wantResumed || !rep.Equal {
			t.Errorf("fail at write %d: resumed %v, equal %v: %+v", failAt, rep.Resumed, rep.Equal, rep.Tables)
		}
		if _, ok, err := dst.CopyProgress(ctx); err != nil || ok {
			t.Errorf("fail at write %d: progress left after the copy (%v, %v)", failAt, ok, err)
		}
		dst.Close()
	}
}

// The demo store goes into PostgreSQL and back with equal counts and
// hashes; a copy into PostgreSQL interrupted at any write resumes; a
// PostgreSQL target with data is refused.
func testMigratePostgresRoundTrip(t *testing.T, src string) {
	pgURL := pgtest.URL(t)
	back := filepath.Join(t.TempDir(), "back.db")
	code, out, errOut := runMain(t, "migrate", "--from", "sqlite:"+src, "--to", pgURL, "--batch", "300")
	if code != exitOK || !strings.Contains(out, "verified: ") {
		t.Fatalf("migrate to PostgreSQL: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runMain(t, "migrate", "--from", pgURL, "--to", "sqlite:"+back); code != exitOK {
		t.Fatalf("migrate back from PostgreSQL: exit %d\n%s\n%s", code, out, errOut)
	}
	a, b := hashes(t, src), hashes(t, back)
	for table, h := range a {
		if b[table] != h {
			t.Errorf("%s: hash %s after the round trip through PostgreSQL, %s before", table, b[table], h)
		}
	}
	_, want, _ := runMain(t, "members", "--format", "json", "--limit", "500", "--store", src)
	if code, got, errOut := runMain(t, "members", "--format", "json", "--limit", "500", "--store", back); code != exitOK || got != want {
		t.Errorf("members differ after the round trip (exit %d, %s)", code, errOut)
	}
	code, _, errOut = runMain(t, "migrate", "--from", src, "--to", pgURL)
	if code == exitOK || !strings.Contains(errOut, "not empty") {
		t.Fatalf("migrate into a PostgreSQL store with data: exit %d, %s", code, errOut)
	}

	ctx := t.Context()
	s, err := sqlite.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, failAt := range []int{2, 9, 30} {
		dst, err := postgres.Open(ctx, pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := crm.CopyStore(ctx, s, &failingTarget{CopyTarget: dst, failAt: failAt}, crm.CopyOptions{Batch: 100}); !errors.Is(err, errInjected) {
			t.Fatalf("fail at write %d: %v", failAt, err)
		}
		rep, err := crm.CopyStore(ctx, s, dst, crm.CopyOptions{Batch: 100})
		if err != nil || !rep.Resumed || !rep.Equal {
			t.Errorf("fail at write %d: resume: %v, resumed %v, equal %v", failAt, err, rep.Resumed, rep.Equal)
		}
		dst.Close()
	}
}
