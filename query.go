package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

// queryStore is what members and journey read.
type queryStore interface {
	Members(ctx context.Context, q crm.MemberQuery) ([]crm.Member, error)
	Member(ctx context.Context, id int64) (crm.Member, error)
	MemberByUsername(ctx context.Context, platform, username string) (crm.Member, error)
	Journey(ctx context.Context, memberID int64) (crm.Journey, error)
}

func rfc3339(t time.Time) string { return crm.TimeJSON(t) }

func cmdMembers(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("members", "", "List members, most active first.")
	search := fs.String("search", "", "only members whose name, username or e-mail contains `Q` (shorter than 3 characters: whose name or username starts with Q)")
	limit := fs.Int("limit", 50, "show at most `N` members (0: all)")
	format := fs.String("format", "table", "output `format`: table, json or csv")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("members takes no arguments (got %q); use --search", pos[0])
	}
	if *limit < 0 {
		return usageErr("--limit must be 0 or more")
	}
	switch *format {
	case "table", "json", "csv":
	default:
		return usageErr("--format must be table, json or csv, not %q", *format)
	}
	st, closeFn, err := e.openQueryStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	ms, err := st.Members(ctx, crm.MemberQuery{Search: *search, Limit: *limit})
	if err != nil {
		return fmt.Errorf("list members: %w", err)
	}
	switch *format {
	case "json":
		return writeJSON(e.stdout, crm.MembersView(ms))
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"id", "name", "identities", "activity_count", "first_seen", "last_seen"})
		for _, m := range ms {
			w.Write(termLines([]string{strconv.FormatInt(m.ID, 10), m.Name, identitiesText(m), strconv.Itoa(m.ActivityCount), rfc3339(m.FirstSeen), rfc3339(m.LastSeen)}))
		}
		w.Flush()
		return w.Error()
	default:
		now := time.Now()
		rows := [][]string{{"ID", "NAME", "IDENTITIES", "ACTIVITIES", "FIRST SEEN", "LAST SEEN"}}
		for _, m := range ms {
			rows = append(rows, []string{strconv.FormatInt(m.ID, 10), m.Name, identitiesText(m), strconv.Itoa(m.ActivityCount), relative(now, m.FirstSeen), relative(now, m.LastSeen)})
		}
		writeTable(e.stdout, rows, e.width(), []int{2, 1})
		if len(ms) == 0 {
			fmt.Fprintln(e.stdout, "no members yet: run 'rollcall sync --once' or 'rollcall demo'")
		}
		return nil
	}
}

func identitiesText(m crm.Member) string {
	parts := make([]string, 0, len(m.Identities))
	for _, id := range m.Identities {
		parts = append(parts, id.Platform+":"+id.Username)
	}
	return strings.Join(parts, " ")
}

func cmdJourney(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("journey", "MEMBER", "Show a member's activity across platforms, oldest first.\nMEMBER is a member id or platform:username (e.g. github:octocat).")
	format := fs.String("format", "text", "output `format`: text or json")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("journey needs exactly one MEMBER (a member id or platform:username)")
	}
	if *format != "text" && *format != "json" {
		return usageErr("--format must be text or json, not %q", *format)
	}
	st, closeFn, err := e.openQueryStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	m, err := findMember(ctx, st, pos[0])
	if err != nil {
		return err
	}
	j, err := st.Journey(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("journey of member %d: %w", m.ID, err)
	}
	if *format == "json" {
		return writeJSON(e.stdout, crm.JourneyView(j))
	}
	now := time.Now()
	mm := j.Member
	fmt.Fprintf(e.stdout, "%s (member %d)\n", termLine(mm.Name), mm.ID)
	for _, id := range mm.Identities {
		fmt.Fprintf(e.stdout, "  %s:%s  %s\n", termLine(id.Platform), termLine(id.Username), termLine(id.URL))
	}
	fmt.Fprintf(e.stdout, "  %d activities, first seen %s, last seen %s\n\n", len(j.Activities), relative(now, mm.FirstSeen), relative(now, mm.LastSeen))
	rows := [][]string{{"WHEN", "DATE", "PLATFORM", "TYPE", "WHERE", "WHAT"}}
	for _, a := range j.Activities {
		rows = append(rows, []string{relative(now, a.OccurredAt), a.OccurredAt.UTC().Format("2006-01-02"), a.Platform + ":" + a.Username, a.Type, a.Channel, a.Title})
	}
	writeTable(e.stdout, rows, e.width(), []int{5, 4})
	return nil
}

// findMember resolves a member id or platform:username.
func findMember(ctx context.Context, st queryStore, arg string) (crm.Member, error) {
	m, err := identity.FindMember(ctx, st, arg)
	return m, cliDecisionErr(err)
}

// openQueryStore opens the store for reading; a missing config file is fine
// when --store is given.
func (e *cliEnv) openQueryStore(ctx context.Context) (queryStore, func(), error) {
	cfg, err := e.loadConfig(true)
	if err != nil {
		return nil, nil, err
	}
	if e.storePath == "" && cfg.Store != "" && !isPostgresURL(cfg.Store) {
		if _, err := os.Stat(cfg.Store); err != nil {
			return nil, nil, fmt.Errorf("store %s does not exist yet: run 'rollcall sync --once' first, or pass --store", cfg.Store)
		}
	} else if e.storePath != "" && !isPostgresURL(e.storePath) {
		if _, err := os.Stat(e.storePath); err != nil {
			return nil, nil, fmt.Errorf("store %s does not exist: run 'rollcall demo --once' or 'rollcall sync --once' first", e.storePath)
		}
	}
	st, _, err := e.openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

// tableCounter is implemented by stores that count their rows cheaply.
type tableCounter interface {
	TableCounts(ctx context.Context) (map[string]int64, error)
}

// totals counts members and activities for the sync summary: from the
// store's row counts when it has them, else by listing the members.
func totals(ctx context.Context, st queryStore) (members, activities int, err error) {
	if tc, ok := st.(tableCounter); ok {
		n, err := tc.TableCounts(ctx)
		if err != nil {
			return 0, 0, err
		}
		return int(n["members"]), int(n["activities"]), nil
	}
	ms, err := st.Members(ctx, crm.MemberQuery{})
	if err != nil {
		return 0, 0, err
	}
	for _, m := range ms {
		activities += m.ActivityCount
	}
	return len(ms), activities, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// width is the terminal width, or 120 when output is not a terminal.
func (e *cliEnv) width() int {
	if f, ok := e.rawStdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			return w
		}
	}
	return 120
}

// writeTable prints aligned columns fitted to width: when too wide, the
// columns listed in shrink (most shrinkable first) are cut with "…".
func writeTable(w io.Writer, rows [][]string, width int, shrink []int) {
	if len(rows) == 0 {
		return
	}
	n := len(rows[0])
	widths := make([]int, n)
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(termLine(c)))
		}
	}
	total := func() int {
		t := 0
		for _, x := range widths {
			t += x + 2
		}
		return t - 2
	}
	for _, col := range shrink {
		if over := total() - width; over > 0 {
			widths[col] = max(8, widths[col]-over)
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, c := range r {
			c = fit(termLine(c), widths[i])
			b.WriteString(c)
			if i < n-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func fit(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// relative renders t as "3 days ago", "2 months ago".
func relative(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < 0 {
		return "just now"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month")
	default:
		return plural(int(d/(365*24*time.Hour)), "year")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit + " ago"
	}
	return fmt.Sprintf("%d %ss ago", n, unit)
}

func crmQuery(limit int) crm.MemberQuery { return crm.MemberQuery{Limit: limit} }
