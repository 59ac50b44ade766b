package stackoverflowtest

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// result is a decoded response.
type result struct {
	status   int
	encoding string
	body     map[string]any
}

func (r result) items() []any { v, _ := r.body["items"].([]any); return v }

func (r result) num(name string) int { v, _ := r.body[name].(float64); return int(v) }

// get requests path+query through c and decodes the compressed body.
func get(t *testing.T, c *http.Client, url string) result {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r io.Reader
	switch {
	case resp.Header.Get("Content-Encoding") == "deflate":
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("deflate: %v", err)
		}
		r = zr
	default:
		if len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
			t.Fatalf("body of %s is not gzip: %q", url, raw)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	out := result{status: resp.StatusCode, encoding: resp.Header.Get("Content-Encoding")}
	if err := json.Unmarshal(plain, &out.body); err != nil {
		t.Fatalf("%s: %v in %q", url, err, plain)
	}
	return out
}

const base = "http://api.test/2.3"

// fixture returns a fake with 45 questions tagged go (every third also
// rollcall), each with one answer and one comment, on a fake clock.
func fixture(t *testing.T, opts ...Option) (*Server, *clock, *http.Client) {
	t.Helper()
	clk := &clock{t: t0}
	s := New(append([]Option{WithNow(clk.Now)}, opts...)...)
	u := s.AddUser(User{DisplayName: "Ann & Bob", WebsiteURL: "https://ann.example"})
	for i := range 45 {
		tags := []string{"go"}
		if i%3 == 0 {
			tags = append(tags, "rollcall")
		}
		q, err := s.AddQuestion(Question{Title: "q", Tags: tags, OwnerID: u.UserID, CreationDate: t0.Add(time.Duration(i-100) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.AddAnswer(Answer{QuestionID: q.QuestionID, OwnerID: u.UserID, CreationDate: q.CreationDate.Add(time.Minute), IsAccepted: i%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddComment(Comment{PostID: a.AnswerID, OwnerID: u.UserID, CreationDate: q.CreationDate.Add(2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	return s, clk, &http.Client{Transport: s.Transport()}
}

func TestListing(t *testing.T) {
	s, _, c := fixture(t)
	q0, _ := s.Question(10002)
	tests := []struct {
		name      string
		url       string
		wantN     int
		wantMore  bool
		wantError int
	}{
		{"default page size", "/questions?site=stackoverflow", 30, true, 0},
		{"second page", "/questions?site=stackoverflow&page=2", 15, false, 0},
		{"pagesize", "/questions?site=stackoverflow&pagesize=100", 45, false, 0},
		{"tagged AND", "/questions?site=stackoverflow&tagged=go;rollcall&pagesize=100", 15, false, 0},
		{"tagged unknown", "/questions?site=stackoverflow&tagged=go;python", 0, false, 0},
		{"site by host", "/questions?site=stackoverflow.com&pagesize=100", 45, false, 0},
		{"min on activity", "/questions?site=stackoverflow&sort=activity&pagesize=100&min=" + itoa(q0.LastActivityDate.Unix()+1), 44, false, 0},
		{"by ids", "/questions/10002;10006?site=stackoverflow", 2, false, 0},
		{"answers", "/questions/10002;10006/answers?site=stackoverflow", 2, false, 0},
		{"answer comments", "/answers/10004/comments?site=stackoverflow", 1, false, 0},
		{"question comments", "/questions/10002/comments?site=stackoverflow", 0, false, 0},
		{"users", "/users/103?site=stackoverflow", 1, false, 0},
		{"associated", "/users/5007/associated?site=stackoverflow", 1, false, 0},
		{"info", "/info?site=stackoverflow", 1, false, 0},
		{"no site", "/questions", 0, false, 400},
		{"other site", "/questions?site=superuser", 0, false, 400},
		{"pagesize too big", "/questions?site=stackoverflow&pagesize=101", 0, false, 400},
		{"bad sort", "/questions?site=stackoverflow&sort=name", 0, false, 400},
		{"unknown filter", "/questions?site=stackoverflow&filter=!nope", 0, false, 400},
		{"no method", "/nothing?site=stackoverflow", 0, false, 404},
		{"too many ids", "/users/" + manyIDs(101) + "?site=stackoverflow", 0, false, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, base+tt.url)
			if tt.wantError != 0 {
				if r.status != 400 || r.num("error_id") != tt.wantError {
					t.Fatalf("got %d %v, want HTTP 400 error_id %d", r.status, r.body, tt.wantError)
				}
				return
			}
			if r.status != 200 || len(r.items()) != tt.wantN || r.body["has_more"] != tt.wantMore {
				t.Fatalf("got %d, %d items, has_more %v; want %d, %v (%v)", r.status, len(r.items()), r.body["has_more"], tt.wantN, tt.wantMore, r.body["error_message"])
			}
		})
	}
}

func manyIDs(n int) string {
	var ids []string
	for i := range n {
		ids = append(ids, itoa(int64(i+1)))
	}
	return strings.Join(ids, ";")
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestShapes(t *testing.T) {
	s, _, c := fixture(t)
	r := get(t, c, base+"/questions/10002?site=stackoverflow")
	q := r.items()[0].(map[string]any)
	owner := q["owner"].(map[string]any)
	if owner["display_name"] != "Ann &amp; Bob" || owner["account_id"] == nil || owner["user_id"] == nil || q["accepted_answer_id"] == nil {
		t.Errorf("question = %v", q)
	}
	if r.num("quota_max") != DefaultAnonymousQuota || r.num("quota_remaining") != DefaultAnonymousQuota-1 || r.encoding != "gzip" {
		t.Errorf("wrapper = %v, encoding %q", r.body, r.encoding)
	}
	u := get(t, c, base+"/users/103?site=stackoverflow").items()[0].(map[string]any)
	if u["website_url"] != "https://ann.example" || u["link"] == "" {
		t.Errorf("user = %v", u)
	}
	// Accepting another answer moves the acceptance and bumps the question.
	a, _ := s.AddAnswer(Answer{QuestionID: 10002, OwnerID: 103, CreationDate: t0})
	if err := s.AcceptAnswer(a.AnswerID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Question(10002)
	if got.AcceptedAnswerID != a.AnswerID || !got.LastActivityDate.Equal(t0.Add(time.Hour)) {
		t.Errorf("after AcceptAnswer: %+v", got)
	}
	ans := get(t, c, base+"/questions/10002/answers?site=stackoverflow").items()
	accepted := 0
	for _, x := range ans {
		if x.(map[string]any)["is_accepted"] == true {
			accepted++
		}
	}
	if accepted != 1 {
		t.Errorf("%d accepted answers", accepted)
	}
	if _, err := s.AddComment(Comment{PostID: 1, OwnerID: 103}); err == nil {
		t.Error("comment on an unknown post accepted")
	}
}

func TestEncodings(t *testing.T) {
	for _, tt := range []struct {
		enc  Encoding
		want string
	}{{Gzip, "gzip"}, {GzipNoHeader, ""}, {Deflate, "deflate"}} {
		t.Run(tt.want, func(t *testing.T) {
			_, _, c := fixture(t, WithEncoding(tt.enc))
			for _, u := range []string{"/questions?site=stackoverflow", "/questions"} { // success and error
				if r := get(t, c, base+u); r.encoding != tt.want {
					t.Errorf("%s: Content-Encoding %q, want %q", u, r.encoding, tt.want)
				}
			}
		})
	}
}

func TestQuotaAndPageLimit(t *testing.T) {
	s, clk, c := fixture(t, WithKey("k"))
	anon := get(t, c, base+"/questions?site=stackoverflow&page=26")
	if anon.status != 400 || anon.num("error_id") != 403 || anon.body["error_name"] != "access_denied" ||
		anon.body["error_message"] != "page above 25 requires access token or app key" {
		t.Errorf("anonymous page 26 = %v", anon.body)
	}
	if r := get(t, c, base+"/questions?site=stackoverflow&page=26&key=k"); r.status != 200 || r.num("quota_max") != DefaultKeyQuota {
		t.Errorf("keyed page 26 = %d %v", r.status, r.body)
	}
	if r := get(t, c, base+"/questions?site=stackoverflow&key=wrong"); r.num("error_id") != 400 || r.body["error_message"] != "key" {
		t.Errorf("wrong key = %v", r.body)
	}
	first := get(t, c, base+"/info?site=stackoverflow&key=k").num("quota_remaining")
	if second := get(t, c, base+"/info?site=stackoverflow&key=k").num("quota_remaining"); second != first-1 {
		t.Errorf("quota_remaining %d then %d", first, second)
	}
	s.Exhaust(t0.Add(90 * time.Second))
	r := get(t, c, base+"/info?site=stackoverflow&key=k")
	if r.num("error_id") != 502 || r.body["error_name"] != "throttle_violation" ||
		r.body["error_message"] != "too many requests from this IP, more requests available in 90 seconds" {
		t.Errorf("exhausted = %v", r.body)
	}
	clk.Add(91 * time.Second)
	if r := get(t, c, base+"/info?site=stackoverflow&key=k"); r.status != 200 || r.num("quota_remaining") != DefaultKeyQuota-1 {
		t.Errorf("after the reset = %v", r.body)
	}
	if _, rem, reset := s.Quota(true); rem != DefaultKeyQuota-1 || !reset.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Quota = %d until %v", rem, reset)
	}
	n, counted := s.Count(), s.Counted()
	if n <= counted || counted == 0 {
		t.Errorf("Count %d, Counted %d: errors must not count", n, counted)
	}
	s.ResetLog()
	if s.Count() != 0 || s.Counted() != 0 || len(s.Requests()) != 0 {
		t.Error("ResetLog left entries")
	}
}

func TestBackoff(t *testing.T) {
	s, clk, c := fixture(t)
	s.SetBackoff(RouteQuestions, 5)
	if r := get(t, c, base+"/questions?site=stackoverflow"); r.num("backoff") != 5 {
		t.Fatalf("no backoff: %v", r.body)
	}
	if r := get(t, c, base+"/questions/10002/answers?site=stackoverflow"); r.status != 200 || r.body["backoff"] != nil {
		t.Errorf("another method = %v", r.body)
	}
	if r := get(t, c, base+"/questions?site=stackoverflow"); r.num("error_id") != 502 {
		t.Errorf("same method too early = %v", r.body)
	}
	clk.Add(5 * time.Second)
	if r := get(t, c, base+"/questions?site=stackoverflow"); r.status != 200 {
		t.Errorf("same method after the backoff = %v", r.body)
	}
}

func TestFaultsAndFilters(t *testing.T) {
	s, _, c := fixture(t)
	s.FailNext(503, 1)
	if r := get(t, c, base+"/info?site=stackoverflow"); r.status != 503 || r.body["error_name"] != "temporarily_unavailable" {
		t.Errorf("FailNext = %d %v", r.status, r.body)
	}
	s.MalformedNext(1)
	resp, err := c.Get(base + "/info?site=stackoverflow")
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := gzip.NewReader(resp.Body)
	raw, _ := io.ReadAll(zr)
	resp.Body.Close()
	if json.Valid(raw) {
		t.Errorf("MalformedNext gave valid JSON %q", raw)
	}
	s.TruncateNext(1)
	resp, _ = c.Get(base + "/info?site=stackoverflow")
	zr, _ = gzip.NewReader(resp.Body)
	if _, err := io.ReadAll(zr); err == nil {
		t.Error("TruncateNext gave a complete body")
	}
	resp.Body.Close()
	f := get(t, c, base+"/filters/create?include=answer.link&base=default").items()[0].(map[string]any)["filter"].(string)
	if !strings.HasPrefix(f, "!") {
		t.Errorf("filter %q", f)
	}
	if r := get(t, c, base+"/questions?site=stackoverflow&filter="+f); r.status != 200 {
		t.Errorf("created filter refused: %v", r.body)
	}
	if r := get(t, c, base+"/questions?site=stackoverflow&filter=total"); r.num("total") != 45 {
		t.Errorf("total = %v", r.body)
	}
	s.AddAssociated(Associated{AccountID: 5007, UserID: 9, SiteName: "Super User", SiteURL: "https://superuser.com"})
	if n := len(get(t, c, base+"/users/5007/associated?site=stackoverflow").items()); n != 2 {
		t.Errorf("associated: %d items", n)
	}
}

func TestStartAndConcurrency(t *testing.T) {
	s, _, _ := fixture(t)
	url := s.Start(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, _ = s.AddQuestion(Question{Tags: []string{"go"}, OwnerID: 103, CreationDate: t0.Add(time.Duration(i) * time.Second)})
		})
		wg.Go(func() { _ = get(t, http.DefaultClient, url+"/questions?site=stackoverflow") })
	}
	wg.Wait()
	if r := get(t, http.DefaultClient, url+"/questions?site=stackoverflow&filter=total"); r.num("total") != 53 {
		t.Errorf("total after concurrent adds = %v", r.body)
	}
}

// TestRoles: user_type on owners and users, is_employee on user objects
// only, as the API's shallow_user and user types have them.
func TestRoles(t *testing.T) {
	s, _, c := fixture(t)
	mod := s.AddUser(User{DisplayName: "Mod", UserType: "moderator", IsEmployee: true})
	q, err := s.AddQuestion(Question{Title: "m", Tags: []string{"go"}, OwnerID: mod.UserID, CreationDate: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	owner := get(t, c, base+"/questions/"+itoa(q.QuestionID)+"?site=stackoverflow").items()[0].(map[string]any)["owner"].(map[string]any)
	if owner["user_type"] != "moderator" {
		t.Errorf("owner user_type = %v", owner["user_type"])
	}
	if _, ok := owner["is_employee"]; ok {
		t.Errorf("a shallow user carries is_employee: %v", owner)
	}
	u := get(t, c, base+"/users/"+itoa(mod.UserID)+"?site=stackoverflow").items()[0].(map[string]any)
	if u["user_type"] != "moderator" || u["is_employee"] != true {
		t.Errorf("user = %v", u)
	}
	plain := get(t, c, base+"/users/103?site=stackoverflow").items()[0].(map[string]any)
	if plain["user_type"] != "registered" || plain["is_employee"] != false {
		t.Errorf("user = %v", plain)
	}
}
