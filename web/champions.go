package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// Scores is what the champions page, GET /api/v1/champions and the levels
// on the member pages read: the champions' data (crm.ChampionsReader,
// read through crm.Scoring.LoadChampions as the CLI reads it), plus one
// member's tallies and a page's stored levels, so that the member pages
// never read the whole community.
type Scores interface {
	crm.ChampionsReader
	// ScoreMembers reads members' identities with their tallies, by id.
	ScoreMembers(ctx context.Context, ids []int64) ([]crm.ScoreMember, error)
	// LevelsOf returns the stored level states of the members ids.
	LevelsOf(ctx context.Context, ids []int64) (map[int64]crm.LevelState, error)
}

// championPlatforms are the platforms the champions list filters on, as
// `rollcall champions --platform` takes them.
var championPlatforms = []string{"github", "mastodon", "discourse", "stackoverflow"}

// championsQuery reads the champions list's parameters, shared by the page
// and the API, with the CLI's rules: top (1 or more; default the
// scoring's champions top), platform, include_staff, rising, slipping
// (not both) and period (days such as 30d, or a duration of at least 1h).
func (s *Server) championsQuery(v url.Values) (crm.ChampionsOptions, error) {
	o := crm.ChampionsOptions{Now: s.now().UTC(), Top: s.scoring.ChampionsTop, Period: 30 * 24 * time.Hour}
	if t := strings.TrimSpace(v.Get("top")); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return o, badInput("top must be a number, 1 or more, not %q", t)
		}
		o.Top = n
	}
	o.Platform = strings.TrimSpace(v.Get("platform"))
	if o.Platform != "" && !contains(championPlatforms, o.Platform) {
		return o, badInput("platform must be one of %s, not %q", strings.Join(championPlatforms, ", "), o.Platform)
	}
	var err error
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"include_staff", &o.IncludeStaff}, {"rising", &o.Rising}, {"slipping", &o.Slipping}} {
		if *b.dst, err = parseFlag(b.name, v.Get(b.name)); err != nil {
			return o, err
		}
	}
	if o.Rising && o.Slipping {
		return o, badInput("rising and slipping are two different lists: pass one")
	}
	if p := strings.TrimSpace(v.Get("period")); p != "" {
		if o.Period, err = parsePeriod(p); err != nil {
			return o, err
		}
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseFlag reads a yes/no parameter: 1, true, on or yes; 0, false, off,
// no or nothing.
func parseFlag(name, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "off", "no":
		return false, nil
	case "1", "true", "on", "yes":
		return true, nil
	}
	return false, badInput("%s must be 1 or 0, not %q", name, v)
}

