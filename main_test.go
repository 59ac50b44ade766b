package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// runMain runs the command in-process and returns its exit status and output.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndHelp(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in stdout+stderr
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"--help"}, exitOK, "Commands:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"members", "--help"}, exitOK, "--search"},
		{[]string{"journey", "--help"}, exitOK, "platform:username"},
		{[]string{"sync", "--help"}, exitOK, "--once"},
		{[]string{"run", "--help"}, exitOK, "Usage: rollcall run"},
		{[]string{"demo", "--help"}, exitOK, "--once"},
		{[]string{"version", "--help"}, exitOK, "Usage: rollcall version"},
		{[]string{"version"}, exitOK, "rollcall "},
		{[]string{"doctor", "--help"}, exitOK, "--unit"},
		{[]string{"merge", "--help"}, exitOK, "--reason"},
		{[]string{"unmerge", "--help"}, exitOK, "IDENTITY"},
		{[]string{"suggestions", "--help"}, exitOK, "accept"},
		{[]string{"override", "--help"}, exitOK, "--primary"},
		{[]string{"forget", "--help"}, exitOK, "--yes"},
		{[]string{"identity", "--help"}, exitOK, "identity resolve"},
		{[]string{"identity", "resolve", "--help"}, exitOK, "--format"},
		{[]string{"auth", "--help"}, exitOK, "hash-password"},
		{[]string{"auth", "hash-password", "--help"}, exitOK, "password_hash"},
		{[]string{"auth"}, exitUsage, "auth hash-password"},
		{[]string{"merge", "github:a"}, exitUsage, "two members"},
		{[]string{"identity", "resolve", "--format", "csv"}, exitUsage, "--format must be tsv"},
		{[]string{"members", "--format", "xml"}, exitUsage, "--format must be"},
		{[]string{"members", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"journey"}, exitUsage, "exactly one MEMBER"},
		{[]string{"sync"}, exitUsage, "--once"},
		{[]string{"webhooks", "--help"}, exitOK, "retry ID"},
		{[]string{"webhooks", "--status", "lost"}, exitUsage, "--status must be pending, failed, delivered or all"},
		{[]string{"webhooks", "resend", "1"}, exitUsage, "webhooks retry ID"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			code, out, errOut := runMain(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tt.want, out, errOut)
			}
		})
	}
}

func TestConfigErrorExitsOneWithLocation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rollcall.yaml")
	body := "store: " + filepath.Join(dir, "x.db") + "\nsources:\n  - name: upstream\n    type: github\n    repos: [o/r]\n    interval: 5x\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, "--config", path, "sync", "--once")
	if code != exitFail {
		t.Fatalf("exit = %d, want 1; stderr: %s", code, errOut)
	}
	want := path + `:6: sources[0].interval: invalid duration "5x"`
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr = %q, want it to contain %q", errOut, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Errorf("the store was created although the config was invalid")
	}
}

// TestDemoOnceThenQueries is the README's quick start: demo --once, then the
// members and journey JSON shapes.
func TestDemoOnceThenQueries(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, errOut := runMain(t, "demo", "--once", "--quiet", "--store", db, "--log-level", "warn")
	if code != exitOK {
		t.Fatalf("demo exit = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"SOURCE", "github", "mastodon", "discourse", "stackoverflow", "members", "rollcall members", "rollcall journey"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runMain(t, "members", "--store", db, "--format", "json", "--limit", "0")
	if code != exitOK {
		t.Fatalf("members exit = %d: %s", code, errOut)
	}
	var members []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &members); err != nil {
		t.Fatalf("members json: %v\n%s", err, out)
	}
	if len(members) < 10 {
		t.Fatalf("members = %d, want a community", len(members))
	}
	checkKeys(t, "member", members[0], "id", "name", "identities", "activity_count", "first_seen", "last_seen")
	var ids []map[string]json.RawMessage
	if err := json.Unmarshal(members[0]["identities"], &ids); err != nil || len(ids) == 0 {
		t.Fatalf("identities: %v %s", err, members[0]["identities"])
	}
	checkKeys(t, "identity", ids[0], "platform", "instance", "external_id", "username", "url")

	// Find a GitHub login and read its journey.
	var login string
	for _, m := range members {
		var ids []struct{ Platform, Username string }
		json.Unmarshal(m["identities"], &ids)
		for _, id := range ids {
			if id.Platform == "github" && login == "" {
				login = id.Username
			}
		}
	}
	code, out, errOut = runMain(t, "journey", "github:"+login, "--store", db, "--format", "json")
	if code != exitOK {
		t.Fatalf("journey exit = %d: %s", code, errOut)
	}
	var j struct {
		Member     map[string]json.RawMessage   `json:"member"`
		Activities []map[string]json.RawMessage `json:"activities"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("journey json: %v\n%s", err, out)
	}
	checkKeys(t, "journey member", j.Member, "id", "name", "identities", "activity_count", "first_seen", "last_seen")
	if len(j.Activities) == 0 {
		t.Fatalf("journey of %s has no activities", login)
	}
	checkKeys(t, "activity", j.Activities[0], "key", "platform", "type", "occurred_at", "url", "title", "channel", "identity")
	var times []string
	for _, a := range j.Activities {
		var s string
		json.Unmarshal(a["occurred_at"], &s)
		times = append(times, s)
	}
	if !sort.StringsAreSorted(times) {
		t.Errorf("journey not oldest first: %v", times)
	}

	// Every activity type of every platform is in the demo.
	types := map[string]bool{}
	for _, m := range members {
		var id int64
		json.Unmarshal(m["id"], &id)
		code, out, _ := runMain(t, "journey", string(m["id"]), "--store", db, "--format", "json")
		if code != exitOK {
			t.Fatalf("journey %d failed", id)
		}
		var j struct{ Activities []struct{ Type string } }
		json.Unmarshal([]byte(out), &j)
		for _, a := range j.Activities {
			types[a.Type] = true
		}
	}
	for _, want := range []string{
		"issue_opened", "pr_opened", "pr_merged", "issue_comment", "pr_review", "pr_review_comment", "star", "fork", "release", "commit",
		"post", "mention", "boost", "favourite", "follow",
		"topic_created", "post_created", "solution_accepted", "like",
		"question", "answer", "answer_accepted", "comment",
	} {
		if !types[want] {
			t.Errorf("demo has no %s activity", want)
		}
	}

	// Table and text views work too.
	if code, out, _ := runMain(t, "members", "--store", db, "--search", login); code != exitOK || !strings.Contains(out, login) {
		t.Errorf("members --search %s: exit %d\n%s", login, code, out)
	}
	if code, out, _ := runMain(t, "journey", "github:"+strings.ToUpper(login), "--store", db); code != exitOK || !strings.Contains(out, "activities") {
		t.Errorf("journey text: exit %d\n%s", code, out)
	}
	if code, _, errOut := runMain(t, "journey", "github:no-such-login-xyz", "--store", db); code != exitFail || !strings.Contains(errOut, "no member") {
		t.Errorf("journey of unknown login: exit %d, %s", code, errOut)
	}
}

func checkKeys(t *testing.T, what string, obj map[string]json.RawMessage, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s lacks key %q: %v", what, k, obj)
		}
	}
}
