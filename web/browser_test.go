package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

// browserBudget bounds the whole browser test, world included;
// stepTimeout one step in the browser (a page load and what it waits for).
// They catch a hang, not slowness: on CI's two cores, with -race and the
// other packages' tests running alongside, a browser test takes about a
// minute (speed is for the benchmarks).
const (
	browserBudget = 4 * time.Minute
	stepTimeout   = 15 * time.Second
)

// chromiumPath finds Debian's chromium. Without one the browser tests
// skip, except under CI (CI=true), where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("browser tests: no chromium on PATH (nor /usr/bin/chromium) and CI=true, where they must not skip: install Debian's chromium package (.ci/run does)")
	}
	t.Skip("browser tests skipped: no chromium on PATH (nor /usr/bin/chromium); install Debian's chromium package to run them")
	return ""
}

// newBrowser starts a headless Chromium with the flags this closed network
// needs and a fresh profile; it ends with the test.
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return bctx
}

// newTab opens another tab of the browser; scripts are off when noJS.
func newTab(t *testing.T, browser context.Context, noJS bool) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	if noJS {
		if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatalf("disable JavaScript: %v", err)
		}
	}
	return tab
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// nodes returns the elements matching sel now (possibly none), read through
// the DOM domain so it works with scripts disabled.
func nodes(t *testing.T, ctx context.Context, sel string) []*chromedp.Node {
	t.Helper()
	return get(t, ctx, "query "+sel, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
}

// attrs returns attribute name of every element matching sel.
func attrs(t *testing.T, ctx context.Context, sel, name string) []string {
	t.Helper()
	var out []string
	for _, n := range nodes(t, ctx, sel) {
		out = append(out, n.AttributeValue(name))
	}
	return out
}

// texts returns the text of every element matching sel.
func texts(t *testing.T, ctx context.Context, sel string) []string {
	t.Helper()
	var out []string
	for _, n := range nodes(t, ctx, sel) {
		s := get(t, ctx, "text of "+sel, chromedp.Text(chromedp.NodeIDs{n.NodeID}))
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(get(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, "location", chromedp.Location())
}

// TestBrowser drives the real pages in headless Chromium: the demo world of
// fakes synced by the real daemon into a real SQLite store, served by the
// daemon's HTTP handler. It saves screenshots of every page at desktop and
// phone widths, then runs the community manager's flows twice: with
// JavaScript and with it disabled (plain links and forms).
func TestBrowser(t *testing.T) {
	chromiumPath(t) // skip early, before building the world
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	w := startDemoWorld(t, 1, 80)
	browser := newBrowser(t, ctx)

	t.Run("Screenshots", func(t *testing.T) { browserScreenshots(t, newTab(t, browser, false), w) })
	t.Run("WithJavaScript", func(t *testing.T) { browserFlows(t, newTab(t, browser, false), w) })
	t.Run("WithoutJavaScript", func(t *testing.T) { browserFlows(t, newTab(t, browser, true), w) })
}

// TestBrowserPostgres runs the community manager's flows (search,
// journey, timeline paging, accept, reject, unmerge), with JavaScript and
// without, over the demo world synced by the real daemon into a real
// PostgreSQL store: the pages read and write through crm/postgres as they
// do through crm/sqlite.
func TestBrowserPostgres(t *testing.T) {
	chromiumPath(t)
	u := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	w := startDemoWorldOn(t, 1, 80, u, func(ctx context.Context) (worldStore, error) { return postgres.Open(ctx, u) })
	browser := newBrowser(t, ctx)
	t.Run("WithJavaScript", func(t *testing.T) { browserFlows(t, newTab(t, browser, false), w) })
	t.Run("WithoutJavaScript", func(t *testing.T) { browserFlows(t, newTab(t, browser, true), w) })
}

// journeyMember picks the most active member with accounts on at least
// three platforms, several identities, and more than one timeline page.
func journeyMember(t *testing.T, w *demoWorld) crm.Member {
	t.Helper()
	ms, err := w.Store.Members(context.Background(), crm.MemberQuery{Limit: 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		plats := map[string]bool{}
		for _, id := range m.Identities {
			plats[id.Platform] = true
		}
		if len(plats) >= 3 && len(m.Identities) >= 3 && m.ActivityCount > crm.DefaultPageSize && m.Name != "" {
			return m
		}
	}
	t.Fatalf("no member of the demo world has three platforms and more than %d activities", crm.DefaultPageSize)
	return crm.Member{}
}

// browserFlows: search, journey, timeline paging, accept, reject, unmerge.
func browserFlows(t *testing.T, tab context.Context, w *demoWorld) {
	m := journeyMember(t, w)
	memberSel := fmt.Sprintf(`[data-testid=member-row][data-member-id="%d"] [data-testid=member-link]`, m.ID)

	// The members list pages with Next and Previous.
	run(t, tab, "open /members",
		chromedp.Navigate(w.URL+"/members"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=members-table]`)),
	)
	page1 := attrs(t, tab, `[data-testid=member-row]`, "data-member-id")
	run(t, tab, "next members page",
		chromedp.Click(chromedp.CSS(`[data-testid=page-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=page-prev]`)),
	)
	page2 := attrs(t, tab, `[data-testid=member-row]`, "data-member-id")
	if len(page2) == 0 {
		t.Fatal("the second members page is empty")
	}
	for _, id := range page2 {
		if slices.Contains(page1, id) {
			t.Errorf("member %s is on both members pages", id)
		}
	}
	run(t, tab, "previous members page",
		chromedp.Click(chromedp.CSS(`[data-testid=page-prev]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=page-next]`)),
	)
	if back := attrs(t, tab, `[data-testid=member-row]`, "data-member-id"); !slices.Equal(back, page1) {
		t.Errorf("Previous did not return to the first members page: %v, want %v", back, page1)
	}

	// Search for the member by name with the form, open the journey.
	run(t, tab, "open /members",
		chromedp.Navigate(w.URL+"/members"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=members-table]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=search-input]`), m.Name),
		chromedp.Click(chromedp.CSS(`[data-testid=search-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=search-clear]`)),
	)
	if u := location(t, tab); !strings.Contains(u, "q=") {
		t.Fatalf("search did not reach the server's query string: %s", u)
	}
	rows := attrs(t, tab, `[data-testid=member-row]`, "data-member-id")
	if !slices.Contains(rows, strconv.FormatInt(m.ID, 10)) {
		t.Fatalf("search for %q: member %d not among the rows %v", m.Name, m.ID, rows)
	}
	run(t, tab, "open the journey",
		chromedp.Click(chromedp.CSS(memberSel)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=member-name]`)),
	)
	if got := text(t, tab, `[data-testid=member-name]`); got != m.Name {
		t.Errorf("journey heading = %q, want %q", got, m.Name)
	}
	if u := location(t, tab); !strings.HasSuffix(u, fmt.Sprintf("/members/%d", m.ID)) {
		t.Errorf("journey address = %s", u)
	}

	// The journey: identities, the chart, activities of several platforms.
	if n := len(nodes(t, tab, `[data-testid=identity]`)); n != len(m.Identities) {
		t.Errorf("journey shows %d identities, the store has %d", n, len(m.Identities))
	}
	if len(nodes(t, tab, `[data-testid=activity-chart] [data-testid=chart-bar]`)) == 0 {
		t.Error("the activity chart has no bars")
	}
	labels := map[string]bool{}
	for _, l := range texts(t, tab, `[data-testid=activity] .plat`) {
		labels[l] = true
	}
	if len(labels) < 2 {
		t.Errorf("timeline shows activities of %d platforms (%v), want at least two", len(labels), labels)
	}
	first := timelineEntries(t, tab)
	if len(first) != crm.DefaultPageSize {
		t.Errorf("first timeline page has %d entries, want %d", len(first), crm.DefaultPageSize)
	}
	if len(nodes(t, tab, `[data-testid=timeline-prev]`)) != 0 {
		t.Error("the first timeline page links to newer entries")
	}

	// Page through the timeline: Older changes the entries, Newer returns.
	run(t, tab, "older timeline page",
		chromedp.Click(chromedp.CSS(`[data-testid=timeline-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=timeline-prev]`)),
	)
	if u := location(t, tab); !strings.Contains(u, "cursor=") {
		t.Errorf("older page address has no cursor: %s", u)
	}
	second := timelineEntries(t, tab)
	if len(second) == 0 {
		t.Fatal("the older timeline page is empty")
	}
	for _, e := range second {
		if slices.Contains(first, e) {
			t.Errorf("entry %q is on both timeline pages", e)
		}
	}
	if h := text(t, tab, `#timeline-h`); !strings.Contains(h, "older") {
		t.Errorf("older page heading = %q", h)
	}
	run(t, tab, "newer timeline page",
		chromedp.Click(chromedp.CSS(`[data-testid=timeline-prev]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=timeline-next]`)),
	)
	if back := timelineEntries(t, tab); !slices.Equal(back, first) {
		t.Errorf("Newer did not return to the first page: %d entries, first %v", len(back), back[:min(3, len(back))])
	}

	// Unmerge: split the last account off the member.
	idents := attrs(t, tab, `[data-testid=identity]`, "data-identity")
	split := idents[len(idents)-1]
	run(t, tab, "unmerge "+split,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=identity][data-identity=%q] [data-testid=unmerge]`, split))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	flash := text(t, tab, `[data-testid=flash]`)
	mv := regexp.MustCompile(`^Moved (\S+) out of member (\d+) into new member (\d+)\.$`).FindStringSubmatch(flash)
	if mv == nil || mv[1] != split || mv[2] != strconv.FormatInt(m.ID, 10) {
		t.Fatalf("unmerge flash = %q, want Moved %s out of member %d into new member N.", flash, split, m.ID)
	}
	if u := location(t, tab); !strings.Contains(u, fmt.Sprintf("/members/%d", m.ID)) {
		t.Errorf("after unmerge the browser is at %s, want the journey back", u)
	}
	if after := attrs(t, tab, `[data-testid=identity]`, "data-identity"); slices.Contains(after, split) || len(after) != len(idents)-1 {
		t.Errorf("after unmerge the journey lists %v (was %v)", after, idents)
	}
	run(t, tab, "open the new member",
		chromedp.Navigate(w.URL+"/members/"+mv[3]),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=member-name]`)),
	)
	if got := attrs(t, tab, `[data-testid=identity]`, "data-identity"); !slices.Equal(got, []string{split}) {
		t.Errorf("new member %s lists %v, want just %s", mv[3], got, split)
	}

	// Champions: the list, its tabs and filter, a row's details.
	run(t, tab, "open /champions",
		chromedp.Navigate(w.URL+"/champions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=champions-table]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=champion-details] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=champion-details] [data-testid=love-breakdown]`)),
	)
	if len(nodes(t, tab, `[data-testid=champion]`)) == 0 {
		t.Error("the champions list is empty")
	}
	for _, kind := range []string{"rising", "slipping", "champions"} {
		run(t, tab, "champions tab "+kind,
			chromedp.Click(chromedp.CSS(`[data-testid=tab-`+kind+`]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=tab-`+kind+`][aria-current=page]`)),
		)
	}
	run(t, tab, "champions on GitHub",
		chromedp.SetValue(chromedp.CSS(`[data-testid=champions-platform]`), "github"),
		chromedp.Click(chromedp.CSS(`[data-testid=champions-submit]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid=champions-platform] option[value=github][selected]`)),
	)
	if u := location(t, tab); !strings.Contains(u, "platform=github") {
		t.Errorf("the platform filter did not reach the address: %s", u)
	}

	// Review: accept the first suggestion, reject the next.
	acc := decide(t, tab, w, "accept")
	if !strings.HasPrefix(acc.flash, fmt.Sprintf("Suggestion %d accepted", acc.id)) {
		t.Errorf("accept flash = %q", acc.flash)
	}
	rej := decide(t, tab, w, "reject")
	if !strings.HasPrefix(rej.flash, fmt.Sprintf("Suggestion %d rejected", rej.id)) {
		t.Errorf("reject flash = %q", rej.flash)
	}
	assertStatus(t, w, acc.id, "accepted")
	assertStatus(t, w, rej.id, "rejected")
}

