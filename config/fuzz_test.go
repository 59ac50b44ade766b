package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Sentinels the fuzzed configurations can reach through ${VAR} and
// credential:NAME: no error may show them.
const (
	fuzzEnvSecret  = "env-SENTINEL-4b1d"
	fuzzCredSecret = "cred-SENTINEL-9e2a"
)

// FuzzParse: whatever the file holds, Parse never panics; it returns a
// configuration or errors that are all *Error (alone or in Errors), each
// naming the file, a line inside it (1-based) and, but for YAML syntax and
// a top level that is not a mapping, the field; no error shows a value read
// from the environment or a credential file; a configuration it returns
// has its defaults and every source a name, a type and a line.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("sources:\n  - name: gh\n    type: github\n    token: ${TOKEN}\n    interval: ${TOKEN}\n"))
	f.Add([]byte("listen: ${TOKEN}\nstore: credential:token\n"))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(fuzzCredSecret+"\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	env := Env{
		Getenv: func(name string) (string, bool) {
			switch name {
			case "TOKEN", "PG_PASSWORD", "DISCOURSE_KEY", "GITHUB_TOKEN":
				return fuzzEnvSecret, true
			case "EMPTY":
				return "", true
			}
			return "", false
		},
		CredentialsDir: dir,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		cfg, err := Parse(name, data, env)
		if err == nil {
			if cfg == nil || cfg.File != name || cfg.Listen == "" || cfg.Store == "" {
				t.Fatalf("Parse returned %+v without an error", cfg)
			}
			for i, s := range cfg.Sources {
				if s.Name == "" || s.Type == "" || s.Line < 1 || s.Index != i {
					t.Fatalf("source %d: %+v", i, s)
				}
			}
			return
		}
		if cfg != nil {
			t.Fatalf("Parse returned both a configuration and %v", err)
		}
		var list []*Error
		var es Errors
		var e *Error
		switch {
		case errors.As(err, &es):
			list = es
		case errors.As(err, &e):
			list = []*Error{e}
		default:
			t.Fatalf("error %T %q is not a config.Error", err, err)
		}
		if len(list) == 0 {
			t.Fatalf("empty Errors")
		}
		// YAML breaks lines at CR LF, LF and a lone CR alike.
		lines := strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r") + 1
		for _, e := range list {
			msg := e.Error()
			switch {
			case e.File != name || !strings.HasPrefix(msg, name+":"):
				t.Fatalf("%q does not name the file", msg)
			case e.Line < 1 || e.Line > lines:
				t.Fatalf("%q: line %d outside the file's %d lines", msg, e.Line, lines)
			case e.Err == nil || e.Err.Error() == "":
				t.Fatalf("%q says nothing", msg)
			case e.Field == "" && !fileLevel(e.Err.Error()):
				t.Fatalf("%q names no field", msg)
			}
		}
		for _, s := range []string{fuzzEnvSecret, fuzzCredSecret} {
			if strings.Contains(err.Error(), s) && !strings.Contains(string(data), s) {
				t.Fatalf("an error shows a secret read for the file:\n%v", err)
			}
		}
	})
}

// fileLevel reports whether an error message is about the file as a
// whole, where no field can be named: YAML syntax, a top level that is
// not a mapping, a top-level key that is not a string.
func fileLevel(msg string) bool {
	for _, p := range []string{"yaml: ", "the configuration must be a mapping", "keys must be strings"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
