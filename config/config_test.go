package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sentinel is a fake token: no test output or error may ever contain it.
const sentinel = "ghp_SENTINEL_must_never_appear_0123456789"

// testEnv returns the environment the testdata files are parsed with, and
// its credentials directory.
func testEnv(t *testing.T) (Env, string) {
	t.Helper()
	dir := t.TempDir()
	for name, v := range map[string]string{
		"github-token":  sentinel + "\n",
		"discourse-key": "dk_" + sentinel,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{
		"GITHUB_TOKEN":       sentinel,
		"PG_PASSWORD":        "pg_" + sentinel,
		"DISCOURSE_KEY":      "dk_" + sentinel,
		"ROLLCALL_API_TOKEN": "tok_" + sentinel,
	}
	return Env{Getenv: mapEnv(vars), CredentialsDir: dir}, dir
}

func mapEnv(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// parseFile parses a testdata file as "rollcall.yaml", the name messages use.
func parseFile(t *testing.T, path string, env Env) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse("rollcall.yaml", data, env)
}

func TestGoodConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.good.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			env, _ := testEnv(t)
			cfg, err := parseFile(t, file, env)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if cfg.Listen == "" || cfg.Store == "" {
				t.Errorf("defaults not applied: %+v", cfg)
			}
		})
	}
}

