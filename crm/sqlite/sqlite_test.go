package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/crm/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crm.Store {
		s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

func TestReopenKeepsDataAndMigrations(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s := open(t, path)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	ref := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "1"}
	b := connectors.Batch{
		Accounts: []connectors.Account{{AccountRef: ref, Username: "alice"}},
		Activities: []connectors.Activity{{
			Key: "github/github.com/issue/1", Platform: "github", Instance: "github.com",
			Type: "issue", OccurredAt: now, Actor: ref,
		}},
		Next: connectors.Cursor{State: []byte(`{"page":3}`), ETags: map[string]string{"u": "e"}},
	}
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	cur1, latest1, err := s.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur1 != latest1 || latest1 < 1 {
		t.Errorf("Migrations() = %d, %d; want equal and >= 1", cur1, latest1)
	}
	counts1, err := s.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	t.Cleanup(func() { s.Close() })
	cur2, latest2, err := s.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur2 != cur1 || latest2 != latest1 {
		t.Errorf("after reopen Migrations() = %d, %d; want %d, %d", cur2, latest2, cur1, latest1)
	}
	counts2, err := s.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(counts1, counts2); diff != "" {
		t.Errorf("row counts changed by reopening (-before +after):\n%s", diff)
	}
	if counts2["schema_migrations"] != int64(latest2) {
		t.Errorf("schema_migrations has %d rows; want %d", counts2["schema_migrations"], latest2)
	}
	c, err := s.Cursor(ctx, "gh")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.Next, c); diff != "" {
		t.Errorf("Cursor after reopen (-want +got):\n%s", diff)
	}
	id, err := s.IdentityByRef(ctx, ref)
	if err != nil || id.Username != "alice" {
		t.Errorf("IdentityByRef after reopen = %+v, %v", id, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", "a?b"} {
		if s, err := sqlite.Open(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded; want an error", p)
		}
	}
}
