package crm

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Scoring is how love, levels, reach and the champions ranking are
// computed (config section scoring; defaults in DefaultScoring and the
// README). Every number it yields comes with its breakdown.
type Scoring struct {
	// Weights is the weight of one activity of each type; a type missing
	// here weighs 0 (counted, shown, worth nothing).
	Weights map[string]float64
	// Decay is what an activity is worth after one month, relative to
	// new: love = Σ weight × Decay^(age in months).
	Decay float64
	// PlatformBonus and ChannelBonus make the breadth bonus: love before
	// breadth × (PlatformBonus × (platforms - 1) + ChannelBonus ×
	// (min(channels, MaxBonusChannels) - 1)).
	PlatformBonus    float64
	ChannelBonus     float64
	MaxBonusChannels int
	// Levels are the rules of levels 1 (core), 2 (contributor) and 3
	// (participant); a member who meets none is 4 (observer).
	Levels [3]LevelRule
	// Grace is how long a member's measured level must stay below their
	// level before the level falls (a level rises at once).
	Grace time.Duration
	// MinStrength is the least strength of an interaction edge that
	// counts for reach: n × Decay^(idle months since the last one).
	MinStrength float64
	// HelpedPoints and ConnectsPoints are what each person helped and each
	// otherwise separate person connected add to a champion's score.
	HelpedPoints, ConnectsPoints float64
	// LevelFactor multiplies a champion's score by level (index 0 is
	// level 1).
	LevelFactor [4]float64
	// ChampionsTop is how long the champions list is for the
	// member.champion_entered webhook event and the champions page.
	ChampionsTop int
}

// LevelRule is what a level asks: commitment (love before the breadth
// bonus, on every platform) and active weeks in the last 4, 13 and 52
// weeks (the current calendar week included), all at least.
type LevelRule struct {
	Commitment float64 `json:"commitment"`
	Weeks4     int     `json:"weeks_4"`
	Weeks13    int     `json:"weeks_13"`
	Weeks52    int     `json:"weeks_52"`
}

// Levels.
const (
	LevelCore        = 1
	LevelContributor = 2
	LevelParticipant = 3
	LevelObserver    = 4
)

// LevelName is the name of level l ("core", "contributor",
// "participant", "observer").
func LevelName(l int) string {
	switch l {
	case LevelCore:
		return "core"
	case LevelContributor:
		return "contributor"
	case LevelParticipant:
		return "participant"
	case LevelObserver:
		return "observer"
	}
	return ""
}

// DefaultWeights are the default activity weights (README, "Scores").
func DefaultWeights() map[string]float64 {
	return map[string]float64{
		// github
		"pr_opened": 3, "pr_merged": 4, "pr_review": 4, "pr_review_comment": 2, "commit": 2,
		"issue_opened": 2, "issue_comment": 1.5, "release": 3, "fork": 0.5, "star": 0.25,
		// discourse
		"topic_created": 2, "post_created": 1.5, "solution_accepted": 1, "like": 0.25,
		// stackoverflow
		"question": 2, "answer": 4, "answer_accepted": 1, "comment": 1,
		// mastodon
		"post": 1, "mention": 1, "boost": 0.5, "favourite": 0.25, "follow": 0.25,
	}
}

// DefaultScoring is the scoring of a config without a scoring section.
func DefaultScoring() Scoring {
	return Scoring{
		Weights:          DefaultWeights(),
		Decay:            0.9,
		PlatformBonus:    0.10,
		ChannelBonus:     0.02,
		MaxBonusChannels: 10,
		Levels: [3]LevelRule{
			{Commitment: 60, Weeks4: 3, Weeks13: 8},
			{Commitment: 8, Weeks13: 2},
			{Commitment: 0.5, Weeks52: 1},
		},
		Grace:          28 * 24 * time.Hour,
		MinStrength:    0.25,
		HelpedPoints:   1,
		ConnectsPoints: 2,
		LevelFactor:    [4]float64{1.5, 1.2, 1, 0.5},
		ChampionsTop:   20,
	}
}

