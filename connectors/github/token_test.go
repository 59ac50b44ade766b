package github

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// credentialSource writes token to $CREDENTIALS_DIRECTORY/github-token and
// returns the source of a config reading it with credential:github-token
// (so that the token source re-reads the file), and the file's path.
func credentialSource(t *testing.T, token, settings string) (config.Source, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "github-token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("sources:\n  - name: gh\n    type: github\n    token: credential:github-token\n")
	for _, line := range strings.Split(strings.TrimSpace(settings), "\n") {
		b.WriteString("    " + line + "\n")
	}
	cfg, err := config.Parse("test.yaml", []byte(b.String()), config.Env{Getenv: func(string) (string, bool) { return "", false }, CredentialsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Sources[0], path
}

// rotateFile replaces the token file as a rotation does: a new file renamed
// over the old one.
func rotateFile(t *testing.T, path, token string) {
	t.Helper()
	if err := os.WriteFile(path+".new", []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// The token file is rotated (and the old token revoked) in the middle of a
// running sync: the next request carries the new token, the sync goes on
// with no 401 and no new connector, and no token reaches the logs.
func TestTokenRotatedUnderRunningSync(t *testing.T) {
	e := newEnv(t)
	e.loadCommunity(60)
	settings := strings.Replace(e.yaml, "token: tok-SENTINEL\n", "", 1)
	src, path := credentialSource(t, "tok-SENTINEL", settings)
	c, err := newConnector(connectors.Options{Source: src, Logger: e.conn().log, Now: e.clk.Now, HTTP: e.srv.Transport(), Profiles: e.store, Version: "test"}, e.clk.Sleep)
	if err != nil {
		t.Fatal(err)
	}
	c.stepsPerBatch = 2
	if done, err := e.sync(c, 2); err != nil || done {
		t.Fatalf("first batches: done=%v err=%v (the community must need more batches)", done, err)
	}
	before := e.srv.Count()

	rotateFile(t, path, "tok-ROTATED-SENTINEL")
	e.srv.SetToken("tok-ROTATED-SENTINEL") // the old token is revoked
	if _, err := e.sync(c, 0); err != nil {
		t.Fatalf("sync after the rotation: %v", err)
	}
	reqs := e.srv.Requests()
	if len(reqs) <= before {
		t.Fatal("no request after the rotation")
	}
	for _, r := range reqs[before:] {
		if r.Status == 401 {
			t.Fatalf("a request after the rotation was refused: %+v", r)
		}
		if !r.Authenticated {
			t.Fatalf("a request after the rotation had no token: %+v", r)
		}
	}
	if !strings.Contains(e.logs.String(), "credential file changed") {
		t.Errorf("the logs do not say the token changed:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), "SENTINEL") {
		t.Errorf("a token is in the logs:\n%s", e.logs.String())
	}

	// A revoked token that was not rotated is a clear 401, without it.
	e.srv.SetToken("tok-OTHER")
	e.store.cursor = connectors.Cursor{}
	_, err = e.sync(c, 1)
	var un *connectors.ErrUnauthorized
	if !errors.As(err, &un) {
		t.Fatalf("err = %v, want *connectors.ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "SENTINEL") {
		t.Errorf("the error shows a token: %v", err)
	}
}

// Check says which credentials are used and what GitHub tells of them.
func TestCheckReportsScopesAndExpiry(t *testing.T) {
	exp := testNow.Add(30 * 24 * time.Hour)
	for _, tc := range []struct {
		name string
		opts []githubtest.Option
		want []string
	}{
		{"classic", []githubtest.Option{githubtest.WithScopes("public_repo", "read:org"), githubtest.WithTokenExpiration(exp)},
			[]string{"token accepted", "scopes: public_repo, read:org", "expires 2025-07-01 12:00 UTC (in 30 days)"}},
		{"no scopes", []githubtest.Option{githubtest.WithScopes()}, []string{"scopes: none", "no expiry reported"}},
		{"fine-grained", []githubtest.Option{githubtest.WithTokenExpiration(testNow.Add(-time.Hour))},
			[]string{"scopes not reported", "(expired)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts...)
			e.loadCommunity(5)
			got, err := e.conn().Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Check = %q, want it to contain %q", got, w)
				}
			}
			if strings.Contains(got, "SENTINEL") {
				t.Errorf("Check shows the token: %q", got)
			}
		})
	}
}

// AuthKind tells a static token, a credential file and none apart.
func TestAuthKind(t *testing.T) {
	e := newEnv(t)
	if got := e.conn().AuthKind(); got != "static token" {
		t.Errorf("static: %q", got)
	}
	src, path := credentialSource(t, "tok-SENTINEL", "base_url: "+fakeBase+"\nrepos: [a/b]")
	c, err := newConnector(connectors.Options{Source: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.AuthKind(); !strings.Contains(got, "credential file "+path) {
		t.Errorf("credential: %q", got)
	}
	e.yaml = "base_url: " + fakeBase + "\nrepos: [a/b]\n"
	if got := e.conn().AuthKind(); got != "none" {
		t.Errorf("none: %q", got)
	}
}
