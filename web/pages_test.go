package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/web"
)

func TestPages(t *testing.T) {
	f := newFixture(t, nil)
	ann := itoa(f.ann)
	tests := []struct {
		name, target string
		code         int
		want         []string
	}{
		{"root", "/", 302, nil},
		{"members", "/members", 200, []string{`<h1>Members</h1>`, `data-testid="member-row"`, `Stack Overflow</option>`, `<option value="newest">Newest</option>`}},
		{"members search", "/members?q=carol", 200, []string{`carol`, `data-testid="search-clear"`, `<span class="role role-staff" data-testid="member-role"`}},
		{"journey of staff", "/members/" + itoa(f.carol), 200, []string{`data-testid="member-role"`, `Member ` + itoa(f.carol) + ` <span class="role role-staff" data-testid="member-role"`}},
		{"members none", "/members?q=zzzzzz", 200, []string{`No member matches`}},
		{"members paged", "/members?limit=1", 200, []string{`data-testid="page-next"`, `rel="next"`}},
		{"members bad sort", "/members?sort=loudest", 400, []string{`sort must be active, newest or last_seen`}},
		{"journey", "/members/" + ann, 200, []string{
			`data-testid="member-name"`, `data-testid="identity"`, `data-testid="join-reasons"`, `data-testid="unmerge"`,
			`data-testid="merge-form"`, `data-testid="milestone"`, `First merged pull request`, `<svg class="plot"`, `role="img"`,
			`<title id="chart-title">Activities per week by platform</title>`, `pat-mastodon`, `The chart as a table`,
			`data-testid="timeline-week"`, `Week of Monday`, `rel="noopener noreferrer nofollow"`, `href="https://mastodon.test/@ann_m/3"`,
			`title="Sun 8 Mar 2026 12:00 UTC">2 days ago</time>`,
			`<span class="reactions" data-testid="reactions" title="1 thumbs up, 3 hearts"><span aria-hidden="true">&#43;1 1 · ♥ 3</span><span class="visually-hidden">Reactions: 1 thumbs up, 3 hearts</span></span>`,
			`<span aria-hidden="true">★ 2 · ⟳ 1</span><span class="visually-hidden">Reactions: 2 favourites, 1 boost</span>`,
		}},
		{"journey paged", "/members/" + ann + "?limit=2", 200, []string{`data-testid="timeline-next"`}},
		{"journey missing", "/members/999999", 404, []string{`Not found`, `no member with id 999999`}},
		{"journey not a number", "/members/abc", 404, []string{`no member with id &#34;abc&#34;`}},
		{"suggestions", "/suggestions", 200, []string{`data-testid="suggestion"`, `62% confident`, `data-testid="accept"`, `data-testid="reject"`, `action="/suggestions/` + itoa(f.suggestion) + `/accept"`}},
		{"sources", "/sources", 200, []string{`data-testid="source"`, `4,321 of 5,000 requests left`, `12,345`, `Up to date`,
			`this replica (vm1:4242:1a2b3c4d)`, `Fetched by another replica`, `replica vm2:77:9f8e7d6c, until`, `each counts what it fetched itself`}},
		{"unknown page", "/nowhere", 404, []string{`Page not found`}},
		{"form address", "/suggestions/1/accept", 405, []string{`for a button on another page`}},
		{"stylesheet", "/static/style.css", 200, []string{`.plat-github`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "GET", tt.target, "")
			if r.code != tt.code {
				t.Errorf("GET %s: status %d, want %d\n%s", tt.target, r.code, tt.code, r.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("GET %s lacks %s", tt.target, w)
				}
			}
			if strings.Contains(r.body, secretExcerpt) {
				t.Errorf("GET %s shows a text excerpt", tt.target)
			}
			if strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") {
				if csp := r.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Errorf("CSP = %q", csp)
				}
				if strings.Contains(r.body, "http://") && regexp.MustCompile(`<(link|script|img)[^>]+(src|href)="https?://`).MatchString(r.body) {
					t.Errorf("page loads something from elsewhere")
				}
			}
		})
	}
}

