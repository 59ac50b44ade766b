package mastodontest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func newServer(t *testing.T) (*Server, *time.Time) {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(WithNow(func() time.Time { return now }), WithToken("tok", "owner"), WithToken("app", ""))
	if _, err := s.AddAccount(Account{Username: "owner"}); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := s.AddAccount(Account{Username: fmt.Sprintf("u%d", i), Domain: "remote.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddStatus(Status{Account: fmt.Sprintf("u%d@remote.example", i), Tags: []string{"go"}, Mentions: []string{"owner"}, CreatedAt: now.Add(time.Duration(i-100) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	return s, &now
}

func get(t *testing.T, s *Server, path, token, inm string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://"+s.Domain()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	resp, err := s.Transport().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestEndpoints(t *testing.T) {
	s, _ := newServer(t)
	tests := []struct {
		path, token string
		status, n   int
		link        []string
		errText     string
	}{
		{"/api/v1/timelines/tag/go", "", 200, 20, []string{`rel="next"`, `rel="prev"`, "min_id="}, ""},
		{"/api/v1/timelines/tag/go?limit=100", "", 200, 40, nil, ""},
		{"/api/v1/timelines/tag/go?min_id=0&limit=40", "", 200, 40, nil, ""},
		{"/api/v1/notifications", "tok", 200, 40, nil, ""},
		{"/api/v1/notifications?types[]=follow", "tok", 200, 0, nil, ""},
		{"/api/v1/notifications", "", 401, -1, nil, "This API requires an authenticated user"},
		{"/api/v1/notifications", "app", 422, -1, nil, "This method requires an authenticated user"},
		{"/api/v1/timelines/tag/go", "bad", 401, -1, nil, "The access token is invalid"},
		{"/api/v1/statuses/1", "", 404, -1, nil, "Record not found"},
		{"/api/v1/accounts/lookup?acct=u3@remote.example", "", 200, -1, nil, ""},
		{"/api/v1/accounts/lookup?acct=nobody", "", 404, -1, nil, "Record not found"},
		{"/api/v1/accounts/verify_credentials", "tok", 200, -1, nil, ""},
		{"/api/v2/instance", "", 200, -1, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.token, func(t *testing.T) {
			resp := get(t, s, tc.path, tc.token, "")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			var v any
			if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
				t.Fatal(err)
			}
			if list, ok := v.([]any); tc.n >= 0 && (!ok || len(list) != tc.n) {
				t.Errorf("got %T of %d, want %d items", v, len(list), tc.n)
			}
			for _, l := range tc.link {
				if !strings.Contains(resp.Header.Get("Link"), l) {
					t.Errorf("Link %q lacks %q", resp.Header.Get("Link"), l)
				}
			}
			if tc.errText != "" {
				if m, _ := v.(map[string]any); m["error"] != tc.errText {
					t.Errorf("error %v, want %q", v, tc.errText)
				}
			}
			if resp.Header.Get("Retry-After") != "" {
				t.Errorf("Retry-After sent")
			}
		})
	}
}

func TestETagAndBudgets(t *testing.T) {
	s, _ := newServer(t)
	r1 := get(t, s, "/api/v1/timelines/tag/go", "", "")
	etag := r1.Header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) || r1.Header.Get("X-RateLimit-Remaining") != "299" {
		t.Fatalf("etag %q remaining %q", etag, r1.Header.Get("X-RateLimit-Remaining"))
	}
	if reset := r1.Header.Get("X-RateLimit-Reset"); reset != "2026-03-01T12:05:00.000000Z" {
		t.Errorf("reset %q", reset)
	}
	if r := get(t, s, "/api/v1/timelines/tag/go", "", etag); r.StatusCode != http.StatusNotModified || s.Counted() != 1 {
		t.Fatalf("conditional GET: %d, counted %d", r.StatusCode, s.Counted())
	}
	// A paginated request counts against both budgets; the headers show the
	// one closer to exhaustion.
	s.SetPagingRateLimit(10, time.Date(2026, 3, 1, 12, 15, 0, 0, time.UTC))
	r := get(t, s, "/api/v1/timelines/tag/go?max_id=99999999999999999", "", "")
	if r.Header.Get("X-RateLimit-Remaining") != "9" || r.Header.Get("X-RateLimit-Reset") != "2026-03-01T12:15:00.000000Z" {
		t.Errorf("paging headers %v", r.Header)
	}
	s.SetPagingRateLimit(0, time.Date(2026, 3, 1, 12, 15, 0, 0, time.UTC))
	if r := get(t, s, "/api/v1/timelines/tag/go?min_id=1", "", ""); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("exhausted paging budget: %d", r.StatusCode)
	}
	if r := get(t, s, "/api/v1/timelines/tag/go", "", ""); r.StatusCode != http.StatusOK {
		t.Errorf("unpaginated request refused: %d", r.StatusCode)
	}
}

