package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// GET /health: the report of GET /api/v1/health (same parameters, same
// function, same store) as a page: per section a definition (the
// sentences of `rollcall health`), an inline SVG chart and a table with
// the same numbers. The charts are laid out here; the template only
// places what this file computed.

type healthPage struct {
	pageBase
	Periods      []option
	Platforms    []option
	IncludeStaff bool
	Scope        string // the report's one-sentence header
	Windows      string
	Cur, Prev    string // "last 30 days", "30 days before"
	Empty        bool
	EmptyText    string

	Members    healthMembersView
	Response   healthResponseView
	Retention  healthRetentionView
	Engagement healthEngagementView
	Sentiment  healthSentimentView
}

// hv is one value of a table: its text and whether it is in percentage
// points (spelled out in a title).
type hv struct {
	Text string
	PP   bool
}

type healthMembersView struct {
	NewCur, NewPrev, NewChange          hv
	ActiveCur, ActivePrev, ActiveChange hv
	NewChart, ActiveChart               hchart
}

type healthResponseView struct {
	Rows   []healthResponseRow
	Charts []hchart // one per platform and kind, on one scale
}

type healthResponseRow struct {
	ID, Label                      string // ID: platform-kind, for data-testid
	Threads, PrevThreads           int
	P50Cur, P50Prev, P50Change     hv
	P90Cur, P90Prev, P90Change     hv
	UnansCur, UnansPrev, UnansDiff hv
	Reason                         string // why there is no time, if none
	Chart                          hchart
}

type healthRetentionView struct {
	Cohorts []healthCohortRow
	Summary []healthRetainedRow
	Chart   lineChart
}

type healthCohortRow struct {
	Month, Label string
	New          int
	Cells        [3]heatCell
}

type heatCell struct {
	Text  string
	Level string // CSS class suffix: none, 0..5
	Title string
}

type healthRetainedRow struct {
	Label, Cur, Prev string
	Change           hv
}

type healthEngagementView struct {
	Rows     []healthEngagementRow
	Chart    hchart
	Channels []healthChannelRow
	Threads  []crm.HealthThread
}

type healthEngagementRow struct {
	Platform, Label string
	Cur, Prev       string // per post
	CurOf, PrevOf   string // reactions / posts
	Change          hv
}

type healthChannelRow struct {
	crm.HealthChannel
	ChangeText string
}

type healthSentimentView struct {
	Rows   []healthSentimentRow
	TexCur int
	TexPre int
	Chart  stackChart
}

type healthSentimentRow struct {
	Key, Label string
	Cur, Prev  string
	Change     hv
	Legend     string // the shares, for the legend
}

func (s *Server) healthPage(w http.ResponseWriter, r *http.Request) {
	if s.scores == nil {
		s.pageError(w, r, http.StatusNotFound, badInput("Community health is not available on this server: it has no score data."))
		return
	}
	v := r.URL.Query()
	opt, err := healthOptions(v)
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err)
		return
	}
	opt.Now = s.now()
	rep, err := crm.ReadHealth(r.Context(), s.scores, opt)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, fmt.Errorf("health: %w", err))
		return
	}
	p := buildHealthPage(rep, strings.TrimSpace(v.Get("period")))
	p.pageBase = s.base(r, "Community health")
	p.Section = "health"
	s.render(w, r, http.StatusOK, "health", &p)
}

