package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/web"
)

// cellText returns the text of the element with data-testid id inside
// the part of body that starts at after (tags removed, entities decoded).
func cellText(t *testing.T, body, after, id string) string {
	t.Helper()
	i := strings.Index(body, after)
	if i < 0 {
		t.Fatalf("page lacks %s", after)
	}
	m := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</t[dh]>`).FindStringSubmatch(body[i:])
	if m == nil {
		t.Fatalf("page lacks the cell %s after %s", id, after)
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], ""))
}

func pctText(f *float64) string {
	if f == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *f*100)
}

// TestHealthPage: /health shows, in its tables, the numbers that
// /api/v1/health gives for the same query.
func TestHealthPage(t *testing.T) {
	f := newFixture(t, nil)
	for _, q := range []string{"", "?include_staff=1", "?period=7d&platform=github", "?period=90d", "?period=36h"} {
		t.Run("query"+q, func(t *testing.T) {
			api := f.do(t, "GET", "/api/v1/health"+q, "")
			var rep crm.HealthReport
			if err := json.Unmarshal([]byte(api.body), &rep); err != nil {
				t.Fatalf("%s: %v", api.body, err)
			}
			r := f.do(t, "GET", "/health"+q, "")
			if r.code != 200 {
				t.Fatalf("GET /health%s: %d\n%s", q, r.code, r.body)
			}
			b := r.body
			for _, w := range []string{`<h1>Community health</h1>`, `data-testid="nav-health" aria-current="page"`, `<form class="search health-form" method="get" action="/health"`,
				`New: first activity in the period.`, `role="img"`, `<caption>`, `heat-`, `data-testid="retention-chart"`, `data-testid="sentiment-chart"`} {
				if !strings.Contains(b, w) {
					t.Errorf("GET /health%s lacks %s", q, w)
				}
			}
			if rep.Active.ChangePP != nil && !strings.Contains(b, `&nbsp;<abbr title="percentage points">pp</abbr>`) {
				t.Errorf("GET /health%s: no pp with its title", q)
			}
			if strings.Contains(b, secretExcerpt) {
				t.Errorf("GET /health%s shows a text excerpt", q)
			}
			if got, want := cellText(t, b, `data-testid="members-table"`, "new-current"), fmt.Sprint(rep.Growth.Current); got != want {
				t.Errorf("new members: page %q, JSON %q", got, want)
			}
			if got, want := cellText(t, b, `data-testid="members-table"`, "new-previous"), fmt.Sprint(rep.Growth.Previous); got != want {
				t.Errorf("new members before: page %q, JSON %q", got, want)
			}
			a := rep.Active.Current
			if got, want := cellText(t, b, `data-testid="members-table"`, "active-current"), fmt.Sprintf("%s (%d of %d)", pctText(a.Ratio), a.Active, a.Members); got != want {
				t.Errorf("active: page %q, JSON %q", got, want)
			}
			for _, x := range rep.FirstResponse {
				at := `data-kind="` + x.Platform + "-" + x.Kind + `"`
				if got, want := cellText(t, b, at, "unanswered-current"), fmt.Sprint(x.Current.Unanswered); got != want {
					t.Errorf("%s unanswered: page %q, JSON %q", at, got, want)
				}
				if x.Current.P50Seconds == nil && cellText(t, b, at, "p50-current") != "—" {
					t.Errorf("%s median without answered threads is not —", at)
				}
			}
			for _, c := range rep.Retention.Cohorts {
				if got := cellText(t, b, `data-month="`+c.Month+`"`, "cohort-new"); got != fmt.Sprint(c.NewMembers) {
					t.Errorf("cohort %s: page %q, JSON %d", c.Month, got, c.NewMembers)
				}
			}
			for _, p := range rep.Engagement.Platforms {
				want := "—no posts"
				if p.Current.PerPost != nil {
					want = fmt.Sprintf("%.2f%d reactions / %d posts", *p.Current.PerPost, p.Current.Reactions, p.Current.Posts)
				}
				if got := cellText(t, b, `data-platform="`+p.Platform+`"`, "per-post-current"); got != want {
					t.Errorf("%s per post: page %q, JSON %q", p.Platform, got, want)
				}
			}
			s := rep.Sentiment.Current
			if got := cellText(t, b, `data-testid="sentiment-table"`, "texts-current"); got != fmt.Sprint(s.Texts) {
				t.Errorf("texts: page %q, JSON %d", got, s.Texts)
			}
			if s.PositiveShare != nil {
				if got, want := cellText(t, b, `data-testid="sentiment-table"`, "positive-current"), fmt.Sprintf("%s (%d)", pctText(s.PositiveShare), s.Positive); got != want {
					t.Errorf("positive: page %q, JSON %q", got, want)
				}
			}
			for _, th := range rep.Engagement.TopThreads {
				if strings.HasPrefix(th.URL, "https://") && !strings.Contains(b, `href="`+th.URL+`" rel="noopener noreferrer nofollow"`) {
					t.Errorf("top thread %s has no link", th.URL)
				}
			}
		})
	}
	// The form keeps its choices.
	r := f.do(t, "GET", "/health?period=7d&platform=github&include_staff=1", "")
	for _, w := range []string{`<option value="7d" selected>`, `<option value="github" selected>`, `value="1" data-testid="health-staff" checked`, `only GitHub; staff and bots included.`} {
		if !strings.Contains(r.body, w) {
			t.Errorf("the form lacks %s", w)
		}
	}
	for _, bad := range []struct{ q, want string }{
		{"?platform=myspace", `platform must be one of`},
		{"?period=3w", `period &#34;3w&#34;`},
		{"?period=400d", `between 1h and 366d`},
		{"?include_staff=yes", `include_staff must be`},
	} {
		r := f.do(t, "GET", "/health"+bad.q, "")
		if r.code != 400 || !strings.Contains(r.body, bad.want) || !strings.Contains(r.body, `data-testid="error-title"`) {
			t.Errorf("GET /health%s: %d; want a 400 page with %s\n%s", bad.q, r.code, bad.want, r.body)
		}
	}
}

// TestHealthPageEmpty: an empty store says so in plain words.
func TestHealthPageEmpty(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := web.New(web.Options{Members: st, Decisions: st, Scores: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, srv: srv}
	r := f.do(t, "GET", "/health", "")
	if r.code != 200 || !strings.Contains(r.body, `data-testid="health-empty"`) || !strings.Contains(r.body, "There are no members to measure yet") {
		t.Errorf("empty store: %d\n%s", r.code, r.body)
	}
	if strings.Contains(r.body, `role="img"`) {
		t.Error("empty store: the page draws charts")
	}
	f.srv, _ = web.New(web.Options{Members: st, Decisions: st})
	if r := f.do(t, "GET", "/health", ""); r.code != 404 || !strings.Contains(r.body, "not available") {
		t.Errorf("no score reader: %d\n%s", r.code, r.body)
	}
}
