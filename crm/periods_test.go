package crm

import (
	"testing"
	"time"
)

// TestLongPeriodsDue: the long periods are due when never computed, an
// hour old (or from the future: a clock set back), or when the members'
// activities grew by a tenth since; not when they shrank (forgotten) or
// grew by less.
func TestLongPeriodsDue(t *testing.T) {
	last := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name          string
		last, now     time.Time
		then, current int
		want          bool
	}{
		{"never", time.Time{}, last, 0, 0, true},
		{"a minute, same", last, last.Add(time.Minute), 1000, 1000, false},
		{"an hour", last, last.Add(LongPeriodsEvery), 1000, 1000, true},
		{"clock set back", last, last.Add(-time.Minute), 1000, 1000, true},
		{"grew 9.9%", last, last.Add(time.Minute), 1000, 1099, false},
		{"grew 10%", last, last.Add(time.Minute), 1000, 1100, true},
		{"shrank", last, last.Add(time.Minute), 1000, 500, false},
		{"first activities", last, last.Add(time.Minute), 0, 1, true},
		{"still empty", last, last.Add(time.Minute), 0, 0, false},
	} {
		if got := LongPeriodsDue(c.last, c.now, c.then, c.current); got != c.want {
			t.Errorf("%s: LongPeriodsDue = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestActivityCount: the members' activities are the sum of their
// identities' tallies.
func TestActivityCount(t *testing.T) {
	d := ScoreData{Members: []ScoreMember{
		{ID: 1, Identities: []ScoreIdentity{
			{ID: 1, Tallies: map[string]Tally{"issue_comment": {Count: 3}, "pull_request": {Count: 2}}},
			{ID: 2, Tallies: map[string]Tally{"answer": {Count: 4}}},
		}},
		{ID: 2},
		{ID: 3, Identities: []ScoreIdentity{{ID: 3, Tallies: map[string]Tally{"status": {Count: 1}}}}},
	}}
	if got := ActivityCount(d); got != 10 {
		t.Errorf("ActivityCount = %d, want 10", got)
	}
}
