package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
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

// demoSentinels are secrets for every credential the demo's sources and
// its webhook take. Each holds a core that is searched for alone too, so
// a leak of part of it (a prefix cut, an escaped form) is found.
var demoSentinels = map[string]string{
	"github token":           "ghp_SENTINELgithub7f3a9c1e5b",
	"mastodon token":         "SENTINELmastodon4d2b8e6f0a",
	"discourse api key":      "SENTINELdiscourse9e1c7a3f5d",
	"discourse user api key": "SENTINELuserkey2a6f4c8e0b",
	"stack exchange key":     "SENTINELstackex5b3d1f7a9c",
	"webhook secret":         "SENTINELwebhook8c0e2a4b6d",
}

// leakForms are the forms of secret that a leak could take: the secret, its
// core (after "ghp_"), query-escaped and base64.
func leakForms(secret string) []string {
	core := strings.TrimPrefix(secret, "ghp_")
	return []string{secret, core, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret)), base64.RawURLEncoding.EncodeToString([]byte(secret))}
}

// leaks returns the names of the sentinels found in text.
func leaks(text []byte) []string {
	var found []string
	for name, s := range demoSentinels {
		for _, f := range leakForms(s) {
			if bytes.Contains(text, []byte(f)) {
				found = append(found, name+" ("+f+")")
				break
			}
		}
	}
	sort.Strings(found)
	return found
}

// demoCredentials are the sentinels as the fakes' credentials.
func demoCredentials() community.Credentials {
	return community.Credentials{
		GitHubToken: demoSentinels["github token"], MastodonToken: demoSentinels["mastodon token"],
		DiscourseKey: demoSentinels["discourse api key"], DiscourseUserKey: demoSentinels["discourse user api key"],
		StackExchangeKey: demoSentinels["stack exchange key"],
	}
}

