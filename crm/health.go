package crm

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/crm/sentiment"
)

// Health: how the community is doing over a period, each metric beside the
// period before it. Health is a pure function of the store's score data
// and of the activities of the two periods; the definitions below are the
// ones the README gives, so that a community manager can check any number
// by hand.
//
// Periods. The current period is [Now-Period, Now), the previous one
// [Now-2×Period, Now-Period).
//
// Who counts. Members whose role is staff or bot (see Role) are left out
// unless IncludeStaff: they are not counted as members, their activities
// are not counted, their threads get no first-response time, their texts
// get no sentiment and their posts no reactions. Staff replies do count as
// a first response (a maintainer answering is an answer); bot replies
// never do, even with IncludeStaff (an auto-labeller is no answer).
// Activities of an identity with no member count as a community member's.
//
// With a platform, every metric reads only that platform's activities and
// identities; a member's first activity is then its first on the platform.

// DefaultHealthPeriod is the period of Health when none is given.
const DefaultHealthPeriod = 30 * 24 * time.Hour

// HealthPlatforms are the platforms Health can be restricted to.
var HealthPlatforms = []string{"github", "git", "mastodon", "discourse", "stackoverflow"}

// ValidHealthPlatform reports whether p is "" or one of HealthPlatforms.
func ValidHealthPlatform(p string) bool { return p == "" || slices.Contains(HealthPlatforms, p) }

// HealthOptions are Health's parameters.
type HealthOptions struct {
	// Now ends the current period.
	Now time.Time
	// Period is the length of each period (DefaultHealthPeriod when 0).
	Period time.Duration
	// Platform restricts every metric to one platform ("" for all).
	Platform string
	// IncludeStaff counts staff and bots like everyone else.
	IncludeStaff bool
}

// Thread kinds, per platform, of the first-response metric (and of the
// top threads).
const (
	ThreadIssuesPRs = "issues_prs" // GitHub issue_opened and pr_opened
	ThreadTopics    = "topics"     // Discourse topic_created
	ThreadQuestions = "questions"  // Stack Overflow question
	ThreadMentions  = "mentions"   // Mastodon mention of a tracked account
	// ThreadPosts is a Mastodon post that replies to nothing: a thread for
	// the top threads, not for first response (nobody owes a hashtag
	// post an answer).
	ThreadPosts = "posts"
)

// responseKinds lists the first-response rows in their order.
var responseKinds = [...]struct{ platform, kind string }{
	{"github", ThreadIssuesPRs}, {"discourse", ThreadTopics}, {"stackoverflow", ThreadQuestions}, {"mastodon", ThreadMentions},
}

// HealthReport is the result of Health and the public JSON shape of
// `rollcall health --format json` and GET /api/v1/health. Shares and ratios
// are fractions in [0, 1] rounded to 4 decimals; changes of shares are in
// percentage points (change_pp, 2 decimals); changes of counts and times
// are absolute and in percent of the previous value (change_pct, 1
// decimal; null when the previous value is 0 or less). Durations are whole
// seconds. A null value means "nothing to measure".
type HealthReport struct {
	// Now ends the current period (RFC 3339 UTC).
	Now string `json:"now"`
	// PeriodSeconds is the length of each period.
	PeriodSeconds int64 `json:"period_seconds"`
	// Platform is the platform the report is restricted to ("" for all).
	Platform string `json:"platform"`
	// IncludeStaff says whether staff and bots are counted.
	IncludeStaff bool `json:"include_staff"`
	// Current and Previous are the two periods.
	Current  HealthWindow `json:"current"`
	Previous HealthWindow `json:"previous"`
	// Growth is the number of new members: members whose first activity
	// (first_seen; with a platform, their first activity there) is in the
	// period.
	Growth HealthCount `json:"growth"`
	// Active is the active member ratio.
	Active HealthActive `json:"active"`
	// FirstResponse has one row per platform and thread kind.
	FirstResponse []HealthResponse `json:"first_response"`
	// Retention is the monthly cohorts.
	Retention HealthRetention `json:"retention"`
	// Engagement is reactions per post, top channels and top threads.
	Engagement HealthEngagement `json:"engagement"`
	// Sentiment is the share of positive, neutral and negative texts.
	Sentiment HealthSentiment `json:"sentiment"`
}

// HealthWindow is a period [Since, Until) (RFC 3339 UTC).
type HealthWindow struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

// HealthCount is a count in both periods: Change = Current - Previous,
// ChangePct = Change / Previous × 100 (null when Previous is 0).
type HealthCount struct {
	Current   int      `json:"current"`
	Previous  int      `json:"previous"`
	Change    int      `json:"change"`
	ChangePct *float64 `json:"change_pct"`
}

// HealthActive is the active member ratio in both periods; ChangePP is
// (current ratio - previous ratio) × 100, in percentage points.
type HealthActive struct {
	Current  HealthRatio `json:"current"`
	Previous HealthRatio `json:"previous"`
	ChangePP *float64    `json:"change_pp"`
}

// HealthRatio is Active / Members: Active is the members with at least one
// activity (of any type) in the period, Members those that existed at the
// period's end (first activity before the end, or unknown) plus any active
// one. Ratio is null when Members is 0.
type HealthRatio struct {
	Active  int      `json:"active"`
	Members int      `json:"members"`
	Ratio   *float64 `json:"ratio"`
}