// TestPageDecisions posts the forms as a browser without JavaScript does
// and follows the redirect to the flash message.
func TestPageDecisions(t *testing.T) {
	f := newFixture(t, nil)
	ann := itoa(f.ann)
	same := []string{"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"}
	post := func(target, form string) (string, string) {
		t.Helper()
		r := f.do(t, "POST", target, form, same...)
		if r.code != http.StatusSeeOther {
			t.Fatalf("POST %s: status %d, want 303\n%s", target, r.code, r.body)
		}
		var c string
		for _, sc := range r.hdr.Values("Set-Cookie") {
			if strings.HasPrefix(sc, "rollcall_flash=") {
				c = strings.SplitN(sc, ";", 2)[0]
			}
		}
		loc := r.hdr.Get("Location")
		page := f.do(t, "GET", loc, "", "Cookie", c)
		return loc, page.body
	}
	tests := []struct {
		name, target, form, loc, flash string
	}{
		{"merge nothing", "/members/" + ann + "/merge", "other=", "/members/" + ann, "Say which member to merge with"},
		{"merge unknown", "/members/" + ann + "/merge", "other=github%3Anobody", "/members/" + ann, `no member has the github account &#34;nobody&#34;`},
		{"unmerge", "/members/" + ann + "/unmerge", "identity=mastodon%3Aann_m", "/members/" + ann, "Moved mastodon:ann_m out of member " + ann},
		{"unmerge only", "/members/" + ann + "/unmerge", "identity=github%3Aann", "/members/" + ann, "it is the member&#39;s only identity"},
		{"merge back", "/members/" + ann + "/merge", "other=mastodon%3Aann_m&reason=same", "/members/" + ann, "into member " + ann},
		{"accept", "/suggestions/" + itoa(f.suggestion) + "/accept", "", "/suggestions", "accepted: the two members are now one"},
		{"accept twice", "/suggestions/" + itoa(f.suggestion) + "/reject", "", "/suggestions", "was already decided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, body := post(tt.target, tt.form)
			if loc != tt.loc {
				t.Errorf("redirect to %q, want %q", loc, tt.loc)
			}
			if !strings.Contains(body, `data-testid="flash"`) || !strings.Contains(body, tt.flash) {
				t.Errorf("page after %s lacks the flash %q:\n%s", tt.name, tt.flash, body)
			}
		})
	}
	if mustMember(t, f, "github", "bo") != mustMember(t, f, "discourse", "carol") {
		t.Errorf("accepting the suggestion did not merge bo and carol")
	}
}

func TestCrossOriginRefused(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name, target, body string
		hdr                []string
	}{
		{"api cross-site", "/api/v1/merge", `{"a":"github:ann","b":"github:bo"}`, []string{"Sec-Fetch-Site", "cross-site"}},
		{"api foreign origin", "/api/v1/unmerge", `{"member":"github:ann","identity":"mastodon:ann_m"}`, []string{"Origin", "https://evil.example"}},
		{"page cross-site", "/suggestions/" + itoa(f.suggestion) + "/accept", "x=1", []string{"Sec-Fetch-Site", "cross-site"}},
		{"page foreign origin", "/members/" + itoa(f.ann) + "/unmerge", "identity=mastodon%3Aann_m", []string{"Origin", "https://evil.example"}},
		{"login cross-site", "/login", "name=a&password=b", []string{"Sec-Fetch-Site", "cross-site"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "POST", tt.target, tt.body, tt.hdr...)
			if r.code != http.StatusForbidden {
				t.Errorf("status %d, want 403\n%s", r.code, r.body)
			}
		})
	}
	if mustMember(t, f, "github", "ann") != mustMember(t, f, "mastodon", "ann_m") {
		t.Errorf("a refused unmerge changed the store")
	}
	if mustMember(t, f, "github", "bo") == mustMember(t, f, "discourse", "carol") {
		t.Errorf("a refused accept changed the store")
	}
	// Same-origin browsers and clients without those headers (curl) pass.
	if r := f.do(t, "POST", "/api/v1/merge", `{"a":"github:ann","b":"mastodon:ann_m"}`, "Sec-Fetch-Site", "same-origin"); r.code != 200 {
		t.Errorf("same-origin POST: %d %s", r.code, r.body)
	}
}

const testToken = "0123456789abcdef0123456789abcdef"

// testHash is one hash of "correct horse", computed once: PBKDF2 with
// 600,000 iterations is slow on purpose, slower still under -race.
var testHash = sync.OnceValues(func() (string, error) { return web.HashPassword("correct horse") })

func authFixture(t *testing.T, tls bool) *fixture {
	t.Helper()
	hash, err := testHash()
	if err != nil {
		t.Fatal(err)
	}
	return newFixture(t, &web.Auth{Token: testToken, Users: []web.User{{Name: "ann", PasswordHash: hash}}, TLS: tls,
		TrustedProxyHeader: "X-Forwarded-Proto", SessionTTL: time.Hour})
}

