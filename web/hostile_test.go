package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/crm"
)

// quotedValue is a quoted attribute value.
var quotedValue = regexp.MustCompile(`="[^"]*"`)

// safeHref reports whether a link target is relative or http(s).
func safeHref(u string) bool {
	u = strings.ToLower(strings.TrimSpace(u))
	return strings.HasPrefix(u, "/") || strings.HasPrefix(u, "#") || strings.HasPrefix(u, "?") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// TestHostileRecordsInert serves every community.HostileValues value as
// the name, bio, profile link, title and body of an account and its item
// through each of the four connectors' fakes, syncs them with the real
// daemon into SQLite, and reads the pages that show them: the members list
// and search, each hostile member's journey, suggestions, champions,
// health and sources. In the HTML (always) no payload is live markup, no
// event handler or javascript:/data: link exists, every link is relative
// or http(s), and the journey heading shows the name as escaped text; in
// headless Chromium (when installed) with scripts on, no payload opens a
// dialog, every a[href] and img[src] is relative or http(s), no element
// has an inline event handler, and the heading's text is the stored name.
func TestHostileRecordsInert(t *testing.T) {
	values := community.HostileValues()
	w := startHostileWorld(t, 3, 20, values)
	ms, err := w.Store.Members(t.Context(), crm.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	type target struct {
		platform, value string
		member          crm.Member
	}
	var targets []target
	for _, rec := range w.Hostile {
		var found crm.Member
	find:
		for _, m := range ms {
			for _, id := range m.Identities {
				if id.Platform == rec.Platform && (id.ExternalID == rec.ExternalID || id.Username == rec.Username || strings.HasPrefix(id.Username, rec.Username+"@")) {
					found = m
					break find
				}
			}
		}
		if found.ID == 0 {
			t.Errorf("%s: the account with %s was not stored", rec.Platform, rec.Name)
			continue
		}
		targets = append(targets, target{rec.Platform, rec.Name, found})
	}
	if len(targets) != 4*len(values) {
		t.Fatalf("%d hostile members found, want %d", len(targets), 4*len(values))
	}
	paths := []string{"/members", "/members?q=Eve", "/members?q=%3Cscript", "/suggestions", "/champions", "/health", "/sources"}
	for _, tg := range targets {
		paths = append(paths, fmt.Sprintf("/members/%d", tg.member.ID))
	}

	t.Run("HTML", func(t *testing.T) {
		for _, p := range paths {
			resp, err := http.Get(w.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode != 200 {
				t.Errorf("GET %s: %d", p, resp.StatusCode)
			}
			if m := dangerousTag.FindString(body); m != "" {
				t.Errorf("GET %s has live markup %q", p, m)
			}
			// html/template quotes every attribute value with ", escaping
			// any " inside: what is left outside the quotes is markup.
			if m := eventHandler.FindString(quotedValue.ReplaceAllString(body, `=""`)); m != "" {
				t.Errorf("GET %s has an event handler %q", p, m)
			}
			if m := dangerousHref.FindString(body); m != "" {
				t.Errorf("GET %s links to %q", p, m)
			}
			for _, m := range anyHref.FindAllStringSubmatch(body, -1) {
				if !safeHref(html.UnescapeString(m[1])) {
					t.Errorf("GET %s has a link to %.80q", p, m[1])
				}
			}
		}
		for _, tg := range targets {
			if tg.value != "script" {
				continue
			}
			resp, err := http.Get(fmt.Sprintf("%s/members/%d", w.URL, tg.member.ID))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), `&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;`) {
				t.Errorf("%s: the journey page does not show the name %q as escaped text", tg.platform, tg.member.Name)
			}
		}
	})

	t.Run("Browser", func(t *testing.T) {
		chromiumPath(t)
		ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
		defer cancel()
		tab := newTab(t, newBrowser(t, ctx), false)
		var mu sync.Mutex
		var dialogs []string
		if err := chromedp.Listen(tab, func(ev any) {
			if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
				mu.Lock()
				dialogs = append(dialogs, d.Message)
				mu.Unlock()
				go chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			run(t, tab, "open "+p, chromedp.Navigate(w.URL+p), chromedp.WaitReady("body"))
			// Let any timer or load handler a payload set up fire.
			run(t, tab, "settle", chromedp.Sleep(50*time.Millisecond))
			for _, sel := range []string{"a[href]", "area[href]", "form[action]", "iframe", "object", "embed", "img[src]"} {
				name := map[string]string{"a[href]": "href", "area[href]": "href", "form[action]": "action", "img[src]": "src"}[sel]
				for _, n := range nodes(t, tab, sel) {
					if name == "" {
						t.Errorf("%s: a %s element exists", p, sel)
						continue
					}
					if v := n.AttributeValue(name); !safeHref(v) {
						t.Errorf("%s: %s %s=%.80q", p, sel, name, v)
					}
				}
			}
			for _, n := range nodes(t, tab, "[onerror],[onclick],[onload],[onmouseover],[onfocus]") {
				t.Errorf("%s: element %s has an inline event handler", p, n.LocalName)
			}
			for _, src := range attrs(t, tab, "script", "src") {
				if !strings.HasPrefix(src, "/static/") {
					t.Errorf("%s: a script not ours: src=%q", p, src)
				}
			}
		}
		for _, tg := range targets {
			if tg.platform != connectors.PlatformGitHub || tg.value == "1 MB" {
				continue
			}
			run(t, tab, "open journey", chromedp.Navigate(fmt.Sprintf("%s/members/%d", w.URL, tg.member.ID)), chromedp.WaitReady("h1"))
			h1 := get(t, tab, "heading", chromedp.Text(chromedp.CSS("h1")))
			if want := strings.Join(strings.Fields(tg.member.Name), " "); !strings.Contains(strings.Join(strings.Fields(h1), " "), want) && tg.value != "control characters" && tg.value != "bidi isolates and marks" {
				t.Errorf("%s: heading %.80q, want the name %.80q as text", tg.value, h1, want)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(dialogs) > 0 {
			t.Errorf("payloads ran script: dialogs %q", dialogs)
		}
	})
}