// HealthResponse is the first-response time of one platform's threads of
// one kind. A thread is opened in the period by a counted member (see
// Health); its first response is the earliest reply (a comment, review,
// post, answer or status that answers it, directly or through other
// replies, following parent_key) by anyone other than its author (the same
// member) that is not a bot, before the period's end. Replies to threads
// opened before the previous period are out of scope.
type HealthResponse struct {
	Platform string              `json:"platform"`
	Kind     string              `json:"kind"`
	Current  HealthResponseTimes `json:"current"`
	Previous HealthResponseTimes `json:"previous"`
	Change   HealthResponseDelta `json:"change"`
}

// HealthResponseTimes are the threads of a period: Answered had a first
// response before the period's end, Unanswered did not (Threads is their
// sum). P50 and P90 are nearest-rank percentiles of the answered threads'
// times to first response: with the n times sorted ascending, the p-th
// percentile is the ⌈p/100 × n⌉-th (null when none was answered).
type HealthResponseTimes struct {
	Threads    int    `json:"threads"`
	Answered   int    `json:"answered"`
	Unanswered int    `json:"unanswered"`
	P50Seconds *int64 `json:"p50_seconds"`
	P90Seconds *int64 `json:"p90_seconds"`
}

// HealthResponseDelta is current minus previous (null when either is
// null), and in percent of previous.
type HealthResponseDelta struct {
	P50Seconds *int64   `json:"p50_seconds"`
	P50Pct     *float64 `json:"p50_pct"`
	P90Seconds *int64   `json:"p90_seconds"`
	P90Pct     *float64 `json:"p90_pct"`
	Unanswered int      `json:"unanswered"`
}

// HealthRetention is the monthly cohorts of new members: a member's cohort
// is the calendar month (UTC) of its first activity; it is retained k
// months later when it has any activity in the calendar month k months
// after (month presence of its identities). Cohorts are the 12 months up
// to the month of Now, oldest first. A share is given only when the month
// k months later has ended (before the month of Now), else null.
//
// After1, After3 and After6 compare the newest cohort with a share at k
// months (the cohort k+1 months before Now's month) with the cohort one
// month older.
type HealthRetention struct {
	Cohorts []HealthCohort `json:"cohorts"`
	After1  HealthRetained `json:"after_1"`
	After3  HealthRetained `json:"after_3"`
	After6  HealthRetained `json:"after_6"`
}

// HealthCohort is one month's new members and how many were active 1, 3
// and 6 months later (null when that month has not ended).
type HealthCohort struct {
	// Month is "2006-01".
	Month      string       `json:"month"`
	NewMembers int          `json:"new_members"`
	After1     *HealthShare `json:"after_1"`
	After3     *HealthShare `json:"after_3"`
	After6     *HealthShare `json:"after_6"`
}

// HealthShare is Active of a cohort's NewMembers; Share is null for an
// empty cohort.
type HealthShare struct {
	Active int      `json:"active"`
	Share  *float64 `json:"share"`
}

// HealthRetained compares two cohorts' shares at the same age.
type HealthRetained struct {
	CurrentCohort  string   `json:"current_cohort"`
	Current        *float64 `json:"current"`
	PreviousCohort string   `json:"previous_cohort"`
	Previous       *float64 `json:"previous"`
	ChangePP       *float64 `json:"change_pp"`
}

// HealthEngagement is reactions per post per platform, and the period's
// top channels and threads.
type HealthEngagement struct {
	Platforms   []HealthPlatformEngagement `json:"platforms"`
	TopChannels []HealthChannel            `json:"top_channels"`
	TopThreads  []HealthThread             `json:"top_threads"`
}

// HealthPlatformEngagement is one platform's posts and reactions in both
// periods. Change.PerPost is current minus previous per-post average,
// PerPostPct in percent of the previous one.
type HealthPlatformEngagement struct {
	Platform string          `json:"platform"`
	Current  HealthReactions `json:"current"`
	Previous HealthReactions `json:"previous"`
	Change   HealthPerPost   `json:"change"`
}

// HealthReactions: Posts are the counted activities of the period for
// which the service reports a reaction total (GitHub issues, pull
// requests and comments; Discourse topics and posts; Mastodon posts and
// mentions; Stack Overflow questions, answers and comments), Reactions the
// sum of those totals as last read (GitHub reactions, Discourse likes,
// Mastodon favourites + boosts, Stack Overflow score), PerPost their ratio
// (2 decimals; null without posts).
type HealthReactions struct {
	Posts     int      `json:"posts"`
	Reactions int      `json:"reactions"`
	PerPost   *float64 `json:"per_post"`
}

// HealthPerPost is the change of a per-post average.
type HealthPerPost struct {
	PerPost    *float64 `json:"per_post"`
	PerPostPct *float64 `json:"per_post_pct"`
}

// HealthChannel is one of the 5 channels (repository, category, hashtag or
// account, tag) with the most counted activities in the current period
// (ties: more reactions, then platform and channel name). Reactions is the
// sum of its posts' reaction totals in the current period.
type HealthChannel struct {
	Platform           string   `json:"platform"`
	Channel            string   `json:"channel"`
	Activities         int      `json:"activities"`
	Reactions          int      `json:"reactions"`
	PreviousActivities int      `json:"previous_activities"`
	Change             int      `json:"change"`
	ChangePct          *float64 `json:"change_pct"`
}

