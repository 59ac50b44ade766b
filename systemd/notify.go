package systemd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier tells systemd about the daemon's state over the sd_notify
// protocol ($NOTIFY_SOCKET). Its zero value is ready to use and it keeps no
// state: every call reads the environment afresh.
//
// When the process does not run under systemd (NOTIFY_SOCKET unset or
// empty) every method does nothing and returns nil, so the daemon calls
// them unconditionally. Errors mean that systemd is there but could not be
// told; they are worth a log line, not a shutdown.
//
// The calls, in the order the daemon makes them:
//
//	Ready      once the store is open and the HTTP listener is bound,
//	           before the first sync (an outage elsewhere must not hold up boot)
//	Watchdog   in its own goroutine for the daemon's lifetime
//	Status     after every sync pass, with StatusLine
//	Reloading  on SIGHUP, then Ready once the new configuration applies
//	Stopping   when shutdown begins
type Notifier struct{}

// Ready sends READY=1: startup (or a reload) is complete.
func (Notifier) Ready() error { return notify(daemon.SdNotifyReady) }

// Reloading sends RELOADING=1 with MONOTONIC_USEC=, the current
// CLOCK_MONOTONIC time that systemd 253 and later expect with it. Send
// Ready when the new configuration is in effect, even if it was refused
// and the old one kept.
func (Notifier) Reloading() error {
	state := daemon.SdNotifyReloading
	if usec := strings.TrimSuffix(daemon.SdNotifyMonotonicUsec(), "\n"); usec != "" {
		state += "\n" + usec
	}
	return notify(state)
}

// Stopping sends STOPPING=1: shutdown has begun. systemd then allows
// TimeoutStopSec= for the process to exit.
func (Notifier) Stopping() error { return notify(daemon.SdNotifyStopping) }

// Status sends STATUS=line, the free-form text that `systemctl status`
// shows. Line breaks in line become spaces: one STATUS= is one line, and a
// newline would let the text forge another assignment (an API's error
// message could hold "\nREADY=1").
func (Notifier) Status(line string) error {
	return notify("STATUS=" + oneLine(line))
}

// WatchdogInterval returns systemd's watchdog timeout for this process
// (WatchdogSec=, passed as WATCHDOG_USEC), or 0 when there is no watchdog:
// not under systemd, no WatchdogSec=, WATCHDOG_PID names another process,
// or WATCHDOG_USEC is malformed. Pings are due every interval/2.
func (Notifier) WatchdogInterval() time.Duration {
	d, err := watchdogInterval()
	if err != nil {
		return 0
	}
	return d
}

func watchdogInterval() (time.Duration, error) {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return 0, nil
	}
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return 0, fmt.Errorf("systemd: watchdog: %w", err)
	}
	return d, nil
}

// Watchdog sends WATCHDOG=1 every WatchdogInterval()/2, starting at once,
// but only when alive() reports true; when it reports false the ping is
// skipped and systemd restarts the service once a whole interval passes
// without one. alive must check the daemon itself (the scheduler still
// ticks, the store answers a ping), never an external service, so that an
// outage elsewhere cannot get the daemon restarted. It is called from
// Watchdog's goroutine only, at most once per ping, and should return
// within a small part of the interval.
//
// Watchdog runs until ctx ends and then returns nil. It returns nil at
// once when there is no watchdog (see WatchdogInterval), so run it with
// something that waits for every task (conc.WaitGroup, sync.WaitGroup)
// rather than something that stops everything when one task returns. It
// returns an error, and stops pinging, when WATCHDOG_USEC is malformed or
// a ping cannot be sent.
func (Notifier) Watchdog(ctx context.Context, alive func() bool) error {
	interval, err := watchdogInterval()
	if err != nil || interval <= 0 {
		return err
	}
	period := interval / 2
	if period <= 0 {
		period = interval
	}
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		if ctx.Err() != nil {
			return nil
		}
		if alive() {
			if err := notify(daemon.SdNotifyWatchdog); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// notify sends state, keeping NOTIFY_SOCKET set for later messages.
func notify(state string) error {
	if _, err := daemon.SdNotify(false, state); err != nil {
		name, _, _ := strings.Cut(state, "=")
		return fmt.Errorf("systemd: notify %s: %w", name, err)
	}
	return nil
}

// oneLine replaces line breaks and other control characters with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