// parsePeriod reads a period as `rollcall champions --period` does: a
// number of days ("30d") or a Go duration of at least an hour ("720h").
func parsePeriod(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 || days > 3660 {
			return 0, badInput("period must be a number of days such as 30d or a duration such as 720h, not %q", v)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Hour {
		return 0, badInput("period must be a number of days such as 30d or a duration of at least 1h, not %q", v)
	}
	return d, nil
}

// errNoScores answers the champions routes of a server without Scores.
var errNoScores = errors.New("this store keeps no scores")

func (s *Server) apiChampions(w http.ResponseWriter, r *http.Request) {
	if s.scores == nil {
		s.apiError(w, r, http.StatusNotFound, errNoScores)
		return
	}
	o, err := s.championsQuery(r.URL.Query())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	list, err := s.scoring.LoadChampions(r.Context(), s.scores, o, false)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// championsPage is the champions page's data.
type championsPage struct {
	pageBase
	Kind        string // champions, rising or slipping
	Tabs        []tab
	Platforms   []option
	Periods     []option
	Platform    string
	Staff       bool
	Formula     string
	Caption     string
	Empty       string
	Unavailable bool
	Champions   []championView
}

type tab struct {
	Label, Href, Kind string
	Current           bool
}

// championView is one row of the champions table, worded for people.
type championView struct {
	Rank               int
	ID                 int64
	Name, Role         string
	Level              levelView
	Score, Love        string
	Helped, Connects   int
	Gain               string
	LastActive         time.Time
	Weeks52            int
	Why                string
	ScoreSum           string
	Lines              []loveLineView
	Breadth            string
	Reach, Clout, Pres string
	History            []historyView
}

// levelView is a member's level with its since date and, when the
// measured level differs, what that means.
type levelView struct {
	Name  string
	Class string // level-1 .. level-4
	Since time.Time
	Note  string
}

type loveLineView struct {
	Platform, Type          string
	Count                   int
	Weight, Decayed, Points string
}

// historyView is one level change.
type historyView struct {
	At                   time.Time
	Name, Class, Phrase  string
	Previous, IsFallBack bool
}

func (s *Server) championsPageHandler(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	p := championsPage{pageBase: s.base(r, "Champions")}
	p.Section = "champions"
	if s.scores == nil {
		p.Unavailable = true
		s.render(w, r, http.StatusOK, "champions", &p)
		return
	}
	o, err := s.championsQuery(v)
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err)
		return
	}
	p.Platform, p.Staff = o.Platform, o.IncludeStaff
	p.Kind = "champions"
	switch {
	case o.Rising:
		p.Kind = "rising"
	case o.Slipping:
		p.Kind = "slipping"
	}
	// The tabs keep the filters; the period matters only when rising.
	for _, t := range []tab{{Label: "Champions", Kind: "champions"}, {Label: "Rising", Kind: "rising"}, {Label: "Slipping", Kind: "slipping"}} {
		q := url.Values{}
		if o.Platform != "" {
			q.Set("platform", o.Platform)
		}
		if o.IncludeStaff {
			q.Set("include_staff", "1")
		}
		if t.Kind != "champions" {
			q.Set(t.Kind, "1")
		}
		if t.Kind == "rising" && v.Get("period") != "" {
			q.Set("period", v.Get("period"))
		}
		t.Href = "/champions"
		if len(q) > 0 {
			t.Href += "?" + q.Encode()
		}
		t.Current = t.Kind == p.Kind
		p.Tabs = append(p.Tabs, t)
	}
	p.Platforms = []option{{Value: "", Label: "All platforms", Selected: o.Platform == ""}}
	for _, pl := range championPlatforms {
		p.Platforms = append(p.Platforms, option{Value: pl, Label: platformLabel(pl), Selected: pl == o.Platform})
	}
	period := periodWords(o.Period)
	for _, d := range []int{7, 30, 90, 365} {
		p.Periods = append(p.Periods, option{Value: strconv.Itoa(d) + "d", Label: "the last " + strconv.Itoa(d) + " days", Selected: o.Period == time.Duration(d)*24*time.Hour})
	}
	if !contains([]string{"7d", "30d", "90d", "365d"}, strings.TrimSpace(v.Get("period"))) && v.Get("period") != "" {
		p.Periods = append(p.Periods, option{Value: v.Get("period"), Label: "the last " + period, Selected: true})
	}

	list, err := s.scoring.LoadChampions(r.Context(), s.scores, o, true)
	if err != nil {
		s.pageError(w, r, statusOf(err), err)
		return
	}
	on := ""
	if o.Platform != "" {
		on = " on " + platformLabel(o.Platform)
	}
	switch p.Kind {
	case "rising":
		p.Formula = "Ranked by " + list.Formula + " (the period: the last " + period + ")."
		p.Caption = fmt.Sprintf("Who gained the most love%s over the last %s", on, period)
		p.Empty = fmt.Sprintf("Nobody gained love%s over the last %s.", on, period)
	case "slipping":
		p.Formula = "Listed: members " + list.Formula + "."
		p.Caption = "Former regulars gone quiet" + on
		p.Empty = "No regular has gone quiet" + on + ": everyone who was active most weeks is still around."
	default:
		p.Formula = "Ranked by " + strings.Replace(list.Formula, "score = ", "score: ", 1) + "."
		p.Caption = fmt.Sprintf("The top %d%s by score", o.Top, on)
		p.Empty = "No member has any love" + on + " yet."
		if !o.IncludeStaff {
			p.Empty += " Staff and bots are left out; tick “Include staff and bots” to see them."
		}
	}
	for _, c := range list.Champions {
		p.Champions = append(p.Champions, s.championView(c))
	}
	s.render(w, r, http.StatusOK, "champions", &p)
}

// periodWords says a period as "30 days" or "36 hours".
func periodWords(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return plural(int(d/(24*time.Hour)), "day")
	}
	return plural(int(d/time.Hour), "hour")
}