// HealthThread is one of the 5 threads (opened in either period by a
// counted member) with the highest Score = Replies + Reactions, where
// Replies are the counted replies in the current period and Reactions the
// reaction totals of the opening and of those replies (ties: more
// replies, newer, then key). Title and URL are the opening's.
type HealthThread struct {
	Platform  string `json:"platform"`
	Kind      string `json:"kind"`
	Key       string `json:"key"`
	Title     string `json:"title"`
	URL       string `json:"url"`
	Channel   string `json:"channel"`
	OpenedAt  string `json:"opened_at"`
	Replies   int    `json:"replies"`
	Reactions int    `json:"reactions"`
	Score     int    `json:"score"`
}

// HealthSentiment is the sentiment of the counted texts in both periods;
// ChangePP is the change of each share in percentage points.
type HealthSentiment struct {
	Current  HealthSentimentShares `json:"current"`
	Previous HealthSentimentShares `json:"previous"`
	ChangePP HealthSentimentDelta  `json:"change_pp"`
}

// HealthSentimentShares: Texts are the counted activities of the period
// with a text (a VADER compound score), split by sentiment.Classify into
// Positive (compound ≥ 0.05), Negative (≤ -0.05) and Neutral; the shares
// are of Texts (null when there is none).
type HealthSentimentShares struct {
	Texts         int      `json:"texts"`
	Positive      int      `json:"positive"`
	Neutral       int      `json:"neutral"`
	Negative      int      `json:"negative"`
	PositiveShare *float64 `json:"positive_share"`
	NeutralShare  *float64 `json:"neutral_share"`
	NegativeShare *float64 `json:"negative_share"`
}

// HealthSentimentDelta is the change of each share, in percentage points.
type HealthSentimentDelta struct {
	Positive *float64 `json:"positive"`
	Neutral  *float64 `json:"neutral"`
	Negative *float64 `json:"negative"`
}

// Health computes the health report from the score data and the
// activities acts of [Now-2×Period, Now) (activities outside it, or of
// another platform than opt.Platform, are ignored). The result does not
// depend on the order of data.Members, of their identities or of acts.
func Health(data ScoreData, acts []PeriodActivity, opt HealthOptions) HealthReport {
	if opt.Period <= 0 {
		opt.Period = DefaultHealthPeriod
	}
	h, r := newHealthRun(opt)
	h.roles = rolesOf(data)
	h.selectActs(acts)
	h.members(data, &r)
	h.threads(&r)
	h.engagement(&r)
	return r
}

// healthRun holds one computation's state.
type healthRun struct {
	opt             HealthOptions
	now, mid, start time.Time
	ends            [2]time.Time // end of period 0 (current) and 1 (previous)
	roles           map[int64]string
	acts            []*PeriodActivity // in the window, of the platform
	period          []int8            // period of acts[i]
	// active has, for each member id, bit shift+p set when active in
	// period p (shift is 0 here; a bounded evaluation keeps the bits of
	// every period and platform in one map).
	active           map[int64]uint64
	shift            uint
	roleOfAct        []string
	excludedActivity []bool
}

// newHealthRun starts the computation of opt (its Period set) and its
// report's head: the options and the two periods.
func newHealthRun(opt HealthOptions) (*healthRun, HealthReport) {
	now := opt.Now.UTC()
	h := &healthRun{opt: opt, now: now, mid: now.Add(-opt.Period), start: now.Add(-2 * opt.Period)}
	h.ends = [2]time.Time{h.now, h.mid}
	return h, HealthReport{
		Now: TimeJSON(now), PeriodSeconds: int64(opt.Period / time.Second), Platform: opt.Platform, IncludeStaff: opt.IncludeStaff,
		Current:  HealthWindow{Since: TimeJSON(h.mid), Until: TimeJSON(now)},
		Previous: HealthWindow{Since: TimeJSON(h.start), Until: TimeJSON(h.mid)},
	}
}

// periodOf is 0 for the current period, 1 for the previous, -1 outside.
func (h *healthRun) periodOf(t time.Time) int { return periodIn(t, h.start, h.mid, h.now) }

// selectActs keeps the window's activities of the platform and notes who
// was active.
func (h *healthRun) selectActs(acts []PeriodActivity) {
	h.acts = make([]*PeriodActivity, 0, len(acts))
	h.period = make([]int8, 0, len(acts))
	h.roleOfAct = make([]string, 0, len(acts))
	h.excludedActivity = make([]bool, 0, len(acts))
	h.active = make(map[int64]uint64)
	for i := range acts {
		a := &acts[i]
		if h.opt.Platform != "" && a.Platform != h.opt.Platform {
			continue
		}
		p := h.periodOf(a.OccurredAt)
		if p < 0 {
			continue
		}
		role := h.roles[a.MemberID]
		h.acts = append(h.acts, a)
		h.period = append(h.period, int8(p))
		h.roleOfAct = append(h.roleOfAct, role)
		excluded := role != "" && !h.opt.IncludeStaff
		h.excludedActivity = append(h.excludedActivity, excluded)
		if !excluded && a.MemberID != 0 {
			h.active[a.MemberID] |= 1 << p
		}
	}
}

