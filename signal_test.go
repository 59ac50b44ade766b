package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// TestRunStopsOnSIGTERM runs the real binary against the fake GitHub, sends
// SIGTERM while it works, and checks that it exits 0 within 10 seconds with
// the store closed and readable.
func TestRunStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "rollcall")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c := community.Generate(5, 60, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New()
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	base := fake.Start(t)
	db := filepath.Join(dir, "rollcall.db")
	cfg := filepath.Join(dir, "rollcall.yaml")
	body := fmt.Sprintf("store: %s\nsources:\n  - name: upstream\n    type: github\n    token: t0ken\n    base_url: %s\n    orgs: [%s]\n    interval: 1m\n", db, base, c.Org)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	// Every response is slow, so the signal arrives with a fetch in flight.
	for range 5 {
		fake.SlowNext(200 * time.Millisecond)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config", cfg, "run")
	cmd.Stderr = &logs
	cmd.Stdout = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for fake.Count() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if fake.Count() < 3 {
		cmd.Process.Kill()
		t.Fatalf("the daemon made no requests:\n%s", logs.String())
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, logs.String())
		}
		if d := time.Since(sent); d > 10*time.Second {
			t.Errorf("exited %v after SIGTERM, want within 10s", d)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 10s after SIGTERM:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown log:\n%s", logs.String())
	}
	// The store was closed cleanly: it opens and answers.
	code, out, errOut := runMain(t, "members", "--store", db, "--format", "json")
	if code != exitOK {
		t.Errorf("members after shutdown: exit %d: %s %s", code, out, errOut)
	}
}
