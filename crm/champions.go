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
	edges := slices.Clone(d.Interactions)
	// A fixed order makes the float sums exact across input orders.
	slices.SortFunc(edges, func(a, b Interaction) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
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
	if o.Top <= 0 {
		o.Top = sc.ChampionsTop
	}
	if o.Period <= 0 {
		o.Period = 30 * 24 * time.Hour
	}
	kind := "champions"
	switch {
	case o.Rising:
		kind = "rising"
	case o.Slipping:
		kind = "slipping"
	}
	out := ChampionsList{GeneratedAt: o.Now, Kind: kind, Platform: o.Platform, Formula: sc.ChampionsFormula(o)}
	if o.Rising {
		out.Period = o.Period.String()
	}
	g := sc.BuildGraph(d, o.Now, o.Platform)
	var removed map[int64]float64 // member → love one period ago (Rising)
	if o.Rising {
		removed = sc.recentTerms(d, recent, o)
	}
	week := WeekOf(o.Now)
	var list []Champion
	for _, m := range d.Members {
		if !o.IncludeStaff && m.Role != "" {
			continue
		}
		if o.Platform != "" && !slices.ContainsFunc(m.Identities, func(id ScoreIdentity) bool { return onPlatform(id.Platform, o.Platform) }) {
			continue
		}
		weeks := MemberWeeks(m)
		if o.Slipping && !(weeks.CountRange(week, 4, 13) >= 6 && weeks.Count(week, 4) == 0) {
			continue
		}
		c := sc.champion(m, g, levels, o.Now, o.Platform)
		if c.Love.Total <= 0 && !o.Slipping {
			continue
		}
		if o.Rising {
			then := sc.loveThen(m, removed[m.ID], c.Love, o)
			gain := c.Love.Total - then
			if gain <= 0 {
				continue
			}
			c.Gain = &gain
		}
		if o.Slipping {
			for ago := 0; ago < 64; ago++ {
				if weeks.Active(week, ago) {
					t := WeekStart(week - int64(ago))
					c.LastActive = &t
					break
				}
			}
		}
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b Champion) int {
		switch {
		case o.Rising:
			return cmp.Or(cmp.Compare(*b.Gain, *a.Gain), cmp.Compare(b.Score, a.Score), cmp.Compare(a.Member.ID, b.Member.ID))
		case o.Slipping:
			return cmp.Or(cmp.Compare(b.Presence.Weeks52, a.Presence.Weeks52), cmp.Compare(b.Love.Total, a.Love.Total), cmp.Compare(a.Member.ID, b.Member.ID))
		}
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.Love.Total, a.Love.Total), cmp.Compare(a.Member.ID, b.Member.ID))
	})
	if len(list) > o.Top {
		list = list[:o.Top]
	}
	for i := range list {
		list[i].Rank = i + 1
		list[i].round()
	}
	out.Champions = list
	if out.Champions == nil {
		out.Champions = []Champion{}
	}
	return out
}

// champion is m's entry, unranked.
func (sc Scoring) champion(m ScoreMember, g Graph, levels map[int64]LevelState, now time.Time, platform string) Champion {
	all := sc.MemberLove(m, now, "")
	love := all
	if platform != "" {
		love = sc.MemberLove(m, now, platform)
	}
	pres := CountPresence(MemberWeeks(m), now)
	st, ok := levels[m.ID]
	lv := StoredLevel(sc.MeasuredLevel(all.Base, pres), st, ok)
	r := sc.Reach(g, m.ID)
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
func (sc Scoring) recentTerms(d ScoreData, recent []PeriodActivity, o ChampionsOptions) map[int64]float64 {
	ids := make(map[int64]string)
	for _, m := range d.Members {
		for _, id := range m.Identities {
			ids[id.ID] = id.Platform
		}
	}
	since := o.Now.Add(-o.Period)
	acts := slices.Clone(recent)
	slices.SortFunc(acts, func(a, b PeriodActivity) int { return cmp.Compare(a.Key, b.Key) })
	out := map[int64]float64{}
	for _, a := range acts {
		p, ok := ids[a.IdentityID]
		if !ok || a.OccurredAt.Before(since) || !a.OccurredAt.Before(o.Now) || !onPlatform(p, o.Platform) {
			continue
		}
		out[a.MemberID] += sc.Weights[a.Type] * TallyTerm(a.OccurredAt, sc.Decay)
	}
	return out
}

// loveThen is m's love one period ago: the bases without the recent
// terms, decayed to then, with today's breadth factor.
func (sc Scoring) loveThen(m ScoreMember, recentWeighted float64, now Love, o ChampionsOptions) float64 {
	then := o.Now.Add(-o.Period)
	var base float64
	for _, ln := range now.Lines {
		base += ln.Weight * ln.Decayed
	}
	// base is Σ w × Base × D(now); at then it is (Σ w × Base - recent) × D(then).
	dNow := math.Pow(sc.Decay, monthsSince(TallyEpoch, o.Now))
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

// LoadChampions reads what a champions list needs from r and ranks it:
// the list the CLI and the API print. With history, each entry carries
// its level history.
func (sc Scoring) LoadChampions(ctx context.Context, r ChampionsReader, o ChampionsOptions, history bool) (ChampionsList, error) {
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
		if o.Period <= 0 {
			o.Period = 30 * 24 * time.Hour
		}
		if recent, err = r.PeriodActivities(ctx, o.Now.Add(-o.Period), o.Now, ""); err != nil {
			return ChampionsList{}, fmt.Errorf("champions: %w", err)
		}
	}
	list := sc.Champions(d, levels, recent, o)
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
