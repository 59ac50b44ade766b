package crm

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Reach is who a member helped and connects, from the interactions
// (replies, answers, reviews, merges, mentions that answer someone).
type Reach struct {
	// Helped is how many other people the member answered with an edge
	// strength of at least Scoring.MinStrength.
	Helped int `json:"helped"`
	// Connects is how many of the member's contacts (helped or helped
	// by, at that strength) have no such edge to any other of them: the
	// people this member links who would otherwise be apart. 0 with fewer
	// than two contacts.
	Connects int `json:"connects"`
	// Contacts is how many people the member is linked with either way.
	Contacts int `json:"contacts"`
}

// Clout is standing outside the community, shown beside love and never
// part of it.
type Clout struct {
	// Followers sums the followers of the member's GitHub and Mastodon
	// accounts.
	Followers int `json:"followers"`
	// Reputation is the highest Stack Exchange reputation of the member's
	// accounts.
	Reputation int `json:"reputation"`
}

// MemberClout is m's clout.
func MemberClout(m ScoreMember) Clout {
	var c Clout
	for _, id := range m.Identities {
		c.Followers += id.Followers
		c.Reputation = max(c.Reputation, id.Reputation)
	}
	return c
}

// Graph is the member interaction graph at a time, on a platform.
type Graph struct {
	// out[m] is the strength of m's edges to each member m helped.
	out map[int64]map[int64]float64
	// adj[m] is the set of m's contacts (either direction, strong enough).
	adj map[int64]map[int64]bool
}

// BuildGraph turns identity interactions into member edges at now:
// strength = Σ n × Decay^(idle months since the edge's last interaction),
// summed over the identity pairs of two members. Edges within one member,
// from or to a bot, or to an identity of no member are left out; platform
// "" keeps every edge, else only those whose helping identity is on it.
func (sc Scoring) BuildGraph(d ScoreData, now time.Time, platform string) Graph {
	type ident struct {
		member   int64
		platform string
		bot      bool
	}
	who := make(map[int64]ident)
	for _, m := range d.Members {
		for _, id := range m.Identities {
			who[id.ID] = ident{m.ID, id.Platform, m.Role == RoleBot}
		}
	}
	g := Graph{out: map[int64]map[int64]float64{}, adj: map[int64]map[int64]bool{}}
	// A fixed order makes the float sums exact across input orders. The
	// stores read the interactions in it already: then no copy is sorted.
	byEnds := func(a, b Interaction) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) }
	edges := d.Interactions
	if !slices.IsSortedFunc(edges, byEnds) {
		edges = slices.Clone(edges)
		slices.SortFunc(edges, byEnds)
	}
	for _, e := range edges {
		f, ok1 := who[e.From]
		t, ok2 := who[e.To]
		if !ok1 || !ok2 || f.member == t.member || f.bot || t.bot || !onPlatform(f.platform, platform) {
			continue
		}
		s := float64(e.N) * math.Pow(sc.Decay, AgeMonths(e.LastAt, now))
		if g.out[f.member] == nil {
			g.out[f.member] = map[int64]float64{}
		}
		g.out[f.member][t.member] += s
	}
	for from, tos := range g.out {
		for to, s := range tos {
			if s < sc.MinStrength {
				continue
			}
			for _, p := range [][2]int64{{from, to}, {to, from}} {
				if g.adj[p[0]] == nil {
					g.adj[p[0]] = map[int64]bool{}
				}
				g.adj[p[0]][p[1]] = true
			}
		}
	}
	return g
}

// Reach is member m's reach in g.
func (sc Scoring) Reach(g Graph, m int64) Reach {
	var r Reach
	for _, s := range g.out[m] {
		if s >= sc.MinStrength {
			r.Helped++
		}
	}
	contacts := g.adj[m]
	r.Contacts = len(contacts)
	if len(contacts) < 2 {
		return r
	}
	for v := range contacts {
		alone := true
		nv := g.adj[v]
		// Walk the smaller side: cost min(deg m, deg v) per contact.
		if len(nv) < len(contacts) {
			for w := range nv {
				if w != m && contacts[w] {
					alone = false
					break
				}
			}
		} else {
			for w := range contacts {
				if w != v && nv[w] {
					alone = false
					break
				}
			}
		}
		if alone {
			r.Connects++
		}
	}
	return r
}