// members computes growth, the active ratio and retention.
func (h *healthRun) members(data ScoreData, r *HealthReport) {
	var growth, existed, active [2]int
	month := MonthOf(h.now)
	const cohorts = 12
	var cs [cohorts]struct {
		n     int
		after [3]int
	}
	ks := [3]int{1, 3, 6}
	for i := range data.Members {
		m := &data.Members[i]
		if m.Role != "" && !h.opt.IncludeStaff {
			continue
		}
		first := m.FirstSeen
		var months Presence
		on := h.opt.Platform == ""
		if !on {
			first = time.Time{}
		}
		for _, id := range m.Identities {
			if h.opt.Platform != "" {
				if id.Platform != h.opt.Platform {
					continue
				}
				on = true
				if !id.FirstActivity.IsZero() && (first.IsZero() || id.FirstActivity.Before(first)) {
					first = id.FirstActivity
				}
			}
			months = months.Union(id.Months)
		}
		if !on {
			continue
		}
		bits := h.active[m.ID] >> h.shift
		for p := range 2 {
			if h.periodOf(first) == p {
				growth[p]++
			}
			isActive := bits&(1<<p) != 0
			if isActive {
				active[p]++
			}
			if isActive || first.IsZero() || first.Before(h.ends[p]) {
				existed[p]++
			}
		}
		if first.IsZero() {
			continue
		}
		c := MonthOf(first)
		idx := int(c - (month - cohorts + 1))
		if idx < 0 || idx >= cohorts {
			continue
		}
		cs[idx].n++
		for j, k := range ks {
			if c+int64(k) < month && months.As(c+int64(k))&1 != 0 {
				cs[idx].after[j]++
			}
		}
	}
	r.Growth = countDelta(growth[0], growth[1])
	r.Active.Current = ratioOf(active[0], existed[0])
	r.Active.Previous = ratioOf(active[1], existed[1])
	r.Active.ChangePP = ppDelta(r.Active.Current.Ratio, r.Active.Previous.Ratio, active, existed)

	r.Retention.Cohorts = make([]HealthCohort, cohorts)
	shares := make(map[int64][3]*float64, cohorts)
	for idx := range cohorts {
		c := month - cohorts + 1 + int64(idx)
		hc := HealthCohort{Month: MonthStart(c).Format("2006-01"), NewMembers: cs[idx].n}
		var sh [3]*float64
		for j, k := range ks {
			if c+int64(k) >= month {
				continue
			}
			s := &HealthShare{Active: cs[idx].after[j]}
			if cs[idx].n > 0 {
				s.Share = roundPtr(float64(cs[idx].after[j])/float64(cs[idx].n), 4)
				sh[j] = exactShare(cs[idx].after[j], cs[idx].n)
			}
			switch j {
			case 0:
				hc.After1 = s
			case 1:
				hc.After3 = s
			default:
				hc.After6 = s
			}
		}
		shares[c] = sh
		r.Retention.Cohorts[idx] = hc
	}
	for j, k := range ks {
		cur, prev := month-1-int64(k), month-2-int64(k)
		rt := HealthRetained{CurrentCohort: MonthStart(cur).Format("2006-01"), PreviousCohort: MonthStart(prev).Format("2006-01")}
		a, b := shares[cur][j], shares[prev][j]
		if a != nil {
			rt.Current = roundPtr(*a, 4)
		}
		if b != nil {
			rt.Previous = roundPtr(*b, 4)
		}
		if a != nil && b != nil {
			rt.ChangePP = roundPtr((*a-*b)*100, 2)
		}
		switch j {
		case 0:
			r.Retention.After1 = rt
		case 1:
			r.Retention.After3 = rt
		default:
			r.Retention.After6 = rt
		}
	}
}

func exactShare(n, d int) *float64 {
	f := float64(n) / float64(d)
	return &f
}

// Thread kinds as threads computes them: 1 to 4 are the rows of
// responseKinds, kindPosts a Mastodon post that starts a conversation.
const (
	kindNone = iota
	kindIssuesPRs
	kindTopics
	kindQuestions
	kindMentions
	kindPosts
)

var kindNames = [...]string{"", ThreadIssuesPRs, ThreadTopics, ThreadQuestions, ThreadMentions, ThreadPosts}

// threadKind is the kind of thread a opens, or kindNone.
func threadKind(a *PeriodActivity) uint8 {
	switch a.Platform {
	case "github":
		if a.Type == "issue_opened" || a.Type == "pr_opened" {
			return kindIssuesPRs
		}
	case "discourse":
		if a.Type == "topic_created" {
			return kindTopics
		}
	case "stackoverflow":
		if a.Type == "question" {
			return kindQuestions
		}
	case "mastodon":
		switch {
		case a.Type == "mention":
			return kindMentions
		case a.Type == "post" && a.ParentKey == "":
			return kindPosts
		}
	}
	return kindNone
}

// replyTypes are the activity types that reply to their parent (pr_merged
// is left out: its actor is the pull request's author standing in for who
// merged).
var replyTypes = map[string]bool{
	"issue_comment": true, "pr_review": true, "pr_review_comment": true,
	"post_created": true, "answer": true, "comment": true, "post": true, "mention": true,
}

