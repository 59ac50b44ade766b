package crm

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// A bounded evaluation (issue 15, point 6: the daemon's memory during a
// backfill). EvaluatePeriods holds every activity of the evaluation's
// span at once: two years of them every hour, the largest thing the
// daemon holds, growing with the community. EvaluateWindow computes the
// same rankings and reports from a WindowReader instead, holding at once
// only what grows with the members (the score data, a few numbers per
// member), the channels, a chunk of thread openings with their replies,
// and one duration per answered thread:
//
//   - one pass over the span's activities in key order gives the health
//     reports' active members, reactions, channels and sentiment, and the
//     rising lists' recent terms (summed in key order, as recentTerms
//     does, so that the sums are the same floats);
//   - the threads are walked from their openings, a chunk at a time, down
//     through their replies (the store's index on parent_key), following
//     the same links as Health's (see threads).

// WindowReader reads the activities of an evaluation's span a piece at a
// time, each without its title and URL (read afterwards for the top
// threads) and with the member of its identity (0 when none). Its reads
// are of one snapshot of the store.
type WindowReader interface {
	// EachActivity calls fn with each activity of [since, until), in key
	// order (Go's byte order); *a is valid only during the call.
	EachActivity(ctx context.Context, since, until time.Time, fn func(a *PeriodActivity) error) error
	// Openings returns up to limit activities of [since, until) whose type
	// is one of OpeningTypes, after (afterAt, afterKey) in the order of
	// (occurred_at, key); a zero afterAt means from the start.
	Openings(ctx context.Context, since, until time.Time, afterAt time.Time, afterKey string, limit int) ([]PeriodActivity, error)
	// Replies returns the activities of [since, until) whose type is one
	// of ReplyTypes and whose parent key is one of keys.
	Replies(ctx context.Context, since, until time.Time, keys []string) ([]PeriodActivity, error)
	// Mentions returns, for each of keys that is a Mastodon status's post
	// key (MentionPrefix), its mentions of [since, until) that count
	// (MentionCounts: on Mastodon, or replying to something).
	Mentions(ctx context.Context, since, until time.Time, keys []string) ([]Mention, error)
}

// Mention is a mention of a status (its post key), for Mentions.
type Mention struct {
	Status, Platform, Key string
	At                    time.Time
}

// OpeningTypes are the activity types that can open a thread
// (threadKind says which do, by platform).
var OpeningTypes = []string{"issue_opened", "pr_opened", "topic_created", "question", "mention", "post"}

// ReplyTypes are the activity types that reply to their parent (see
// replyTypes), sorted.
var ReplyTypes = func() []string {
	var out []string
	for t := range replyTypes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}()

// MentionPrefix is, for a Mastodon status's post key
// "mastodon/<instance>/post/<id>", the key of its mentions without the
// account: the mentions whose status is key (statusKey) are those whose
// key is the prefix or begins with the prefix and ":". ok is false for
// any other key.
func MentionPrefix(key string) (prefix string, ok bool) {
	rest, ok := strings.CutPrefix(key, "mastodon/")
	if !ok {
		return "", false
	}
	instance, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutPrefix(rest, "post/")
	if !ok || id == "" || strings.Contains(id, ":") {
		return "", false
	}
	return "mastodon/" + instance + "/mention/" + id, true
}

// MentionCounts reports whether an activity of typ on platform with
// parentKey is a mention Health links replies through (a thread opening
// or a reply), for Mentions.
func MentionCounts(typ, platform, parentKey string) bool {
	return typ == "mention" && (platform == "mastodon" || parentKey != "")
}