// buildHealthPage lays out the report; period is the requested period as
// typed (kept in the form when it is not one of the menu's).
func buildHealthPage(r crm.HealthReport, period string) healthPage {
	p := healthPage{IncludeStaff: r.IncludeStaff}
	days := r.PeriodSeconds / 86400
	choice := ""
	if r.PeriodSeconds%86400 == 0 {
		choice = fmt.Sprintf("%dd", days)
	}
	found := false
	for _, d := range []string{"7d", "30d", "90d", "365d"} {
		p.Periods = append(p.Periods, option{Value: d, Label: "last " + strings.TrimSuffix(d, "d") + " days", Selected: d == choice})
		found = found || d == choice
	}
	if !found {
		val := period
		if val == "" {
			val = choice
		}
		p.Periods = append(p.Periods, option{Value: val, Label: "last " + spanText(r.PeriodSeconds), Selected: true})
	}
	p.Platforms = []option{{Value: "", Label: "All platforms", Selected: r.Platform == ""}}
	for _, pl := range crm.HealthPlatforms {
		p.Platforms = append(p.Platforms, option{Value: pl, Label: platformLabel(pl), Selected: pl == r.Platform})
	}
	span := spanText(r.PeriodSeconds)
	p.Cur, p.Prev = "last "+span, span+" before"
	scope := "all platforms"
	if r.Platform != "" {
		scope = "only " + platformLabel(r.Platform)
	}
	who := "staff and bots left out"
	if r.IncludeStaff {
		who = "staff and bots included"
	}
	p.Scope = fmt.Sprintf("Community health for the %s to %s, beside the %s before; %s; %s.", span, dayText(r.Current.Until), span, scope, who)
	p.Windows = fmt.Sprintf("This period: %s – %s. Period before: %s – %s.", dayText(r.Current.Since), dayText(r.Current.Until), dayText(r.Previous.Since), dayText(r.Previous.Until))
	if r.Active.Current.Members == 0 && r.Active.Previous.Members == 0 {
		p.Empty = true
		p.EmptyText = "There are no members to measure yet"
		if r.Platform != "" {
			p.EmptyText += " on " + platformLabel(r.Platform)
		}
		p.EmptyText += ": once rollcall has synced some activity, this page shows how the community is doing."
		return p
	}
	p.Members = membersView(r, p.Cur, p.Prev)
	p.Response = responseView(r, p.Cur, p.Prev)
	p.Retention = retentionView(r)
	p.Engagement = engagementView(r, p.Cur, p.Prev)
	p.Sentiment = sentimentView(r, p.Cur, p.Prev)
	return p
}

func membersView(r crm.HealthReport, cur, prev string) healthMembersView {
	g, a := r.Growth, r.Active
	m := healthMembersView{
		NewCur: hv{Text: thousands(g.Current)}, NewPrev: hv{Text: thousands(g.Previous)}, NewChange: hv{Text: countChangeText(g.Change, g.ChangePct)},
		ActiveCur: hv{Text: ratioWords(a.Current)}, ActivePrev: hv{Text: ratioWords(a.Previous)}, ActiveChange: ppValue(a.ChangePP),
	}
	m.NewChart = buildHChart([]hrowIn{{Label: "New members", Cur: float64(g.Current), Prev: float64(g.Previous),
		CurText: thousands(g.Current), PrevText: thousands(g.Previous), HasCur: true, HasPrev: true}}, cur, prev, 0)
	rowA := hrowIn{Label: "Active member ratio", HasCur: a.Current.Ratio != nil, HasPrev: a.Previous.Ratio != nil, CurText: "— no members", PrevText: "— no members"}
	if rowA.HasCur {
		rowA.Cur, rowA.CurText = *a.Current.Ratio, pct(*a.Current.Ratio)
	}
	if rowA.HasPrev {
		rowA.Prev, rowA.PrevText = *a.Previous.Ratio, pct(*a.Previous.Ratio)
	}
	m.ActiveChart = buildHChart([]hrowIn{rowA}, cur, prev, 1)
	m.NewChart.Summary = fmt.Sprintf("New members: %s in the %s, %s in the %s (%s).", thousands(g.Current), cur, thousands(g.Previous), prev, m.NewChange.Text)
	m.ActiveChart.Summary = fmt.Sprintf("Active member ratio: %s in the %s, %s in the %s.", rowA.CurText, cur, rowA.PrevText, prev)
	return m
}

// kindLabel names a first-response thread kind.
func kindLabel(platform, kind string) string {
	k := map[string]string{crm.ThreadIssuesPRs: "issues & pull requests", crm.ThreadTopics: "topics", crm.ThreadQuestions: "questions",
		crm.ThreadMentions: "mentions", crm.ThreadPosts: "posts"}[kind]
	if k == "" {
		k = strings.ReplaceAll(kind, "_", " ")
	}
	return platformLabel(platform) + " " + k
}

