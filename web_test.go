package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/web"
)

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("compact %s: %v", b, err)
	}
	return out.String()
}

// apiGet asks the web handler over the store at db.
func apiGet(t *testing.T, h http.Handler, target string) []byte {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	if w.Code != 200 {
		t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
	}
	return w.Body.Bytes()
}

// TestCLIAndAPIJSONAgree syncs the demo community, then prints members,
// journeys and suggestions with the CLI (--format json) and reads them from
// /api/v1 over the same store: the same member is the same JSON.
func TestCLIAndAPIJSONAgree(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if code, out, errOut := runMain(t, "demo", "--once", "--quiet", "--store", db, "--log-level", "warn"); code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	code, cliMembers, errOut := runMain(t, "members", "--store", db, "--format", "json", "--limit", "0")
	if code != exitOK {
		t.Fatalf("members: %s", errOut)
	}
	code, cliSuggestions, errOut := runMain(t, "suggestions", "--store", db, "--format", "json")
	if code != exitOK {
		t.Fatalf("suggestions: %s", errOut)
	}
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := web.New(web.Options{Members: st, Decisions: st})
	if err != nil {
		t.Fatal(err)
	}
	var members []json.RawMessage
	if err := json.Unmarshal([]byte(cliMembers), &members); err != nil || len(members) < 10 {
		t.Fatalf("members json: %v (%d members)", err, len(members))
	}
	for i, raw := range members {
		var m struct{ ID int64 }
		json.Unmarshal(raw, &m)
		api := apiGet(t, h, fmt.Sprintf("/api/v1/members/%d", m.ID))
		if got, want := compact(t, api), compact(t, raw); got != want {
			t.Errorf("member %d: API %s\nCLI %s", m.ID, got, want)
		}
		// The API's encoding is the CLI's: a member printed alone by the
		// CLI's encoder would be these bytes.
		var buf bytes.Buffer
		if err := writeJSON(&buf, json.RawMessage(raw)); err != nil || !bytes.Equal(buf.Bytes(), api) {
			t.Errorf("member %d: API bytes differ from the CLI encoder's:\n%s\n%s", m.ID, api, buf.Bytes())
		}
		if i >= 15 {
			continue // the journeys of the most active members are enough
		}
		code, cliJourney, errOut := runMain(t, "journey", fmt.Sprint(m.ID), "--store", db, "--format", "json")
		if code != exitOK {
			t.Fatalf("journey %d: %s", m.ID, errOut)
		}
		var cj struct {
			Member     json.RawMessage   `json:"member"`
			Activities []json.RawMessage `json:"activities"`
		}
		json.Unmarshal([]byte(cliJourney), &cj)
		var aj struct {
			Member     json.RawMessage   `json:"member"`
			Activities []json.RawMessage `json:"activities"`
			NextCursor string            `json:"next_cursor"`
		}
		json.Unmarshal(apiGet(t, h, fmt.Sprintf("/api/v1/members/%d/journey?limit=1000", m.ID)), &aj)
		if compact(t, aj.Member) != compact(t, cj.Member) {
			t.Errorf("journey %d: member differs:\nAPI %s\nCLI %s", m.ID, aj.Member, cj.Member)
		}
		if aj.NextCursor != "" || len(aj.Activities) != len(cj.Activities) {
			t.Fatalf("journey %d: API has %d activities (next %q), CLI %d", m.ID, len(aj.Activities), aj.NextCursor, len(cj.Activities))
		}
		// The API is newest first, the CLI oldest first: every activity is
		// the same JSON.
		want := map[string]int{}
		for _, a := range cj.Activities {
			want[compact(t, a)]++
		}
		for _, a := range aj.Activities {
			if want[compact(t, a)] == 0 {
				t.Errorf("journey %d: API activity not in the CLI journey: %s", m.ID, a)
			}
			want[compact(t, a)]--
		}
	}
	var as struct {
		Suggestions json.RawMessage `json:"suggestions"`
	}
	json.Unmarshal(apiGet(t, h, "/api/v1/suggestions"), &as)
	if compact(t, as.Suggestions) != compact(t, []byte(cliSuggestions)) {
		t.Errorf("suggestions differ:\nAPI %s\nCLI %s", as.Suggestions, cliSuggestions)
	}
}