// Champion is one member of a champions list, with every number that
// placed them.
type Champion struct {
	Rank   int          `json:"rank"`
	Member ChampionName `json:"member"`
	// Score is (Love.Total + HelpedPoints × Reach.Helped + ConnectsPoints
	// × Reach.Connects) × LevelFactor.
	Score       float64        `json:"score"`
	ReachPoints float64        `json:"reach_points"`
	LevelFactor float64        `json:"level_factor"`
	Level       ChampionLevel  `json:"level"`
	Love        Love           `json:"love"`
	Reach       Reach          `json:"reach"`
	Presence    PresenceCounts `json:"presence"`
	Clout       Clout          `json:"clout"`
	// Gain is love now minus love one period ago (--rising).
	Gain *float64 `json:"gain,omitempty"`
	// LastActive is the member's last active week's Monday (--slipping).
	LastActive *time.Time `json:"last_active,omitempty"`
	// History is the member's level history, oldest first (pages).
	History []LevelPoint `json:"level_history,omitempty"`
}

// ChampionName names a champion.
type ChampionName struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

// ChampionLevel is a member's level with its name and since when.
type ChampionLevel struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	// Since is when the member reached it (zero when never evaluated).
	Since time.Time `json:"since,omitzero"`
	// Measured is the level the data gives now, before hysteresis: a
	// worse one than Level means the grace period is running.
	Measured int `json:"measured"`
}

// StoredLevel is a member's level as the champions list shows it: the
// stored state st (ok false: none) with its since date, else the measured
// level; Measured is measured either way.
func StoredLevel(measured int, st LevelState, ok bool) ChampionLevel {
	lv := ChampionLevel{Level: measured, Name: LevelName(measured), Measured: measured}
	if ok && st.Level >= LevelCore && st.Level <= LevelObserver {
		lv.Level, lv.Name, lv.Since = st.Level, LevelName(st.Level), st.Since
	}
	return lv
}

// MemberStanding is one member's level (stored state st, ok false: none)
// and love on every platform at now, rounded as the champions list
// rounds them: what a member's page shows beside the journey.
func (sc Scoring) MemberStanding(m ScoreMember, st LevelState, ok bool, now time.Time) (ChampionLevel, Love, PresenceCounts) {
	love := sc.MemberLove(m, now, "")
	pres := CountPresence(MemberWeeks(m), now)
	return StoredLevel(sc.MeasuredLevel(love.Base, pres), st, ok), RoundLove(love), pres
}

// ChampionsOptions selects a champions list.
type ChampionsOptions struct {
	Now time.Time
	// Top caps the list (0: Scoring.ChampionsTop).
	Top int
	// Platform "" ranks on every platform, else love and reach there only
	// (levels are the member's).
	Platform string
	// IncludeStaff keeps staff and bots.
	IncludeStaff bool
	// Rising ranks by Gain over Period instead; Slipping lists former
	// regulars gone quiet (active in at least 6 of the 13 weeks before the
	// last 4, none in the last 4). At most one is set.
	Rising, Slipping bool
	// Period is the rising gain's period (default 30 days).
	Period time.Duration
}

// ChampionsList is a champions list and what it was made with.
type ChampionsList struct {
	GeneratedAt time.Time  `json:"generated_at"`
	Kind        string     `json:"kind"` // "champions", "rising" or "slipping"
	Platform    string     `json:"platform,omitempty"`
	Period      string     `json:"period,omitempty"`
	Formula     string     `json:"formula"`
	Champions   []Champion `json:"champions"`
}

// ChampionsFormula says how a list is ranked, in words, for the JSON and
// the pages.
func (sc Scoring) ChampionsFormula(o ChampionsOptions) string {
	switch {
	case o.Rising:
		return "love now minus love one period ago, largest first"
	case o.Slipping:
		return "active in at least 6 of the 13 weeks before the last 4 and in none of the last 4; most regular first"
	}
	return "score = (love + " + trimFloat(sc.HelpedPoints) + " × people helped + " + trimFloat(sc.ConnectsPoints) +
		" × people connected) × level factor (core " + trimFloat(sc.LevelFactor[0]) + ", contributor " + trimFloat(sc.LevelFactor[1]) +
		", participant " + trimFloat(sc.LevelFactor[2]) + ", observer " + trimFloat(sc.LevelFactor[3]) + ")"
}