// statusKey is the post key of a Mastodon mention's status:
// "mastodon/<instance>/mention/<status id>:<acct>" becomes
// "mastodon/<instance>/post/<status id>", the key replies to it name.
func statusKey(key string) (string, bool) {
	platform, rest, ok := strings.Cut(key, "/")
	if !ok || platform != "mastodon" {
		return "", false
	}
	instance, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return "", false
	}
	typ, id, ok := strings.Cut(rest, "/")
	if !ok || typ != "mention" {
		return "", false
	}
	id, _, _ = strings.Cut(id, ":")
	if id == "" {
		return "", false
	}
	return "mastodon/" + instance + "/post/" + id, true
}

// sameAuthor reports whether a and b are by the same member (the same
// identity when either has no member).
func sameAuthor(a, b *PeriodActivity) bool {
	if a.MemberID != 0 && b.MemberID != 0 {
		return a.MemberID == b.MemberID
	}
	return a.IdentityID == b.IdentityID
}

// threads computes first response and the top threads.
func (h *healthRun) threads(r *HealthReport) {
	n := len(h.acts)
	// index maps the keys replies can name to activities: thread openings
	// and replies; a mention also under its status's post key (the mention
	// with the smallest key when several share a status).
	index := make(map[string]int32, n)
	put := func(key string, i int) {
		if j, ok := index[key]; ok {
			// Prefer a mention over a post for a status, then the
			// smaller key, then the earlier activity.
			a, b := h.acts[i], h.acts[j]
			if am, bm := a.Type == "mention", b.Type == "mention"; am != bm {
				if !am {
					return
				}
			} else if cmp.Or(strings.Compare(a.Key, b.Key), a.OccurredAt.Compare(b.OccurredAt)) >= 0 {
				return
			}
		}
		index[key] = int32(i)
	}
	kinds := make([]uint8, n)
	isReply := make([]bool, n)
	for i, a := range h.acts {
		kinds[i] = threadKind(a)
		isReply[i] = a.ParentKey != "" && replyTypes[a.Type]
		if kinds[i] == 0 && !isReply[i] {
			continue
		}
		put(a.Key, i)
		if a.Type == "mention" {
			if sk, ok := statusKey(a.Key); ok {
				put(sk, i)
			}
		}
	}
	// A thread opening is one whose keys all lead to it.
	isRoot := make([]bool, n)
	for i, a := range h.acts {
		if kinds[i] == 0 || index[a.Key] != int32(i) {
			continue
		}
		if a.Type == "mention" {
			if sk, ok := statusKey(a.Key); ok && index[sk] != int32(i) {
				continue
			}
		}
		isRoot[i] = true
	}
	const unknown = -2
	memo := make([]int32, n)
	for i := range memo {
		memo[i] = unknown
	}
	var path []int
	// rootOf is the nearest thread opening i answers, through replies, or -1.
	rootOf := func(i int) int {
		if memo[i] != unknown {
			return int(memo[i])
		}
		path = path[:0]
		cur, res := i, -1
		for depth := 0; depth < 256; depth++ {
			path = append(path, cur)
			pk := h.acts[cur].ParentKey
			if pk == "" {
				break
			}
			p, ok := index[pk]
			if !ok || int(p) == cur {
				break
			}
			if isRoot[p] {
				res = int(p)
				break
			}
			if memo[p] != unknown {
				res = int(memo[p])
				break
			}
			cur = int(p)
		}
		for _, x := range path {
			memo[x] = int32(res)
		}
		return res
	}
	first := make([]time.Duration, n) // time to first response + 1 (0: none)
	nReplies := make([]int32, n)      // counted replies in the current period
	nReact := make([]int, n)          // their reactions
	for i, a := range h.acts {
		if !isReply[i] {
			continue
		}
		root := rootOf(i)
		if root < 0 || h.excludedActivity[root] {
			continue
		}
		t := h.acts[root]
		tp := int(h.period[root])
		if kinds[root] != kindPosts && !sameAuthor(a, t) && h.roleOfAct[i] != RoleBot && a.OccurredAt.Before(h.ends[tp]) {
			d := max(a.OccurredAt.Sub(t.OccurredAt), 0) + 1
			if first[root] == 0 || d < first[root] {
				first[root] = d
			}
		}
		if h.period[i] == 0 && !h.excludedActivity[i] {
			nReplies[root]++
			if a.Reactions != nil {
				nReact[root] += *a.Reactions
			}
		}
	}

	var acc threadAcc
	for i, a := range h.acts {
		if isRoot[i] && !h.excludedActivity[i] {
			acc.addRoot(a, kinds[i], h.period[i], first[i], int(nReplies[i]), nReact[i])
		}
	}
	acc.report(r, h.opt.Platform)
}

// threadAcc gathers the thread openings of a report with what their
// replies gave them, and makes the report's first-response rows and top
// threads; the result does not depend on the order of the openings.
type threadAcc struct {
	// answered (their times to first response in whole seconds: 4 bytes
	// a thread) and unanswered per row of responseKinds and period.
	stats [len(responseKinds)][2]struct {
		answered   []int32
		unanswered int
	}
	// top is the best 5 so far, best first.
	top []threadCand
}