// badConfigs pairs each testdata/*.bad.yaml with its exact message;
// $CREDS stands for the credentials directory.
var badConfigs = map[string]string{
	"privacy-keep-text.bad.yaml":   `rollcall.yaml:3: privacy.keep_text: must be true or false, not "sometimes"`,
	"privacy-unknown.bad.yaml":     `rollcall.yaml:3: privacy.keep_names: unknown field`,
	"privacy-not-mapping.bad.yaml": `rollcall.yaml:2: privacy: must be a mapping, not a list`,
	"unknown-field.bad.yaml":       `rollcall.yaml:2: lisen: unknown field`,
	"interval-invalid.bad.yaml":    `rollcall.yaml:7: sources[1].interval: invalid duration "5x"`,
	"interval-short.bad.yaml":      `rollcall.yaml:4: sources[0].interval: 30s is below the minimum of 1m`,
	"missing-ttl-short.bad.yaml":   `rollcall.yaml:4: sources[0].missing_ttl: 10s is below the minimum of 1m`,
	"missing-ttl-invalid.bad.yaml": `rollcall.yaml:4: sources[0].missing_ttl: invalid duration "a day"`,
	"duplicate-name.bad.yaml":      `rollcall.yaml:7: sources[2].name: duplicate source name "upstream" (first at line 4)`,
	"syntax.bad.yaml":              `rollcall.yaml:3: yaml: did not find expected ',' or ']'`,
	"env-unset.bad.yaml":           `rollcall.yaml:5: sources[0].token: environment variable ROLLCALL_TEST_UNSET is not set`,
	"env-unterminated.bad.yaml":    `rollcall.yaml:1: listen: unterminated "${": missing "}" (write "$$" for a literal "$")`,
	"env-invalid-name.bad.yaml":    `rollcall.yaml:1: listen: invalid environment variable name "LISTEN-ADDR"`,
	"name-invalid.bad.yaml":        `rollcall.yaml:2: sources[0].name: invalid source name "Up Stream": use lowercase letters, digits, "-" and "_", starting with a letter or digit`,
	"name-not-string.bad.yaml":     `rollcall.yaml:2: sources[0].name: must be a string, not a list`,
	"sources-not-list.bad.yaml":    `rollcall.yaml:2: sources: must be a list of sources, not a mapping`,
	"source-not-mapping.bad.yaml":  `rollcall.yaml:2: sources[0]: must be a mapping with name and type, not a string`,
	"listen-no-port.bad.yaml":      `rollcall.yaml:1: listen: invalid address "localhost": missing port in address (want host:port, such as 127.0.0.1:7171)`,
	"store-scheme.bad.yaml":        `rollcall.yaml:1: store: unsupported store URL scheme "mysql" (want a file path or a postgres:// URL)`,
	"top-level-list.bad.yaml":      `rollcall.yaml:1: the configuration must be a mapping of settings, not a list`,
	"duplicate-key.bad.yaml":       `rollcall.yaml:3: listen: duplicate field (first at line 1)`,
	"duplicate-setting.bad.yaml":   `rollcall.yaml:5: sources[0].repos: duplicate field (first at line 4)`,
	"syntax-tab.bad.yaml":          `rollcall.yaml:3: yaml: found character that cannot start any token`,
	// yaml.v3 points at the start of the list an item is badly indented in.
	"syntax-indent.bad.yaml":        `rollcall.yaml:2: yaml: did not find expected '-' indicator`,
	"two-documents.bad.yaml":        `rollcall.yaml:2: yaml: only one document is allowed`,
	"credential-missing.bad.yaml":   `rollcall.yaml:4: sources[0].token: credential "no-such-token": read $CREDS/no-such-token: no such file or directory`,
	"credential-traversal.bad.yaml": `rollcall.yaml:4: sources[0].token: invalid credential name "../../etc/shadow": it must be a plain file name`,
	"auth-missing.bad.yaml":         `rollcall.yaml:1: auth: required: listen "0.0.0.0:7171" is not a loopback address, so the web pages and API need an auth section with a token and users (or listen on 127.0.0.1)`,
	"auth-empty.bad.yaml":           "rollcall.yaml:2: auth.token: required: the auth section needs a token (for the API) and/or users (for the pages)",
	"auth-invalid.bad.yaml": strings.Join([]string{
		"rollcall.yaml:3: auth.token: too short: use at least 16 random characters (e.g. openssl rand -hex 32)",
		"rollcall.yaml:6: auth.users[0].password_hash: not a password hash (want pbkdf2-sha256$…, from 'rollcall auth hash-password')",
		`rollcall.yaml:7: auth.users[1].name: duplicate user "ann" (first at line 5)`,
		`rollcall.yaml:9: auth.tls: must be true or false, not "maybe"`,
		"rollcall.yaml:10: auth.colour: unknown field",
	}, "\n"),
	"team-not-list.bad.yaml": `rollcall.yaml:1: team: must be a list of platform:username or member ids, not a string`,
	"team-invalid.bad.yaml": strings.Join([]string{
		`rollcall.yaml:4: team[2]: must be platform:username or a member id, not "ann"`,
		`rollcall.yaml:5: team[3]: must be a string, not a list`,
		`rollcall.yaml:6: team[4]: member id must be positive, not "0"`,
		`rollcall.yaml:7: team[5]: must be platform:username or a member id, not ":bob"`,
	}, "\n"),
	"required.bad.yaml": strings.Join([]string{
		`rollcall.yaml:2: sources[0].name: required`,
		`rollcall.yaml:2: sources[0].type: required`,
		`rollcall.yaml:3: sources[1].type: required`,
	}, "\n"),
	"many.bad.yaml": strings.Join([]string{
		`rollcall.yaml:2: lisen: unknown field`,
		`rollcall.yaml:6: sources[0].interval: invalid duration "soon"`,
		`rollcall.yaml:7: sources[1].name: duplicate source name "upstream" (first at line 4)`,
		`rollcall.yaml:9: sources[1].interval: 1s is below the minimum of 1m`,
		`rollcall.yaml:10: sources[2].name: required`,
	}, "\n"),
}

func TestTeam(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []TeamEntry
	}{
		{"absent", "store: x.db\n", nil},
		{"empty", "team: []\n", nil},
		{"null", "team:\n", nil},
		{"identities and members", "team:\n  - github:Ann\n  - 42\n  - ' discourse:carol '\n", []TeamEntry{
			{Platform: "github", Username: "Ann", Line: 2},
			{MemberID: 42, Line: 3},
			{Platform: "discourse", Username: "carol", Line: 4},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("rollcall.yaml", []byte(tt.yaml), Env{Getenv: mapEnv(nil)})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, cfg.Team); diff != "" {
				t.Errorf("Team (-want +got):\n%s", diff)
			}
		})
	}
	if got := (TeamEntry{Platform: "github", Username: "ann"}).String() + " " + (TeamEntry{MemberID: 7}).String(); got != "github:ann 7" {
		t.Errorf("String = %q", got)
	}
}

