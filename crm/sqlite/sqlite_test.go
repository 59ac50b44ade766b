package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/crm/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
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
		Next: connectors.Cursor{State: []byte(`{"page":3}`), ETags: map[string]string{"u": "e"},
			Missing: map[string]time.Time{"issue:o/r#4141750": now.Add(24 * time.Hour), "user:99": now.Add(time.Hour)}},
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
	// Every embedded migration is recorded once; the embedded ones are
	// numbered 1 to latest without a gap (a gap is allowed by the runner,
	// see TestMigrationsByNumber, but not shipped).
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

// TestForgetLeavesNoTraceInFile forgets a member and then greps the raw
// bytes of the database, its write-ahead log and shared-memory file for
// anything that identified it; a re-sync must not bring it back.
func TestForgetLeavesNoTraceInFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s := open(t, path)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }

	gone := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "86753091"}
	goneGit := connectors.AccountRef{Platform: "git", ExternalID: "quibble.zorp@secret-mail.example"}
	keep := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "2"}
	secrets := []string{
		"zorpquibble", "Quibble Zorpington", "quibble.zorp@secret-mail.example", "https://zorp.example/home",
		"https://avatars.example/zorp-avatar", "Zorp's secret plan title", "https://github.com/o/r/issues/zorp-77",
		"86753091", "quibble-alt", "decided by zorpquibble evidence", "zorp excerpt of a confession",
	}
	b := connectors.Batch{
		Accounts: []connectors.Account{
			{AccountRef: gone, Username: "zorpquibble", Name: "Quibble Zorpington", URL: "https://zorp.example/home",
				AvatarURL: "https://avatars.example/zorp-avatar", Emails: []string{"quibble.zorp@secret-mail.example"},
				ProfileFetchedAt: now},
			{AccountRef: goneGit, Username: "quibble-alt"},
			{AccountRef: keep, Username: "keeper", Name: "Kept Person"},
		},
		Activities: []connectors.Activity{
			{Key: "github/github.com/issue/77", Platform: "github", Instance: "github.com", Type: "issue",
				OccurredAt: now, Actor: gone, URL: "https://github.com/o/r/issues/zorp-77", Title: "Zorp's secret plan title",
				Text: "zorp excerpt of a confession", Reactions: &connectors.Reactions{Total: 1, ByKind: map[string]int{"heart": 1}}},
			{Key: "git//commit/77", Platform: "git", Type: "commit", OccurredAt: now, Actor: goneGit, Title: "Zorp's secret plan title"},
			{Key: "github/github.com/issue/2", Platform: "github", Instance: "github.com", Type: "issue",
				OccurredAt: now, Actor: keep, Title: "kept title"},
		},
		Evidence: []connectors.Evidence{{Kind: "commit_author_login", A: goneGit, B: gone}, {Kind: "same_name", A: gone, B: keep}},
		Next: connectors.Cursor{State: []byte(`{"page":1}`), ETags: map[string]string{"https://api.github.com/users/zorpquibble": `"e"`, "https://api.github.com/repos/o/r": `"r"`},
			// Missing objects naming the forgotten account by id and by
			// handle go; others stay (user:8675309 is a prefix of its id, not its id).
			Missing: map[string]time.Time{"user:86753091": now.Add(time.Hour), "username:zorpquibble": now.Add(time.Hour),
				"user:2": now.Add(time.Hour), "issue:o/r#5": now.Add(time.Hour), "user:8675309": now.Add(time.Hour)}},
	}
	if _, err := s.Apply(ctx, "gh", b); err != nil {
		t.Fatal(err)
	}
	var as []crm.Assignment
	un, err := s.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range un {
		as = append(as, crm.Assignment{IdentityID: id.ID, Reason: "new account"})
	}
	if err := s.Assign(ctx, as); err != nil {
		t.Fatal(err)
	}
	mid, err := s.Merge(ctx, gone, goneGit, "ops", "decided by zorpquibble evidence")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetOverride(ctx, mid, "Quibble Zorpington", goneGit, "ops"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceSuggestions(ctx, []crm.Suggestion{{A: gone, B: keep, Confidence: 0.3, Reasons: []string{"zorpquibble looks like keeper"}}}); err != nil {
		t.Fatal(err)
	}
	keeper, err := s.IdentityByRef(ctx, keep)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Forget(ctx, mid, "ops"); err != nil || n != 2 {
		t.Fatalf("Forget = %d, %v; want 2, nil", n, err)
	}
	c, err := s.Cursor(ctx, "gh")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]time.Time{"user:2": now.Add(time.Hour), "issue:o/r#5": now.Add(time.Hour), "user:8675309": now.Add(time.Hour)}, c.Missing); diff != "" {
		t.Errorf("missing objects after Forget (-want +got):\n%s", diff)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var sizes []int
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		raw, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(raw))
		low := bytes.ToLower(raw)
		for _, sec := range secrets {
			if bytes.Contains(low, bytes.ToLower([]byte(sec))) {
				t.Errorf("%s still contains %q", filepath.Base(f), sec)
			}
		}
	}
	if len(sizes) == 0 || sizes[0] == 0 {
		t.Fatalf("database file missing or empty: %v", sizes)
	}
	// The search index agrees with its content, and holds one member.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO member_search (member_search, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("search index integrity check after Forget: %v", err)
	}
	var indexed int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM member_search`).Scan(&indexed); err != nil || indexed != 1 {
		t.Errorf("search index rows after Forget = %d, %v; want 1 (the kept member)", indexed, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	t.Cleanup(func() { s.Close() })
	if res, err := s.Apply(ctx, "gh", b); err != nil || res != (crm.ApplyResult{}) {
		t.Errorf("re-sync = %+v, %v; want nothing new", res, err)
	}
	for _, r := range []connectors.AccountRef{gone, goneGit} {
		if _, err := s.IdentityByRef(ctx, r); !errors.Is(err, crm.ErrNotFound) {
			t.Errorf("after re-sync IdentityByRef(%s): err = %v; want ErrNotFound", r, err)
		}
	}
	ms, err := s.Members(ctx, crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].ID != keeper.MemberID || ms[0].Name != "Kept Person" || ms[0].ActivityCount != 1 {
		t.Errorf("members after re-sync = %+v; want only the kept one with its activity", ms)
	}
	counts, err := s.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"identities": 1, "activities": 1, "evidence": 0, "tombstones": 2, "decisions": 0, "suggestions": 0}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("table %s has %d rows; want %d", k, counts[k], v)
		}
	}
	if c, err := s.Cursor(ctx, "gh"); err != nil || len(c.ETags) != 2 {
		t.Errorf("Cursor after re-sync = %+v, %v", c, err)
	}
	v, err := s.DecisionsVersion(ctx)
	if err != nil || v < 3 {
		t.Errorf("DecisionsVersion = %d, %v; want at least 3 (merge, override, forget)", v, err)
	}
}

// TestTombstoneSaltPerStore checks that each store has its own salt, so the
// same account forgotten in two stores leaves different hashes.
func TestTombstoneSaltPerStore(t *testing.T) {
	ctx := t.Context()
	var hashes []string
	for i := range 2 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("s%d.db", i))
		s := open(t, path)
		ref := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "5"}
		if _, err := s.Apply(ctx, "gh", connectors.Batch{Accounts: []connectors.Account{{AccountRef: ref, Username: "five"}}}); err != nil {
			t.Fatal(err)
		}
		id, err := s.IdentityByRef(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Assign(ctx, []crm.Assignment{{IdentityID: id.ID}}); err != nil {
			t.Fatal(err)
		}
		id, _ = s.IdentityByRef(ctx, ref)
		if _, err := s.Forget(ctx, id.MemberID, "ops"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		var h string
		if err := db.QueryRowContext(ctx, `SELECT hash FROM tombstones`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		var audit string
		if err := db.QueryRowContext(ctx, `SELECT group_concat(detail, '|') FROM audit_log`).Scan(&audit); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if len(h) != 64 {
			t.Errorf("tombstone %q is not a hex sha256", h)
		}
		if strings.Contains(audit, "five") || strings.Contains(audit, "github/") || !strings.Contains(audit, "forgotten (1 identities)") {
			t.Errorf("audit log after forget = %s", audit)
		}
		hashes = append(hashes, h)
	}
	if hashes[0] == hashes[1] {
		t.Errorf("two stores share a tombstone hash %s; want a salt per store", hashes[0])
	}
}

// TestTeam checks that the configured team list (Store.Team) makes its
// members staff on every read, under a person's mark.
func TestTeam(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "team.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref := func(id string) connectors.AccountRef {
		return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: id}
	}
	bot := connectors.Account{AccountRef: ref("3"), Username: "ci", Bot: true}
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Accounts: []connectors.Account{
		{AccountRef: ref("1"), Username: "Ann"}, {AccountRef: ref("2"), Username: "bob"}, bot}}); err != nil {
		t.Fatal(err)
	}
	un, err := s.Unassigned(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var as []crm.Assignment
	for _, id := range un {
		as = append(as, crm.Assignment{IdentityID: id.ID, Reason: crm.ReasonNewAccount})
	}
	if err := s.Assign(ctx, as); err != nil {
		t.Fatal(err)
	}
	byName := func(name string) crm.Member {
		t.Helper()
		m, err := s.MemberByUsername(ctx, "github", name)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	s.SetTeam(crm.NewTeam([]crm.TeamMember{{Platform: "github", Username: "ann"}, {MemberID: byName("ci").ID}}))
	if err := s.SetMark(ctx, byName("bob").ID, crm.MarkBot, "ops", ""); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Members(ctx, crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.Name] = m.Role
	}
	want := map[string]string{"Ann": crm.RoleStaff, "bob": crm.RoleBot, "ci": crm.RoleStaff}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if err := s.SetMark(ctx, byName("ann").ID, crm.MarkNone, "ops", "volunteer now"); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListMembers(ctx, crm.MemberQuery{Search: "Ann"})
	if err != nil || len(page.Members) != 1 || page.Members[0].Role != "" {
		t.Errorf("ListMembers after mark none = %+v, %v; want Ann without role", page.Members, err)
	}
}

// TestConcurrentOpensOfNewFile opens one new file from several stores at
// once, as replicas started together on a fresh store do: each must open
// it (the one that creates it switches it to WAL while the others wait),
// none may answer "locked".
func TestConcurrentOpensOfNewFile(t *testing.T) {
	const stores = 8
	for round := range 15 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("new-%d.db", round))
		errs := make(chan error, stores)
		start := make(chan struct{})
		for range stores {
			go func() {
				<-start
				s, err := sqlite.Open(t.Context(), path)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		close(start)
		for range stores {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %d stores opening a new file at once: %v", round, stores, err)
			}
		}
	}
}
