package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/crm/sqlite/storefault"
)

// TestStoreFaultHelper is the lock holder of storefault.HoldLock when the
// test binary runs as one; otherwise it does nothing.
func TestStoreFaultHelper(t *testing.T) { storefault.HelperProcess() }

// faultBatch is batch n of a source: one account and ten activities with
// long titles, so that a few hundred fill a small disk. Its cursor says n.
func faultBatch(n int) connectors.Batch {
	ref := connectors.AccountRef{Platform: connectors.PlatformGitHub, Instance: "github.com", ExternalID: fmt.Sprint(1000 + n)}
	b := connectors.Batch{
		Accounts: []connectors.Account{{AccountRef: ref, Username: fmt.Sprintf("user%d", n), URL: fmt.Sprintf("https://github.com/user%d", n)}},
		Next:     connectors.Cursor{State: []byte(fmt.Sprintf(`{"batch":%d}`, n))},
	}
	for i := range 10 {
		key := fmt.Sprintf("issue/%d-%d", n, i)
		b.Activities = append(b.Activities, connectors.Activity{
			Key: "github/github.com/" + key, Platform: connectors.PlatformGitHub, Instance: "github.com",
			Type: "issue_opened", OccurredAt: time.Date(2026, 1, 1, 0, n, i, 0, time.UTC), Actor: ref,
			URL: "https://github.com/o/r/" + key, Title: strings.Repeat(fmt.Sprintf("title %s ", key), 60), Channel: "o/r",
		})
	}
	return b
}

// stored counts the activities in the store at path and reads its cursor,
// after opening it as the daemon does (migrations and all).
func stored(t *testing.T, path string) (activities int, cursor string) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen %s: %v", path, err)
	}
	c, err := s.Cursor(t.Context(), "gh")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT COUNT(*) FROM activities`).Scan(&activities); err != nil {
		t.Fatal(err)
	}
	return activities, string(c.State)
}

// wantFault checks that err is a *sqlite.FaultError of kind whose message
// names path and says what to do.
func wantFault(t *testing.T, err error, kind, path, todo string) {
	t.Helper()
	var fe *sqlite.FaultError
	if !errors.As(err, &fe) || fe.Kind != kind {
		t.Fatalf("err = %v, want a %s fault", err, kind)
	}
	t.Logf("%s: %v", kind, err)
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, todo) {
		t.Errorf("message %q does not name %s and say %q", msg, path, todo)
	}
}

// TestStoreFaults: a full disk, a read-only file system, a write lock held
// by another process and a corrupt file each give an error that names the
// store's file and says what to do; nothing committed before the fault is
// lost, and once the fault is cleared the same store (or, for a file
// opened read-only, a new Open) works again.
func TestStoreFaults(t *testing.T) {
	t.Run("full disk", func(t *testing.T) {
		t.Parallel()
		dir := storefault.Tmpfs(t, 4<<20)
		path := filepath.Join(dir, "rollcall.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		clear := storefault.Fill(t, dir)
		committed := 0
		var faultErr error
		for n := range 500 {
			if _, err := s.Apply(t.Context(), "gh", faultBatch(n)); err != nil {
				faultErr = err
				break
			}
			committed++
		}
		if faultErr == nil {
			t.Fatal("500 batches fitted on a full disk")
		}
		wantFault(t, faultErr, sqlite.FaultFull, path, "free space")
		clear()
		// The same store goes on by itself: the failed batch commits now.
		if _, err := s.Apply(t.Context(), "gh", faultBatch(committed)); err != nil {
			t.Fatalf("after freeing space: %v", err)
		}
		s.Close()
		n, cur := stored(t, path)
		if want := 10 * (committed + 1); n != want || cur != fmt.Sprintf(`{"batch":%d}`, committed) {
			t.Errorf("after the fault: %d activities, cursor %s; want %d and batch %d", n, cur, want, committed)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		t.Parallel()
		dir := storefault.Tmpfs(t, 16<<20)
		path := filepath.Join(dir, "rollcall.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		for n := range 3 {
			if _, err := s.Apply(t.Context(), "gh", faultBatch(n)); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		storefault.ReadOnly(t, dir, true)
		_, err = sqlite.Open(t.Context(), path)
		wantFault(t, err, sqlite.FaultReadOnly, path, "writable")
		storefault.ReadOnly(t, dir, false)
		if n, _ := stored(t, path); n != 30 {
			t.Errorf("after the fault: %d activities, want 30", n)
		}
	})
	t.Run("locked by another process", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "rollcall.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Apply(t.Context(), "gh", faultBatch(0)); err != nil {
			t.Fatal(err)
		}
		release := storefault.HoldLock(t, path, "TestStoreFaultHelper")
		_, err = s.Apply(t.Context(), "gh", faultBatch(1))
		wantFault(t, err, sqlite.FaultLocked, path, "another process")
		release()
		if _, err := s.Apply(t.Context(), "gh", faultBatch(1)); err != nil {
			t.Fatalf("after the lock was released: %v", err)
		}
		s.Close()
		if n, cur := stored(t, path); n != 20 || cur != `{"batch":1}` {
			t.Errorf("after the fault: %d activities, cursor %s; want 20 and batch 1", n, cur)
		}
	})
	for _, header := range []bool{true, false} {
		t.Run(fmt.Sprintf("corrupt (header %v)", header), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "rollcall.db")
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Apply(t.Context(), "gh", faultBatch(0)); err != nil {
				t.Fatal(err)
			}
			s.Close()
			backup := path + ".backup"
			copyFile(t, path, backup)
			storefault.Corrupt(t, path, header)
			_, err = sqlite.Open(t.Context(), path)
			wantFault(t, err, sqlite.FaultCorrupt, path, "restore the file from a backup")
			// Restored from the backup, it opens with its data.
			copyFile(t, backup, path)
			if n, _ := stored(t, path); n != 10 {
				t.Errorf("restored: %d activities, want 10", n)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