// Champions ranks the members of d. levels are the stored level states
// by member (a member without one gets its measured level); recent are the
// activities of the last Period, needed only for Rising.
func (sc Scoring) Champions(d ScoreData, levels map[int64]LevelState, recent []PeriodActivity, o ChampionsOptions) ChampionsList {
	o = sc.defaults(o)
	out := sc.listHead(o)
	var rec []PeriodActivity
	if o.Rising {
		rec = recent
	}
	es := sc.entries(d, levels, rec, o.Rising, o.Now, o.Platform, o.Period)
	out.Champions = pick(es, o)
	return out
}

// defaults fills o's zero fields.
func (sc Scoring) defaults(o ChampionsOptions) ChampionsOptions {
	if o.Top <= 0 {
		o.Top = sc.ChampionsTop
	}
	if o.Period <= 0 {
		o.Period = DefaultRisingPeriod
	}
	return o
}

// DefaultRisingPeriod is the period of the rising list when none is given.
const DefaultRisingPeriod = 30 * 24 * time.Hour

// listKind is "champions", "rising" or "slipping".
func listKind(o ChampionsOptions) string {
	switch {
	case o.Rising:
		return "rising"
	case o.Slipping:
		return "slipping"
	}
	return "champions"
}

// listHead is a list's header, without entries.
func (sc Scoring) listHead(o ChampionsOptions) ChampionsList {
	out := ChampionsList{GeneratedAt: o.Now, Kind: listKind(o), Platform: o.Platform, Formula: sc.ChampionsFormula(o), Champions: []Champion{}}
	if o.Rising {
		out.Period = o.Period.String()
	}
	return out
}

// entry is one member's unranked entry with what the three lists sort
// and filter on.
type entry struct {
	c        Champion
	slipping bool
	gain     float64 // valid with rising
}

// entries computes the entry of every member on platform ("" for all),
// staff and bots included; with rising, the gain over period from recent.
func (sc Scoring) entries(d ScoreData, levels map[int64]LevelState, recent []PeriodActivity, rising bool, now time.Time, platform string, period time.Duration) []entry {
	var removed map[int64]float64
	if rising {
		removed = sc.recentTerms(ScoreData{Members: d.Members}, recent, now, period, platform)
	}
	return sc.entriesOf(sc.BuildGraph(d, now, platform), d.Members, levels, removed, rising, now, platform, period)
}

// entriesOf computes the entries of members with graph g (see entries),
// with rising from the recent terms removed (recentTerms).
func (sc Scoring) entriesOf(g Graph, members []ScoreMember, levels map[int64]LevelState, removed map[int64]float64, rising bool, now time.Time, platform string, period time.Duration) []entry {
	week := WeekOf(now)
	out := make([]entry, 0, len(members))
	for _, m := range members {
		if platform != "" && !slices.ContainsFunc(m.Identities, func(id ScoreIdentity) bool { return onPlatform(id.Platform, platform) }) {
			continue
		}
		e := entry{c: sc.champion(m, sc.Reach(g, m.ID), levels, now, platform)}
		weeks := MemberWeeks(m)
		e.slipping = weeks.CountRange(week, 4, 13) >= 6 && weeks.Count(week, 4) == 0
		if e.slipping {
			e.c.LastActive = lastActive(weeks, week)
		}
		if rising {
			e.gain = e.c.Love.Total - sc.loveThen(removed[m.ID], e.c.Love, now, period)
		}
		out = append(out, e)
	}
	return out
}

// lastActive is the Monday of the last active week of weeks up to week.
func lastActive(weeks Presence, week int64) *time.Time {
	for ago := 0; ago < 64; ago++ {
		if weeks.Active(week, ago) {
			t := WeekStart(week - int64(ago))
			return &t
		}
	}
	return nil
}

