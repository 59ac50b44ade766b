package identity

import (
	"fmt"
	"testing"
	"time"

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
