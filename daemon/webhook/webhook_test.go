package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/daemon/webhook"
)

var (
	secret = []byte("s3cr3t-0123456789abcdef")
	t0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// clock is a settable fake time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// request is what the receiver got.
type request struct {
	header http.Header
	body   []byte
	err    error // Verify's answer
}

// receiver is an httptest server that verifies every delivery with
// Verify against its own clock and answers with the next status of
// statuses (the last one repeats); a bad signature is a 401.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []request
	statuses []int
	header   http.Header // added to every answer
	now      func() time.Time
}

func newReceiver(t *testing.T, now func() time.Time, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses, now: now, header: http.Header{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := webhook.Verify(secret, r.Header, body, rc.now(), 5*time.Minute)
		rc.mu.Lock()
		rc.got = append(rc.got, request{r.Header.Clone(), body, err})
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status = rc.statuses[0]
			if len(rc.statuses) > 1 {
				rc.statuses = rc.statuses[1:]
			}
		}
		rc.mu.Unlock()
		if err != nil {
			status = http.StatusUnauthorized
		}
		for k, v := range rc.header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

func openStore(t *testing.T, now func() time.Time) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Now = now
	t.Cleanup(func() { st.Close() })
	return st
}

func enqueue(t *testing.T, st *sqlite.Store) int64 {
	t.Helper()
	id, err := st.EnqueueEvent(t.Context(), crm.Event{Type: crm.EventLevelChanged, Member: crm.EventMember{ID: 4, Name: "Ana Lima"}, Level: 2, LevelName: "contributor", PreviousLevel: 3})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newSender(t *testing.T, o webhook.Options) *webhook.Sender {
	t.Helper()
	if o.Secret == nil {
		o.Secret = secret
	}
	if o.Jitter == nil {
		o.Jitter = func() float64 { return 0.5 } // no jitter: factor 1
	}
	s, err := webhook.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func row(t *testing.T, st *sqlite.Store, id int64) crm.Delivery {
	t.Helper()
	all, err := st.Deliveries(t.Context(), crm.DeliveryFilter{Pending: true, Failed: true, Delivered: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("no outbox row %d", id)
	return crm.Delivery{}
}

// tamper changes the body on the way to the receiver.
type tamper struct{}

func (tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	b = bytes.Replace(b, []byte(`"level":2`), []byte(`"level":1`), 1)
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return http.DefaultTransport.RoundTrip(r)
}

// TestSignatureCheckedByReceiver: the receiver's Verify accepts what the
// sender signs, and rejects a changed body, another secret and an old
// timestamp.
func TestSignatureCheckedByReceiver(t *testing.T) {
	tests := []struct {
		name    string
		secret  []byte
		client  *http.Client
		skew    time.Duration // sender clock minus receiver clock
		wantErr error
	}{
		{name: "good", wantErr: nil},
		{name: "clock 4m ahead", skew: 4 * time.Minute, wantErr: nil},
		{name: "tampered body", client: &http.Client{Transport: tamper{}}, wantErr: webhook.ErrBadSignature},
		{name: "wrong secret", secret: []byte("another-secret-0123456789"), wantErr: webhook.ErrBadSignature},
		{name: "old timestamp", skew: -10 * time.Minute, wantErr: webhook.ErrStale},
		{name: "future timestamp", skew: 6 * time.Minute, wantErr: webhook.ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: t0.Add(-time.Hour)} // the row is due before any skew
			rc := newReceiver(t, func() time.Time { return t0 })
			st := openStore(t, clk.Now)
			id := enqueue(t, st)
			clk.Set(t0.Add(tt.skew))
			s := newSender(t, webhook.Options{URL: rc.URL, Secret: tt.secret, Outbox: st, Client: tt.client, Now: clk.Now, Version: "v9"})
			n, err := s.Flush(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got := rc.requests()
			if len(got) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(got))
			}
			if !errors.Is(got[0].err, tt.wantErr) || (tt.wantErr == nil) != (got[0].err == nil) {
				t.Errorf("Verify = %v, want %v", got[0].err, tt.wantErr)
			}
			if want := btoi(tt.wantErr == nil); n != want {
				t.Errorf("delivered %d, want %d", n, want)
			}
			h := got[0].header
			for k, want := range map[string]string{
				"Content-Type":          "application/json",
				"User-Agent":            "rollcall/v9",
				webhook.HeaderEvent:     crm.EventLevelChanged,
				webhook.HeaderDelivery:  strconv.FormatInt(id, 10),
				webhook.HeaderTimestamp: strconv.FormatInt(clk.Now().Unix(), 10),
			} {
				if h.Get(k) != want {
					t.Errorf("%s = %q, want %q", k, h.Get(k), want)
				}
			}
			d := row(t, st, id)
			if tt.wantErr == nil {
				if d.DeliveredAt.IsZero() || d.Attempts != 1 {
					t.Errorf("row = %+v, want delivered after 1 attempt", d)
				}
			} else if !d.DeliveredAt.IsZero() || d.LastError != "status 401" || d.Attempts != 1 {
				t.Errorf("row = %+v, want pending with status 401", d)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":1}`)
	good := http.Header{}
	good.Set(webhook.HeaderTimestamp, strconv.FormatInt(t0.Unix(), 10))
	good.Set(webhook.HeaderSignature, webhook.Sign(secret, t0, body))
	with := func(k, v string) http.Header {
		h := good.Clone()
		h.Set(k, v)
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"good", good, body, t0, nil},
		{"at the tolerance", good, body, t0.Add(time.Minute), nil},
		{"past the tolerance", good, body, t0.Add(time.Minute + time.Second), webhook.ErrStale},
		{"other body", good, []byte(`{"id":2}`), t0, webhook.ErrBadSignature},
		{"timestamp changed", with(webhook.HeaderTimestamp, strconv.FormatInt(t0.Unix()+1, 10)), body, t0, webhook.ErrBadSignature},
		{"no timestamp", with(webhook.HeaderTimestamp, ""), body, t0, webhook.ErrNoSignature},
		{"no prefix", with(webhook.HeaderSignature, strings.TrimPrefix(good.Get(webhook.HeaderSignature), "sha256=")), body, t0, webhook.ErrNoSignature},
		{"truncated", with(webhook.HeaderSignature, good.Get(webhook.HeaderSignature)[:20]), body, t0, webhook.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(secret, tt.header, tt.body, tt.now, time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestRetryThenDelivered: the receiver fails twice (500), then answers
// 200; the attempts follow the backoff (30s, then 1m) and the third one
// delivers.
func TestRetryThenDelivered(t *testing.T) {
	clk := &clock{t: t0}
	rc := newReceiver(t, clk.Now, 500, 500, 200)
	st := openStore(t, clk.Now)
	id := enqueue(t, st)
	var logs bytes.Buffer
	var results []string
	s := newSender(t, webhook.Options{URL: rc.URL + "/hook/tok3n", Outbox: st, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Observe: func(r string) { results = append(results, r) }})
	steps := []struct {
		at       time.Duration
		requests int
	}{
		{0, 1},                // attempt 1: 500, next in 30s
		{29 * time.Second, 1}, // not due yet
		{30 * time.Second, 2}, // attempt 2: 500, next in 1m
		{89 * time.Second, 2}, // not due yet
		{90 * time.Second, 3}, // attempt 3: 200
		{time.Hour, 3},        // nothing left
	}
	for _, step := range steps {
		clk.Set(t0.Add(step.at))
		if _, err := s.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := len(rc.requests()); got != step.requests {
			t.Fatalf("at +%s: receiver got %d requests, want %d", step.at, got, step.requests)
		}
	}
	d := row(t, st, id)
	if !d.DeliveredAt.Equal(t0.Add(90*time.Second)) || d.Attempts != 3 || d.LastError != "" {
		t.Errorf("row = %+v, want delivered at +90s after 3 attempts", d)
	}
	for i, r := range rc.requests() {
		if r.header.Get(webhook.HeaderDelivery) != strconv.FormatInt(id, 10) || r.err != nil {
			t.Errorf("request %d: delivery %q, verify %v", i, r.header.Get(webhook.HeaderDelivery), r.err)
		}
	}
	if want := "retry retry delivered"; strings.Join(results, " ") != want {
		t.Errorf("results = %v, want %s", results, want)
	}
	out := logs.String()
	if strings.Count(out, "webhook delivery failed") != 2 || !strings.Contains(out, "status=500") || !strings.Contains(out, "attempt=2") {
		t.Errorf("logs:\n%s", out)
	}
	for _, leak := range []string{string(secret), "Ana Lima", "tok3n"} {
		if strings.Contains(out, leak) {
			t.Errorf("logs leak %q:\n%s", leak, out)
		}
	}
}

// TestGiveUp: after max_attempts failed attempts the row is failed, listed
// as failed, and not sent again.
func TestGiveUp(t *testing.T) {
	clk := &clock{t: t0}
	rc := newReceiver(t, clk.Now, 500)
	st := openStore(t, clk.Now)
	id := enqueue(t, st)
	s := newSender(t, webhook.Options{URL: rc.URL, Outbox: st, Now: clk.Now, MaxAttempts: 3})
	for i := range 5 {
		clk.Set(t0.Add(time.Duration(i) * 2 * time.Hour))
		if _, err := s.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(rc.requests()); got != 3 {
		t.Errorf("receiver got %d requests, want 3", got)
	}
	failed, err := st.Deliveries(t.Context(), crm.DeliveryFilter{Failed: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].ID != id || !failed[0].Failed || failed[0].Attempts != 3 || failed[0].LastError != "status 500" {
		t.Errorf("failed = %+v, want row %d failed after 3 attempts", failed, id)
	}
}

// TestRetryAfter: a 429 or 503 with Retry-After sets the next attempt.
func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		status int
		value  string
		want   time.Duration
	}{
		{"503 seconds", 503, "120", 120 * time.Second},
		{"429 date", 429, t0.Add(10 * time.Minute).Format(http.TimeFormat), 10 * time.Minute},
		{"429 garbage", 429, "soon", 30 * time.Second},
		{"500 ignored", 500, "120", 30 * time.Second},
		{"capped", 503, "999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: t0}
			rc := newReceiver(t, clk.Now, tt.status)
			rc.header.Set("Retry-After", tt.value)
			st := openStore(t, clk.Now)
			id := enqueue(t, st)
			s := newSender(t, webhook.Options{URL: rc.URL, Outbox: st, Now: clk.Now})
			if _, err := s.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			if d := row(t, st, id); !d.NextAttemptAt.Equal(t0.Add(tt.want)) {
				t.Errorf("next attempt at +%s, want +%s", d.NextAttemptAt.Sub(t0), tt.want)
			}
		})
	}
}

// TestNoRedirect: a redirect is not followed; it is a failed attempt.
func TestNoRedirect(t *testing.T) {
	clk := &clock{t: t0}
	other := newReceiver(t, clk.Now)
	redirect := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	st := openStore(t, clk.Now)
	id := enqueue(t, st)
	s := newSender(t, webhook.Options{URL: redirect.URL, Outbox: st, Now: clk.Now})
	if _, err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the redirect's target got %d requests", n)
	}
	if d := row(t, st, id); d.LastError != "status 307 (redirects are not followed)" {
		t.Errorf("last error = %q", d.LastError)
	}
}

func TestBackoff(t *testing.T) {
	const lo, hi = 30 * time.Second, time.Hour
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		attempt := i + 1
		if got := webhook.Backoff(attempt, lo, hi, 0.5); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", attempt, got, w)
		}
		if got, min := webhook.Backoff(attempt, lo, hi, 0), w*9/10; got != min {
			t.Errorf("Backoff(%d, r=0) = %s, want %s", attempt, got, min)
		}
		if got, max := webhook.Backoff(attempt, lo, hi, 0.999999), w*11/10; got > max || got < max-time.Millisecond {
			t.Errorf("Backoff(%d, r→1) = %s, want just under %s", attempt, got, max)
		}
	}
	if got := webhook.Backoff(200, lo, hi, 0.5); got != hi {
		t.Errorf("Backoff(200) = %s, want %s (no overflow)", got, hi)
	}
}

// TestRunDeliversAndStops: Run polls on every tick and returns when its
// context is cancelled.
func TestRunDeliversAndStops(t *testing.T) {
	clk := &clock{t: t0}
	rc := newReceiver(t, clk.Now)
	st := openStore(t, clk.Now)
	ticks := make(chan time.Time)
	waits := make(chan time.Duration, 10)
	s := newSender(t, webhook.Options{URL: rc.URL, Outbox: st, Now: clk.Now, Poll: 7 * time.Second,
		After: func(d time.Duration) <-chan time.Time { waits <- d; return ticks }})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if d := <-waits; d != 7*time.Second { // the first pass found nothing
		t.Errorf("waits %s, want the poll interval", d)
	}
	id := enqueue(t, st)
	ticks <- t0
	<-waits // the second pass is over
	if d := row(t, st, id); d.DeliveredAt.IsZero() {
		t.Errorf("row %d not delivered after a tick: %+v", id, d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestNewNeedsURLSecretOutbox(t *testing.T) {
	st := openStore(t, time.Now)
	for _, o := range []webhook.Options{
		{Secret: secret, Outbox: st},
		{URL: "http://127.0.0.1/h", Outbox: st},
		{URL: "http://127.0.0.1/h", Secret: secret},
	} {
		if _, err := webhook.New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}
