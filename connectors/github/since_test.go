package github

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

func TestAdvanceSince(t *testing.T) {
	w0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	later := w0.Add(time.Hour)
	tests := []struct {
		name           string
		seen           time.Time
		page, n, next  int
		newest, final  time.Time
		wantW, wantSen time.Time
		wantPage       int
		wantDone       bool
	}{
		{"empty page ends the pass", time.Time{}, 0, 0, 0, time.Time{}, time.Time{}, w0, time.Time{}, 0, true},
		{"small last first page keeps the watermark", time.Time{}, 0, 3, 0, later, time.Time{}, w0, later, 0, true},
		{"a page short of full is still kept", time.Time{}, 0, perPage - 1, 0, later, time.Time{}, w0, later, 0, true},
		{"kept again with nothing newer keeps seen", later, 0, 2, 0, later, time.Time{}, w0, later, 0, true},
		{"a small page at the watermark changes nothing", time.Time{}, 0, 1, 0, w0, time.Time{}, w0, time.Time{}, 0, true},
		{"a full last page moves the watermark and asks again", time.Time{}, 0, perPage, 0, later, time.Time{}, later, time.Time{}, 0, false},
		{"a full page moves the watermark", later, 0, perPage, 2, later.Add(time.Hour), time.Time{}, later.Add(time.Hour), time.Time{}, 0, false},
		{"a small page after the first is not kept", time.Time{}, 3, 2, 0, later, time.Time{}, later, time.Time{}, 0, false},
		{"a full page at the watermark follows the next page", time.Time{}, 0, perPage, 2, w0, time.Time{}, w0, time.Time{}, 2, false},
		{"the last page at the watermark ends the pass", time.Time{}, 2, perPage, 0, w0, time.Time{}, w0, time.Time{}, 0, true},
		{"a kept page read well after its newest item: seen is the read's final time", time.Time{}, 0, 3, 0, later, later.Add(time.Minute), w0, later.Add(time.Minute), 0, true},
		{"a kept page read in its newest item's second: seen is that item", time.Time{}, 0, 3, 0, later, later.Add(-time.Second), w0, later, 0, true},
		{"a full page moves the watermark to its newest item, not the final time", time.Time{}, 0, perPage, 2, later, later.Add(time.Minute), later, time.Time{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, seen, page := w0, tt.seen, tt.page
			done := advanceSince(&w, &seen, &page, tt.n, tt.newest, tt.final, tt.next)
			if !w.Equal(tt.wantW) || !seen.Equal(tt.wantSen) || page != tt.wantPage || done != tt.wantDone {
				t.Errorf("w %v seen %v page %d done %v; want %v %v %d %v", w, seen, page, done, tt.wantW, tt.wantSen, tt.wantPage, tt.wantDone)
			}
			if got := readTo(w, seen); got.Before(w) || got.Before(seen) {
				t.Errorf("readTo = %v, before w %v or seen %v", got, w, seen)
			}
		})
	}
}