// threadCand is a candidate top thread: its opening's fields the report
// shows, its counted replies and reactions.
type threadCand struct {
	platform, key, title, url, channel string
	at                                 time.Time
	kind                               uint8
	replies, react, score              int
}

func (x threadCand) better(y threadCand) bool {
	return cmp.Or(cmp.Compare(y.score, x.score), cmp.Compare(y.replies, x.replies), y.at.Compare(x.at), strings.Compare(x.key, y.key)) < 0
}

// addRoot adds the counted thread opening a of kind, opened in period
// (0 current, 1 previous): first is its time to first response + 1 (0:
// none), replies and react its counted replies of the current period and
// their reactions.
func (t *threadAcc) addRoot(a *PeriodActivity, kind uint8, period int8, first time.Duration, replies, react int) {
	if k := int(kind); k <= len(responseKinds) {
		s := &t.stats[k-1][period]
		if first > 0 {
			s.answered = append(s.answered, int32(min((first-1)/time.Second, math.MaxInt32)))
		} else {
			s.unanswered++
		}
	}
	c := threadCand{replies: replies, react: react, at: a.OccurredAt, key: a.Key}
	if a.Reactions != nil {
		c.react += *a.Reactions
	}
	c.score = c.replies + c.react
	if c.replies == 0 && c.score <= 0 {
		return
	}
	if len(t.top) == 5 && !c.better(t.top[4]) {
		return
	}
	c.platform, c.title, c.url, c.channel, c.kind = a.Platform, a.Title, a.URL, a.Channel, kind
	if len(t.top) < 5 {
		t.top = append(t.top, c)
	} else {
		t.top[4] = c
	}
	for j := len(t.top) - 1; j > 0 && t.top[j].better(t.top[j-1]); j-- {
		t.top[j], t.top[j-1] = t.top[j-1], t.top[j]
	}
}

// report sets r's first-response rows (those of platform, "" for all)
// and top threads.
func (t *threadAcc) report(r *HealthReport, platform string) {
	r.FirstResponse = []HealthResponse{}
	for j, k := range responseKinds {
		if platform != "" && platform != k.platform {
			continue
		}
		var tt [2]HealthResponseTimes
		for p := range 2 {
			s := t.stats[j][p]
			slices.Sort(s.answered)
			tt[p] = HealthResponseTimes{Threads: len(s.answered) + s.unanswered, Answered: len(s.answered), Unanswered: s.unanswered,
				P50Seconds: nearestRank(s.answered, 50), P90Seconds: nearestRank(s.answered, 90)}
		}
		row := HealthResponse{Platform: k.platform, Kind: k.kind, Current: tt[0], Previous: tt[1]}
		row.Change.P50Seconds, row.Change.P50Pct = durationDelta(tt[0].P50Seconds, tt[1].P50Seconds)
		row.Change.P90Seconds, row.Change.P90Pct = durationDelta(tt[0].P90Seconds, tt[1].P90Seconds)
		row.Change.Unanswered = tt[0].Unanswered - tt[1].Unanswered
		r.FirstResponse = append(r.FirstResponse, row)
	}
	r.Engagement.TopThreads = []HealthThread{}
	for _, c := range t.top {
		r.Engagement.TopThreads = append(r.Engagement.TopThreads, HealthThread{Platform: c.platform, Kind: kindNames[c.kind], Key: c.key,
			Title: c.title, URL: c.url, Channel: c.channel, OpenedAt: TimeJSON(c.at), Replies: c.replies, Reactions: c.react, Score: c.score})
	}
}

// nearestRank is the p-th percentile of sorted (whole seconds) by the
// nearest-rank method, or nil when sorted is empty. (Whole seconds sort
// as the times they are cut from: the rank picks the same time.)
func nearestRank(sorted []int32, p int) *int64 {
	if len(sorted) == 0 {
		return nil
	}
	rank := (p*len(sorted) + 99) / 100 // ⌈p/100 × n⌉
	rank = max(rank, 1)
	s := int64(sorted[rank-1])
	return &s
}

// engagement computes reactions per post, top channels and sentiment.
func (h *healthRun) engagement(r *HealthReport) {
	var e engagementAcc
	for i, a := range h.acts {
		if !h.excludedActivity[i] {
			e.add(a, h.period[i])
		}
	}
	e.report(r, h.opt.Platform)
}

// engagementAcc gathers the counted activities of a report for its
// reactions per post, top channels and sentiment; the result does not
// depend on their order.
type engagementAcc struct {
	byPlatform map[string]*[2]engagementReact
	channels   map[engagementChannel]*engagementChanStat
	senti      [2][3]int // positive, neutral, negative
}

type engagementReact struct{ posts, reactions int }

type engagementChannel struct{ platform, channel string }

type engagementChanStat struct {
	acts      [2]int
	reactions int
}

