package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// testWaits: the waits a service announced are kept per source and scope,
// a later wait wins over an earlier one, and ended waits are forgotten.
func testWaits(t *testing.T, s crm.Store) {
	w, ok := s.(connectors.Waits)
	if !ok {
		t.Skipf("%T keeps no waits", s)
	}
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	soon, later := now.Add(time.Hour), now.Add(2*time.Hour)
	for _, set := range []struct {
		source, scope string
		until         time.Time
	}{
		{"gh", "", later},
		{"gh", "", soon}, // earlier than the one recorded: ignored
		{"so", "/questions", soon},
		{"so", "/answers", now.Add(-time.Minute)}, // ended already
		{"so-2", "", later},
	} {
		if err := w.SetWait(ctx, set.source, set.scope, set.until); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		source string
		want   map[string]time.Time
	}{
		{"gh", map[string]time.Time{"": later}},
		{"so", map[string]time.Time{"/questions": soon}},
		{"none", map[string]time.Time{}},
	} {
		got, err := w.Waits(ctx, tt.source)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("Waits(%q) (-want +got):\n%s", tt.source, diff)
		}
	}
}
