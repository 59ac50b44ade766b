package fakekit

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, r.Host+" "+r.RequestURI)
})

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &http.Client{Transport: Transport(echo)}
		if got, want := get(t, c, "https://fake.example/a/b?x=1"), "fake.example /a/b?x=1"; got != want {
			t.Errorf("body = %q, want %q", got, want)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://x/", nil)
	if _, err := Transport(echo).RoundTrip(req); err == nil {
		t.Error("RoundTrip with a canceled context: no error")
	}
}

func TestStartListen(t *testing.T) {
	u := Start(t, echo)
	if got := get(t, http.DefaultClient, u+"/p"); !strings.HasSuffix(got, " /p") {
		t.Errorf("Start: body = %q", got)
	}
	u, shutdown, err := Listen("127.0.0.1:0", echo)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	if got := get(t, http.DefaultClient, u+"/q"); !strings.HasSuffix(got, " /q") {
		t.Errorf("Listen: body = %q", got)
	}
	if _, _, err := Listen("256.0.0.1:0", echo); err == nil || !strings.HasPrefix(err.Error(), "listen 256.0.0.1:0: ") {
		t.Errorf("Listen on a bad address: err = %v", err)
	}
}

func TestFaults(t *testing.T) {
	var f Faults
	if _, ok := f.Fail(); ok || f.Malformed() || f.Truncate() {
		t.Fatal("zero Faults has faults pending")
	}
	f.FailNext(503, 2)
	for i := range 3 {
		status, ok := f.Fail()
		if want := i < 2; ok != want || (ok && status != 503) {
			t.Errorf("Fail #%d = %d, %v", i, status, ok)
		}
	}
	f.MalformedNext(1)
	f.TruncateNext(1)
	body, bad := []byte("0123456789"), []byte("{")
	if out, n := f.Spoil(404, body, bad); string(out) != string(body) || n != 10 {
		t.Errorf("Spoil(404) = %q, %d", out, n)
	}
	if out, n := f.Spoil(200, body, bad); string(out) != "{" || n != 1 {
		t.Errorf("Spoil malformed = %q, %d", out, n)
	}
	if out, n := f.Spoil(200, body, bad); string(out) != "01234" || n != 10 {
		t.Errorf("Spoil truncated = %q, %d", out, n)
	}
	if out, n := f.Spoil(200, body, bad); string(out) != string(body) || n != 10 {
		t.Errorf("Spoil with nothing pending = %q, %d", out, n)
	}
	synctest.Test(t, func(t *testing.T) {
		f.SlowNext(time.Minute)
		start := time.Now()
		f.Delay(context.Background())
		if d := time.Since(start); d != time.Minute {
			t.Errorf("Delay waited %v, want 1m", d)
		}
		start = time.Now()
		f.Delay(context.Background())
		if d := time.Since(start); d != 0 {
			t.Errorf("second Delay waited %v", d)
		}
		f.SlowNext(time.Hour)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start = time.Now()
		f.Delay(ctx)
		if d := time.Since(start); d != time.Second {
			t.Errorf("Delay with a 1s context waited %v", d)
		}
	})
}

func TestLog(t *testing.T) {
	type req struct{ path string }
	var l Log[req]
	if l.Requests() != nil || l.Count() != 0 {
		t.Fatal("zero Log not empty")
	}
	l.Add(req{"/a"}, 200, true)
	l.Add(req{"/b"}, 429, false)
	l.Add(req{"/c"}, 200, true)
	rs := l.Requests()
	if len(rs) != 3 || rs[0].path != "/a" || rs[2].path != "/c" {
		t.Errorf("Requests = %v", rs)
	}
	rs[0].path = "changed"
	if l.Requests()[0].path != "/a" {
		t.Error("Requests does not return a copy")
	}
	if l.Count() != 3 || l.Counted() != 2 || l.CountStatus(200) != 2 || l.CountStatus(429) != 1 || l.CountStatus(500) != 0 {
		t.Errorf("Count %d, Counted %d, 200: %d, 429: %d", l.Count(), l.Counted(), l.CountStatus(200), l.CountStatus(429))
	}
	l.Reset()
	if l.Requests() != nil || l.Count() != 0 || l.Counted() != 0 || l.CountStatus(200) != 0 {
		t.Error("Reset left entries or counters")
	}
}

func TestLookup(t *testing.T) {
	type user struct{ name string }
	m := map[int]*user{1: {"ann"}}
	if u, ok := Lookup(m, 1); !ok || u.name != "ann" {
		t.Errorf("Lookup(1) = %v, %v", u, ok)
	}
	if u, ok := Lookup(m, 2); ok || u != (user{}) {
		t.Errorf("Lookup(2) = %v, %v", u, ok)
	}
}