// timelineEntries returns the keys of the entries of the journey's
// timeline page, in order.
func timelineEntries(t *testing.T, tab context.Context) []string {
	t.Helper()
	keys := attrs(t, tab, `[data-testid=activity]`, "data-key")
	for _, k := range keys {
		if k == "" {
			t.Fatalf("a timeline entry has no data-key: %v", keys)
		}
	}
	return keys
}

type decision struct {
	id    int64
	flash string
}

// decide presses the accept or reject button of the first open suggestion
// on the review page and checks it is gone from the page.
func decide(t *testing.T, tab context.Context, w *demoWorld, button string) decision {
	t.Helper()
	run(t, tab, "open /suggestions",
		chromedp.Navigate(w.URL+"/suggestions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=suggestion]`)),
	)
	ids := attrs(t, tab, `[data-testid=suggestion]`, "data-suggestion-id")
	id, err := strconv.ParseInt(ids[0], 10, 64)
	if err != nil {
		t.Fatalf("suggestion id %q: %v", ids[0], err)
	}
	if n := len(nodes(t, tab, fmt.Sprintf(`#suggestion-%d [data-testid=suggestion-member]`, id))); n != 2 {
		t.Errorf("suggestion %d shows %d members side by side, want 2", id, n)
	}
	run(t, tab, button+" suggestion "+ids[0],
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#suggestion-%d [data-testid=%s]`, id, button))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	if u := location(t, tab); !strings.HasSuffix(u, "/suggestions") {
		t.Errorf("after %s the browser is at %s", button, u)
	}
	if slices.Contains(attrs(t, tab, `[data-testid=suggestion]`, "data-suggestion-id"), ids[0]) {
		t.Errorf("suggestion %d is still open on the page after %s", id, button)
	}
	return decision{id: id, flash: text(t, tab, `[data-testid=flash]`)}
}

// assertStatus checks the decision reached the store: an accepted
// suggestion's accounts are one member now, a rejected one's stay two.
func assertStatus(t *testing.T, w *demoWorld, id int64, status string) {
	t.Helper()
	ss, err := w.Store.Suggestions(context.Background(), status)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.ID != id {
			continue
		}
		if same := s.MemberA == s.MemberB; same != (status == "accepted") {
			t.Errorf("%s suggestion %d: the accounts belong to members %d and %d", status, id, s.MemberA, s.MemberB)
		}
		return
	}
	t.Errorf("suggestion %d is not %s in the store", id, status)
}