// TestGone: a removed status and a deleted account answer 404 "Record not
// found" everywhere and leave timelines, lists and notifications.
func TestGone(t *testing.T) {
	s, now := newServer(t)
	fan, err := s.AddAccount(Account{Username: "fan"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.AddStatus(Status{Account: "owner", Tags: []string{"go"}, CreatedAt: *now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Favourite("fan", st.ID, *now); err != nil {
		t.Fatal(err)
	}
	if err := s.Follow("fan", "owner", *now); err != nil {
		t.Fatal(err)
	}
	owner, _ := s.Account("owner")
	count := func(path, token string) int {
		var v []any
		if err := json.NewDecoder(get(t, s, path, token, "").Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return len(v)
	}
	if got := count("/api/v1/statuses/"+st.ID+"/favourited_by", ""); got != 1 {
		t.Fatalf("favourited_by before: %d", got)
	}
	if err := s.DeleteAccount("fan"); err != nil {
		t.Fatal(err)
	}
	if got := count("/api/v1/statuses/"+st.ID+"/favourited_by", ""); got != 0 {
		t.Errorf("favourited_by lists a deleted account: %d", got)
	}
	if got := count("/api/v1/accounts/"+owner.ID+"/followers", ""); got != 0 {
		t.Errorf("followers lists a deleted account: %d", got)
	}
	if err := s.RemoveStatus(st.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveStatus("404"); err == nil {
		t.Error("RemoveStatus of an unknown id succeeded")
	}
	for _, p := range []string{
		"/api/v1/statuses/" + st.ID, "/api/v1/statuses/" + st.ID + "/favourited_by",
		"/api/v1/statuses/" + st.ID + "/reblogged_by", "/api/v1/statuses/" + st.ID + "/context",
		"/api/v1/accounts/lookup?acct=fan", "/api/v1/accounts/" + fan.ID, "/api/v1/accounts/" + fan.ID + "/statuses",
		"/api/v1/accounts/" + fan.ID + "/followers",
	} {
		resp := get(t, s, p, "", "")
		var e map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 404 || e["error"] != "Record not found" {
			t.Errorf("GET %s = %d %v, want 404 Record not found", p, resp.StatusCode, e)
		}
	}
	if got := count("/api/v1/accounts/"+owner.ID+"/statuses", ""); got != 0 {
		t.Errorf("account statuses list a removed status: %d", got)
	}
	if got := count("/api/v1/notifications?limit=80", "tok"); got != 50 {
		t.Errorf("notifications = %d, want the 50 mentions only", got)
	}
}

// TestRoles: local accounts carry "roles" ([] or their highlighted role),
// remote accounts carry none, as Mastodon 4.x serves them (the recordings
// of mastodon.social show "roles":[] and [{"id":"3","name":"Owner",
// "color":""}] on local accounts and no roles key on remote ones).
func TestRoles(t *testing.T) {
	s, _ := newServer(t)
	if _, err := s.AddAccount(Account{Username: "boss", Role: &Role{ID: "3", Name: "Owner"}, Bot: true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ acct, want string }{
		{"owner", `[]`},
		{"boss", `[{"id":"3","name":"Owner","color":""}]`},
		{"u1@remote.example", ``},
	} {
		resp := get(t, s, "/api/v1/accounts/lookup?acct="+tc.acct, "", "")
		var m map[string]json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if got := string(m["roles"]); got != tc.want {
			t.Errorf("%s: roles %s, want %q", tc.acct, got, tc.want)
		}
		if tc.acct == "boss" && string(m["bot"]) != "true" {
			t.Errorf("boss: bot %s", m["bot"])
		}
	}
}
