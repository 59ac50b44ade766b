package mastodontest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The OAuth side of the fake: application registration (POST
// /api/v1/apps), the authorization page (GET /oauth/authorize) and the
// token endpoint (POST /oauth/token), as Mastodon (Doorkeeper) serves them.
// The person's sign-in and "Authorize" click are the test helper
// Authorize.

// CodeTTL is how long an authorization code is valid (Doorkeeper's
// default, which Mastodon keeps: 10 minutes).
const CodeTTL = 10 * time.Minute

// App is an application registered with POST /api/v1/apps.
type App struct {
	ID, Name, Website string
	ClientID          string
	ClientSecret      string
	RedirectURIs      []string
	Scopes            []string
}

type authCode struct {
	clientID, acct, redirect string
	scopes                   []string
	challenge, method        string
	expires                  time.Time
}

// scopesKnown are the OAuth scopes Mastodon defines (Doorkeeper's
// optional_scopes, without admin ones).
var scopesKnown = func() map[string]bool {
	m := map[string]bool{"read": true, "write": true, "follow": true, "push": true, "profile": true}
	for _, s := range []string{"accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes", "notifications", "search", "statuses"} {
		m["read:"+s] = true
	}
	for _, s := range []string{"accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "lists", "media", "mutes", "notifications", "reports", "statuses"} {
		m["write:"+s] = true
	}
	return m
}()

const oob = "urn:ietf:wg:oauth:2.0:oob"

// Doorkeeper's error descriptions.
const (
	descInvalidGrant  = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
	descInvalidClient = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
	descGrantType     = "The authorization grant type is not supported by the authorization server."
	descInvalidScope  = "The requested scope is invalid, unknown, or malformed."
)

// serveOAuth answers the OAuth endpoints and reports whether r was one.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) bool {
	var handle func(*http.Request) (int, any)
	switch {
	case r.URL.Path == "/api/v1/apps" && r.Method == http.MethodPost:
		handle = s.registerApp
	case r.URL.Path == "/oauth/authorize" && r.Method == http.MethodGet:
		s.mu.Lock()
		status, page := s.authorizePage(r.URL.Query())
		s.log.Add(Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Status: status}, status, false)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(page))
		return true
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		handle = s.token
	default:
		return false
	}
	s.mu.Lock()
	status, v := handle(r)
	s.log.Add(Request{Method: r.Method, Path: r.URL.Path, Status: status}, status, false)
	s.mu.Unlock()
	body, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return true
}

// form reads a request's parameters: a form body, a JSON body or the
// query, as Rails does.
func form(r *http.Request) url.Values {
	v := url.Values{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]any
		if json.NewDecoder(r.Body).Decode(&m) == nil {
			for k, x := range m {
				switch x := x.(type) {
				case string:
					v.Set(k, x)
				case []any:
					for _, e := range x {
						if es, ok := e.(string); ok {
							v.Add(k, es)
						}
					}
				}
			}
		}
	} else if err := r.ParseForm(); err == nil {
		v = r.Form
	}
	for k, vs := range r.URL.Query() {
		if !v.Has(k) {
			v[k] = vs
		}
	}
	return v
}

func oauthError(code, desc string) map[string]string {
	return map[string]string{"error": code, "error_description": desc}
}