// add counts a, of period p (0 current, 1 previous).
func (e *engagementAcc) add(a *PeriodActivity, p int8) {
	if e.byPlatform == nil {
		e.byPlatform = map[string]*[2]engagementReact{}
		e.channels = map[engagementChannel]*engagementChanStat{}
	}
	var cs *engagementChanStat
	if a.Channel != "" {
		k := engagementChannel{a.Platform, a.Channel}
		cs = e.channels[k]
		if cs == nil {
			cs = &engagementChanStat{}
			e.channels[k] = cs
		}
		cs.acts[p]++
	}
	if a.Reactions != nil {
		rp := e.byPlatform[a.Platform]
		if rp == nil {
			rp = &[2]engagementReact{}
			e.byPlatform[a.Platform] = rp
		}
		rp[p].posts++
		rp[p].reactions += *a.Reactions
		if cs != nil && p == 0 {
			cs.reactions += *a.Reactions
		}
	}
	if a.Sentiment != nil {
		switch sentiment.Classify(*a.Sentiment) {
		case sentiment.Positive:
			e.senti[p][0]++
		case sentiment.Neutral:
			e.senti[p][1]++
		default:
			e.senti[p][2]++
		}
	}
}

// report sets r's engagement per platform (those of platform, "" for
// all), top channels and sentiment.
func (e *engagementAcc) report(r *HealthReport, platform string) {
	byPlatform, channels, senti := e.byPlatform, e.channels, e.senti
	type react = engagementReact
	r.Engagement.Platforms = []HealthPlatformEngagement{}
	for _, k := range responseKinds {
		if platform != "" && platform != k.platform {
			continue
		}
		var v [2]react
		if rp := byPlatform[k.platform]; rp != nil {
			v = *rp
		}
		pe := HealthPlatformEngagement{Platform: k.platform}
		var avg [2]*float64
		for p := range 2 {
			hr := HealthReactions{Posts: v[p].posts, Reactions: v[p].reactions}
			if v[p].posts > 0 {
				f := float64(v[p].reactions) / float64(v[p].posts)
				avg[p] = &f
				hr.PerPost = roundPtr(f, 2)
			}
			if p == 0 {
				pe.Current = hr
			} else {
				pe.Previous = hr
			}
		}
		if avg[0] != nil && avg[1] != nil {
			pe.Change.PerPost = roundPtr(*avg[0]-*avg[1], 2)
			pe.Change.PerPostPct = pctOf(*avg[0], *avg[1])
		}
		r.Engagement.Platforms = append(r.Engagement.Platforms, pe)
	}
	var top []HealthChannel
	for k, cs := range channels {
		if cs.acts[0] == 0 {
			continue
		}
		c := HealthChannel{Platform: k.platform, Channel: k.channel, Activities: cs.acts[0], Reactions: cs.reactions, PreviousActivities: cs.acts[1]}
		d := countDelta(cs.acts[0], cs.acts[1])
		c.Change, c.ChangePct = d.Change, d.ChangePct
		top = append(top, c)
	}
	slices.SortFunc(top, func(a, b HealthChannel) int {
		return cmp.Or(cmp.Compare(b.Activities, a.Activities), cmp.Compare(b.Reactions, a.Reactions),
			strings.Compare(a.Platform, b.Platform), strings.Compare(a.Channel, b.Channel))
	})
	r.Engagement.TopChannels = append([]HealthChannel{}, top[:min(len(top), 5)]...)

	var shares [2]HealthSentimentShares
	for p := range 2 {
		s := senti[p]
		t := s[0] + s[1] + s[2]
		shares[p] = HealthSentimentShares{Texts: t, Positive: s[0], Neutral: s[1], Negative: s[2]}
		if t > 0 {
			shares[p].PositiveShare = roundPtr(float64(s[0])/float64(t), 4)
			shares[p].NeutralShare = roundPtr(float64(s[1])/float64(t), 4)
			shares[p].NegativeShare = roundPtr(float64(s[2])/float64(t), 4)
		}
	}
	r.Sentiment.Current, r.Sentiment.Previous = shares[0], shares[1]
	if shares[0].Texts > 0 && shares[1].Texts > 0 {
		d := func(j int) *float64 {
			a := float64(senti[0][j]) / float64(shares[0].Texts)
			b := float64(senti[1][j]) / float64(shares[1].Texts)
			return roundPtr((a-b)*100, 2)
		}
		r.Sentiment.ChangePP = HealthSentimentDelta{Positive: d(0), Neutral: d(1), Negative: d(2)}
	}
}

// countDelta compares two counts.
func countDelta(cur, prev int) HealthCount {
	return HealthCount{Current: cur, Previous: prev, Change: cur - prev, ChangePct: pctOf(float64(cur), float64(prev))}
}

// pctOf is (cur - prev) / prev × 100 rounded to 1 decimal, nil when prev
// is 0 or less.
func pctOf(cur, prev float64) *float64 {
	if prev <= 0 {
		return nil
	}
	return roundPtr((cur-prev)/prev*100, 1)
}

func ratioOf(n, d int) HealthRatio {
	r := HealthRatio{Active: n, Members: d}
	if d > 0 {
		r.Ratio = roundPtr(float64(n)/float64(d), 4)
	}
	return r
}

// ppDelta is the change of two ratios n/d in percentage points, from the
// exact ratios.
func ppDelta(cur, prev *float64, n, d [2]int) *float64 {
	if cur == nil || prev == nil {
		return nil
	}
	return roundPtr((float64(n[0])/float64(d[0])-float64(n[1])/float64(d[1]))*100, 2)
}

func durationDelta(cur, prev *int64) (*int64, *float64) {
	if cur == nil || prev == nil {
		return nil, nil
	}
	d := *cur - *prev
	return &d, pctOf(float64(*cur), float64(*prev))
}

