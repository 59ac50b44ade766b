package github

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// TestTranslateReactions decodes reactions summaries shaped as the REST API
// serves them (fields as in the octokit recordings) on issues, comments and
// review comments.
func TestTranslateReactions(t *testing.T) {
	const summary = `"reactions": {"url": "https://api.github.com/repos/o/r/issues/1/reactions",
		"total_count": 5, "+1": 2, "-1": 0, "laugh": 0, "hooray": 1, "confused": 0, "heart": 2, "rocket": 0, "eyes": 0}`
	want := &connectors.Reactions{Total: 5, ByKind: map[string]int{"+1": 2, "hooray": 1, "heart": 2}}
	zero := &connectors.Reactions{}
	tr := translator{instance: "github.com"}
	user := `"user": {"login": "a", "id": 7}`
	for _, tt := range []struct {
		name string
		body string
		act  func(b []byte) (connectors.Activity, error)
		want *connectors.Reactions
	}{
		{"issue", `{"id": 1, "number": 1, ` + user + `, ` + summary + `}`, func(b []byte) (connectors.Activity, error) {
			var is github.Issue
			err := json.Unmarshal(b, &is)
			return tr.issue("o/r", &is)[0], err
		}, want},
		{"issue without summary", `{"id": 1, "number": 1, ` + user + `}`, func(b []byte) (connectors.Activity, error) {
			var is github.Issue
			err := json.Unmarshal(b, &is)
			return tr.issue("o/r", &is)[0], err
		}, nil},
		{"comment", `{"id": 2, ` + user + `, "issue_url": "https://api.github.com/repos/o/r/issues/1", ` + summary + `}`, func(b []byte) (connectors.Activity, error) {
			var c github.IssueComment
			err := json.Unmarshal(b, &c)
			return tr.comment("o/r", &c, nil), err
		}, want},
		{"review comment, no reactions", `{"id": 3, ` + user + `, "pull_request_url": "https://api.github.com/repos/o/r/pulls/1", "reactions": {"url": "u", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}}`, func(b []byte) (connectors.Activity, error) {
			var c github.PullRequestComment
			err := json.Unmarshal(b, &c)
			return tr.reviewComment("o/r", &c, nil), err
		}, zero},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tt.act([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, a.Reactions); diff != "" {
				t.Errorf("reactions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReactionsRefresh: a reaction does not bump updated_at on GitHub (nor
// in the fake), yet the next pass carries the new counts of the newest
// issues, comments and review comments, read from list pages; an idle pass
// after that costs no counted request.
func TestReactionsRefresh(t *testing.T) {
	e := newEnv(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	e.srv.AddUser(githubtest.User{Login: "ann"})
	e.srv.AddUser(githubtest.User{Login: "bob"})
	_, err := e.srv.AddRepo(githubtest.Repo{Owner: "rollcall-demo", Name: "alpha"})
	must(err)
	at := testNow.Add(-48 * time.Hour)
	is, err := e.srv.AddIssue("rollcall-demo", "alpha", githubtest.Issue{User: "ann", Title: "it breaks", Body: "It **breaks** when I [poll](https://example.com):\n\n```\npanic\n```\n", CreatedAt: at})
	must(err)
	pr, err := e.srv.AddPull("rollcall-demo", "alpha", githubtest.Issue{User: "bob", Title: "fix", CreatedAt: at.Add(time.Hour)})
	must(err)
	cm, err := e.srv.AddComment("rollcall-demo", "alpha", githubtest.Comment{Issue: is.Number, User: "bob", Body: "same here", CreatedAt: at.Add(2 * time.Hour)})
	must(err)
	rc, err := e.srv.AddReviewComment("rollcall-demo", "alpha", githubtest.ReviewComment{Pull: pr.Number, User: "ann", Body: "nit", Path: "a.go", CreatedAt: at.Add(3 * time.Hour)})
	must(err)
	// Newer items, so that the reacted-to ones lie below every watermark.
	_, err = e.srv.AddIssue("rollcall-demo", "alpha", githubtest.Issue{User: "ann", Title: "newer", CreatedAt: at.Add(4 * time.Hour)})
	must(err)
	_, err = e.srv.AddComment("rollcall-demo", "alpha", githubtest.Comment{Issue: pr.Number, User: "ann", Body: "thanks", CreatedAt: at.Add(5 * time.Hour)})
	must(err)
	_, err = e.srv.AddReviewComment("rollcall-demo", "alpha", githubtest.ReviewComment{Pull: pr.Number, User: "bob", Body: "ok", Path: "a.go", CreatedAt: at.Add(6 * time.Hour)})
	must(err)
	e.mustSync()
	byType := func() map[string]*connectors.Reactions {
		out := map[string]*connectors.Reactions{}
		for _, a := range e.store.acts {
			if a.Type == TypeIssueComment && !strings.Contains(a.URL, "issuecomment-"+itoa(cm.ID)) ||
				a.Type == TypePRReviewComment && !strings.Contains(a.URL, "discussion_r"+itoa(rc.ID)) ||
				a.Title == "newer" {
				continue
			}
			out[a.Type] = a.Reactions
		}
		return out
	}
	zero := &connectors.Reactions{}
	if diff := cmp.Diff(map[string]*connectors.Reactions{
		TypeIssueOpened: zero, TypePROpened: zero, TypeIssueComment: zero, TypePRReviewComment: zero,
	}, byType()); diff != "" {
		t.Fatalf("reactions after backfill (-want +got):\n%s", diff)
	}

	e.clk.Advance(time.Hour)
	must(e.srv.React("rollcall-demo", "alpha", githubtest.ReactIssue, int64(is.Number), "+1"))
	must(e.srv.React("rollcall-demo", "alpha", githubtest.ReactIssue, int64(is.Number), "heart"))
	must(e.srv.React("rollcall-demo", "alpha", githubtest.ReactIssue, int64(pr.Number), "rocket"))
	must(e.srv.React("rollcall-demo", "alpha", githubtest.ReactComment, cm.ID, "laugh"))
	must(e.srv.React("rollcall-demo", "alpha", githubtest.ReactReviewComment, rc.ID, "eyes"))
	must(e.srv.React("rollcall-demo", "alpha", githubtest.ReactReviewComment, rc.ID, "eyes"))
	if err := e.srv.React("rollcall-demo", "alpha", githubtest.ReactComment, cm.ID, "thumbsup"); err == nil {
		t.Error("React accepted an unknown content")
	}
	e.srv.ResetLog()
	e.mustSync()
	if diff := cmp.Diff(map[string]*connectors.Reactions{
		TypeIssueOpened:     {Total: 2, ByKind: map[string]int{"+1": 1, "heart": 1}},
		TypePROpened:        {Total: 1, ByKind: map[string]int{"rocket": 1}},
		TypeIssueComment:    {Total: 1, ByKind: map[string]int{"laugh": 1}},
		TypePRReviewComment: {Total: 2, ByKind: map[string]int{"eyes": 2}},
	}, byType()); diff != "" {
		t.Errorf("reactions after the next pass (-want +got):\n%s", diff)
	}
	texts := map[string]string{}
	for _, a := range e.store.acts {
		if a.Title != "newer" {
			texts[a.Type+":"+a.URL] = a.Text
		}
	}
	for _, w := range []struct{ typ, url, text string }{
		{TypeIssueOpened, "/issues/" + itoa(int64(is.Number)), "It breaks when I poll:"},
		{TypeIssueComment, "issuecomment-" + itoa(cm.ID), "same here"},
		{TypePRReviewComment, "discussion_r" + itoa(rc.ID), "nit"},
	} {
		found := false
		for k, text := range texts {
			if strings.HasPrefix(k, w.typ+":") && strings.HasSuffix(k, w.url) {
				found = true
				if text != w.text {
					t.Errorf("%s %s: text %q, want %q", w.typ, w.url, text, w.text)
				}
			}
		}
		if !found {
			t.Errorf("no %s with URL %s", w.typ, w.url)
		}
	}
	for _, a := range e.store.acts {
		if a.Type == TypeIssueComment && strings.Contains(a.URL, "issuecomment-"+itoa(cm.ID)) && !strings.HasSuffix(a.ParentKey, "/issue_opened/"+itoa(is.ID)) {
			t.Errorf("refreshed comment has parent %q", a.ParentKey)
		}
	}
	for _, r := range e.srv.Requests() {
		if strings.Contains(r.Path, "/reactions") {
			t.Errorf("read reactions per item: %s", r.Path)
		}
	}

	e.srv.ResetLog()
	e.mustSync()
	if e.srv.Counted() != 0 {
		t.Errorf("idle pass after the refresh: %d counted requests, want 0", e.srv.Counted())
	}

	// Within the hour after a refresh, a pass does not refresh again: a
	// new reaction shows with the first pass an hour after the last
	// refresh, not before.
	refreshes := func() int {
		n := 0
		for _, r := range e.srv.Requests() {
			if q := r.RawQuery; strings.Contains(q, "sort=created") && strings.Contains(q, "direction=desc") {
				n++
			}
		}
		return n
	}
	must(e.srv.React("rollcall-demo", "alpha", githubtest.ReactIssue, int64(is.Number), "hooray"))
	e.clk.Advance(30 * time.Minute)
	e.srv.ResetLog()
	e.mustSync()
	if n := refreshes(); n != 0 {
		t.Errorf("a pass 30 minutes after the refresh made %d refresh requests, want none", n)
	}
	if got := byType()[TypeIssueOpened]; got.Total != 2 {
		t.Errorf("issue reactions %+v 30 minutes after the refresh, want the 2 of the last refresh", got)
	}
	e.clk.Advance(30 * time.Minute)
	e.srv.ResetLog()
	e.mustSync()
	if n := refreshes(); n != 3 {
		t.Errorf("a pass an hour after the refresh made %d refresh requests, want 3 (issues, comments, review comments)", n)
	}
	if got := byType()[TypeIssueOpened]; got.Total != 3 {
		t.Errorf("issue reactions %+v an hour after the refresh, want 3", got)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
