package connectors

import (
	"context"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/rollcall-dev/rollcall/config"
)

// DefaultMissingTTL is how long a per-object lookup that answered 404 or 410
// is remembered when the source's config does not say (missing_ttl).
const DefaultMissingTTL = config.DefaultMissingTTL

// MissingSet remembers the objects whose per-object lookup (a profile, an
// issue, a status, a list of likes) answered 404 or 410, each until an
// expiry, so that the lookup is made at most once per pass and not repeated
// by later passes before it expires. Keys name the object, lower-cased, by
// id where the service gives one ("issue:owner/repo#12", "user:583231"),
// and never hold a secret. It travels in Cursor.Missing and is safe for
// concurrent use; a nil *MissingSet knows nothing and remembers nothing.
//
// Put it in a connector's context with WithMissing, like an ETagSet.
type MissingSet struct {
	mu  sync.Mutex
	m   map[string]time.Time
	ttl time.Duration
	now func() time.Time
}

// NewMissingSet returns a set holding a copy of m (key → expiry; may be
// nil). Add remembers a key for ttl (DefaultMissingTTL when ttl <= 0);
// expiry is judged by now (time.Now when nil).
func NewMissingSet(m map[string]time.Time, ttl time.Duration, now func() time.Time) *MissingSet {
	if ttl <= 0 {
		ttl = DefaultMissingTTL
	}
	if now == nil {
		now = time.Now
	}
	s := &MissingSet{m: make(map[string]time.Time, len(m)), ttl: ttl, now: now}
	for k, v := range m {
		s.m[strings.ToLower(k)] = v
	}
	return s
}

// Known reports whether key answered 404 or 410 and that answer has not
// expired yet.
func (s *MissingSet) Known(key string) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.m[strings.ToLower(key)]
	return ok && s.now().Before(until)
}

// Add remembers that key answered 404 or 410, until now plus the TTL.
func (s *MissingSet) Add(key string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[strings.ToLower(key)] = s.now().Add(s.ttl)
}

// Map returns the unexpired entries (key → expiry) for the next cursor, or
// nil when there are none: expired entries are dropped, so the set holds
// only the objects found missing during the last TTL.
func (s *MissingSet) Map() map[string]time.Time {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := maps.Clone(s.m)
	maps.DeleteFunc(out, func(_ string, until time.Time) bool { return !now.Before(until) })
	if len(out) == 0 {
		return nil
	}
	return out
}

type missingKey struct{}

// WithMissing returns a context whose connector code finds set with
// MissingFrom.
func WithMissing(ctx context.Context, set *MissingSet) context.Context {
	return context.WithValue(ctx, missingKey{}, set)
}

// MissingFrom returns the set stored by WithMissing, or nil (which knows
// nothing and remembers nothing).
func MissingFrom(ctx context.Context) *MissingSet {
	s, _ := ctx.Value(missingKey{}).(*MissingSet)
	return s
}

// SkipKnownMissing reports whether the lookup of key must be skipped
// because ctx's MissingSet knows it is missing; a skip is counted in
// Stats.KnownMissing and logged at debug level with the key.
func (c *Client) SkipKnownMissing(ctx context.Context, key string) bool {
	if !MissingFrom(ctx).Known(key) {
		return false
	}
	c.CountKnownMissing()
	c.log.Debug("lookup skipped: known missing", "key", key)
	return true
}

// RememberMissing records in ctx's MissingSet that the lookup of key
// answered status (404 or 410; 0 for an id a batch read did not return),
// and logs it at info level with the key.
func (c *Client) RememberMissing(ctx context.Context, key string, status int) {
	MissingFrom(ctx).Add(key)
	if status == 0 {
		c.log.Info("object not returned by its lookup; not asked again until the memory expires", slog.String("key", key))
		return
	}
	c.log.Info("lookup answered missing; not asked again until the memory expires", slog.String("key", key), slog.Int("status", status))
}
