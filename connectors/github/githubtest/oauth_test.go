package githubtest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func post(s *Server, path string, form url.Values, accept string) (int, http.Header, string) {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w.Code, w.Header(), w.Body.String()
}

// TestDeviceFlow walks the device flow by hand: GitHub answers
// form-encoded unless the client accepts JSON, errors come with 200, a
// poll inside the interval is slow_down with a longer interval, and the
// token reads GET /user with its scopes.
func TestDeviceFlow(t *testing.T) {
	clk := &clock{t: t0}
	s := New(WithNow(clk.Now), WithOAuthApp("Iv1.app", true), WithToken("configured"))
	s.AddUser(User{Login: "octocat", Name: "The Octocat"})

	status, h, body := post(s, "/login/device/code", url.Values{"client_id": {"Iv1.app"}, "scope": {"read:org"}}, "")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Fatalf("device code: %d %s %s", status, h.Get("Content-Type"), body)
	}
	v, _ := url.ParseQuery(body)
	if v.Get("verification_uri") != "https://example.com/login/device" || v.Get("expires_in") != "900" || v.Get("interval") != "5" || len(v.Get("device_code")) != 40 {
		t.Errorf("device code answer %s", body)
	}
	poll := url.Values{"client_id": {"Iv1.app"}, "device_code": {v.Get("device_code")}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}}
	want := func(body, code string) {
		t.Helper()
		if !strings.Contains(body, code) {
			t.Errorf("poll answered %s, want %s", body, code)
		}
	}
	status, _, body = post(s, "/login/oauth/access_token", poll, "application/json")
	if status != 200 {
		t.Errorf("pending poll status %d, want 200 (GitHub's errors here are 200)", status)
	}
	want(body, `"error":"authorization_pending"`)
	_, _, body = post(s, "/login/oauth/access_token", poll, "application/json")
	want(body, `"error":"slow_down"`)
	want(body, `"interval":10`)
	clk.Add(10 * time.Second)
	if got := s.PendingUserCodes(); len(got) != 1 || got[0] != v.Get("user_code") {
		t.Errorf("pending = %v", got)
	}
	if err := s.ApproveDevice(strings.ToLower(v.Get("user_code")), "octocat"); err != nil {
		t.Fatal(err)
	}
	_, _, body = post(s, "/login/oauth/access_token", poll, "")
	tv, _ := url.ParseQuery(body)
	tok := tv.Get("access_token")
	if !strings.HasPrefix(tok, "gho_") || tv.Get("token_type") != "bearer" || tv.Get("scope") != "read:org" {
		t.Fatalf("token answer %s", body)
	}
	_, _, body = post(s, "/login/oauth/access_token", poll, "application/json")
	want(body, "incorrect_device_code")

	r := httptest.NewRequest(http.MethodGet, "/api/v3/user", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"login":"octocat"`) || w.Header().Get("X-OAuth-Scopes") != "read:org" {
		t.Errorf("GET /user: %d %q %s", w.Code, w.Header().Get("X-OAuth-Scopes"), w.Body)
	}
}

func TestDeviceFlowErrors(t *testing.T) {
	clk := &clock{t: t0}
	s := New(WithNow(clk.Now), WithOAuthApp("Iv1.app", true), WithOAuthApp("Iv1.off", false))
	for _, tt := range []struct {
		client string
		status int
		want   string
	}{
		{"Iv1.off", 400, "device_flow_disabled"},
		{"Iv1.other", 400, "incorrect_client_credentials"},
	} {
		status, _, body := post(s, "/login/device/code", url.Values{"client_id": {tt.client}}, "application/json")
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.client, status, body)
		}
	}
	start := func() url.Values {
		_, _, body := post(s, "/login/device/code", url.Values{"client_id": {"Iv1.app"}}, "")
		v, _ := url.ParseQuery(body)
		return url.Values{"client_id": {"Iv1.app"}, "device_code": {v.Get("device_code")}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "user_code": {v.Get("user_code")}}
	}
	denied := start()
	if err := s.DenyDevice(denied.Get("user_code")); err != nil {
		t.Fatal(err)
	}
	if _, _, body := post(s, "/login/oauth/access_token", denied, "application/json"); !strings.Contains(body, "access_denied") {
		t.Errorf("denied: %s", body)
	}
	expired := start()
	clk.Add(DeviceCodeTTL)
	if _, _, body := post(s, "/login/oauth/access_token", expired, "application/json"); !strings.Contains(body, "expired_token") {
		t.Errorf("expired: %s", body)
	}
	if err := s.ApproveDevice(expired.Get("user_code"), "x"); err == nil {
		t.Error("an expired user code was approved")
	}
	bad := start()
	bad.Set("grant_type", "authorization_code")
	if _, _, body := post(s, "/login/oauth/access_token", bad, "application/json"); !strings.Contains(body, "unsupported_grant_type") {
		t.Errorf("grant type: %s", body)
	}
}
