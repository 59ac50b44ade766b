package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// TestResolverRunCutOffGetsMoreTime: a resolver run cut off by its time
// limit does not start over at the same length forever (the first full
// run of a large store would never finish): each run cut off gives the
// next twice the time, and a run that finishes does not take it back.
func TestResolverRunCutOffGetsMoreTime(t *testing.T) {
	st := openStore(t)
	var accounts []connectors.Account
	for i := range 3000 {
		accounts = append(accounts, connectors.Account{
			AccountRef: connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint(i)},
			Username:   fmt.Sprintf("user%d", i), Name: fmt.Sprintf("Person %d", i%1500), Emails: []string{fmt.Sprintf("p%d@example.org", i%2000)}})
	}
	if _, err := st.Apply(t.Context(), "gh", connectors.Batch{Accounts: accounts}); err != nil {
		t.Fatal(err)
	}
	const base = time.Millisecond
	d := New(Options{Store: st, ResolveTimeout: base, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	var budgets []time.Duration
	var err error
	for range 30 {
		budgets = append(budgets, max(d.resolveBudget, base))
		if err = d.resolveNew(ctx); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no resolver run finished in %d runs (budgets %v): %v", len(budgets), budgets, err)
	}
	if len(budgets) < 2 {
		t.Fatalf("the first run, with %v, finished: the store is too small to test a cut-off", base)
	}
	for i := 1; i < len(budgets); i++ {
		if budgets[i] != 2*budgets[i-1] {
			t.Errorf("run %d had %v after a run cut off with %v; want twice", i, budgets[i], budgets[i-1])
		}
	}
	if last := budgets[len(budgets)-1]; d.resolveBudget != last {
		t.Errorf("after a run that finished with %v the budget is %v; want it kept", last, d.resolveBudget)
	}
	un, err := st.Unassigned(t.Context(), 0)
	if err != nil || len(un) != 0 {
		t.Errorf("after the run that finished, %d identities have no member (%v)", len(un), err)
	}
	t.Logf("budgets until a run finished: %v", budgets)
}
