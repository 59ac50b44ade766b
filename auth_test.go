package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

// lockedBuffer is a bytes.Buffer safe for the command's goroutine and the
// test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// authRun is a `rollcall auth` command running in a goroutine, with a pipe
// for its standard input: the test plays the person.
type authRun struct {
	stdin       *io.PipeWriter
	out, errOut *lockedBuffer
	done        chan error
}

// startAuth runs `rollcall auth ARGS` against hc. Call it inside a
// synctest bubble.
func startAuth(ctx context.Context, hc *http.Client, args ...string) *authRun {
	pr, pw := io.Pipe()
	r := &authRun{stdin: pw, out: &lockedBuffer{}, errOut: &lockedBuffer{}, done: make(chan error, 1)}
	env := &cliEnv{stdin: pr, stdout: r.out, stderr: r.errOut, getenv: func(string) string { return "" }, now: time.Now, httpClient: hc}
	go func() {
		err := cmdAuth(ctx, env, args)
		pr.Close()
		r.done <- err
	}()
	return r
}

// find returns the first match of re in the command's stderr (its
// prompts) once the command waits for the person.
func (r *authRun) find(t *testing.T, re string) string {
	t.Helper()
	synctest.Wait()
	m := regexp.MustCompile(re).FindString(r.errOut.String())
	if m == "" {
		t.Fatalf("stderr lacks %s:\n%s\nstdout:\n%s", re, r.errOut, r.out)
	}
	return m
}

// type_ writes what the person types or pastes.
func (r *authRun) type_(t *testing.T, s string) {
	t.Helper()
	go func() { _, _ = io.WriteString(r.stdin, s) }()
}

func (r *authRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(time.Hour):
		t.Fatal("the command did not finish")
		return nil
	}
}

// checkCredential checks the file's content and modes and that no output
// carries the secret.
func checkCredential(t *testing.T, path string, r *authRun, secrets ...string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("credential file: %v\nstderr: %s", err, r.errOut)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", path, fi.Mode().Perm())
	}
	// The tests write to DIR/creds/NAME when the directory must be created.
	if di, _ := os.Stat(filepath.Dir(path)); filepath.Base(filepath.Dir(path)) == "creds" && di.Mode().Perm() != 0o700 {
		t.Errorf("%s mode %v, want 0700", filepath.Dir(path), di.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	tok := strings.TrimSuffix(string(b), "\n")
	if tok == "" || strings.ContainsAny(tok, "\n ") {
		t.Fatalf("credential file holds %q", b)
	}
	for _, s := range append(secrets, tok) {
		if s != "" && (strings.Contains(r.out.String(), s) || strings.Contains(r.errOut.String(), s)) {
			t.Errorf("the output carries a secret\nstdout: %s\nstderr: %s", r.out, r.errOut)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the credential (no temporary file left)", len(entries))
	}
	return tok
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s was written", path)
	}
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want one containing %q", err, want)
	}
}

func bearerGet(t *testing.T, hc *http.Client, u, header, value string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set(header, value)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func newMastodonFake() (*mastodontest.Server, *http.Client) {
	fake := mastodontest.New()
	fake.AddAccount(mastodontest.Account{Username: "rollcall"})
	fake.AddAccount(mastodontest.Account{Username: "alice"})
	return fake, &http.Client{Transport: fake.Transport()}
}

const mastodonAuthURL = `https://mastodon\.example/oauth/authorize\?\S+`

func TestAuthMastodon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, hc := newMastodonFake()
		path := filepath.Join(t.TempDir(), "creds", "mastodon-token")
		r := startAuth(t.Context(), hc, "mastodon", "--server", "https://mastodon.example/", "--account", "rollcall", "--out", path)
		authURL := r.find(t, mastodonAuthURL)
		u, _ := url.Parse(authURL)
		if q := u.Query(); q.Get("redirect_uri") != "urn:ietf:wg:oauth:2.0:oob" || q.Get("scope") != "read:accounts read:statuses read:notifications read:follows" ||
			q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
			t.Errorf("authorization URL %s", authURL)
		}
		code, err := fake.Authorize(authURL, "rollcall")
		if err != nil {
			t.Fatal(err)
		}
		r.type_(t, code+"\n")
		if err := r.wait(t); err != nil {
			t.Fatalf("auth mastodon: %v\nstderr: %s", err, r.errOut)
		}
		apps := fake.Apps()
		if len(apps) != 1 || apps[0].Name != "rollcall" {
			t.Fatalf("apps = %+v", apps)
		}
		tok := checkCredential(t, path, r, apps[0].ClientSecret, code)
		t.Logf("stderr:\n%s\nstdout:\n%s", r.errOut, r.out)
		for _, want := range []string{"server: https://mastodon.example\n", "token: credential:mastodon-token\n", "LoadCredential=mastodon-token:" + path} {
			if !strings.Contains(r.out.String(), want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.out)
			}
		}
		if !strings.Contains(r.errOut.String(), "Signed in as @rollcall") {
			t.Errorf("stderr: %s", r.errOut)
		}
		if st := bearerGet(t, hc, "https://mastodon.example/api/v1/accounts/verify_credentials", "Authorization", "Bearer "+tok); st != 200 {
			t.Errorf("the written token: verify_credentials %d", st)
		}
	})
}

