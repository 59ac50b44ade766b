package identity

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// numpyCandidates are numpy's commit authors as git identities, each row
// its own account (two rows may share an address under two names).
func numpyCandidates(t testing.TB) []Candidate {
	rows := readGold(t)
	cs := make([]Candidate, 0, len(rows))
	for _, r := range rows {
		c := Candidate{Ref: connectors.AccountRef{Platform: connectors.PlatformGit, ExternalID: r.id}, Name: r.name}
		if r.email != "" {
			c.Emails = []string{r.email}
		}
		cs = append(cs, c)
	}
	return cs
}

// arrivals shuffles cs with seed and cuts it into batches of random sizes
// (1 to maxBatch).
func arrivals(cs []Candidate, seed uint64, maxBatch int) [][]Candidate {
	r := rand.New(rand.NewPCG(seed, 14))
	cs = slices.Clone(cs)
	r.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	var out [][]Candidate
	for len(cs) > 0 {
		n := min(len(cs), 1+r.IntN(maxBatch))
		out = append(out, cs[:n])
		cs = cs[n:]
	}
	return out
}

func numpyCandidatesOrSkip(t *testing.T) []Candidate {
	var out []Candidate
	t.Run("numpy_data", func(t *testing.T) { out = numpyCandidates(t) })
	return out
}

