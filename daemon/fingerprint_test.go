package daemon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rollcall-dev/rollcall/config"
)

// A token rotated in its credential file keeps the source's fingerprint
// (SIGHUP restarts nothing: the running token source reads the file); a
// new static token or another credential file changes it.
func TestFingerprintCredentialRotation(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fp := func(token string) string {
		t.Helper()
		cfg, err := config.Parse("r.yaml", []byte("sources:\n  - name: gh\n    type: github\n    token: "+token+"\n    repos: [o/r]\n"),
			config.Env{Getenv: func(string) (string, bool) { return "", false }, CredentialsDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return fingerprint(cfg.Sources[0])
	}
	write("a", "one")
	write("b", "one")
	before := fp("credential:a")
	write("a", "two")
	if fp("credential:a") != before {
		t.Error("rotating the token in its file changed the fingerprint")
	}
	if fp("credential:b") == before {
		t.Error("another credential file kept the fingerprint")
	}
	if fp("static-one") == fp("static-two") {
		t.Error("a new static token kept the fingerprint")
	}
}
