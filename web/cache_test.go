package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeVersion is a store's data version that the test bumps.
type fakeVersion struct{ v atomic.Int64 }

func (f *fakeVersion) DataVersion(context.Context) (int64, error) { return f.v.Load(), nil }

// countingPage answers with how often it was made and the data version it
// saw, after release (when set) is closed.
type countingPage struct {
	calls   atomic.Int64
	ver     *fakeVersion
	release chan struct{}
	status  int
}

func (p *countingPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.calls.Add(1)
	if p.release != nil {
		<-p.release
	}
	if p.status != 0 {
		w.WriteHeader(p.status)
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "made %d at version %d", n, p.ver.v.Load())
}

func get(t *testing.T, h http.Handler, method, path string, cookies ...*http.Cookie) string {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Body.String()
}

// TestPageCacheExactForOneReader: a lone reader always gets the store as
// it is: the kept answer while the data version is unchanged, a new one
// after any change.
func TestPageCacheExactForOneReader(t *testing.T) {
	ver := &fakeVersion{}
	page := &countingPage{ver: ver}
	h := newPageCache(ver, 0, 0, time.Now).handler(page)
	for _, tc := range []struct {
		bump bool
		want string
	}{
		{false, "made 1 at version 0"},
		{false, "made 1 at version 0"},
		{true, "made 2 at version 1"},
		{false, "made 2 at version 1"},
		{true, "made 3 at version 2"},
	} {
		if tc.bump {
			ver.v.Add(1)
		}
		if got := get(t, h, "GET", "/champions?period=7d"); got != tc.want {
			t.Errorf("GET after bump=%v: %q, want %q", tc.bump, got, tc.want)
		}
	}
	if got := get(t, h, "GET", "/champions"); got != "made 4 at version 2" {
		t.Errorf("another query string shares an answer: %q", got)
	}
}

// TestPageCacheNotKept: what depends on more than the store's data, or
// changes it, always reaches the handler.
func TestPageCacheNotKept(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		cookie             *http.Cookie
		status             int
	}{
		{"a form", "POST", "/members/1/merge", nil, 0},
		{"the sources page", "GET", "/sources", nil, 0},
		{"the sources API", "GET", "/api/v1/sources", nil, 0},
		{"a static file", "GET", "/static/app.css", nil, 0},
		{"a page with a form's message", "GET", "/members/1", &http.Cookie{Name: flashCookie, Value: "x"}, 0},
		{"an error", "GET", "/members/999", nil, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ver := &fakeVersion{}
			page := &countingPage{ver: ver, status: tc.status}
			h := newPageCache(ver, 0, 0, time.Now).handler(page)
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			get(t, h, tc.method, tc.path, cookies...)
			get(t, h, tc.method, tc.path, cookies...)
			if n := page.calls.Load(); n != 2 {
				t.Errorf("handler ran %d times for two requests, want 2", n)
			}
		})
	}
}

// TestPageCacheOneComputationAtATime: while a page is being made after a
// change, the other readers of it get the previous answer at once; with
// none kept yet they wait for the one being made. Either way the page is
// made once.
func TestPageCacheOneComputationAtATime(t *testing.T) {
	ver := &fakeVersion{}
	page := &countingPage{ver: ver}
	h := newPageCache(ver, time.Minute, 0, time.Now).handler(page)

	// Cold: 20 readers at once, one computation.
	page.release = make(chan struct{})
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Go(func() { got[i] = get(t, h, "GET", "/health") })
	}
	for page.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the others queue behind it
	close(page.release)
	wg.Wait()
	for i, g := range got {
		if g != "made 1 at version 0" {
			t.Errorf("cold reader %d got %q", i, g)
		}
	}
	if n := page.calls.Load(); n != 1 {
		t.Fatalf("20 cold readers made the page %d times, want 1", n)
	}

	// After a change: the first reader makes it (and waits); the others
	// get the previous answer without waiting.
	ver.v.Add(1)
	page.release = make(chan struct{})
	first := make(chan string)
	go func() { first <- get(t, h, "GET", "/health") }()
	for page.calls.Load() == 1 {
		time.Sleep(time.Millisecond)
	}
	for i := range 20 {
		if g := get(t, h, "GET", "/health"); g != "made 1 at version 0" {
			t.Errorf("reader %d during the remake got %q, want the previous answer", i, g)
		}
	}
	close(page.release)
	if g := <-first; g != "made 2 at version 1" {
		t.Errorf("the reader that remade the page got %q", g)
	}
	if g := get(t, h, "GET", "/health"); g != "made 2 at version 1" {
		t.Errorf("after the remake: %q", g)
	}
	if n := page.calls.Load(); n != 2 {
		t.Errorf("page made %d times, want 2", n)
	}
}

