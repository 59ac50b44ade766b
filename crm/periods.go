package crm

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// Stored periods: the evaluation (EvaluateLevels of a store) keeps the
// rising lists and the health reports of these periods, so that the pages'
// period choices (7, 30, 90 and 365 days) and the same --period on the
// command line read stored results instead of every member and activity.
// Any other period is computed when asked.
//
// The short periods are computed by every evaluation, from the activities
// of its last 60 days. The long ones need up to two years of activities,
// so they are computed again only when the stored ones are LongPeriodsEvery
// old: a 365-day report an hour old differs from one made now by what an
// hour adds to a year.
var (
	ShortStoredPeriods = []time.Duration{7 * Day, 30 * Day}
	LongStoredPeriods  = []time.Duration{90 * Day, 365 * Day}
)

// Day is 24 hours, the unit of the stored periods.
const Day = 24 * time.Hour

// LongPeriodsEvery is how old the stored results of LongStoredPeriods may
// get before an evaluation computes them again.
const LongPeriodsEvery = time.Hour

// StoredPeriod reports whether the evaluation stores results for period.
func StoredPeriod(period time.Duration) bool {
	return slices.Contains(ShortStoredPeriods, period) || slices.Contains(LongStoredPeriods, period)
}

// LongPeriodsGrowth is by how much (a fraction) the members' activities
// may have grown since the long periods were computed before an
// evaluation computes them again, however recent they are. An hour adds
// little to a year, except during a backfill: without it the 90- and
// 365-day reports made in a backfill's first minutes, of a nearly empty
// store, would be shown for an hour after it. With it they are computed
// again each time the store has grown by a tenth, a number of times
// logarithmic in its size (about 70 from 1,000 to 1,000,000 activities),
// and are never more than about a tenth behind the store.
const LongPeriodsGrowth = 0.1

// LongPeriodsDue reports whether an evaluation at now computes the long
// periods again, the last having been at last (zero: never) when the
// members had then activities; they have current now (ActivityCount).
func LongPeriodsDue(last, now time.Time, then, current int) bool {
	grown := current - then
	return last.IsZero() || now.Sub(last) >= LongPeriodsEvery || now.Before(last) ||
		grown > 0 && float64(grown) >= LongPeriodsGrowth*float64(then)
}

// ActivityCount is how many activities the members of d have, from their
// identities' tallies.
func ActivityCount(d ScoreData) int {
	n := 0
	for i := range d.Members {
		for j := range d.Members[i].Identities {
			for _, t := range d.Members[i].Identities[j].Tallies {
				n += t.Count
			}
		}
	}
	return n
}

// EvaluationSpan is how far back the activities an evaluation reads go:
// two of its longest period (a health report compares a period with the
// one before it).
func EvaluationSpan(long bool) time.Duration {
	ps := ShortStoredPeriods
	if long {
		ps = LongStoredPeriods
	}
	return 2 * slices.Max(ps)
}

// RankKind is the stored ranking a list is read from: its kind
// ("champions", "slipping", "rising"), with the period for a rising list
// of another period than DefaultRisingPeriod ("rising_7d").
func RankKind(o ChampionsOptions) string {
	k := listKind(o)
	if o.Rising && o.Period != DefaultRisingPeriod {
		k += "_" + periodName(o.Period)
	}
	return k
}

// periodName is "7d" for 7 days, else the Go duration.
func periodName(p time.Duration) string {
	if p%Day == 0 {
		return strconv.FormatInt(int64(p/Day), 10) + "d"
	}
	return p.String()
}

// Evaluated is what an evaluation stores besides the levels: the rankings
// and health reports it computed, and which of their kinds and periods it
// computed (the store replaces the rows of those, and keeps the others:
// the long periods between their refreshes).
type Evaluated struct {
	Ranks    []RankRow
	Slipping []int64
	Reports  []HealthReport
	// RankKinds are the kinds (RankKind) computed; HealthPeriods the
	// periods of the reports.
	RankKinds     []string
	HealthPeriods []time.Duration
	// TimeKeys are the score_meta keys (see RankTimeKey) the store sets
	// to the evaluation's time; Values are other score_meta keys it sets,
	// to their values.
	TimeKeys []string
	Values   map[string]string
}

