package sqlite_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// TestTakeOverLease: a held lease is given to a new holder, with the next
// token, only while it still has the holder and token the caller names;
// the old holder's renewal then fails with ErrLeaseLost.
func TestTakeOverLease(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "rollcall.db"))
	defer s.Close()
	old, ok, err := s.AcquireLease(ctx, "@webhook", "dead", time.Hour)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if l, ok, err := s.TakeOverLease(ctx, crm.Fence{Source: "@webhook", Holder: "dead", Token: old.Token + 1}, "new", time.Minute); err != nil || ok || l.Holder != "dead" {
		t.Errorf("take over with the wrong token = %+v, %v, %v; want refused", l, ok, err)
	}
	l, ok, err := s.TakeOverLease(ctx, crm.Fence{Source: "@webhook", Holder: "dead", Token: old.Token}, "new", time.Minute)
	if err != nil || !ok || l.Holder != "new" || l.Token != old.Token+1 {
		t.Fatalf("take over = %+v, %v, %v; want new with token %d", l, ok, err, old.Token+1)
	}
	if _, err := s.RenewLease(ctx, old, time.Hour); !errors.Is(err, crm.ErrLeaseLost) {
		t.Errorf("old holder's renewal = %v, want ErrLeaseLost", err)
	}
	if _, ok, err := s.AcquireLease(ctx, "@webhook", "third", time.Hour); err != nil || ok {
		t.Errorf("a third holder took the lease: %v, %v", ok, err)
	}
}
