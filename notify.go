package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/daemon"
)

// newNotifier returns the systemd notifier (a no-op outside systemd).
func newNotifier(log *slog.Logger) notifier { return nopNotifier{} }

type nopNotifier struct{}

func (nopNotifier) Ready() error                                          { return nil }
func (nopNotifier) Reloading() error                                      { return nil }
func (nopNotifier) Stopping() error                                       { return nil }
func (nopNotifier) Status(string) error                                   { return nil }
func (nopNotifier) Watchdog(ctx context.Context, alive func() bool) error { <-ctx.Done(); return nil }

// statusLine is the one-line STATUS= text.
func statusLine(states []daemon.SourceState, now time.Time) string {
	parts := make([]string, 0, len(states))
	for _, s := range states {
		parts = append(parts, s.Name+" "+fmt.Sprint(s.Passes))
	}
	return fmt.Sprintf("%d sources: %s", len(states), strings.Join(parts, ", "))
}