// pick filters, sorts, cuts and ranks the entries for o (a new slice).
func pick(es []entry, o ChampionsOptions) []Champion {
	// Indices into es, not copies of the entries: the evaluation picks 30
	// lists from every member's entry (see Rankings).
	var list []int32
	for i := range es {
		e := &es[i]
		switch {
		case !o.IncludeStaff && e.c.Member.Role != "":
		case o.Slipping && !e.slipping:
		case !o.Slipping && e.c.Love.Total <= 0:
		case o.Rising && e.gain <= 0:
		default:
			list = append(list, int32(i))
		}
	}
	slices.SortFunc(list, func(i, j int32) int {
		a, b := &es[i], &es[j]
		switch {
		case o.Rising:
			return cmp.Or(cmp.Compare(b.gain, a.gain), cmp.Compare(b.c.Score, a.c.Score), cmp.Compare(a.c.Member.ID, b.c.Member.ID))
		case o.Slipping:
			return cmp.Or(cmp.Compare(b.c.Presence.Weeks52, a.c.Presence.Weeks52), cmp.Compare(b.c.Love.Total, a.c.Love.Total), cmp.Compare(a.c.Member.ID, b.c.Member.ID))
		}
		return cmp.Or(cmp.Compare(b.c.Score, a.c.Score), cmp.Compare(b.c.Love.Total, a.c.Love.Total), cmp.Compare(a.c.Member.ID, b.c.Member.ID))
	})
	if len(list) > o.Top {
		list = list[:o.Top]
	}
	out := make([]Champion, len(list))
	for i, k := range list {
		e := &es[k]
		c := e.c
		c.Rank = i + 1
		if o.Rising {
			g := e.gain
			c.Gain = &g
		}
		if !o.Slipping {
			c.LastActive = nil
		}
		c.round()
		out[i] = c
	}
	return out
}

// RankDepth is how deep the stored rankings go (Rankings): lists up to
// this long are read from them.
const RankDepth = 1000

// RankPlatforms are the platforms the stored rankings cover ("" is all).
var RankPlatforms = []string{"", "github", "mastodon", "discourse", "stackoverflow"}

// RankRow is one place in a stored ranking: which list (Kind, Platform,
// Staff: staff and bots included), the member, and what of the entry
// needs the whole graph or the period's activities.
type RankRow struct {
	Kind     string
	Platform string
	Staff    bool
	Rank     int
	MemberID int64
	Reach    Reach
	// Gain is the rising gain (rising lists only).
	Gain float64
}

// Rankings computes the first RankDepth places of every list variant
// (kinds × RankPlatforms × staff included or not) at now, the rising
// ones over each of risingPeriods (DefaultRisingPeriod when none is
// given; recent holds the activities of the longest), stored under
// RankKind: the evaluation stores them so that a list reads in
// milliseconds (see LoadChampions). slipping is every member (staff and
// bots left out) on the slipping list, however long.
func (sc Scoring) Rankings(d ScoreData, levels map[int64]LevelState, recent []PeriodActivity, now time.Time, risingPeriods ...time.Duration) (out []RankRow, slipping []int64) {
	return sc.rankingsWith(d, levels, now, risingPeriods, func(period time.Duration, platform string) func(int64) float64 {
		removed := sc.recentTerms(ScoreData{Members: d.Members}, recent, now, period, platform)
		return func(id int64) float64 { return removed[id] }
	})
}

// rankingsWith is Rankings with the recent terms (recentTerms) of each
// rising period and platform from recent.
func (sc Scoring) rankingsWith(d ScoreData, levels map[int64]LevelState, now time.Time, risingPeriods []time.Duration,
	recent func(period time.Duration, platform string) func(member int64) float64) (out []RankRow, slipping []int64) {
	if len(risingPeriods) == 0 {
		risingPeriods = []time.Duration{DefaultRisingPeriod}
	}
	rows := func(cs []Champion, kind, p string, staff bool) {
		for _, c := range cs {
			r := RankRow{Kind: kind, Platform: p, Staff: staff, Rank: c.Rank, MemberID: c.Member.ID, Reach: c.Reach}
			if c.Gain != nil {
				r.Gain = *c.Gain
			}
			out = append(out, r)
		}
	}
	for _, p := range RankPlatforms {
		// Every entry once per platform; each rising period only changes
		// the gains, computed from that period's activities.
		es := sc.entries(d, levels, nil, false, now, p, 0)
		if p == "" {
			for _, e := range es {
				if e.slipping && e.c.Member.Role == "" {
					slipping = append(slipping, e.c.Member.ID)
				}
			}
			slices.Sort(slipping)
		}
		for _, staff := range []bool{false, true} {
			for _, o := range []ChampionsOptions{{}, {Slipping: true}} {
				o.Now, o.Platform, o.IncludeStaff, o.Top = now, p, staff, RankDepth
				rows(pick(es, o), listKind(o), p, staff)
			}
		}
		for _, period := range risingPeriods {
			removed := recent(period, p)
			for i := range es {
				e := &es[i]
				e.gain = e.c.Love.Total - sc.loveThen(removed(e.c.Member.ID), e.c.Love, now, period)
			}
			for _, staff := range []bool{false, true} {
				o := ChampionsOptions{Rising: true, Now: now, Platform: p, IncludeStaff: staff, Top: RankDepth, Period: period}
				rows(pick(es, o), RankKind(o), p, staff)
			}
		}
	}
	return out, slipping
}

