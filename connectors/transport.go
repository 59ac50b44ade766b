package connectors

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// NotModifiedHeader is set on a response that Transport made up for a
// 304 Not Modified: the library reads a 200 whose body is the JSON null,
// and the connector, which knows it asked conditionally, tells it apart
// with NotModified. The header is removed from every real response.
const NotModifiedHeader = "X-Rollcall-Not-Modified"

// notModifiedBody is what a library reads for a 304: the JSON null, which
// encoding/json decodes into any target without error (a slice, map or
// pointer becomes nil, a struct stays zero).
const notModifiedBody = "null"

// Transport returns the http.RoundTripper that client libraries (go-github,
// go-mastodon, the next ones) sit on. It is the client's whole request path:
// the rate-limit pause (a paused source sends no request), credentials,
// User-Agent, If-None-Match from the request context's ETagSet, retries
// with our policy, the budget read from the rate-limit headers of every
// response, request counting, and then, for the library:
//
//   - a 304 becomes a 200 with NotModifiedHeader and the body null, counted
//     as not modified (free), so that libraries that treat every non-2xx as
//     an error (go-mastodon) still return; the connector checks NotModified
//     (or WithLastResponse) and skips the page, as it always did for a 304.
//     No response body is stored anywhere (see "Conditional requests" in
//     the package documentation for why none is needed);
//   - a 429 never reaches a library (go-mastodon retries them itself with
//     its own timer, outside our clock and budget): it is an
//     *ErrRateLimited, and the source pauses.
//
// Use HTTPClient instead for hand-written requests that want the 304 itself.
func (c *Client) Transport() http.RoundTripper { return libraryTransport{c} }

// LibraryClient returns an *http.Client on Transport, for client libraries
// that take one.
func (c *Client) LibraryClient() *http.Client { return &http.Client{Transport: c.Transport()} }

type libraryTransport struct{ c *Client }

func (t libraryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	last := lastResponseFrom(req.Context())
	last.reset()
	resp, err := retryTransport(t).RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Header.Del(NotModifiedHeader)
	last.record(resp)
	switch resp.StatusCode {
	case http.StatusNotModified:
		return notModified(resp), nil
	case http.StatusTooManyRequests:
		drain(resp)
		now := t.c.opts.Now()
		wait := maxShortWait
		if ra, ok := parseRetryAfter(resp.Header, now); ok && ra > wait {
			wait = ra
		}
		return nil, t.c.limited(req.Context(), now.Add(wait), "rate limited (429)")
	}
	return resp, nil
}

// notModified turns a 304 into the 200 a library reads.
func notModified(resp *http.Response) *http.Response {
	drain(resp)
	h := resp.Header.Clone()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set(NotModifiedHeader, "true")
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
		Header:        h,
		Body:          io.NopCloser(strings.NewReader(notModifiedBody)),
		ContentLength: int64(len(notModifiedBody)),
		Request:       resp.Request,
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
}

// NotModified reports whether resp answers a conditional request with "not
// modified": a 304, or the 200 that Transport made up for one.
func NotModified(resp *http.Response) bool {
	return resp != nil && (resp.StatusCode == http.StatusNotModified || resp.Header.Get(NotModifiedHeader) != "")
}

// LastResponse is what Transport saw of the last response to a request
// made with a context from WithLastResponse: the status as the service sent
// it (304, not the 200 a library read), the headers and the URL. It is for
// connectors whose library hides the response (go-mastodon returns neither
// status nor headers). It is safe for concurrent use; with concurrent
// requests on one context, the last to finish wins.
type LastResponse struct {
	mu     sync.Mutex
	status int
	header http.Header
	url    *url.URL
}

type lastKey struct{}

// WithLastResponse returns a context whose requests through Transport
// record their response in the returned LastResponse.
func WithLastResponse(ctx context.Context) (context.Context, *LastResponse) {
	l := &LastResponse{}
	return context.WithValue(ctx, lastKey{}, l), l
}

func lastResponseFrom(ctx context.Context) *LastResponse {
	l, _ := ctx.Value(lastKey{}).(*LastResponse)
	return l
}

func (l *LastResponse) reset() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status, l.header, l.url = 0, nil, nil
}

func (l *LastResponse) record(resp *http.Response) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status, l.header = resp.StatusCode, resp.Header.Clone()
	if resp.Request != nil {
		l.url = resp.Request.URL
	}
}

// Status is the HTTP status the service answered; 0 when no response came
// (a transport error, a paused source).
func (l *LastResponse) Status() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// Header is the response's header (nil when none came).
func (l *LastResponse) Header() http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.header
}

// URL is the URL that was answered, without credentials (RedactURL), for
// errors and logs; "" when none was.
func (l *LastResponse) URL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return RedactURL(l.url)
}

// NotModified reports whether the service answered 304.
func (l *LastResponse) NotModified() bool { return l.Status() == http.StatusNotModified }
