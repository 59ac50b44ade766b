package systemd_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/systemd"
)

// The tests play systemd: they listen on a unixgram socket, point
// NOTIFY_SOCKET at it and read what the Notifier sends. They use real time
// because testing/synctest cannot fake the clock while a goroutine waits on
// a socket (network I/O is not durably blocking). Waits are bounded and no
// test asserts more than "some messages" or "none within N pings".

// wait bounds every read that expects a message.
const wait = 10 * time.Second

// fakeSystemd is the receiving end of NOTIFY_SOCKET.
type fakeSystemd struct {
	t    *testing.T
	conn *net.UnixConn
}

// listen creates the socket in t.TempDir, sets NOTIFY_SOCKET to it and
// clears the watchdog variables.
func listen(t *testing.T) *fakeSystemd {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen unixgram %s: %v", path, err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "")
	t.Setenv("WATCHDOG_PID", "")
	return &fakeSystemd{t: t, conn: conn}
}

// next returns the next datagram, failing the test if none comes within wait.
func (s *fakeSystemd) next() string {
	s.t.Helper()
	msg, ok := s.read(wait)
	if !ok {
		s.t.Fatalf("no notification within %v", wait)
	}
	return msg
}

// read returns the next datagram, or false when none comes within d.
func (s *fakeSystemd) read(d time.Duration) (string, bool) {
	s.t.Helper()
	buf := make([]byte, 4096)
	if err := s.conn.SetReadDeadline(time.Now().Add(d)); err != nil {
		s.t.Fatal(err)
	}
	n, err := s.conn.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "", false
	}
	if err != nil {
		s.t.Fatalf("read notification: %v", err)
	}
	return string(buf[:n]), true
}