// LoveLine is one platform and activity type of a love breakdown.
type LoveLine struct {
	Platform string  `json:"platform"`
	Type     string  `json:"type"`
	Count    int     `json:"count"`
	Weight   float64 `json:"weight"`
	// Decayed is the count after decay: Σ Decay^(age in months).
	Decayed float64 `json:"decayed"`
	// Points is Weight × Decayed.
	Points float64 `json:"points"`
}

// Love is a member's engagement score with its breakdown.
type Love struct {
	// Total is Base + Breadth.
	Total float64 `json:"total"`
	// Base is the sum of the lines' points.
	Base float64 `json:"base"`
	// Breadth is the bonus: Base × BreadthFactor.
	Breadth       float64 `json:"breadth"`
	BreadthFactor float64 `json:"breadth_factor"`
	// Platforms and Channels are what the bonus counted: platforms with
	// activity (a git commit author counts as github), distinct channels.
	Platforms int        `json:"platforms"`
	Channels  int        `json:"channels"`
	Lines     []LoveLine `json:"breakdown"`
}

// breadthPlatform is the platform a breadth bonus counts: commit authors
// known only by e-mail are GitHub activity.
func breadthPlatform(p string) string {
	if p == "git" {
		return "github"
	}
	return p
}

// onPlatform reports whether an identity on p counts for a platform
// filter f ("" for all; "github" includes git commit authors).
func onPlatform(p, f string) bool { return f == "" || breadthPlatform(p) == f }

// MemberLove computes m's love at now, on platform ("" for all).
func (sc Scoring) MemberLove(m ScoreMember, now time.Time, platform string) Love {
	var l Love
	lines := map[[2]string]*LoveLine{}
	platforms := map[string]bool{}
	channels := map[[2]string]bool{}
	for _, id := range m.Identities {
		if !onPlatform(id.Platform, platform) {
			continue
		}
		for typ, t := range id.Tallies {
			if t.Count == 0 {
				continue
			}
			k := [2]string{id.Platform, typ}
			ln := lines[k]
			if ln == nil {
				ln = &LoveLine{Platform: id.Platform, Type: typ, Weight: sc.Weights[typ]}
				lines[k] = ln
			}
			ln.Count += t.Count
			ln.Decayed += t.Decayed(now, sc.Decay)
			if ln.Weight > 0 {
				platforms[breadthPlatform(id.Platform)] = true
			}
		}
		for _, c := range id.Channels {
			channels[[2]string{breadthPlatform(id.Platform), c}] = true
		}
	}
	for _, ln := range lines {
		ln.Points = ln.Weight * ln.Decayed
		l.Lines = append(l.Lines, *ln)
	}
	slices.SortFunc(l.Lines, func(a, b LoveLine) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Type, b.Type))
	})
	// Sum in a fixed order so that the total does not depend on map order.
	for _, ln := range l.Lines {
		l.Base += ln.Points
	}
	l.Platforms, l.Channels = len(platforms), len(channels)
	if l.Base > 0 {
		f := 0.0
		if l.Platforms > 1 {
			f += sc.PlatformBonus * float64(l.Platforms-1)
		}
		if c := min(l.Channels, sc.MaxBonusChannels); c > 1 {
			f += sc.ChannelBonus * float64(c-1)
		}
		l.BreadthFactor = f
		l.Breadth = l.Base * f
	}
	l.Total = l.Base + l.Breadth
	return l
}

// Presence counts a member's active weeks up to the week of now.
type PresenceCounts struct {
	Weeks4  int `json:"weeks_4"`
	Weeks13 int `json:"weeks_13"`
	Weeks52 int `json:"weeks_52"`
}

// MemberWeeks is the union of m's identities' active weeks.
func MemberWeeks(m ScoreMember) Presence {
	var p Presence
	for _, id := range m.Identities {
		p = p.Union(id.Weeks)
	}
	return p
}

// MemberMonths is the union of m's identities' active months.
func MemberMonths(m ScoreMember) Presence {
	var p Presence
	for _, id := range m.Identities {
		p = p.Union(id.Months)
	}
	return p
}

// CountPresence counts the active weeks of p in the last 4, 13 and 52
// weeks up to the week of now.
func CountPresence(p Presence, now time.Time) PresenceCounts {
	w := WeekOf(now)
	return PresenceCounts{Weeks4: p.Count(w, 4), Weeks13: p.Count(w, 13), Weeks52: p.Count(w, 52)}
}

