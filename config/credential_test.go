package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A secret read from credential:NAME remembers its file and re-reads it;
// one written in the file or taken from the environment has no file.
func TestSecretFromCredentialFileRereads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gh")
	if err := os.WriteFile(path, []byte("first-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env{Getenv: mapEnv(map[string]string{"TOK": "env-token"}), CredentialsDir: dir}
	cfg, err := Parse("rollcall.yaml", []byte(`
sources:
  - name: a
    type: test
    token: credential:gh
    other: ${TOK}
    plain: written-here
`), env)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Token Secret `yaml:"token"`
		Other Secret `yaml:"other"`
		Plain Secret `yaml:"plain"`
	}
	if err := DecodeSettings(cfg.Sources[0], &s); err != nil {
		t.Fatal(err)
	}
	if s.Token.Reveal() != "first-token" || s.Token.File() != path {
		t.Fatalf("token = %q from %q, want first-token from %s", s.Token.Reveal(), s.Token.File(), path)
	}
	if s.Other.File() != "" || s.Plain.File() != "" {
		t.Errorf("secrets not from a credential have files %q, %q", s.Other.File(), s.Plain.File())
	}
	if err := os.WriteFile(path, []byte("second-token\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.Token.Reread()
	if err != nil || got.Reveal() != "second-token" || got.File() != path {
		t.Fatalf("Reread = %q, %q, %v; want second-token from the same file", got.Reveal(), got.File(), err)
	}
	if same, err := s.Plain.Reread(); err != nil || !same.Equal(s.Plain) {
		t.Errorf("Reread of a plain secret = %v, %v", same, err)
	}

	// A vanished file is an error that names the file, never a token.
	os.Remove(path)
	_, err = got.Reread()
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Reread of a removed file: %v", err)
	}
	for _, leak := range []string{"first-token", "second-token"} {
		if strings.Contains(err.Error(), leak) || strings.Contains(fmt.Sprintf("%v %+v %#v", got, got, got), leak) {
			t.Errorf("%q leaked", leak)
		}
	}
}
