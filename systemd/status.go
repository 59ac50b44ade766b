package systemd

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SourceStatus is what StatusLine needs to know about one source. The
// daemon fills it from its own per-source state.
type SourceStatus struct {
	// Name is the source's name from the configuration.
	Name string
	// LastSuccess is when a sync pass last completed without error; zero
	// if none has.
	LastSuccess time.Time
	// LastTick is when the source's loop last ran a pass, whatever the
	// outcome; zero if it has not started.
	LastTick time.Time
	// PausedUntil is when a rate-limit pause ends; zero or past when the
	// source is not paused.
	PausedUntil time.Time
	// LastError is the last pass's error, or empty. It counts only when
	// it is newer than LastSuccess (LastTick after LastSuccess).
	LastError string
}

// maxErrorLen caps the error text quoted per source, in runes, so that
// the line stays readable in `systemctl status`.
const maxErrorLen = 40

// StatusLine returns a one-line summary of the sources for STATUS=, such as
//
//	4 sources: github ok 2m ago, mastodon paused (rate limit until 12:05), discourse error 5m ago (401 Unauthorized), stackoverflow never run
//
// A source is paused while PausedUntil is after now (the time is shown in
// now's location, with the date when it is not within a day); in error
// when LastError is set and its pass is newer than the last success (ago is
// counted from LastTick, and the error is quoted, shortened); ok with the
// age of its last success; syncing when its first pass has started; never
// run otherwise.
func StatusLine(states []SourceStatus, now time.Time) string {
	var b strings.Builder
	switch len(states) {
	case 0:
		return "no sources"
	case 1:
		b.WriteString("1 source: ")
	default:
		fmt.Fprintf(&b, "%d sources: ", len(states))
	}
	for i, s := range states {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(oneLine(s.Name))
		b.WriteByte(' ')
		b.WriteString(sourceState(s, now))
	}
	return b.String()
}

// sourceState describes one source, without its name.
func sourceState(s SourceStatus, now time.Time) string {
	failed := s.LastError != "" && (s.LastSuccess.IsZero() || s.LastTick.After(s.LastSuccess))
	switch {
	case s.PausedUntil.After(now):
		return "paused (rate limit until " + clock(s.PausedUntil, now) + ")"
	case failed:
		when := s.LastTick
		if when.IsZero() {
			return "error (" + shorten(oneLine(s.LastError)) + ")"
		}
		return "error " + ago(now.Sub(when)) + " (" + shorten(oneLine(s.LastError)) + ")"
	case !s.LastSuccess.IsZero():
		return "ok " + ago(now.Sub(s.LastSuccess))
	case !s.LastTick.IsZero():
		return "syncing"
	default:
		return "never run"
	}
}

// clock formats t as 15:04, with the date when t is a day or more from now.
func clock(t, now time.Time) string {
	t = t.In(now.Location())
	if t.Sub(now) >= 24*time.Hour {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("15:04")
}

// ago formats d coarsely: "just now", "5m ago", "3h ago", "2d ago".
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
}

// shorten cuts s to maxErrorLen runes, marking the cut with "…".
func shorten(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= maxErrorLen {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:maxErrorLen-1])) + "…"
}
