package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/identity"
	"github.com/rollcall-dev/rollcall/web"
)

// The payloads stored in names, titles and links: none may run or link.
const (
	scriptName  = `<script>alert("name")</script>Ann`
	imgName     = `<img src=x onerror=alert(2)>Bo`
	scriptTitle = `<script>alert("title")</script>`
	htmlTitle   = `<b onclick="alert(5)">bold</b>`
	jsURL       = `javascript:alert(1)`
	dataURL     = `data:text/html,<script>alert(3)</script>`
	jsURLUpper  = ` JaVaScRiPt:alert(4)`
)

// secretExcerpt is the text excerpt of two of ann's activities: no page
// or JSON reply may show it.
const secretExcerpt = "zorp excerpt never shown"

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func ref(platform, id string) connectors.AccountRef {
	return connectors.AccountRef{Platform: platform, Instance: platform + ".test", ExternalID: id}
}

// fixture is a real SQLite store with four accounts (ann on GitHub and
// Mastodon, merged by hand; bo; carol), activities carrying the payloads,
// and one open suggestion (bo ~ carol); newFixture builds one for a test
// or a fuzz target.
type fixture struct {
	store           *sqlite.Store
	srv             *web.Server
	ann, bo, carol  int64
	suggestion      int64
	sources         *fakeSources
	annGitHub, boGH connectors.AccountRef
}

type fakeSources struct{ list []web.SourceStatus }

func (f *fakeSources) SourceStatuses() []web.SourceStatus { return f.list }

func newFixture(t testing.TB, auth *web.Auth) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = func() time.Time { return now }
	annGH, annMa, boGH, carolDi := ref("github", "1"), ref("mastodon", "2"), ref("github", "3"), ref("discourse", "4")
	act := func(key string, actor connectors.AccountRef, typ string, at time.Time, title, u string) connectors.Activity {
		return connectors.Activity{Key: actor.Platform + "/" + actor.Instance + "/" + typ + "/" + key, Platform: actor.Platform, Instance: actor.Instance,
			Type: typ, OccurredAt: at, Actor: actor, Title: title, URL: u, Channel: "o/r"}
	}
	// ann's post and comment carry reaction counts and a text excerpt:
	// pages and JSON show the counts, never the excerpt.
	post := act("3", annMa, "post", now.Add(-2*24*time.Hour), "hello fediverse", "https://mastodon.test/@ann_m/3")
	post.Reactions = connectors.ReactionsOf(map[string]int{connectors.ReactionFavourite: 2, connectors.ReactionReblog: 1})
	post.Text = secretExcerpt
	comment := act("4", annGH, "issue_comment", now.Add(-1*24*time.Hour), "A fine comment", dataURL)
	comment.Reactions = connectors.ReactionsOf(map[string]int{"heart": 3, "+1": 1})
	comment.Text = secretExcerpt
	b := connectors.Batch{
		Accounts: []connectors.Account{
			{AccountRef: annGH, Username: "ann", Name: scriptName, URL: jsURL},
			{AccountRef: annMa, Username: "ann_m", Name: "Ann", URL: "https://mastodon.test/@ann_m"},
			{AccountRef: boGH, Username: "bo", Name: imgName, URL: dataURL},
			{AccountRef: carolDi, Username: "carol", Name: "Carol Kim", URL: "https://discourse.test/u/carol", Staff: true},
		},
		Activities: []connectors.Activity{
			act("1", annGH, "pr_opened", now.Add(-30*24*time.Hour), scriptTitle, jsURL),
			act("2", annGH, "pr_merged", now.Add(-29*24*time.Hour), htmlTitle, jsURLUpper),
			post,
			comment,
			act("5", boGH, "issue_opened", now.Add(-10*24*time.Hour), "Bo's issue", "https://github.test/o/r/issues/5"),
			act("6", carolDi, "topic_created", now.Add(-3*24*time.Hour), "Hello forum", "https://discourse.test/t/6"),
		},
		Done: true,
	}
	if _, err := st.Apply(ctx, "test", b); err != nil {
		t.Fatal(err)
	}
	if _, err := (&identity.Resolver{}).Run(ctx, st); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, annGitHub: annGH, boGH: boGH, sources: &fakeSources{}}
	if _, err := st.Merge(ctx, annGH, annMa, "test", "same person"); err != nil {
		t.Fatal(err)
	}
	if err := st.ReplaceSuggestions(ctx, []crm.Suggestion{{A: boGH, B: carolDi, Confidence: 0.62, Reasons: []string{"the same <i>avatar</i>"}}}); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		p, u string
		id   *int64
	}{{"github", "ann", &f.ann}, {"github", "bo", &f.bo}, {"discourse", "carol", &f.carol}} {
		m, err := st.MemberByUsername(ctx, x.p, x.u)
		if err != nil {
			t.Fatalf("member of %s:%s: %v", x.p, x.u, err)
		}
		*x.id = m.ID
	}
	ss, err := st.Suggestions(ctx, crm.SuggestionOpen)
	if err != nil || len(ss) != 1 {
		t.Fatalf("suggestions = %v, %v; want one", ss, err)
	}
	f.suggestion = ss[0].ID
	f.sources.list = []web.SourceStatus{{Name: "github", Type: "github", LastSync: now.Add(-time.Minute), LastSuccess: now.Add(-time.Minute),
		NextSync: now.Add(9 * time.Minute), RateKnown: true, RateLimit: 5000, RateRemaining: 4321, Activities: 12345, Accounts: 67,
		LeaseHolder: "vm1:4242:1a2b3c4d", LeaseHere: true, LeaseExpires: now.Add(time.Minute)},
		{Name: "forum", Type: "discourse", LeaseHolder: "vm2:77:9f8e7d6c", Elsewhere: true, LeaseExpires: now.Add(40 * time.Second)}}
	// Through the page cache, as the daemon serves them: every test of a
	// page after a change proves the cache serves the store as it is.
	f.srv, err = web.New(web.Options{Members: st, Decisions: st, Sources: f.sources, Scores: st, Auth: auth, Now: func() time.Time { return now }, Version: "test", DataVersion: st})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type response struct {
	code int
	body string
	hdr  http.Header
}