func TestAuthMastodonRefusedCodes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		account string // --account
		as      string // who authorizes
		code    func(code string) string
		wait    time.Duration // before the code is pasted
		want    string
	}{
		{name: "wrong code", as: "rollcall", code: func(string) string { return "not-the-code" }, want: "refused the code"},
		{name: "expired code", as: "rollcall", wait: mastodontest.CodeTTL + time.Minute, want: "refused the code"},
		{name: "other account", account: "alice", as: "rollcall", want: "belongs to @rollcall, not @alice"},
		{name: "no code", as: "", want: "no code on standard input"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fake, hc := newMastodonFake()
				path := filepath.Join(t.TempDir(), "mastodon-token")
				args := []string{"mastodon", "--server", "mastodon.example", "--out", path}
				if tt.account != "" {
					args = append(args, "--account", tt.account)
				}
				r := startAuth(t.Context(), hc, args...)
				authURL := r.find(t, mastodonAuthURL)
				if tt.as == "" {
					r.stdin.Close()
				} else {
					code, err := fake.Authorize(authURL, tt.as)
					if err != nil {
						t.Fatal(err)
					}
					time.Sleep(tt.wait)
					if tt.code != nil {
						code = tt.code(code)
					}
					r.type_(t, code+"\n")
				}
				wantErr(t, r.wait(t), tt.want)
				noFile(t, path)
			})
		})
	}
}

func TestAuthRefusesToOverwrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, hc := newMastodonFake()
		path := filepath.Join(t.TempDir(), "mastodon-token")
		if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := startAuth(t.Context(), hc, "mastodon", "--server", "https://mastodon.example", "--out", path)
		wantErr(t, r.wait(t), "--force")
		if fake.Count() != 0 {
			t.Errorf("%d requests before refusing", fake.Count())
		}
		r = startAuth(t.Context(), hc, "mastodon", "--server", "https://mastodon.example", "--out", path, "--force")
		code, err := fake.Authorize(r.find(t, mastodonAuthURL), "rollcall")
		if err != nil {
			t.Fatal(err)
		}
		r.type_(t, code+"\n")
		if err := r.wait(t); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) == "old\n" {
			t.Error("--force did not replace the file")
		}
	})
}

const userCodeRE = `\b[A-Z]{4}-[A-Z]{4}\b`

