package crm

import (
	"maps"
	"math"
	"slices"
	"time"
)

// What the scores are computed from. The store keeps, per identity, a
// Tally per activity type, the identity's channels and two presence masks
// (weeks and months), updated as activities are stored; the scoring
// functions (Love, Levels, Reach, Champions, Health) are pure functions of
// those and of the interactions between identities. Tallies make a decayed
// sum exact at any time without reading the activities again.

// Month is the length of a month in decay ages: a Gregorian year over 12
// (30.436875 days).
const Month = time.Duration(365.2425 / 12 * 24 * float64(time.Hour))

// TallyEpoch is the origin of Tally bases.
var TallyEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Tally counts one kind of activity of one identity. Base is the sum over
// those activities of decay^(-(occurred_at - TallyEpoch)/Month), so that
// their decayed count at time t, the sum of decay^(age in months), is
// Base × decay^((t - TallyEpoch)/Month) (see Decayed).
type Tally struct {
	Count int     `json:"count"`
	Base  float64 `json:"base"`
}

// TallyTerm is what one activity at time at adds to a Tally's Base.
func TallyTerm(at time.Time, decay float64) float64 {
	return math.Pow(decay, -monthsSince(TallyEpoch, at))
}

// Add counts one activity at time at.
func (t *Tally) Add(at time.Time, decay float64) {
	t.Count++
	t.Base += TallyTerm(at, decay)
}

// Decayed is the decayed count at time now: the sum over the counted
// activities of decay^(months between the activity and now).
func (t Tally) Decayed(now time.Time, decay float64) float64 {
	return t.Base * math.Pow(decay, monthsSince(TallyEpoch, now))
}

// monthsSince is the age of t at from, in Months (negative before).
func monthsSince(from, at time.Time) float64 {
	return float64(at.Sub(from)) / float64(Month)
}

// AgeMonths is how many Months separate then from now (0 when then is
// later).
func AgeMonths(then, now time.Time) float64 {
	if then.After(now) {
		return 0
	}
	return monthsSince(then, now)
}

// weekZero is the Monday that starts week 0.
var weekZero = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// WeekOf numbers t's calendar week (weeks start on Monday, UTC; week 0
// starts on Monday 1970-01-05).
func WeekOf(t time.Time) int64 {
	d := t.UTC().Sub(weekZero)
	w := int64(d / (7 * 24 * time.Hour))
	if d < 0 && d%(7*24*time.Hour) != 0 {
		w--
	}
	return w
}

// WeekStart is the Monday 00:00 UTC that starts week w.
func WeekStart(w int64) time.Time { return weekZero.Add(time.Duration(w) * 7 * 24 * time.Hour) }

// MonthOf numbers t's calendar month (UTC): year × 12 + month - 1.
func MonthOf(t time.Time) int64 {
	t = t.UTC()
	return int64(t.Year())*12 + int64(t.Month()) - 1
}

// MonthStart is the first instant of month m (see MonthOf).
func MonthStart(m int64) time.Time {
	y, mo := m/12, m%12
	if mo < 0 {
		y, mo = y-1, mo+12
	}
	return time.Date(int(y), time.Month(mo+1), 1, 0, 0, 0, 0, time.UTC)
}

// Presence is a set of recent periods (weeks or months) in which someone
// was active: bit i of Mask is period At - i, so it remembers the 64
// periods up to At.
type Presence struct {
	Mask uint64 `json:"mask"`
	At   int64  `json:"at"`
}

// Set marks period p as active. Periods more than 63 before the latest
// set period are forgotten.
func (p *Presence) Set(period int64) {
	switch {
	case p.Mask == 0:
		p.Mask, p.At = 1, period
	case period > p.At:
		shift := period - p.At
		if shift >= 64 {
			p.Mask = 0
		} else {
			p.Mask <<= uint(shift)
		}
		p.Mask |= 1
		p.At = period
	case p.At-period < 64:
		p.Mask |= 1 << uint(p.At-period)
	}
}

// As returns the mask seen from period now: bit i is period now - i.
// Periods after now are left out.
func (p Presence) As(now int64) uint64 {
	if p.Mask == 0 {
		return 0
	}
	d := now - p.At
	switch {
	case d >= 64 || d <= -64:
		return 0
	case d >= 0:
		return p.Mask << uint(d)
	default:
		return p.Mask >> uint(-d)
	}
}

// Union is the set of periods active in p or q.
func (p Presence) Union(q Presence) Presence {
	if p.Mask == 0 {
		return q
	}
	if q.Mask == 0 {
		return p
	}
	at := max(p.At, q.At)
	return Presence{Mask: p.As(at) | q.As(at), At: at}
}

// Count is how many of the n periods ending at now (now, now-1, …,
// now-n+1) were active; n is at most 64.
func (p Presence) Count(now int64, n int) int {
	return countBits(p.As(now), 0, n)
}

// CountRange is how many of the periods now-from-n+1 … now-from were
// active: the n periods that end from periods before now.
func (p Presence) CountRange(now int64, from, n int) int {
	return countBits(p.As(now), from, n)
}

// Active reports whether period now - ago was active (ago < 64).
func (p Presence) Active(now int64, ago int) bool {
	return ago >= 0 && ago < 64 && p.As(now)&(1<<uint(ago)) != 0
}

func countBits(m uint64, from, n int) int {
	c := 0
	for i := from; i < from+n && i < 64; i++ {
		if m&(1<<uint(i)) != 0 {
			c++
		}
	}
	return c
}

// MaxChannels is how many distinct channels the store keeps per identity:
// more than the breadth bonus ever counts.
const MaxChannels = 32

// interactionTypes are the activity types that answer another person's
// activity (their parent): replies, answers, comments, reviews, merges of
// someone's pull request, a Discourse post or Mastodon status replying to
// another, a mention that replies to a status. Acceptances, likes,
// favourites and boosts react, they do not help.
var interactionTypes = map[string]bool{
	"issue_comment": true, "pr_review": true, "pr_review_comment": true, "pr_merged": true,
	"answer": true, "comment": true,
	"post_created": true,
	"post":         true, "mention": true,
}

// Interacts reports whether an activity of type typ with a parent is one
// person helping another: the actor helped the parent's author.
func Interacts(typ string) bool { return interactionTypes[typ] }

// InteractionTypes lists the types for which Interacts is true, sorted.
func InteractionTypes() []string { return slices.Sorted(maps.Keys(interactionTypes)) }
