package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds rollcall once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rollcall-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "rollcall")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// syncBuffer is a bytes.Buffer safe for a process writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// notifySocket listens on a unix datagram socket and collects messages.
type notifySocket struct {
	path string
	mu   sync.Mutex
	msgs []string
	ch   chan string
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn") // short path: unix socket names are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ns := &notifySocket{path: filepath.Join(dir, "notify"), ch: make(chan string, 1024)}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: ns.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			for _, line := range strings.Split(string(buf[:n]), "\n") {
				ns.mu.Lock()
				ns.msgs = append(ns.msgs, line)
				ns.mu.Unlock()
				ns.ch <- line
			}
		}
	}()
	return ns
}

// await waits for a message starting with prefix.
func (ns *notifySocket) await(t *testing.T, prefix string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-ns.ch:
			if strings.HasPrefix(m, prefix) {
				return
			}
		case <-deadline:
			ns.mu.Lock()
			defer ns.mu.Unlock()
			t.Fatalf("no %q within %v; got %q", prefix, within, ns.msgs)
		}
	}
}

// awaitEver waits until a message starting with prefix has been
// received, counting those that an earlier await went past.
func (ns *notifySocket) awaitEver(t *testing.T, prefix string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ns.mu.Lock()
		for _, m := range ns.msgs {
			if strings.HasPrefix(m, prefix) {
				ns.mu.Unlock()
				return
			}
		}
		ns.mu.Unlock()
		if time.Now().After(deadline) {
			ns.mu.Lock()
			defer ns.mu.Unlock()
			t.Fatalf("no %q within %v; got %q", prefix, within, ns.msgs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// service is a running rollcall process against a fake GitHub.
type service struct {
	cmd    *exec.Cmd
	logs   *syncBuffer
	cfg    string
	db     string
	listen string
	base   string
	org    string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startService(t *testing.T, env ...string) *service {
	t.Helper()
	bin := binary(t)
	c := community.Generate(9, 30, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New()
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &service{logs: &syncBuffer{}, cfg: filepath.Join(dir, "rollcall.yaml"), db: filepath.Join(dir, "rollcall.db"),
		listen: freeAddr(t), base: fake.Start(t), org: c.Org}
	s.writeConfig(t, "github-a")
	s.cmd = exec.Command(bin, "--config", s.cfg, "run")
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
	return s
}

// writeConfig writes a valid config with the named GitHub sources.
func (s *service) writeConfig(t *testing.T, names ...string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s\nlisten: %s\nsources:\n", s.db, s.listen)
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n    type: github\n    token: t\n    base_url: %s\n    orgs: [%s]\n    interval: 1m\n", n, s.base, s.org)
	}
	if err := os.WriteFile(s.cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (s *service) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.listen + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *service) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSystemdNotifyProtocol runs the daemon with a NOTIFY_SOCKET and a
// watchdog, and checks READY=1 after the port accepts connections,
// WATCHDOG=1 while healthy, STATUS=, RELOADING=1 then READY=1 on SIGHUP, and
// STOPPING=1 on SIGTERM.
func TestSystemdNotifyProtocol(t *testing.T) {
	ns := newNotifySocket(t)
	s := startService(t, "NOTIFY_SOCKET="+ns.path, "WATCHDOG_USEC=400000")
	ns.await(t, "READY=1", 20*time.Second)
	// READY came after the listener was bound: it must accept now.
	conn, err := net.Dial("tcp", s.listen)
	if err != nil {
		t.Fatalf("READY=1 sent but %s refuses connections: %v", s.listen, err)
	}
	conn.Close()
	ns.await(t, "WATCHDOG=1", 5*time.Second)
	// The status may come before the first WATCHDOG=1.
	ns.awaitEver(t, "STATUS=1 source: github-a ok", 20*time.Second)

	s.cmd.Process.Signal(syscall.SIGHUP)
	ns.await(t, "RELOADING=1", 5*time.Second)
	ns.await(t, "READY=1", 5*time.Second)

	s.cmd.Process.Signal(syscall.SIGTERM)
	ns.await(t, "STOPPING=1", 5*time.Second)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, s.logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10s of SIGTERM")
	}
}

// TestReloadKeepsRunningConfigWhenInvalid sends SIGHUP with a broken config
// (the old one keeps running), then with a valid one that adds a source.
func TestReloadKeepsRunningConfigWhenInvalid(t *testing.T) {
	s := startService(t)
	s.waitFor(t, "ready", func() bool { code, _ := s.get(t, "/readyz"); return code == 200 })

	if err := os.WriteFile(s.cfg, []byte("store: x.db\nsources:\n  - name: github-a\n    type: github\n    repos: [o/r]\n    interval: 5x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitFor(t, "the rejection", func() bool { return strings.Contains(s.logs.String(), "reload rejected") })
	if !strings.Contains(s.logs.String(), `rollcall.yaml:6: sources[0].interval: invalid duration \"5x\"`) &&
		!strings.Contains(s.logs.String(), `rollcall.yaml:6: sources[0].interval: invalid duration "5x"`) {
		t.Errorf("rejection does not name file:line:field:\n%s", s.logs.String())
	}
	if code, _ := s.get(t, "/readyz"); code != 200 {
		t.Errorf("/readyz = %d after a rejected reload, want the old config still serving", code)
	}
	if _, m := s.get(t, "/metrics"); !strings.Contains(m, `rollcall_source_activities_ingested_total{source="github-a"}`) {
		t.Errorf("the running source is gone after a rejected reload")
	}

	s.writeConfig(t, "github-a", "github-b")
	s.cmd.Process.Signal(syscall.SIGHUP)
	// The new source's series may appear a moment before the reload is
	// logged as done: wait for both.
	s.waitFor(t, "the new source and the reload log", func() bool {
		_, m := s.get(t, "/metrics")
		return strings.Contains(m, `rollcall_source_activities_ingested_total{source="github-b"}`) &&
			strings.Contains(s.logs.String(), "configuration reloaded")
	})
}

// TestDoctor runs doctor against the demo's fakes (all fine), then with a
// token the fake refuses (the source and the fix are named, exit 1).
func TestDoctor(t *testing.T) {
	w, err := startDemoWorld(3, 20, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), community.WorldOptions{Credentials: community.DefaultCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	cfg, err := demoConfig(w, db, time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	_ = cfg
	// Write the same configuration to a file, as an operator would.
	text := demoConfigText(t, w, db)
	path := filepath.Join(dir, "rollcall.yaml")
	os.WriteFile(path, []byte(text), 0o600)

	code, out, errOut := runMain(t, "--config", path, "doctor", "--unit", filepath.Join(dir, "none.service"))
	if code != exitOK || !strings.Contains(out, "all fine") {
		t.Fatalf("doctor against the demo fakes: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"source github (github)", "source mastodon (mastodon)", "source discourse (discourse)", "source stackoverflow (stackoverflow)", "config", "store",
		// Per source: the kind of credentials, the scopes and the expiry
		// where the service tells them.
		"auth: static token; token accepted; scopes: public_repo, read:org; no expiry reported",
		`auth: static token; token accepted for rollcall@`, `app "rollcall" with scopes read:accounts read:statuses read:notifications read:follows`} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	bad := strings.Replace(text, community.WorldGitHubToken, "revoked-token", 1)
	os.WriteFile(path, []byte(bad), 0o600)
	code, out, errOut = runMain(t, "--config", path, "doctor", "--unit", filepath.Join(dir, "none.service"))
	if code != exitFail {
		t.Errorf("doctor with a refused token: exit %d, want 1", code)
	}
	if !strings.Contains(out, "check token for source github") || !strings.Contains(out, "FIX") {
		t.Errorf("doctor does not name the source and the fix:\n%s\n%s", out, errOut)
	}
	if strings.Contains(out+errOut, "revoked-token") {
		t.Errorf("doctor printed the token")
	}
}

// demoConfigText renders the demo world's configuration as YAML.
func demoConfigText(t *testing.T, w *community.World, db string) string {
	t.Helper()
	return w.ConfigText(db, time.Minute)
}

func TestLogFormats(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		journal bool
		want    string
		notWant string
	}{
		{"json", []string{"--log-format", "json"}, false, `"msg":"store open"`, ""},
		{"text", nil, false, "time=", ""},
		{"journal", nil, true, "level=INFO msg=\"store open\"", "time="},
		{"level", []string{"--log-level", "error"}, false, "", "store open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "x.db")
			var out, errb bytes.Buffer
			env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string {
				if k == "JOURNAL_STREAM" && tt.journal {
					return "8:1234"
				}
				return ""
			}}
			args := append([]string{"demo", "--once", "--quiet", "--size", "10", "--store", db}, tt.args...)
			rest, err := env.parseGlobals(args)
			if err != nil {
				t.Fatal(err)
			}
			if err := cmdDemo(context.Background(), env, rest[1:]); err != nil {
				t.Fatalf("demo: %v\n%s", err, errb.String())
			}
			if tt.want != "" && !strings.Contains(errb.String(), tt.want) {
				t.Errorf("logs lack %q:\n%s", tt.want, errb.String())
			}
			if tt.notWant != "" && strings.Contains(errb.String(), tt.notWant) {
				t.Errorf("logs contain %q:\n%s", tt.notWant, errb.String())
			}
		})
	}
}
