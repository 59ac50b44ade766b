package postgres

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The lease semantics of crm/storetest's lease tests, on the database's
// clock.
func TestLeases(t *testing.T) {
	ctx := t.Context()
	s := openTest(t)
	a, ok, err := s.AcquireLease(ctx, "src", "replica-a", time.Minute)
	if err != nil || !ok || a.Token != 1 || a.Holder != "replica-a" {
		t.Fatalf("first AcquireLease = %+v, %v, %v", a, ok, err)
	}
	if b, ok, err := s.AcquireLease(ctx, "src", "replica-b", time.Minute); err != nil || ok || b.Holder != "replica-a" {
		t.Fatalf("AcquireLease by another while held = %+v, %v, %v", b, ok, err)
	}
	again, ok, err := s.AcquireLease(ctx, "src", "replica-a", time.Hour)
	if err != nil || !ok || again.Token != 1 || !again.Expires.After(a.Expires) {
		t.Fatalf("AcquireLease by the holder = %+v, %v, %v", again, ok, err)
	}
	short, ok, err := s.AcquireLease(ctx, "quick", "replica-a", 10*time.Millisecond)
	if err != nil || !ok {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	taken, ok, err := s.AcquireLease(ctx, "quick", "replica-b", time.Minute)
	if err != nil || !ok || taken.Token != short.Token+1 {
		t.Fatalf("AcquireLease after expiry = %+v, %v, %v", taken, ok, err)
	}
	if _, err := s.RenewLease(ctx, short, time.Minute); !errors.Is(err, crm.ErrLeaseLost) {
		t.Fatalf("RenewLease by the stalled holder: %v", err)
	}
	if _, err := s.RenewLease(ctx, taken, time.Minute); err != nil {
		t.Fatalf("RenewLease by the holder: %v", err)
	}
	if err := s.ReleaseLease(ctx, again); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := s.AcquireLease(ctx, "src", "replica-b", time.Minute); err != nil || !ok || b.Token != 2 {
		t.Fatalf("AcquireLease after release = %+v, %v, %v", b, ok, err)
	}
	ls, err := s.Leases(ctx)
	if err != nil || len(ls) != 2 || ls[0].Source != "quick" || ls[1].Holder != "replica-b" {
		t.Fatalf("Leases() = %+v, %v", ls, err)
	}
}

// The fence refuses a lost lease, and while a batch's transaction holds
// the fence no replica can take the lease (its AcquireLease waits for the
// commit).
func TestFenceHoldsTheLeaseUntilCommit(t *testing.T) {
	ctx := t.Context()
	s := openTest(t)
	a, _, err := s.AcquireLease(ctx, "src", "replica-a", 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkFence(ctx, tx, "src", crm.Fence{Source: "src", Holder: a.Holder, Token: a.Token}); err != nil {
		t.Fatalf("fence of the holder: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // the lease expires while the batch is open
	took := make(chan crm.Lease, 1)
	go func() {
		l, _, err := s.AcquireLease(context.Background(), "src", "replica-b", time.Minute)
		if err != nil {
			t.Error(err)
		}
		took <- l
	}()
	select {
	case l := <-took:
		t.Fatalf("the lease was taken (%+v) while a fenced batch was open", l)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if l := <-took; l.Holder != "replica-b" || l.Token != a.Token+1 {
		t.Fatalf("after the commit the lease went to %+v", l)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return checkFence(ctx, tx, "src", crm.Fence{Source: "src", Holder: a.Holder, Token: a.Token})
	})
	if !errors.Is(err, crm.ErrLeaseLost) {
		t.Fatalf("fence of the old holder after the takeover: %v", err)
	}
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return checkFence(ctx, tx, "other", crm.Fence{Source: "src", Holder: "replica-b", Token: a.Token + 1})
	}); err == nil {
		t.Fatal("a fence of src passed for a batch of other")
	}
}

// Every connection ends a session left idle inside a transaction (a
// stopped or vanished replica holding locks), unless the URL says
// otherwise.
func TestSessionDefaults(t *testing.T) {
	ctx := t.Context()
	u := pgtest.URL(t)
	set, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := set.Query()
	q.Set("idle_in_transaction_session_timeout", "10min")
	set.RawQuery = q.Encode()
	for _, tc := range []struct{ url, want string }{
		{u, "5min"},
		{set.String(), "10min"},
	} {
		s, err := Open(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := s.pool.QueryRow(ctx, `SHOW idle_in_transaction_session_timeout`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if got != tc.want {
			t.Errorf("idle_in_transaction_session_timeout = %q, want %q", got, tc.want)
		}
	}
}

// The level evaluation may compute longer than the sessions' idle limit
// between two statements, so its transaction lifts the limit with SET
// LOCAL: a transaction that does so idles past the limit and commits, the
// evaluation runs with it, and the next transaction on the pool has the
// limit again (SET LOCAL does not leak into the session).
func TestEvaluationOutlivesIdleLimit(t *testing.T) {
	ctx := t.Context()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("idle_in_transaction_session_timeout", "300") // milliseconds
	u.RawQuery = q.Encode()
	s, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var limit string
	err = s.write(ctx, false, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL idle_in_transaction_session_timeout = 0`); err != nil {
			return err
		}
		time.Sleep(time.Second) // longer than the limit, idle inside the transaction
		return tx.QueryRow(ctx, `SHOW idle_in_transaction_session_timeout`).Scan(&limit)
	})
	if err != nil {
		t.Fatalf("a transaction that lifted the limit and idled past it: %v", err)
	}
	if _, err := s.EvaluateLevels(ctx, crm.DefaultScoring(), time.Now(), false); err != nil {
		t.Fatal(err)
	}
	// Other transactions keep the limit.
	err = s.write(ctx, false, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SHOW idle_in_transaction_session_timeout`).Scan(&limit); err != nil {
			return err
		}
		time.Sleep(time.Second)
		_, err := tx.Exec(ctx, `SELECT 1`)
		return err
	})
	if err == nil || limit != "300ms" {
		t.Errorf("a plain transaction idle past the limit: %v (limit %q), want it ended", err, limit)
	}
}
