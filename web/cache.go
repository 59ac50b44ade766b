package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DataVersioner reports a number that changes whenever anything is
// committed to the store, by this process or another (crm/sqlite: SQLite's
// data_version). The page cache serves a kept answer only while it has not
// changed.
type DataVersioner interface {
	DataVersion(ctx context.Context) (int64, error)
}

// Cache limits: answers kept, the largest answer kept, how long a kept
// answer is served while its data has not changed (its relative times
// drift), and by default how long a stale answer may be served while a
// fresh one is being made.
const (
	cacheEntries  = 512
	cacheMaxBytes = 32 << 20 // all kept answers together
	cacheMaxBody  = 2 << 20
	cacheMaxAge   = time.Minute
	cacheMaxStale = 10 * time.Second
)

// pageCache keeps the last answer of each read page and API call. An
// answer made at the store's current data version is served as is. After
// a change, the first request makes the page again (and waits for it, so
// that whoever changed something sees it); requests for the same page that
// arrive meanwhile get the previous answer, up to maxStale old, instead of
// each making it again. So a page costs one computation at a time however
// many clients read it during a backfill, and a lone reader always sees
// the store as it is.
type pageCache struct {
	ver      DataVersioner
	now      func() time.Time
	maxStale time.Duration

	mu    sync.Mutex
	m     map[string]*cacheSlot
	bytes int // the kept answers' bodies together
}

type cacheSlot struct {
	entry    *cachedAnswer
	inflight chan struct{} // closed when the answer being made is ready
}

type cachedAnswer struct {
	version int64
	at      time.Time
	status  int
	header  http.Header
	body    []byte
}

func newPageCache(ver DataVersioner, maxStale time.Duration, now func() time.Time) *pageCache {
	if maxStale <= 0 {
		maxStale = cacheMaxStale
	}
	return &pageCache{ver: ver, now: now, maxStale: maxStale, m: map[string]*cacheSlot{}}
}

// cacheable reports whether the request's answer may be kept: a GET of a
// page or API read that depends only on the store's data, without a
// message from the last form.
func cacheable(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	switch p := r.URL.Path; {
	case p == "/sources" || p == "/api/v1/sources" || strings.HasPrefix(p, "/static/"):
		return false // the daemon's live state, or files served as they are
	}
	if _, err := r.Cookie(flashCookie); err == nil {
		return false
	}
	return true
}

// handler serves next through the cache.
func (c *pageCache) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cacheable(r) {
			next.ServeHTTP(w, r)
			return
		}
		v, err := c.ver.DataVersion(r.Context())
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		key := actorOf(r.Context()) + "\x00" + r.Header.Get("Accept") + "\x00" + r.URL.RequestURI()
		for {
			c.mu.Lock()
			slot := c.m[key]
			if slot == nil {
				slot = &cacheSlot{}
				c.m[key] = slot
				c.evict()
			}
			e, now := slot.entry, c.now()
			if e != nil && e.version == v && now.Sub(e.at) < cacheMaxAge {
				c.mu.Unlock()
				e.write(w)
				return
			}
			if ch := slot.inflight; ch != nil {
				if e != nil && now.Sub(e.at) < c.maxStale {
					c.mu.Unlock()
					e.write(w)
					return
				}
				c.mu.Unlock()
				select {
				case <-ch:
					continue // take the answer just made, or make one
				case <-r.Context().Done():
					return
				}
			}
			ch := make(chan struct{})
			slot.inflight = ch
			c.mu.Unlock()

			rec := &recorder{header: http.Header{}, status: http.StatusOK, w: w}
			func() {
				defer func() {
					c.mu.Lock()
					slot.inflight = nil
					if rec.status == http.StatusOK && !rec.tooBig && rec.header.Get("Set-Cookie") == "" && c.m[key] == slot {
						if slot.entry != nil {
							c.bytes -= len(slot.entry.body)
						}
						slot.entry = &cachedAnswer{version: v, at: now, status: rec.status, header: rec.header, body: rec.body.Bytes()}
						c.bytes += len(slot.entry.body)
						c.evict()
					}
					c.mu.Unlock()
					close(ch)
				}()
				next.ServeHTTP(rec, r)
			}()
			if !rec.tooBig {
				(&cachedAnswer{status: rec.status, header: rec.header, body: rec.body.Bytes()}).write(w)
			}
			return
		}
	})
}

// evict drops the oldest answers not being made while the cache holds
// more than cacheEntries, or more than cacheMaxBytes of them (c.mu held).
func (c *pageCache) evict() {
	for len(c.m) > cacheEntries || c.bytes > cacheMaxBytes {
		var oldest string
		var at time.Time
		for k, s := range c.m {
			if s.inflight != nil {
				continue
			}
			if s.entry == nil {
				oldest = k
				break
			}
			if oldest == "" || s.entry.at.Before(at) {
				oldest, at = k, s.entry.at
			}
		}
		if oldest == "" {
			return
		}
		if e := c.m[oldest].entry; e != nil {
			c.bytes -= len(e.body)
		}
		delete(c.m, oldest)
	}
}

func (a *cachedAnswer) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// recorder keeps what a handler writes, up to cacheMaxBody of body; past
// that (a large export) it sends what it kept to w and passes the rest
// through, keeping nothing.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
	tooBig bool
	w      http.ResponseWriter
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	if r.tooBig {
		return r.w.Write(p)
	}
	r.body.Write(p)
	if r.body.Len() > cacheMaxBody {
		r.tooBig = true
		(&cachedAnswer{status: r.status, header: r.header, body: r.body.Bytes()}).write(r.w)
		r.body = bytes.Buffer{}
	}
	return len(p), nil
}
