package connectors

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// memObjects is a committed per-object state, as a store keeps it.
type memObjects map[string]json.RawMessage

func (m memObjects) Objects(_ context.Context, _ string, keys []string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

func (m memObjects) ObjectsAfter(_ context.Context, _, prefix, after string, limit int) ([]Object, error) {
	var out []Object
	for k, v := range m {
		if strings.HasPrefix(k, prefix) && k > after {
			out = append(out, Object{Key: k, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out[:min(len(out), limit)], nil
}

// TestObjectBuffer checks that reads see the Fetch's own writes over the
// committed state, that Next walks a prefix in key order across both (past
// more deleted entries than one scan page), and that the writes come out
// for the batch, or, without a store, in the embedded map.
func TestObjectBuffer(t *testing.T) {
	committed := func() map[string]json.RawMessage {
		m := map[string]json.RawMessage{"a": json.RawMessage(`1`), "q/05": json.RawMessage(`5`), "q/09": json.RawMessage(`9`), "z": json.RawMessage(`0`)}
		for i := range 2 * scanPage {
			m["q/01-"+strings.Repeat("x", i)] = json.RawMessage(`0`)
		}
		return m
	}
	for _, tt := range []struct {
		name  string
		store bool
	}{{"store", true}, {"embedded", false}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			var b *ObjectBuffer
			if tt.store {
				b = NewObjectBuffer(memObjects(committed()), "s", nil)
			} else {
				b = NewObjectBuffer(nil, "s", committed())
			}
			for k := range committed() {
				if strings.HasPrefix(k, "q/01-") {
					b.Delete(k) // more than a scan page deleted
				}
			}
			if err := b.Put("q/07", 7); err != nil {
				t.Fatal(err)
			}
			b.Delete("q/09")
			if err := b.Put("a", 2); err != nil {
				t.Fatal(err)
			}
			if err := b.Load(ctx, "a", "z", "none"); err != nil {
				t.Fatal(err)
			}
			var n int
			if ok, err := b.Get(ctx, "a", &n); err != nil || !ok || n != 2 {
				t.Errorf("Get(a) = %d, %v, %v; want the written 2", n, ok, err)
			}
			if ok, err := b.Get(ctx, "z", &n); err != nil || !ok || n != 0 {
				t.Errorf("Get(z) = %d, %v, %v; want the committed 0", n, ok, err)
			}
			if ok, err := b.Get(ctx, "q/09", &n); err != nil || ok {
				t.Errorf("Get(q/09) = %v, %v; want deleted", ok, err)
			}
			var walk []string
			for k := ""; ; {
				key, v, ok, err := b.Next(ctx, "q/", k)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				walk = append(walk, key+"="+string(v))
				k = key
			}
			if want := []string{"q/05=5", "q/07=7"}; !slices.Equal(walk, want) {
				t.Errorf("Next walk = %v, want %v", walk, want)
			}
			writes, embedded := b.Writes(), b.Embedded()
			if tt.store {
				if len(writes) != 2*scanPage+3 || embedded != nil || !slices.IsSortedFunc(writes, func(a, b Object) int { return strings.Compare(a.Key, b.Key) }) {
					t.Errorf("with a store: %d writes (want %d, sorted), embedded %v", len(writes), 2*scanPage+3, embedded)
				}
				return
			}
			want := map[string]string{"a": "2", "q/05": "5", "q/07": "7", "z": "0"}
			got := map[string]string{}
			for k, v := range embedded {
				got[k] = string(v)
			}
			if writes != nil || len(got) != len(want) || got["a"] != "2" || got["q/07"] != "7" {
				t.Errorf("without a store: writes %v, embedded %v; want %v", writes, got, want)
			}
		})
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tt := range []struct{ in, want string }{{"review/o/r#", "review/o/r$"}, {"a\xff", "b"}, {"\xff\xff", ""}, {"", ""}} {
		if got := PrefixEnd(tt.in); got != tt.want {
			t.Errorf("PrefixEnd(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEndPass checks that the ETags a pass asked for are marked with it
// and that the pass's end drops the others, old plain values included
// unless the old cursor's touched list names them.
func TestEndPass(t *testing.T) {
	s := NewETagSet(map[string]string{"u1": `"a"`, "u2": `@3 W/"b"`, "u3": `@2 "c"`, "u4": `"d"`})
	if got := s.Get("u2"); got != `W/"b"` {
		t.Fatalf("Get(u2) = %q, want the ETag without its pass", got)
	}
	s.touch("u3")
	if got, want := s.EndPass(3, []string{"u4"}, false), map[string]string{"u1": `"a"`, "u2": `@3 W/"b"`, "u3": `@3 "c"`, "u4": `@3 "d"`}; !mapsEqual(got, want) {
		t.Errorf("EndPass mid-pass = %v, want %v", got, want)
	}
	if got, want := s.EndPass(3, nil, true), map[string]string{"u2": `@3 W/"b"`, "u3": `@3 "c"`, "u4": `@3 "d"`}; !mapsEqual(got, want) {
		t.Errorf("EndPass at the end = %v, want %v", got, want)
	}
	next := NewETagSet(s.EndPass(3, nil, true))
	next.touch("u2")
	if got, want := next.EndPass(4, nil, true), map[string]string{"u2": `@4 W/"b"`}; !mapsEqual(got, want) {
		t.Errorf("next pass's end = %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
