package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres/pgtest"
)

// TestTwoProcesses: two stores on one database (two replicas) write at
// once: one applies batches from several sources, the other assigns new
// identities and merges members as the resolver does. Nothing fails, and
// the kept stats equal a recount.
func TestTwoProcesses(t *testing.T) {
	ctx := t.Context()
	u := pgtest.URL(t)
	a, b := open(t, u), open(t, u)
	who := func(id int) connectors.AccountRef {
		return connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint(id)}
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const sources, batches, per = 4, 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	done := make(chan struct{})
	for src := range sources {
		wg.Go(func() {
			for n := range batches {
				var batch connectors.Batch
				for i := range per {
					actor := who(src*100 + i%3)
					if i == 0 {
						actor = who(1) // shared by every source
					}
					batch.Accounts = append(batch.Accounts, connectors.Account{AccountRef: actor, Username: fmt.Sprintf("u%s", actor.ExternalID)})
					batch.Activities = append(batch.Activities, connectors.Activity{
						Key: fmt.Sprintf("k/%d/%d/%d", src, n, i), Platform: "github", Instance: "github.com", Type: "issue_comment",
						OccurredAt: t0.Add(time.Duration(n*per+i) * time.Minute), Actor: actor,
						ParentKey: fmt.Sprintf("k/%d/%d/0", (src+1)%sources, n),
					})
				}
				batch.Next = connectors.Cursor{State: []byte(fmt.Sprint(n))}
				if _, err := a.Apply(ctx, fmt.Sprint("src", src), batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var rw sync.WaitGroup
	rw.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			un, err := b.Unassigned(ctx, 0)
			if err != nil {
				errs <- err
				return
			}
			var as []crm.Assignment
			for _, id := range un {
				as = append(as, crm.Assignment{IdentityID: id.ID, Reason: crm.ReasonNewAccount})
			}
			if err := b.Assign(ctx, as); err != nil && !errors.Is(err, crm.ErrConflict) {
				errs <- err
				return
			}
			ms, err := b.Members(ctx, crm.MemberQuery{})
			if err != nil {
				errs <- err
				return
			}
			if len(ms) >= 2 {
				if err := b.MergeMembers(ctx, []crm.MemberMerge{{Into: ms[0].ID, From: ms[len(ms)-1].ID, Reason: "test"}}); err != nil &&
					!errors.Is(err, crm.ErrNotFound) {
					errs <- err
					return
				}
			}
		}
	})
	wg.Wait()
	close(done)
	rw.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	un, err := b.Unassigned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var as []crm.Assignment
	for _, id := range un {
		as = append(as, crm.Assignment{IdentityID: id.ID, Reason: crm.ReasonNewAccount})
	}
	if err := b.Assign(ctx, as); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range must(t)(b.Members(ctx, crm.MemberQuery{})) {
		j, err := a.Journey(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(j.Activities) != m.ActivityCount {
			t.Errorf("member %d: kept %d activities, recount %d", m.ID, m.ActivityCount, len(j.Activities))
		}
		total += m.ActivityCount
	}
	if total != sources*batches*per {
		t.Errorf("%d activities in members; want %d", total, sources*batches*per)
	}
}

// must returns a function that fails the test on an error.
func must(t *testing.T) func([]crm.Member, error) []crm.Member {
	return func(v []crm.Member, err error) []crm.Member {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestForgetWhileApplying: a member forgotten while another process
// applies activities of its account stays forgotten, and neither fails.
func TestForgetWhileApplying(t *testing.T) {
	ctx := t.Context()
	u := pgtest.URL(t)
	a, b := open(t, u), open(t, u)
	x := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "42"}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := func(n int) connectors.Batch {
		return connectors.Batch{Activities: []connectors.Activity{{Key: fmt.Sprint("k/", n), Platform: "github", Instance: "github.com",
			Type: "issue_opened", OccurredAt: t0.Add(time.Duration(n) * time.Minute), Actor: x}}}
	}
	if _, err := a.Apply(ctx, "gh", batch(0)); err != nil {
		t.Fatal(err)
	}
	id, err := b.IdentityByRef(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Assign(ctx, []crm.Assignment{{IdentityID: id.ID, Reason: crm.ReasonNewAccount}}); err != nil {
		t.Fatal(err)
	}
	id, _ = b.IdentityByRef(ctx, x)
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 1; n <= 40; n++ {
			if _, err := a.Apply(ctx, "gh", batch(n)); err != nil {
				t.Errorf("Apply %d: %v", n, err)
				return
			}
		}
	})
	if _, err := b.Forget(ctx, id.MemberID, "ops"); err != nil {
		t.Errorf("Forget: %v", err)
	}
	wg.Wait()
	if _, err := b.IdentityByRef(ctx, x); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("after forget and applies: IdentityByRef = %v; want not found", err)
	}
	counts, err := b.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["activities"] != 0 || counts["identities"] != 0 {
		t.Errorf("after forget: %d activities, %d identities; want none", counts["activities"], counts["identities"])
	}
}

// TestApplyWaitsForForget: a batch applied while a forget holds its lock
// (forget_lock) waits for the forget to end, so that it sees the
// tombstones it writes. Without the lock an apply that had looked for
// tombstones before the forget committed stored the forgotten account
// again (seen in TestForgetWhileApplying under load).
func TestApplyWaitsForForget(t *testing.T) {
	ctx := t.Context()
	u := pgtest.URL(t)
	s := open(t, u)
	x := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "7"}
	if _, err := s.Apply(ctx, "gh", connectors.Batch{Accounts: []connectors.Account{{AccountRef: x, Username: "x"}}}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT id FROM forget_lock WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, "gh", connectors.Batch{Activities: []connectors.Activity{{Key: "k/1", Platform: "github", Instance: "github.com",
			Type: "issue_opened", OccurredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Actor: x}}})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Apply ended (%v) while a forget held forget_lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Apply after the forget: %v", err)
	}
}
