package web

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
// many clients read it, and a lone reader always sees the store as it is.
//
// With freshFor set (the daemon: 5 s), an answer younger than freshFor is
// also served after changes, as long as they came from syncs: no decision
// of a person since (the store's DecisionsVersion: merges, unmerges,
// suggestions decided, overrides, forgets) and no form or API write
// through this server. It is made again in the background meanwhile. So
// during a backfill that commits every second, each page is made at most
// once per freshFor, and what a person changes still shows at once.
type pageCache struct {
	ver      DataVersioner
	dec      decisionsVersioner // nil: freshFor is off
	now      func() time.Time
	maxStale time.Duration
	freshFor time.Duration
	local    atomic.Int64 // bumped around every write through this server
	// refreshes holds a token for each background refresh being made:
	// at most one per core at once, however many pages are stale, so
	// that the memory the pages' computations hold together (each reads
	// every member's scores) does not grow with the number of pages
	// read. A refresh waits for a token; the kept answer is served
	// meanwhile.
	refreshes chan struct{}

	mu    sync.Mutex
	m     map[string]*cacheSlot
	bytes int // the kept answers' bodies together
}

// decisionsVersioner is the store's count of people's decisions
// (crm.IdentityStore's DecisionsVersion).
type decisionsVersioner interface {
	DecisionsVersion(ctx context.Context) (int64, error)
}

type cacheSlot struct {
	entry    *cachedAnswer
	inflight chan struct{} // closed when the answer being made is ready
}

// marks are what an answer was made at: the data version, the decisions
// version (when read) and the server's write count.
type marks struct {
	version, decisions, local int64
}

type cachedAnswer struct {
	marks
	at     time.Time
	status int
	header http.Header
	body   []byte
}

func newPageCache(ver DataVersioner, maxStale, freshFor time.Duration, now func() time.Time) *pageCache {
	if maxStale <= 0 {
		maxStale = cacheMaxStale
	}
	c := &pageCache{ver: ver, now: now, maxStale: maxStale, m: map[string]*cacheSlot{},
		refreshes: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
	if d, ok := ver.(decisionsVersioner); ok && freshFor > 0 {
		c.dec, c.freshFor = d, freshFor
	}
	return c
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
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A write: answers kept before it, or made while it runs,
			// are not served past a change it made.
			c.local.Add(1)
			defer c.local.Add(1)
		}
		if !cacheable(r) {
			next.ServeHTTP(w, r)
			return
		}
		mk := marks{local: c.local.Load()}
		var err error
		if mk.version, err = c.ver.DataVersion(r.Context()); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		key := actorOf(r.Context()) + "\x00" + r.Header.Get("Accept") + "\x00" + r.URL.RequestURI()
		decisionsRead := false
		for {
			c.mu.Lock()
			slot := c.m[key]
			if slot == nil {
				slot = &cacheSlot{}
				c.m[key] = slot
				c.evict(key)
			}
			e, now := slot.entry, c.now()
			if e != nil && e.version == mk.version && e.local == mk.local && now.Sub(e.at) < cacheMaxAge {
				c.mu.Unlock()
				e.write(w)
				return
			}
			if e != nil && c.dec != nil && e.local == mk.local && now.Sub(e.at) < c.freshFor {
				if !decisionsRead {
					// Read outside the lock, then look again.
					c.mu.Unlock()
					decisionsRead = true
					if mk.decisions, err = c.dec.DecisionsVersion(r.Context()); err != nil {
						next.ServeHTTP(w, r)
						return
					}
					continue
				}
				if e.decisions == mk.decisions {
					if slot.inflight == nil {
						slot.inflight = make(chan struct{})
						bg := r.Clone(context.WithoutCancel(r.Context()))
						go func() {
							c.refreshes <- struct{}{}
							defer func() { <-c.refreshes }()
							c.answer(next, nil, bg, key, slot, mk, now)
						}()
					}
					c.mu.Unlock()
					e.write(w)
					return
				}
			}
			if ch := slot.inflight; ch != nil {
				if e != nil && e.local == mk.local && now.Sub(e.at) < c.maxStale && (c.dec == nil || !decisionsRead || e.decisions == mk.decisions) {
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
			slot.inflight = make(chan struct{})
			c.mu.Unlock()
			if c.dec != nil && !decisionsRead {
				if mk.decisions, err = c.dec.DecisionsVersion(r.Context()); err != nil {
					mk.decisions = -1 // never matches: kept only while the data is unchanged
				}
			}
			c.answer(next, w, r, key, slot, mk, now)
			return
		}
	})
}

// answer makes the answer of slot (whose inflight channel the caller set),
// keeps it, and sends it to w (nil: a refresh in the background).
func (c *pageCache) answer(next http.Handler, w http.ResponseWriter, r *http.Request, key string, slot *cacheSlot, mk marks, at time.Time) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK, w: w}
	if w == nil {
		rec.w = discard{}
		if c.dec != nil {
			// A refresh serves readers for freshFor: it must carry the
			// decisions version it saw, read before the data.
			d, err := c.dec.DecisionsVersion(r.Context())
			if err != nil {
				d = -1
			}
			mk.decisions = d
			if v, err := c.ver.DataVersion(r.Context()); err == nil {
				mk.version = v
			}
			mk.local = c.local.Load()
			at = c.now()
		}
	}
	defer func() {
		c.mu.Lock()
		ch := slot.inflight
		slot.inflight = nil
		if rec.status == http.StatusOK && !rec.tooBig && rec.header.Get("Set-Cookie") == "" && c.m[key] == slot {
			if slot.entry != nil {
				c.bytes -= len(slot.entry.body)
			}
			slot.entry = &cachedAnswer{marks: mk, at: at, status: rec.status, header: rec.header, body: keptBody(&rec.body)}
			c.bytes += len(slot.entry.body)
			c.evict(key)
		}
		c.mu.Unlock()
		if ch != nil {
			close(ch)
		}
	}()
	next.ServeHTTP(rec, r)
	if w != nil && !rec.tooBig {
		(&cachedAnswer{status: rec.status, header: rec.header, body: rec.body.Bytes()}).write(w)
	}
}

// keptBody is b's bytes to keep in the cache: the buffer itself when it
// is about full, else a copy of exactly its length, so that what the cache
// holds is what cacheMaxBytes counts (a buffer grown by doubling can be
// up to twice its length).
func keptBody(b *bytes.Buffer) []byte {
	p := b.Bytes()
	if cap(p)-len(p) > len(p)/8 {
		return bytes.Clone(p)
	}
	return p
}

// discard is where a background refresh's answer goes when it is too big
// to keep.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

// evict drops the oldest answers not being made, other than keep's,
// while the cache holds more than cacheEntries, or more than cacheMaxBytes
// of them (c.mu held).
func (c *pageCache) evict(keep string) {
	for len(c.m) > cacheEntries || c.bytes > cacheMaxBytes {
		var oldest string
		var at time.Time
		for k, s := range c.m {
			if s.inflight != nil || k == keep {
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
