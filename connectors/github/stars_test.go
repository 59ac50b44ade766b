package github

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// TestStarsStartOnLastPage: each pass asks the stargazer list from its last
// page, one request when nothing changed or the new stars fit on it; when
// stars before it were removed, so that new ones begin on an earlier page,
// the pass steps back until a page begins with a star read before, and
// no new star is lost.
func TestStarsStartOnLastPage(t *testing.T) {
	e := newEnv(t)
	const o, n = "rollcall-demo", "alpha"
	if _, err := e.srv.AddRepo(githubtest.Repo{Owner: o, Name: n}); err != nil {
		t.Fatal(err)
	}
	at := testNow.Add(-30 * 24 * time.Hour)
	next := 0
	star := func(k int) []string {
		t.Helper()
		var logins []string
		for range k {
			login := fmt.Sprintf("fan%03d", next)
			e.srv.AddUser(githubtest.User{Login: login})
			if err := e.srv.AddStar(o, n, login, at.Add(time.Duration(next)*time.Minute)); err != nil {
				t.Fatal(err)
			}
			logins = append(logins, login)
			next++
		}
		return logins
	}
	unstar := func(logins []string) {
		t.Helper()
		for _, l := range logins {
			if err := e.srv.RemoveStar(o, n, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	// pages returns the stargazer pages the log shows asked, in order.
	pages := func() []string {
		var out []string
		for _, r := range e.srv.Requests() {
			if strings.HasSuffix(r.Path, "/stargazers") {
				for _, kv := range strings.Split(r.RawQuery, "&") {
					if p, ok := strings.CutPrefix(kv, "page="); ok {
						out = append(out, p)
					}
				}
			}
		}
		return out
	}
	stored := func(logins []string) {
		t.Helper()
		for _, l := range logins {
			found := false
			for _, a := range e.store.acts {
				if a.Type == TypeStar && strings.HasSuffix(a.URL, "/"+l) {
					found = true
				}
			}
			if !found {
				t.Errorf("the star of %s is not stored", l)
			}
		}
	}

	first := star(250) // pages 1 and 2 full, 50 on page 3
	e.mustSync()
	stored(first)

	// The counts below: removed are among the first 250 stars; the list's
	// length after each step is in the comment.
	steps := []struct {
		name      string
		removed   int // of the oldest first stars still there
		added     int
		wantPages string
	}{
		{"idle: the last page only, a 304", 0, 0, "3"},                              // 250
		{"new stars that fit on the last page", 0, 10, "3"},                         // 260
		{"the last page fills: probe the next", 0, 40, "3 4"},                       // 300
		{"stars removed before the last page, the new ones on it", 70, 20, "3"},     // 250
		{"the last page empties: step back", 110, 20, "3 2"},                        // 160
		{"new stars begin on the page before: step back, then on", 70, 30, "2 1 2"}, // 120
		{"idle again", 0, 0, "2"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			var gone []string
			for _, l := range first {
				if len(gone) == s.removed {
					break
				}
				gone = append(gone, l)
			}
			first = first[len(gone):]
			unstar(gone)
			added := star(s.added)
			e.clk.Advance(10 * time.Minute)
			e.srv.ResetLog()
			e.mustSync()
			if got := strings.Join(pages(), " "); got != s.wantPages {
				t.Errorf("pages asked %q, want %q", got, s.wantPages)
			}
			stored(added)
		})
	}
}