func TestAuthGitHub(t *testing.T) {
	for _, tt := range []struct {
		name  string
		args  []string
		host  string // where the flow and the API must be
		api   string
		lines []string
	}{
		{name: "github.com", host: "github.com", api: "api.github.com", lines: []string{"token: credential:github-token\n"}},
		{name: "enterprise host", args: []string{"--host", "github.example.com"}, host: "github.example.com", api: "github.example.com",
			lines: []string{"base_url: https://github.example.com/\n"}},
		{name: "enterprise base url", args: []string{"--base-url", "https://ghe.example.org/api/v3/"}, host: "ghe.example.org", api: "ghe.example.org",
			lines: []string{"base_url: https://ghe.example.org/\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fake := githubtest.New(githubtest.WithOAuthApp("Iv1.rollcall", true))
				fake.AddUser(githubtest.User{Login: "octocat"})
				var hosts []string
				var mu sync.Mutex
				hc := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
					mu.Lock()
					hosts = append(hosts, req.URL.Host+req.URL.Path)
					mu.Unlock()
					if req.URL.Host == "api.github.com" {
						// The fake serves the API where Enterprise Server does.
						req = req.Clone(req.Context())
						req.URL.Path = "/api/v3" + req.URL.Path
					}
					return fake.Transport().RoundTrip(req)
				})}
				path := filepath.Join(t.TempDir(), "github-token")
				r := startAuth(t.Context(), hc, append([]string{"github", "--client-id", "Iv1.rollcall", "--out", path}, tt.args...)...)
				userCode := r.find(t, userCodeRE)
				if !strings.Contains(r.errOut.String(), "https://"+tt.host+"/login/device") {
					t.Errorf("stderr lacks the verification URI: %s", r.errOut)
				}
				time.Sleep(12 * time.Second) // two polls: authorization_pending
				if err := fake.ApproveDevice(userCode, "octocat"); err != nil {
					t.Fatal(err)
				}
				if err := r.wait(t); err != nil {
					t.Fatalf("auth github: %v\nstderr: %s", err, r.errOut)
				}
				tok := checkCredential(t, path, r)
				for _, want := range tt.lines {
					if !strings.Contains(r.out.String(), want) {
						t.Errorf("stdout lacks %q:\n%s", want, r.out)
					}
				}
				if !strings.Contains(r.errOut.String(), "Signed in as octocat (scopes: read:org)") {
					t.Errorf("stderr: %s", r.errOut)
				}
				polls := 0
				for _, q := range fake.Requests() {
					if q.Path == "/login/oauth/access_token" {
						polls++
					}
				}
				if polls != 3 {
					t.Errorf("%d polls, want 3 (two pending, one granted)", polls)
				}
				mu.Lock()
				want := []string{tt.host + "/login/device/code", tt.host + "/login/oauth/access_token", tt.api + "/user"}
				if tt.api != "api.github.com" {
					want[2] = tt.api + "/api/v3/user"
				}
				for _, w := range want {
					found := false
					for _, h := range hosts {
						found = found || h == w
					}
					if !found {
						t.Errorf("no request to %s: %v", w, hosts)
					}
				}
				mu.Unlock()
				if st := bearerGet(t, hc, "https://github.example.com/api/v3/user", "Authorization", "Bearer "+tok); st != 200 {
					t.Errorf("the written token: GET /user %d", st)
				}
			})
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAuthGitHubRefused(t *testing.T) {
	for _, tt := range []struct {
		name     string
		clientID string
		person   func(fake *githubtest.Server, userCode string) error
		want     string
	}{
		{name: "denied", person: func(f *githubtest.Server, c string) error { return f.DenyDevice(c) }, want: "authorization was refused"},
		{name: "expired", person: func(*githubtest.Server, string) error { time.Sleep(githubtest.DeviceCodeTTL + time.Minute); return nil }, want: "code expired"},
		{name: "device flow disabled", clientID: "Iv1.nodevice", want: "Enable Device Flow"},
		{name: "unknown client", clientID: "Iv1.unknown", want: "does not know this client id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fake := githubtest.New(githubtest.WithOAuthApp("Iv1.rollcall", true), githubtest.WithOAuthApp("Iv1.nodevice", false))
				hc := &http.Client{Transport: fake.Transport()}
				path := filepath.Join(t.TempDir(), "github-token")
				id := tt.clientID
				if id == "" {
					id = "Iv1.rollcall"
				}
				r := startAuth(t.Context(), hc, "github", "--client-id", id, "--out", path)
				if tt.person != nil {
					if err := tt.person(fake, r.find(t, userCodeRE)); err != nil {
						t.Fatal(err)
					}
				}
				err := r.wait(t)
				wantErr(t, err, tt.want)
				noFile(t, path)
			})
		})
	}
}

