package web_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

var (
	// dangerous matches markup that would run or link somewhere unsafe.
	dangerousTag  = regexp.MustCompile(`(?i)<\s*(script|img|iframe|object|embed|svg[^>]*onload)`)
	eventHandler  = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	dangerousHref = regexp.MustCompile(`(?i)(href|src|action)\s*=\s*"\s*(javascript|data|vbscript):`)
	anyHref       = regexp.MustCompile(`(?i)(?:href|src|action)="([^"]*)"`)
)

// TestPayloadsInert stores script, HTML and javascript:/data: URL payloads
// in names, titles and profile links through the real store and checks
// that every page and every JSON reply keeps them inert.
func TestPayloadsInert(t *testing.T) {
	f := newFixture(t, nil)
	ann, bo := itoa(f.ann), itoa(f.bo)
	// A flash message that quotes member names.
	r := f.do(t, "POST", "/members/"+ann+"/merge", "other=github%3Abo", "Sec-Fetch-Site", "same-origin")
	cookie := ""
	for _, sc := range r.hdr.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "rollcall_flash=") {
			cookie = strings.SplitN(sc, ";", 2)[0]
		}
	}
	if cookie == "" {
		t.Fatalf("merge form set no flash: %d %v", r.code, r.hdr)
	}
	pages := []struct{ target, cookie string }{
		{"/members", ""}, {"/members?q=ann", ""}, {"/members/" + ann, cookie}, {"/members/" + ann + "?limit=1", ""},
		{"/suggestions", ""}, {"/sources", ""},
	}
	f.sources.list[0].LastError = `github: <script>alert("err")</script>`
	for _, p := range pages {
		r := f.do(t, "GET", p.target, "", "Cookie", p.cookie)
		if r.code != 200 {
			t.Errorf("GET %s: %d", p.target, r.code)
			continue
		}
		body := r.body
		if m := dangerousTag.FindString(body); m != "" {
			t.Errorf("GET %s has live markup %q", p.target, m)
		}
		if m := eventHandler.FindString(body); m != "" {
			t.Errorf("GET %s has an event handler %q", p.target, m)
		}
		if m := dangerousHref.FindString(body); m != "" {
			t.Errorf("GET %s links to %q", p.target, m)
		}
		for _, m := range anyHref.FindAllStringSubmatch(body, -1) {
			u := strings.ToLower(strings.TrimSpace(m[1]))
			if !strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "#") {
				t.Errorf("GET %s has a link to %q", p.target, m[1])
			}
			if strings.Contains(u, "alert") {
				t.Errorf("GET %s links to a payload: %q", p.target, m[1])
			}
		}
	}
	// The payloads are shown, as text.
	journey := f.do(t, "GET", "/members/"+ann, "", "Cookie", cookie).body
	for _, want := range []string{
		`&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;Ann`, // name, in the heading and the flash
		`&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;`,   // title, with a javascript: link: text only
		`&lt;b onclick=&#34;alert(5)&#34;&gt;bold&lt;/b&gt;`,    // title, with an upper-case JaVaScRiPt: link
		`Merged member ` + ann + ` (&lt;script&gt;`,             // the flash message
	} {
		if !strings.Contains(journey, want) {
			t.Errorf("journey page lacks the escaped payload %s", want)
		}
	}
	if strings.Contains(journey, `data-testid="profile-link">ann<`) {
		t.Errorf("the javascript: profile URL of github:ann became a link")
	}
	if !strings.Contains(journey, `href="https://mastodon.test/@ann_m"`) {
		t.Errorf("a safe https profile link is missing")
	}
	sug := f.do(t, "GET", "/suggestions", "").body
	if !strings.Contains(sug, `the same &lt;i&gt;avatar&lt;/i&gt;`) {
		t.Errorf("suggestion reasons are not escaped")
	}
	if !strings.Contains(f.do(t, "GET", "/sources", "").body, `github: &lt;script&gt;alert(&#34;err&#34;)&lt;/script&gt;`) {
		t.Errorf("the source's last error is not escaped")
	}

	// JSON keeps the data as it was, with <, > and & escaped.
	for _, target := range []string{"/api/v1/members", "/api/v1/members/" + ann, "/api/v1/members/" + ann + "/journey", "/api/v1/suggestions", "/api/v1/members/" + bo, "/api/v1/sources"} {
		r := f.do(t, "GET", target, "")
		if strings.ContainsAny(r.body, "<>") {
			t.Errorf("GET %s: raw < or > in JSON", target)
		}
		if !json.Valid([]byte(r.body)) {
			t.Errorf("GET %s: invalid JSON", target)
		}
	}
	var j struct {
		Member     struct{ Name string }
		Activities []struct{ Title, URL string }
	}
	json.Unmarshal([]byte(f.do(t, "GET", "/api/v1/members/"+ann+"/journey", "").body), &j)
	titles := map[string]bool{}
	for _, a := range j.Activities {
		titles[a.Title] = true
	}
	if j.Member.Name != scriptName || !titles[scriptTitle] || !titles[htmlTitle] {
		t.Errorf("the API changed the stored text: %q %v", j.Member.Name, titles)
	}
}
