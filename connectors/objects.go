package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Object is one entry of a source's per-object memory: what a connector
// must remember about one object of its service between batches (an
// issue's id and kind, a pull request whose reviews are to be read, a
// queued profile read), so that its cursor holds only watermarks. Key
// names the object ("issue:owner/repo#0000000012"); Value is JSON, nil in a
// Batch to delete the entry.
type Object struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value,omitempty"`
}

// AccountObjectKey is the key of an entry of the per-object memory about
// one account (a queued profile read, a profile mark): kind, then
// "/account:" and the account's ExternalID. The store's Forget deletes
// every entry whose key ends in "/account:<ExternalID>" of a forgotten
// account; no other entry may hold an account's data.
func AccountObjectKey(kind, externalID string) string { return kind + "/account:" + externalID }

// ObjectState reads a source's per-object memory as the store committed it
// (the Objects of every batch applied so far). The daemon passes the store;
// a connector never writes through it: its writes travel in Batch.Objects
// and are committed in the batch's transaction, so the memory is never
// ahead of or behind the data and the cursor.
type ObjectState interface {
	// Objects returns the committed values of keys; a key without an
	// entry is absent from the map.
	Objects(ctx context.Context, source string, keys []string) (map[string]json.RawMessage, error)
	// ObjectsAfter returns, in byte order of their keys, at most limit
	// committed entries whose key starts with prefix and sorts after
	// after ("" for the first).
	ObjectsAfter(ctx context.Context, source, prefix, after string, limit int) ([]Object, error)
}

// PrefixEnd returns the least string greater than every string starting
// with prefix, for a key range scan (prefix <= key < end); "" when there is
// none (a prefix of only 0xff bytes: scan to the end).
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return ""
	}
	b[len(b)-1]++
	return string(b)
}

// ObjectBuffer is a connector's view of its per-object memory during one
// Fetch: reads go to the committed state (batched, and cached for the
// Fetch), writes are buffered and visible to later reads at once, and
// leave in the batch (Writes). Without an ObjectState (a caller with no
// store) the committed state is a map the connector keeps in its own
// cursor (Embedded); the connector code is the same either way. Safe for
// concurrent use.
type ObjectBuffer struct {
	mu       sync.Mutex
	src      ObjectState
	source   string
	embedded map[string]json.RawMessage // committed state when src is nil
	cache    map[string]json.RawMessage // committed values read (nil: no entry)
	writes   map[string]json.RawMessage // pending writes (nil: delete)
}

// NewObjectBuffer returns a buffer over src's entries of source, or, when
// src is nil, over embedded (the map a connector's cursor carried; it is
// not modified).
func NewObjectBuffer(src ObjectState, source string, embedded map[string]json.RawMessage) *ObjectBuffer {
	b := &ObjectBuffer{src: src, source: source, cache: map[string]json.RawMessage{}, writes: map[string]json.RawMessage{}}
	if src == nil {
		b.embedded = maps.Clone(embedded)
		if b.embedded == nil {
			b.embedded = map[string]json.RawMessage{}
		}
	}
	return b
}

// Load reads the committed values of keys not read or written yet in one
// batched lookup, so that the Gets that follow cost nothing.
func (b *ObjectBuffer) Load(ctx context.Context, keys ...string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.load(ctx, keys)
}

func (b *ObjectBuffer) load(ctx context.Context, keys []string) error {
	var need []string
	for _, k := range keys {
		if _, ok := b.writes[k]; ok {
			continue
		}
		if _, ok := b.cache[k]; ok {
			continue
		}
		if !slices.Contains(need, k) {
			need = append(need, k)
		}
	}
	if len(need) == 0 {
		return nil
	}
	if b.src == nil {
		for _, k := range need {
			b.cache[k] = b.embedded[k]
		}
		return nil
	}
	got, err := b.src.Objects(ctx, b.source, need)
	if err != nil {
		return fmt.Errorf("read per-object state: %w", err)
	}
	for _, k := range need {
		b.cache[k] = got[k] // nil when absent
	}
	return nil
}

// Get decodes the entry of key into v and reports whether there is one.
func (b *ObjectBuffer) Get(ctx context.Context, key string, v any) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	raw, ok := b.writes[key]
	if !ok {
		if err := b.load(ctx, []string{key}); err != nil {
			return false, err
		}
		raw = b.cache[key]
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode per-object state %s: %w", key, err)
	}
	return true, nil
}

// Put sets the entry of key to v, as JSON.
func (b *ObjectBuffer) Put(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode per-object state %s: %w", key, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes[key] = raw
	return nil
}

// Delete removes the entry of key.
func (b *ObjectBuffer) Delete(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes[key] = nil
}

// scanPage is how many committed entries Next reads at a time.
const scanPage = 64

// Next returns the first entry, in byte order of keys, whose key starts
// with prefix and sorts after after, as it stands with this Fetch's writes;
// ok is false when there is none.
func (b *ObjectBuffer) Next(ctx context.Context, prefix, after string) (key string, value json.RawMessage, ok bool, err error) {
	list, err := b.Scan(ctx, prefix, after, 1)
	if err != nil || len(list) == 0 {
		return "", nil, false, err
	}
	return list[0].Key, list[0].Value, true, nil
}

// Scan returns, in byte order of keys, up to n entries whose key starts
// with prefix and sorts after after, as they stand with this Fetch's
// writes, reading the committed state a page at a time.
func (b *ObjectBuffer) Scan(ctx context.Context, prefix, after string, n int) ([]Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n <= 0 {
		return nil, nil
	}
	inRange := func(k string) bool { return strings.HasPrefix(k, prefix) && k > after }
	var out []Object
	for k, v := range b.writes {
		if v != nil && inRange(k) {
			out = append(out, Object{Key: k, Value: v})
		}
	}
	if b.src == nil {
		for k, v := range b.embedded {
			if _, w := b.writes[k]; !w && inRange(k) {
				out = append(out, Object{Key: k, Value: v})
			}
		}
	} else {
		// Committed entries not overwritten by this Fetch, until n of them
		// (then every write that sorts before the n-th is in out too) or
		// the end of the range.
		limit := max(n, scanPage)
		for from, found := after, 0; found < n; {
			page, err := b.src.ObjectsAfter(ctx, b.source, prefix, from, limit)
			if err != nil {
				return nil, fmt.Errorf("scan per-object state %s: %w", prefix, err)
			}
			for _, o := range page {
				if _, w := b.writes[o.Key]; !w {
					out = append(out, o)
					found++
				}
			}
			if len(page) < limit {
				break
			}
			from = page[len(page)-1].Key
		}
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out[:min(len(out), n)], nil
}

// Writes returns the buffered writes, sorted by key, for Batch.Objects; nil
// without an ObjectState (they are in Embedded instead).
func (b *ObjectBuffer) Writes() []Object {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.src == nil || len(b.writes) == 0 {
		return nil
	}
	out := make([]Object, 0, len(b.writes))
	for k, v := range b.writes {
		out = append(out, Object{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Embedded returns, without an ObjectState, the committed map with this
// Fetch's writes applied, for the connector's next cursor (nil when
// empty); nil with an ObjectState, whose entries the store keeps.
func (b *ObjectBuffer) Embedded() map[string]json.RawMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.src != nil {
		return nil
	}
	out := maps.Clone(b.embedded)
	for k, v := range b.writes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
