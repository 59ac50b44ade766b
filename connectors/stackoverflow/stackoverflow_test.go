package stackoverflow

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// clock is a fake clock whose Sleep advances it and records the wait.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// source parses settings (YAML lines of one source) as config would.
func source(t *testing.T, settings string) config.Source {
	t.Helper()
	text := "sources:\n  - name: so\n    type: stackoverflow\n"
	for _, line := range strings.Split(strings.TrimRight(settings, "\n"), "\n") {
		text += "    " + line + "\n"
	}
	cfg, err := config.Parse("test.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("parse settings: %v\n%s", err, text)
	}
	return cfg.Sources[0]
}

type env struct {
	srv   *stackoverflowtest.Server
	clk   *clock
	store *connectortest.Store
	logs  *bytes.Buffer
	conn  *Connector
}

// newEnv returns a connector on a fake, with settings and a debug log
// captured in logs.
func newEnv(t *testing.T, settings string, opts ...stackoverflowtest.Option) *env {
	t.Helper()
	clk := &clock{now: t0}
	srv := stackoverflowtest.New(append([]stackoverflowtest.Option{stackoverflowtest.WithNow(clk.Now)}, opts...)...)
	e := &env{srv: srv, clk: clk, store: connectortest.NewStore(), logs: &bytes.Buffer{}}
	e.conn = e.connector(t, settings, srv.Transport())
	return e
}

