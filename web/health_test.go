package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/web"
)

// TestAPIHealth reads GET /api/v1/health over the fixture's store: ann's
// pull request and bo's issue are this period's unanswered GitHub threads;
// carol's topic counts only with include_staff.
func TestAPIHealth(t *testing.T) {
	f := newFixture(t, nil)
	get := func(target string) crm.HealthReport {
		t.Helper()
		r := f.do(t, "GET", target, "")
		if r.code != 200 || r.hdr.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("GET %s: %d %s", target, r.code, r.body)
		}
		var rep crm.HealthReport
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil {
			t.Fatalf("GET %s: %v\n%s", target, err, r.body)
		}
		return rep
	}
	tests := []struct {
		target string
		check  func(crm.HealthReport) bool
	}{
		{"/api/v1/health", func(r crm.HealthReport) bool {
			return r.PeriodSeconds == 30*86400 && r.Now == "2026-03-10T12:00:00Z" && len(r.FirstResponse) == 4 &&
				r.FirstResponse[0].Current.Threads == 2 && r.FirstResponse[0].Current.Unanswered == 2 && r.FirstResponse[1].Current.Threads == 0
		}},
		{"/api/v1/health?include_staff=1", func(r crm.HealthReport) bool {
			return r.IncludeStaff && r.FirstResponse[1].Platform == "discourse" && r.FirstResponse[1].Current.Threads == 1
		}},
		{"/api/v1/health?period=7d&platform=github", func(r crm.HealthReport) bool {
			return r.PeriodSeconds == 7*86400 && r.Platform == "github" && len(r.FirstResponse) == 1 && r.FirstResponse[0].Current.Threads == 0 &&
				r.Previous.Since == "2026-02-24T12:00:00Z"
		}},
	}
	for _, tt := range tests {
		if r := get(tt.target); !tt.check(r) {
			t.Errorf("GET %s: unexpected report %+v", tt.target, r)
		}
	}
	for _, bad := range []struct{ target, want string }{
		{"/api/v1/health?platform=myspace", `platform must be one of`},
		{"/api/v1/health?period=3w", `period \"3w\"`},
		{"/api/v1/health?period=400d", `between 1h and 366d`},
		{"/api/v1/health?include_staff=yes", `include_staff must be`},
	} {
		if r := f.do(t, "GET", bad.target, ""); r.code != 400 || !strings.Contains(r.body, bad.want) || !strings.HasPrefix(r.body, `{`) {
			t.Errorf("GET %s: %d %s; want 400 with %s", bad.target, r.code, r.body, bad.want)
		}
	}
	if r := f.do(t, "POST", "/api/v1/health", "{}"); r.code != 405 {
		t.Errorf("POST /api/v1/health: %d %s", r.code, r.body)
	}
}

// TestAPIHealthAuth: the endpoint needs the token like every API call.
func TestAPIHealthAuth(t *testing.T) {
	f := authFixture(t, false)
	if r := f.do(t, "GET", "/api/v1/health", ""); r.code != 401 {
		t.Errorf("no token: %d %s", r.code, r.body)
	}
	if r := f.do(t, "GET", "/api/v1/health", "", "Authorization", "Bearer "+testToken); r.code != 200 {
		t.Errorf("token: %d %s", r.code, r.body)
	}
}

// TestAPIHealthWithoutScores: a server without a score reader says so.
func TestAPIHealthWithoutScores(t *testing.T) {
	f := newFixture(t, nil)
	srv, err := web.New(web.Options{Members: f.store, Decisions: f.store})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	if r := f.do(t, "GET", "/api/v1/health", ""); r.code != 404 || !strings.Contains(r.body, "not available") {
		t.Errorf("no scores: %d %s", r.code, r.body)
	}
}
