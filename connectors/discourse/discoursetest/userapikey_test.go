package discoursetest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func userKeyRequest(t *testing.T, key *rsa.PrivateKey, q url.Values) string {
	t.Helper()
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	v := url.Values{"application_name": {"rollcall"}, "client_id": {"c1"}, "scopes": {"read"}, "nonce": {"n0nce"},
		"public_key": {string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}
	for k, x := range q {
		v[k] = x
	}
	return "/user-api-key/new?" + v.Encode()
}

// TestUserAPIKeys follows the specification: the approval page, the
// payload (PKCS #1 v1.5, base64 in lines of 60) with key, nonce, push and
// api, the key read as its (non-staff) user, one key per client id, and
// revocation.
func TestUserAPIKeys(t *testing.T) {
	s := forum(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodHead, "http://forum.test/user-api-key/new", nil)
	resp, _ := s.Transport().RoundTrip(req)
	if resp.Header.Get("Auth-Api-Version") != "4" {
		t.Errorf("HEAD: Auth-Api-Version %q", resp.Header.Get("Auth-Api-Version"))
	}
	path := userKeyRequest(t, key, nil)
	if status, _, body := get(t, s, path, nil); status != 200 || !strings.Contains(body, "rollcall") {
		t.Errorf("approval page: %d %s", status, body)
	}
	for _, tt := range []struct {
		q      url.Values
		status int
		want   string
	}{
		{url.Values{"nonce": {""}}, 400, "nonce"},
		{url.Values{"scopes": {"read,admin"}}, 403, "invalid_access"},
		{url.Values{"public_key": {"not a key"}}, 400, "public_key"},
	} {
		if status, _, body := get(t, s, userKeyRequest(t, key, tt.q), nil); status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%v: %d %s", tt.q, status, body)
		}
	}
	payload, err := s.ApproveUserAPIKey("http://forum.test"+path, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(payload, "\n"), "\n")[:1] {
		if len(line) != 60 {
			t.Errorf("payload line %q: want 60 characters", line)
		}
	}
	ct, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(payload, "\n", ""))
	pt, err := rsa.DecryptPKCS1v15(nil, key, ct)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Key, Nonce string
		Push       bool
		API        int
	}
	if err := json.Unmarshal(pt, &p); err != nil || p.Nonce != "n0nce" || p.API != 4 || p.Key == "" {
		t.Fatalf("payload %s", pt)
	}
	uk := map[string]string{"User-Api-Key": p.Key, "User-Api-Client-Id": "c1"}
	if status, _, body := get(t, s, "/session/current.json", uk); status != 200 || !strings.Contains(body, `"username":"alice"`) || !strings.Contains(body, `"staff":false`) {
		t.Errorf("session with the user key: %d %s", status, body)
	}
	if status, _, _ := get(t, s, "/u/alice/emails.json", uk); status != 200 {
		t.Errorf("own e-mails with the user key: %d", status)
	}
	again, _ := s.ApproveUserAPIKey("http://forum.test"+path, "alice")
	if status, _, _ := get(t, s, "/session/current.json", uk); status != 403 {
		t.Errorf("the replaced key (same client id) answers %d, want 403", status)
	}
	ct, _ = base64.StdEncoding.DecodeString(strings.ReplaceAll(again, "\n", ""))
	pt, _ = rsa.DecryptPKCS1v15(nil, key, ct)
	_ = json.Unmarshal(pt, &p)
	s.RevokeUserAPIKey("alice")
	if status, _, _ := get(t, s, "/session/current.json", map[string]string{"User-Api-Key": p.Key}); status != 403 {
		t.Errorf("a revoked key answers %d, want 403", status)
	}
	if _, err := s.ApproveUserAPIKey("http://forum.test"+userKeyRequest(t, key, url.Values{"auth_redirect": {"https://evil.example/cb"}}), "alice"); err == nil {
		t.Error("a redirect outside allowed_user_api_auth_redirects was accepted")
	}
	red, err := s.ApproveUserAPIKey("http://forum.test"+userKeyRequest(t, key, url.Values{"auth_redirect": {"discourse://auth_redirect"}}), "alice")
	if err != nil || !strings.HasPrefix(red, "discourse://auth_redirect?payload=") {
		t.Errorf("redirect: %q %v", red, err)
	}
}
