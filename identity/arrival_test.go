package identity

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
)

// TestArrivalOrderGivesOneOutcome feeds communities whose look-alikes
// (two people of one name, one of them off GitHub) once fooled the
// resolver into a false merge when the accounts arrived in some orders:
// whatever the order and the batch sizes, the members resolved after each
// batch must end as one full run over every account at once makes them.
// The seeds are those of TestChaos runs that found such a merge.
func TestArrivalOrderGivesOneOutcome(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, seed := range []uint64{1796414352227113868, 1796416565006589382} {
		c := community.Generate(int64(seed), 40, now)
		cs, links, _ := demoCandidates(c)
		one := openStore(t)
		feed(t, one, [][]Candidate{cs}, links, false)
		once := storePartition(t, one)
		orders := 20
		if testing.Short() || raceEnabled {
			orders = 3 // the race detector's 10× slower runs: 18 of the 120
		}
		for order := range uint64(orders) {
			for _, maxBatch := range []int{3, 10, 30} {
				t.Run(fmt.Sprintf("seed%d/order%d/batch%d", seed, order, maxBatch), func(t *testing.T) {
					st := openStore(t)
					feed(t, st, arrivals(cs, order+1, maxBatch), links, false)
					if diff := partitionDiff(storePartition(t, st), once); diff != "" {
						t.Errorf("members after arrivals differ from one run over all: %s", diff)
					}
				})
			}
		}
	}
}

// TestMovesKeepPeoplesMerges: a person's merge binds every later run. In
// the first look-alike community the git author john@globex.example and
// the GitHub john-smith are two people (one run over all keeps them
// apart); a person merges them anyway, and a run over everything again,
// and a later arrival, leave them together; after the person unmerges
// them, they stay apart.
func TestMovesKeepPeoplesMerges(t *testing.T) {
	ctx := t.Context()
	c := community.Generate(1796414352227113868, 40, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	cs, links, _ := demoCandidates(c)
	git := connectors.AccountRef{Platform: connectors.PlatformGit, ExternalID: "john@globex.example"}
	gh := connectors.AccountRef{Platform: connectors.PlatformGitHub, Instance: "github.com", ExternalID: "10000163"}
	var late []Candidate
	for i, cd := range cs {
		if cd.Ref != git && cd.Ref != gh && cd.Ref.Platform == connectors.PlatformDiscourse {
			late, cs = []Candidate{cd}, slices.Delete(slices.Clone(cs), i, i+1)
			break
		}
	}
	st := openStore(t)
	feed(t, st, [][]Candidate{cs}, links, false)
	memberOf := func(r connectors.AccountRef) int64 {
		t.Helper()
		id, err := st.IdentityByRef(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return id.MemberID
	}
	if memberOf(git) == memberOf(gh) {
		t.Fatalf("%s and %s in one member after one run over all: the test's premise is gone", git, gh)
	}
	if _, err := st.Merge(ctx, git, gh, "cli", "the same John"); err != nil {
		t.Fatal(err)
	}
	r := &Resolver{}
	if _, err := r.Rebuild(ctx, st); err != nil {
		t.Fatal(err)
	}
	feed(t, st, [][]Candidate{late}, links, false)
	if memberOf(git) != memberOf(gh) {
		t.Errorf("a run parted %s and %s, which a person merged", git, gh)
	}
	if _, err := st.Unmerge(ctx, memberOf(git), git, "cli", "not the same John after all"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Rebuild(ctx, st); err != nil {
		t.Fatal(err)
	}
	if memberOf(git) == memberOf(gh) {
		t.Errorf("a run joined %s and %s again after a person separated them", git, gh)
	}
}