// champion is m's entry, unranked.
func (sc Scoring) champion(m ScoreMember, r Reach, levels map[int64]LevelState, now time.Time, platform string) Champion {
	all := sc.MemberLove(m, now, "")
	love := all
	if platform != "" {
		love = sc.MemberLove(m, now, platform)
	}
	pres := CountPresence(MemberWeeks(m), now)
	st, ok := levels[m.ID]
	lv := StoredLevel(sc.MeasuredLevel(all.Base, pres), st, ok)
	c := Champion{
		Member: ChampionName{ID: m.ID, Name: m.Name, Role: m.Role},
		Level:  lv, Love: love, Reach: r, Presence: pres, Clout: MemberClout(m),
		ReachPoints: sc.HelpedPoints*float64(r.Helped) + sc.ConnectsPoints*float64(r.Connects),
		LevelFactor: sc.LevelFactor[lv.Level-1],
	}
	c.Score = (love.Total + c.ReachPoints) * c.LevelFactor
	return c
}

// recentTerms sums, per member, weight × Tally term of its activities of
// the last period: what to take out of the weighted bases to get the love
// of one period ago (see loveThen).
func (sc Scoring) recentTerms(d ScoreData, recent []PeriodActivity, now time.Time, period time.Duration, platform string) map[int64]float64 {
	ids := make(map[int64]string)
	for _, m := range d.Members {
		for _, id := range m.Identities {
			ids[id.ID] = id.Platform
		}
	}
	since := now.Add(-period)
	// The sums go in key order, whatever order recent is in (the same
	// float sums for the same activities): the indices of the activities
	// counted are sorted, not a copy of them.
	var keep []int32
	for i := range recent {
		a := &recent[i]
		p, ok := ids[a.IdentityID]
		if !ok || a.OccurredAt.Before(since) || !a.OccurredAt.Before(now) || !onPlatform(p, platform) {
			continue
		}
		keep = append(keep, int32(i))
	}
	slices.SortFunc(keep, func(i, j int32) int { return cmp.Compare(recent[i].Key, recent[j].Key) })
	out := map[int64]float64{}
	for _, i := range keep {
		a := &recent[i]
		out[a.MemberID] += sc.Weights[a.Type] * TallyTerm(a.OccurredAt, sc.Decay)
	}
	return out
}

// loveThen is m's love one period ago: the bases without the recent
// terms, decayed to then, with today's breadth factor.
func (sc Scoring) loveThen(recentWeighted float64, now Love, at time.Time, period time.Duration) float64 {
	then := at.Add(-period)
	var base float64
	for _, ln := range now.Lines {
		base += ln.Weight * ln.Decayed
	}
	// base is Σ w × Base × D(now); at then it is (Σ w × Base - recent) × D(then).
	dNow := math.Pow(sc.Decay, monthsSince(TallyEpoch, at))
	dThen := math.Pow(sc.Decay, monthsSince(TallyEpoch, then))
	b := (base/dNow - recentWeighted) * dThen
	if b < 0 {
		b = 0
	}
	return b * (1 + now.BreadthFactor)
}

// trimFloat prints f without trailing zeros.
func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// round4 rounds f to 4 decimal places, for printing.
func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// round rounds c's figures to 4 decimal places once it is ranked, so
// that printed numbers read as computed by hand (0.9, not 0.8999…).
func (c *Champion) round() {
	c.Score, c.ReachPoints = round4(c.Score), round4(c.ReachPoints)
	c.Love = RoundLove(c.Love)
	if c.Gain != nil {
		g := round4(*c.Gain)
		c.Gain = &g
	}
}

// RoundLove rounds l's figures to 4 decimal places, as the champions
// list prints them.
func RoundLove(l Love) Love {
	l.Total, l.Base, l.Breadth, l.BreadthFactor = round4(l.Total), round4(l.Base), round4(l.Breadth), round4(l.BreadthFactor)
	l.Lines = slices.Clone(l.Lines)
	for i := range l.Lines {
		ln := &l.Lines[i]
		ln.Decayed, ln.Points = round4(ln.Decayed), round4(ln.Points)
	}
	return l
}