// screenshotDir is where the screenshots go (ignored by git).
const screenshotDir = "testdata/screenshots"

// browserScreenshots saves full-page screenshots of every page at a
// desktop and a phone width, before any decision changes the data.
func browserScreenshots(t *testing.T, tab context.Context, w *demoWorld) {
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := journeyMember(t, w)
	pages := []struct{ name, path, ready string }{
		{"members", "/members", `[data-testid=members-table]`},
		{"journey", fmt.Sprintf("/members/%d", m.ID), `[data-testid=activity-chart]`},
		{"review", "/suggestions", `[data-testid=suggestion]`},
		{"sources", "/sources", `[data-testid=source]`},
		{"champions", "/champions", `[data-testid=champions-table]`},
		{"champions-rising", "/champions?rising=1", `[data-testid=champions-tabs]`},
		{"champions-slipping", "/champions?slipping=1", `[data-testid=champions-tabs]`},
		{"champions-github", "/champions?platform=github", `[data-testid=champions-tabs]`},
	}
	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}}
	for _, sz := range sizes {
		vp := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if sz.mobile {
			vp = append(vp, chromedp.EmulateMobile)
		}
		run(t, tab, "viewport "+sz.name, chromedp.EmulateViewport(sz.width, sz.height, vp...))
		for _, p := range pages {
			run(t, tab, "open "+p.name,
				chromedp.Navigate(w.URL+p.path),
				chromedp.WaitVisible(chromedp.CSS(p.ready)),
			)
			png := get(t, tab, "screenshot "+p.name, chromedp.FullScreenshot(100))
			file := filepath.Join(screenshotDir, p.name+"-"+sz.name+".png")
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
			if len(png) < 1000 || string(png[1:4]) != "PNG" {
				t.Errorf("%s: not a PNG (%d bytes)", file, len(png))
			}
			t.Logf("saved %s (%d KB)", file, len(png)/1024)
		}
	}
}

