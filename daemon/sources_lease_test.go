package daemon

import (
	"context"
	"testing"
	"time"
)

// The sources page and /api/v1/sources say which replica fetches each
// source: this one, or another one whose lease runs.
func TestSourceStatusesShowLeaseHolders(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const other = "vm2:77:9f8e7d6c"
	if _, ok, err := st.AcquireLease(ctx, "theirs", other, time.Hour); err != nil || !ok {
		t.Fatalf("take the other replica's lease: %v, %v", ok, err)
	}
	d := New(Options{Store: st, Leases: st, Sources: []Source{
		{Name: "mine", Interval: time.Minute, Connector: &script{name: "mine", steps: 1}},
		{Name: "theirs", Interval: time.Minute, Connector: &script{name: "theirs", steps: 1}},
	}})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		var passes int
		var seen bool
		for _, s := range d.SourceStatuses() {
			if s.Name == "mine" {
				passes = s.Passes
			}
			if s.Name == "theirs" && s.LeaseHolder != "" {
				seen = true
			}
		}
		if passes > 0 && seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pass of mine and no look at the lease of theirs within 20s: %+v", d.SourceStatuses())
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := map[string]bool{}
	for _, s := range d.SourceStatuses() {
		got[s.Name] = true
		switch s.Name {
		case "mine":
			if s.LeaseHolder == "" || s.LeaseHolder == other || !s.LeaseHere || s.Elsewhere || s.StateClass() != "ok" {
				t.Errorf("mine: %+v (state %s), want held by this replica and up to date", s, s.StateClass())
			}
		case "theirs":
			if s.LeaseHolder != other || s.LeaseHere || !s.Elsewhere || s.LeaseExpires.IsZero() || s.StateClass() != "elsewhere" {
				t.Errorf("theirs: %+v (state %s), want fetched by %s", s, s.StateClass(), other)
			}
		}
	}
	if !got["mine"] || !got["theirs"] {
		t.Errorf("statuses of %v, want mine and theirs", got)
	}
}