// TestSinceKeptAfterSmallLastPage: a `since` listing whose only page holds
// few items is not asked again from its newest item. The next pass asks
// the same URL (a free 304 when idle); after a change it reads the new
// items in one request, the ones read before come in the same page and are
// neither stored again nor, for a pull request, queued for its reviews
// again, unless they were read in the second of their updated_at; and the
// reaction refresh still updates the items read past the kept watermark.
func TestSinceKeptAfterSmallLastPage(t *testing.T) {
	e := newEnv(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const o, n = "rollcall-demo", "alpha"
	e.srv.AddUser(githubtest.User{Login: "ann"})
	e.srv.AddUser(githubtest.User{Login: "bob"})
	_, err := e.srv.AddRepo(githubtest.Repo{Owner: o, Name: n})
	must(err)
	at := testNow.Add(-48 * time.Hour)
	is, err := e.srv.AddIssue(o, n, githubtest.Issue{User: "ann", Title: "it breaks", CreatedAt: at})
	must(err)
	pr, err := e.srv.AddPull(o, n, githubtest.Issue{User: "bob", Title: "fix", CreatedAt: at.Add(time.Hour)})
	must(err)
	_, err = e.srv.AddReview(o, n, githubtest.Review{Pull: pr.Number, User: "ann", State: githubtest.ReviewApproved, SubmittedAt: at.Add(2 * time.Hour)})
	must(err)
	_, err = e.srv.AddComment(o, n, githubtest.Comment{Issue: is.Number, User: "bob", Body: "same here", CreatedAt: at.Add(3 * time.Hour)})
	must(err)
	_, err = e.srv.AddReviewComment(o, n, githubtest.ReviewComment{Pull: pr.Number, User: "ann", Body: "nit", Path: "a.go", CreatedAt: at.Add(4 * time.Hour)})
	must(err)

	// walks counts, by path, the since-walk requests (sort=updated) of the
	// log, and how many were counted.
	walks := func() (asked, counted map[string]int) {
		asked, counted = map[string]int{}, map[string]int{}
		for _, r := range e.srv.Requests() {
			if strings.Contains(r.RawQuery, "sort=updated") {
				asked[r.Path]++
				if r.Counted {
					counted[r.Path]++
				}
			}
		}
		return asked, counted
	}
	api := "/api/v3/repos/" + o + "/" + n
	listings := []string{api + "/issues", api + "/issues/comments", api + "/pulls/comments"}

	e.mustSync()
	asked, _ := walks()
	for _, p := range listings {
		if asked[p] != 1 {
			t.Errorf("backfill asked %s %d times, want once (no request from its newest item)", p, asked[p])
		}
	}
	stored := len(e.store.acts)

	e.srv.ResetLog()
	e.mustSync()
	if c := e.srv.Counted(); c != 0 {
		t.Errorf("idle pass after the backfill: %d counted requests, want 0", c)
	}
	asked, _ = walks()
	for _, p := range listings {
		if asked[p] != 1 {
			t.Errorf("idle pass asked %s %d times, want once", p, asked[p])
		}
	}

	// A change: a new issue and a comment on it. The pull request and the
	// old comment come in the same pages, read before. (Within the hour,
	// so that the reaction refresh, which hands over every item read, does
	// not run.)
	e.clk.Advance(10 * time.Minute)
	now := e.clk.Now()
	is2, err := e.srv.AddIssue(o, n, githubtest.Issue{User: "ann", Title: "and this", CreatedAt: now})
	must(err)
	_, err = e.srv.AddComment(o, n, githubtest.Comment{Issue: is2.Number, User: "bob", Body: "seen", CreatedAt: now})
	must(err)
	e.store.emitted = map[string]int{}
	e.srv.ResetLog()
	e.mustSync()
	asked, counted := walks()
	for _, p := range listings[:2] {
		if asked[p] != 1 || counted[p] != 1 {
			t.Errorf("pass after the change asked %s %d times (%d counted), want once", p, asked[p], counted[p])
		}
	}
	if got := len(e.store.acts); got != stored+2 {
		t.Errorf("store holds %d activities after the change, want %d", got, stored+2)
	}
	// What was read before is skipped: the old issue, and the pull request
	// and the old comment, though they were the newest read. That read's
	// Date came after their updated_at, so nothing changed them after it
	// in their second (finalBefore). (The review comments' listing did not
	// change: a 304.)
	want := map[string]int{TypeIssueOpened: 1, TypeIssueComment: 1}
	if diff := cmp.Diff(want, e.store.emitted); diff != "" {
		t.Errorf("pass after the change handed over (-want +got):\n%s", diff)
	}

	// Idle again: free.
	e.srv.ResetLog()
	e.mustSync()
	if c := e.srv.Counted(); c != 0 {
		t.Errorf("idle pass after the change: %d counted requests, want 0", c)
	}

	// The new issue and its comment were read in their own second (the
	// fake's clock stood still): either may have changed after the read,
	// so the next change of their listing reads them again: the issue,
	// beside the new one. (The comments' listing did not change: a 304.)
	e.clk.Advance(10 * time.Minute)
	if _, err := e.srv.AddIssue(o, n, githubtest.Issue{User: "bob", Title: "one more", CreatedAt: e.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	e.store.emitted = map[string]int{}
	e.mustSync()
	want = map[string]int{TypeIssueOpened: 2}
	if diff := cmp.Diff(want, e.store.emitted); diff != "" {
		t.Errorf("pass after a read in the items' own second handed over (-want +got):\n%s", diff)
	}

	// A reaction on the new issue, read past the kept watermark, shows
	// with the next refresh.
	must(e.srv.React(o, n, githubtest.ReactIssue, int64(is2.Number), "heart"))
	e.clk.Advance(time.Hour)
	e.mustSync()
	found := false
	for _, a := range e.store.acts {
		if a.Type == TypeIssueOpened && a.Title == "and this" {
			found = true
			if a.Reactions == nil || a.Reactions.Total != 1 {
				t.Errorf("new issue's reactions after the refresh: %+v, want 1", a.Reactions)
			}
		}
	}
	if !found {
		t.Error("new issue not stored")
	}
}

func TestFinalBefore(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, date string
		want       time.Time
	}{
		{"a minute before the Date", at.Format(http.TimeFormat), at.Add(-time.Minute)},
		{"no Date", "", time.Time{}},
		{"a Date that does not parse", "yesterday", time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.date != "" {
				h.Set("Date", tt.date)
			}
			got := finalBefore(&github.Response{Response: &http.Response{Header: h}})
			if !got.Equal(tt.want) {
				t.Errorf("finalBefore = %v, want %v", got, tt.want)
			}
		})
	}
	if got := finalBefore(nil); !got.IsZero() {
		t.Errorf("finalBefore(nil) = %v, want zero", got)
	}
}