// TestPageCacheStaleBound: a kept answer older than maxStale is not served
// while a fresh one is made: the reader waits for it.
func TestPageCacheStaleBound(t *testing.T) {
	ver := &fakeVersion{}
	page := &countingPage{ver: ver}
	var now atomic.Int64
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	h := newPageCache(ver, 10*time.Second, 0, clock).handler(page)
	get(t, h, "GET", "/members")
	now.Add(11)
	ver.v.Add(1)
	page.release = make(chan struct{})
	first := make(chan string)
	go func() { first <- get(t, h, "GET", "/members") }()
	for page.calls.Load() == 1 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan string)
	go func() { second <- get(t, h, "GET", "/members") }()
	select {
	case g := <-second:
		t.Fatalf("a reader got %q, an answer 11 s old, while the fresh one was made", g)
	case <-time.After(50 * time.Millisecond):
	}
	close(page.release)
	if g1, g2 := <-first, <-second; g1 != "made 2 at version 1" || g2 != "made 2 at version 1" {
		t.Errorf("readers got %q and %q, want the fresh answer", g1, g2)
	}
}

// TestPageCacheBounded: the cache keeps at most cacheEntries answers, and
// at most cacheMaxBytes of them.
func TestPageCacheBounded(t *testing.T) {
	ver := &fakeVersion{}
	c := newPageCache(ver, 0, 0, time.Now)
	page := &countingPage{ver: ver}
	h := c.handler(page)
	for i := range cacheEntries + 100 {
		get(t, h, "GET", "/members/"+strconv.Itoa(i))
	}
	if n := len(c.m); n > cacheEntries {
		t.Errorf("cache holds %d answers, want at most %d", n, cacheEntries)
	}
	// A full cache drops the oldest answers, not the newest.
	calls := page.calls.Load()
	get(t, h, "GET", "/members/"+strconv.Itoa(cacheEntries+99))
	if page.calls.Load() != calls {
		t.Errorf("the newest answer of a full cache was not kept")
	}

	// And at most cacheMaxBytes of them: answers of 640 kB, written in
	// pieces as templates do (the recorder's buffer grows by doubling, to
	// 1 MiB here: the memory kept, its capacity, is what counts).
	c = newPageCache(ver, 0, 0, time.Now)
	piece := strings.Repeat("y", 1000)
	h = c.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 640 {
			io.WriteString(w, piece)
		}
	}))
	for i := range 3 * cacheMaxBytes >> 20 {
		get(t, h, "GET", "/members/"+strconv.Itoa(i))
	}
	total, held := 0, 0
	for _, s := range c.m {
		if s.entry != nil {
			total += len(s.entry.body)
			held += cap(s.entry.body)
		}
	}
	if held > cacheMaxBytes+cacheMaxBytes/8 || total != c.bytes || total < cacheMaxBytes/2 {
		t.Errorf("cache keeps %d bytes in %d of memory (counted %d), want at most %d and most of it used", total, held, c.bytes, cacheMaxBytes)
	}
}