// registerApp is POST /api/v1/apps. s.mu is held.
func (s *Server) registerApp(r *http.Request) (int, any) {
	v := form(r)
	name := strings.TrimSpace(v.Get("client_name"))
	var redirects []string
	for _, ru := range v["redirect_uris"] {
		redirects = append(redirects, strings.Fields(ru)...)
	}
	switch {
	case name == "":
		return http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: Application name can't be blank"}
	case len(redirects) == 0:
		return http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: Redirect URI can't be blank"}
	}
	for _, ru := range redirects {
		if u, err := url.Parse(ru); ru != oob && (err != nil || u.Scheme == "" || u.Fragment != "") {
			return http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: Redirect URI must be an absolute URI."}
		}
	}
	scopes := strings.Fields(v.Get("scopes"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	for _, sc := range scopes {
		if !scopesKnown[sc] {
			return http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: Scopes must be valid"}
		}
	}
	s.seq++
	app := &App{
		ID:           fmt.Sprint(s.seq),
		Name:         name,
		Website:      v.Get("website"),
		ClientID:     randomToken(),
		ClientSecret: randomToken(),
		RedirectURIs: redirects,
		Scopes:       scopes,
	}
	if s.apps == nil {
		s.apps = map[string]*App{}
	}
	s.apps[app.ClientID] = app
	var website any
	if app.Website != "" {
		website = app.Website
	}
	return http.StatusOK, map[string]any{
		"id":                       app.ID,
		"name":                     app.Name,
		"website":                  website,
		"scopes":                   app.Scopes,
		"redirect_uri":             strings.Join(app.RedirectURIs, "\n"),
		"redirect_uris":            app.RedirectURIs,
		"client_id":                app.ClientID,
		"client_secret":            app.ClientSecret,
		"client_secret_expires_at": 0,
		"vapid_key":                "BFakeVapidKeyOfTheFakeMastodonServer0000000000000000000000000000000000000000000000000000",
	}
}

// checkAuthorize validates the parameters of an authorization request.
// s.mu is held.
func (s *Server) checkAuthorize(q url.Values) (*App, []string, error) {
	app := s.apps[q.Get("client_id")]
	if app == nil {
		return nil, nil, errors.New("invalid_client: " + descInvalidClient)
	}
	if q.Get("response_type") != "code" {
		return nil, nil, errors.New("unsupported_response_type: The authorization server does not support this response type.")
	}
	if !slices.Contains(app.RedirectURIs, q.Get("redirect_uri")) {
		return nil, nil, errors.New("invalid_redirect_uri: The requested redirect uri is malformed or doesn't match client redirect URI.")
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	for _, sc := range scopes {
		if !slices.Contains(app.Scopes, sc) {
			return nil, nil, errors.New("invalid_scope: " + descInvalidScope)
		}
	}
	if m := q.Get("code_challenge_method"); q.Has("code_challenge") && m != "S256" && m != "plain" {
		return nil, nil, errors.New("invalid_request: The code challenge method must be plain or S256.")
	}
	return app, scopes, nil
}

// authorizePage is GET /oauth/authorize: the page that asks the signed-in
// person to authorize the application. s.mu is held.
func (s *Server) authorizePage(q url.Values) (int, string) {
	app, scopes, err := s.checkAuthorize(q)
	if err != nil {
		return http.StatusBadRequest, "<!DOCTYPE html><title>An error has occurred</title><p>" + html.EscapeString(err.Error())
	}
	return http.StatusOK, "<!DOCTYPE html><title>Authorization required</title><p>" + html.EscapeString(app.Name) +
		" would like permission to access your account: " + html.EscapeString(strings.Join(scopes, " ")) +
		"<form method=post action=/oauth/authorize><button>Authorize</button></form>"
}

// Authorize is the person signing in as acct (a local account) and
// clicking "Authorize" on the page of authURL, which must be a
// /oauth/authorize URL the fake accepts. It returns the code the server
// shows for the out-of-band redirect (a redirect URI would receive it as
// ?code=). The code is valid for CodeTTL, once.
func (s *Server) Authorize(authURL, acct string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil || u.Path != "/oauth/authorize" {
		return "", fmt.Errorf("mastodontest: %q is not an authorization URL", authURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := u.Query()
	app, scopes, err := s.checkAuthorize(q)
	if err != nil {
		return "", fmt.Errorf("mastodontest: %v", err)
	}
	a := s.byAcct[normAcct(acct, s.domain)]
	if a == nil || (a.Domain != "" && a.Domain != s.domain) {
		return "", fmt.Errorf("mastodontest: no local account %q to sign in as", acct)
	}
	code := randomToken()
	if s.codes == nil {
		s.codes = map[string]*authCode{}
	}
	method := q.Get("code_challenge_method")
	if method == "" && q.Has("code_challenge") {
		method = "plain"
	}
	s.codes[code] = &authCode{
		clientID: app.ClientID, acct: a.Username, redirect: q.Get("redirect_uri"), scopes: scopes,
		challenge: q.Get("code_challenge"), method: method, expires: s.now().Add(CodeTTL),
	}
	return code, nil
}

// token is POST /oauth/token. s.mu is held.
func (s *Server) token(r *http.Request) (int, any) {
	v := form(r)
	id, secret := v.Get("client_id"), v.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(p)
	}
	app := s.apps[id]
	if app == nil || app.ClientSecret != secret {
		return http.StatusUnauthorized, oauthError("invalid_client", descInvalidClient)
	}
	var acct string
	var scopes []string
	switch v.Get("grant_type") {
	case "authorization_code":
		c := s.codes[v.Get("code")]
		if c == nil || c.clientID != app.ClientID || c.redirect != v.Get("redirect_uri") || !s.now().Before(c.expires) {
			return http.StatusBadRequest, oauthError("invalid_grant", descInvalidGrant)
		}
		if c.challenge != "" {
			verifier := v.Get("code_verifier")
			got := verifier
			if c.method == "S256" {
				sum := sha256.Sum256([]byte(verifier))
				got = base64.RawURLEncoding.EncodeToString(sum[:])
			}
			if verifier == "" || got != c.challenge {
				return http.StatusBadRequest, oauthError("invalid_grant", descInvalidGrant)
			}
		}
		delete(s.codes, v.Get("code"))
		acct, scopes = c.acct, c.scopes
	case "client_credentials":
		scopes = strings.Fields(v.Get("scope"))
		if len(scopes) == 0 {
			scopes = []string{"read"}
		}
		for _, sc := range scopes {
			if !slices.Contains(app.Scopes, sc) {
				return http.StatusBadRequest, oauthError("invalid_scope", descInvalidScope)
			}
		}
	default:
		return http.StatusBadRequest, oauthError("unsupported_grant_type", descGrantType)
	}
	tok := randomToken()
	s.tokens[tok] = acct
	return http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"scope":        strings.Join(scopes, " "),
		"created_at":   s.now().Unix(),
	}
}

// Apps returns the registered applications, in no particular order.
func (s *Server) Apps() []App {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []App
	for _, a := range s.apps {
		out = append(out, *a)
	}
	return out
}

// randomToken is 43 URL-safe characters, the shape of Mastodon's client
// ids, secrets, codes and tokens.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
