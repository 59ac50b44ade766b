package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// TestDoctorAuthFromCredentialFile: doctor names the credential file a
// token is read from and what GitHub tells of it (scopes, expiry), and
// never the token.
func TestDoctorAuthFromCredentialFile(t *testing.T) {
	exp := time.Now().Add(45 * 24 * time.Hour).Truncate(time.Second)
	gh := githubtest.New(githubtest.WithToken("tok-SENTINEL"), githubtest.WithScopes("public_repo"), githubtest.WithTokenExpiration(exp))
	if _, err := gh.AddRepo(githubtest.Repo{Owner: "o", Name: "r"}); err != nil {
		t.Fatal(err)
	}
	base := gh.Start(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	os.Mkdir(creds, 0o700)
	os.WriteFile(filepath.Join(creds, "github-token"), []byte("tok-SENTINEL\n"), 0o600)
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	path := filepath.Join(dir, "rollcall.yaml")
	os.WriteFile(path, []byte("store: "+filepath.Join(dir, "x.db")+"\nsources:\n  - name: gh\n    type: github\n    token: credential:github-token\n    base_url: "+base+"\n    repos: [o/r]\n"), 0o600)

	code, out, errOut := runMain(t, "--config", path, "doctor", "--unit", filepath.Join(dir, "none.service"))
	if code != exitOK {
		t.Fatalf("doctor: exit %d\n%s\n%s", code, out, errOut)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"auth: token from credential file " + filepath.Join(creds, "github-token"),
		"scopes: public_repo",
		"expires " + exp.UTC().Format("2006-01-02 15:04 MST") + " (in 4", // 44 or 45 days
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "SENTINEL") {
		t.Errorf("doctor printed the token:\n%s", out)
	}
}

// TestDoctorServiceOutOfReach: a service that does not answer within the
// timeout (no network) is a warning that says "could not reach" and still
// names the credentials; doctor does not fail on it.
func TestDoctorServiceOutOfReach(t *testing.T) {
	// A listener that accepts and never answers: no network, as far as
	// the client can tell.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	dir := t.TempDir()
	path := filepath.Join(dir, "rollcall.yaml")
	os.WriteFile(path, []byte("store: "+filepath.Join(dir, "x.db")+"\nsources:\n  - name: gh\n    type: github\n    token: tok-SENTINEL\n    base_url: http://"+ln.Addr().String()+"/\n    repos: [o/r]\n"), 0o600)

	start := time.Now()
	code, out, errOut := runMain(t, "--config", path, "doctor", "--timeout", "300ms", "--unit", filepath.Join(dir, "none.service"))
	if code != exitOK {
		t.Fatalf("doctor with the service out of reach: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("doctor took %s with a 300ms timeout", d)
	}
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "warn auth: static token; could not reach the service") {
		t.Errorf("doctor does not say it could not reach the service:\n%s", out)
	}
	if strings.Contains(out+errOut, "SENTINEL") {
		t.Errorf("doctor printed the token:\n%s", out)
	}
}