// ChampionsReader is what LoadChampions reads.
type ChampionsReader interface {
	ScoreReader
	// Levels returns every member's stored level state.
	Levels(ctx context.Context) (map[int64]LevelState, error)
	// LevelHistory returns a member's level changes, oldest first.
	LevelHistory(ctx context.Context, member int64) ([]LevelPoint, error)
}

// RankReader reads the rankings the last evaluation stored (Rankings).
type RankReader interface {
	// ChampionRanks returns the first top places of a stored list and
	// when they were computed; ok is false when none is stored.
	ChampionRanks(ctx context.Context, kind, platform string, staff bool, top int) (at time.Time, rows []RankRow, ok bool, err error)
	// ScoreMembers reads members as ScoreData has them, by id.
	ScoreMembers(ctx context.Context, ids []int64) ([]ScoreMember, error)
	// LevelsOf returns the stored level states of the members ids.
	LevelsOf(ctx context.Context, ids []int64) (map[int64]LevelState, error)
}

// LoadChampions reads what a champions list needs from r and ranks it:
// the list the CLI and the API print. When r also stores rankings
// (RankReader) and the list is one of them (a default period, at most
// RankDepth long), it reads the stored places and computes only their
// entries, as of when the ranking was stored (GeneratedAt); otherwise it
// ranks every member now. With history, each entry carries its level
// history.
func (sc Scoring) LoadChampions(ctx context.Context, r ChampionsReader, o ChampionsOptions, history bool) (ChampionsList, error) {
	o = sc.defaults(o)
	var list ChampionsList
	stored := false
	// Only the rising list depends on the period: the others come from
	// the stored rankings whatever period is asked.
	if rr, ok := r.(RankReader); ok && (!o.Rising || StoredPeriod(o.Period)) && o.Top <= RankDepth {
		l, ok, err := sc.storedList(ctx, rr, o)
		if err != nil {
			return ChampionsList{}, fmt.Errorf("champions: %w", err)
		}
		list, stored = l, ok
	}
	if !stored && o.Rising && o.Period >= time.Hour {
		var l ChampionsList
		var err error
		if rw, ok := r.(RisingWindowReader); ok {
			l, err = sc.risingWindow(ctx, r, rw, o)
			stored = true
		}
		if err != nil {
			return ChampionsList{}, fmt.Errorf("champions: %w", err)
		}
		list = l
	}
	if !stored {
		d, err := r.ScoreData(ctx)
		if err != nil {
			return ChampionsList{}, fmt.Errorf("champions: %w", err)
		}
		levels, err := r.Levels(ctx)
		if err != nil {
			return ChampionsList{}, fmt.Errorf("champions: %w", err)
		}
		var recent []PeriodActivity
		if o.Rising {
			if recent, err = r.PeriodActivities(ctx, o.Now.Add(-o.Period), o.Now, ""); err != nil {
				return ChampionsList{}, fmt.Errorf("champions: %w", err)
			}
		}
		list = sc.Champions(d, levels, recent, o)
	}
	if history {
		for i := range list.Champions {
			h, err := r.LevelHistory(ctx, list.Champions[i].Member.ID)
			if err != nil {
				return ChampionsList{}, fmt.Errorf("champions: %w", err)
			}
			list.Champions[i].History = h
		}
	}
	return list, nil
}

// risingWindow is the rising list computed from the members active in
// the period only (RisingWindow), the recent terms summed from one pass
// over the period's activities: Champions would give the same. A member with no
// activity in the period has loveThen = Base × D(then)/D(now) × (1 +
// breadth) > Total when Base > 0 (D(then)/D(now) = Decay^(-period in
// months) ≥ 1 + 1.4e-4 for a period of at least an hour, far above
// rounding), and a gain of 0 when Base is 0: never positive, so never
// listed. The graph (reach) is built from the members at either end of an
// interaction, read without tallies; the tallies (and levels) are read for
// the active members only (PostgreSQL reads every member's: the same
// list).
func (sc Scoring) risingWindow(ctx context.Context, r ChampionsReader, rw RisingWindowReader, o ChampionsOptions) (ChampionsList, error) {
	var list ChampionsList
	err := rw.RisingWindow(ctx, o.Now.Add(-o.Period), o.Now, func(graph ScoreData, active []ScoreMember, wr WindowReader) error {
		levels, err := activeLevels(ctx, r, active)
		if err != nil {
			return err
		}
		removed, err := sc.windowTerms(ctx, wr, active, o.Now, o.Period, o.Platform)
		if err != nil {
			return err
		}
		list = sc.risingAmongTerms(graph, active, levels, removed, o)
		return nil
	})
	return list, err
}