func roundPtr(x float64, digits int) *float64 {
	p := math.Pow(10, float64(digits))
	v := math.Round(x*p) / p
	if v == 0 {
		v = 0 // no -0
	}
	return &v
}

// HealthStore keeps the reports the level evaluation computed for the
// default period (HealthReports), read by ReadHealth instead of computing.
type HealthStore interface {
	// StoredHealth returns the stored report for the platform ("" for
	// all) and staff choice; ok is false when none is stored.
	StoredHealth(ctx context.Context, platform string, staff bool, period time.Duration) (r HealthReport, ok bool, err error)
}

// HealthReports computes the reports a HealthStore keeps for one period
// (DefaultHealthPeriod when 0) ending at now: all platforms and each of
// HealthPlatforms, with and without staff. acts are the activities of the
// two periods on every platform (others are ignored).
func HealthReports(data ScoreData, acts []PeriodActivity, now time.Time, period time.Duration) []HealthReport {
	if period <= 0 {
		period = DefaultHealthPeriod
	}
	var out []HealthReport
	for _, p := range append([]string{""}, HealthPlatforms...) {
		for _, staff := range []bool{false, true} {
			out = append(out, Health(data, acts, HealthOptions{Now: now, Period: period, Platform: p, IncludeStaff: staff}))
		}
	}
	return out
}

// ParseHealthPeriod reads a period as the CLI's --period and the API's
// period parameter give it: a number of days with a "d" suffix ("30d",
// "7d") or a Go duration ("36h", "90m"); at least an hour and at most 366
// days.
func ParseHealthPeriod(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return 0, fmt.Errorf("period %q: want days like 30d or a duration like 36h", s)
		}
		d = time.Duration(n * 24 * float64(time.Hour))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("period %q: want days like 30d or a duration like 36h", s)
		}
	}
	if d < time.Hour || d > 366*24*time.Hour {
		return 0, fmt.Errorf("period %q: must be between 1h and 366d", s)
	}
	return d, nil
}

// ReadHealth reads what Health needs from st (the score data and the
// activities of both periods) and computes the report.
func ReadHealth(ctx context.Context, st ScoreReader, opt HealthOptions) (HealthReport, error) {
	if opt.Period <= 0 {
		opt.Period = DefaultHealthPeriod
	}
	if hs, ok := st.(HealthStore); ok && StoredPeriod(opt.Period) {
		r, ok, err := hs.StoredHealth(ctx, opt.Platform, opt.IncludeStaff, opt.Period)
		if err != nil {
			return HealthReport{}, fmt.Errorf("health: %w", err)
		}
		if ok {
			return r, nil
		}
	}
	if wr, ok := st.(WindowScoreReader); ok {
		return readWindowHealth(ctx, wr, opt)
	}
	data, err := st.ScoreData(ctx)
	if err != nil {
		return HealthReport{}, fmt.Errorf("health: %w", err)
	}
	now := opt.Now.UTC()
	acts, err := st.PeriodActivities(ctx, now.Add(-2*opt.Period), now, opt.Platform)
	if err != nil {
		return HealthReport{}, fmt.Errorf("health: %w", err)
	}
	return Health(data, acts, opt), nil
}

// ThreadHeadReader reads the titles and URLs of stored activities.
type ThreadHeadReader interface {
	ActivityHeads(ctx context.Context, keys []string) (map[string][2]string, error)
}

// FillThreadHeads sets the titles and URLs of the reports' top threads,
// computed from activities read without them, in one read.
func FillThreadHeads(ctx context.Context, hr ThreadHeadReader, reports []HealthReport) error {
	var keys []string
	for _, r := range reports {
		for _, t := range r.Engagement.TopThreads {
			keys = append(keys, t.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	heads, err := hr.ActivityHeads(ctx, slices.Compact(keys))
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	for i := range reports {
		for j := range reports[i].Engagement.TopThreads {
			t := &reports[i].Engagement.TopThreads[j]
			t.Title, t.URL = heads[t.Key][0], heads[t.Key][1]
		}
	}
	return nil
}

// WindowScoreReader is a store that reads the activities of a period a
// piece at a time (WindowReader), for health reports that hold no more
// than the members' data whatever the period.
type WindowScoreReader interface {
	// LeanWindow calls fn, in one read snapshot, with the score data
	// without the members' names, the identities' Tallies and Channels
	// (empty) and the Interactions (nil: health reads none), and a
	// WindowReader.
	LeanWindow(ctx context.Context, fn func(d ScoreData, wr WindowReader) error) error
	ThreadHeadReader
}

// readWindowHealth is ReadHealth from a WindowScoreReader (WindowHealth):
// the same report as from the whole period's activities.
func readWindowHealth(ctx context.Context, st WindowScoreReader, opt HealthOptions) (HealthReport, error) {
	var r HealthReport
	err := st.LeanWindow(ctx, func(d ScoreData, wr WindowReader) error {
		var err error
		r, err = WindowHealth(ctx, wr, d, opt)
		return err
	})
	if err != nil {
		return HealthReport{}, fmt.Errorf("health: %w", err)
	}
	if err := FillThreadHeads(ctx, st, []HealthReport{r}); err != nil {
		return HealthReport{}, err
	}
	return r, nil
}
