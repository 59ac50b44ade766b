package discourse

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
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

// TestOldCursorMovesToObjectState stops a backfill midway, rewrites what it
// committed as a cursor written before the per-object memory (queued and
// read profiles, post numbers and solved topics inside the cursor, the
// memory empty), and resumes: the first batch moves them into the store,
// the cursor loses them, and the backfill ends with what an uninterrupted
// one stores.
func TestOldCursorMovesToObjectState(t *testing.T) {
	newCase := func() connectortest.Case {
		return connectortest.Case{Kind: Kind, New: func(t *testing.T, now func() time.Time) connectortest.Fake {
			srv := discoursetest.New(discoursetest.WithNow(now), discoursetest.WithAPIKey(fakeKey, "system", true))
			return conformanceFake{Server: srv, users: seed(srv, now(), 60, 150)}
		}}
	}
	ref := connectortest.NewEnv(t, newCase())
	ref.MustSync()
	want := ref.Store.Keys()

	e := connectortest.NewEnv(t, newCase())
	c := e.Connector()
	var st map[string]any
	for i := 0; ; i++ {
		if done, err := e.Sync(c, 1); err != nil || done {
			t.Fatalf("batch %d: done=%v err=%v before the posts stream had queued profiles", i, done, err)
		}
		if err := json.Unmarshal(e.Store.Cursor.State, &st); err != nil {
			t.Fatal(err)
		}
		var queued, numbers int
		for k := range e.Store.Memory {
			queued += b2i(strings.HasPrefix(k, "profile/"))
			numbers += b2i(strings.HasPrefix(k, postPrefix))
		}
		if queued > 0 && numbers > 0 {
			break
		}
	}
	var profiles []json.RawMessage
	var profiled, solved []int64
	numbers := map[string]int64{}
	for k, v := range e.Store.Memory {
		kind, rest, _ := strings.Cut(k, "/")
		switch kind {
		case "profile":
			profiles = append(profiles, v)
		case "profiled":
			id, _ := strconv.ParseInt(strings.TrimPrefix(rest, "account:"), 10, 64)
			profiled = append(profiled, id)
		case "post":
			var id int64
			if err := json.Unmarshal(v, &id); err != nil {
				t.Fatal(err)
			}
			numbers[rest] = id
		case "solved":
			id, _ := strconv.ParseInt(rest, 10, 64)
			solved = append(solved, id)
		}
	}
	delete(st, "pass")
	st["profiles"], st["profiled"], st["numbers"], st["solved"] = profiles, profiled, numbers, solved
	old, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	e.Store.Cursor.State = old
	clear(e.Store.Memory)
	t.Logf("old-format cursor: %d bytes (%d queued profiles, %d read, %d post numbers, %d solved)", len(old), len(profiles), len(profiled), len(numbers), len(solved))

	c = e.Connector()
	if _, err := e.Sync(c, 1); err != nil {
		t.Fatal(err)
	}
	var after struct{ Profiles, Profiled, Numbers, Solved, Objects any }
	if err := json.Unmarshal(e.Store.Cursor.State, &after); err != nil {
		t.Fatal(err)
	}
	if after.Profiles != nil || after.Profiled != nil || after.Numbers != nil || after.Solved != nil || after.Objects != nil {
		t.Errorf("the cursor still holds per-object state after the first batch: %.300s", e.Store.Cursor.State)
	}
	if len(e.Store.Memory) < len(numbers) {
		t.Errorf("%d per-object entries after the first batch, want at least the %d post numbers moved", len(e.Store.Memory), len(numbers))
	}
	if _, err := e.Sync(c, 0); err != nil {
		t.Fatal(err)
	}
	if got := e.Store.Keys(); !slices.Equal(want, got) {
		t.Errorf("after resuming from the old cursor: %d activities, want %d", len(got), len(want))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
