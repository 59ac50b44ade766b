package discoursetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func forum(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := New(append([]Option{WithNow(func() time.Time { return t0 })}, opts...)...)
	s.AddUser(User{Username: "alice", TrustLevel: 1, Email: "a@example.com", Associated: []AssociatedAccount{{Name: "github", Description: "al"}}})
	for i := range 35 {
		tp, err := s.AddTopic(Topic{Title: "t", User: "alice", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddPost(Post{TopicID: tp.ID, User: "alice", CreatedAt: tp.CreatedAt.Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func get(t *testing.T, s *Server, path string, h map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://forum.test"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := s.Transport().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAuthAndErrors(t *testing.T) {
	staff := map[string]string{"Api-Key": "k", "Api-Username": "system"}
	tests := []struct {
		name, path string
		h          map[string]string
		status     int
		body       string
	}{
		{"anonymous read", "/latest.json", nil, 200, `"topic_list"`},
		{"query key", "/latest.json?api_key=k&api_username=system", nil, 403, `["BAD CSRF"]`},
		{"bad key", "/latest.json", map[string]string{"Api-Key": "nope"}, 403, "The API username or key is invalid."},
		{"emails anonymous", "/u/alice/emails.json", nil, 403, "not_logged_in"},
		{"emails staff", "/u/alice/emails.json", staff, 200, `"description":"al"`},
		{"emails non-staff", "/u/alice/emails.json", map[string]string{"Api-Key": "u", "Api-Username": "bob"}, 403, "invalid_access"},
		{"profile hides email", "/u/alice.json", staff, 200, `"user_fields"`},
		{"session anonymous", "/session/current.json", nil, 404, "not_found"},
		{"session staff", "/session/current.json", staff, 200, `"staff":true`},
		{"unknown", "/nope.json", nil, 404, "The requested URL or resource could not be found."},
		{"about", "/about.json", nil, 200, `"about"`},
		{"categories", "/categories.json", nil, 200, `"uncategorized"`},
		{"topic", "/t/1.json", nil, 200, `"post_stream"`},
		{"likes", "/post_action_users.json?id=2&post_action_type_id=2", nil, 200, `"post_action_users":[]`},
		{"user actions", "/user_actions.json?username=alice&filter=1&offset=0", nil, 200, `"user_actions":[]`},
	}
	s := forum(t, WithAPIKey("k", "system", true), WithAPIKey("u", "bob", false))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := get(t, s, tt.path, tt.h)
			if status != tt.status || !strings.Contains(body, tt.body) {
				t.Errorf("%s = %d %s, want %d containing %s", tt.path, status, body, tt.status, tt.body)
			}
			if h.Get("X-RateLimit-Remaining") != "" {
				t.Errorf("quota header on %s", tt.path)
			}
			if strings.Contains(body, "a@example.com") && tt.path == "/u/alice.json" {
				t.Errorf("profile shows the e-mail to staff")
			}
		})
	}
}

func TestPagination(t *testing.T) {
	s := forum(t)
	_, _, body := get(t, s, "/latest.json?order=created", nil)
	var l struct {
		TopicList struct {
			More   string `json:"more_topics_url"`
			Topics []struct {
				ID int64 `json:"id"`
			} `json:"topics"`
		} `json:"topic_list"`
	}
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.TopicList.Topics) != TopicsPerPage || l.TopicList.Topics[0].ID != 35 || !strings.Contains(l.TopicList.More, "page=1") {
		t.Errorf("page 0: %d topics, first %d, more %q", len(l.TopicList.Topics), l.TopicList.Topics[0].ID, l.TopicList.More)
	}
	_, _, body = get(t, s, "/posts.json?before=10", nil)
	var p struct {
		Posts []struct {
			ID int64 `json:"id"`
		} `json:"latest_posts"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Posts) != 10 || p.Posts[0].ID != 10 {
		t.Errorf("before=10 gave %d posts starting at %v, want 10 from id 10 (inclusive)", len(p.Posts), p.Posts)
	}
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*Server)
		retryAfter string
		ctype      string
		body       string
	}{
		{"admin limiter", func(s *Server) {}, "60", "application/json", `"wait_seconds":60`},
		{"exhausted", func(s *Server) { s.Exhaust(t0.Add(17 * time.Minute)) }, "1020", "application/json", `"error_type":"rate_limit"`},
		{"per-IP", func(s *Server) { s.IPLimitNext(1, 7) }, "7", "text/plain", "Please retry again in 7 seconds.\nError code: ip_10_secs_limit."},
		{"no Retry-After", func(s *Server) { s.NoRetryAfterNext(1, 33) }, "", "application/json", `"time_left":"33 seconds"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := forum(t, WithAdminLimit(2))
			tt.setup(s)
			h := map[string]string{"Api-Key": "k"}
			var status int
			var hdr http.Header
			var body string
			for range 3 {
				if status, hdr, body = get(t, s, "/latest.json", h); status == 429 {
					break
				}
			}
			if status != 429 || hdr.Get("Retry-After") != tt.retryAfter || !strings.HasPrefix(hdr.Get("Content-Type"), tt.ctype) || !strings.Contains(body, tt.body) {
				t.Errorf("got %d Retry-After %q %s %s", status, hdr.Get("Retry-After"), hdr.Get("Content-Type"), body)
			}
			if hdr.Get("Discourse-Rate-Limit-Error-Code") == "" {
				t.Errorf("no Discourse-Rate-Limit-Error-Code")
			}
		})
	}
}

