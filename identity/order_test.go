package identity

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// partition returns the members of a resolution as sets of identity keys,
// each member written as its sorted keys, the members sorted: two
// resolutions with the same members give the same partition, whatever
// their member numbers and orders.
func partition(members [][]string) []string {
	out := make([]string, 0, len(members))
	for _, m := range members {
		keys := slices.Clone(m)
		slices.Sort(keys)
		out = append(out, strings.Join(keys, "\x00"))
	}
	slices.Sort(out)
	return out
}

// membersOf groups labels (one per row: the member a row landed in) into
// members of row ids.
func membersOf(ids, labels []string) [][]string {
	byLabel := map[string][]string{}
	var order []string
	for i, l := range labels {
		if _, ok := byLabel[l]; !ok {
			order = append(order, l)
		}
		byLabel[l] = append(byLabel[l], ids[i])
	}
	out := make([][]string, 0, len(order))
	for _, l := range order {
		out = append(out, byLabel[l])
	}
	return out
}

// TestIncrementalSharedAddress adds identities one at a time: when a later
// row shows an address to be shared, the merges the address made before
// are undone, and the members equal those of resolving every row at once.
func TestIncrementalSharedAddress(t *testing.T) {
	for _, tc := range []struct {
		name string
		cs   []Candidate
	}{
		{
			name: "a third clearly different name",
			cs: []Candidate{
				alias("Ann Lee", "patches@lists.example.org"), alias("Bo Chen", "patches@lists.example.org"),
				alias("Bo Chen", "bo@chen.example"), alias("Cy Dee", "patches@lists.example.org"),
			},
		},
		{
			name: "a later Person via Service name",
			cs: []Candidate{
				alias("Ann Lee", "relay@gateway.example.org"), alias("Bo Chen", "relay@gateway.example.org"),
				alias("Ann Lee", "ann@lee.example"), alias("Cy Dee via Gateway", "relay@gateway.example.org"),
			},
		},
		{
			name: "a later pair's commit",
			cs: []Candidate{
				alias("Ann Lee", "ann@lee.example"), alias("Bo Chen", "ann@lee.example"),
				alias("Ann Lee and Bo Chen", "ann@lee.example"),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := NewIndex(Options{})
			for i, c := range tc.cs {
				x.Add(c)
				got, want := partition(x.Resolution().Members), partition(Resolve(tc.cs[:i+1], Options{}).Members)
				if !slices.Equal(got, want) {
					t.Errorf("after %d identities added one at a time: members %q, want %q as resolved at once", i+1, got, want)
				}
			}
			if res := x.Resolution(); len(res.Members) < 3 {
				t.Errorf("%d members, want the people behind the shared address apart", len(res.Members))
			}
		})
	}
}

// TestResolveOrderIndependentNumpy resolves numpy's commit authors in
// their own order and shuffled with fixed seeds: the members must be the
// same (compared as partitions of the rows, not by member names).
func TestResolveOrderIndependentNumpy(t *testing.T) {
	rows := readGold(t)
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	want := partition(membersOf(ids, resolveRows(t, rows)))
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 2026))
		shuffled := slices.Clone(rows)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		sids := make([]string, len(shuffled))
		for i, r := range shuffled {
			sids[i] = r.id
		}
		got := partition(membersOf(sids, resolveRows(t, shuffled)))
		if !slices.Equal(got, want) {
			diff := 0
			for _, m := range got {
				if _, ok := slices.BinarySearch(want, m); !ok {
					diff++
				}
			}
			t.Errorf("shuffle seed %d: %d of %d members differ from the rows' own order", seed, diff, len(got))
		}
	}
}