func responseView(r crm.HealthReport, cur, prev string) healthResponseView {
	var v healthResponseView
	scale := 0.0
	for _, x := range r.FirstResponse {
		for _, t := range []*int64{x.Current.P50Seconds, x.Current.P90Seconds, x.Previous.P50Seconds, x.Previous.P90Seconds} {
			if t != nil {
				scale = math.Max(scale, float64(*t))
			}
		}
	}
	for _, x := range r.FirstResponse {
		var rows []hrowIn
		var sum []string
		row := healthResponseRow{ID: x.Platform + "-" + x.Kind, Label: kindLabel(x.Platform, x.Kind),
			Threads: x.Current.Threads, PrevThreads: x.Previous.Threads,
			P50Cur: hv{Text: secondsWords(x.Current.P50Seconds)}, P50Prev: hv{Text: secondsWords(x.Previous.P50Seconds)},
			P50Change: hv{Text: durationChangeWords(x.Change.P50Seconds, x.Change.P50Pct)},
			P90Cur:    hv{Text: secondsWords(x.Current.P90Seconds)}, P90Prev: hv{Text: secondsWords(x.Previous.P90Seconds)},
			P90Change: hv{Text: durationChangeWords(x.Change.P90Seconds, x.Change.P90Pct)},
			UnansCur:  hv{Text: thousands(x.Current.Unanswered)}, UnansPrev: hv{Text: thousands(x.Previous.Unanswered)},
			UnansDiff: hv{Text: signedCount(x.Change.Unanswered)},
		}
		row.Reason = noTimeReason(x.Current, cur)
		if row.Reason == "" {
			row.Reason = noTimeReason(x.Previous, prev)
		}
		for _, m := range []struct {
			name   string
			c, p   *int64
			nc, np string
		}{{"median", x.Current.P50Seconds, x.Previous.P50Seconds, "", ""}, {"90th percentile", x.Current.P90Seconds, x.Previous.P90Seconds, "", ""}} {
			in := hrowIn{Label: m.name, HasCur: m.c != nil, HasPrev: m.p != nil,
				CurText: "— " + shortReason(x.Current), PrevText: "— " + shortReason(x.Previous)}
			if m.c != nil {
				in.Cur, in.CurText = float64(*m.c), durationWords(*m.c)
			}
			if m.p != nil {
				in.Prev, in.PrevText = float64(*m.p), durationWords(*m.p)
			}
			rows = append(rows, in)
			sum = append(sum, fmt.Sprintf("%s %s (before %s)", m.name, in.CurText, in.PrevText))
		}
		row.Chart = buildHChart(rows, cur, prev, scale)
		row.Chart.Title = row.Label
		row.Chart.Summary = "Time to first response to " + row.Label + ", " + cur + " beside " + prev + ": " + strings.Join(sum, "; ") + "."
		v.Rows = append(v.Rows, row)
	}
	return v
}

// noTimeReason says why a period has no response time ("" when it has).
func noTimeReason(t crm.HealthResponseTimes, period string) string {
	switch {
	case t.Answered > 0:
		return ""
	case t.Threads == 0:
		return "No thread was opened in the " + period + "."
	}
	return fmt.Sprintf("None of the %s threads of the %s has had an answer yet.", thousands(t.Threads), period)
}

func shortReason(t crm.HealthResponseTimes) string {
	if t.Threads == 0 {
		return "no threads"
	}
	return "none answered"
}

