package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Leaser is what a store shares sources among daemon replicas with; Run
// checks it when the store under test implements it.
type Leaser interface {
	AcquireLease(ctx context.Context, source, holder string, ttl time.Duration) (crm.Lease, bool, error)
	RenewLease(ctx context.Context, l crm.Lease, ttl time.Duration) (crm.Lease, error)
	ReleaseLease(ctx context.Context, l crm.Lease) error
	Leases(ctx context.Context) ([]crm.Lease, error)
}

var leaseTests = []struct {
	name string
	fn   func(t *testing.T, s crm.Store, l Leaser)
}{
	{"LeaseOneHolderAtATime", testLeaseOneHolder},
	{"LeaseTakenOverFencesTheStalledHolder", testLeaseFence},
	{"LeaseReleasedIsFree", testLeaseRelease},
}

func testLeaseOneHolder(t *testing.T, s crm.Store, ls Leaser) {
	ctx := t.Context()
	a, ok, err := ls.AcquireLease(ctx, "src", "replica-a", time.Minute)
	if err != nil || !ok || a.Holder != "replica-a" || a.Token != 1 || a.Source != "src" {
		t.Fatalf("first AcquireLease = %+v, %v, %v; want held by replica-a, token 1", a, ok, err)
	}
	b, ok, err := ls.AcquireLease(ctx, "src", "replica-b", time.Minute)
	if err != nil || ok || b.Holder != "replica-a" || b.Token != 1 {
		t.Fatalf("AcquireLease by another while held = %+v, %v, %v; want refused, naming replica-a", b, ok, err)
	}
	again, ok, err := ls.AcquireLease(ctx, "src", "replica-a", time.Hour)
	if err != nil || !ok || again.Token != 1 || !again.Expires.After(a.Expires) {
		t.Fatalf("AcquireLease by the holder = %+v, %v, %v; want extended, same token", again, ok, err)
	}
	if _, err := ls.RenewLease(ctx, again, time.Hour); err != nil {
		t.Fatalf("RenewLease by the holder: %v", err)
	}
	other, ok, err := ls.AcquireLease(ctx, "other", "replica-b", time.Minute)
	if err != nil || !ok || other.Token != 1 {
		t.Fatalf("AcquireLease of another source = %+v, %v, %v", other, ok, err)
	}
	all, err := ls.Leases(ctx)
	if err != nil || len(all) != 2 || all[0].Source != "other" || all[1].Source != "src" || all[1].Holder != "replica-a" {
		t.Fatalf("Leases() = %+v, %v", all, err)
	}
}

// A holder that stalled past its lease cannot renew it, and its batch,
// fenced with the old token, commits nothing; the successor's does.
func testLeaseFence(t *testing.T, s crm.Store, ls Leaser) {
	ctx := t.Context()
	a, ok, err := ls.AcquireLease(ctx, "src", "replica-a", 10*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("AcquireLease: %+v, %v, %v", a, ok, err)
	}
	apply(t, s, "src", connectors.Batch{Next: cursor(`{"by":"a"}`, nil)})
	time.Sleep(30 * time.Millisecond) // a stalls past its lease
	b, ok, err := ls.AcquireLease(ctx, "src", "replica-b", time.Minute)
	if err != nil || !ok || b.Token != a.Token+1 {
		t.Fatalf("AcquireLease after expiry = %+v, %v, %v; want taken, token %d", b, ok, err, a.Token+1)
	}
	if _, err := ls.RenewLease(ctx, a, time.Minute); !errors.Is(err, crm.ErrLeaseLost) {
		t.Fatalf("RenewLease by the stalled holder: %v, want ErrLeaseLost", err)
	}
	stale := connectors.Batch{
		Accounts:   []connectors.Account{{AccountRef: gh("stale"), Username: "stale"}},
		Activities: []connectors.Activity{{Key: "github/github.com/star/stale", Platform: "github", Instance: "github.com", Type: "star", OccurredAt: at(1), Actor: gh("stale")}},
		Next:       cursor(`{"by":"stale a"}`, nil),
	}
	_, err = s.Apply(crm.WithFence(ctx, crm.Fence{Source: "src", Holder: a.Holder, Token: a.Token}), "src", stale)
	if !errors.Is(err, crm.ErrLeaseLost) {
		t.Fatalf("Apply fenced with the lost lease: %v, want ErrLeaseLost", err)
	}
	if c, err := s.Cursor(ctx, "src"); err != nil || string(c.State) != `{"by":"a"}` {
		t.Fatalf("cursor after the refused batch: %s, %v", c.State, err)
	}
	if _, err := s.IdentityByRef(ctx, gh("stale")); !errors.Is(err, crm.ErrNotFound) {
		t.Fatalf("the refused batch's account is stored: %v", err)
	}
	// The same fence on another source's batch is refused too.
	if _, err := s.Apply(crm.WithFence(ctx, crm.Fence{Source: "src", Holder: b.Holder, Token: b.Token}), "other", connectors.Batch{}); err == nil {
		t.Fatal("Apply of another source with src's fence succeeded")
	}
	res, err := s.Apply(crm.WithFence(ctx, crm.Fence{Source: "src", Holder: b.Holder, Token: b.Token}), "src", stale)
	if err != nil || res.NewActivities != 1 {
		t.Fatalf("Apply by the successor: %+v, %v", res, err)
	}
	if c, err := s.Cursor(ctx, "src"); err != nil || string(c.State) != `{"by":"stale a"}` {
		t.Fatalf("cursor after the successor's batch: %s, %v", c.State, err)
	}
}

func testLeaseRelease(t *testing.T, s crm.Store, ls Leaser) {
	ctx := t.Context()
	a, ok, err := ls.AcquireLease(ctx, "src", "replica-a", time.Hour)
	if err != nil || !ok {
		t.Fatalf("AcquireLease: %v %v", ok, err)
	}
	if err := ls.ReleaseLease(ctx, a); err != nil {
		t.Fatal(err)
	}
	b, ok, err := ls.AcquireLease(ctx, "src", "replica-b", time.Hour)
	if err != nil || !ok || b.Token != a.Token+1 {
		t.Fatalf("AcquireLease after release = %+v, %v, %v; want taken with token %d", b, ok, err, a.Token+1)
	}
	// Releasing a lease one no longer holds changes nothing.
	if err := ls.ReleaseLease(ctx, a); err != nil {
		t.Fatal(err)
	}
	if all, err := ls.Leases(ctx); err != nil || len(all) != 1 || all[0].Holder != "replica-b" || !all[0].Held(time.Now()) {
		t.Fatalf("Leases() after a stale release = %+v, %v", all, err)
	}
}