func TestAuth(t *testing.T) {
	f := authFixture(t, false)
	api := []struct {
		name string
		hdr  []string
		code int
	}{
		{"no token", nil, 401},
		{"wrong token", []string{"Authorization", "Bearer nope"}, 401},
		{"token of another length", []string{"Authorization", "Bearer " + testToken + "x"}, 401},
		{"basic scheme", []string{"Authorization", "Basic " + testToken}, 401},
		{"right token", []string{"Authorization", "Bearer " + testToken}, 200},
		{"lower-case scheme", []string{"Authorization", "bearer " + testToken}, 200},
	}
	for _, tt := range api {
		t.Run("api "+tt.name, func(t *testing.T) {
			r := f.do(t, "GET", "/api/v1/members", "", tt.hdr...)
			if r.code != tt.code {
				t.Errorf("status %d, want %d: %s", r.code, tt.code, r.body)
			}
			if tt.code == 401 && (r.body != "{\n  \"error\": \"authentication required: send Authorization: Bearer TOKEN\"\n}\n" || r.hdr.Get("WWW-Authenticate") == "") {
				t.Errorf("401 body %q, WWW-Authenticate %q", r.body, r.hdr.Get("WWW-Authenticate"))
			}
			if strings.Contains(r.body, testToken) {
				t.Errorf("the token is in the reply")
			}
		})
	}
	// A POST with the token works too, and records the API as actor.
	if r := f.do(t, "POST", "/api/v1/merge", `{"a":"github:ann","b":"mastodon:ann_m"}`, "Authorization", "Bearer "+testToken); r.code != 200 {
		t.Errorf("POST with token: %d %s", r.code, r.body)
	}

	// Pages redirect to the login form, which keeps where to go.
	for _, p := range []string{"/members", "/members/" + itoa(f.ann), "/suggestions", "/sources"} {
		r := f.do(t, "GET", p, "")
		if r.code != http.StatusSeeOther || r.hdr.Get("Location") != "/login?next="+url.QueryEscape(p) {
			t.Errorf("GET %s: %d to %q, want 303 to the login", p, r.code, r.hdr.Get("Location"))
		}
	}
	if r := f.do(t, "POST", "/suggestions/1/accept", ""); r.code != http.StatusSeeOther || !strings.HasPrefix(r.hdr.Get("Location"), "/login") {
		t.Errorf("POST without a session: %d %q", r.code, r.hdr.Get("Location"))
	}
	if r := f.do(t, "GET", "/login?next=/sources", ""); r.code != 200 || !strings.Contains(r.body, `data-testid="login-form"`) || !strings.Contains(r.body, `value="/sources"`) {
		t.Errorf("login form: %d\n%s", r.code, r.body)
	}
	// Health stays open: it is served by the daemon, not here. Static assets too.
	if r := f.do(t, "GET", "/static/style.css", ""); r.code != 200 {
		t.Errorf("stylesheet behind the login: %d", r.code)
	}

	// Wrong password, unknown user.
	for _, form := range []string{"name=ann&password=wrong", "name=bob&password=correct+horse", "name=ann"} {
		r := f.do(t, "POST", "/login", form)
		if r.code != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong name or password.") || len(r.hdr.Values("Set-Cookie")) != 0 {
			t.Errorf("login %q: %d, cookies %v", form, r.code, r.hdr.Values("Set-Cookie"))
		}
	}

	// Right password: a session cookie, then the pages open.
	r := f.do(t, "POST", "/login", "name=ann&password=correct+horse&next=%2Fsources")
	if r.code != http.StatusSeeOther || r.hdr.Get("Location") != "/sources" {
		t.Fatalf("login: %d to %q", r.code, r.hdr.Get("Location"))
	}
	sc := r.hdr.Get("Set-Cookie")
	for _, want := range []string{"rollcall_session=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=3600"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Errorf("cookie over plain HTTP is Secure: %q", sc)
	}
	cookie := strings.SplitN(sc, ";", 2)[0]
	page := f.do(t, "GET", "/members", "", "Cookie", cookie)
	if page.code != 200 || !strings.Contains(page.body, `data-testid="logout"`) || !strings.Contains(page.body, `<span class="who">ann</span>`) {
		t.Errorf("members with a session: %d", page.code)
	}
	if r := f.do(t, "GET", "/api/v1/members", "", "Cookie", cookie); r.code != 200 {
		t.Errorf("API with a session: %d", r.code)
	}
	if r := f.do(t, "GET", "/members", "", "Cookie", "rollcall_session=forged"); r.code != http.StatusSeeOther {
		t.Errorf("forged session: %d", r.code)
	}

	// The next parameter never leads off the site.
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		r := f.do(t, "POST", "/login", "name=ann&password=correct+horse&next="+url.QueryEscape(next))
		if loc := r.hdr.Get("Location"); loc != "/members" {
			t.Errorf("next=%q: redirect to %q", next, loc)
		}
	}

	// Logout ends the session.
	if r := f.do(t, "POST", "/logout", "", "Cookie", cookie); r.code != http.StatusSeeOther || !strings.Contains(r.hdr.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %q", r.code, r.hdr.Get("Set-Cookie"))
	}
	if r := f.do(t, "GET", "/members", "", "Cookie", cookie); r.code != http.StatusSeeOther {
		t.Errorf("session still valid after logout: %d", r.code)
	}
}