// TestPageCacheLargeAnswerPassesThrough: an answer larger than
// cacheMaxBody reaches the client whole and is not kept.
func TestPageCacheLargeAnswerPassesThrough(t *testing.T) {
	ver := &fakeVersion{}
	var calls atomic.Int64
	chunk := strings.Repeat("x", 64<<10)
	big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/csv")
		for range (cacheMaxBody / len(chunk)) + 3 {
			io.WriteString(w, chunk)
		}
	})
	h := newPageCache(ver, 0, 0, time.Now).handler(big)
	for range 2 {
		r := httptest.NewRequest("GET", "/members?format=csv", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if want := ((cacheMaxBody / len(chunk)) + 3) * len(chunk); w.Body.Len() != want || w.Header().Get("Content-Type") != "text/csv" {
			t.Errorf("large answer: %d bytes, type %q; want %d, text/csv", w.Body.Len(), w.Header().Get("Content-Type"), want)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("a large answer was kept: handler ran %d times for two requests", n)
	}
}

// fakeVersions adds a decisions version to fakeVersion.
type fakeVersions struct {
	fakeVersion
	d atomic.Int64
}

func (f *fakeVersions) DecisionsVersion(context.Context) (int64, error) { return f.d.Load(), nil }

// TestPageCacheFreshFor: within freshFor, changes made by syncs are shown
// from the kept answer while it is made again in the background; a
// person's decision, a write through the server, or an answer older than
// freshFor is made again before it is served.
func TestPageCacheFreshFor(t *testing.T) {
	ver := &fakeVersions{}
	page := &countingPage{ver: &ver.fakeVersion}
	var now atomic.Int64
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	c := newPageCache(ver, 0, 5*time.Second, clock)
	h := c.handler(page)
	settled := func() {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			c.mu.Lock()
			busy := false
			for _, s := range c.m {
				busy = busy || s.inflight != nil
			}
			c.mu.Unlock()
			if !busy {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("a background refresh did not end")
			}
		}
	}
	waitCalls := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); page.calls.Load() < n; {
			if time.Now().After(deadline) {
				t.Fatalf("the page was made %d times, want %d", page.calls.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if g := get(t, h, "GET", "/members/7"); g != "made 1 at version 0" {
		t.Fatalf("first: %q", g)
	}
	// A sync commits: the kept answer, and a refresh in the background.
	ver.v.Add(1)
	now.Add(1)
	if g := get(t, h, "GET", "/members/7"); g != "made 1 at version 0" {
		t.Errorf("within freshFor after a sync: %q, want the kept answer", g)
	}
	waitCalls(2)
	settled()
	if g := get(t, h, "GET", "/members/7"); g != "made 2 at version 1" {
		t.Errorf("after the background refresh: %q", g)
	}
	// A person's decision (another process): made again at once.
	ver.v.Add(1)
	ver.d.Add(1)
	if g := get(t, h, "GET", "/members/7"); g != "made 3 at version 2" {
		t.Errorf("after a decision: %q, want a new answer", g)
	}
	// A write through this server: made again at once.
	get(t, h, "POST", "/members/7/merge")
	waitCalls(4) // the POST reached the page handler too
	ver.v.Add(1)
	if g := get(t, h, "GET", "/members/7"); g != "made 5 at version 3" {
		t.Errorf("after a form: %q, want a new answer", g)
	}
	// Older than freshFor: made again before it is served.
	ver.v.Add(1)
	now.Add(6)
	if g := get(t, h, "GET", "/members/7"); g != "made 6 at version 4" {
		t.Errorf("after freshFor: %q, want a new answer", g)
	}
}

// concurrentPage records how many of its answers are being made at once.
type concurrentPage struct {
	now, peak, calls atomic.Int64
}

func (p *concurrentPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	n := p.now.Add(1)
	for {
		peak := p.peak.Load()
		if n <= peak || p.peak.CompareAndSwap(peak, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	p.now.Add(-1)
	fmt.Fprintf(w, "%s", r.URL.Path)
}

// TestPageCacheRefreshesLimited: however many kept pages a sync makes
// stale at once, at most one background refresh per core (at least two)
// is made at a time, and every one of them is made.
func TestPageCacheRefreshesLimited(t *testing.T) {
	ver := &fakeVersions{}
	page := &concurrentPage{}
	var now atomic.Int64
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	c := newPageCache(ver, 0, 5*time.Second, clock)
	h := c.handler(page)
	const pages = 40
	for i := range pages {
		get(t, h, "GET", fmt.Sprintf("/members/%d", i))
	}
	if got := page.calls.Load(); got != pages {
		t.Fatalf("%d answers made for %d pages", got, pages)
	}
	page.peak.Store(0)
	ver.v.Add(1) // a sync commits: every kept page is stale
	now.Add(1)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Go(func() {
			if g := get(t, h, "GET", fmt.Sprintf("/members/%d", i)); g != fmt.Sprintf("/members/%d", i) {
				t.Errorf("page %d: %q, want the kept answer", i, g)
			}
		})
	}
	wg.Wait()
	for deadline := time.Now().Add(10 * time.Second); page.calls.Load() < 2*pages; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d background refreshes made", page.calls.Load()-pages, pages)
		}
	}
	if limit := int64(cap(c.refreshes)); page.peak.Load() > limit || page.peak.Load() < 1 {
		t.Errorf("%d background refreshes at once, want at most %d", page.peak.Load(), limit)
	}
}