// EvaluateWindow is EvaluatePeriods reading the span's activities from wr
// (see above): the same rankings and reports, the top threads without
// titles and URLs (FillThreadHeads). Health chains of replies deeper than
// 256 are cut at that depth.
func (sc Scoring) EvaluateWindow(ctx context.Context, wr WindowReader, d ScoreData, levels map[int64]LevelState, now time.Time, long bool) (Evaluated, error) {
	out := newEvaluated(d, long)
	periods := out.HealthPeriods
	roles := rolesOf(d)
	identityPlatform := make(map[int64]string)
	for _, m := range d.Members {
		for _, id := range m.Identities {
			identityPlatform[id.ID] = id.Platform
		}
	}
	wh := newWindowHealth(d, roles, now, periods, append([]string{""}, HealthPlatforms...))

	// One pass: the reports' sums and the recent terms.
	nTerms := len(periods) * len(RankPlatforms)
	terms := make(map[int64][]float64)
	rankSince := now.Add(-slices.Max(periods))
	err := wr.EachActivity(ctx, now.Add(-EvaluationSpan(long)), now, func(a *PeriodActivity) error {
		wh.add(a)
		ip, ok := identityPlatform[a.IdentityID]
		if !ok || a.OccurredAt.Before(rankSince) || !a.OccurredAt.Before(now) {
			return nil
		}
		var ts []float64
		for i, period := range periods {
			if a.OccurredAt.Before(now.Add(-period)) {
				continue
			}
			for j, rp := range RankPlatforms {
				if !onPlatform(ip, rp) {
					continue
				}
				if ts == nil {
					if ts = terms[a.MemberID]; ts == nil {
						ts = make([]float64, nTerms)
						terms[a.MemberID] = ts
					}
				}
				ts[i*len(RankPlatforms)+j] += sc.Weights[a.Type] * TallyTerm(a.OccurredAt, sc.Decay)
			}
		}
		return nil
	})
	if err != nil {
		return Evaluated{}, err
	}
	if out.Reports, err = wh.reports(ctx, wr); err != nil {
		return Evaluated{}, err
	}
	wh = nil

	out.Ranks, out.Slipping = sc.rankingsWith(d, levels, now, periods, func(period time.Duration, platform string) func(int64) float64 {
		i, j := slices.Index(periods, period), slices.Index(RankPlatforms, platform)
		return func(id int64) float64 {
			if ts := terms[id]; ts != nil {
				return ts[i*len(RankPlatforms)+j]
			}
			return 0
		}
	})
	return out, nil
}

// rolesOf maps the members of d with a role to it.
func rolesOf(d ScoreData) map[int64]string {
	roles := make(map[int64]string)
	for _, m := range d.Members {
		if m.Role != "" {
			roles[m.ID] = m.Role
		}
	}
	return roles
}

// WindowHealth is Health (ReadHealth's report for opt) from wr, holding
// what EvaluateWindow holds: the sums of one pass over the activities
// and a chunk of threads at a time. The top threads have no titles and
// URLs (FillThreadHeads).
func WindowHealth(ctx context.Context, wr WindowReader, d ScoreData, opt HealthOptions) (HealthReport, error) {
	if opt.Period <= 0 {
		opt.Period = DefaultHealthPeriod
	}
	now := opt.Now.UTC()
	wh := newWindowHealth(d, rolesOf(d), now, []time.Duration{opt.Period}, []string{opt.Platform})
	if err := wr.EachActivity(ctx, now.Add(-2*opt.Period), now, func(a *PeriodActivity) error {
		wh.add(a)
		return nil
	}); err != nil {
		return HealthReport{}, err
	}
	rs, err := wh.reports(ctx, wr)
	if err != nil {
		return HealthReport{}, err
	}
	if opt.IncludeStaff {
		return rs[1], nil
	}
	return rs[0], nil
}

// windowHealth computes the health reports of periods × platforms ("" for
// all) × without and with staff, from the activities given to add and
// the threads windowThreads walks.
type windowHealth struct {
	d         ScoreData
	roles     map[int64]string
	now       time.Time
	periods   []time.Duration
	platforms []string
	spans     []healthSpan
	// active has the bits of activeShift set for each member; eng is by
	// period, platform and staff.
	active map[int64]uint64
	eng    [][][2]engagementAcc
}

func newWindowHealth(d ScoreData, roles map[int64]string, now time.Time, periods []time.Duration, platforms []string) *windowHealth {
	if 2*len(periods)*len(platforms) > 64 {
		panic("crm: too many health reports for one pass")
	}
	w := &windowHealth{d: d, roles: roles, now: now.UTC(), periods: periods, platforms: platforms, active: make(map[int64]uint64)}
	for _, p := range periods {
		w.spans = append(w.spans, newHealthSpan(now, p))
		w.eng = append(w.eng, make([][2]engagementAcc, len(platforms)))
	}
	return w
}

// activeShift is the bit of the active map for period i, platform j and
// half p (0 current, 1 previous).
func (w *windowHealth) activeShift(i, j, p int) uint {
	return uint((i*len(w.platforms)+j)*2 + p)
}

