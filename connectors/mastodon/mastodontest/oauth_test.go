package mastodontest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func send(s *Server, method, path string, form url.Values) (int, map[string]any) {
	r := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

// TestOAuthFlow registers an app, authorizes it with PKCE and exchanges
// the code, with Doorkeeper's errors on the way.
func TestOAuthFlow(t *testing.T) {
	s, now := newServer(t)
	status, app := send(s, http.MethodPost, "/api/v1/apps", url.Values{"client_name": {"rollcall"}, "redirect_uris": {oob}, "scopes": {"read:accounts read:statuses"}})
	if status != 200 || app["client_id"] == "" || app["client_secret"] == "" || app["redirect_uri"] != oob || app["vapid_key"] == nil {
		t.Fatalf("register: %d %v", status, app)
	}
	if status, m := send(s, http.MethodPost, "/api/v1/apps", url.Values{"client_name": {"x"}}); status != 422 || !strings.Contains(m["error"].(string), "Redirect URI") {
		t.Errorf("no redirect: %d %v", status, m)
	}
	if status, m := send(s, http.MethodPost, "/api/v1/apps", url.Values{"client_name": {"x"}, "redirect_uris": {oob}, "scopes": {"read:everything"}}); status != 422 {
		t.Errorf("bad scope: %d %v", status, m)
	}
	id, secret := app["client_id"].(string), app["client_secret"].(string)
	verifier := "a-verifier-of-enough-length-0123456789-abcdefghij"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {id}, "redirect_uri": {oob}, "response_type": {"code"}, "scope": {"read:accounts"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	authURL := "https://" + DefaultDomain + "/oauth/authorize?" + q.Encode()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, authURL, nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "rollcall") {
		t.Errorf("authorize page: %d %s", w.Code, w.Body)
	}
	wide := url.Values{}
	for k, v := range q {
		wide[k] = v
	}
	wide.Set("scope", "write:statuses")
	if _, err := s.Authorize("https://x/oauth/authorize?"+wide.Encode(), "owner"); err == nil || !strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("a scope the app lacks: %v", err)
	}
	if _, err := s.Authorize(authURL, "nobody"); err == nil {
		t.Error("an unknown account authorized")
	}
	code, err := s.Authorize(authURL, "owner")
	if err != nil {
		t.Fatal(err)
	}
	tokenForm := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oob}, "client_id": {id}, "client_secret": {secret}}
	bad := url.Values{}
	for k, v := range tokenForm {
		bad[k] = v
	}
	bad.Set("client_secret", "wrong")
	if status, m := send(s, http.MethodPost, "/oauth/token", bad); status != 401 || m["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", status, m)
	}
	if status, m := send(s, http.MethodPost, "/oauth/token", tokenForm); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("no code_verifier: %d %v", status, m)
	}
	tokenForm.Set("code_verifier", verifier)
	status, tok := send(s, http.MethodPost, "/oauth/token", tokenForm)
	if status != 200 || tok["token_type"] != "Bearer" || tok["scope"] != "read:accounts" || tok["access_token"] == "" {
		t.Fatalf("token: %d %v", status, tok)
	}
	if status, m := send(s, http.MethodPost, "/oauth/token", tokenForm); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("a used code: %d %v", status, m)
	}
	resp := get(t, s, "/api/v1/accounts/verify_credentials", tok["access_token"].(string), "")
	if resp.StatusCode != 200 {
		t.Errorf("verify_credentials with the new token: %d", resp.StatusCode)
	}
	late, _ := s.Authorize(authURL, "owner")
	*now = now.Add(CodeTTL)
	tokenForm.Set("code", late)
	if status, m := send(s, http.MethodPost, "/oauth/token", tokenForm); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("an expired code: %d %v", status, m)
	}
}