// do sends a request to the fixture's server; body, when not empty, is
// JSON for the API or a form for pages (by content type).
func (f *fixture) do(t *testing.T, method, target, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" {
		if strings.HasPrefix(target, "/api/") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return response{code: w.Code, body: w.Body.String(), hdr: w.Header()}
}

func itoa(n int64) string { return jsonNumber(n) }

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestAPI(t *testing.T) {
	f := newFixture(t, nil)
	ann, bo, carol := itoa(f.ann), itoa(f.bo), itoa(f.carol)
	sug := itoa(f.suggestion)
	tests := []struct {
		name, method, target, body string
		code                       int
		want                       []string // substrings of the body
	}{
		{"members", "GET", "/api/v1/members", "", 200, []string{`"members": [`, `"next_cursor": ""`, `"username": "ann"`, `"username": "carol"`}},
		{"members search", "GET", "/api/v1/members?q=caro", "", 200, []string{`"username": "carol"`}},
		{"members platform", "GET", "/api/v1/members?platform=discourse", "", 200, []string{`"username": "carol"`}},
		{"members type", "GET", "/api/v1/members?type=topic_created", "", 200, []string{`"username": "carol"`}},
		{"members since", "GET", "/api/v1/members?since=2026-03-09", "", 200, []string{`"username": "ann_m"`}},
		{"members sort", "GET", "/api/v1/members?sort=newest&limit=1", "", 200, []string{`"next_cursor": "`}},
		{"members bad sort", "GET", "/api/v1/members?sort=loudest", "", 400, []string{`"error": "sort must be active, newest or last_seen, not \"loudest\""`}},
		{"members bad limit", "GET", "/api/v1/members?limit=0", "", 400, []string{`"error": "limit must be`}},
		{"members bad since", "GET", "/api/v1/members?since=yesterday", "", 400, []string{`"error": "since must be`}},
		{"members bad cursor", "GET", "/api/v1/members?cursor=!!", "", 400, []string{`"error":`}},
		{"member", "GET", "/api/v1/members/" + ann, "", 200, []string{`"id": ` + ann, `"username": "ann_m"`}},
		{"member role", "GET", "/api/v1/members/" + carol, "", 200, []string{`"role": "staff"`}},
		{"member without role", "GET", "/api/v1/members/" + ann, "", 200, []string{`"role": ""`}},
		{"journey role", "GET", "/api/v1/members/" + carol + "/journey", "", 200, []string{`"role": "staff"`}},
		{"member missing", "GET", "/api/v1/members/999999", "", 404, []string{`"error": "no member with id 999999"`}},
		{"member not a number", "GET", "/api/v1/members/abc", "", 404, []string{`"error": "no member with id \"abc\""`}},
		{"journey", "GET", "/api/v1/members/" + ann + "/journey?limit=2", "", 200, []string{`"activities": [`, `"milestones": [`, `"chart": {`, `"next_cursor": "`, `"join": {`}},
		{"journey reactions", "GET", "/api/v1/members/" + ann + "/journey?limit=2", "", 200, []string{
			`"reactions": {
        "total": 4,
        "by_kind": {
          "+1": 1,
          "heart": 3
        }
      }`, `"reactions": {
        "total": 3,
        "by_kind": {
          "favourite": 2,
          "reblog": 1
        }
      }`}},
		{"journey missing", "GET", "/api/v1/members/999999/journey", "", 404, []string{`"error": "no member with id 999999"`}},
		{"journey bad cursor", "GET", "/api/v1/members/" + ann + "/journey?cursor=zzz", "", 400, []string{`"error":`}},
		{"suggestions", "GET", "/api/v1/suggestions", "", 200, []string{`"suggestions": [`, `"confidence": 0.62`, `"member_b": ` + bo}},
		{"suggestions all", "GET", "/api/v1/suggestions?status=all", "", 200, []string{`"status": "open"`}},
		{"suggestions bad status", "GET", "/api/v1/suggestions?status=maybe", "", 400, []string{`"error": "status must be`}},
		{"sources", "GET", "/api/v1/sources", "", 200, []string{`"sources": [`, `"rate_remaining": 4321`, `"activities": 12345`,
			`"lease_holder": "vm1:4242:1a2b3c4d"`, `"lease_here": true`, `"state": "elsewhere"`, `"lease_holder": "vm2:77:9f8e7d6c"`}},
		{"merge bad json", "POST", "/api/v1/merge", `{"a":`, 400, []string{`"error": "the request body is not valid`}},
		{"merge unknown field", "POST", "/api/v1/merge", `{"a":"1","b":"2","c":3}`, 400, []string{`"error": "unknown field \"c\""`}},
		{"merge missing b", "POST", "/api/v1/merge", `{"a":"1"}`, 400, []string{`"error": "merge needs`}},
		{"merge bad spec", "POST", "/api/v1/merge", `{"a":"ann","b":"github:bo"}`, 400, []string{`"error": "MEMBER must be a member id or platform:username, not \"ann\""`}},
		{"merge unknown member", "POST", "/api/v1/merge", `{"a":"github:nobody","b":"github:bo"}`, 404, []string{`"error": "no member has the github account \"nobody\""`}},
		{"merge same member", "POST", "/api/v1/merge", `{"a":"github:ann","b":"mastodon:ann_m"}`, 200, []string{`"already": true`, `"merged": []`}},
		{"unmerge missing identity", "POST", "/api/v1/unmerge", `{"member":` + bo + `}`, 400, []string{`"error": "unmerge needs`}},
		{"unmerge foreign identity", "POST", "/api/v1/unmerge", `{"member":` + bo + `,"identity":"discourse:carol"}`, 404, []string{`"error": "member ` + bo + ` has no identity \"discourse:carol\""`}},
		{"unmerge only identity", "POST", "/api/v1/unmerge", `{"member":"` + carol + `","identity":"discourse:carol"}`, 409, []string{`"error": "unmerge discourse:carol from member ` + carol + `: it is the member's only identity"`}},
		{"accept unknown", "POST", "/api/v1/suggestions/999999/accept", "", 404, []string{`"error": "no suggestion 999999"`}},
		{"reject not a number", "POST", "/api/v1/suggestions/x/reject", "", 404, []string{`"error": "no suggestion \"x\""`}},
		{"wrong method", "DELETE", "/api/v1/members", "", 405, []string{`"error": "method DELETE not allowed: use GET"`}},
		{"wrong method post", "GET", "/api/v1/merge", "", 405, []string{`"error": "method GET not allowed: use POST"`}},
		{"unknown endpoint", "GET", "/api/v1/nothing", "", 404, []string{`"error": "no such endpoint"`}},
		// Decisions last: they change the store.
		{"reject", "POST", "/api/v1/suggestions/" + sug + "/reject", "", 200, []string{`"status": "rejected"`}},
		{"reject twice", "POST", "/api/v1/suggestions/" + sug + "/accept", "", 409, []string{`"error": "suggestion ` + sug + ` was already decided"`}},
		{"unmerge", "POST", "/api/v1/unmerge", `{"member":` + ann + `,"identity":"mastodon:ann_m","reason":"two people"}`, 200, []string{`"new_member": {`, `"username": "ann_m"`}},
		{"merge", "POST", "/api/v1/merge", `{"a":"github:ann","b":` + bo + `,"reason":"told us"}`, 200, []string{`"already": false`, `"merged": [`, `"username": "bo"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.target, tt.body)
			if r.code != tt.code {
				t.Errorf("%s %s: status %d, want %d\n%s", tt.method, tt.target, r.code, tt.code, r.body)
			}
			if ct := r.hdr.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !json.Valid([]byte(r.body)) {
				t.Errorf("body is not JSON: %s", r.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("body lacks %s:\n%s", w, r.body)
				}
			}
		})
	}
	// The decisions took effect.
	m, err := f.store.MemberByUsername(t.Context(), "github", "bo")
	if err != nil || m.ID != mustMember(t, f, "github", "ann") {
		t.Errorf("after the merge bo is member %d, ann %d (%v)", m.ID, mustMember(t, f, "github", "ann"), err)
	}
	if mustMember(t, f, "mastodon", "ann_m") == mustMember(t, f, "github", "ann") {
		t.Errorf("after the unmerge ann_m is still with ann")
	}
}

func mustMember(t *testing.T, f *fixture, platform, user string) int64 {
	t.Helper()
	m, err := f.store.MemberByUsername(t.Context(), platform, user)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestAPIPagination(t *testing.T) {
	f := newFixture(t, nil)
	seen := map[float64]bool{}
	cursor := ""
	for page := 0; page < 10; page++ {
		r := f.do(t, "GET", "/api/v1/members?limit=1&cursor="+url.QueryEscape(cursor), "")
		if r.code != 200 {
			t.Fatalf("page %d: %d %s", page, r.code, r.body)
		}
		var p struct {
			Members []struct {
				ID float64 `json:"id"`
			} `json:"members"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Members {
			if seen[m.ID] {
				t.Errorf("member %v on two pages", m.ID)
			}
			seen[m.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(seen) != 3 {
		t.Errorf("paged through %d members, want 3", len(seen))
	}

	// The journey pages through every activity of ann, newest first.
	var keys []string
	cursor = ""
	for page := 0; page < 10; page++ {
		r := f.do(t, "GET", "/api/v1/members/"+itoa(f.ann)+"/journey?limit=3&cursor="+url.QueryEscape(cursor), "")
		var p struct {
			Activities []struct {
				Key        string `json:"key"`
				OccurredAt string `json:"occurred_at"`
			} `json:"activities"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Activities {
			keys = append(keys, a.OccurredAt)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(keys) != 4 {
		t.Fatalf("journey pages hold %d activities, want 4: %v", len(keys), keys)
	}
	for i := 1; i < len(keys); i++ {
		if keys[i] > keys[i-1] {
			t.Errorf("journey not newest first: %v", keys)
		}
	}
}

// TestSuggestionsPaged: the review page shows ten suggestions at a time,
// highest confidence first, with the total and links to the other pages.
func TestSuggestionsPaged(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	var ss []crm.Suggestion
	for i := range 23 {
		ss = append(ss, crm.Suggestion{A: ref("github", "x"+strconv.Itoa(i)), B: ref("discourse", "y"+strconv.Itoa(i)),
			Confidence: 0.5 + float64(i)/100, Reasons: []string{"reason " + strconv.Itoa(i)}})
	}
	if err := f.store.ReplaceSuggestions(ctx, ss); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target    string
		n         int
		want, not []string
	}{
		{"/suggestions", 10, []string{"23 open suggestions", "Showing 1–10", `href="/suggestions?page=2"`, "reason 22"}, []string{"rel=\"prev\"", "reason 12<"}},
		{"/suggestions?page=2", 10, []string{"Showing 11–20", `href="/suggestions?page=1"`, `href="/suggestions?page=3"`, "reason 12"}, []string{"reason 22"}},
		{"/suggestions?page=3", 3, []string{"Showing 21–23", `href="/suggestions?page=2"`, "reason 0"}, []string{"rel=\"next\""}},
		{"/suggestions?page=99", 3, []string{"Showing 21–23"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			r := f.do(t, "GET", tt.target, "")
			if r.code != 200 {
				t.Fatalf("GET %s = %d", tt.target, r.code)
			}
			if n := strings.Count(r.body, `data-testid="suggestion" `); n != tt.n {
				t.Errorf("%d suggestions on the page, want %d", n, tt.n)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(r.body, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

// TestChampionsAPI: GET /api/v1/champions is LoadChampions as the CLI
// prints it, over a real store with the fixture's batch, and validates
// its parameters as the other routes do.
func TestChampionsAPI(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.store.EvaluateLevels(t.Context(), crm.DefaultScoring(), now, false); err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{Members: f.store, Decisions: f.store, Scores: f.store, Now: func() time.Time { return now }, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string) response {
		req := httptest.NewRequest("GET", target, nil)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return response{code: w.Code, body: w.Body.String(), hdr: w.Header()}
	}
	tests := []struct {
		target string
		code   int
		want   []string
	}{
		{"/api/v1/champions", 200, []string{`"kind": "champions"`, `"formula": "score = `, `"rank": 1`, `"breakdown": [`}},
		{"/api/v1/champions?include_staff=1", 200, []string{`"role": "staff"`}},
		{"/api/v1/champions?platform=discourse", 200, []string{`"platform": "discourse"`, `"champions": []`}},
		{"/api/v1/champions?rising=1&period=30d", 200, []string{`"kind": "rising"`, `"period": "720h0m0s"`}},
		{"/api/v1/champions?slipping=1", 200, []string{`"kind": "slipping"`}},
		{"/api/v1/champions?top=0", 400, []string{`"error": "top must be`}},
		{"/api/v1/champions?platform=myspace", 400, []string{`"error": "platform must be one of github, mastodon, discourse, stackoverflow, not \"myspace\""`}},
		{"/api/v1/champions?rising=1&slipping=1", 400, []string{`"error": "rising and slipping are two different lists: pass one"`}},
		{"/api/v1/champions?period=soon", 400, []string{`"error": "period must be`}},
		{"/api/v1/champions?rising=maybe", 400, []string{`"error": "rising must be 1 or 0`}},
		{"/api/v1/members/" + itoa(f.ann) + "/journey", 200, []string{`"level": {`, `"level_history": [`, `"love": {`}},
		{"/champions", 200, []string{`data-testid="champions-table"`, `data-testid="champion-details"`, "Ranked by score:"}},
		{"/champions?slipping=1", 200, []string{"No regular has gone quiet"}},
		{"/members", 200, []string{`data-testid="member-level"`}},
		{"/members/" + itoa(f.ann), 200, []string{`data-testid="journey-level"`, `data-testid="level-history"`}},
	}
	for _, tt := range tests {
		r := get(tt.target)
		if r.code != tt.code {
			t.Errorf("GET %s: status %d, want %d\n%s", tt.target, r.code, tt.code, r.body)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.body, w) {
				t.Errorf("GET %s lacks %s:\n%s", tt.target, w, r.body)
			}
		}
	}
	// The API gives what LoadChampions gives (the CLI's --format json).
	list, err := crm.DefaultScoring().LoadChampions(t.Context(), f.store, crm.ChampionsOptions{Now: now, Top: 20, Period: 30 * 24 * time.Hour}, false)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(list, "", "  ")
	if got := get("/api/v1/champions").body; got != string(want)+"\n" {
		t.Errorf("API reply differs from LoadChampions:\n%s\nwant\n%s", got, want)
	}
}