// add counts a in every report whose span and platform it is in: the
// active bits, and the engagement and sentiment (with staff, and without
// when a's member has no role).
func (w *windowHealth) add(a *PeriodActivity) {
	role := w.roles[a.MemberID]
	for i := range w.spans {
		p := w.spans[i].periodOf(a.OccurredAt)
		if p < 0 {
			continue
		}
		for j, v := range w.platforms {
			if v != "" && v != a.Platform {
				continue
			}
			if a.MemberID != 0 {
				w.active[a.MemberID] |= 1 << w.activeShift(i, j, p)
			}
			e := &w.eng[i][j]
			if role == "" {
				e[0].add(a, int8(p))
			}
			e[1].add(a, int8(p))
		}
	}
}

// reports walks the threads and makes the reports, by period, platform,
// then without and with staff.
func (w *windowHealth) reports(ctx context.Context, wr WindowReader) ([]HealthReport, error) {
	accs, err := windowThreads(ctx, wr, w.roles, w.spans, w.platforms)
	if err != nil {
		return nil, err
	}
	var out []HealthReport
	for i, p := range w.periods {
		for j, v := range w.platforms {
			for staff := range 2 {
				h, r := newHealthRun(HealthOptions{Now: w.now, Period: p, Platform: v, IncludeStaff: staff == 1})
				h.active, h.shift = w.active, w.activeShift(i, j, 0)
				h.members(w.d, &r)
				accs[i][j][staff].report(&r, v)
				w.eng[i][j][staff].report(&r, v)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// healthSpan is the two periods of a report: [start, mid) and [mid, now).
type healthSpan struct{ start, mid, now time.Time }

func newHealthSpan(now time.Time, period time.Duration) healthSpan {
	now = now.UTC()
	return healthSpan{start: now.Add(-2 * period), mid: now.Add(-period), now: now}
}

// periodOf is 0 for the current period, 1 for the previous, -1 outside.
func (s healthSpan) periodOf(t time.Time) int {
	return periodIn(t, s.start, s.mid, s.now)
}

// periodIn is 0 for t in [mid, now), 1 in [start, mid), -1 outside.
func periodIn(t, start, mid, now time.Time) int {
	switch {
	case t.IsZero() || t.Before(start) || !t.Before(now):
		return -1
	case t.Before(mid):
		return 1
	}
	return 0
}

// threadChunk is how many thread openings windowThreads walks at once;
// threadKeys how many parent keys one Replies or Mentions call asks.
const (
	threadChunk = 512
	threadKeys  = 500
)

// windowThreads walks the threads of each of spans from wr and returns,
// for each span and each of platforms ("" for all), their accumulators
// without (0) and with (1) staff: Health's threads of each report, the
// links found from each opening down instead of from each reply up.
// Every report is walked at once, reading each chunk of openings and each
// depth of their replies once for all: a report sees only the activities
// of its span and platform, so each walk keeps its own threads and keys.
//
// As in threads, a key leads to the activity with that key, except a
// Mastodon status's post key, which leads to the status's mention with
// the smallest key when there is one (statusKey). An opening is a thread
// when its keys lead to it; a reply belongs to the nearest thread its
// parent keys lead up to.
func windowThreads(ctx context.Context, wr WindowReader, roles map[int64]string, spans []healthSpan, platforms []string) ([][][2]*threadAcc, error) {
	type thread struct {
		a       *PeriodActivity
		kind    uint8
		period  int8
		first   time.Duration
		replies [2]int
		react   [2]int
	}
	// walk is one report's: its span and platform, its threads of the
	// chunk, and the keys that lead to the nodes of the current depth, to
	// their thread.
	type walk struct {
		span     healthSpan
		platform string
		threads  []thread
		frontier map[string]int
		accs     [2]*threadAcc
	}
	out := make([][][2]*threadAcc, len(spans))
	var walks []*walk
	all := healthSpan{now: spans[0].now, start: spans[0].now}
	for i, sp := range spans {
		out[i] = make([][2]*threadAcc, len(platforms))
		for j, p := range platforms {
			out[i][j] = [2]*threadAcc{{}, {}}
			walks = append(walks, &walk{span: sp, platform: p, accs: out[i][j]})
		}
		if sp.start.Before(all.start) {
			all.start = sp.start
		}
	}
	in := func(w *walk, a *PeriodActivity) bool {
		return (w.platform == "" || a.Platform == w.platform) && w.span.periodOf(a.OccurredAt) >= 0
	}
	var afterAt time.Time
	var afterKey string
	for {
		cands, err := wr.Openings(ctx, all.start, all.now, afterAt, afterKey, threadChunk)
		if err != nil {
			return nil, err
		}
		if len(cands) == 0 {
			break
		}
		last := cands[len(cands)-1]
		afterAt, afterKey = last.OccurredAt, last.Key
		ms, err := mentionsOf(ctx, wr, all, cands)
		if err != nil {
			return nil, err
		}
		for _, w := range walks {
			w.threads, w.frontier = w.threads[:0], map[string]int{}
			f := ms.first(w.span, w.platform)
			for i := range cands {
				a := &cands[i]
				if !in(w, a) {
					continue
				}
				k := threadKind(a)
				if k == kindNone || !leadsTo(a, f) {
					continue
				}
				ti := len(w.threads)
				w.threads = append(w.threads, thread{a: a, kind: k, period: int8(w.span.periodOf(a.OccurredAt))})
				for _, key := range nodeKeys(a, f) {
					w.frontier[key] = ti
				}
			}
		}
		for depth := 0; depth < 256; depth++ {
			var keys []string
			for _, w := range walks {
				for k := range w.frontier {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				break
			}
			slices.Sort(keys)
			keys = slices.Compact(keys)
			var children []PeriodActivity
			for b := range slices.Chunk(keys, threadKeys) {
				cs, err := wr.Replies(ctx, all.start, all.now, b)
				if err != nil {
					return nil, err
				}
				children = append(children, cs...)
			}
			cms, err := mentionsOf(ctx, wr, all, children)
			if err != nil {
				return nil, err
			}
			for _, w := range walks {
				if len(w.frontier) == 0 {
					continue
				}
				cf := cms.first(w.span, w.platform)
				next := map[string]int{}
				ends := [2]time.Time{w.span.now, w.span.mid}
				for ci := range children {
					c := &children[ci]
					if !in(w, c) {
						continue
					}
					ti, ok := w.frontier[c.ParentKey]
					if !ok || !replyTypes[c.Type] {
						continue
					}
					own := nodeKeys(c, cf)
					// A reply whose parent key leads to itself answers nothing.
					if slices.Contains(own, c.ParentKey) {
						continue
					}
					t := &w.threads[ti]
					if t.kind != kindPosts && !sameAuthor(c, t.a) && roles[c.MemberID] != RoleBot && c.OccurredAt.Before(ends[t.period]) {
						d := max(c.OccurredAt.Sub(t.a.OccurredAt), 0) + 1
						if t.first == 0 || d < t.first {
							t.first = d
						}
					}
					if w.span.periodOf(c.OccurredAt) == 0 {
						n := 0
						if c.Reactions != nil {
							n = *c.Reactions
						}
						t.replies[1]++
						t.react[1] += n
						if roles[c.MemberID] == "" {
							t.replies[0]++
							t.react[0] += n
						}
					}
					if threadKind(c) == kindNone || !leadsTo(c, cf) {
						for _, key := range own {
							next[key] = ti
						}
					}
				}
				w.frontier = next
			}
		}
		for _, w := range walks {
			for i := range w.threads {
				t := &w.threads[i]
				w.accs[1].addRoot(t.a, t.kind, t.period, t.first, t.replies[1], t.react[1])
				if roles[t.a.MemberID] == "" {
					w.accs[0].addRoot(t.a, t.kind, t.period, t.first, t.replies[0], t.react[0])
				}
			}
		}
		if len(cands) < threadChunk {
			break
		}
	}
	return out, nil
}

// statusMentions are the counted mentions of statuses (from Mentions).
type statusMentions map[string][]Mention // status → its mentions

// first is the first mention (smallest key) of each status among its
// mentions of span on platform ("" for all).
func (m statusMentions) first(span healthSpan, platform string) map[string]string {
	out := make(map[string]string, len(m))
	for sk, ms := range m {
		for _, x := range ms {
			if platform != "" && x.Platform != platform || span.periodOf(x.At) < 0 {
				continue
			}
			if f, ok := out[sk]; !ok || x.Key < f {
				out[sk] = x.Key
			}
		}
	}
	return out
}

// mentionsOf asks wr for the mentions of the statuses of acts within span:
// a mention's status, another activity's own key (a Mastodon post's).
func mentionsOf(ctx context.Context, wr WindowReader, span healthSpan, acts []PeriodActivity) (statusMentions, error) {
	var keys []string
	for i := range acts {
		k := acts[i].Key
		if acts[i].Type == "mention" {
			var ok bool
			if k, ok = statusKey(k); !ok {
				continue
			}
		}
		if _, ok := MentionPrefix(k); ok {
			keys = append(keys, k)
		}
	}
	out := statusMentions{}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for b := range slices.Chunk(keys, threadKeys) {
		ms, err := wr.Mentions(ctx, span.start, span.now, b)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out[m.Status] = append(out[m.Status], m)
		}
	}
	return out, nil
}

// leadsTo reports whether the keys of a lead to it (firsts are the first
// mentions of the statuses, from statusMentions.first): a mention's status leads
// to its first mention; another activity's key leads to it unless it is
// a status's post key and the status has a mention.
func leadsTo(a *PeriodActivity, firsts map[string]string) bool {
	if a.Type == "mention" {
		sk, ok := statusKey(a.Key)
		return !ok || firsts[sk] == a.Key
	}
	_, shadowed := firsts[a.Key]
	return !shadowed
}

// nodeKeys are the keys that lead to a (see leadsTo): its own key, and a
// mention's status key when it is the status's first mention.
func nodeKeys(a *PeriodActivity, firsts map[string]string) []string {
	if a.Type == "mention" {
		if sk, ok := statusKey(a.Key); ok && firsts[sk] == a.Key {
			return []string{a.Key, sk}
		}
		return []string{a.Key}
	}
	if _, shadowed := firsts[a.Key]; shadowed {
		return nil
	}
	return []string{a.Key}
}

// SliceWindow is a WindowReader over activities held in memory, for tests
// and for reading a store's window the way EvaluatePeriods does.
type SliceWindow []PeriodActivity

func (w SliceWindow) in(a *PeriodActivity, since, until time.Time, platform string) bool {
	return !a.OccurredAt.Before(since) && a.OccurredAt.Before(until) && (platform == "" || a.Platform == platform)
}

// EachActivity implements WindowReader.
func (w SliceWindow) EachActivity(ctx context.Context, since, until time.Time, fn func(a *PeriodActivity) error) error {
	var idx []int
	for i := range w {
		if w.in(&w[i], since, until, "") {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(i, j int) int { return strings.Compare(w[i].Key, w[j].Key) })
	for _, i := range idx {
		a := w[i]
		a.Title, a.URL = "", ""
		if err := fn(&a); err != nil {
			return err
		}
	}
	return nil
}

// Openings implements WindowReader.
func (w SliceWindow) Openings(ctx context.Context, since, until time.Time, afterAt time.Time, afterKey string, limit int) ([]PeriodActivity, error) {
	var out []PeriodActivity
	for i := range w {
		a := w[i]
		if !w.in(&a, since, until, "") || !slices.Contains(OpeningTypes, a.Type) {
			continue
		}
		if !afterAt.IsZero() && cmp.Or(a.OccurredAt.Compare(afterAt), strings.Compare(a.Key, afterKey)) <= 0 {
			continue
		}
		a.Title, a.URL = "", ""
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b PeriodActivity) int {
		return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), strings.Compare(a.Key, b.Key))
	})
	return out[:min(len(out), limit)], nil
}

// Replies implements WindowReader.
func (w SliceWindow) Replies(ctx context.Context, since, until time.Time, keys []string) ([]PeriodActivity, error) {
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	var out []PeriodActivity
	for i := range w {
		a := w[i]
		if w.in(&a, since, until, "") && a.ParentKey != "" && want[a.ParentKey] && replyTypes[a.Type] {
			a.Title, a.URL = "", ""
			out = append(out, a)
		}
	}
	return out, nil
}

// Mentions implements WindowReader.
func (w SliceWindow) Mentions(ctx context.Context, since, until time.Time, keys []string) ([]Mention, error) {
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	var out []Mention
	for i := range w {
		a := &w[i]
		if !MentionCounts(a.Type, a.Platform, a.ParentKey) || !w.in(a, since, until, "") {
			continue
		}
		if sk, ok := statusKey(a.Key); ok && want[sk] {
			out = append(out, Mention{Status: sk, Platform: a.Platform, Key: a.Key, At: a.OccurredAt})
		}
	}
	return out, nil
}
