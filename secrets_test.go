package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// sentinel is a token that must never appear in logs, errors, output or the
// database.
const sentinel = "ghp_SENTINEL0123456789abcdefSENTINEL"

// TestTokenNeverLeaks syncs with a sentinel token at debug level, then with a
// refused token, and searches every output and the SQLite files for it.
func TestTokenNeverLeaks(t *testing.T) {
	c := community.Generate(7, 20, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New(githubtest.WithToken(sentinel))
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	base := fake.Start(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	cfgPath := filepath.Join(dir, "rollcall.yaml")
	writeCfg := func(token string) {
		body := fmt.Sprintf("store: %s\nsources:\n  - name: upstream\n    type: github\n    token: ${ROLLCALL_TEST_TOKEN}\n    base_url: %s\n    orgs: [%s]\n", db, base, c.Org)
		if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("ROLLCALL_TEST_TOKEN", token)
	}

	writeCfg(sentinel)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--config", cfgPath, "--log-level", "debug", "sync", "--once"}, strings.NewReader(""), &out, &errb)
	if code != exitOK {
		t.Fatalf("sync exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if fake.Count() == 0 {
		t.Fatal("no request reached the fake")
	}
	// Members and journeys print nothing secret either.
	run(context.Background(), []string{"--config", cfgPath, "members", "--format", "json", "--limit", "0"}, strings.NewReader(""), &out, &errb)

	// A refused token: the error names the source and the fix, not the token.
	writeCfg(sentinel + "-revoked")
	var out2, errb2 bytes.Buffer
	code = run(context.Background(), []string{"--config", cfgPath, "--log-level", "debug", "sync", "--once"}, strings.NewReader(""), &out2, &errb2)
	if code != exitFail {
		t.Errorf("sync with a refused token: exit %d, want 1", code)
	}
	if !strings.Contains(out2.String()+errb2.String(), "check token for source upstream") {
		t.Errorf("refused token not reported with its fix:\n%s\n%s", out2.String(), errb2.String())
	}

	for name, text := range map[string]string{"stdout": out.String() + out2.String(), "stderr": errb.String() + errb2.String()} {
		if strings.Contains(text, "SENTINEL") {
			t.Errorf("%s contains the token:\n%s", name, text)
		}
	}
	files, _ := filepath.Glob(db + "*")
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("SENTINEL")) {
			t.Errorf("%s contains the token", f)
		}
	}
}
