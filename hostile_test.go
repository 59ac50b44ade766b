package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// jsonText is v as it arrives through a service's JSON: invalid UTF-8
// bytes become U+FFFD when encoded (no JSON string can carry them).
func jsonText(v string) string {
	b, _ := json.Marshal(v)
	var s string
	json.Unmarshal(b, &s)
	return s
}

// cutRunes is s cut to n runes.
func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// TestUntrustedInput serves every community.HostileValues value (control
// characters and escape sequences, C1 controls, right-to-left overrides and
// other bidi controls, invalid UTF-8, 1 MB, script and HTML, javascript:
// and data: URLs, SQL-looking text) as the display name, bio, profile link,
// title and body of an account and its item through each of the four
// connectors' fakes, syncs them with `rollcall demo --once`, and checks for
// each platform and value that: the sync did not fail; the account and its
// activity are stored, with the name kept as sent (cleaned as crm.Storable
// says) or cut to crm.MaxNameRunes, titles to crm.MaxTitleRunes, no URL
// past crm.MaxURLBytes; and that members, journey, champions, health and
// suggestions, in every format, exit 0 and print nothing a terminal acts on
// (no raw control, bidi or invalid byte), while their JSON keeps the text.
func TestUntrustedInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hostile.db")
	values := community.HostileValues()
	var out, errb syncBuffer
	var world *community.World
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: time.Now,
		demo: &demoHooks{world: community.WorldOptions{Credentials: community.DefaultCredentials(), Hostile: values}, started: func(w *community.World) { world = w }}}
	if code := runEnv(context.Background(), env, []string{"--store", db, "demo", "--once", "--size", "20"}); code != exitOK {
		t.Fatalf("demo --once with hostile records: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if r, bad := rawControl(out.String() + errb.String()); bad {
		t.Errorf("demo output carries %U raw", r)
	}

	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	members, err := st.Members(t.Context(), crm.MemberQuery{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	cli := func(t *testing.T, args ...string) string {
		t.Helper()
		code, stdout, stderr := runMain(t, append([]string{"--store", db}, args...)...)
		if code != exitOK {
			t.Errorf("%s: exit %d\n%.2000s", strings.Join(args, " "), code, stderr)
		}
		if r, bad := rawControl(stdout + stderr); bad {
			i := strings.IndexRune(stdout+stderr, r)
			t.Errorf("%s prints %U raw: %q", strings.Join(args, " "), r, (stdout + stderr)[max(0, i-40):min(len(stdout+stderr), i+40)])
		}
		return stdout
	}

	platforms := []string{connectors.PlatformGitHub, connectors.PlatformMastodon, connectors.PlatformDiscourse, connectors.PlatformStackOverflow}
	for _, platform := range platforms {
		for i, h := range values {
			t.Run(platform+"/"+h.Name, func(t *testing.T) {
				var rec community.HostileRecord
				for _, r := range world.Hostile {
					if r.Platform == platform && r.Value == h.Value {
						rec = r
					}
				}
				if rec.Platform == "" {
					t.Fatalf("value %d not served on %s", i, platform)
				}
				var m crm.Member
				var id crm.Identity
			find:
				for _, mm := range members {
					for _, x := range mm.Identities {
						if x.Platform == platform && (x.ExternalID == rec.ExternalID || x.Username == rec.Username || strings.HasPrefix(x.Username, rec.Username+"@")) {
							m, id = mm, x
							break find
						}
					}
				}
				if m.ID == 0 {
					t.Fatalf("the account of %s on %s was not stored", h.Name, platform)
				}
				// Stored safely: valid UTF-8, no NUL, within the limits.
				want := cutRunes(crm.Storable(jsonText(h.Value)), crm.MaxNameRunes)
				if id.Name != want {
					t.Errorf("stored name = %.80q, want %.80q", id.Name, want)
				}
				for _, x := range append(append([]string{id.URL, id.AvatarURL}, id.Links...), id.VerifiedLinks...) {
					if len(x) > crm.MaxURLBytes || !utf8.ValidString(x) || strings.IndexByte(x, 0) >= 0 {
						t.Errorf("stored link of %d bytes: %.80q", len(x), x)
					}
				}
				// Shown inert, never crashing: the journey in text and JSON.
				text := cli(t, "journey", fmt.Sprint(m.ID))
				if !strings.Contains(text, fmt.Sprintf("(member %d)", m.ID)) {
					t.Errorf("journey text lacks its heading:\n%.500s", text)
				}
				var j struct {
					Member struct {
						Name string `json:"name"`
					} `json:"member"`
					Activities []struct {
						Platform string `json:"platform"`
						Title    string `json:"title"`
					} `json:"activities"`
				}
				if err := json.Unmarshal([]byte(cli(t, "journey", fmt.Sprint(m.ID), "--format", "json")), &j); err != nil {
					t.Fatalf("journey JSON: %v", err)
				}
				if j.Member.Name != m.Name {
					t.Errorf("journey JSON name = %.80q, want the stored %.80q", j.Member.Name, m.Name)
				}
				titled := false
				for _, a := range j.Activities {
					if a.Platform != platform {
						continue
					}
					if utf8.RuneCountInString(a.Title) > crm.MaxTitleRunes || !utf8.ValidString(a.Title) {
						t.Errorf("title of %d runes stored: %.80q", utf8.RuneCountInString(a.Title), a.Title)
					}
					titled = titled || a.Title != ""
				}
				if !titled {
					t.Errorf("no activity with a title on %s stored for %s: %+v", platform, h.Name, j.Activities)
				}
			})
		}
	}

	// A value cannot forge a line of the members table: one line per
	// member and the header.
	if got := strings.Count(cli(t, "members", "--limit", "0"), "\n"); got != len(members)+1 {
		t.Errorf("members table has %d lines, want %d (one per member and the header)", got, len(members)+1)
	}
	// The curating commands name hostile members inert too, and take a
	// hostile name from the operator; forget shows the name before asking.
	var hostileIDs []string
	for _, m := range members {
		if strings.Contains(m.Name, "\x1b") || strings.Contains(m.Name, "\u202e") || strings.Contains(m.Name, "<script>") {
			hostileIDs = append(hostileIDs, fmt.Sprint(m.ID))
		}
	}
	if len(hostileIDs) < 3 {
		t.Fatalf("only %d hostile members: %v", len(hostileIDs), hostileIDs)
	}
	for _, args := range [][]string{
		{"mark", hostileIDs[0], "staff"}, {"merge", hostileIDs[0], hostileIDs[1]}, {"override", hostileIDs[2], "--name", values[0].Value},
		{"journey", hostileIDs[2]}, {"mark", hostileIDs[2], "none"},
	} {
		cli(t, args...)
	}
	code, stdout, stderr := runMain(t, "--store", db, "forget", hostileIDs[2])
	if code != exitUsage {
		t.Errorf("forget without --yes: exit %d, want 2", code)
	}
	if r, bad := rawControl(stdout + stderr); bad {
		t.Errorf("forget prints %U raw", r)
	}
	// git authors with hostile names and e-mails on standard input.
	var in strings.Builder
	for i, h := range values {
		fmt.Fprintf(&in, "%d\t%s\t%s@example.org\n", i, strings.ReplaceAll(strings.ReplaceAll(h.Value, "\t", " "), "\n", " "), strings.ReplaceAll(h.Value[:min(len(h.Value), 40)], "\n", ""))
	}
	var rout, rerr syncBuffer
	if code := run(context.Background(), []string{"identity", "resolve", "--format", "tsv"}, strings.NewReader(in.String()), &rout, &rerr); code != exitOK {
		t.Errorf("identity resolve: exit %d\n%s", code, rerr.String())
	}
	if r, bad := rawControl(rout.String() + rerr.String()); bad {
		t.Errorf("identity resolve prints %U raw", r)
	}

	// Every listing, in every format.
	for _, args := range [][]string{
		{"members", "--limit", "0"}, {"members", "--limit", "0", "--format", "csv"}, {"members", "--limit", "0", "--format", "json"},
		{"members", "--search", "Eve"}, {"champions"}, {"champions", "--rising"}, {"champions", "--slipping"}, {"champions", "--format", "json"},
		{"health"}, {"health", "--format", "json"}, {"suggestions"}, {"suggestions", "--format", "json"}, {"webhooks"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			text := cli(t, args...)
			if strings.Contains(strings.Join(args, " "), "json") && !json.Valid([]byte(text)) {
				t.Errorf("invalid JSON: %.300s", text)
			}
		})
	}
}