func (s *Server) championView(c crm.Champion) championView {
	v := championView{
		Rank: c.Rank, ID: c.Member.ID, Name: c.Member.Name, Role: c.Member.Role,
		Level: levelOf(c.Level), Score: decimal(c.Score), Love: decimal(c.Love.Total),
		Helped: c.Reach.Helped, Connects: c.Reach.Connects, Weeks52: c.Presence.Weeks52,
		Why: whyLine(c.Love),
	}
	if v.Name == "" {
		v.Name = "Member " + strconv.FormatInt(c.Member.ID, 10)
	}
	if c.Gain != nil {
		v.Gain = "+" + decimal(*c.Gain)
	}
	if c.LastActive != nil {
		v.LastActive = *c.LastActive
	}
	v.ScoreSum = fmt.Sprintf("Score %s = (love %s + %s × %s helped + %s × %s connected) × %s for %s.",
		decimal(c.Score), decimal(c.Love.Total), trim(s.scoring.HelpedPoints), thousands(c.Reach.Helped),
		trim(s.scoring.ConnectsPoints), thousands(c.Reach.Connects), trim(c.LevelFactor), c.Level.Name)
	v.Lines = loveLines(c.Love)
	v.Breadth = breadthSentence(c.Love)
	v.Reach = reachSentence(c.Reach)
	v.Clout = cloutSentence(c.Clout)
	v.Pres = presenceSentence(c.Presence)
	v.History = historyOf(c.History)
	return v
}

// levelOf words a level: its name, since when, and a note when the
// measured level differs ("measured contributor: grace period running").
func levelOf(l crm.ChampionLevel) levelView {
	v := levelView{Name: l.Name, Class: levelClass(l.Level), Since: l.Since}
	switch {
	case l.Measured == 0 || l.Measured == l.Level:
	case l.Measured > l.Level:
		v.Note = "measured " + crm.LevelName(l.Measured) + ": grace period running"
	default:
		v.Note = "measured " + crm.LevelName(l.Measured) + ": rises at the next evaluation"
	}
	return v
}

// levelClass is the CSS class of level l: known levels only.
func levelClass(l int) string {
	if l >= crm.LevelCore && l <= crm.LevelObserver {
		return "level-" + strconv.Itoa(l)
	}
	return "level-0"
}

// whyLine is a champion's love in a few words, as the CLI's WHY column
// says it: the three largest lines, then the breadth bonus.
func whyLine(l crm.Love) string {
	var parts []string
	for i, ln := range l.Lines {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(l.Lines)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s ×%s = %s", platformLabel(ln.Platform), activityLabelShort(ln.Type), thousands(ln.Count), decimal(ln.Points)))
	}
	if l.Breadth > 0 {
		parts = append(parts, fmt.Sprintf("breadth +%s%%", trim(round1(l.BreadthFactor*100))))
	}
	return strings.Join(parts, "; ")
}

// activityLabelShort is an activity type as the breakdown names it.
func activityLabelShort(t string) string { return strings.ReplaceAll(t, "_", " ") }

func loveLines(l crm.Love) []loveLineView {
	var out []loveLineView
	for _, ln := range l.Lines {
		out = append(out, loveLineView{Platform: ln.Platform, Type: ln.Type, Count: ln.Count,
			Weight: trim(ln.Weight), Decayed: decimal(ln.Decayed), Points: decimal(ln.Points)})
	}
	return out
}

func breadthSentence(l crm.Love) string {
	if l.Breadth <= 0 {
		return fmt.Sprintf("No breadth bonus: %s and %s.", plural(l.Platforms, "platform"), plural(l.Channels, "channel"))
	}
	return fmt.Sprintf("Breadth bonus: +%s%% for %s and %s, %s points on top of %s.",
		trim(round1(l.BreadthFactor*100)), plural(l.Platforms, "platform"), plural(l.Channels, "channel"), decimal(l.Breadth), decimal(l.Base))
}

func reachSentence(r crm.Reach) string {
	return fmt.Sprintf("Helped %s; connects %s who would otherwise be apart; %s in all.",
		people(r.Helped), people(r.Connects), plural(r.Contacts, "contact"))
}

func people(n int) string {
	if n == 1 {
		return "1 person"
	}
	return thousands(n) + " people"
}