// Meta is the score_meta keys the store sets and their values: TimeKeys
// to now (the evaluation's time as the store writes it), and Values.
func (e Evaluated) Meta(now string) map[string]string {
	out := make(map[string]string, len(e.TimeKeys)+len(e.Values))
	for _, k := range e.TimeKeys {
		out[k] = now
	}
	maps.Copy(out, e.Values)
	return out
}

// EvaluatePeriods computes the stored rankings and health reports at now
// from the score data, the levels and window, the activities of [now -
// EvaluationSpan(long), now) (sorted by time in place). With long, the
// long periods too. It holds the whole span at once: the stores use
// EvaluateWindow, which reads it a piece at a time and is tested against
// this (TestEvaluateWindowEqualsEvaluatePeriods).
func (sc Scoring) EvaluatePeriods(d ScoreData, levels map[int64]LevelState, window []PeriodActivity, now time.Time, long bool) Evaluated {
	out := newEvaluated(d, long)
	periods := out.HealthPeriods
	slices.SortFunc(window, func(a, b PeriodActivity) int { return a.OccurredAt.Compare(b.OccurredAt) })
	// since is the subslice of window from t on: no copy.
	since := func(t time.Time) []PeriodActivity {
		i, _ := slices.BinarySearchFunc(window, t, func(a PeriodActivity, t time.Time) int { return a.OccurredAt.Compare(t) })
		return window[i:]
	}
	for _, p := range periods {
		out.Reports = append(out.Reports, HealthReports(d, since(now.Add(-2*p)), now, p)...)
	}
	out.Ranks, out.Slipping = sc.Rankings(d, levels, since(now.Add(-slices.Max(periods))), now, periods...)
	return out
}

// newEvaluated is what an evaluation of d computes, without its results:
// the periods (the long ones with long), the ranking kinds and the
// score_meta keys it sets.
func newEvaluated(d ScoreData, long bool) Evaluated {
	periods := slices.Clone(ShortStoredPeriods)
	out := Evaluated{TimeKeys: []string{LevelsEvaluatedKey, ShortPeriodsKey}}
	if long {
		periods = append(periods, LongStoredPeriods...)
		out.TimeKeys = append(out.TimeKeys, LongPeriodsKey)
		out.Values = map[string]string{LongPeriodsActivitiesKey: strconv.Itoa(ActivityCount(d))}
	}
	out.HealthPeriods = periods
	out.RankKinds = []string{listKind(ChampionsOptions{}), listKind(ChampionsOptions{Slipping: true})}
	for _, p := range periods {
		out.RankKinds = append(out.RankKinds, RankKind(ChampionsOptions{Rising: true, Period: p}))
	}
	return out
}

// LongRankKind reports whether a stored ranking's kind (RankKind) is the
// rising list of one of LongStoredPeriods: it was computed when the long
// periods last were, not by every evaluation.
func LongRankKind(kind string) bool {
	for _, p := range LongStoredPeriods {
		if kind == RankKind(ChampionsOptions{Rising: true, Period: p}) {
			return true
		}
	}
	return false
}

// The score_meta keys (both stores) of when the evaluation last computed
// the levels with the rankings "champions", "slipping" and "rising" (30
// days), the rising lists of every short period (since the stored periods
// exist: rankings kept by an older version have only those three kinds),
// and the long periods.
const (
	LevelsEvaluatedKey = "levels_evaluated_at"
	ShortPeriodsKey    = "short_periods_evaluated_at"
	LongPeriodsKey     = "long_periods_evaluated_at"
	// LongPeriodsActivitiesKey is the score_meta key of how many
	// activities the members had when the long periods were last
	// computed (see LongPeriodsDue).
	LongPeriodsActivitiesKey = "long_periods_activities"
)

// RankTimeKey is the score_meta key of when a stored ranking of kind was
// computed.
func RankTimeKey(kind string) string {
	switch {
	case LongRankKind(kind):
		return LongPeriodsKey
	case kind == "champions" || kind == "slipping" || kind == "rising":
		return LevelsEvaluatedKey
	}
	return ShortPeriodsKey
}
