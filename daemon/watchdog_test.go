package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/systemd"
)

// TestWatchdogFollowsSchedulerLiveness feeds systemd's watchdog from
// Daemon.Alive over a real notify socket: WATCHDOG=1 flows while the
// supervisor ticks, stops while it is stuck, and resumes when it recovers.
func TestWatchdogFollowsSchedulerLiveness(t *testing.T) {
	dir, err := os.MkdirTemp("", "wd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "n")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var pings atomic.Int64
	go func() {
		buf := make([]byte, 1024)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			if strings.Contains(string(buf[:n]), "WATCHDOG=1") {
				pings.Add(1)
			}
		}
	}()
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "40000")

	st := openStore(t)
	d := New(Options{Store: st, Tick: 10 * time.Millisecond})
	var stuck atomic.Bool
	release := make(chan struct{})
	d.tickHook = func() {
		if stuck.Load() {
			<-release
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error)
	go func() { runDone <- d.Run(ctx) }()
	wdDone := make(chan error)
	go func() { wdDone <- (systemd.Notifier{}).Watchdog(ctx, func() bool { return d.Alive(ctx) }) }()
	t.Cleanup(func() {
		cancel()
		<-wdDone
		<-runDone
	})

	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out: %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitUntil("pings while healthy", func() bool { return pings.Load() >= 3 })

	stuck.Store(true)
	waitUntil("not alive once stuck", func() bool { return !d.Alive(ctx) })
	// Let any ping already decided reach the socket, then expect silence
	// for many watchdog intervals.
	time.Sleep(60 * time.Millisecond)
	before := pings.Load()
	time.Sleep(300 * time.Millisecond)
	if got := pings.Load() - before; got != 0 {
		t.Errorf("%d WATCHDOG=1 sent while the scheduler was stuck", got)
	}

	stuck.Store(false)
	close(release)
	after := pings.Load()
	waitUntil("pings after recovery", func() bool { return pings.Load() > after+2 })
}
