//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pseudo-terminal number: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// promptWriter collects stderr and signals each write.
type promptWriter struct {
	lockedBuffer
	wrote chan struct{}
}

func (p *promptWriter) Write(b []byte) (int, error) {
	n, err := p.lockedBuffer.Write(b)
	select {
	case p.wrote <- struct{}{}:
	default:
	}
	return n, err
}

// TestAuthTerminalNoEcho runs `rollcall auth mastodon` with a terminal on
// standard input: the pasted code is not echoed, and the terminal echoes
// again afterwards.
func TestAuthTerminalNoEcho(t *testing.T) {
	master, slave := openPTY(t)
	fake, hc := newMastodonFake()
	path := filepath.Join(t.TempDir(), "mastodon-token")
	errOut := &promptWriter{wrote: make(chan struct{}, 1)}
	var out lockedBuffer
	env := &cliEnv{stdin: slave, stdout: &out, stderr: errOut, getenv: func(string) string { return "" }, now: time.Now,
		httpClient: &http.Client{Transport: hc.Transport}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- cmdAuth(ctx, env, []string{"mastodon", "--server", "https://mastodon.example", "--out", path})
	}()

	// What the terminal shows (its echo) is read from the master side.
	echoed := make(chan string, 1)
	go func() {
		var b strings.Builder
		r := bufio.NewReader(master)
		for {
			c, err := r.ReadByte()
			if err != nil {
				break
			}
			b.WriteByte(c)
			if strings.Contains(b.String(), "END") {
				break
			}
		}
		echoed <- b.String()
	}()

	var authURL string
	for authURL == "" {
		select {
		case <-errOut.wrote:
			if strings.Contains(errOut.String(), "Paste the code: ") {
				authURL = regexp.MustCompile(mastodonAuthURL).FindString(errOut.String())
			}
		case err := <-done:
			t.Fatalf("auth mastodon ended early: %v\nstderr: %s", err, errOut.String())
		case <-ctx.Done():
			t.Fatal("no prompt")
		}
	}
	code, err := fake.Authorize(authURL, "rollcall")
	if err != nil {
		t.Fatal(err)
	}
	// ReadPassword turns echo off before it reads: wait for that.
	for {
		st, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if st.Lflag&unix.ECHO == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("echo never turned off")
		case <-time.After(time.Millisecond):
		}
	}
	if _, err := master.WriteString(code + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("auth mastodon: %v\nstderr: %s", err, errOut.String())
	}
	tok := checkCredential(t, path, &authRun{out: &out, errOut: &errOut.lockedBuffer})
	if !term.IsTerminal(int(slave.Fd())) {
		t.Fatal("not a terminal")
	}
	st, _ := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if st.Lflag&unix.ECHO == 0 {
		t.Error("the terminal's echo is still off")
	}
	// With echo back on, this line is echoed: everything before it is what
	// the terminal showed while the code was typed.
	if _, err := master.WriteString("END\n"); err != nil {
		t.Fatal(err)
	}
	shown := <-echoed
	if strings.Contains(shown, code) || strings.Contains(shown, tok) {
		t.Errorf("the terminal echoed the code: %q", shown)
	}
	if !strings.Contains(shown, "END") {
		t.Errorf("the terminal shows %q, want the echo of END", shown)
	}
}

// TestAuthTerminalInterrupt interrupts `rollcall auth mastodon` while it
// waits for the code on a terminal: it stops, writes nothing, and gives the
// terminal its echo back.
func TestAuthTerminalInterrupt(t *testing.T) {
	master, slave := openPTY(t)
	_, hc := newMastodonFake()
	path := filepath.Join(t.TempDir(), "mastodon-token")
	errOut := &promptWriter{wrote: make(chan struct{}, 1)}
	env := &cliEnv{stdin: slave, stdout: &lockedBuffer{}, stderr: errOut, getenv: func(string) string { return "" }, now: time.Now, httpClient: hc}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- cmdAuth(ctx, env, []string{"mastodon", "--server", "https://mastodon.example", "--out", path})
	}()
	timeout := time.After(time.Minute)
	for !strings.Contains(errOut.String(), "Paste the code: ") {
		select {
		case <-errOut.wrote:
		case <-timeout:
			t.Fatal("no prompt")
		}
	}
	for {
		st, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if st.Lflag&unix.ECHO == 0 {
			break
		}
		select {
		case <-timeout:
			t.Fatal("echo never turned off")
		case <-time.After(time.Millisecond):
		}
	}
	cancel() // Ctrl-C: main's signal.NotifyContext cancels the context.
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted: %v, want context.Canceled", err)
	}
	st, _ := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if st.Lflag&unix.ECHO == 0 {
		t.Error("the terminal's echo is still off after the interrupt")
	}
	noFile(t, path)

	// The read left behind ends with a line; wait for it (its newline on
	// stderr) so that it is done with the terminal before the terminal is
	// closed and its descriptor reused by another test.
	n := len(errOut.String())
	if _, err := master.WriteString("\n"); err != nil {
		t.Fatal(err)
	}
	for len(errOut.String()) == n {
		select {
		case <-errOut.wrote:
		case <-timeout:
			t.Fatal("the abandoned read did not end")
		}
	}
}
