package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// knownMissing returns the KNOWN MISSING column of source's row in the
// sync summary.
func knownMissing(t *testing.T, out, source string) int {
	t.Helper()
	lines := strings.Split(out, "\n")
	head := strings.Split(lines[0], "  ")
	col := -1
	var cols []string
	for _, h := range head {
		if h = strings.TrimSpace(h); h != "" {
			cols = append(cols, h)
		}
	}
	for i, h := range cols {
		if h == "KNOWN MISSING" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("summary has no KNOWN MISSING column:\n%s", out)
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) > col && f[0] == source {
			n, err := strconv.Atoi(f[col])
			if err != nil {
				t.Fatalf("KNOWN MISSING of %s is %q:\n%s", source, f[col], out)
			}
			return n
		}
	}
	t.Fatalf("summary has no row for %s:\n%s", source, out)
	return 0
}

// TestSyncOnceShowsKnownMissing runs `rollcall sync --once` twice against a
// fake GitHub whose comments point at a deleted issue. The first run asks
// for the issue once and shows the other references as KNOWN MISSING; the
// memory is committed to the SQLite store with the cursor, so the second
// run (a new process in real life) asks nothing for a new comment on it.
func TestSyncOnceShowsKnownMissing(t *testing.T) {
	srv := githubtest.New()
	srv.AddUser(githubtest.User{Login: "alice"})
	if _, err := srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "widget"}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC()
	is, err := srv.AddIssue("acme", "widget", githubtest.Issue{User: "alice", Title: "gone", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	comment := func(at time.Time) {
		t.Helper()
		if _, err := srv.AddComment("acme", "widget", githubtest.Comment{Issue: is.Number, User: "alice", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		comment(at.Add(time.Duration(i+1) * time.Minute))
	}
	if err := srv.DeleteIssue("acme", "widget", is.Number); err != nil {
		t.Fatal(err)
	}
	base := srv.Start(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	cfg := filepath.Join(dir, "rollcall.yaml")
	body := fmt.Sprintf("store: %s\nsources:\n  - name: upstream\n    type: github\n    token: t\n    base_url: %s\n    repos: [acme/widget]\n", db, base)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	issuePath := fmt.Sprintf("/api/v3/repos/acme/widget/issues/%d", is.Number)
	asked := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Path == issuePath {
				n++
			}
		}
		return n
	}

	code, out, errOut := runMain(t, "--config", cfg, "--log-level", "warn", "sync", "--once", "--quiet")
	if code != exitOK {
		t.Fatalf("sync exit = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := asked(); n != 1 {
		t.Errorf("first sync asked for the deleted issue %d times, want 1", n)
	}
	// Five comments point at it: all but the first are skips. (The
	// listing's one page is not full, so it is not asked again from its
	// newest comment.)
	if got := knownMissing(t, out, "upstream"); got != 4 {
		t.Errorf("KNOWN MISSING = %d, want 4:\n%s", got, out)
	}

	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := st.Cursor(context.Background(), "upstream")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cur.Missing[fmt.Sprintf("issue:acme/widget#%d", is.Number)]; !ok {
		t.Errorf("stored cursor does not remember the deleted issue: %v", cur.Missing)
	}

	comment(time.Now().UTC())
	srv.ResetLog()
	code, out, errOut = runMain(t, "--config", cfg, "--log-level", "warn", "sync", "--once", "--quiet")
	if code != exitOK {
		t.Fatalf("second sync exit = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := asked(); n != 0 {
		t.Errorf("second sync asked for the deleted issue %d times, want 0", n)
	}
	// The same listing again: the five older comments were read before
	// and are skipped unread (the old newest too: the first read's Date
	// came after its second, so it cannot have changed since); the new
	// comment is read: one skip.
	if got := knownMissing(t, out, "upstream"); got != 1 {
		t.Errorf("second sync: KNOWN MISSING = %d, want 1:\n%s", got, out)
	}
}
