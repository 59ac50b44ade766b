package systemd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/systemd"
)

func TestStatusLine(t *testing.T) {
	now := time.Date(2026, 3, 14, 11, 50, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name   string
		states []systemd.SourceStatus
		want   string
	}{
		{
			name: "issue example",
			states: []systemd.SourceStatus{
				{Name: "github", LastSuccess: ago(2 * time.Minute), LastTick: ago(2 * time.Minute)},
				{Name: "mastodon", LastSuccess: ago(time.Hour), LastTick: ago(time.Minute), PausedUntil: now.Add(15 * time.Minute), LastError: "429 Too Many Requests"},
				{Name: "discourse", LastTick: ago(5 * time.Minute), LastError: "401 Unauthorized"},
				{Name: "stackoverflow"},
			},
			want: "4 sources: github ok 2m ago, mastodon paused (rate limit until 12:05), discourse error 5m ago (401 Unauthorized), stackoverflow never run",
		},
		{name: "none", want: "no sources"},
		{
			name:   "one, just synced",
			states: []systemd.SourceStatus{{Name: "github", LastSuccess: ago(10 * time.Second), LastTick: ago(40 * time.Second)}},
			want:   "1 source: github ok just now",
		},
		{
			name:   "first pass running",
			states: []systemd.SourceStatus{{Name: "github", LastTick: ago(time.Second)}},
			want:   "1 source: github syncing",
		},
		{
			name:   "an old error, then success",
			states: []systemd.SourceStatus{{Name: "github", LastSuccess: ago(3 * time.Hour), LastTick: ago(3 * time.Hour), LastError: "timeout"}},
			want:   "1 source: github ok 3h ago",
		},
		{
			name:   "error after success",
			states: []systemd.SourceStatus{{Name: "github", LastSuccess: ago(3 * 24 * time.Hour), LastTick: ago(10 * time.Minute), LastError: "timeout"}},
			want:   "1 source: github error 10m ago (timeout)",
		},
		{
			name:   "pause over",
			states: []systemd.SourceStatus{{Name: "github", LastSuccess: ago(time.Minute), LastTick: ago(time.Minute), PausedUntil: ago(time.Second)}},
			want:   "1 source: github ok 1m ago",
		},
		{
			name:   "pause into tomorrow",
			states: []systemd.SourceStatus{{Name: "stackoverflow", PausedUntil: now.Add(30 * time.Hour)}},
			want:   "1 source: stackoverflow paused (rate limit until Mar 15 17:50)",
		},
		{
			name: "long error on two lines",
			states: []systemd.SourceStatus{{Name: "discourse", LastTick: ago(time.Minute),
				LastError: "discourse: list posts: 502 Bad Gateway\n<html><body>nginx</body></html>"}},
			want: "1 source: discourse error 1m ago (discourse: list posts: 502 Bad Gateway…)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := systemd.StatusLine(tc.states, now)
			if got != tc.want {
				t.Errorf("StatusLine\n got %q\nwant %q", got, tc.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("StatusLine %q is not one line", got)
			}
		})
	}
}

// The pause time is shown in the caller's location.
func TestStatusLineLocation(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, berlin)
	until := time.Date(2026, 3, 14, 11, 5, 0, 0, time.UTC) // 12:05 in Berlin
	got := systemd.StatusLine([]systemd.SourceStatus{{Name: "mastodon", PausedUntil: until}}, now)
	if want := "1 source: mastodon paused (rate limit until 12:05)"; got != want {
		t.Errorf("StatusLine = %q, want %q", got, want)
	}
}
