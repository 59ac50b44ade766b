package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/daemon"
)

// scoringOf is the configuration's scoring section over crm's defaults.
func scoringOf(cfg *config.Config) crm.Scoring {
	sc := crm.DefaultScoring()
	if cfg == nil {
		return sc
	}
	c := cfg.Scoring
	for k, v := range c.Weights {
		sc.Weights[k] = v
	}
	if c.Decay > 0 {
		sc.Decay = c.Decay
	}
	setF := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	setF(&sc.PlatformBonus, c.PlatformBonus)
	setF(&sc.ChannelBonus, c.ChannelBonus)
	if c.MaxBonusChannels > 0 {
		sc.MaxBonusChannels = c.MaxBonusChannels
	}
	for i, name := range []string{"core", "contributor", "participant"} {
		r, ok := c.Levels[name]
		if !ok {
			continue
		}
		setF(&sc.Levels[i].Commitment, r.Commitment)
		for _, p := range []struct {
			dst *int
			src *int
		}{{&sc.Levels[i].Weeks4, r.Weeks4}, {&sc.Levels[i].Weeks13, r.Weeks13}, {&sc.Levels[i].Weeks52, r.Weeks52}} {
			if p.src != nil {
				*p.dst = *p.src
			}
		}
	}
	if c.Grace > 0 {
		sc.Grace = c.Grace
	}
	setF(&sc.MinStrength, c.MinStrength)
	setF(&sc.HelpedPoints, c.HelpedPoints)
	setF(&sc.ConnectsPoints, c.ConnectsPoints)
	for i, name := range []string{"core", "contributor", "participant", "observer"} {
		if v, ok := c.LevelFactor[name]; ok {
			sc.LevelFactor[i] = v
		}
	}
	if c.Top > 0 {
		sc.ChampionsTop = c.Top
	}
	return sc
}

// evaluateEvery is how often levels are brought up to date.
func evaluateEvery(cfg *config.Config) time.Duration {
	if cfg != nil && cfg.Scoring.EvaluateEvery > 0 {
		return cfg.Scoring.EvaluateEvery
	}
	return config.DefaultEvaluateEvery
}

// checkPlatform checks a champions --platform: one of the platforms the
// stored rankings cover (crm.RankPlatforms; git commit authors count as
// github).
func checkPlatform(p string) error {
	if p == "" || slices.Contains(crm.RankPlatforms, p) {
		return nil
	}
	return usageErr("--platform must be one of %s, not %q", strings.Join(crm.RankPlatforms[1:], ", "), p)
}

// scoreStore is what champions and health read, and the level evaluation
// they run first when the daemon has not done it lately.
type scoreStore interface {
	crm.ChampionsReader
	EvaluateLevels(ctx context.Context, sc crm.Scoring, now time.Time, events bool) (crm.Evaluation, error)
	LevelsEvaluatedAt(ctx context.Context) (time.Time, error)
}

// freshLevels brings the stored levels up to date when the last
// evaluation is older than the daemon's interval (no daemon running, or a
// new store), so that a command shows levels as of now.
func (e *cliEnv) freshLevels(ctx context.Context, st scoreStore, cfg *config.Config, now time.Time) error {
	at, err := st.LevelsEvaluatedAt(ctx)
	if err != nil {
		return err
	}
	if age := now.Sub(at); !at.IsZero() && age >= 0 && age < evaluateEvery(cfg) {
		return nil
	}
	// Under the levels lease, like the daemon's evaluations: a command
	// run beside replicas never evaluates at once with one of them (and
	// writes a webhook event twice). When one is evaluating, the levels
	// shown are the stored ones.
	leases, _ := st.(daemon.Leaser)
	d := daemon.New(daemon.Options{Leases: leases})
	err = d.Exclusive(ctx, daemon.LevelsLease, func(ctx context.Context) error {
		_, err := st.EvaluateLevels(ctx, scoringOf(cfg), now, webhookEnabled(cfg))
		return err
	})
	switch {
	case errors.Is(err, daemon.ErrLeaseHeld):
		return nil
	case err != nil:
		return fmt.Errorf("bring levels up to date: %w", err)
	}
	return nil
}

