package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// roleOf reads a member's role from `journey --format json`.
func roleOf(t *testing.T, who string, args ...string) string {
	t.Helper()
	code, out, errOut := runMain(t, append([]string{"journey", who, "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("journey %s: exit %d: %s", who, code, errOut)
	}
	var j struct {
		Member struct {
			Role *string `json:"role"`
		}
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.Member.Role == nil {
		t.Fatalf("journey %s: no role in %s (%v)", who, out, err)
	}
	return *j.Member.Role
}

// TestMarkCommand marks members from the command line, checks the role in
// the JSON, the audit log, the usage errors, the team: list of the config,
// and that a re-sync keeps the marks.
func TestMarkCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	resync(t, db)
	var a, b, c string
	for _, m := range listMembers(t, db) {
		for _, id := range m.Identities {
			if id.Platform != "github" || strings.Contains(id.Username, "[bot]") {
				continue
			}
			if h := "github:" + id.Username; roleOf(t, h, "--store", db) == "" {
				switch {
				case a == "":
					a = h
				case b == "" && memberOf(t, db, h).ID != memberOf(t, db, a).ID:
					b = h
				case c == "" && b != "" && memberOf(t, db, h).ID != memberOf(t, db, a).ID && memberOf(t, db, h).ID != memberOf(t, db, b).ID:
					c = h
				}
			}
		}
	}
	if a == "" || b == "" || c == "" {
		t.Fatalf("the demo community lacks three GitHub members without a role: %q %q %q", a, b, c)
	}
	if code, out, errOut := runMain(t, "mark", a, "staff", "--reason", "hired in May", "--store", db); code != exitOK ||
		!strings.Contains(out, "marked staff") {
		t.Fatalf("mark staff: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := roleOf(t, a, "--store", db); got != "staff" {
		t.Errorf("role after mark staff = %q", got)
	}
	bid := memberOf(t, db, b).ID
	if code, _, errOut := runMain(t, "mark", fmt.Sprint(bid), "bot", "--store", db); code != exitOK {
		t.Fatalf("mark bot by id: %s", errOut)
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"mark", a}, exitUsage, "mark needs MEMBER and staff, bot or none"},
		{[]string{"mark", a, "admin"}, exitUsage, `mark must be staff, bot or none, not "admin"`},
		{[]string{"mark", "nobody", "staff"}, exitUsage, "MEMBER must be a member id or platform:username"},
		{[]string{"mark", "github:no-such-login-xyz", "staff"}, exitFail, "no member has the github account"},
		{[]string{"mark", a, "staff", "--colour"}, exitUsage, "flag provided but not defined"},
	} {
		code, _, errOut := runMain(t, append(tt.args, "--store", db)...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}

	// Audited like the other decisions.
	conn, err := sql.Open("sqlite", db+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var detail string
	if err := conn.QueryRow(`SELECT detail FROM audit_log WHERE action = 'mark' AND member_id = ?`, memberOf(t, db, a).ID).Scan(&detail); err != nil ||
		!strings.Contains(detail, `"reason":"hired in May"`) || !strings.Contains(detail, `"mark":"staff"`) {
		t.Errorf("audit of mark staff = %q, %v", detail, err)
	}

	resync(t, db)
	if got := roleOf(t, a, "--store", db); got != "staff" {
		t.Errorf("the re-sync undid mark staff: role %q", got)
	}
	if got := roleOf(t, b, "--store", db); got != "bot" {
		t.Errorf("the re-sync undid mark bot: role %q", got)
	}

	// The config's team list makes b staff under no mark; 'none' beats it.
	cfg := filepath.Join(dir, "rollcall.yaml")
	if err := os.WriteFile(cfg, []byte("store: "+db+"\nteam:\n  - "+b+"\n  - "+c+"\n  - "+fmt.Sprint(memberOf(t, db, a).ID)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := roleOf(t, c, "--config", cfg); got != "staff" {
		t.Errorf("on the team list: role %q; want staff", got)
	}
	if got := roleOf(t, c, "--store", db); got != "" {
		t.Errorf("without the config: role %q; want none", got)
	}
	if code, _, errOut := runMain(t, "mark", a, "none", "--config", cfg); code != exitOK {
		t.Fatalf("mark none: %s", errOut)
	}
	if got := roleOf(t, a, "--config", cfg); got != "" {
		t.Errorf("mark none under the team list: role %q; want none", got)
	}
	if got := roleOf(t, b, "--config", cfg); got != "bot" {
		t.Errorf("mark bot under the team list: role %q; want bot (the mark wins)", got)
	}
	if code, _, errOut := runMain(t, "mark", b, "none", "--config", cfg); code != exitOK {
		t.Fatalf("mark none: %s", errOut)
	}
	if got := roleOf(t, b, "--config", cfg); got != "" {
		t.Errorf("after mark none: role %q", got)
	}
}