// MeasuredLevel is the level commitment and presence give, before
// hysteresis: the best level whose rule they meet.
func (sc Scoring) MeasuredLevel(commitment float64, p PresenceCounts) int {
	for i, r := range sc.Levels {
		if commitment >= r.Commitment && p.Weeks4 >= r.Weeks4 && p.Weeks13 >= r.Weeks13 && p.Weeks52 >= r.Weeks52 {
			return i + 1
		}
	}
	return LevelObserver
}

// LevelState is a member's level as kept between evaluations.
type LevelState struct {
	Level int       `json:"level"`
	Since time.Time `json:"since"`
	// BelowSince is when the measured level first fell below Level (the
	// grace period running); zero otherwise.
	BelowSince time.Time `json:"below_since,omitzero"`
}

// NextLevel applies hysteresis: from state prev (ok false: none yet), the
// measured level at now gives the next state; changed reports a level
// change (a first level is one). A better level is taken at once; a worse
// one only once the measured level has stayed worse for Grace.
func (sc Scoring) NextLevel(prev LevelState, ok bool, measured int, now time.Time) (next LevelState, changed bool) {
	switch {
	case !ok:
		return LevelState{Level: measured, Since: now}, true
	case measured < prev.Level:
		return LevelState{Level: measured, Since: now}, true
	case measured == prev.Level:
		prev.BelowSince = time.Time{}
		return prev, false
	case prev.BelowSince.IsZero():
		prev.BelowSince = now
		return prev, false
	case now.Sub(prev.BelowSince) >= sc.Grace:
		return LevelState{Level: measured, Since: now}, true
	default:
		return prev, false
	}
}

// LevelPoint is a level a member reached at a time.
type LevelPoint struct {
	At       time.Time `json:"at"`
	Level    int       `json:"level"`
	Name     string    `json:"name"`
	Previous int       `json:"previous,omitempty"`
}

// TimedActivity is an activity's type and time, for ReplayLevels.
type TimedActivity struct {
	Type string
	At   time.Time
}

// ReplayLevels computes a member's level history from their activities,
// as weekly evaluations at the end of each week from their first activity
// to now would have found it (with hysteresis), and the state at now. It
// is how a member first seen with a past gets a history that says when
// they became a contributor.
func (sc Scoring) ReplayLevels(acts []TimedActivity, now time.Time) ([]LevelPoint, LevelState) {
	if len(acts) == 0 {
		st, _ := sc.NextLevel(LevelState{}, false, LevelObserver, now)
		return []LevelPoint{{At: now, Level: LevelObserver, Name: LevelName(LevelObserver)}}, st
	}
	acts = slices.Clone(acts)
	slices.SortFunc(acts, func(a, b TimedActivity) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Type, b.Type))
	})
	weekDecay := math.Pow(sc.Decay, float64(7*24*time.Hour)/float64(Month))
	var (
		hist    []LevelPoint
		st      LevelState
		have    bool
		weeks   Presence
		commit  float64 // decayed commitment at the last evaluation
		lastEnd time.Time
		i       int
	)
	endWeek := WeekOf(now)
	for w := WeekOf(acts[0].At); w <= endWeek; w++ {
		end := WeekStart(w + 1)
		if w == endWeek {
			end = now
		}
		if have {
			commit *= math.Pow(weekDecay, float64(end.Sub(lastEnd))/float64(7*24*time.Hour))
		}
		for ; i < len(acts) && acts[i].At.Before(end); i++ {
			commit += sc.Weights[acts[i].Type] * math.Pow(sc.Decay, AgeMonths(acts[i].At, end))
			weeks.Set(WeekOf(acts[i].At))
		}
		lastEnd = end
		at := end
		if w == endWeek {
			at = now
		}
		measured := sc.MeasuredLevel(commit, CountPresence(weeks, at.Add(-time.Nanosecond)))
		prev := st.Level
		next, changed := sc.NextLevel(st, have, measured, at)
		if changed {
			p := LevelPoint{At: at, Level: next.Level, Name: LevelName(next.Level)}
			if have {
				p.Previous = prev
			}
			hist = append(hist, p)
		}
		st, have = next, true
	}
	return hist, st
}