func TestFaultsAndLog(t *testing.T) {
	s := forum(t)
	s.FailNext(503, 1)
	s.MalformedNext(1)
	if st, _, _ := get(t, s, "/posts.json", nil); st != 503 {
		t.Errorf("FailNext: %d", st)
	}
	if _, _, body := get(t, s, "/posts.json", nil); json.Valid([]byte(body)) {
		t.Errorf("MalformedNext served valid JSON")
	}
	if s.Count() != 2 || s.Counted() != 2 || s.CountStatus(503) != 1 || len(s.Requests()) != 2 {
		t.Errorf("log: count %d counted %d 503s %d", s.Count(), s.Counted(), s.CountStatus(503))
	}
	s.ResetLog()
	if s.Count() != 0 {
		t.Errorf("ResetLog left %d", s.Count())
	}
}

// TestDeleted: a deleted user's profile, a deleted topic and a deleted post
// answer 404 not_found, and the topic and post leave the listings.
func TestDeleted(t *testing.T) {
	s := forum(t)
	s.AddUser(User{Username: "bob"})
	tp, _ := s.Topic(1)
	p, err := s.AddPost(Post{TopicID: 2, User: "bob", Raw: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddLike(p.ID, "alice", t0); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{s.DeleteUser("bob"), s.DeleteTopic(tp.ID), s.DeletePost(p.ID)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.DeleteUser("nobody") == nil || s.DeleteTopic(999) == nil || s.DeletePost(999) == nil {
		t.Error("deleting an unknown user, topic or post succeeded")
	}
	const notFound = `"error_type":"not_found"`
	for _, path := range []string{
		"/u/bob.json", "/t/1.json", "/posts/" + itoa(p.ID) + ".json", "/post_action_users.json?id=" + itoa(p.ID) + "&post_action_type_id=2",
		"/posts/" + itoa(tp.FirstPostID) + ".json",
	} {
		if status, _, body := get(t, s, path, nil); status != 404 || !strings.Contains(body, notFound) {
			t.Errorf("GET %s = %d %s, want 404 %s", path, status, body, notFound)
		}
	}
	if status, _, _ := get(t, s, "/u/alice.json", nil); status != 200 {
		t.Errorf("GET /u/alice.json = %d", status)
	}
	_, _, body := get(t, s, "/posts.json", nil)
	var posts struct {
		Latest []struct {
			ID      int64 `json:"id"`
			TopicID int64 `json:"topic_id"`
		} `json:"latest_posts"`
	}
	if err := json.Unmarshal([]byte(body), &posts); err != nil {
		t.Fatal(err)
	}
	for _, x := range posts.Latest {
		if x.ID == p.ID || x.TopicID == tp.ID {
			t.Errorf("/posts.json still lists post %d of topic %d", x.ID, x.TopicID)
		}
	}
	_, _, body = get(t, s, "/latest.json?order=created&per_page=100", nil)
	var list struct {
		TopicList struct {
			Topics []struct {
				ID int64 `json:"id"`
			} `json:"topics"`
		} `json:"topic_list"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	for _, x := range list.TopicList.Topics {
		if x.ID == tp.ID {
			t.Errorf("/latest.json still lists the deleted topic %d", x.ID)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
