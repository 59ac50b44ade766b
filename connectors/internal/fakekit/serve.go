package fakekit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Start serves h on an httptest server closed when tb's test ends, and
// returns its URL without a trailing slash, e.g. "http://127.0.0.1:PORT".
func Start(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return ts.URL
}

// Listen serves h on addr (e.g. "127.0.0.1:0") until shutdown is called,
// and returns its URL without a trailing slash, e.g.
// "http://127.0.0.1:PORT". The error reads "listen ADDR: CAUSE"; callers
// prefix their package name.
func Listen(addr string, h http.Handler) (url string, shutdown func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), srv.Shutdown, nil
}

// Transport returns a RoundTripper that serves requests by calling h
// directly, without sockets, so clients can run inside a testing/synctest
// bubble. Any host in the request URL is accepted and becomes the request's
// Host. Unlike net/http's transport it never decompresses bodies.
func Transport(h http.Handler) http.RoundTripper { return transport{h} }

type transport struct{ h http.Handler }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:1"
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	r.Body.Close()
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