// TestSecretsNeverLeak runs `rollcall demo` (the four fakes, the daemon and
// the web UI) at debug level with a sentinel in every credential (GitHub
// token, Mastodon token, Discourse API key and user API key, Stack Exchange
// key, webhook secret) and searches for each of them, in every form of
// leakForms: every log line, every page the web UI links to, every
// /api/v1 reply, /metrics, /healthz and /readyz (headers too), the
// webhook deliveries, the SQLite files with their -wal and -shm while the
// daemon runs and after, `doctor` output, and the errors of `doctor`,
// `sync --once` and the config loader with refused secrets.
func TestSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	var seen sync.Map // "what" → text searched, for the report
	check := func(what string, text []byte) {
		t.Helper()
		seen.Store(what, len(text))
		if l := leaks(text); len(l) > 0 {
			t.Errorf("%s leaks %s", what, strings.Join(l, ", "))
		}
	}
	checkFiles := func(when string) {
		t.Helper()
		files, _ := filepath.Glob(db + "*")
		if len(files) == 0 {
			t.Fatalf("%s: no database files", when)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			check(when+" "+filepath.Base(f), b)
		}
	}

	// A webhook receiver: deliveries carry an HMAC, never the secret.
	var hooks syncBuffer
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(&hooks, "%s %s\n", r.Method, r.URL)
		r.Header.Write(&hooks)
		hooks.Write(body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	webhook := fmt.Sprintf("webhook:\n  url: %q\n  secret: %q\n  poll_interval: 100ms\n", receiver.URL, demoSentinels["webhook secret"])

	// Events already in the outbox: the demo's daemon delivers them, signed.
	enqueueEvents(t, db, 2)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	env := &cliEnv{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: func(string) string { return "" }, now: time.Now,
		demo: &demoHooks{world: community.WorldOptions{Credentials: demoCredentials()}, extra: webhook}}
	done := make(chan int, 1)
	go func() {
		done <- runEnv(ctx, env, []string{"--log-level", "debug", "--store", db, "demo", "--size", "30", "--listen", "127.0.0.1:0", "--quiet"})
	}()
	openRE := regexp.MustCompile(`Open (http://\S+) to browse`)
	var base string
	deadline := time.Now().Add(90 * time.Second)
	for base == "" {
		if m := openRE.FindStringSubmatch(stdout.String()); m != nil {
			u, err := url.Parse(m[1])
			if err != nil {
				t.Fatal(err)
			}
			base = u.Scheme + "://" + u.Host
			break
		}
		select {
		case code := <-done:
			t.Fatalf("demo exited %d before serving\n%s\n%s", code, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo did not serve\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	// Every source synced with its secret: the summary names them all.
	for _, src := range []string{"github", "mastodon", "discourse", "discourse-user", "stackoverflow"} {
		if !strings.Contains(stdout.String(), src) {
			t.Errorf("the demo summary does not name source %s:\n%s", src, stdout.String())
		}
	}

	// Crawl the web UI: every same-origin link from the start pages, and
	// the API replies for every member.
	get := func(target string) (string, int) {
		t.Helper()
		resp, err := http.Get(base + target)
		if err != nil {
			t.Errorf("GET %s: %v", target, err)
			return "", 0
		}
		defer resp.Body.Close()
		var head bytes.Buffer
		resp.Header.Write(&head)
		body, _ := io.ReadAll(resp.Body)
		check("GET "+target, append(head.Bytes(), body...))
		return string(body), resp.StatusCode
	}
	hrefRE := regexp.MustCompile(`(?:href|src|action)="(/[^"#]*)"`)
	queue := []string{"/", "/members", "/suggestions", "/sources", "/champions", "/health", "/metrics", "/healthz", "/readyz",
		"/api/v1/suggestions", "/api/v1/sources", "/api/v1/health", "/api/v1/champions", "/api/v1/members?limit=1000"}
	visited := map[string]bool{}
	pages := 0
	for len(queue) > 0 && pages < 400 {
		target := html.UnescapeString(queue[0])
		queue = queue[1:]
		if visited[target] {
			continue
		}
		visited[target] = true
		pages++
		body, code := get(target)
		if code >= 500 {
			t.Errorf("GET %s: %d", target, code)
		}
		for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
			if !visited[html.UnescapeString(m[1])] {
				queue = append(queue, m[1])
			}
		}
		if target == "/api/v1/members?limit=1000" {
			var ms struct {
				Members []struct {
					ID int64 `json:"id"`
				} `json:"members"`
			}
			if err := json.Unmarshal([]byte(body), &ms); err != nil {
				t.Fatalf("members JSON: %v: %.300s", err, body)
			}
			if len(ms.Members) == 0 {
				t.Fatalf("no members in %s", body)
			}
			for _, m := range ms.Members {
				queue = append(queue, fmt.Sprintf("/api/v1/members/%d", m.ID), fmt.Sprintf("/api/v1/members/%d/journey", m.ID))
			}
		}
	}
	if pages < 30 {
		t.Errorf("crawled only %d pages", pages)
	}
	// The store while the daemon holds it: the WAL and its index too.
	checkFiles("running")
	// Let the webhook outbox deliver what the first evaluation queued.
	for end := time.Now().Add(30 * time.Second); !strings.Contains(hooks.String(), "X-Rollcall-Signature") && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(hooks.String(), "X-Rollcall-Signature") {
		t.Errorf("no signed webhook delivery reached the receiver: %q", hooks.String())
	}
	get("/metrics")
	checkFiles("running later")
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("demo exit %d\n%s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not stop")
	}
	if !strings.Contains(stderr.String(), "level=DEBUG") {
		t.Errorf("no debug logs: %s", stderr.String())
	}
	check("demo stdout", []byte(stdout.String()))
	check("demo logs", []byte(stderr.String()))
	check("webhook deliveries", []byte(hooks.String()))
	checkFiles("stopped")

	// doctor, the CLI reads and a sync with the secrets in a config file
	// (the demo world again, same secrets).
	w, err := startDemoWorld(5, 20, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), community.WorldOptions{Credentials: demoCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	db = filepath.Join(dir, "cli.db")
	good := w.ConfigText(db, time.Minute) + webhook
	cfgPath := filepath.Join(dir, "rollcall.yaml")
	runWith := func(text string, args ...string) (int, string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runMain(t, append([]string{"--config", cfgPath, "--log-level", "debug"}, args...)...)
		check(strings.Join(args, " ")+" stdout", []byte(out))
		check(strings.Join(args, " ")+" stderr", []byte(errOut))
		return code, out + errOut
	}
	unit := filepath.Join(dir, "none.service")
	if code, out := runWith(good, "doctor", "--unit", unit); code != exitOK {
		t.Errorf("doctor with the sentinels: exit %d\n%s", code, out)
	}
	if code, out := runWith(good, "sync", "--once"); code != exitOK {
		t.Errorf("sync with the sentinels: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"members", "--limit", "0"}, {"members", "--format", "json", "--limit", "0"}, {"champions"}, {"health"}, {"suggestions"}, {"webhooks"}} {
		if code, out := runWith(good, args...); code != exitOK {
			t.Errorf("%s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
	checkFiles("cli")

	// Refused secrets: every one revoked (the refused value holds the
	// sentinel, so echoing it is a leak too).
	bad := good
	for name, s := range demoSentinels {
		if name != "webhook secret" {
			bad = strings.ReplaceAll(bad, s, s+"-revoked")
		}
	}
	code, out := runWith(bad, "doctor", "--unit", unit)
	if code != exitFail {
		t.Errorf("doctor with refused secrets: exit %d, want 1\n%s", code, out)
	}
	for _, src := range []string{"github", "mastodon", "discourse", "discourse-user", "stackoverflow"} {
		if !strings.Contains(out, "source "+src+" (") {
			t.Errorf("doctor does not report source %s:\n%s", src, out)
		}
	}
	if code, out := runWith(bad, "sync", "--once"); code != exitFail || !strings.Contains(out, "check token for source github") {
		t.Errorf("sync with refused secrets: exit %d, want 1 and the fix\n%s", code, out)
	}
	if code, out := runWith(bad, "--log-format", "json", "sync", "--once"); code != exitFail || !strings.Contains(out, `"level":"DEBUG"`) {
		t.Errorf("sync with refused secrets, JSON logs: exit %d, want 1 with debug lines\n%.2000s", code, out)
	}
	// A configuration error next to secrets written inline.
	broken := strings.Replace(good, fmt.Sprintf("url: %q", receiver.URL), `url: "ftp://hooks.example.org/x"`, 1)
	if code, out := runWith(broken, "doctor", "--unit", unit); code != exitFail || !strings.Contains(out, "webhook") {
		t.Errorf("doctor with a bad webhook URL: exit %d, want 1 naming the webhook\n%s", code, out)
	}
	checkFiles("refused")

	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	t.Logf("searched %d outputs, %d pages crawled, %d bytes of webhook deliveries", n, pages, len(hooks.String()))
}

// TestLeakForms: the search finds a secret in each form a leak could take.
func TestLeakForms(t *testing.T) {
	for name, s := range demoSentinels {
		for _, f := range leakForms(s) {
			if l := leaks([]byte("x " + f + " y")); len(l) == 0 {
				t.Errorf("%s as %q is not found", name, f)
			}
		}
	}
	if l := leaks([]byte("SENTINEL nothing here")); len(l) != 0 {
		t.Errorf("false positive: %v", l)
	}
}
