package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/identity"
	"github.com/rollcall-dev/rollcall/web"
)

// healthStore is a SQLite store with a small hand-made community: ann
// opens an issue that bo answers after 2 hours and that a bot answered
// first; carol (staff) opens one nobody answers; bo asks a question ann
// answers after 30 minutes.
func healthStore(t *testing.T, now time.Time) string {
	t.Helper()
	ctx := t.Context()
	db := filepath.Join(t.TempDir(), "health.db")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ref := func(p, id string) connectors.AccountRef {
		return connectors.AccountRef{Platform: p, Instance: p + ".test", ExternalID: id}
	}
	ann, bo, carol, bot, boSO, annSO := ref("github", "1"), ref("github", "2"), ref("github", "3"), ref("github", "4"), ref("stackoverflow", "5"), ref("stackoverflow", "6")
	act := func(actor connectors.AccountRef, typ, id string, at time.Time, parent string) connectors.Activity {
		return connectors.Activity{Key: actor.Platform + "/" + actor.Instance + "/" + typ + "/" + id, Platform: actor.Platform, Instance: actor.Instance,
			Type: typ, OccurredAt: at, Actor: actor, Title: "title " + id, URL: "https://x.test/" + id, Channel: "o/r", ParentKey: parent}
	}
	t0 := now.Add(-3 * 24 * time.Hour)
	issue := act(ann, "issue_opened", "1", t0, "")
	issue.Reactions = connectors.ReactionsOf(map[string]int{"+1": 3})
	issue.Text = "This is great, I love it"
	answer := act(bo, "issue_comment", "11", t0.Add(2*time.Hour), issue.Key)
	answer.Text = "This is terrible and broken"
	question := act(boSO, "question", "3", t0, "")
	question.Channel = "go"
	b := connectors.Batch{
		Accounts: []connectors.Account{
			{AccountRef: ann, Username: "ann"}, {AccountRef: bo, Username: "bo"},
			{AccountRef: carol, Username: "carol", Staff: true}, {AccountRef: bot, Username: "helper[bot]", Bot: true},
			{AccountRef: boSO, Username: "bo_so"}, {AccountRef: annSO, Username: "ann_so"},
		},
		Activities: []connectors.Activity{
			issue,
			act(bot, "issue_comment", "10", t0.Add(time.Minute), issue.Key),
			answer,
			act(carol, "issue_opened", "2", t0, ""),
			question,
			act(annSO, "answer", "31", t0.Add(30*time.Minute), question.Key),
			act(ann, "star", "s1", now.Add(-40*24*time.Hour), ""),
		},
		Done: true,
	}
	if _, err := st.Apply(ctx, "test", b); err != nil {
		t.Fatal(err)
	}
	if _, err := (&identity.Resolver{}).Run(ctx, st); err != nil {
		t.Fatal(err)
	}
	return db
}

// healthCLI runs rollcall health with a fixed clock.
func healthCLI(t *testing.T, now time.Time, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: os.Getenv, now: func() time.Time { return now }}
	err := cmdHealth(context.Background(), e, args)
	return out.String(), errb.String(), err
}