func newDiscourseFake() (*discoursetest.Server, *http.Client) {
	fake := discoursetest.New(discoursetest.WithAPIKey("admin-key", "system", true))
	fake.AddUser(discoursetest.User{Username: "alice", TrustLevel: 1})
	return fake, &http.Client{Transport: fake.Transport()}
}

const approvalRE = `https://forum\.example\.org/user-api-key/new\?\S+`

func TestAuthDiscourse(t *testing.T) {
	for _, redirect := range []string{"", "https://api.discourse.org/api/auth_redirect"} {
		t.Run("redirect="+redirect, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fake, hc := newDiscourseFake()
				path := filepath.Join(t.TempDir(), "creds", "discourse-api-key")
				args := []string{"discourse", "--url", "https://forum.example.org", "--client-id", "rollcall-test", "--out", path}
				if redirect != "" {
					args = append(args, "--auth-redirect", redirect)
				}
				r := startAuth(t.Context(), hc, args...)
				approval := r.find(t, approvalRE)
				u, _ := url.Parse(approval)
				if q := u.Query(); q.Get("scopes") != "read" || q.Get("application_name") != "rollcall" || q.Get("client_id") != "rollcall-test" ||
					!strings.HasPrefix(q.Get("public_key"), "-----BEGIN PUBLIC KEY-----") || q.Get("nonce") == "" || q.Get("auth_redirect") != redirect {
					t.Errorf("approval URL %s", approval)
				}
				payload, err := fake.ApproveUserAPIKey(approval, "alice")
				if err != nil {
					t.Fatal(err)
				}
				if redirect == "" && strings.Count(payload, "\n") < 5 {
					t.Errorf("payload %q: want lines of 60 characters", payload)
				}
				if redirect != "" {
					payload += "\n"
				}
				r.type_(t, payload)
				if err := r.wait(t); err != nil {
					t.Fatalf("auth discourse: %v\nstderr: %s", err, r.errOut)
				}
				key := checkCredential(t, path, r)
				for _, want := range []string{"url: https://forum.example.org\n", "user_api_key: credential:discourse-api-key\n", "user_api_client_id: rollcall-test\n"} {
					if !strings.Contains(r.out.String(), want) {
						t.Errorf("stdout lacks %q:\n%s", want, r.out)
					}
				}
				if !strings.Contains(r.errOut.String(), "The key belongs to alice") {
					t.Errorf("stderr: %s", r.errOut)
				}
				if st := bearerGet(t, hc, "https://forum.example.org/session/current.json", "User-Api-Key", key); st != 200 {
					t.Errorf("the written key: /session/current.json %d", st)
				}
			})
		})
	}
}

func TestAuthDiscourseBadPayload(t *testing.T) {
	for _, tt := range []struct {
		name    string
		payload func(fake *discoursetest.Server, approval string) string
		want    string
	}{
		{name: "other nonce", payload: func(f *discoursetest.Server, approval string) string {
			u, _ := url.Parse(approval)
			q := u.Query()
			q.Set("nonce", "another")
			u.RawQuery = q.Encode()
			p, _ := f.ApproveUserAPIKey(u.String(), "alice")
			return p
		}, want: "nonce differs"},
		{name: "not base64", payload: func(*discoursetest.Server, string) string { return "this is not a payload\n\n" }, want: "not base64"},
		{name: "other key", payload: func(*discoursetest.Server, string) string {
			return strings.Repeat("QUFB", 86) + "\n"
		}, want: "does not decrypt"},
		{name: "nothing", payload: func(*discoursetest.Server, string) string { return "" }, want: "no payload"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fake, hc := newDiscourseFake()
				path := filepath.Join(t.TempDir(), "discourse-api-key")
				r := startAuth(t.Context(), hc, "discourse", "--url", "forum.example.org", "--out", path)
				p := tt.payload(fake, r.find(t, approvalRE))
				if p == "" {
					r.stdin.Close()
				} else {
					r.type_(t, p)
				}
				wantErr(t, r.wait(t), tt.want)
				noFile(t, path)
			})
		})
	}
}

func TestAuthUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"auth", "--help"}, exitOK, "rollcall auth mastodon --server URL"},
		{[]string{"auth", "mastodon", "--help"}, exitOK, "--account"},
		{[]string{"auth", "github", "--help"}, exitOK, "Enable Device Flow"},
		{[]string{"auth", "discourse", "--help"}, exitOK, "--auth-redirect"},
		{[]string{"auth", "mastodon"}, exitUsage, "needs --server"},
		{[]string{"auth", "github"}, exitUsage, "needs --client-id"},
		{[]string{"auth", "github", "--client-id", "x", "--host", "a", "--base-url", "https://b"}, exitUsage, "not both"},
		{[]string{"auth", "discourse"}, exitUsage, "needs --url"},
		{[]string{"auth", "discourse", "--url", "ftp://x"}, exitUsage, "not an http(s) URL"},
		{[]string{"auth", "mastodon", "--server", "m.example", "--name", "../x"}, exitUsage, "plain file name"},
		{[]string{"auth", "frobnicate"}, exitUsage, "mastodon, github, discourse or hash-password"},
	} {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			code, out, errOut := runMain(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d (want %d), output lacks %q?\nstdout: %s\nstderr: %s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
}

// TestAuthGitHubSlowDown checks the polling rhythm: every interval (5 s),
// and 5 s more after each slow_down.
func TestAuthGitHubSlowDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := githubtest.New()
		hc := &http.Client{Transport: fake.Transport()}
		fake.SlowDownNext(1)
		path := filepath.Join(t.TempDir(), "github-token")
		start := time.Now()
		r := startAuth(t.Context(), hc, "github", "--client-id", "any", "--base-url", "https://ghe.example", "--out", path)
		if err := fake.ApproveDevice(r.find(t, userCodeRE), "octocat"); err != nil {
			t.Fatal(err)
		}
		if err := r.wait(t); err != nil {
			t.Fatalf("auth github: %v\nstderr: %s", err, r.errOut)
		}
		// Poll 1 at 5 s: slow_down; poll 2 10 s later: the token.
		if got := time.Since(start); got != 15*time.Second {
			t.Errorf("the token came after %v, want 15s", got)
		}
		checkCredential(t, path, r)
	})
}

// configLines returns the configuration lines a `rollcall auth` command
// printed (the indented lines after "Use it in").
func configLines(t *testing.T, out string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "Use it in")
	rest, _, ok2 := strings.Cut(rest, "The systemd unit")
	if !ok || !ok2 {
		t.Fatalf("no configuration lines in\n%s", out)
	}
	var lines []string
	for _, l := range strings.Split(rest, "\n") {
		if strings.HasPrefix(l, "    ") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}