func retentionView(r crm.HealthReport) healthRetentionView {
	var v healthRetentionView
	var pts []linePointIn
	for _, c := range r.Retention.Cohorts {
		label := c.Month
		if t, err := time.Parse("2006-01", c.Month); err == nil {
			label = t.Format("January 2006")
		}
		row := healthCohortRow{Month: c.Month, Label: label, New: c.NewMembers}
		for i, s := range []*crm.HealthShare{c.After1, c.After3, c.After6} {
			row.Cells[i] = heat(s, [3]string{"1 month", "3 months", "6 months"}[i], label)
		}
		v.Cohorts = append(v.Cohorts, row)
		pt := linePointIn{Label: c.Month}
		if c.After1 != nil && c.After1.Share != nil {
			pt.Has, pt.Value = true, *c.After1.Share
		}
		pts = append(pts, pt)
	}
	for _, x := range []struct {
		label string
		rt    crm.HealthRetained
	}{{"after 1 month", r.Retention.After1}, {"after 3 months", r.Retention.After3}, {"after 6 months", r.Retention.After6}} {
		v.Summary = append(v.Summary, healthRetainedRow{Label: x.label,
			Cur: cohortShare(x.rt.CurrentCohort, x.rt.Current), Prev: cohortShare(x.rt.PreviousCohort, x.rt.Previous), Change: ppValue(x.rt.ChangePP)})
	}
	v.Chart = buildLineChart(pts)
	return v
}

func cohortShare(cohort string, f *float64) string {
	if cohort == "" {
		return "—"
	}
	if f == nil {
		return cohort + ": —"
	}
	return cohort + ": " + pct(*f)
}

// heat is one retention cell: the share with the count, shaded in five
// steps of 20%.
func heat(s *crm.HealthShare, after, cohort string) heatCell {
	switch {
	case s == nil:
		return heatCell{Text: "—", Level: "none", Title: after + " later has not ended yet"}
	case s.Share == nil:
		return heatCell{Text: "0", Level: "none", Title: "no new members in " + cohort}
	}
	f := *s.Share
	lvl := 0
	if f > 0 {
		lvl = min(5, 1+int(f*5))
	}
	return heatCell{Text: fmt.Sprintf("%s (%s)", pct(f), thousands(s.Active)), Level: fmt.Sprint(lvl),
		Title: fmt.Sprintf("%s of the members who joined in %s were active %s later", thousands(s.Active), cohort, after)}
}

func engagementView(r crm.HealthReport, cur, prev string) healthEngagementView {
	var v healthEngagementView
	var rows []hrowIn
	var sum []string
	for _, x := range r.Engagement.Platforms {
		change := hv{Text: "—"}
		if x.Change.PerPost != nil {
			change.Text = signedFloat(*x.Change.PerPost, 2) + pctParen(x.Change.PerPostPct)
		}
		row := healthEngagementRow{Platform: x.Platform, Label: platformLabel(x.Platform), Change: change}
		row.Cur, row.CurOf = reactionsWords(x.Current)
		row.Prev, row.PrevOf = reactionsWords(x.Previous)
		v.Rows = append(v.Rows, row)
		in := hrowIn{Label: platformLabel(x.Platform), HasCur: x.Current.PerPost != nil, HasPrev: x.Previous.PerPost != nil, CurText: "— no posts", PrevText: "— no posts"}
		if in.HasCur {
			in.Cur, in.CurText = *x.Current.PerPost, fmt.Sprintf("%.2f", *x.Current.PerPost)
		}
		if in.HasPrev {
			in.Prev, in.PrevText = *x.Previous.PerPost, fmt.Sprintf("%.2f", *x.Previous.PerPost)
		}
		rows = append(rows, in)
		sum = append(sum, fmt.Sprintf("%s %s (before %s)", in.Label, in.CurText, in.PrevText))
	}
	v.Chart = buildHChart(rows, cur, prev, 0)
	v.Chart.Summary = "Reactions per post, " + cur + " beside " + prev + ": " + strings.Join(sum, "; ") + "."
	for _, c := range r.Engagement.TopChannels {
		v.Channels = append(v.Channels, healthChannelRow{HealthChannel: c, ChangeText: countChangeText(c.Change, c.ChangePct)})
	}
	v.Threads = r.Engagement.TopThreads
	return v
}