// drain returns the datagrams already queued on the socket. It gives up
// after a second, so that a sender that never stops cannot hold it.
func (s *fakeSystemd) drain() []string {
	s.t.Helper()
	var msgs []string
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		msg, ok := s.read(50 * time.Millisecond)
		if !ok {
			return msgs
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

func TestNotifierSendsStates(t *testing.T) {
	sd := listen(t)
	var n systemd.Notifier

	if err := n.Ready(); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if got, want := sd.next(), "READY=1"; got != want {
		t.Errorf("Ready sent %q, want %q", got, want)
	}

	line := "2 sources: github ok 2m ago, mastodon never run"
	if err := n.Status(line); err != nil {
		t.Fatalf("Status: %v", err)
	}
	if got, want := sd.next(), "STATUS="+line; got != want {
		t.Errorf("Status sent %q, want %q", got, want)
	}

	if err := n.Reloading(); err != nil {
		t.Fatalf("Reloading: %v", err)
	}
	got := sd.next()
	m := regexp.MustCompile(`^RELOADING=1\nMONOTONIC_USEC=([0-9]+)$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("Reloading sent %q, want RELOADING=1 and MONOTONIC_USEC=", got)
	}
	if usec, err := strconv.ParseInt(m[1], 10, 64); err != nil || usec <= 0 {
		t.Errorf("MONOTONIC_USEC=%s, want a positive number of microseconds", m[1])
	}
	if err := n.Ready(); err != nil {
		t.Fatalf("Ready after reload: %v", err)
	}
	if got, want := sd.next(), "READY=1"; got != want {
		t.Errorf("Ready after reload sent %q, want %q", got, want)
	}

	if err := n.Stopping(); err != nil {
		t.Fatalf("Stopping: %v", err)
	}
	if got, want := sd.next(), "STOPPING=1"; got != want {
		t.Errorf("Stopping sent %q, want %q", got, want)
	}
	if os.Getenv("NOTIFY_SOCKET") == "" {
		t.Error("NOTIFY_SOCKET was unset; later notifications would be lost")
	}
}

// A STATUS= text must not be able to smuggle in another assignment.
func TestStatusIsOneLine(t *testing.T) {
	sd := listen(t)
	var n systemd.Notifier
	if err := n.Status("github error (bad\nREADY=1\r\nSTOPPING=1)"); err != nil {
		t.Fatalf("Status: %v", err)
	}
	got := sd.next()
	if strings.ContainsAny(got, "\r\n") {
		t.Errorf("Status sent %q, want a single line", got)
	}
	if want := "STATUS=github error (bad READY=1  STOPPING=1)"; got != want {
		t.Errorf("Status sent %q, want %q", got, want)
	}
}

func TestNoopWithoutSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	// A watchdog variable without a socket (left over from a parent) must
	// not start pinging into nothing.
	t.Setenv("WATCHDOG_USEC", "20000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	var n systemd.Notifier
	for name, f := range map[string]func() error{
		"Ready":     n.Ready,
		"Reloading": n.Reloading,
		"Stopping":  n.Stopping,
		"Status":    func() error { return n.Status("1 source: github ok just now") },
	} {
		if err := f(); err != nil {
			t.Errorf("%s without NOTIFY_SOCKET: %v, want nil", name, err)
		}
	}
	if got := n.WatchdogInterval(); got != 0 {
		t.Errorf("WatchdogInterval without NOTIFY_SOCKET = %v, want 0", got)
	}
	done := make(chan error, 1)
	called := atomic.Bool{}
	go func() {
		done <- n.Watchdog(context.Background(), func() bool { called.Store(true); return true })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Watchdog without NOTIFY_SOCKET: %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Watchdog without NOTIFY_SOCKET did not return at once")
	}
	if called.Load() {
		t.Error("Watchdog without NOTIFY_SOCKET called alive")
	}
}

func TestErrorWhenSocketIsGone(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	var n systemd.Notifier
	err := n.Ready()
	if err == nil {
		t.Fatal("Ready to a missing socket: nil error, want one")
	}
	if !strings.HasPrefix(err.Error(), "systemd: notify READY: ") {
		t.Errorf("Ready error = %q, want it to start with %q", err, "systemd: notify READY: ")
	}

	t.Setenv("WATCHDOG_USEC", "20000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := n.Watchdog(ctx, func() bool { return true }); err == nil || ctx.Err() != nil {
		t.Errorf("Watchdog to a missing socket = %v (ctx %v), want an error at the first ping", err, ctx.Err())
	}
}

func TestWatchdogInterval(t *testing.T) {
	listen(t)
	var n systemd.Notifier
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},                           // no WatchdogSec=
		{"60000000", pid, 60 * time.Second},   // WatchdogSec=60
		{"60000000", "", 60 * time.Second},    // no WATCHDOG_PID: ours
		{"60000000", "1", 0},                  // another process is watched
		{"sixty", pid, 0},                     // malformed
		{"-5", pid, 0},                        // malformed
		{"20000", pid, 20 * time.Millisecond}, // the tests' interval
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		if got := n.WatchdogInterval(); got != tc.want {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: WatchdogInterval() = %v, want %v", tc.usec, tc.pid, got, tc.want)
		}
	}
}

func TestWatchdogMalformedInterval(t *testing.T) {
	listen(t)
	t.Setenv("WATCHDOG_USEC", "sixty")
	var n systemd.Notifier
	if err := n.Watchdog(context.Background(), func() bool { return true }); err == nil {
		t.Error("Watchdog with WATCHDOG_USEC=sixty: nil error, want one")
	}
}

// TestWatchdogFollowsLiveness plays a healthy daemon, then a stuck
// scheduler, then a recovered one: WATCHDOG=1 flows, stops, flows again.
func TestWatchdogFollowsLiveness(t *testing.T) {
	sd := listen(t)
	t.Setenv("WATCHDOG_USEC", "20000") // a ping every 10ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))

	var healthy atomic.Bool
	healthy.Store(true)
	// checks receives each answer alive gives, so the test knows when the
	// Watchdog loop has seen a change. It is buffered so that alive never
	// blocks on a test that is reading the socket instead.
	checks := make(chan bool, 1000)
	alive := func() bool {
		ok := healthy.Load()
		select {
		case checks <- ok:
		default:
		}
		return ok
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- systemd.Notifier{}.Watchdog(ctx, alive) }()
	stop := func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watchdog after cancel = %v, want nil", err)
			}
		case <-time.After(wait):
			t.Fatal("Watchdog did not return after its context ended")
		}
	}
	defer stop()

	// Healthy: pings arrive.
	for range 3 {
		if got, want := sd.next(), "WATCHDOG=1"; got != want {
			t.Fatalf("healthy: got %q, want %q", got, want)
		}
	}

	// Stuck: once alive has answered false, no ping may follow, because the
	// loop sends only right after a true answer. Pings sent before that
	// answer are already queued, so drain them first.
	healthy.Store(false)
	awaitCheck(t, checks, false)
	sd.drain()
	for len(checks) > 0 { // forget answers given while draining
		<-checks
	}
	for range 5 { // five more ping periods, each answered false
		awaitCheck(t, checks, false)
	}
	if msg, ok := sd.read(50 * time.Millisecond); ok {
		t.Fatalf("stuck: got %q, want no notification", msg)
	}

	// Recovered: pings resume.
	healthy.Store(true)
	for {
		got := sd.next()
		if got == "WATCHDOG=1" {
			break
		}
		t.Fatalf("recovered: got %q, want WATCHDOG=1", got)
	}
}

// awaitCheck waits until alive has answered want.
func awaitCheck(t *testing.T, checks <-chan bool, want bool) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case got := <-checks:
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("alive was not asked within %v", wait)
		}
	}
}

// Cancelling the context stops the watchdog even between pings.
func TestWatchdogStopsWithContext(t *testing.T) {
	listen(t)
	t.Setenv("WATCHDOG_USEC", "3600000000") // an hour: the ticker never fires
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	asked := make(chan struct{}, 1)
	go func() {
		done <- systemd.Notifier{}.Watchdog(ctx, func() bool {
			select {
			case asked <- struct{}{}:
			default:
			}
			return false
		})
	}()
	select {
	case <-asked: // the first check is immediate
	case <-time.After(wait):
		t.Fatal("Watchdog did not check liveness at once")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Watchdog after cancel = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Watchdog did not return after its context ended")
	}
}