// TestHealthCommandEndToEnd applies a batch, prints rollcall health
// --format json and checks the known answers, then reads GET
// /api/v1/health over the same store: the same bytes.
func TestHealthCommandEndToEnd(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	db := healthStore(t, now)
	out, errOut, err := healthCLI(t, now, "--store", db, "--format", "json", "--period", "7d")
	if err != nil {
		t.Fatalf("health: %v\n%s", err, errOut)
	}
	var r crm.HealthReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("health json: %v\n%s", err, out)
	}
	if r.PeriodSeconds != 7*86400 || r.Current.Until != "2026-06-15T12:00:00Z" || r.Previous.Since != "2026-06-01T12:00:00Z" {
		t.Errorf("periods: %d %+v %+v", r.PeriodSeconds, r.Current, r.Previous)
	}
	// bo, bo_so and ann_so are new (nothing links the accounts); ann's
	// first activity is 40 days old; carol and the bot are not counted.
	if r.Growth.Previous != 0 || r.Growth.Current != 3 {
		t.Errorf("growth = %+v", r.Growth)
	}
	gh := r.FirstResponse[0]
	if gh.Platform != "github" || gh.Current.Threads != 1 || gh.Current.Answered != 1 || *gh.Current.P50Seconds != 7200 {
		t.Errorf("github first response = %+v (the bot's reply must not count, carol's issue is staff's)", gh.Current)
	}
	so := r.FirstResponse[2]
	if so.Platform != "stackoverflow" || so.Current.Answered != 1 || *so.Current.P90Seconds != 1800 {
		t.Errorf("stackoverflow first response = %+v", so.Current)
	}
	if p := r.Engagement.Platforms[0]; p.Current.Reactions != 3 || p.Current.Posts != 1 {
		t.Errorf("github engagement = %+v", p.Current)
	}
	if s := r.Sentiment.Current; s.Texts != 2 || s.Positive != 1 || s.Negative != 1 {
		t.Errorf("sentiment = %+v", s)
	}
	if len(r.Engagement.TopThreads) == 0 || r.Engagement.TopThreads[0].Title != "title 1" || r.Engagement.TopThreads[0].Score != 4 {
		t.Errorf("top threads = %+v", r.Engagement.TopThreads)
	}
	staffOut, _, err := healthCLI(t, now, "--store", db, "--format", "json", "--period", "7d", "--include-staff")
	if err != nil {
		t.Fatal(err)
	}
	var rs crm.HealthReport
	json.Unmarshal([]byte(staffOut), &rs)
	if gh := rs.FirstResponse[0].Current; gh.Threads != 2 || gh.Unanswered != 1 {
		t.Errorf("--include-staff: github first response = %+v", gh)
	}

	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := web.New(web.Options{Members: st, Decisions: st, Scores: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if api := apiGet(t, h, "/api/v1/health?period=7d"); string(api) != out {
		t.Errorf("API differs from the CLI:\nAPI %s\nCLI %s", api, out)
	}
	if api := apiGet(t, h, "/api/v1/health?period=7d&include_staff=1"); string(api) != staffOut {
		t.Errorf("API with include_staff differs from the CLI:\nAPI %s\nCLI %s", api, staffOut)
	}

	table, _, err := healthCLI(t, now, "--store", db, "--period", "7d")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MEMBERS", "FIRST RESPONSE", "github issues & prs", "2.0h", "30m", "RETENTION", "ENGAGEMENT", "title 1", "SENTIMENT", "positive"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestHealthUsage(t *testing.T) {
	db := healthStore(t, time.Now())
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--platform", "myspace"}, `--platform must be one of github, git, mastodon, discourse, stackoverflow, not "myspace"`},
		{[]string{"--period", "3w"}, `--period: period "3w"`},
		{[]string{"--period", "0d"}, "between 1h and 366d"},
		{[]string{"--format", "csv"}, "--format must be table or json"},
		{[]string{"extra"}, "health takes no arguments"},
	} {
		code, _, errOut := runMain(t, append([]string{"health", "--store", db}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("health %v: exit %d, %s; want usage error %q", tt.args, code, errOut, tt.want)
		}
	}
	for _, p := range []string{"30d", "7d", "90d", "36h", "1.5d"} {
		if code, out, errOut := runMain(t, "health", "--store", db, "--period", p, "--platform", "github"); code != exitOK || !strings.Contains(out, "only github") {
			t.Errorf("health --period %s: exit %d\n%s\n%s", p, code, out, errOut)
		}
	}
}

// TestHealthOnDemo: rollcall health on the demo community has something
// in every section.
func TestHealthOnDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if code, out, errOut := runMain(t, "demo", "--once", "--quiet", "--store", db, "--log-level", "warn"); code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runMain(t, "health", "--store", db, "--format", "json")
	if code != exitOK {
		t.Fatalf("health: exit %d: %s", code, errOut)
	}
	var r crm.HealthReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	threads := 0
	for _, x := range r.FirstResponse {
		threads += x.Current.Threads
	}
	if r.Growth.Current == 0 || r.Active.Current.Members == 0 || threads == 0 || r.Sentiment.Current.Texts == 0 ||
		len(r.Engagement.TopChannels) == 0 || len(r.Engagement.TopThreads) == 0 || len(r.Retention.Cohorts) != 12 {
		t.Errorf("demo health looks empty: %s", out)
	}
	if code, out, errOut := runMain(t, "health", "--store", db); code != exitOK || !strings.Contains(out, "FIRST RESPONSE") {
		t.Errorf("health table: exit %d\n%s\n%s", code, out, errOut)
	}
}
