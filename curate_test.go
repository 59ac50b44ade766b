package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type memberOut struct {
	ID         int64 `json:"id"`
	Name       string
	Identities []struct {
		Platform, Username string
		ExternalID         string `json:"external_id"`
	}
	ActivityCount int `json:"activity_count"`
}

func listMembers(t *testing.T, db string) []memberOut {
	t.Helper()
	code, out, errOut := runMain(t, "members", "--store", db, "--format", "json", "--limit", "0")
	if code != exitOK {
		t.Fatalf("members: exit %d: %s", code, errOut)
	}
	var ms []memberOut
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatal(err)
	}
	return ms
}

func memberOf(t *testing.T, db, who string) memberOut {
	t.Helper()
	code, out, errOut := runMain(t, "journey", who, "--store", db, "--format", "json")
	if code != exitOK {
		t.Fatalf("journey %s: exit %d: %s", who, code, errOut)
	}
	var j struct{ Member memberOut }
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatal(err)
	}
	return j.Member
}

func resync(t *testing.T, db string) {
	t.Helper()
	code, out, errOut := runMain(t, "demo", "--once", "--quiet", "--seed", "5", "--size", "40", "--store", db, "--log-level", "error")
	if code != exitOK {
		t.Fatalf("demo --once: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestCurationSurvivesResync merges, unmerges and forgets from the command
// line, re-syncs from the fakes, and checks that every decision holds and
// that nothing of the forgotten member remains in the SQLite files but its
// tombstone.
func TestCurationSurvivesResync(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rollcall.db")
	resync(t, db)
	ms := listMembers(t, db)
	handle := func(m memberOut, platform string) string {
		for _, id := range m.Identities {
			if id.Platform == platform {
				return platform + ":" + id.Username
			}
		}
		return ""
	}
	// Two different people with GitHub logins, and a third to forget.
	var a, b, gone string
	for _, m := range ms {
		h := handle(m, "github")
		if h == "" || strings.Contains(h, "[bot]") {
			continue
		}
		switch {
		case a == "":
			a = h
		case b == "":
			b = h
		case gone == "" && len(m.Identities) == 1 && len(strings.TrimPrefix(h, "github:")) >= 6:
			gone = h
		}
	}
	if a == "" || b == "" || gone == "" {
		t.Fatalf("the demo community lacks members to work with: %q %q %q", a, b, gone)
	}

	// merge
	if code, out, errOut := runMain(t, "merge", a, b, "--store", db, "--reason", "same person, told us at a meetup"); code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, errOut)
	}
	merged := memberOf(t, db, a)
	if memberOf(t, db, b).ID != merged.ID {
		t.Fatalf("after merge %s and %s are different members", a, b)
	}

	// unmerge: the merged member holds both logins; take b out again and
	// merge later decisions: b goes back out.
	if code, out, errOut := runMain(t, "unmerge", fmt.Sprint(merged.ID), b, "--store", db); code != exitOK {
		t.Fatalf("unmerge: exit %d\n%s\n%s", code, out, errOut)
	}
	if memberOf(t, db, b).ID == memberOf(t, db, a).ID {
		t.Fatalf("after unmerge %s is still in %s's member", b, a)
	}
	// Merge once more, so a merge is the last decision to check after the re-sync.
	if code, _, errOut := runMain(t, "merge", a, b, "--store", db); code != exitOK {
		t.Fatalf("second merge: %s", errOut)
	}

	// forget
	victim := memberOf(t, db, gone)
	if code, _, _ := runMain(t, "forget", gone, "--store", db); code != exitUsage {
		t.Errorf("forget without --yes: exit %d, want 2", code)
	}
	if code, out, errOut := runMain(t, "forget", gone, "--yes", "--store", db); code != exitOK {
		t.Fatalf("forget: exit %d\n%s\n%s", code, out, errOut)
	}

	// A display name chosen by hand.
	if code, _, errOut := runMain(t, "override", a, "--name", "Chosen Name", "--primary", b, "--store", db); code != exitOK {
		t.Fatalf("override: %s", errOut)
	}

	// Re-sync everything from the fakes.
	resync(t, db)

	if m := memberOf(t, db, a); m.Name != "Chosen Name" {
		t.Errorf("the re-sync undid the display name override: %q", m.Name)
	}
	code, out, _ := runMain(t, "journey", a, "--store", db, "--format", "json")
	var j struct {
		Member struct {
			Primary *struct{ Platform, Username string }
		}
	}
	if err := json.Unmarshal([]byte(out), &j); code != exitOK || err != nil || j.Member.Primary == nil ||
		j.Member.Primary.Platform+":"+j.Member.Primary.Username != b {
		t.Errorf("the primary identity override is not %s: %+v", b, j.Member.Primary)
	}

	if memberOf(t, db, a).ID != memberOf(t, db, b).ID {
		t.Errorf("the re-sync undid the merge of %s and %s", a, b)
	}
	if code, _, errOut := runMain(t, "journey", gone, "--store", db); code != exitFail || !strings.Contains(errOut, "no member") {
		t.Errorf("forgotten %s came back after the re-sync (exit %d: %s)", gone, code, errOut)
	}
	// No trace in the files but the tombstone hash.
	login := strings.TrimPrefix(gone, "github:")
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{login, victim.Identities[0].ExternalID + `","`} {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("%s still contains %q of the forgotten member", filepath.Base(f), needle)
			}
		}
	}
}

func TestIdentityResolveTSV(t *testing.T) {
	in := "id\tname\temail\n1\tAna López\tana@example.org\n2\tana lopez\tana@example.org\n3\troot\troot@localhost\n4\tBob Stone\troot@localhost\n"
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"identity", "resolve", "--format", "tsv"}, strings.NewReader(in), &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d rows, want one per input row:\n%s", len(lines), out.String())
	}
	member := map[string]string{}
	for _, l := range lines {
		id, m, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("row %q is not id<TAB>member", l)
		}
		member[id] = m
	}
	if member["1"] != member["2"] {
		t.Errorf("the same person (same e-mail, same name) got two members")
	}
	if member["3"] == member["4"] {
		t.Errorf("a shared placeholder address merged two people")
	}
}

// TestIdentityRebuild resolves a synced store again in full: the members
// stay as the incremental runs made them, and a second rebuild changes
// nothing.
func TestIdentityRebuild(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rollcall.db")
	resync(t, db)
	before := listMembers(t, db)
	for range 2 {
		code, out, errOut := runMain(t, "identity", "rebuild", "--store", db)
		if code != exitOK {
			t.Fatalf("identity rebuild: exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, "resolved every identity: 0 new members, 0 identities joined, 0 members merged") {
			t.Errorf("identity rebuild on a resolved store printed %q, want no change", out)
		}
	}
	if after := listMembers(t, db); len(after) != len(before) {
		t.Errorf("%d members after rebuild, %d before", len(after), len(before))
	}
	if code, _, _ := runMain(t, "identity", "rebuild", "extra", "--store", db); code != exitUsage {
		t.Errorf("identity rebuild with an argument: exit %d, want %d", code, exitUsage)
	}
}
