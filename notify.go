package main

import (
	"log/slog"
	"time"

	"github.com/rollcall-dev/rollcall/daemon"
	"github.com/rollcall-dev/rollcall/systemd"
)

// newNotifier returns the systemd notifier (a no-op outside systemd).
func newNotifier(log *slog.Logger) notifier { return systemd.Notifier{} }

// statusLine is the one-line STATUS= text, e.g. "4 sources: github ok 2m
// ago, mastodon paused (rate limit until 12:05), ...".
func statusLine(states []daemon.SourceState, now time.Time) string {
	out := make([]systemd.SourceStatus, 0, len(states))
	for _, s := range states {
		out = append(out, systemd.SourceStatus{Name: s.Name, LastSuccess: s.LastSuccess, LastTick: s.LastTick, PausedUntil: s.PausedUntil, LastError: s.LastError})
	}
	return systemd.StatusLine(out, now)
}