func TestSecureCookie(t *testing.T) {
	tests := []struct {
		name   string
		tls    bool
		hdr    []string
		secure bool
	}{
		{"auth.tls", true, nil, true},
		{"trusted proxy says https", false, []string{"X-Forwarded-Proto", "https"}, true},
		{"trusted proxy says http", false, []string{"X-Forwarded-Proto", "http"}, false},
		{"other header", false, []string{"X-Forwarded-Scheme", "https"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := authFixture(t, tt.tls)
			r := f.do(t, "POST", "/login", "name=ann&password=correct+horse", tt.hdr...)
			sc := r.hdr.Get("Set-Cookie")
			if got := strings.Contains(sc, "; Secure"); got != tt.secure {
				t.Errorf("Set-Cookie %q: Secure = %v, want %v", sc, got, tt.secure)
			}
		})
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := web.HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "pbkdf2-sha256$600000$") || strings.Contains(h, "s3cret") {
		t.Errorf("hash = %q", h)
	}
	if !web.CheckPassword(h, "s3cret") || web.CheckPassword(h, "s3cre") || web.CheckPassword("plain", "plain") || web.CheckPassword("", "") {
		t.Errorf("CheckPassword accepts what it should not, or refuses the password")
	}
	if h2, _ := web.HashPassword("s3cret"); h2 == h {
		t.Errorf("two hashes of one password are equal: no random salt")
	}
}

// TestPagerLinks follows Next and then Previous on the member list: the
// links carry the cursor (and the cursors before it) and keep the filters.
func TestPagerLinks(t *testing.T) {
	f := newFixture(t, nil)
	href := func(body, testid string) string {
		m := regexp.MustCompile(`href="([^"]*)"[^>]*data-testid="` + testid + `"`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	rows := func(body string) string {
		return strings.Join(regexp.MustCompile(`data-member-id="(\d+)"`).FindAllString(body, -1), ",")
	}
	first := f.do(t, "GET", "/members?limit=1&sort=newest", "").body
	if href(first, "page-prev") != "" {
		t.Errorf("the first page has a Previous link")
	}
	next := href(first, "page-next")
	if !strings.Contains(next, "cursor=") || !strings.Contains(next, "sort=newest") || !strings.Contains(next, "limit=1") {
		t.Fatalf("Next link %q lacks the cursor or the filters", next)
	}
	second := f.do(t, "GET", next, "").body
	if rows(second) == "" || rows(second) == rows(first) {
		t.Fatalf("second page rows %q, first %q", rows(second), rows(first))
	}
	third := f.do(t, "GET", href(second, "page-next"), "").body
	back := f.do(t, "GET", href(third, "page-prev"), "").body
	if rows(back) != rows(second) {
		t.Errorf("Previous from page 3 shows %q, want page 2's %q", rows(back), rows(second))
	}
	if rows(f.do(t, "GET", href(back, "page-prev"), "").body) != rows(first) {
		t.Errorf("Previous from page 2 does not show page 1")
	}
}

func TestSourceStates(t *testing.T) {
	now := time.Now()
	tests := []struct {
		s    web.SourceStatus
		want string
	}{
		{web.SourceStatus{}, "Not synced yet"},
		{web.SourceStatus{Running: true}, "Syncing now"},
		{web.SourceStatus{LastSuccess: now}, "Up to date"},
		{web.SourceStatus{LastSuccess: now, LastError: "boom"}, "The last sync failed"},
		{web.SourceStatus{LastError: "boom", PausedUntil: now}, "Paused: waiting for the rate limit to reset"},
		{web.SourceStatus{LeaseHolder: "vm2:1:a", Elsewhere: true}, "Fetched by another replica"},
		{web.SourceStatus{LeaseHolder: "vm2:1:a", Elsewhere: true, LastSuccess: now}, "Fetched by another replica"},
		{web.SourceStatus{LeaseHolder: "vm1:1:a", LeaseHere: true, LastSuccess: now}, "Up to date"},
	}
	for _, tt := range tests {
		if got := tt.s.StateText(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.s, got, tt.want)
		}
	}
}
