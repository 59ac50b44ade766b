package web

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// platforms are the known platforms in display order, with their label
// and pattern (so that the chart never depends on colour alone).
var platformLabels = map[string]string{
	"github":        "GitHub",
	"git":           "Git",
	"mastodon":      "Mastodon",
	"discourse":     "Discourse",
	"stackoverflow": "Stack Overflow",
}

// platformOrder sorts platforms in charts and legends.
var platformOrder = []string{"github", "git", "mastodon", "discourse", "stackoverflow"}

// platformLabel names a platform for people.
func platformLabel(p string) string {
	if l, ok := platformLabels[p]; ok {
		return l
	}
	return p
}

// platformClass is the CSS class suffix of a platform: known ones only, so
// no stored text reaches a class attribute.
func platformClass(p string) string {
	if _, ok := platformLabels[p]; ok {
		return p
	}
	return "other"
}

// activityLabels word activity types for people.
var activityLabels = map[string]string{
	"issue_opened":      "opened an issue",
	"pr_opened":         "opened a pull request",
	"pr_merged":         "had a pull request merged",
	"issue_comment":     "commented",
	"pr_review":         "reviewed a pull request",
	"pr_review_comment": "commented on a review",
	"star":              "starred",
	"fork":              "forked",
	"release":           "published a release",
	"commit":            "committed",
	"post":              "posted",
	"mention":           "mentioned the community",
	"boost":             "boosted",
	"favourite":         "favourited",
	"follow":            "followed",
	"topic_created":     "started a topic",
	"post_created":      "replied",
	"solution_accepted": "had a solution accepted",
	"like":              "liked",
	"question":          "asked a question",
	"answer":            "answered",
	"answer_accepted":   "had an answer accepted",
	"comment":           "commented",
}

// activityTypes lists the activity types in the order the filter shows them.
var activityTypes = []string{
	"issue_opened", "pr_opened", "pr_merged", "issue_comment", "pr_review", "pr_review_comment", "star", "fork", "release", "commit",
	"post", "mention", "boost", "favourite", "follow",
	"topic_created", "post_created", "solution_accepted", "like",
	"question", "answer", "answer_accepted", "comment",
}

func activityLabel(t string) string {
	if l, ok := activityLabels[t]; ok {
		return l
	}
	return strings.ReplaceAll(t, "_", " ")
}

// safeURL returns u as a link target only when it is an absolute http or
// https URL; anything else (javascript:, data:, relative) is no link.
func safeURL(u string) (template.URL, bool) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", false
	}
	// p.String() re-encodes; html/template escapes the attribute.
	return template.URL(p.String()), true
}

// thousands formats n with thousands separators: 12,345.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// relative renders t as "3 days ago" from now.
func relative(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		if future {
			return "in a moment"
		}
		return "just now"
	case d < time.Hour:
		s = plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		s = plural(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		s = plural(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		s = plural(int(d/(30*24*time.Hour)), "month")
	default:
		s = plural(int(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// exact is the full timestamp shown in a title attribute.
func exact(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
}

// dateText is a day as the pages write it: 2 Mar 2026.
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}

// isoTime is the machine-readable datetime attribute of <time>.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// weekStart returns the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	offset := (int(day.Weekday()) + 6) % 7
	return day.AddDate(0, 0, -offset)
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// reactionKinds words the reaction kinds for the timeline, in display
// order: a glyph (decorative, hidden from screen readers), and the singular
// and plural words read out and shown on hover. Kinds not listed are shown
// by name after these.
var reactionKinds = []struct{ kind, glyph, one, many string }{
	{connectors.ReactionScore, "score", "score", "score"},
	{"+1", "+1", "thumbs up", "thumbs up"},
	{"-1", "−1", "thumbs down", "thumbs down"},
	{"heart", "♥", "heart", "hearts"},
	{connectors.ReactionLike, "♥", "like", "likes"},
	{connectors.ReactionFavourite, "★", "favourite", "favourites"},
	{connectors.ReactionReblog, "⟳", "boost", "boosts"},
	{"hooray", "🎉", "hooray", "hoorays"},
	{"laugh", "😄", "laugh", "laughs"},
	{"rocket", "🚀", "rocket", "rockets"},
	{"eyes", "👀", "eyes", "eyes"},
	{"confused", "😕", "confused", "confused"},
}

// reactionsView is an activity's reaction counts as the timeline shows
// them: Short with glyphs ("♥ 3 · +1 2"), Long in words ("3 hearts, 2
// thumbs up") for screen readers and the tooltip.
type reactionsView struct{ Short, Long string }

// reactionsOf words r for the timeline; nil when the service reported
// none or every count is zero.
func reactionsOf(r *connectors.Reactions) *reactionsView {
	if r == nil || len(r.ByKind) == 0 {
		return nil
	}
	var short, long []string
	add := func(glyph, word string, n int) {
		if glyph == "score" {
			short = append(short, "score "+signed(n))
			long = append(long, "score "+signed(n))
			return
		}
		short = append(short, glyph+" "+thousands(n))
		long = append(long, thousands(n)+" "+word)
	}
	known := map[string]bool{}
	for _, k := range reactionKinds {
		known[k.kind] = true
		if n := r.ByKind[k.kind]; n != 0 {
			word := k.many
			if n == 1 {
				word = k.one
			}
			add(k.glyph, word, n)
		}
	}
	var other []string
	for k := range r.ByKind {
		if !known[k] {
			other = append(other, k)
		}
	}
	slices.Sort(other)
	for _, k := range other {
		if n := r.ByKind[k]; n != 0 {
			add(k, k, n)
		}
	}
	if len(short) == 0 {
		return nil
	}
	return &reactionsView{Short: strings.Join(short, " · "), Long: strings.Join(long, ", ")}
}

// signed writes a score with its sign when negative (a true minus sign).
func signed(n int) string {
	if n < 0 {
		return "−" + thousands(-n)
	}
	return thousands(n)
}