// TestPublicListenNeedsAuth: without an auth section the daemon refuses a
// non-loopback address, from the file or from --listen, naming the file,
// the line and the field.
func TestPublicListenNeedsAuth(t *testing.T) {
	dir := t.TempDir()
	write := func(name, listen string) string {
		path := filepath.Join(dir, name)
		body := "store: " + filepath.Join(dir, "x.db") + "\nlisten: " + listen + "\nsources:\n  - name: upstream\n    type: github\n    repos: [o/r]\n"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	public, local := write("public.yaml", "0.0.0.0:7171"), write("local.yaml", "127.0.0.1:0")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"file", []string{"--config", public, "run"}, exitFail, public + `:2: auth: required: listen "0.0.0.0:7171" is not a loopback address`},
		{"flag", []string{"--config", local, "run", "--listen", "0.0.0.0:0"}, exitFail, local + `: auth: required: listen "0.0.0.0:0" is not a loopback address`},
		{"all interfaces", []string{"--config", local, "run", "--listen", ":7171"}, exitFail, `auth: required: listen ":7171"`},
		{"demo", []string{"demo", "--listen", "0.0.0.0:0", "--store", filepath.Join(dir, "d.db")}, exitUsage, "--listen must be a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMain(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q (stdout %q)", code, tt.code, errOut, tt.want, out)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Errorf("the store was created although the daemon refused to start")
	}
}

// TestServiceServesWeb runs the daemon with an auth section: the pages
// want a login, the API a token, and /healthz, /readyz and /metrics stay
// open next to them.
func TestServiceServesWeb(t *testing.T) {
	bin := binary(t)
	c := community.Generate(9, 30, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fake := githubtest.New()
	if err := c.LoadGitHub(fake); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hash, err := web.HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	// Every interface, not loopback: the auth section is required and enforced.
	_, port, _ := net.SplitHostPort(freeAddr(t))
	s := &service{logs: &syncBuffer{}, cfg: filepath.Join(dir, "rollcall.yaml"), db: filepath.Join(dir, "rollcall.db"), listen: "0.0.0.0:" + port, base: fake.Start(t), org: c.Org}
	s.writeConfig(t, "github-a")
	cfg, _ := os.ReadFile(s.cfg)
	cfg = append(cfg, fmt.Sprintf("auth:\n  token: ${ROLLCALL_TEST_API_TOKEN}\n  users:\n    - name: ann\n      password_hash: %q\n", hash)...)
	if err := os.WriteFile(s.cfg, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "tok-0123456789abcdef-SENTINEL"
	s.cmd = exec.Command(bin, "--config", s.cfg, "run", "--quiet")
	s.cmd.Env = append(os.Environ(), "ROLLCALL_TEST_API_TOKEN="+token)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
	s.waitFor(t, "readyz", func() bool { code, _ := s.get(t, "/readyz"); return code == 200 })
	host, _ := os.Hostname()
	if !strings.Contains(s.logs.String(), "http://"+net.JoinHostPort(host, port)+"/members") {
		t.Errorf("run did not log the URL of the pages:\n%s", s.logs.String())
	}
	for _, p := range []string{"/healthz", "/metrics"} {
		if code, _ := s.get(t, p); code != 200 {
			t.Errorf("GET %s: %d, want 200 without auth", p, code)
		}
	}
	if code, body := s.get(t, "/api/v1/members"); code != 401 || !strings.Contains(body, `"error"`) {
		t.Errorf("API without a token: %d %s", code, body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get("http://" + s.listen + "/members")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("members page without a login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", "http://"+s.listen+"/api/v1/members?limit=5", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Members []json.RawMessage `json:"members"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(page.Members) == 0 {
		t.Errorf("API with the token: %d, %d members", resp.StatusCode, len(page.Members))
	}
	if strings.Contains(s.logs.String(), token) || strings.Contains(s.logs.String(), hash) {
		t.Errorf("the logs hold a secret")
	}
}

func TestAuthHashPassword(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"auth", "hash-password"}, strings.NewReader("correct horse\n"), &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	h := strings.TrimSpace(out.String())
	if !web.CheckPassword(h, "correct horse") || strings.Contains(h, "correct") {
		t.Errorf("hash %q does not check", h)
	}
	if code := run(t.Context(), []string{"auth", "hash-password"}, strings.NewReader("short\n"), &out, &errb); code != exitUsage {
		t.Errorf("short password: exit %d", code)
	}
}
