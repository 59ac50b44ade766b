package identity

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func gh(id int) connectors.Account {
	return connectors.Account{AccountRef: connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: fmt.Sprint(id)}, Username: fmt.Sprintf("user%d", id)}
}

func git(email string) connectors.Account {
	return connectors.Account{AccountRef: connectors.AccountRef{Platform: "git", ExternalID: email}, Username: email, Emails: []string{email}}
}

func commit(sha string, actor connectors.AccountRef) connectors.Activity {
	return connectors.Activity{Key: "github/github.com/commit/o/r@" + sha, Platform: "github", Instance: "github.com", Type: "commit", OccurredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Actor: actor}
}

func link(a, b connectors.Account) connectors.Evidence {
	return connectors.Evidence{Kind: connectors.EvidenceCommitAuthorLogin, A: a.AccountRef, B: b.AccountRef}
}

// step is one batch applied and resolved.
type step struct {
	accounts []connectors.Account
	evidence []connectors.Evidence
}

func TestResolver(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		// same lists groups of accounts that must share a member; apart
		// lists pairs that must not.
		same  [][]connectors.Account
		apart [][2]connectors.Account
	}{
		{
			name:  "new accounts get their own members",
			steps: []step{{accounts: []connectors.Account{gh(1), gh(2), git("a@example.org")}}},
			apart: [][2]connectors.Account{{gh(1), gh(2)}, {gh(1), git("a@example.org")}},
		},
		{
			name: "linked commit author joins the login's existing member",
			steps: []step{
				{accounts: []connectors.Account{gh(1)}},
				{accounts: []connectors.Account{git("ana@example.org"), gh(1)}, evidence: []connectors.Evidence{link(git("ana@example.org"), gh(1))}},
			},
			same: [][]connectors.Account{{gh(1), git("ana@example.org")}},
		},
		{
			name: "login and its commit e-mail new in the same batch",
			steps: []step{
				{accounts: []connectors.Account{gh(1), git("ana@example.org"), git("ana@work.example")}, evidence: []connectors.Evidence{
					link(git("ana@example.org"), gh(1)), link(git("ana@work.example"), gh(1))}},
			},
			same: [][]connectors.Account{{gh(1), git("ana@example.org"), git("ana@work.example")}},
		},
		{
			name: "one e-mail linked to two logins merges neither",
			steps: []step{
				{accounts: []connectors.Account{gh(1), gh(2), git("shared@example.org")}, evidence: []connectors.Evidence{
					link(git("shared@example.org"), gh(1)), link(git("shared@example.org"), gh(2))}},
			},
			apart: [][2]connectors.Account{{gh(1), gh(2)}},
		},
		{
			name: "one e-mail linked to two existing members merges neither",
			steps: []step{
				{accounts: []connectors.Account{gh(1), gh(2)}},
				{accounts: []connectors.Account{git("shared@example.org")}, evidence: []connectors.Evidence{
					link(git("shared@example.org"), gh(1)), link(git("shared@example.org"), gh(2))}},
			},
			apart: [][2]connectors.Account{{gh(1), gh(2)}, {gh(1), git("shared@example.org")}, {gh(2), git("shared@example.org")}},
		},
		{
			name: "a known account keeps its member when seen again",
			steps: []step{
				{accounts: []connectors.Account{gh(1), git("ana@example.org")}, evidence: []connectors.Evidence{link(git("ana@example.org"), gh(1))}},
				{accounts: []connectors.Account{gh(1), gh(2), git("ana@example.org")}},
			},
			same:  [][]connectors.Account{{gh(1), git("ana@example.org")}},
			apart: [][2]connectors.Account{{gh(1), gh(2)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			r := &Resolver{}
			for i, s := range tt.steps {
				var acts []connectors.Activity
				for j, a := range s.accounts {
					acts = append(acts, commit(fmt.Sprintf("%d-%d", i, j), a.AccountRef))
				}
				if _, err := st.Apply(ctx, "src", connectors.Batch{Accounts: s.accounts, Activities: acts, Evidence: s.evidence, Next: connectors.Cursor{State: []byte(`{}`)}}); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Run(ctx, st); err != nil {
					t.Fatal(err)
				}
			}
			if left, _ := st.Unassigned(ctx, 10); len(left) != 0 {
				t.Errorf("unassigned after Run: %v", left)
			}
			member := func(a connectors.Account) int64 {
				id, err := st.IdentityByRef(ctx, a.AccountRef)
				if err != nil {
					t.Fatalf("identity %s: %v", a.AccountRef, err)
				}
				return id.MemberID
			}
			for _, g := range tt.same {
				for _, a := range g[1:] {
					if member(a) != member(g[0]) {
						t.Errorf("%s and %s are in different members", g[0].AccountRef, a.AccountRef)
					}
				}
			}
			for _, p := range tt.apart {
				if member(p[0]) == member(p[1]) {
					t.Errorf("%s and %s were merged", p[0].AccountRef, p[1].AccountRef)
				}
			}
		})
	}
}

func TestResolverIsDeterministic(t *testing.T) {
	ctx := context.Background()
	build := func() map[string]int64 {
		st := openStore(t)
		var accts []connectors.Account
		var ev []connectors.Evidence
		for i := 0; i < 50; i++ {
			accts = append(accts, gh(i))
			if i%3 == 0 {
				e := git(fmt.Sprintf("p%d@example.org", i))
				accts = append(accts, e)
				ev = append(ev, link(e, gh(i)))
			}
		}
		var acts []connectors.Activity
		for j, a := range accts {
			acts = append(acts, commit(fmt.Sprint(j), a.AccountRef))
		}
		if _, err := st.Apply(ctx, "src", connectors.Batch{Accounts: accts, Activities: acts, Evidence: ev, Next: connectors.Cursor{State: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := (&Resolver{BatchSize: 7}).Run(ctx, st); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, a := range accts {
			id, _ := st.IdentityByRef(ctx, a.AccountRef)
			out[a.AccountRef.String()] = id.MemberID
		}
		return out
	}
	a, b := build(), build()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two runs on the same input gave different members")
	}
}