func sentimentView(r crm.HealthReport, cur, prev string) healthSentimentView {
	c, p := r.Sentiment.Current, r.Sentiment.Previous
	v := healthSentimentView{TexCur: c.Texts, TexPre: p.Texts}
	v.Rows = []healthSentimentRow{
		{"positive", "Positive", partWords(c.Positive, c.PositiveShare), partWords(p.Positive, p.PositiveShare), ppValue(r.Sentiment.ChangePP.Positive), ""},
		{"neutral", "Neutral", partWords(c.Neutral, c.NeutralShare), partWords(p.Neutral, p.NeutralShare), ppValue(r.Sentiment.ChangePP.Neutral), ""},
		{"negative", "Negative", partWords(c.Negative, c.NegativeShare), partWords(p.Negative, p.NegativeShare), ppValue(r.Sentiment.ChangePP.Negative), ""},
	}
	for i, sh := range [][2]*float64{{c.PositiveShare, p.PositiveShare}, {c.NeutralShare, p.NeutralShare}, {c.NegativeShare, p.NegativeShare}} {
		v.Rows[i].Legend = fmt.Sprintf("%s %s, before %s", strings.ToLower(v.Rows[i].Label), fracWords(sh[0]), fracWords(sh[1]))
	}
	v.Chart = buildStackChart([]stackIn{{cur, c}, {prev, p}})
	return v
}

// Formatting for people.

// spanText is a period's length: "30 days", "1 day", "36 hours".
func spanText(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	if d%(24*time.Hour) == 0 {
		return plural(int(d/(24*time.Hour)), "day")
	}
	if d%time.Hour == 0 {
		return plural(int(d/time.Hour), "hour")
	}
	return d.String()
}