// activeLevels reads the levels of active (all levels when r cannot read
// some).
func activeLevels(ctx context.Context, r ChampionsReader, active []ScoreMember) (map[int64]LevelState, error) {
	if lr, ok := r.(interface {
		LevelsOf(ctx context.Context, ids []int64) (map[int64]LevelState, error)
	}); ok {
		ids := make([]int64, len(active))
		for i, m := range active {
			ids[i] = m.ID
		}
		return lr.LevelsOf(ctx, ids)
	}
	return r.Levels(ctx)
}

// RisingWindowReader reads what a rising list needs with the period's
// activities a piece at a time, so that a rising list of any period holds
// no more than the members' data.
type RisingWindowReader interface {
	// RisingWindow calls fn, in one read snapshot, with the graph data
	// (every interaction and every member with an identity at either end
	// of one, without names, tallies and channels), the members with an
	// activity in [since, until) with their tallies (active; it may hold
	// others too, who are never rising) and a WindowReader of the store.
	RisingWindow(ctx context.Context, since, until time.Time, fn func(graph ScoreData, active []ScoreMember, wr WindowReader) error) error
}

// windowTerms is recentTerms of members from wr: the activities of
// [now-period, now) in key order, summed as recentTerms sums them.
func (sc Scoring) windowTerms(ctx context.Context, wr WindowReader, members []ScoreMember, now time.Time, period time.Duration, platform string) (map[int64]float64, error) {
	ids := make(map[int64]string)
	for _, m := range members {
		for _, id := range m.Identities {
			ids[id.ID] = id.Platform
		}
	}
	out := map[int64]float64{}
	err := wr.EachActivity(ctx, now.Add(-period), now, func(a *PeriodActivity) error {
		if p, ok := ids[a.IdentityID]; ok && onPlatform(p, platform) {
			out[a.MemberID] += sc.Weights[a.Type] * TallyTerm(a.OccurredAt, sc.Decay)
		}
		return nil
	})
	return out, err
}

// risingAmongTerms is Champions for o.Rising with the graph of all (whose
// members need no tallies; those without an interaction may be left out)
// and the entries of active only, with the recent terms removed
// (recentTerms): the same list as Champions(d, levels, recent, o) when
// active holds every member of d with an activity in recent (see
// risingWindow).
func (sc Scoring) risingAmongTerms(all ScoreData, active []ScoreMember, levels map[int64]LevelState, removed map[int64]float64, o ChampionsOptions) ChampionsList {
	o = sc.defaults(o)
	out := sc.listHead(o)
	g := sc.BuildGraph(all, o.Now, o.Platform)
	es := sc.entriesOf(g, active, levels, removed, true, o.Now, o.Platform, o.Period)
	out.Champions = pick(es, o)
	return out
}

// storedList builds a list from a stored ranking: the entries of its
// members computed at the ranking's time, with the stored reach and gain.
func (sc Scoring) storedList(ctx context.Context, rr RankReader, o ChampionsOptions) (ChampionsList, bool, error) {
	at, rows, ok, err := rr.ChampionRanks(ctx, RankKind(o), o.Platform, o.IncludeStaff, o.Top)
	if err != nil || !ok {
		return ChampionsList{}, false, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.MemberID
	}
	ms, err := rr.ScoreMembers(ctx, ids)
	if err != nil {
		return ChampionsList{}, false, err
	}
	levels, err := rr.LevelsOf(ctx, ids)
	if err != nil {
		return ChampionsList{}, false, err
	}
	byID := make(map[int64]ScoreMember, len(ms))
	for _, m := range ms {
		byID[m.ID] = m
	}
	o.Now = at
	list := sc.listHead(o)
	week := WeekOf(at)
	for _, r := range rows {
		m, ok := byID[r.MemberID]
		if !ok {
			continue // forgotten since
		}
		c := sc.champion(m, r.Reach, levels, at, o.Platform)
		c.Rank = r.Rank
		if o.Rising {
			g := r.Gain
			c.Gain = &g
		}
		if o.Slipping {
			c.LastActive = lastActive(MemberWeeks(m), week)
		}
		c.round()
		list.Champions = append(list.Champions, c)
	}
	return list, true, nil
}