// partitionDiff describes how two partitions differ, or returns "".
func partitionDiff(got, want []string) string {
	var extra, missing []string
	for _, m := range got {
		if _, ok := slices.BinarySearch(want, m); !ok {
			extra = append(extra, m)
		}
	}
	for _, m := range want {
		if _, ok := slices.BinarySearch(got, m); !ok {
			missing = append(missing, m)
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return ""
	}
	show := func(l []string) []string { return l[:min(len(l), 4)] }
	return fmt.Sprintf("%d members not in the full resolve (e.g. %q), %d of its members missing (e.g. %q)", len(extra), show(extra), len(missing), show(missing))
}

// account is the connector account a candidate stands for.
func account(c Candidate) connectors.Account {
	return connectors.Account{AccountRef: c.Ref, Username: c.Username, Name: c.Name, URL: c.URL, Emails: c.Emails,
		Links: c.Links, VerifiedLinks: c.VerifiedLinks, NetworkID: c.NetworkID, Bot: c.Bot}
}

// feed applies the candidates to st in the batches given, each batch with
// the evidence whose two accounts are stored by then, and after each batch
// runs r (or, with rebuild, resolves every identity again); it returns how
// many runs resolved in full.
func feed(t *testing.T, st *sqlite.Store, batches [][]Candidate, links []Link, rebuild bool) int {
	t.Helper()
	ctx := context.Background()
	stored := map[string]bool{}
	r := &Resolver{}
	full := 0
	for _, b := range batches {
		var accts []connectors.Account
		in := map[string]bool{}
		for _, c := range b {
			accts = append(accts, account(c))
			stored[c.Ref.String()] = true
			in[c.Ref.String()] = true
		}
		var ev []connectors.Evidence
		for _, l := range links {
			if !stored[l.A] || !stored[l.B] || !in[l.A] && !in[l.B] {
				continue
			}
			a, errA := parseRef(l.A)
			bb, errB := parseRef(l.B)
			if errA != nil || errB != nil {
				t.Fatalf("bad link %v", l)
			}
			ev = append(ev, connectors.Evidence{Kind: l.Kind, A: a, B: bb})
		}
		if _, err := st.Apply(ctx, "src", connectors.Batch{Accounts: accts, Evidence: ev, Next: connectors.Cursor{State: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
		run := r.Run
		if rebuild {
			run = r.Rebuild
		}
		res, err := run(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if res.Full {
			full++
		}
	}
	return full
}

// storePartition is the store's members as a partition of account keys.
func storePartition(t *testing.T, st *sqlite.Store) []string {
	t.Helper()
	byMember := map[int64][]string{}
	err := st.AllIdentities(context.Background(), func(id crm.Identity) error {
		if id.MemberID == 0 {
			t.Errorf("identity %s has no member", id.AccountRef)
		}
		byMember[id.MemberID] = append(byMember[id.MemberID], id.AccountRef.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ms [][]string
	for _, m := range byMember {
		ms = append(ms, m)
	}
	return partition(ms)
}

// TestIncrementalEqualsFullResolve feeds the numpy commit authors and the
// demo community to two stores in random arrival orders and batch sizes:
// one resolved incrementally after each batch (only the first run reads
// every identity), the other resolved in full after each batch (not
// numpy's under -race: too slow). Their members must be the same as one
// full run over every identity at once, and as each other: what earlier runs decided on less data binds no later
// run, so the order identities arrive in changes nothing.
func TestIncrementalEqualsFullResolve(t *testing.T) {
	type data struct {
		name  string
		cs    []Candidate
		links []Link
	}
	c := community.Generate(3, 300, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	dcs, links, _ := demoCandidates(c)
	sets := []data{{"demo", dcs, links}}
	if rows := numpyCandidatesOrSkip(t); rows != nil {
		sets = append(sets, data{"numpy", rows, nil})
	}
	for _, d := range sets {
		one := openStore(t)
		if full := feed(t, one, [][]Candidate{d.cs}, d.links, false); full != 1 {
			t.Fatalf("%s: one batch into a new store: %d full runs, want 1", d.name, full)
		}
		once := storePartition(t, one)
		seeds := []uint64{1, 2, 3}
		if d.name == "numpy" || testing.Short() {
			seeds = seeds[:2] // the numpy history is 4 times the demo's
		}
		if raceEnabled {
			// Under the race detector (CI) one random order per data set
			// and batch size keeps the package inside go test's 10
			// minutes; run without -race for every order.
			seeds = seeds[:1]
		}
		for _, seed := range seeds {
			for _, maxBatch := range []int{100, 500} {
				t.Run(fmt.Sprintf("%s/seed%d/batch%d", d.name, seed, maxBatch), func(t *testing.T) {
					batches := arrivals(d.cs, seed, maxBatch)
					inc := openStore(t)
					if n := feed(t, inc, batches, d.links, false); n > 1 {
						t.Errorf("%d of %d incremental runs resolved in full, want only the first", n, len(batches))
					}
					got := storePartition(t, inc)
					if diff := partitionDiff(got, once); diff != "" {
						t.Errorf("members resolved incrementally over %d batches differ from one run over all: %s", len(batches), diff)
					}
					if raceEnabled && d.name == "numpy" {
						// A full run after each of numpy's batches takes
						// most of the package's 10 minutes under -race;
						// the demo's runs it there, numpy's without -race.
						return
					}
					full := openStore(t)
					feed(t, full, batches, d.links, true)
					if diff := partitionDiff(got, storePartition(t, full)); diff != "" {
						t.Errorf("members resolved incrementally differ from full runs after each batch: %s", diff)
					}
				})
			}
		}
	}
}

// TestIncrementalWidensToStoredPartners: a new identity that would join a
// stored identity of another member on evidence the stored identity also
// holds towards others (here an address handle, anrabennedar, that spells
// the names of several people) must be decided with the stored identity's
// own candidates loaded: the stored one is ambiguous and joins neither, as
// one full run decides. The history is the neighbourhood, in the synthetic
// benchmark history of 1,000,000 identities, of the one false merge an
// incremental run made there (testdata/incremental-widen.tsv). Each of the
// last two identities arrives after the rest, in either order.
func TestIncrementalWidensToStoredPartners(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "incremental-widen.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var all []connectors.Account
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("bad line %q", line)
		}
		all = append(all, connectors.Account{AccountRef: connectors.AccountRef{Platform: connectors.PlatformGit, ExternalID: f[0]}, Name: f[1], Emails: []string{f[2]}})
	}
	ctx := context.Background()
	apply := func(st *sqlite.Store, accts []connectors.Account, seq int) {
		t.Helper()
		b := connectors.Batch{Accounts: accts, Next: connectors.Cursor{State: []byte(fmt.Sprintf(`{"s":%d}`, seq))}}
		if _, err := st.Apply(ctx, "src", b); err != nil {
			t.Fatal(err)
		}
	}
	one := openStore(t)
	apply(one, all, 0)
	if _, err := (&Resolver{}).Run(ctx, one); err != nil {
		t.Fatal(err)
	}
	want := storePartition(t, one)
	n := len(all)
	for _, order := range [][]connectors.Account{{all[n-2], all[n-1]}, {all[n-1], all[n-2]}} {
		t.Run(order[0].ExternalID+"_first", func(t *testing.T) {
			st := openStore(t)
			apply(st, all[:n-2], 0)
			r := &Resolver{}
			if _, err := r.Run(ctx, st); err != nil {
				t.Fatal(err)
			}
			for i, a := range order {
				apply(st, []connectors.Account{a}, i+1)
				res, err := r.Run(ctx, st)
				if err != nil {
					t.Fatal(err)
				}
				if res.Full {
					t.Fatalf("the run after %s resolved in full, want incremental", a.ExternalID)
				}
			}
			if diff := partitionDiff(storePartition(t, st), want); diff != "" {
				t.Errorf("members resolved incrementally differ from one full run: %s", diff)
			}
		})
	}
}