// dayText shortens an RFC 3339 time to "2006-01-02 15:04 UTC", as the CLI.
func dayText(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

func fracWords(f *float64) string {
	if f == nil {
		return "—"
	}
	return pct(*f)
}

// pct is a fraction as a percentage with one decimal: 42.5%.
func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

func pctParen(p *float64) string {
	if p == nil {
		return ""
	}
	return " (" + signedFloat(*p, 1) + "%)"
}

// signedFloat writes f with its sign, a true minus when negative.
func signedFloat(f float64, decimals int) string {
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	if strings.HasPrefix(s, "-") {
		return "−" + s[1:]
	}
	return "+" + s
}

func signedCount(n int) string {
	if n > 0 {
		return "+" + thousands(n)
	}
	if n < 0 {
		return "−" + thousands(-n)
	}
	return "±0"
}

func countChangeText(n int, p *float64) string { return signedCount(n) + pctParen(p) }

func ppValue(p *float64) hv {
	if p == nil {
		return hv{Text: "—"}
	}
	return hv{Text: signedFloat(*p, 1), PP: true}
}

func ratioWords(r crm.HealthRatio) string {
	if r.Ratio == nil {
		return "— (no members)"
	}
	return fmt.Sprintf("%s (%s of %s)", pct(*r.Ratio), thousands(r.Active), thousands(r.Members))
}

func partWords(n int, share *float64) string {
	if share == nil {
		return "— (no texts)"
	}
	return fmt.Sprintf("%s (%s)", pct(*share), thousands(n))
}

// reactionsWords is a per-post average and what it is made of.
func reactionsWords(r crm.HealthReactions) (string, string) {
	if r.PerPost == nil {
		return "—", "no posts"
	}
	return fmt.Sprintf("%.2f", *r.PerPost), fmt.Sprintf("%s reactions / %s posts", thousands(r.Reactions), thousands(r.Posts))
}

func secondsWords(s *int64) string {
	if s == nil {
		return "—"
	}
	return durationWords(*s)
}

// durationWords renders seconds as "45 s", "12 min", "23.6 h" or
// "4.2 days".
func durationWords(s int64) string {
	neg := ""
	if s < 0 {
		neg, s = "−", -s
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%s%d s", neg, s)
	case s < 3600:
		return fmt.Sprintf("%s%d min", neg, s/60)
	case s < 48*3600:
		return fmt.Sprintf("%s%.1f h", neg, float64(s)/3600)
	}
	return fmt.Sprintf("%s%.1f days", neg, float64(s)/86400)
}

func durationChangeWords(s *int64, p *float64) string {
	if s == nil {
		return "—"
	}
	sign := "+"
	if *s < 0 {
		sign = ""
	} else if *s == 0 {
		sign = "±"
	}
	return sign + durationWords(*s) + pctParen(p)
}

// Charts. All are 400 units wide, so that their text stays readable when
// a phone shrinks them.

const (
	hcWidth  = 400
	hcLabelX = 100 // the series labels end here
	hcBarX   = 106
	hcBarMax = 190
	hcBarH   = 14
)

// hrowIn is one row of a horizontal bar chart: a heading and the current
// and previous values (Has* false: no bar, the text says why).
type hrowIn struct {
	Label             string
	Cur, Prev         float64
	CurText, PrevText string
	HasCur, HasPrev   bool
}

// hchart is a horizontal bar chart: rows of two bars, current (solid)
// above previous (hatched), each with its value printed after it.
type hchart struct {
	Width, Height int
	Rows          []hrow
	Summary       string
	Title         string // a caption above the chart, if any
	CurLabel      string
	PrevLabel     string
}

type hrow struct {
	Label  string
	LabelY int
	Bars   [2]hbar
}

type hbar struct {
	Series       string // cur or prev, the fill
	SeriesLabel  string
	X, Y, W, H   int
	TextX, TextY int
	Text         string
	Title        string
}

// buildHChart lays out rows; scale is the value of a full bar (0: the
// largest value).
func buildHChart(in []hrowIn, cur, prev string, scale float64) hchart {
	c := hchart{Width: hcWidth, CurLabel: cur, PrevLabel: prev}
	if scale <= 0 {
		for _, r := range in {
			if r.HasCur {
				scale = math.Max(scale, r.Cur)
			}
			if r.HasPrev {
				scale = math.Max(scale, r.Prev)
			}
		}
	}
	y := 0
	for _, r := range in {
		row := hrow{Label: r.Label, LabelY: y + 14}
		y += 20
		for i, s := range []struct {
			series, label, text string
			v                   float64
			has                 bool
		}{{"cur", cur, r.CurText, r.Cur, r.HasCur}, {"prev", prev, r.PrevText, r.Prev, r.HasPrev}} {
			b := hbar{Series: s.series, SeriesLabel: s.label, X: hcBarX, Y: y, H: hcBarH, Text: s.text, TextY: y + 11,
				Title: r.Label + ", " + s.label + ": " + strings.TrimPrefix(s.text, "— ")}
			if s.has && scale > 0 {
				b.W = int(math.Round(s.v / scale * hcBarMax))
				if s.v > 0 {
					b.W = max(b.W, 2)
				}
			}
			b.TextX = b.X + b.W + 6
			row.Bars[i] = b
			y += hcBarH + 4
		}
		y += 8
		c.Rows = append(c.Rows, row)
	}
	c.Height = y
	return c
}

// lineChart is the share retained after one month, per cohort.
type lineChart struct {
	Width, Height, Baseline, Top int
	Points                       []linePoint
	Paths                        []string // polyline point lists; a missing share breaks the line
	Summary                      string
	Grid                         []gridLine
}

type linePoint struct {
	X, Y       int
	Label      string // month under the axis
	LabelMonth string
	Text       string // the share, above the point
	Has        bool
	Title      string
}

type gridLine struct {
	Y    int
	Text string
}

type linePointIn struct {
	Label string // 2006-01
	Value float64
	Has   bool
}

func buildLineChart(in []linePointIn) lineChart {
	c := lineChart{Width: hcWidth, Height: 170, Top: 20, Baseline: 140}
	if len(in) == 0 {
		return c
	}
	left, right := 44, hcWidth-16
	step := float64(right-left) / float64(max(1, len(in)-1))
	plot := c.Baseline - c.Top
	for _, f := range []float64{0, .5, 1} {
		c.Grid = append(c.Grid, gridLine{Y: c.Baseline - int(f*float64(plot)), Text: fmt.Sprintf("%.0f%%", f*100)})
	}
	var cur []string
	var known []string
	for i, p := range in {
		pt := linePoint{X: left + int(math.Round(float64(i)*step)), Has: p.Has, LabelMonth: p.Label}
		month := p.Label
		if t, err := time.Parse("2006-01", p.Label); err == nil {
			pt.Label = t.Format("Jan")
			month = t.Format("January 2006")
		}
		if p.Has {
			pt.Y = c.Baseline - int(math.Round(p.Value*float64(plot)))
			pt.Text = fmt.Sprintf("%.0f%%", p.Value*100)
			pt.Title = month + " cohort: " + pct(p.Value) + " active a month later"
			cur = append(cur, fmt.Sprintf("%d,%d", pt.X, pt.Y))
			known = append(known, fmt.Sprintf("%s %s", month, pct(p.Value)))
		} else {
			pt.Title = month + " cohort: no share yet"
			if len(cur) > 0 {
				c.Paths = append(c.Paths, strings.Join(cur, " "))
			}
			cur = nil
		}
		c.Points = append(c.Points, pt)
	}
	if len(cur) > 0 {
		c.Paths = append(c.Paths, strings.Join(cur, " "))
	}
	if len(known) == 0 {
		c.Summary = "No cohort has a share after one month yet."
	} else {
		c.Summary = "Share of each monthly cohort active one month later: " + strings.Join(known, ", ") + "."
	}
	return c
}

// stackChart is a 100% stacked bar per period: positive, neutral, negative.
type stackChart struct {
	Width, Height int
	Rows          []stackRow
	Summary       string
}

type stackRow struct {
	Label        string
	LabelY, BarY int
	Segs         []stackSeg
	Empty        bool
}

type stackSeg struct {
	Class      string
	X, W       int
	TextX      int
	Text       string
	ShowText   bool
	Title      string
	Label      string
	Count      int
	ShareShown string
}

type stackIn struct {
	label string
	s     crm.HealthSentimentShares
}

func buildStackChart(in []stackIn) stackChart {
	c := stackChart{Width: hcWidth}
	const x0, w, h = hcBarX, hcWidth - hcBarX - 10, 26
	y := 0
	var sum []string
	for _, r := range in {
		row := stackRow{Label: r.label, LabelY: y + 18, BarY: y}
		if r.s.Texts == 0 {
			row.Empty = true
			sum = append(sum, r.label+": no texts")
		} else {
			x := x0
			var parts []string
			for i, p := range []struct {
				class, label string
				n            int
				share        *float64
			}{{"positive", "positive", r.s.Positive, r.s.PositiveShare}, {"neutral", "neutral", r.s.Neutral, r.s.NeutralShare}, {"negative", "negative", r.s.Negative, r.s.NegativeShare}} {
				f := 0.0
				if p.share != nil {
					f = *p.share
				}
				sw := int(math.Round(f * w))
				if i == 2 {
					sw = x0 + w - x // the last segment fills the bar exactly
					if p.n == 0 {
						sw = 0
					}
				}
				seg := stackSeg{Class: p.class, X: x, W: sw, TextX: x + sw/2, Text: pct(f), ShowText: sw >= 44,
					Title: fmt.Sprintf("%s, %s: %s (%s of %s texts)", r.label, p.label, pct(f), thousands(p.n), thousands(r.s.Texts)), Label: p.label, Count: p.n}
				x += sw
				if sw > 0 {
					row.Segs = append(row.Segs, seg)
				}
				parts = append(parts, p.label+" "+pct(f))
			}
			sum = append(sum, fmt.Sprintf("%s (%s texts): %s", r.label, thousands(r.s.Texts), strings.Join(parts, ", ")))
		}
		y += h + 14
		c.Rows = append(c.Rows, row)
	}
	c.Height = y
	c.Summary = "Sentiment of the texts, " + strings.Join(sum, "; ") + "."
	return c
}
