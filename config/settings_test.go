package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// exampleSettings is what a connector such as github would decode.
type exampleSettings struct {
	Token   Secret   `yaml:"token"`
	BaseURL string   `yaml:"base_url"`
	Repos   []string `yaml:"repos"`
	Orgs    []string `yaml:"orgs"`
	Since   Date     `yaml:"since"`
}

// sourceFrom parses a config holding one source and returns that source.
func sourceFrom(t *testing.T, data string) Source {
	t.Helper()
	env, _ := testEnv(t)
	cfg, err := Parse("rollcall.yaml", []byte(data), env)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg.Sources[len(cfg.Sources)-1]
}

func TestDecodeSettings(t *testing.T) {
	const head = "listen: 127.0.0.1:7171\n" + // 1
		"sources:\n" + // 2
		"  - name: other\n" + // 3
		"    type: mastodon\n" + // 4
		"  - name: upstream\n" + // 5
		"    type: github\n" + // 6
		"    interval: 5m\n" // 7
	tests := []struct {
		name    string
		body    string // lines 8 and on
		want    exampleSettings
		wantErr string
	}{
		{
			name: "all fields",
			body: "    token: ${GITHUB_TOKEN}\n" +
				"    base_url: https://github.example.com/\n" +
				"    repos: [a/b, c/d]\n" +
				"    orgs:\n      - acme\n" +
				"    since: 2024-03-01T10:00:00+02:00\n",
			want: exampleSettings{
				Token:   NewSecret(sentinel),
				BaseURL: "https://github.example.com/",
				Repos:   []string{"a/b", "c/d"},
				Orgs:    []string{"acme"},
				Since:   Date{time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("", 2*3600))},
			},
		},
		{name: "no settings"},
		{name: "null values", body: "    token:\n    repos: ~\n    since:\n"},
		{
			name:    "unknown field",
			body:    "    token: x\n    tokn: y\n",
			wantErr: `rollcall.yaml:9: sources[1].tokn: unknown field`,
		},
		{
			name:    "wrong type",
			body:    "    token: x\n    base_url: u\n    repos: x\n",
			wantErr: `rollcall.yaml:10: sources[1].repos: cannot decode !!str "x" into []string`,
		},
		{
			name:    "wrong element type",
			body:    "    orgs:\n      - a\n      - {b: c}\n",
			wantErr: `rollcall.yaml:10: sources[1].orgs: cannot decode !!map into string`,
		},
		{
			name:    "list for a string",
			body:    "    base_url: [a]\n",
			wantErr: `rollcall.yaml:8: sources[1].base_url: cannot decode !!seq into string`,
		},
		{
			name:    "invalid date",
			body:    "    since: 2024-13-01\n",
			wantErr: `rollcall.yaml:8: sources[1].since: invalid date "2024-13-01"`,
		},
		{
			name:    "date from the environment",
			body:    "    since: ${GITHUB_TOKEN}\n",
			wantErr: `rollcall.yaml:8: sources[1].since: invalid date (value from the environment or a credential, not shown)`,
		},
		{
			name:    "secret from the environment in the wrong place",
			body:    "    repos: ${GITHUB_TOKEN}\n",
			wantErr: `rollcall.yaml:8: sources[1].repos: cannot decode !!str into []string`,
		},
		{
			name:    "secret must be a string",
			body:    "    token: {a: b}\n",
			wantErr: `rollcall.yaml:8: sources[1].token: a secret must be a string, not a mapping`,
		},
		{
			name: "all errors at once",
			body: "    tokn: a\n    repos: x\n    since: soon\n",
			wantErr: "rollcall.yaml:8: sources[1].tokn: unknown field\n" +
				`rollcall.yaml:9: sources[1].repos: cannot decode !!str "x" into []string` + "\n" +
				`rollcall.yaml:10: sources[1].since: invalid date "soon"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sourceFrom(t, head+tt.body)
			var got exampleSettings
			err := DecodeSettings(src, &got)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("DecodeSettings succeeded with %+v, want error", got)
				}
				if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
					t.Errorf("error mismatch (-want +got):\n%s", diff)
				}
				if strings.Contains(err.Error(), sentinel[:7]) {
					t.Errorf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeSettingsNested checks that unknown keys are found in nested
// structs, lists of structs, maps of structs and inline structs.
func TestDecodeSettingsNested(t *testing.T) {
	type auth struct {
		User     string `yaml:"user"`
		Password Secret `yaml:"password"`
	}
	type common struct {
		Timeout time.Duration `yaml:"timeout"`
	}
	type settings struct {
		common  `yaml:",inline"`
		Auth    *auth           `yaml:"auth"`
		Mirrors []auth          `yaml:"mirrors"`
		ByHost  map[string]auth `yaml:"by_host"`
		Skip    string          `yaml:"-"`
		Plain   int
	}
	const head = "sources:\n  - name: n\n    type: t\n" // lines 1-3
	tests := []struct {
		name    string
		body    string
		want    settings
		wantErr string
	}{
		{
			name: "valid",
			body: "    timeout: 30s\n    plain: 3\n    auth: {user: u, password: p}\n" +
				"    mirrors:\n      - user: m\n    by_host:\n      h: {user: x}\n",
			want: settings{
				common:  common{Timeout: 30 * time.Second},
				Plain:   3,
				Auth:    &auth{User: "u", Password: NewSecret("p")},
				Mirrors: []auth{{User: "m"}},
				ByHost:  map[string]auth{"h": {User: "x"}},
			},
		},
		{
			name:    "nested unknown",
			body:    "    auth:\n      user: u\n      pasword: p\n",
			wantErr: `rollcall.yaml:6: sources[0].auth.pasword: unknown field`,
		},
		{
			name:    "unknown in list",
			body:    "    mirrors:\n      - user: a\n      - usr: b\n",
			wantErr: `rollcall.yaml:6: sources[0].mirrors[1].usr: unknown field`,
		},
		{
			name:    "unknown in map",
			body:    "    by_host:\n      h:\n        usr: x\n",
			wantErr: `rollcall.yaml:6: sources[0].by_host.h.usr: unknown field`,
		},
		{
			name:    "skipped field is unknown",
			body:    "    skip: x\n",
			wantErr: `rollcall.yaml:4: sources[0].skip: unknown field`,
		},
		{
			name:    "duration",
			body:    "    timeout: soon\n",
			wantErr: `rollcall.yaml:4: sources[0].timeout: cannot decode !!str "soon" into time.Duration`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sourceFrom(t, head+tt.body)
			var got settings
			err := DecodeSettings(src, &got)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(settings{})); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeSettingsMisuse(t *testing.T) {
	src := sourceFrom(t, "sources:\n  - name: n\n    type: t\n")
	var s exampleSettings
	for _, v := range []any{nil, s, new(string)} {
		if err := DecodeSettings(src, v); err == nil {
			t.Errorf("DecodeSettings(%T) succeeded, want error", v)
		}
	}
	// A Source built in code has no settings: nothing to decode.
	if err := DecodeSettings(Source{Name: "n", Type: "t"}, &s); err != nil {
		t.Errorf("DecodeSettings(zero Settings) = %v", err)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2024-01-01", want: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2024-01-01T12:30:00Z", want: time.Date(2024, 1, 1, 12, 30, 0, 0, time.UTC)},
		{in: "2024-02-30", wantErr: true},
		{in: "01/02/2024", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFieldError(t *testing.T) {
	src := sourceFrom(t, "sources:\n  - name: n\n    type: t\n    repos: [x]\n")
	err := errors.New(`"x" is not owner/name`)
	if got, want := src.FieldError("repos", err).Error(), `rollcall.yaml:4: sources[0].repos: "x" is not owner/name`; got != want {
		t.Errorf("FieldError(repos) = %q, want %q", got, want)
	}
	if got, want := src.FieldError("orgs", ErrMissing).Error(), `rollcall.yaml:2: sources[0].orgs: required`; got != want {
		t.Errorf("FieldError(orgs) = %q, want %q", got, want)
	}
}