// TestAuthConfigLinesWork puts the lines each command prints into a
// configuration, with CREDENTIALS_DIRECTORY where the token was written,
// and checks the connector accepts the token (its doctor check).
func TestAuthConfigLinesWork(t *testing.T) {
	for _, tt := range []struct {
		name  string
		run   func(t *testing.T, dir string) (out string, rt http.RoundTripper)
		extra string // settings the command does not know
		want  string // in the check's message
	}{
		{name: "mastodon", extra: "accounts: [rollcall]", want: "rollcall", run: func(t *testing.T, dir string) (string, http.RoundTripper) {
			fake, hc := newMastodonFake()
			r := startAuth(t.Context(), hc, "mastodon", "--server", "https://mastodon.example", "--out", filepath.Join(dir, "mastodon-token"))
			code, err := fake.Authorize(r.find(t, mastodonAuthURL), "rollcall")
			if err != nil {
				t.Fatal(err)
			}
			r.type_(t, code+"\n")
			if err := r.wait(t); err != nil {
				t.Fatal(err)
			}
			return r.out.String(), hc.Transport
		}},
		{name: "github", extra: "repos: [acme/widget]", want: "token accepted", run: func(t *testing.T, dir string) (string, http.RoundTripper) {
			fake := githubtest.New(githubtest.WithToken("some-other-token"))
			fake.AddUser(githubtest.User{Login: "octocat"})
			hc := &http.Client{Transport: fake.Transport()}
			r := startAuth(t.Context(), hc, "github", "--client-id", "x", "--host", "github.example.com", "--out", filepath.Join(dir, "github-token"))
			if err := fake.ApproveDevice(r.find(t, userCodeRE), "octocat"); err != nil {
				t.Fatal(err)
			}
			if err := r.wait(t); err != nil {
				t.Fatal(err)
			}
			return r.out.String(), hc.Transport
		}},
		{name: "discourse", want: "alice", run: func(t *testing.T, dir string) (string, http.RoundTripper) {
			fake, hc := newDiscourseFake()
			r := startAuth(t.Context(), hc, "discourse", "--url", "https://forum.example.org", "--out", filepath.Join(dir, "discourse-api-key"))
			p, err := fake.ApproveUserAPIKey(r.find(t, approvalRE), "alice")
			if err != nil {
				t.Fatal(err)
			}
			r.type_(t, p)
			if err := r.wait(t); err != nil {
				t.Fatal(err)
			}
			return r.out.String(), hc.Transport
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				out, rt := tt.run(t, dir)
				text := "sources:\n  - name: s\n"
				for _, l := range append(configLines(t, out), tt.extra) {
					if l != "" {
						text += "    " + l + "\n"
					}
				}
				cfg, err := config.Parse("rollcall.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }, CredentialsDir: dir})
				if err != nil {
					t.Fatalf("the printed lines:\n%s\n%v", text, err)
				}
				kind, ok := all.Lookup(cfg.Sources[0].Type)
				if !ok {
					t.Fatalf("type %q", cfg.Sources[0].Type)
				}
				c, err := kind.New(connectors.Options{Source: cfg.Sources[0], HTTP: rt, Version: "test"})
				if err != nil {
					t.Fatalf("New with the printed lines:\n%s\n%v", text, err)
				}
				msg, err := c.(connectors.Checker).Check(t.Context())
				if err != nil || !strings.Contains(msg, tt.want) {
					t.Errorf("Check = %q, %v; want it to name %s", msg, err, tt.want)
				}
			})
		})
	}
}

// TestAuthUnwritableDirectory: a directory the token cannot be written to
// is an error before anybody signs in.
func TestAuthUnwritableDirectory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, hc := newMastodonFake()
		// A file where the directory should be stops root too.
		blocker := filepath.Join(t.TempDir(), "not-a-directory")
		if err := os.WriteFile(blocker, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r := startAuth(t.Context(), hc, "mastodon", "--server", "https://mastodon.example", "--out", filepath.Join(blocker, "mastodon-token"))
		wantErr(t, r.wait(t), "not a directory")
		if fake.Count() != 0 {
			t.Errorf("%d requests before refusing", fake.Count())
		}
	})
}

// A GitHub App's user token expires after 8 hours: the command says when
// and what to do, and neither the token nor its refresh token is printed.
func TestAuthGitHubExpiringToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := githubtest.New(githubtest.WithGitHubApp("Iv23.rollcall"))
		fake.AddUser(githubtest.User{Login: "octocat"})
		hc := &http.Client{Transport: fake.Transport()}
		path := filepath.Join(t.TempDir(), "github-token")
		r := startAuth(t.Context(), hc, "github", "--client-id", "Iv23.rollcall", "--host", "github.example.com", "--out", path)
		userCode := r.find(t, userCodeRE)
		time.Sleep(6 * time.Second)
		if err := fake.ApproveDevice(userCode, "octocat"); err != nil {
			t.Fatal(err)
		}
		if err := r.wait(t); err != nil {
			t.Fatalf("auth github: %v\nstderr: %s", err, r.errOut)
		}
		tok := checkCredential(t, path, r)
		if !strings.HasPrefix(tok, "ghu_") {
			t.Errorf("token %.4s…, want a GitHub App user token", tok)
		}
		want := "this token expires at " + time.Now().Add(githubtest.UserTokenTTL).UTC().Format(time.RFC3339)
		for _, w := range []string{want, "does not refresh it", "--force"} {
			if !strings.Contains(r.errOut.String(), w) {
				t.Errorf("stderr lacks %q:\n%s", w, r.errOut)
			}
		}
		if strings.Contains(r.out.String()+r.errOut.String(), "ghr_") {
			t.Error("the refresh token was printed")
		}
	})
}
