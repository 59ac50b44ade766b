package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fuzzRoutes are the GET pages and API endpoints, {id} standing for the
// fuzzed path segment.
var fuzzRoutes = []string{
	"/members", "/members/{id}", "/suggestions", "/sources", "/health", "/champions",
	"/api/v1/members", "/api/v1/members/{id}", "/api/v1/members/{id}/journey", "/api/v1/suggestions",
	"/api/v1/sources", "/api/v1/health", "/api/v1/champions",
}

// FuzzQuery: whatever the query string and the member id of a GET request
// to a page or an API endpoint, the server never answers 5xx (bad input
// is the client's error: 4xx, with a page or a JSON error), and the API
// answers JSON. Seeds: every query parameter the pages and the API read,
// with good and bad values.
func FuzzQuery(f *testing.F) {
	for i := range fuzzRoutes {
		r := uint8(i)
		for _, q := range []string{
			"", "search=ann", "search=a", "search=%00", "search=%ff%fe", "q=ann&limit=2", "limit=0", "limit=-1",
			"limit=99999999999999999999", "limit=abc", "offset=-5", "cursor=zz", "format=csv", "status=all", "status=bogus",
			"period=30d", "period=0d", "period=367d", "period=36h", "period=-1h", "period=9999999999999999d", "platform=github",
			"platform=%3Cscript%3E", "top=3", "top=-1", "rising=1", "slipping=true", "include_staff=1", "before=2026-01-01T00:00:00Z",
			"before=garbage", "since=x", "sort=name", "page=2", "page=-1", "a=%zz", "search=" + strings.Repeat("x", 2000), ";;;&&&==",
		} {
			f.Add(r, "1", q)
		}
		f.Add(r, "github:ann", "")
		f.Add(r, "0", "")
		f.Add(r, "-1", "")
		f.Add(r, "99999999999999999999", "")
		f.Add(r, "%00", "limit=1")
		f.Add(r, "github:", "")
		f.Add(r, ":", "")
	}
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, route uint8, id, query string) {
		path := strings.ReplaceAll(fuzzRoutes[int(route)%len(fuzzRoutes)], "{id}", url.PathEscape(id))
		target := path
		if query != "" {
			target += "?" + query
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || strings.ContainsAny(target, " \t\r\n") {
			return // net/http answers 400 before any handler
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL, req.RequestURI = u, target
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		res := rec.Result()
		body := rec.Body.Bytes()
		if res.StatusCode >= 500 {
			t.Fatalf("GET %s: %d\n%s", target, res.StatusCode, body)
		}
		if strings.HasPrefix(u.Path, "/api/") && res.StatusCode != http.StatusNotModified {
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/csv") {
				t.Fatalf("GET %s: %d with Content-Type %q", target, res.StatusCode, ct)
			}
			if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && !json.Valid(body) {
				t.Fatalf("GET %s: %d, body is not JSON: %s", target, res.StatusCode, body)
			}
		}
	})
}