// TestBrowserHealth visits /health in headless Chromium over the demo
// world: screenshots at desktop and phone widths, then the period form,
// with JavaScript and without.
func TestBrowserHealth(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	w := startDemoWorld(t, 1, 80)
	browser := newBrowser(t, ctx)
	t.Run("Screenshots", func(t *testing.T) {
		tab := newTab(t, browser, false)
		if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, sz := range []struct {
			name          string
			width, height int64
			mobile        bool
		}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
			vp := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
			if sz.mobile {
				vp = append(vp, chromedp.EmulateMobile)
			}
			run(t, tab, "open /health at "+sz.name,
				chromedp.EmulateViewport(sz.width, sz.height, vp...),
				chromedp.Navigate(w.URL+"/health"),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid=sentiment-chart]`)),
			)
			png := get(t, tab, "screenshot health", chromedp.FullScreenshot(100))
			file := filepath.Join(screenshotDir, "health-"+sz.name+".png")
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("saved %s (%d KB)", file, len(png)/1024)
		}
	})
	for _, noJS := range []bool{false, true} {
		t.Run(map[bool]string{false: "WithJavaScript", true: "WithoutJavaScript"}[noJS], func(t *testing.T) {
			tab := newTab(t, browser, noJS)
			run(t, tab, "open /health from the nav",
				chromedp.Navigate(w.URL+"/members"),
				chromedp.Click(chromedp.CSS(`[data-testid=nav-health]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid=health-form]`)),
			)
			if n := len(nodes(t, tab, `svg[role=img]`)); n < 5 {
				t.Errorf("/health draws %d charts, want at least 5", n)
			}
			if n := len(nodes(t, tab, `table caption`)); n < 7 {
				t.Errorf("/health has %d captioned tables, want at least 7", n)
			}
			run(t, tab, "choose the last 7 days on GitHub",
				chromedp.SetValue(chromedp.CSS(`[data-testid=health-period]`), "7d"),
				chromedp.SetValue(chromedp.CSS(`[data-testid=health-platform]`), "github"),
				chromedp.Click(chromedp.CSS(`[data-testid=health-submit]`)),
				// The server marks the chosen options: the new page is in.
				chromedp.WaitReady(chromedp.CSS(`[data-testid=health-platform] option[value=github][selected]`)),
			)
			if u := location(t, tab); !strings.Contains(u, "period=7d") || !strings.Contains(u, "platform=github") {
				t.Errorf("the form did not reach the query string: %s", u)
			}
			if s := text(t, tab, `[data-testid=health-scope]`); !strings.Contains(s, "7 days") || !strings.Contains(s, "only GitHub") {
				t.Errorf("scope after the form = %q", s)
			}
		})
	}
}
