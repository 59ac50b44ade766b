package discoursetest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// User API keys, as the "User API keys specification" (meta.discourse.org
// topic 48536) and UserApiKeysController describe them: GET
// /user-api-key/new with application_name, client_id, scopes, public_key
// (PEM) and nonce (and optionally auth_redirect) shows the approval page
// (HEAD answers the Auth-Api-Version header); approving creates a key and
// answers a payload, the JSON {"key","nonce","push","api"} encrypted with
// the public key (RSA PKCS #1 v1.5, OpenSSL's public_encrypt default) and
// base64-encoded in lines of 60 (Ruby's Base64.encode64). Without
// auth_redirect the forum shows the payload to copy; with one (it must be
// allowed by allowed_user_api_auth_redirects) it redirects there with
// ?payload=. The key is sent as the User-Api-Key header (User-Api-Client-Id
// optional) and reads as its user, never as staff unless the user is. The
// approval (sign-in and the "Authorize" click) is the test helper
// ApproveUserAPIKey.

// AuthAPIVersion is the user API version the fake speaks (the "api" field
// of the payload and the Auth-Api-Version header).
const AuthAPIVersion = 4

// userAPIScopes are the scopes Discourse allows by default
// (allow_user_api_key_scopes) plus the others it defines.
var userAPIScopes = map[string]bool{
	"read": true, "write": true, "message_bus": true, "push": true, "one_time_password": true,
	"notifications": true, "session_info": true, "bookmarks_calendar": true, "user_status": true,
}

// defaultAuthRedirects is allowed_user_api_auth_redirects' default.
var defaultAuthRedirects = []string{"https://api.discourse.org/api/auth_redirect", "discourse://auth_redirect"}

type userAPIKey struct {
	username string
	clientID string
	scopes   []string
	revoked  bool
}

// WithAuthRedirects sets allowed_user_api_auth_redirects: the URLs (as
// prefixes) a user API key request may redirect to.
func WithAuthRedirects(urls ...string) Option {
	return func(s *Server) { s.authRedirects = urls }
}

// WithUserAPIKey makes the fake accept key as a user API key of username
// (a user added later) for clientID with the read scope, as if the user had
// approved it (see ApproveUserAPIKey): for tests and the demo that need a
// known key.
func WithUserAPIKey(key, username, clientID string) Option {
	return func(s *Server) {
		if s.userKeys == nil {
			s.userKeys = map[string]*userAPIKey{}
		}
		s.userKeys[key] = &userAPIKey{username: username, clientID: clientID, scopes: []string{"read"}}
	}
}

// userKeyParams are the parameters of a user API key request.
type userKeyParams struct {
	appName, clientID, nonce, redirect string
	scopes                             []string
	pub                                *rsa.PublicKey
}

// checkUserKeyRequest validates q as UserApiKeysController#new does.
func checkUserKeyRequest(q url.Values) (userKeyParams, int, []byte) {
	var p userKeyParams
	for _, name := range []string{"public_key", "nonce", "scopes", "client_id", "application_name"} {
		if strings.TrimSpace(q.Get(name)) == "" {
			return p, http.StatusBadRequest, errJSON("param is missing or the value is empty: "+name, "invalid_parameters", nil)
		}
	}
	p.appName, p.clientID, p.nonce, p.redirect = q.Get("application_name"), q.Get("client_id"), q.Get("nonce"), q.Get("auth_redirect")
	p.scopes = strings.Split(q.Get("scopes"), ",")
	for _, sc := range p.scopes {
		if !userAPIScopes[sc] {
			return p, http.StatusForbidden, errJSON("You are not permitted to view the requested resource.", "invalid_access", nil)
		}
	}
	pub, err := parsePublicKey(q.Get("public_key"))
	if err != nil {
		return p, http.StatusBadRequest, errJSON("public_key: "+err.Error(), "invalid_parameters", nil)
	}
	p.pub = pub
	return p, 0, nil
}

// parsePublicKey reads a PEM RSA public key, SubjectPublicKeyInfo or
// PKCS #1, as OpenSSL::PKey::RSA.new does.
func parsePublicKey(s string) (*rsa.PublicKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("Neither PUB key nor PRIV key")
	}
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
		return nil, errors.New("not an RSA key")
	}
	if k, err := x509.ParsePKCS1PublicKey(b.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("Neither PUB key nor PRIV key")
}