// lockedWriter makes a bytes.Buffer safe for the logger.
type lockedWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (e *env) connector(t *testing.T, settings string, rt http.RoundTripper) *Connector {
	t.Helper()
	log := slog.New(slog.NewTextHandler(&lockedWriter{b: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := newConnector(connectors.Options{
		Source: source(t, settings), Logger: log, Now: e.clk.Now, Sleep: e.clk.Sleep,
		HTTP: rt, Profiles: e.store, Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sync fetches until Done, committing each batch.
func (e *env) sync(t *testing.T) error {
	t.Helper()
	for range 1000 {
		b, err := e.conn.Fetch(context.Background(), e.store.Cursor)
		if err != nil {
			return err
		}
		e.store.Apply(b)
		if b.Done {
			return nil
		}
	}
	t.Fatal("no Done after 1000 batches")
	return nil
}

const keyed = "tags: [go, rollcall]\nkey: " + fakeKey + "\napi_url: " + fakeAPI + "\n"

func TestNewSettings(t *testing.T) {
	tests := []struct {
		name, settings, wantErr string
	}{
		{"minimal", "tags: [go]", ""},
		{"no tags", "site: superuser", "tags: required"},
		{"bad tag", "tags: ['a;b']", "is not one tag"},
		{"bad site", "site: 'a/b'\ntags: [go]", "api_site_parameter"},
		{"bad url", "tags: [go]\napi_url: ftp://x", "http(s)"},
		{"unknown field", "tags: [go]\ntoken: x", "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(connectors.Options{Source: source(t, tt.settings)})
			if tt.wantErr == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNoKeyWarns(t *testing.T) {
	e := newEnv(t, "tags: [go]\napi_url: "+fakeAPI)
	if !strings.Contains(e.logs.String(), "no key") {
		t.Errorf("no warning about the missing key in %q", e.logs.String())
	}
}

func TestTranslation(t *testing.T) {
	e := newEnv(t, "site: stackoverflow\ntags: [rollcall, go]\nkey: "+fakeKey+"\napi_url: "+fakeAPI)
	asker := e.srv.AddUser(stackoverflowtest.User{UserID: 11, AccountID: 901, DisplayName: "Zoë O'Neil", WebsiteURL: "https://zoe.example.org"})
	helper := e.srv.AddUser(stackoverflowtest.User{UserID: 12, AccountID: 902, DisplayName: "Kim <b>"})
	q, _ := e.srv.AddQuestion(stackoverflowtest.Question{QuestionID: 500, Title: "Why & how?", Tags: []string{"go", "rollcall"}, OwnerID: asker.UserID, CreationDate: t0.Add(-time.Hour),
		Score: 3, Body: "<p>How do I <em>poll</em> this?</p>\n<pre><code>go run .\n</code></pre>"})
	a, _ := e.srv.AddAnswer(stackoverflowtest.Answer{AnswerID: 502, QuestionID: q.QuestionID, OwnerID: helper.UserID, CreationDate: t0.Add(-50 * time.Minute),
		Score: -1, Body: "<p>Use <code>since</code> &amp; ETags.</p>"})
	_ = e.srv.AcceptAnswer(a.AnswerID, t0.Add(-40*time.Minute))
	_, _ = e.srv.AddComment(stackoverflowtest.Comment{CommentID: 7001, PostID: a.AnswerID, OwnerID: asker.UserID, CreationDate: t0.Add(-45 * time.Minute), Body: "Thanks, that works!"})
	_, _ = e.srv.AddComment(stackoverflowtest.Comment{CommentID: 7002, PostID: q.QuestionID, OwnerID: helper.UserID, CreationDate: t0.Add(-55 * time.Minute)})
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	pre := "stackoverflow/stackoverflow/"
	want := map[string]connectors.Activity{
		pre + "question/500":        {Type: TypeQuestion, Actor: ref(11), URL: q.Link, Title: "Why & how?", OccurredAt: t0.Add(-time.Hour)},
		pre + "answer/502":          {Type: TypeAnswer, Actor: ref(12), URL: "https://stackoverflow.com/a/502", ParentKey: pre + "question/500", OccurredAt: t0.Add(-50 * time.Minute)},
		pre + "answer_accepted/500": {Type: TypeAnswerAccepted, Actor: ref(11), URL: "https://stackoverflow.com/a/502", ParentKey: pre + "answer/502", OccurredAt: t0.Add(-50 * time.Minute)},
		pre + "comment/7001":        {Type: TypeComment, Actor: ref(11), URL: "https://stackoverflow.com/posts/comments/7001", ParentKey: pre + "answer/502", OccurredAt: t0.Add(-45 * time.Minute)},
		pre + "comment/7002":        {Type: TypeComment, Actor: ref(12), URL: "https://stackoverflow.com/posts/comments/7002", ParentKey: pre + "question/500", OccurredAt: t0.Add(-55 * time.Minute)},
	}
	if len(e.store.Acts) != len(want) {
		t.Errorf("got %d activities %v, want %d", len(e.store.Acts), e.store.Keys(), len(want))
	}
	for k, w := range want {
		g, ok := e.store.Acts[k]
		if !ok {
			t.Errorf("%s missing", k)
			continue
		}
		if g.Type != w.Type || g.Actor != w.Actor || g.ParentKey != w.ParentKey || !g.OccurredAt.Equal(w.OccurredAt) ||
			(w.URL != "" && g.URL != w.URL) || (w.Title != "" && g.Title != w.Title) || g.Channel != "rollcall" ||
			g.Platform != connectors.PlatformStackOverflow || g.Instance != "stackoverflow" {
			t.Errorf("%s = %+v, want %+v (channel rollcall)", k, g, w)
		}
	}
	// Scores and body excerpts (the withbody filter).
	for k, w := range map[string]struct {
		score int
		text  string
	}{
		pre + "question/500": {3, "How do I poll this?"},
		pre + "answer/502":   {-1, "Use since & ETags."},
		pre + "comment/7001": {0, "Thanks, that works!"},
		pre + "comment/7002": {0, ""},
	} {
		g := e.store.Acts[k]
		if g.Reactions == nil || g.Reactions.Total != w.score || g.Reactions.ByKind[connectors.ReactionScore] != w.score {
			t.Errorf("%s: reactions %+v, want score %d", k, g.Reactions, w.score)
		}
		if g.Text != w.text {
			t.Errorf("%s: text %q, want %q", k, g.Text, w.text)
		}
	}
	zoe := e.store.Accounts[ref(11)]
	if zoe.Username != "Zoë O'Neil" || zoe.Name != "Zoë O'Neil" || zoe.NetworkID != "901" || zoe.URL != asker.Link ||
		len(zoe.Links) != 1 || zoe.Links[0] != "https://zoe.example.org" || zoe.ProfileFetchedAt.IsZero() {
		t.Errorf("account 11 = %+v", zoe)
	}
	if kim := e.store.Accounts[ref(12)]; kim.Username != "Kim <b>" || kim.NetworkID != "902" || len(kim.Links) != 0 {
		t.Errorf("account 12 = %+v", kim)
	}
}

func ref(id int) connectors.AccountRef {
	return connectors.AccountRef{Platform: "stackoverflow", Instance: "stackoverflow", ExternalID: strconv.Itoa(id)}
}

// TestBackoffPerMethodAndQuotaReserve is the acceptance test: a `backoff`
// is honoured per method (the same method waits, another method does not),
// and the source pauses before quota_remaining reaches zero.
func TestBackoffPerMethodAndQuotaReserve(t *testing.T) {
	e := newEnv(t, keyed, stackoverflowtest.WithKey(fakeKey))
	seed(t, e.srv, 10, 260, t0)
	e.srv.SetBackoff(stackoverflowtest.RouteQuestions, 7)

	// Batch 1: /questions answers backoff 7; the answers and comments
	// methods are called right after it, without waiting.
	b, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	e.store.Apply(b)
	if got := e.clk.Sleeps(); len(got) != 0 {
		t.Errorf("waited %v in the first batch; other methods must not wait for /questions' backoff", got)
	}
	reqs := e.srv.Requests()
	if len(reqs) < 2 || reqs[0].Route != stackoverflowtest.RouteQuestions || reqs[1].Route != stackoverflowtest.RouteAnswers {
		t.Fatalf("first requests = %+v, want /questions then answers", reqs)
	}
	// Batch 2 calls /questions again: it waits the 7 seconds first.
	b, err = e.conn.Fetch(context.Background(), b.Next)
	if err != nil {
		t.Fatalf("second Fetch: %v", err)
	}
	e.store.Apply(b)
	if got := e.clk.Sleeps(); len(got) != 1 || got[0] != 7*time.Second {
		t.Errorf("waits before calling /questions again = %v, want [7s]", got)
	}
	for _, r := range e.srv.Requests() {
		if r.ErrorID == 502 {
			t.Errorf("throttle_violation on %s: the backoff was not honoured", r.Path)
		}
	}

	// The quota: 3 requests left above the reserve (1% of 10,000).
	e.srv.SetBackoff(stackoverflowtest.RouteQuestions, 0)
	rsv := reserve(stackoverflowtest.DefaultKeyQuota)
	e.srv.SetQuota(rsv+3, time.Time{})
	before := e.srv.Count()
	var rl *connectors.ErrRateLimited
	for i := 0; ; i++ {
		b, err := e.conn.Fetch(context.Background(), e.store.Cursor)
		if errors.As(err, &rl) {
			break
		}
		if err != nil || b.Done || i > 10 {
			t.Fatalf("Fetch %d = done %v, err %v; want ErrRateLimited before the quota is spent", i, b.Done, err)
		}
		e.store.Apply(b)
	}
	_, remaining, _ := e.srv.Quota(true)
	if remaining != rsv {
		t.Errorf("quota_remaining at the pause = %d, want the reserve %d (never zero)", remaining, rsv)
	}
	if n := e.srv.Count() - before; n > 3 {
		t.Errorf("%d requests made with 3 left above the reserve", n)
	}
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC); !rl.Until.Equal(want) {
		t.Errorf("paused until %v, want the next UTC midnight %v", rl.Until, want)
	}
	n := e.srv.Count()
	if _, err := e.conn.Fetch(context.Background(), e.store.Cursor); !errors.As(err, &rl) || e.srv.Count() != n {
		t.Errorf("Fetch while paused = %v with %d requests, want ErrRateLimited and none", err, e.srv.Count()-n)
	}
	if _, _, until := e.conn.Quota(); !until.Equal(rl.Until) {
		t.Errorf("Quota() paused until %v, want %v", until, rl.Until)
	}
}

func TestLongBackoffPausesSource(t *testing.T) {
	e := newEnv(t, keyed)
	seed(t, e.srv, 5, 150, t0)
	e.srv.SetBackoff(stackoverflowtest.RouteQuestions, 600)
	b, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	n := e.srv.Count()
	_, err = e.conn.Fetch(context.Background(), b.Next)
	var rl *connectors.ErrRateLimited
	if !errors.As(err, &rl) || !rl.Until.Equal(t0.Add(600*time.Second)) {
		t.Fatalf("Fetch during a 600s backoff = %v, want ErrRateLimited until %v", err, t0.Add(600*time.Second))
	}
	if e.srv.Count() != n {
		t.Errorf("%d requests during the backoff", e.srv.Count()-n)
	}
}

func TestThrottleViolation(t *testing.T) {
	tests := []struct {
		name string
		// prepare makes the next /questions call a throttle_violation.
		prepare   func(t *testing.T, e *env)
		wantUntil time.Time
	}{
		// The fake's message says when requests are available again; the
		// connector does not read prose, and no quota was seen yet.
		{"quota spent elsewhere", func(t *testing.T, e *env) { e.srv.Exhaust(t0.Add(90 * time.Second)) }, t0.Add(defaultThrottlePause)},
		{"backoff ignored by another process", func(t *testing.T, e *env) {
			e.srv.SetBackoff(stackoverflowtest.RouteQuestions, 30)
			other := e.connector(t, keyed, e.srv.Transport())
			if _, err := other.Fetch(context.Background(), connectors.Cursor{}); err != nil {
				t.Fatal(err)
			}
		}, t0.Add(defaultThrottlePause)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, keyed)
			seed(t, e.srv, 5, 20, t0)
			tt.prepare(t, e)
			_, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
			var rl *connectors.ErrRateLimited
			if !errors.As(err, &rl) {
				t.Fatalf("Fetch = %v, want ErrRateLimited", err)
			}
			if !rl.Until.Equal(tt.wantUntil) || !strings.Contains(rl.Reason, "throttle_violation") {
				t.Errorf("paused until %v (%s), want %v", rl.Until, rl.Reason, tt.wantUntil)
			}
			n := e.srv.Count()
			if _, err := e.conn.Fetch(context.Background(), connectors.Cursor{}); !errors.As(err, &rl) || e.srv.Count() != n {
				t.Errorf("second Fetch = %v after %d requests, want a pause without requests", err, e.srv.Count()-n)
			}
			e.clk.Advance(tt.wantUntil.Sub(e.clk.Now()) + time.Second)
			e.srv.SetBackoff(stackoverflowtest.RouteQuestions, 0)
			if err := e.sync(t); err != nil {
				t.Fatalf("sync after the pause: %v", err)
			}
		})
	}
}

func TestCompression(t *testing.T) {
	ref := newEnv(t, keyed)
	seed(t, ref.srv, 10, 120, t0)
	if err := ref.sync(t); err != nil {
		t.Fatal(err)
	}
	want := len(ref.store.Keys())
	tests := []struct {
		name     string
		enc      stackoverflowtest.Encoding
		realHTTP bool
	}{
		{"gzip with Content-Encoding", stackoverflowtest.Gzip, false},
		{"gzip without Content-Encoding", stackoverflowtest.GzipNoHeader, false},
		{"deflate", stackoverflowtest.Deflate, false},
		{"gzip over net/http", stackoverflowtest.Gzip, true},
		{"gzip without header over net/http", stackoverflowtest.GzipNoHeader, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, keyed, stackoverflowtest.WithEncoding(tt.enc))
			seed(t, e.srv, 10, 120, t0)
			if tt.realHTTP {
				e.conn = e.connector(t, "tags: [go, rollcall]\nkey: "+fakeKey+"\napi_url: "+e.srv.Start(t), nil)
			}
			if err := e.sync(t); err != nil {
				t.Fatal(err)
			}
			if got := len(e.store.Keys()); got != want || want == 0 {
				t.Errorf("%d activities, want %d", got, want)
			}
		})
	}
}

func TestDecompress(t *testing.T) {
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
	_, _ = fw.Write([]byte(`{"items":[]}`))
	_ = fw.Close()
	tests := []struct {
		name, enc string
		body      []byte
		wantErr   bool
	}{
		{"identity", "", []byte(`{"items":[]}`), false},
		{"raw deflate", "deflate", raw.Bytes(), false},
		{"unknown", "br", []byte("x"), true},
		{"bad gzip", "gzip", []byte("not gzip"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decompress(tt.enc, tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decompress = %q, %v", got, err)
			}
			if !tt.wantErr && string(got) != `{"items":[]}` {
				t.Errorf("decompress = %q", got)
			}
		})
	}
}

func TestTruncatedBodyIsMalformed(t *testing.T) {
	e := newEnv(t, keyed)
	seed(t, e.srv, 5, 20, t0)
	e.srv.TruncateNext(1)
	_, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
	var bad *connectors.ErrMalformed
	if !errors.As(err, &bad) || bad.Status != 200 || !strings.Contains(bad.URL, "/questions") {
		t.Fatalf("Fetch of a truncated body = %v, want ErrMalformed", err)
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name             string
		env              envelope
		keyed            bool
		page             string
		lowQuota         bool
		wantUnauthorized bool
		wantBadParameter bool
		wantPageLimit    bool
		wantUntil        time.Time
		wantText         string
	}{
		// A keyed bad_parameter is handed to blameKey, whatever the
		// message names.
		{name: "keyed bad parameter", env: envelope{ErrorID: 400, ErrorName: "bad_parameter", ErrorMessage: "key"}, keyed: true, wantBadParameter: true, wantText: "bad_parameter (error_id 400): key"},
		{name: "keyed bad parameter, other wording", env: envelope{ErrorID: 400, ErrorName: "bad_parameter", ErrorMessage: "Clé invalide"}, keyed: true, wantBadParameter: true},
		{name: "anonymous bad parameter", env: envelope{ErrorID: 400, ErrorName: "bad_parameter", ErrorMessage: "tagged"}, wantText: "bad_parameter (error_id 400): tagged"},
		{name: "key_required", env: envelope{ErrorID: 405, ErrorName: "key_required", ErrorMessage: "x"}, wantUnauthorized: true, wantText: "check key"},
		{name: "invalid access token", env: envelope{ErrorID: 402, ErrorName: "invalid_access_token"}, keyed: true, wantUnauthorized: true},
		{name: "page above 25", env: envelope{ErrorID: 403, ErrorName: "access_denied", ErrorMessage: "reworded"}, page: "26", wantPageLimit: true},
		{name: "access denied on an early page", env: envelope{ErrorID: 403, ErrorName: "access_denied", ErrorMessage: "page above 25 requires access token or app key"}, page: "3", wantText: "access_denied (error_id 403)"},
		{name: "access denied with a key", env: envelope{ErrorID: 403, ErrorName: "access_denied"}, keyed: true, page: "26", wantText: "error_id 403"},
		{name: "throttle, a shorter stated wait does not shorten the pause", env: envelope{ErrorID: 502, ErrorName: "throttle_violation", ErrorMessage: "more requests available in 7 seconds"}, wantUntil: t0.Add(defaultThrottlePause), wantText: "throttle_violation"},
		{name: "throttle, a longer stated wait lengthens it", env: envelope{ErrorID: 502, ErrorName: "throttle_violation", ErrorMessage: "too many requests from this IP, more requests available in 719 seconds"}, wantUntil: t0.Add(719 * time.Second), wantText: "throttle_violation"},
		{name: "throttle, reworded message", env: envelope{ErrorID: 502, ErrorName: "throttle_violation", ErrorMessage: "trop de requêtes"}, wantUntil: t0.Add(defaultThrottlePause), wantText: "throttle_violation"},
		{name: "throttle with the quota seen spent", env: envelope{ErrorID: 502, ErrorName: "throttle_violation"}, lowQuota: true, wantUntil: nextMidnight(t0), wantText: "throttle_violation"},
		{name: "temporarily unavailable", env: envelope{ErrorID: 503, ErrorName: "temporarily_unavailable"}, keyed: true, wantText: "error_id 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Connector{source: "so", keyed: tt.keyed, now: func() time.Time { return t0 }, backoff: map[string]time.Time{}}
			if tt.lowQuota {
				c.quota = quotaState{Max: 10000, Remaining: 0, Seen: true}
			}
			tt.env.status, tt.env.url = 400, "/questions?site=stackoverflow"
			q := url.Values{}
			if tt.page != "" {
				q.Set("page", tt.page)
			}
			err := c.apiError(&tt.env, q, t0)
			var un *connectors.ErrUnauthorized
			if got := errors.As(err, &un); got != tt.wantUnauthorized {
				t.Errorf("ErrUnauthorized = %v, want %v (%v)", got, tt.wantUnauthorized, err)
			}
			var bp *badParameter
			if got := errors.As(err, &bp); got != tt.wantBadParameter {
				t.Errorf("badParameter = %v, want %v (%v)", got, tt.wantBadParameter, err)
			}
			if got := errors.Is(err, errPageLimit); got != tt.wantPageLimit {
				t.Errorf("page limit = %v, want %v (%v)", got, tt.wantPageLimit, err)
			}
			var rl *connectors.ErrRateLimited
			if errors.As(err, &rl) != !tt.wantUntil.IsZero() || (rl != nil && !rl.Until.Equal(tt.wantUntil)) {
				t.Errorf("rate limited %v, want until %v", err, tt.wantUntil)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
		})
	}
}

// canned answers every request with the same Stack Exchange error body and
// records whether each carried a key.
type canned struct {
	body  string
	keyed []bool
}

func (c *canned) RoundTrip(r *http.Request) (*http.Response, error) {
	c.keyed = append(c.keyed, r.URL.Query().Has("key"))
	return &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(c.body)), Request: r}, nil
}

// TestBlameKey checks how a keyed bad_parameter is attributed: by asking
// again without the key, never by reading error_message.
func TestBlameKey(t *testing.T) {
	t.Run("refused key", func(t *testing.T) {
		// The fake refuses the key with bad_parameter and serves the
		// keyless request: the key is at fault.
		e := newEnv(t, keyed, stackoverflowtest.WithKey("another-key"))
		_, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
		var un *connectors.ErrUnauthorized
		if !errors.As(err, &un) {
			t.Fatalf("Fetch = %v, want ErrUnauthorized", err)
		}
		reqs := e.srv.Requests()
		if len(reqs) != 2 || !strings.Contains(reqs[0].RawQuery, "key=") || strings.Contains(reqs[1].RawQuery, "key=") {
			t.Errorf("requests = %+v, want a keyed one and its keyless probe", reqs)
		}
		if _, _, until := e.conn.Quota(); !until.IsZero() {
			t.Errorf("the probe paused the source until %v", until)
		}
	})
	t.Run("another parameter", func(t *testing.T) {
		// bad_parameter again without the key, whatever the message says
		// ("key" here): not the key.
		rt := &canned{body: `{"error_id":400,"error_name":"bad_parameter","error_message":"key"}`}
		e := newEnv(t, keyed)
		e.conn = e.connector(t, keyed, rt)
		_, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
		var un *connectors.ErrUnauthorized
		if err == nil || errors.As(err, &un) || !strings.Contains(err.Error(), "bad_parameter (error_id 400)") {
			t.Fatalf("Fetch = %v, want the bad_parameter error, not ErrUnauthorized", err)
		}
		if len(rt.keyed) != 2 || !rt.keyed[0] || rt.keyed[1] {
			t.Errorf("requests keyed = %v, want [true false]", rt.keyed)
		}
	})
}

func TestAnonymousPageLimitStopsPaging(t *testing.T) {
	// 2,700 answers on one question need 27 pages of answers: an anonymous
	// caller gets 25 of them, a warning, and no error.
	e := newEnv(t, "tags: [go]\napi_url: "+fakeAPI)
	u := e.srv.AddUser(stackoverflowtest.User{})
	q, _ := e.srv.AddQuestion(stackoverflowtest.Question{Tags: []string{"go"}, OwnerID: u.UserID, CreationDate: t0.Add(-time.Hour)})
	for range 2600 {
		if _, err := e.srv.AddAnswer(stackoverflowtest.Answer{QuestionID: q.QuestionID, OwnerID: u.UserID, CreationDate: t0.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.logs.String(), "page above 25") {
		t.Errorf("no warning about the page limit")
	}
	if n := len(e.store.Acts); n != 1+2500 {
		t.Errorf("%d activities, want the question and 25 pages of answers", n)
	}
}

func TestKeyNeverInLogsOrErrors(t *testing.T) {
	const sentinel = "SENTINEL-key-4f9d"
	settings := "tags: [go, rollcall]\nkey: " + sentinel + "\napi_url: " + fakeAPI
	check := func(t *testing.T, e *env, err error) {
		t.Helper()
		if err != nil && strings.Contains(err.Error(), sentinel) {
			t.Errorf("error shows the key: %v", err)
		}
		if strings.Contains(e.logs.String(), sentinel) {
			t.Errorf("log shows the key:\n%s", e.logs.String())
		}
	}
	t.Run("accepted key is sent and redacted", func(t *testing.T) {
		e := newEnv(t, settings, stackoverflowtest.WithKey(sentinel))
		seed(t, e.srv, 5, 20, t0)
		err := e.sync(t)
		if err != nil {
			t.Fatal(err)
		}
		check(t, e, err)
		if r := e.srv.Requests()[0]; !r.Keyed || !strings.Contains(r.RawQuery, "key="+sentinel) {
			t.Errorf("request %+v carried no key", r)
		}
		if !strings.Contains(e.logs.String(), "key=REDACTED") {
			t.Errorf("debug log does not show the redacted key:\n%s", e.logs.String())
		}
	})
	t.Run("refused key", func(t *testing.T) {
		e := newEnv(t, settings, stackoverflowtest.WithKey("another-key"))
		_, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
		var un *connectors.ErrUnauthorized
		if !errors.As(err, &un) || !strings.Contains(err.Error(), "check key for source so") {
			t.Fatalf("Fetch with a refused key = %v, want ErrUnauthorized with the fix", err)
		}
		check(t, e, err)
	})
	faults := []struct {
		name  string
		fault func(*stackoverflowtest.Server)
	}{
		{"server errors", func(s *stackoverflowtest.Server) { s.FailNext(500, 10) }},
		{"malformed", func(s *stackoverflowtest.Server) { s.MalformedNext(1) }},
		{"bad request", func(s *stackoverflowtest.Server) { s.FailNext(400, 1) }},
		{"throttled", func(s *stackoverflowtest.Server) { s.Exhaust(t0.Add(time.Hour)) }},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, settings)
			f.fault(e.srv)
			_, err := e.conn.Fetch(context.Background(), connectors.Cursor{})
			if err == nil {
				t.Fatal("Fetch succeeded despite the fault")
			}
			check(t, e, err)
		})
	}
}

func TestProfilesAtMostDaily(t *testing.T) {
	e := newEnv(t, keyed)
	seed(t, e.srv, 8, 40, t0)
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	users := func() int {
		n := 0
		for _, r := range e.srv.Requests() {
			if r.Route == stackoverflowtest.RouteUsers {
				n++
			}
		}
		return n
	}
	first := users()
	if first == 0 {
		t.Fatal("no profile read")
	}
	// New activity by a known user within a day reads no profile...
	e.clk.Advance(time.Hour)
	owner := int64(0)
	for r := range e.store.Accounts {
		if id, err := strconv.ParseInt(r.ExternalID, 10, 64); err == nil {
			owner = id
			break
		}
	}
	_, _ = e.srv.AddQuestion(stackoverflowtest.Question{Tags: []string{"go"}, OwnerID: owner, CreationDate: e.clk.Now()})
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if users() != first {
		t.Errorf("profile read again within a day")
	}
	// ...and after a day it is read again.
	e.clk.Advance(25 * time.Hour)
	_, _ = e.srv.AddQuestion(stackoverflowtest.Question{Tags: []string{"go"}, OwnerID: owner, CreationDate: e.clk.Now()})
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if users() != first+1 {
		t.Errorf("profile reads after a day = %d, want %d", users(), first+1)
	}
}

// TestVectorizedReadsFillEachRequest: the comments of answers and the
// profiles of new users wait for a full request of 100 ids across pages of
// questions, and the pass's last batch reads what is left, so a backfill
// makes ⌈n/100⌉ of each, not ⌈n/100⌉ per page; nothing is lost on the way,
// whether the per-object memory is the store's or the cursor's.
func TestVectorizedReadsFillEachRequest(t *testing.T) {
	for _, inStore := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory in the cursor", true: "memory in the store"}[inStore], func(t *testing.T) {
			e := newEnv(t, "tags: [go]\nkey: "+fakeKey+"\napi_url: "+fakeAPI+"\n")
			if inStore {
				log := slog.New(slog.DiscardHandler)
				c, err := newConnector(connectors.Options{Source: source(t, "tags: [go]\nkey: "+fakeKey+"\napi_url: "+fakeAPI+"\n"), Logger: log,
					Now: e.clk.Now, Sleep: e.clk.Sleep, HTTP: e.srv.Transport(), Profiles: e.store, Objects: e.store, Version: "test"})
				if err != nil {
					t.Fatal(err)
				}
				e.conn = c
			}
			// Two pages of 100 questions; 130 answers on each page, each
			// answer with one comment; every asker and answerer a new user.
			const questions = 200
			users, answers := 0, 0
			at := t0.Add(-1000 * time.Hour)
			for i := range questions {
				users++
				asker := e.srv.AddUser(stackoverflowtest.User{DisplayName: "asker " + strconv.Itoa(i)}).UserID
				q, err := e.srv.AddQuestion(stackoverflowtest.Question{Title: "question " + strconv.Itoa(i), Tags: []string{"go"}, OwnerID: asker, CreationDate: at.Add(time.Duration(i) * time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
				n := 1
				if i%10 < 3 {
					n = 2
				}
				for k := range n {
					users++
					who := e.srv.AddUser(stackoverflowtest.User{DisplayName: "answerer " + strconv.Itoa(i) + "-" + strconv.Itoa(k)}).UserID
					a, err := e.srv.AddAnswer(stackoverflowtest.Answer{QuestionID: q.QuestionID, OwnerID: who, CreationDate: q.CreationDate.Add(time.Minute)})
					if err != nil {
						t.Fatal(err)
					}
					answers++
					if _, err := e.srv.AddComment(stackoverflowtest.Comment{PostID: a.AnswerID, OwnerID: asker, CreationDate: q.CreationDate.Add(2 * time.Minute), Body: "thanks"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := e.sync(t); err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, r := range e.srv.Requests() {
				count[r.Route]++
			}
			if got, want := count[stackoverflowtest.RouteAnswerComments], (answers+99)/100; got != want {
				t.Errorf("%d requests for the comments of %d answers, want %d", got, answers, want)
			}
			if got, want := count[stackoverflowtest.RouteUsers], (users+99)/100; got != want {
				t.Errorf("%d requests for %d profiles, want %d", got, users, want)
			}
			comments, profiles := 0, 0
			for _, a := range e.store.Acts {
				if a.Type == TypeComment {
					comments++
					if !strings.HasPrefix(a.ParentKey, "stackoverflow/stackoverflow/answer/") || !strings.HasPrefix(a.Title, "question ") || a.Channel != "go" {
						t.Errorf("comment %s: parent %q, title %q, channel %q", a.Key, a.ParentKey, a.Title, a.Channel)
					}
				}
			}
			for _, a := range e.store.Accounts {
				if !a.ProfileFetchedAt.IsZero() {
					profiles++
				}
			}
			if comments != answers || profiles != users {
				t.Errorf("%d comments and %d profiles stored, want %d and %d", comments, profiles, answers, users)
			}
			if inStore && len(e.store.Cursor.State) > 1024 {
				t.Errorf("cursor of %d bytes: the queued reads belong in the store", len(e.store.Cursor.State))
			}
		})
	}
}