func cmdChampions(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("champions", "", "Rank members by love, level and reach (staff and bots left out), or list who is rising or slipping.")
	top := fs.Int("top", 20, "show the first `N`")
	platform := fs.String("platform", "", "rank on one `platform` only: github, mastodon, discourse or stackoverflow")
	format := fs.String("format", "table", "output `format`: table, json or csv")
	includeStaff := fs.Bool("include-staff", false, "keep staff and bots in the list")
	rising := fs.Bool("rising", false, "rank by the largest gain in love over the last --period")
	slipping := fs.Bool("slipping", false, "list former regulars gone quiet: active in at least 6 of the 13 weeks before the last 4, none in the last 4")
	periodFlag := fs.String("period", "30d", "the `period` of --rising: days (30d) or a duration")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("champions takes no arguments (got %q)", pos[0])
	}
	if *top < 1 {
		return usageErr("--top must be 1 or more")
	}
	if *rising && *slipping {
		return usageErr("--rising and --slipping are two different lists: pass one")
	}
	if err := checkPlatform(*platform); err != nil {
		return err
	}
	switch *format {
	case "table", "json", "csv":
	default:
		return usageErr("--format must be table, json or csv, not %q", *format)
	}
	period, err := crm.ParseHealthPeriod(*periodFlag)
	if err != nil {
		return usageErr("--period: %v", err)
	}
	cfg, err := e.loadConfig(true)
	if err != nil {
		return err
	}
	st, closeFn, err := e.openQueryStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	ss, ok := st.(scoreStore)
	if !ok {
		return fmt.Errorf("champions: this store keeps no scores")
	}
	now := e.now().UTC()
	if err := e.freshLevels(ctx, ss, cfg, now); err != nil {
		return err
	}
	sc := scoringOf(cfg)
	list, err := sc.LoadChampions(ctx, ss, crm.ChampionsOptions{Now: now, Top: *top, Platform: *platform,
		IncludeStaff: *includeStaff, Rising: *rising, Slipping: *slipping, Period: period}, false)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return writeJSON(e.stdout, list)
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"rank", "member_id", "name", "role", "level", "score", "love", "love_base", "breadth", "helped", "connects", "followers", "reputation", "gain", "last_active"})
		for _, c := range list.Champions {
			gain, last := "", ""
			if c.Gain != nil {
				gain = num(*c.Gain)
			}
			if c.LastActive != nil {
				last = c.LastActive.Format(time.DateOnly)
			}
			w.Write([]string{strconv.Itoa(c.Rank), strconv.FormatInt(c.Member.ID, 10), c.Member.Name, c.Member.Role, c.Level.Name,
				num(c.Score), num(c.Love.Total), num(c.Love.Base), num(c.Love.Breadth), strconv.Itoa(c.Reach.Helped), strconv.Itoa(c.Reach.Connects),
				strconv.Itoa(c.Clout.Followers), strconv.Itoa(c.Clout.Reputation), gain, last})
		}
		w.Flush()
		return w.Error()
	}
	e.printChampions(list, now)
	return nil
}

// num prints a score with at most one decimal.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// short prints a score with one decimal.
func short(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// levelText is "contributor" or "contributor (measured participant)".
func levelText(l crm.ChampionLevel) string {
	s := l.Name
	if l.Measured != 0 && l.Measured != l.Level {
		s += " (now " + crm.LevelName(l.Measured) + ")"
	}
	return s
}

// whyText is a champion's love in words: the largest lines, the breadth.
func whyText(c crm.Champion) string {
	var parts []string
	for i, ln := range c.Love.Lines {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(c.Love.Lines)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s ×%d = %s", ln.Platform, ln.Type, ln.Count, short(ln.Points)))
	}
	if c.Love.Breadth > 0 {
		parts = append(parts, fmt.Sprintf("breadth +%s%% (%d platforms, %d channels)", num(c.Love.BreadthFactor*100), c.Love.Platforms, c.Love.Channels))
	}
	return strings.Join(parts, "; ")
}

func (e *cliEnv) printChampions(list crm.ChampionsList, now time.Time) {
	var rows [][]string
	switch list.Kind {
	case "rising":
		rows = [][]string{{"#", "ID", "NAME", "GAIN", "LOVE", "LEVEL", "WHY"}}
		for _, c := range list.Champions {
			rows = append(rows, []string{strconv.Itoa(c.Rank), strconv.FormatInt(c.Member.ID, 10), c.Member.Name, "+" + short(*c.Gain), short(c.Love.Total), levelText(c.Level), whyText(c)})
		}
	case "slipping":
		rows = [][]string{{"#", "ID", "NAME", "LAST ACTIVE", "ACTIVE WEEKS (52)", "LEVEL", "LOVE"}}
		for _, c := range list.Champions {
			last := ""
			if c.LastActive != nil {
				last = "week of " + c.LastActive.Format(time.DateOnly)
			}
			rows = append(rows, []string{strconv.Itoa(c.Rank), strconv.FormatInt(c.Member.ID, 10), c.Member.Name, last, strconv.Itoa(c.Presence.Weeks52), levelText(c.Level), short(c.Love.Total)})
		}
	default:
		rows = [][]string{{"#", "ID", "NAME", "LEVEL", "SCORE", "LOVE", "HELPED", "CONNECTS", "WHY"}}
		for _, c := range list.Champions {
			name := c.Member.Name
			if c.Member.Role != "" {
				name += " [" + c.Member.Role + "]"
			}
			rows = append(rows, []string{strconv.Itoa(c.Rank), strconv.FormatInt(c.Member.ID, 10), name, levelText(c.Level), short(c.Score), short(c.Love.Total),
				strconv.Itoa(c.Reach.Helped), strconv.Itoa(c.Reach.Connects), whyText(c)})
		}
	}
	writeTable(e.stdout, rows, e.width(), []int{len(rows[0]) - 1, 2})
	if len(list.Champions) == 0 {
		switch list.Kind {
		case "rising":
			fmt.Fprintln(e.stdout, "nobody gained love over the period")
		case "slipping":
			fmt.Fprintln(e.stdout, "no regular has gone quiet")
		default:
			fmt.Fprintln(e.stdout, "no members with activity yet: run 'rollcall sync --once' or 'rollcall demo'")
		}
		return
	}
	fmt.Fprintf(e.stdout, "\n%s.\nLove = Σ weight × %s^(age in months) by activity type, plus the breadth bonus; 'rollcall champions --format json' has every line.\n", list.Formula, "decay")
}

// webhookEnabled reports whether level changes write webhook events.
func webhookEnabled(cfg *config.Config) bool { return cfg != nil && cfg.Webhook != nil }