// serveUserAPIKey answers /user-api-key/new and reports whether r was it.
func (s *Server) serveUserAPIKey(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/user-api-key/new" {
		return false
	}
	s.mu.Lock()
	status, body, isHTML := http.StatusOK, []byte(nil), true
	switch r.Method {
	case http.MethodHead:
		w.Header().Set("Auth-Api-Version", fmt.Sprint(AuthAPIVersion))
	case http.MethodGet:
		p, st, errBody := checkUserKeyRequest(r.URL.Query())
		if st != 0 {
			status, body, isHTML = st, errBody, false
		} else {
			body = []byte("<!DOCTYPE html><title>" + html.EscapeString(s.title) + "</title><p>" + html.EscapeString(p.appName) +
				" is asking for the following access to your account: " + html.EscapeString(strings.Join(p.scopes, ", ")) +
				"<form method=post action=/user-api-key><button>Authorize</button></form>")
		}
	default:
		status, body, isHTML = http.StatusNotFound, errJSON(s.locale.NotFound, "not_found", nil), false
	}
	s.log.Add(Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Status: status}, status, false)
	s.mu.Unlock()
	if isHTML {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return true
}

// ApproveUserAPIKey is username (a user of the fake) signing in and
// clicking "Authorize" on the page of approvalURL, a /user-api-key/new URL.
// It creates the key, replacing the user's earlier key for the same
// client_id, and returns what the forum gives back: the base64 payload
// shown to copy (lines of 60 characters) or, with auth_redirect, the
// redirect URL carrying ?payload=.
func (s *Server) ApproveUserAPIKey(approvalURL, username string) (string, error) {
	u, err := url.Parse(approvalURL)
	if err != nil || u.Path != "/user-api-key/new" {
		return "", fmt.Errorf("discoursetest: %q is not a user API key request URL", approvalURL)
	}
	p, status, body := checkUserKeyRequest(u.Query())
	if status != 0 {
		return "", fmt.Errorf("discoursetest: the request is refused: %d %s", status, body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	usr, found := s.users[key(username)]
	if !found {
		return "", fmt.Errorf("discoursetest: no user %q to sign in as", username)
	}
	if p.redirect != "" && !s.redirectAllowed(p.redirect) {
		return "", errors.New("discoursetest: auth_redirect is not in allowed_user_api_auth_redirects: 403 invalid_access")
	}
	for k, uk := range s.userKeys {
		if key(uk.username) == key(usr.Username) && uk.clientID == p.clientID {
			delete(s.userKeys, k)
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	k := hex.EncodeToString(b)
	if s.userKeys == nil {
		s.userKeys = map[string]*userAPIKey{}
	}
	s.userKeys[k] = &userAPIKey{username: usr.Username, clientID: p.clientID, scopes: p.scopes}
	pt, _ := json.Marshal(struct {
		Key   string `json:"key"`
		Nonce string `json:"nonce"`
		Push  bool   `json:"push"`
		API   int    `json:"api"`
	}{k, p.nonce, false, AuthAPIVersion})
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, p.pub, pt)
	if err != nil {
		return "", fmt.Errorf("discoursetest: encrypt the payload: %w", err)
	}
	payload := encode64(ct)
	if p.redirect == "" {
		return payload, nil
	}
	ru, err := url.Parse(p.redirect)
	if err != nil {
		return "", fmt.Errorf("discoursetest: auth_redirect: %w", err)
	}
	q := "payload=" + url.QueryEscape(payload)
	if ru.RawQuery != "" {
		q = ru.RawQuery + "&" + q
	}
	ru.RawQuery = q
	return ru.String(), nil
}

// RevokeUserAPIKey revokes every user API key of username (the user's
// "Revoke" on the apps tab).
func (s *Server) RevokeUserAPIKey(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, uk := range s.userKeys {
		if key(uk.username) == key(username) {
			uk.revoked = true
		}
	}
}

// redirectAllowed reports whether allowed_user_api_auth_redirects allows
// u. s.mu is held.
func (s *Server) redirectAllowed(u string) bool {
	list := s.authRedirects
	if list == nil {
		list = defaultAuthRedirects
	}
	for _, a := range list {
		if strings.HasPrefix(u, a) {
			return true
		}
	}
	return false
}

// encode64 is Ruby's Base64.encode64: standard base64 in lines of 60
// characters, each ending with a newline.
func encode64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 60 {
		out.WriteString(s[:60] + "\n")
		s = s[60:]
	}
	out.WriteString(s + "\n")
	return out.String()
}

// userKeyViewer is who a User-Api-Key header reads as; ok is false for an
// unknown or revoked key. s.mu is held.
func (s *Server) userKeyViewer(k string) (viewer, bool) {
	uk, found := s.userKeys[k]
	if !found || uk.revoked {
		return viewer{}, false
	}
	u := s.users[key(uk.username)]
	staff := u != nil && (u.Admin || u.Moderator)
	return viewer{staff: staff, username: uk.username, userKey: true}, true
}
