package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// openScoreStore opens the store for the scoring commands.
func (e *cliEnv) openScoreStore(ctx context.Context) (crm.ScoreReader, func(), error) {
	qs, closeFn, err := e.openQueryStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	sr, ok := qs.(crm.ScoreReader)
	if !ok {
		closeFn()
		return nil, nil, fmt.Errorf("this store does not support scores")
	}
	return sr, closeFn, nil
}

func cmdHealth(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("health", "", "How the community is doing over a period, beside the period before it:\nnew members, active member ratio, first-response times, monthly retention,\nreactions per post, top channels and threads, and sentiment.\nStaff and bots are left out unless --include-staff.")
	period := fs.String("period", "30d", "the `length` of each period: days (30d, 7d, 90d) or a duration (36h)")
	platform := fs.String("platform", "", "only this `platform`: "+strings.Join(crm.HealthPlatforms, ", "))
	format := fs.String("format", "table", "output `format`: table or json")
	staff := fs.Bool("include-staff", false, "count staff and bots like everyone else")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("health takes no arguments (got %q)", pos[0])
	}
	d, err := crm.ParseHealthPeriod(*period)
	if err != nil {
		return usageErr("--period: %v", err)
	}
	if !crm.ValidHealthPlatform(*platform) {
		return usageErr("--platform must be one of %s, not %q", strings.Join(crm.HealthPlatforms, ", "), *platform)
	}
	if *format != "table" && *format != "json" {
		return usageErr("--format must be table or json, not %q", *format)
	}
	st, closeFn, err := e.openScoreStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	now := e.now().UTC()
	// The 30-day reports are stored by each level evaluation: bring them
	// up to date first when the daemon has not lately.
	if ss, ok := st.(scoreStore); ok {
		cfg, err := e.loadConfig(true)
		if err != nil {
			return err
		}
		if err := e.freshLevels(ctx, ss, cfg, now); err != nil {
			return err
		}
	}
	r, err := crm.ReadHealth(ctx, st, crm.HealthOptions{Now: now, Period: d, Platform: *platform, IncludeStaff: *staff})
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(e.stdout, r)
	}
	writeHealth(e.stdout, r, e.width())
	return nil
}

