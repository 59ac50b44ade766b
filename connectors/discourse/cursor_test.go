package discourse

import (
	"slices"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
)

// TestCursorSizeDoesNotGrow backfills a forum of 100 topics and one of
// 2,000 (with 20 times the users) through a store that keeps the
// per-object memory, and checks that the cursor state, at the end of the
// pass and at its largest during it, stays within a few hundred bytes of
// the same size and under 64 KiB: the profile queue and marks, which grow
// with the users, are in the store.
func TestCursorSizeDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 topics: skipped in -short mode")
	}
	const slack = 300 // bytes
	type size struct{ final, largest int }
	measure := func(users, topics int) size {
		e := connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: func(t *testing.T, now func() time.Time) connectortest.Fake {
			srv := discoursetest.New(discoursetest.WithNow(now), discoursetest.WithAPIKey(fakeKey, "system", true))
			return conformanceFake{Server: srv, users: seed(srv, now(), users, topics)}
		}})
		c := e.Connector()
		var sizes []int
		for i := 0; ; i++ {
			b, err := c.Fetch(t.Context(), e.Store.Cursor)
			if err != nil {
				t.Fatalf("%d topics: batch %d: %v", topics, i, err)
			}
			e.Store.Apply(b)
			sizes = append(sizes, len(b.Next.State))
			if b.Done {
				break
			}
		}
		s := size{final: sizes[len(sizes)-1], largest: slices.Max(sizes)}
		t.Logf("%d users, %d topics: cursor state %d bytes after the pass, at most %d during it (%d batches, %d activities, %d per-object entries)",
			users, topics, s.final, s.largest, len(sizes), len(e.Store.Acts), len(e.Store.Memory))
		return s
	}
	small, big := measure(50, 100), measure(1000, 2000)
	if d := big.final - small.final; d < -slack || d > slack {
		t.Errorf("cursor state after the pass: %d bytes at 100 topics, %d at 2,000", small.final, big.final)
	}
	if d := big.largest - small.largest; d < -slack || d > slack {
		t.Errorf("largest cursor state during the pass: %d bytes at 100 topics, %d at 2,000", small.largest, big.largest)
	}
	if big.largest >= 64<<10 {
		t.Errorf("cursor state reached %d bytes, want under 64 KiB", big.largest)
	}
}