func cloutSentence(c crm.Clout) string {
	return fmt.Sprintf("Outside the community: %s, reputation %s. Not part of the score.", plural(c.Followers, "follower"), thousands(c.Reputation))
}

func presenceSentence(p crm.PresenceCounts) string {
	return fmt.Sprintf("Active in %d of the last 4 weeks, %d of the last 13 and %d of the last 52.", p.Weeks4, p.Weeks13, p.Weeks52)
}

// historyOf words a level history, oldest first.
func historyOf(h []crm.LevelPoint) []historyView {
	var out []historyView
	for _, pt := range h {
		v := historyView{At: pt.At, Name: pt.Name, Class: levelClass(pt.Level), Previous: pt.Previous != 0}
		switch {
		case pt.Previous == 0:
			v.Phrase = "First level: " + pt.Name
		case pt.Level > pt.Previous:
			v.IsFallBack = true
			v.Phrase = "Fell back from " + crm.LevelName(pt.Previous) + " to " + pt.Name
		case pt.Level == crm.LevelCore:
			v.Phrase = "Joined the core"
		default:
			v.Phrase = "Became " + article(pt.Name) + " " + pt.Name
		}
		out = append(out, v)
	}
	return out
}

// article is "a" or "an" for a level name.
func article(name string) string {
	if name != "" && strings.ContainsRune("aeiou", rune(name[0])) {
		return "an"
	}
	return "a"
}

// decimal formats a score for people: one decimal, thousands separated.
func decimal(f float64) string {
	str := strconv.FormatFloat(math.Abs(f), 'f', 1, 64)
	whole, frac, _ := strings.Cut(str, ".")
	n, _ := strconv.Atoi(whole)
	out := thousands(n) + "." + frac
	if f < 0 && out != "0.0" {
		return "−" + out
	}
	return out
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// trim prints a weight or factor without trailing zeros.
func trim(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// standing is a member's level, level history and love, for the journey
// page and its JSON.
type standing struct {
	Level   crm.ChampionLevel
	History []crm.LevelPoint
	Love    crm.Love
	Pres    crm.PresenceCounts
}

// readStanding reads member id's standing; ok is false when the server
// keeps no scores or the member has none.
func (s *Server) readStanding(ctx context.Context, id int64) (standing, bool, error) {
	if s.scores == nil {
		return standing{}, false, nil
	}
	ms, err := s.scores.ScoreMembers(ctx, []int64{id})
	if err != nil {
		return standing{}, false, fmt.Errorf("score of member %d: %w", id, err)
	}
	if len(ms) == 0 {
		return standing{}, false, nil
	}
	m := ms[0]
	levels, err := s.scores.LevelsOf(ctx, []int64{id})
	if err != nil {
		return standing{}, false, fmt.Errorf("level of member %d: %w", id, err)
	}
	st, ok := levels[id]
	var out standing
	out.Level, out.Love, out.Pres = s.scoring.MemberStanding(m, st, ok, s.now().UTC())
	if out.History, err = s.scores.LevelHistory(ctx, id); err != nil {
		return standing{}, false, fmt.Errorf("level history of member %d: %w", id, err)
	}
	return out, true, nil
}

// journeyStanding is the level section of the journey page.
type journeyStanding struct {
	Level    levelView
	Love     string
	Lines    []loveLineView
	Breadth  string
	Presence string
	History  []historyView
}

func standingView(st standing) *journeyStanding {
	return &journeyStanding{Level: levelOf(st.Level), Love: decimal(st.Love.Total), Lines: loveLines(st.Love),
		Breadth: breadthSentence(st.Love), Presence: presenceSentence(st.Pres), History: historyOf(st.History)}
}

// memberLevels names the stored level of each member of a page, by id;
// nil when the server keeps no scores.
func (s *Server) memberLevels(ctx context.Context, ms []crm.Member) (map[int64]levelView, error) {
	if s.scores == nil || len(ms) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	levels, err := s.scores.LevelsOf(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("levels of members: %w", err)
	}
	out := make(map[int64]levelView, len(levels))
	for id, l := range levels {
		out[id] = levelView{Name: crm.LevelName(l.Level), Class: levelClass(l.Level), Since: l.Since}
	}
	return out, nil
}