func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	for _, file := range files {
		if _, ok := badConfigs[filepath.Base(file)]; !ok {
			t.Errorf("%s has no expected message in badConfigs", file)
		}
	}
	for name, want := range badConfigs {
		t.Run(name, func(t *testing.T) {
			env, creds := testEnv(t)
			cfg, err := parseFile(t, filepath.Join("testdata", name), env)
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with its error")
			}
			want = strings.ReplaceAll(want, "$CREDS", creds)
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "rollcall.yaml" || e.Line < 1 {
				t.Errorf("errors.As(*Error) = %+v, want one with File and Line", e)
			}
			if strings.Contains(err.Error(), sentinel) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestParseFull(t *testing.T) {
	env, _ := testEnv(t)
	cfg, err := parseFile(t, "testdata/full.good.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:      "rollcall.yaml",
		Store:     "postgres://rollcall:pg_" + sentinel + "@db.internal:5432/rollcall?sslmode=verify-full",
		StoreLine: 2,
		Listen:    "[::1]:8080",
		// privacy: keep_text: false at the end of the file.
		Privacy: Privacy{KeepText: false},
		Sources: []Source{
			{Name: "upstream", Type: "github", Interval: 15 * time.Minute, MissingTTL: DefaultMissingTTL, File: "rollcall.yaml", Line: 12, Index: 0},
			{Name: "enterprise", Type: "github", Interval: time.Hour, MissingTTL: 6 * time.Hour, File: "rollcall.yaml", Line: 16, Index: 1},
			{Name: "forum_1", Type: "discourse", Interval: DefaultInterval, MissingTTL: DefaultMissingTTL, File: "rollcall.yaml", Line: 22, Index: 2},
			{Name: "fosstodon", Type: "mastodon", Interval: DefaultInterval, MissingTTL: DefaultMissingTTL, File: "rollcall.yaml", Line: 27, Index: 3},
		},
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreFields(Source{}, "Settings")); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	if got := cfg.StoreDriver(); got != "postgres" {
		t.Errorf("StoreDriver() = %q, want postgres", got)
	}

	// Settings keep the expanded values, the merged keys and their lines.
	type forum struct {
		URL    string `yaml:"url"`
		APIKey Secret `yaml:"api_key"`
		Note   string `yaml:"note"`
	}
	var f forum
	if err := DecodeSettings(cfg.Sources[2], &f); err != nil {
		t.Fatal(err)
	}
	wantForum := forum{URL: "https://forum.example.com", APIKey: NewSecret("dk_" + sentinel), Note: "costs $5 a month"}
	if diff := cmp.Diff(wantForum, f); diff != "" {
		t.Errorf("forum settings mismatch (-want +got):\n%s", diff)
	}
	var gh exampleSettings
	if err := DecodeSettings(cfg.Sources[0], &gh); err != nil {
		t.Fatal(err)
	}
	wantGH := exampleSettings{
		Token: NewSecret(sentinel), // from the credential, newline trimmed
		Repos: []string{"rollcall-dev/rollcall"},
		Since: Date{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(wantGH, gh); diff != "" {
		t.Errorf("github settings mismatch (-want +got):\n%s", diff)
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name      string
		vars      map[string]string
		wantStore string
	}{
		{"no state directory", nil, "rollcall.db"},
		{"systemd StateDirectory", map[string]string{"STATE_DIRECTORY": "/var/lib/rollcall"}, "/var/lib/rollcall/rollcall.db"},
		{"several state directories", map[string]string{"STATE_DIRECTORY": "/var/lib/rollcall:/var/lib/other"}, "/var/lib/rollcall/rollcall.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("rollcall.yaml", nil, Env{Getenv: mapEnv(tt.vars)})
			if err != nil {
				t.Fatal(err)
			}
			want := &Config{File: "rollcall.yaml", Store: tt.wantStore, Listen: DefaultListen, Privacy: Privacy{KeepText: true}}
			if diff := cmp.Diff(want, cfg); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if got := cfg.StoreDriver(); got != "sqlite" {
				t.Errorf("StoreDriver() = %q, want sqlite", got)
			}
		})
	}

	// The zero Env works: no variables, no credentials.
	cfg, err := Parse("x.yaml", []byte("sources:\n  - name: a\n    type: github\n"), Env{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sources[0].Interval; got != DefaultInterval {
		t.Errorf("interval = %v, want %v", got, DefaultInterval)
	}
	if got := cfg.Sources[0].MissingTTL; got != DefaultMissingTTL {
		t.Errorf("missing_ttl = %v, want %v", got, DefaultMissingTTL)
	}
	cfg, err = Parse("x.yaml", []byte("sources:\n  - name: a\n    type: github\n    missing_ttl: 6h\n"), Env{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sources[0].MissingTTL; got != 6*time.Hour {
		t.Errorf("missing_ttl = %v, want 6h", got)
	}
}

// TestParsePrivacy: keep_text defaults to true, with or without a privacy
// section, and false turns it off.
func TestParsePrivacy(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       bool
	}{
		{"no section", "store: x.db\n", true},
		{"empty section", "privacy:\n", true},
		{"empty mapping", "privacy: {}\n", true},
		{"keep", "privacy:\n  keep_text: true\n", true},
		{"drop", "privacy:\n  keep_text: false\n", false},
		{"drop, yaml 1.1 spelling", "privacy:\n  keep_text: off\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("rollcall.yaml", []byte(tt.yaml), Env{})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Privacy.KeepText != tt.want {
				t.Errorf("keep_text = %v, want %v", cfg.Privacy.KeepText, tt.want)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "alpha", "EMPTY": "", "DOLLAR": "$B", "PORT": "8080", "SPACE": "a b"}
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "alpha"},
		{in: "x-${A}-${A}", want: "x-alpha-alpha"},
		{in: "${EMPTY}", want: ""},
		{in: "$$", want: "$"},
		{in: "$${A}", want: "${A}"},
		{in: "$$$${A}", want: "$${A}"},
		{in: "${DOLLAR}", want: "$B"}, // values are not expanded again
		{in: "cost: 5$", want: "cost: 5$"},
		{in: "$A", want: "$A"},
		{in: "${SPACE}", want: "a b"},
		{in: "${NOPE}", wantErr: "environment variable NOPE is not set"},
		{in: "${A", wantErr: `unterminated "${": missing "}" (write "$$" for a literal "$")`},
		{in: "${}", wantErr: `invalid environment variable name ""`},
		{in: "${1A}", wantErr: `invalid environment variable name "1A"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _, err := expandEnv(tt.in, mapEnv(vars))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("expandEnv(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("expandEnv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestExpandTypes checks that an expanded plain value is typed as if written
// in the file, while quoted values stay strings.
func TestExpandTypes(t *testing.T) {
	type settings struct {
		Port  int      `yaml:"port"`
		Name  string   `yaml:"name_str"`
		Quote string   `yaml:"quoted"`
		Null  *string  `yaml:"null"`
		Tags  []string `yaml:"tags"`
	}
	data := "sources:\n" +
		"  - name: a\n" +
		"    type: t\n" +
		"    interval: ${IV}\n" +
		"    port: ${PORT}\n" +
		"    name_str: ${PORT}\n" +
		"    quoted: '${TRUE}'\n" +
		"    null: ${EMPTY}\n" +
		"    tags: [\"${TRUE}\", '${PORT}', $$HOME]\n"
	env := Env{Getenv: mapEnv(map[string]string{"IV": "2h", "PORT": "8080", "TRUE": "true", "EMPTY": ""})}
	cfg, err := Parse("rollcall.yaml", []byte(data), env)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sources[0].Interval; got != 2*time.Hour {
		t.Errorf("interval = %v, want 2h", got)
	}
	var got settings
	if err := DecodeSettings(cfg.Sources[0], &got); err != nil {
		t.Fatal(err)
	}
	want := settings{Port: 8080, Name: "8080", Quote: "true", Tags: []string{"true", "8080", "$HOME"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("token", sentinel+"\n")
	write("crlf", "abc\r\n")
	write("inner", "line1\nline2\n")
	write("empty", "")
	tests := []struct {
		name    string
		dir     string
		want    string
		wantErr string
	}{
		{name: "token", dir: dir, want: sentinel},
		{name: "crlf", dir: dir, want: "abc"},
		{name: "inner", dir: dir, want: "line1\nline2"},
		{name: "empty", dir: dir, want: ""},
		{name: "missing", dir: dir, wantErr: `credential "missing": read ` + filepath.Join(dir, "missing") + `: no such file or directory`},
		{name: "token", dir: "", wantErr: `credential "token": $CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit)`},
		{name: "../token", dir: dir, wantErr: `invalid credential name "../token": it must be a plain file name`},
		{name: "sub/token", dir: dir, wantErr: `invalid credential name "sub/token": it must be a plain file name`},
		{name: "..", dir: dir, wantErr: `invalid credential name "..": it must be a plain file name`},
		{name: "", dir: dir, wantErr: `invalid credential name "": it must be a plain file name`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"@"+tt.dir, func(t *testing.T) {
			got, err := readCredential(tt.dir, tt.name)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}

	// Through Parse, a missing credential directory is located.
	_, err := Parse("rollcall.yaml", []byte("listen: 127.0.0.1:1\nstore: credential:db\n"), Env{})
	want := `rollcall.yaml:2: store: credential "db": $CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit)`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %q", err, want)
	}
}

// TestSecretsNeverInErrors feeds secrets from the environment and from a
// credential into every kind of failing field.
func TestSecretsNeverInErrors(t *testing.T) {
	env, _ := testEnv(t)
	configs := []string{
		"listen: ${GITHUB_TOKEN}\n",
		"listen: credential:github-token\n",
		"store: mysql://${GITHUB_TOKEN}@db/x\n",
		"store: ${GITHUB_TOKEN}://x\n",
		"sources:\n  - name: ${GITHUB_TOKEN}\n    type: github\n",
		"sources:\n  - name: a\n    type: github\n    interval: ${GITHUB_TOKEN}\n",
		"sources:\n  - name: a\n    type: github\n    interval: credential:github-token\n",
		"sources:\n  - name: a\n    type: github\n    token: ${GITHUB_TOKEN\n",
	}
	for _, c := range configs {
		_, err := Parse("rollcall.yaml", []byte(c), env)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", c)
			continue
		}
		if strings.Contains(err.Error(), sentinel) || strings.Contains(err.Error(), sentinel[:7]) {
			t.Errorf("Parse(%q) error leaks the secret: %v", c, err)
		}
	}

	settings := []string{
		"repos: ${GITHUB_TOKEN}\n",
		"repos: credential:github-token\n",
		"orgs: ['${GITHUB_TOKEN}', {a: b}]\n",
		"orgs:\n- ${GITHUB_TOKEN}\n- {a: b}\n",
		"since: ${GITHUB_TOKEN}\n",
		"base_url: [\"${GITHUB_TOKEN}\"]\n",
		"token: ['${GITHUB_TOKEN}']\n",
		"since: !!int ${GITHUB_TOKEN}\n",
		"repos: !!int ${GITHUB_TOKEN}\n",
	}
	for _, s := range settings {
		data := "sources:\n  - name: a\n    type: github\n    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
		cfg, err := Parse("rollcall.yaml", []byte(data), env)
		if err != nil {
			t.Fatalf("Parse(%q): %v", data, err)
		}
		var v exampleSettings
		err = DecodeSettings(cfg.Sources[0], &v)
		if err == nil {
			t.Errorf("DecodeSettings(%q) succeeded, want an error", s)
			continue
		}
		if strings.Contains(err.Error(), sentinel[:7]) {
			t.Errorf("DecodeSettings(%q) error leaks the secret: %v", s, err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rollcall.yaml")
	data := "listen: ${ROLLCALL_TEST_LISTEN}\nsources:\n  - name: upstream\n    type: github\n    token: credential:token\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(sentinel), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROLLCALL_TEST_LISTEN", "127.0.0.1:9999")
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	t.Setenv("STATE_DIRECTORY", "/var/lib/rollcall")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != path || cfg.Listen != "127.0.0.1:9999" || cfg.Store != "/var/lib/rollcall/rollcall.db" {
		t.Errorf("Load = %+v", cfg)
	}
	var s exampleSettings
	if err := DecodeSettings(cfg.Sources[0], &s); err != nil {
		t.Fatal(err)
	}
	if s.Token.Reveal() != sentinel {
		t.Errorf("token not read from the credential")
	}

	missing := filepath.Join(dir, "nope.yaml")
	_, err = Load(missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	if want := missing + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Load(missing) = %v, want %q", err, want)
	}
}

func TestDefaultPath(t *testing.T) {
	exists := func(string) (fs.FileInfo, error) { return nil, nil }
	absent := func(string) (fs.FileInfo, error) { return nil, fs.ErrNotExist }
	if got := defaultPath(exists); got != "/etc/rollcall/rollcall.yaml" {
		t.Errorf("with /etc file: %q", got)
	}
	if got := defaultPath(absent); got != "rollcall.yaml" {
		t.Errorf("without /etc file: %q", got)
	}
	if got := DefaultPath(); !slices.Contains([]string{SystemPath, LocalPath}, got) {
		t.Errorf("DefaultPath() = %q", got)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", 30 * time.Second: "30s", time.Hour: "1h",
		90 * time.Minute: "1h30m", 61 * time.Second: "1m1s", 0: "0s", -5 * time.Minute: "-5m",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseAuth(t *testing.T) {
	env, _ := testEnv(t)
	cfg, err := parseFile(t, "testdata/auth.good.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Auth
	if a == nil {
		t.Fatal("Auth = nil")
	}
	if a.Token.Reveal() != "tok_"+sentinel || !a.TLS || a.TrustedProxyHeader != "X-Forwarded-Proto" || a.SessionTTL != 8*time.Hour || a.Line != 3 {
		t.Errorf("auth = %+v", a)
	}
	if len(a.Users) != 1 || a.Users[0].Name != "ann" || !strings.HasPrefix(a.Users[0].PasswordHash.Reveal(), PasswordHashPrefix) {
		t.Errorf("users = %+v", a.Users)
	}
	if s := fmt.Sprintf("%v %+v", a, a.Users); strings.Contains(s, sentinel) || strings.Contains(s, "c2FsdHNh") {
		t.Errorf("auth prints a secret: %s", s)
	}
}

func TestCheckAccess(t *testing.T) {
	tests := []struct {
		listen string
		auth   bool
		want   string
	}{
		{"127.0.0.1:7171", false, ""},
		{"127.3.4.5:80", false, ""},
		{"[::1]:7171", false, ""},
		{"localhost:7171", false, ""},
		{"LOCALHOST:7171", false, ""},
		{"0.0.0.0:7171", false, `rollcall.yaml: auth: required: listen "0.0.0.0:7171" is not a loopback address`},
		{":7171", false, `rollcall.yaml: auth: required: listen ":7171"`},
		{"[::]:7171", false, "auth: required"},
		{"192.168.1.2:7171", false, "auth: required"},
		{"[::ffff:127.0.0.1]:7171", false, ""},
		{"0.0.0.0:7171", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			cfg := &Config{File: "rollcall.yaml"}
			if tt.auth {
				cfg.Auth = &Auth{Token: NewSecret(sentinel)}
			}
			err := cfg.CheckAccess(tt.listen)
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckAccess = %v, want nil", err)
				}
				return
			}
			var e *Error
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &e) || e.Field != "auth" || !errors.Is(err, ErrMissing) {
				t.Errorf("CheckAccess = %v, want an *Error with %q", err, tt.want)
			}
		})
	}
}

// TestTopLevelLimits: http_timeout and memory_limit, their minimums and
// their errors.
func TestTopLevelLimits(t *testing.T) {
	timeout := func(c *Config) any { return c.HTTPTimeout }
	memory := func(c *Config) any { return c.MemoryLimit }
	for _, tt := range []struct {
		yaml string
		get  func(*Config) any
		want any
		err  string
	}{
		{"", timeout, time.Duration(0), ""},
		{"http_timeout: 5s\n", timeout, 5 * time.Second, ""},
		{"http_timeout: 100ms\n", timeout, nil, "x.yaml:1: http_timeout: 100ms is below the minimum of 1s"},
		{"http_timeout: soon\n", timeout, nil, `x.yaml:1: http_timeout: invalid duration "soon"`},
		{"", memory, int64(0), ""},
		{"memory_limit: 512MiB\n", memory, int64(512 << 20), ""},
		{"memory_limit: 1GiB\n", memory, int64(1 << 30), ""},
		{"memory_limit: 300MB\n", memory, int64(300_000_000), ""},
		{"memory_limit: 16MiB\n", memory, nil, `x.yaml:1: memory_limit: "16MiB" is below the minimum of 32MiB`},
		{"memory_limit: lots\n", memory, nil, `x.yaml:1: memory_limit: invalid size "lots" (write it like 512MiB or 1GiB)`},
		{"memory_limit: [1]\n", memory, nil, "x.yaml:1: memory_limit: must be a string, not a list"},
	} {
		cfg, err := Parse("x.yaml", []byte(tt.yaml), Env{})
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: err = %v, want %s", tt.yaml, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		if got := tt.get(cfg); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.yaml, got, tt.want)
		}
	}
}