// writeHealth prints the report as tables with a line of explanation each.
func writeHealth(w io.Writer, r crm.HealthReport, width int) {
	scope := "all platforms"
	if r.Platform != "" {
		scope = "only " + r.Platform
	}
	who := "staff and bots left out (--include-staff counts them)"
	if r.IncludeStaff {
		who = "staff and bots included"
	}
	fmt.Fprintf(w, "Community health for %s to %s, beside %s before; %s; %s.\n",
		periodText(r.PeriodSeconds), dayText(r.Current.Until), periodText(r.PeriodSeconds), scope, who)
	fmt.Fprintf(w, "Current %s – %s, previous %s – %s.\n", dayText(r.Current.Since), dayText(r.Current.Until), dayText(r.Previous.Since), dayText(r.Previous.Until))

	section(w, "Members", "New: first activity in the period. Active: members with any activity in the period, of those that existed at its end.")
	rows := [][]string{{"METRIC", "CURRENT", "PREVIOUS", "CHANGE"}}
	rows = append(rows, []string{"new members", strconv.Itoa(r.Growth.Current), strconv.Itoa(r.Growth.Previous), countChange(r.Growth.Change, r.Growth.ChangePct)})
	rows = append(rows, []string{"active members", ratioText(r.Active.Current), ratioText(r.Active.Previous), ppText(r.Active.ChangePP)})
	writeTable(w, rows, width, nil)

	section(w, "First response", "Time from a thread's opening to the first reply by someone else (staff count, bots do not), before the period's end. Median and 90th percentile (nearest rank) of the answered threads; unanswered: no such reply by the period's end.")
	rows = [][]string{{"PLATFORM", "THREADS", "METRIC", "CURRENT", "PREVIOUS", "CHANGE"}}
	for _, x := range r.FirstResponse {
		label := x.Platform + " " + strings.ReplaceAll(x.Kind, "_", " & ")
		threads := fmt.Sprintf("%d (prev %d)", x.Current.Threads, x.Previous.Threads)
		rows = append(rows,
			[]string{label, threads, "median", secondsText(x.Current.P50Seconds), secondsText(x.Previous.P50Seconds), durationChange(x.Change.P50Seconds, x.Change.P50Pct)},
			[]string{"", "", "90th percentile", secondsText(x.Current.P90Seconds), secondsText(x.Previous.P90Seconds), durationChange(x.Change.P90Seconds, x.Change.P90Pct)},
			[]string{"", "", "unanswered", strconv.Itoa(x.Current.Unanswered), strconv.Itoa(x.Previous.Unanswered), signed(x.Change.Unanswered)})
	}
	writeTable(w, rows, width, nil)

	section(w, "Retention", "Monthly cohorts: members whose first activity is in the month, and the share of them active 1, 3 and 6 calendar months later (— until that month has ended).")
	rows = [][]string{{"COHORT", "NEW", "AFTER 1 MONTH", "AFTER 3 MONTHS", "AFTER 6 MONTHS"}}
	for _, c := range r.Retention.Cohorts {
		rows = append(rows, []string{c.Month, strconv.Itoa(c.NewMembers), shareText(c.After1), shareText(c.After3), shareText(c.After6)})
	}
	writeTable(w, rows, width, nil)
	fmt.Fprintln(w)
	rows = [][]string{{"RETAINED", "NEWEST COHORT", "COHORT BEFORE", "CHANGE"}}
	for _, x := range []struct {
		label string
		rt    crm.HealthRetained
	}{{"after 1 month", r.Retention.After1}, {"after 3 months", r.Retention.After3}, {"after 6 months", r.Retention.After6}} {
		rows = append(rows, []string{x.label, x.rt.CurrentCohort + ": " + fracText(x.rt.Current), x.rt.PreviousCohort + ": " + fracText(x.rt.Previous), ppText(x.rt.ChangePP)})
	}
	writeTable(w, rows, width, nil)

	section(w, "Engagement", "Reactions per post: the reaction totals the services report (GitHub reactions, Discourse likes, Mastodon favourites + boosts, Stack Overflow score) over the posts of the period that carry them.")
	rows = [][]string{{"PLATFORM", "CURRENT", "PREVIOUS", "CHANGE"}}
	for _, p := range r.Engagement.Platforms {
		change := "—"
		if p.Change.PerPost != nil {
			change = fmt.Sprintf("%+.2f", *p.Change.PerPost) + pctSuffix(p.Change.PerPostPct)
		}
		rows = append(rows, []string{p.Platform, reactionsText(p.Current), reactionsText(p.Previous), change})
	}
	writeTable(w, rows, width, nil)
	fmt.Fprintln(w, "\nTop channels (most activities in the current period):")
	rows = [][]string{{"PLATFORM", "CHANNEL", "ACTIVITIES", "PREVIOUS", "CHANGE", "REACTIONS"}}
	for _, c := range r.Engagement.TopChannels {
		rows = append(rows, []string{c.Platform, c.Channel, strconv.Itoa(c.Activities), strconv.Itoa(c.PreviousActivities), countChange(c.Change, c.ChangePct), strconv.Itoa(c.Reactions)})
	}
	if len(r.Engagement.TopChannels) == 0 {
		rows = append(rows, []string{"—", "", "", "", "", ""})
	}
	writeTable(w, rows, width, []int{1})
	fmt.Fprintln(w, "\nTop threads (replies in the current period + reactions):")
	rows = [][]string{{"PLATFORM", "TITLE", "REPLIES", "REACTIONS", "URL"}}
	for _, t := range r.Engagement.TopThreads {
		rows = append(rows, []string{t.Platform, t.Title, strconv.Itoa(t.Replies), strconv.Itoa(t.Reactions), t.URL})
	}
	if len(r.Engagement.TopThreads) == 0 {
		rows = append(rows, []string{"—", "", "", "", ""})
	}
	writeTable(w, rows, width, []int{4, 1})

	section(w, "Sentiment", "VADER compound score of each text: positive ≥ 0.05, negative ≤ -0.05, neutral between.")
	rows = [][]string{{"SHARE", "CURRENT", "PREVIOUS", "CHANGE"}}
	cur, prev := r.Sentiment.Current, r.Sentiment.Previous
	rows = append(rows,
		[]string{"texts", strconv.Itoa(cur.Texts), strconv.Itoa(prev.Texts), countChange(cur.Texts-prev.Texts, nil)},
		[]string{"positive", partText(cur.Positive, cur.PositiveShare), partText(prev.Positive, prev.PositiveShare), ppText(r.Sentiment.ChangePP.Positive)},
		[]string{"neutral", partText(cur.Neutral, cur.NeutralShare), partText(prev.Neutral, prev.NeutralShare), ppText(r.Sentiment.ChangePP.Neutral)},
		[]string{"negative", partText(cur.Negative, cur.NegativeShare), partText(prev.Negative, prev.NegativeShare), ppText(r.Sentiment.ChangePP.Negative)})
	writeTable(w, rows, width, nil)
}

