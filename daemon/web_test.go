package daemon

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSourceStatuses checks what the web's sources page gets from the
// daemon: what each source collected, when it last synced, its error.
func TestSourceStatuses(t *testing.T) {
	st := openStore(t)
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	ok := &script{name: "a", steps: 4}
	bad := &script{name: "b", steps: 2, failAt: map[int]error{0: errors.New("b: boom")}}
	d := newDaemon(t, st, clock, nil,
		Source{Name: "a", Type: "github", Interval: time.Minute, Connector: ok},
		Source{Name: "b", Type: "github", Interval: time.Minute, Connector: bad})
	before := d.SourceStatuses()
	if len(before) != 2 || before[0].Name != "a" || before[0].Type != "github" || before[0].StateClass() != "new" || !before[0].LastSync.IsZero() {
		t.Fatalf("before any pass: %+v", before)
	}
	d.SyncOnce(context.Background())
	got := d.SourceStatuses()
	a, b := got[0], got[1]
	if a.Activities != 4 || a.Accounts != 3 || a.Passes != 1 || !a.LastSync.Equal(start) || !a.LastSuccess.Equal(start) || a.Running || a.StateClass() != "ok" {
		t.Errorf("source a = %+v", a)
	}
	if b.LastError != "b: boom" || b.StateClass() != "error" || !b.LastSuccess.IsZero() || b.Activities != 0 {
		t.Errorf("source b = %+v", b)
	}
	if a.RateKnown {
		t.Errorf("a connector without a rate limit reports one: %+v", a)
	}
}
