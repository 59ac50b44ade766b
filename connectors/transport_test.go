package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTransportReplaysNotModified: through Transport, a 304 reaches the
// library as a 200 with the body null and NotModifiedHeader, counted as not
// modified; the ETag stays, the budget of the 304's headers is recorded,
// WithLastResponse sees the 304 itself, and HTTPClient still returns the
// 304 as it came.
func TestTransportReplaysNotModified(t *testing.T) {
	const etag = `W/"v1"`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "300")
		w.Header().Set("X-RateLimit-Reset", "2025-03-01T12:05:00.000000Z")
		w.Header().Set(NotModifiedHeader, "forged")
		if r.Header.Get("If-None-Match") == etag {
			w.Header().Set("X-RateLimit-Remaining", "299")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("X-RateLimit-Remaining", "298")
		w.Header().Set("ETag", etag)
		w.Header().Set("Link", `<https://x.example/?max_id=1>; rel="next"`)
		w.Write([]byte(`[{"id":"1"},{"id":"2"}]`))
	}))
	defer ts.Close()
	clk := newFakeClock()
	c := newTestClient(t, clk, nil)
	set := NewETagSet(nil)
	ctx, last := WithLastResponse(WithETags(context.Background(), set))
	hc := c.LibraryClient()
	u := ts.URL + "/api/v1/timelines/tag/x?limit=40"

	resp, body, err := get(ctx, hc, u)
	if err != nil || resp.StatusCode != 200 || NotModified(resp) || last.Status() != 200 {
		t.Fatalf("first: %v %v, NotModified %v, last %d", resp, err, NotModified(resp), last.Status())
	}
	var got []struct{ ID string }
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got) != 2 {
		t.Fatalf("first body %q: %v", body, err)
	}
	if last.Header().Get("Link") == "" || last.URL() != "/api/v1/timelines/tag/x?limit=40" {
		t.Errorf("last response: link %q url %q", last.Header().Get("Link"), last.URL())
	}

	resp, body, err = get(ctx, hc, u)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("second: %v %v", resp, err)
	}
	if !NotModified(resp) || !last.NotModified() || last.Status() != http.StatusNotModified {
		t.Errorf("second: NotModified(resp) %v, last status %d", NotModified(resp), last.Status())
	}
	if body != "null" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("second: body %q, content type %q", body, resp.Header.Get("Content-Type"))
	}
	var st struct{ ID string }
	if err := json.Unmarshal([]byte(body), &got); err != nil || got != nil {
		t.Errorf("null must decode into a slice as nil: %v %v", got, err)
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.ID != "" {
		t.Errorf("null must decode into a struct as zero: %v %v", st, err)
	}
	if set.Get(u) != etag {
		t.Errorf("ETag = %q after the 304", set.Get(u))
	}
	if diff := cmp.Diff(Stats{Requests: 2, NotModified: 1, Pages: 1}, c.TakeStats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if rs := c.RateLimit(); rs.Remaining != 299 || rs.Limit != 300 {
		t.Errorf("budget from the 304 not recorded: %+v", rs)
	}

	// The same request through HTTPClient: the 304 as it came.
	resp, _, err = get(ctx, c.HTTPClient(), u)
	if err != nil || resp.StatusCode != http.StatusNotModified || !NotModified(resp) {
		t.Fatalf("HTTPClient: %v %v", resp, err)
	}
}

// TestTransportForgedMarkerRemoved: a service cannot make a real 200 look
// like a replayed 304.
func TestTransportForgedMarkerRemoved(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(NotModifiedHeader, "true")
		w.Write([]byte(`[]`))
	}))
	defer ts.Close()
	c := newTestClient(t, newFakeClock(), nil)
	resp, _, err := get(context.Background(), c.LibraryClient(), ts.URL)
	if err != nil || NotModified(resp) {
		t.Fatalf("resp %v err %v NotModified %v", resp, err, NotModified(resp))
	}
}

// TestTransport429NeverReachesLibrary: a 429 that survived its short
// Retry-After retries is an *ErrRateLimited for the library, not a
// response it would retry on its own timer.
func TestTransport429NeverReachesLibrary(t *testing.T) {
	s := &script{steps: []step{{status: 429, header: map[string]string{"Retry-After": "2"}, body: `{"error":"Too many requests"}`}}}
	ts := httptest.NewServer(s)
	defer ts.Close()
	clk := newFakeClock()
	c := newTestClient(t, clk, nil)
	start := clk.Now()
	ctx, last := WithLastResponse(context.Background())
	_, _, err := get(ctx, c.LibraryClient(), ts.URL)
	var rl *ErrRateLimited
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if s.count() != 4 || last.Status() != 429 {
		t.Errorf("%d requests, last status %d; want 4 (3 retries) and 429", s.count(), last.Status())
	}
	if !rl.Until.After(start) || !c.RateLimit().Paused {
		t.Errorf("not paused: until %v, state %+v", rl.Until, c.RateLimit())
	}
	// Paused: the next request is not sent.
	if _, _, err := get(ctx, c.LibraryClient(), ts.URL); !errors.As(err, &rl) || s.count() != 4 {
		t.Errorf("while paused: err %v, %d requests", err, s.count())
	}
	if last.Status() != 0 {
		t.Errorf("a request that was not sent left last status %d", last.Status())
	}
}

// TestTransportDropsEmptyBearer: a library that always sends
// "Authorization: Bearer <token>" sends "Bearer " without a token; the
// service must see no Authorization at all then.
func TestTransportDropsEmptyBearer(t *testing.T) {
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	defer ts.Close()
	c := NewClient(ClientOptions{Source: "test", Now: newFakeClock().Now})
	for _, v := range []string{"Bearer ", "Bearer abc"} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
		req.Header.Set("Authorization", v)
		resp, err := c.LibraryClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if diff := cmp.Diff([]string{"", "Bearer abc"}, got); diff != "" {
		t.Errorf("Authorization seen (-want +got):\n%s", diff)
	}
}