func section(w io.Writer, title, explain string) {
	fmt.Fprintf(w, "\n%s\n%s\n", strings.ToUpper(title), explain)
}

func periodText(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	if d%(24*time.Hour) == 0 {
		return plainPlural(int(d/(24*time.Hour)), "day")
	}
	return d.String()
}

func plainPlural(n int, unit string) string {
	if n == 1 {
		return "the " + unit
	}
	return fmt.Sprintf("the %d %ss", n, unit)
}

// dayText shortens an RFC 3339 time to "2006-01-02 15:04 UTC".
func dayText(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func signed(n int) string { return fmt.Sprintf("%+d", n) }

func pctSuffix(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf(" (%+.1f%%)", *p)
}

func countChange(n int, pct *float64) string { return signed(n) + pctSuffix(pct) }

func ppText(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f pp", *p)
}

func fracText(f *float64) string {
	if f == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *f*100)
}

func ratioText(r crm.HealthRatio) string {
	return fmt.Sprintf("%d of %d (%s)", r.Active, r.Members, fracText(r.Ratio))
}

func partText(n int, share *float64) string {
	if share == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%d)", fracText(share), n)
}

func shareText(s *crm.HealthShare) string {
	if s == nil {
		return "—"
	}
	if s.Share == nil {
		return "0"
	}
	return fmt.Sprintf("%s (%d)", fracText(s.Share), s.Active)
}

func reactionsText(r crm.HealthReactions) string {
	if r.PerPost == nil {
		return "— (no posts)"
	}
	return fmt.Sprintf("%.2f (%d reactions / %d posts)", *r.PerPost, r.Reactions, r.Posts)
}

func secondsText(s *int64) string {
	if s == nil {
		return "—"
	}
	return durationText(*s)
}

// durationText renders seconds as 45s, 12m, 3.5h or 2.1d.
func durationText(s int64) string {
	neg := ""
	if s < 0 {
		neg, s = "-", -s
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%s%ds", neg, s)
	case s < 3600:
		return fmt.Sprintf("%s%dm", neg, s/60)
	case s < 48*3600:
		return fmt.Sprintf("%s%.1fh", neg, float64(s)/3600)
	}
	return fmt.Sprintf("%s%.1fd", neg, float64(s)/86400)
}

func durationChange(s *int64, pct *float64) string {
	if s == nil {
		return "—"
	}
	sign := "+"
	if *s < 0 {
		sign = ""
	}
	return sign + durationText(*s) + pctSuffix(pct)
}
