package storetest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// testObjects checks the per-object state (connectors.ObjectState): Apply
// writes and deletes a batch's Objects with the batch, per source; reads
// find them by key and scan a prefix in byte order; a rejected batch
// writes none; a replay changes nothing.
func testObjects(t *testing.T, s crm.Store) {
	os, ok := s.(connectors.ObjectState)
	if !ok {
		t.Skip("the store keeps no per-object state")
	}
	ctx := t.Context()
	obj := func(k, v string) connectors.Object {
		if v == "" {
			return connectors.Object{Key: k}
		}
		return connectors.Object{Key: k, Value: json.RawMessage(v)}
	}
	get := func(source string, keys ...string) map[string]string {
		t.Helper()
		m, err := os.Objects(ctx, source, keys)
		if err != nil {
			t.Fatalf("Objects(%s): %v", source, err)
		}
		out := map[string]string{}
		for k, v := range m {
			out[k] = string(v)
		}
		return out
	}
	scan := func(source, prefix, after string, limit int) []string {
		t.Helper()
		list, err := os.ObjectsAfter(ctx, source, prefix, after, limit)
		if err != nil {
			t.Fatalf("ObjectsAfter(%s, %q, %q): %v", source, prefix, after, err)
		}
		var out []string
		for _, o := range list {
			out = append(out, o.Key+"="+string(o.Value))
		}
		return out
	}
	check := func(what string, got, want any) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}

	b := connectors.Batch{
		Objects: []connectors.Object{
			obj("issue/o/r#0000000012", `{"id":99,"pr":true,"title":"Ünïcode \"q\""}`),
			obj("review/o/r#0000000002", `{"n":2}`), obj("review/o/r#0000000010", `{"n":10}`),
			obj("review/o/r#0000000001", `{"n":1}`), obj("review/o/s#0000000001", `{"n":1}`),
			obj("review/o/r", `0`),
		},
		Next: cursor(`{"v":1}`, nil),
	}
	apply(t, s, "gh", b)
	apply(t, s, "other", connectors.Batch{Objects: []connectors.Object{obj("review/o/r#0000000003", `{"n":3}`)}, Next: cursor(`{}`, nil)})
	check("Objects", get("gh", "issue/o/r#0000000012", "nope", "review/o/r#0000000002"),
		map[string]string{"issue/o/r#0000000012": `{"id":99,"pr":true,"title":"Ünïcode \"q\""}`, "review/o/r#0000000002": `{"n":2}`})
	check("Objects of no key", get("gh"), map[string]string{})
	check("ObjectsAfter from the first", scan("gh", "review/o/r#", "", 2),
		[]string{`review/o/r#0000000001={"n":1}`, `review/o/r#0000000002={"n":2}`})
	check("ObjectsAfter a key", scan("gh", "review/o/r#", "review/o/r#0000000002", 10), []string{`review/o/r#0000000010={"n":10}`})
	check("ObjectsAfter the last", scan("gh", "review/o/r#", "review/o/r#0000000010", 10), []string(nil))
	check("ObjectsAfter of another source", scan("other", "review/", "", 10), []string{`review/o/r#0000000003={"n":3}`})

	// A replay changes nothing; a later batch deletes and overwrites.
	apply(t, s, "gh", b)
	apply(t, s, "gh", connectors.Batch{
		Objects: []connectors.Object{obj("review/o/r#0000000001", ""), obj("review/o/r#0000000002", `{"n":2,"id":7}`), obj("never", "")},
		Next:    cursor(`{"v":2}`, nil),
	})
	check("after delete and overwrite", scan("gh", "review/o/r#", "", 10),
		[]string{`review/o/r#0000000002={"n":2,"id":7}`, `review/o/r#0000000010={"n":10}`})

	// A rejected batch writes no per-object state.
	bad := connectors.Batch{
		Activities: []connectors.Activity{{Key: "", Actor: gh("2"), OccurredAt: at(2)}},
		Objects:    []connectors.Object{obj("review/o/r#0000000010", ""), obj("new", `1`)},
		Next:       cursor(`{"v":3}`, nil),
	}
	if _, err := s.Apply(ctx, "gh", bad); err == nil {
		t.Errorf("Apply with an activity without key succeeded")
	}
	for _, o := range []connectors.Object{obj("x", `{not json`), obj("", `1`), {Key: "bad\x00key", Value: json.RawMessage(`1`)}} {
		if _, err := s.Apply(ctx, "gh", connectors.Batch{Objects: []connectors.Object{o}, Next: cursor(`{"v":4}`, nil)}); err == nil {
			t.Errorf("Apply with per-object state %q = %q succeeded; want an error", o.Key, o.Value)
		}
	}
	check("after rejected batches", get("gh", "review/o/r#0000000010", "new", "x"), map[string]string{"review/o/r#0000000010": `{"n":10}`})
	if c, err := s.Cursor(ctx, "gh"); err != nil || string(c.State) != `{"v":2}` {
		t.Errorf("Cursor = %s, %v; want the last committed state", c.State, err)
	}
}
