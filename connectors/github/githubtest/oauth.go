package githubtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The OAuth device flow of github.com and GitHub Enterprise Server, served
// at the web host's root beside the API: POST /login/device/code and POST
// /login/oauth/access_token. The person entering the user code at
// verification_uri and clicking "Authorize" is the test helper
// ApproveDevice (DenyDevice for "Cancel").

// Device-flow defaults, as GitHub documents them.
const (
	// DeviceCodeTTL is how long a device code is valid: 900 seconds.
	DeviceCodeTTL = 15 * time.Minute
	// DeviceInterval is the least time between two polls: 5 seconds.
	DeviceInterval = 5 * time.Second
)

// OAuthApp registers an OAuth app by its client id; deviceFlow says
// whether "Enable Device Flow" is ticked. Once any app is registered,
// other client ids are refused (incorrect_client_credentials); without
// any, every client id is an app with the device flow enabled.
func WithOAuthApp(clientID string, deviceFlow bool) Option {
	return func(s *Server) { s.addApp(clientID, deviceFlow) }
}

// WithGitHubApp registers a GitHub App by its client id, with the device
// flow enabled and "expire user authorization tokens" on (GitHub's
// default for Apps): its user tokens (ghu_) expire after 8 hours and come
// with a refresh token (ghr_) valid for 6 months, as GitHub documents.
func WithGitHubApp(clientID string) Option {
	return func(s *Server) {
		s.addApp(clientID, true)
		if s.expiringApps == nil {
			s.expiringApps = map[string]bool{}
		}
		s.expiringApps[clientID] = true
	}
}

// GitHub App user tokens: their lifetimes, as GitHub documents them.
const (
	UserTokenTTL    = 8 * time.Hour
	RefreshTokenTTL = 15897600 * time.Second
)

func (s *Server) addApp(clientID string, deviceFlow bool) {
	if s.apps == nil {
		s.apps = map[string]bool{}
	}
	s.apps[clientID] = deviceFlow
}

type device struct {
	clientID   string
	deviceCode string
	userCode   string
	scopes     []string
	expires    time.Time
	interval   time.Duration
	lastPoll   time.Time
	login      string // set by ApproveDevice
	denied     bool
	used       bool
}

// issuedToken is a token the device flow issued.
type issuedToken struct {
	login  string
	scopes []string
}

// serveLogin answers the device flow's endpoints and reports whether r was
// one of them.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) bool {
	var handle func(web string, f url.Values) (int, map[string]any)
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/login/device/code":
		handle = s.deviceCode
	case "/login/oauth/access_token":
		handle = s.accessToken
	default:
		return false
	}
	s.mu.Lock()
	var status int
	var v map[string]any
	if r.Method != http.MethodPost {
		status, v = http.StatusNotFound, map[string]any{"error": "Not Found"}
	} else if err := r.ParseForm(); err != nil {
		status, v = http.StatusBadRequest, map[string]any{"error": "bad_request"}
	} else {
		form := r.Form
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			form = url.Values{}
			var m map[string]any
			if json.NewDecoder(r.Body).Decode(&m) == nil {
				for k, x := range m {
					form.Set(k, fmt.Sprint(x))
				}
			}
		}
		scheme := "https"
		if r.TLS == nil && strings.HasPrefix(r.Host, "127.0.0.1") {
			scheme = "http"
		}
		status, v = handle(scheme+"://"+r.Host, form)
	}
	s.log.Add(Request{Method: r.Method, Path: r.URL.Path, Status: status}, status, false)
	s.mu.Unlock()

	// GitHub answers form-encoded unless the client accepts JSON.
	var body []byte
	if strings.Contains(r.Header.Get("Accept"), "json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		body, _ = json.Marshal(v)
	} else {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		f := url.Values{}
		for k, x := range v {
			f.Set(k, fmt.Sprint(x))
		}
		body = []byte(f.Encode())
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return true
}

func deviceErr(code, desc, uri string) map[string]any {
	return map[string]any{"error": code, "error_description": desc, "error_uri": "https://docs.github.com/developers/apps/authorizing-oauth-apps#" + uri}
}

// clientOK reports whether clientID is an app and whether it may use the
// device flow. s.mu is held.
func (s *Server) clientOK(clientID string) (known, deviceFlow bool) {
	if len(s.apps) == 0 {
		return clientID != "", true
	}
	df, ok := s.apps[clientID]
	return ok, df
}

// deviceCode is POST /login/device/code; web is the web host's URL (the
// verification page is there). s.mu is held.
func (s *Server) deviceCode(web string, f url.Values) (int, map[string]any) {
	known, df := s.clientOK(f.Get("client_id"))
	switch {
	case !known:
		return http.StatusBadRequest, deviceErr("incorrect_client_credentials", "The client_id is not valid.", "incorrect-client-credentials")
	case !df:
		return http.StatusBadRequest, deviceErr("device_flow_disabled", "Device Flow must be explicitly enabled for this App", "device-flow-disabled")
	}
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	d := &device{
		clientID:   f.Get("client_id"),
		deviceCode: hex.EncodeToString(b),
		userCode:   userCode(),
		scopes:     strings.FieldsFunc(f.Get("scope"), func(r rune) bool { return r == ' ' || r == ',' }),
		expires:    s.now().Add(DeviceCodeTTL),
		interval:   DeviceInterval,
	}
	if s.devices == nil {
		s.devices = map[string]*device{}
	}
	s.devices[d.deviceCode] = d
	return http.StatusOK, map[string]any{
		"device_code":      d.deviceCode,
		"user_code":        d.userCode,
		"verification_uri": web + "/login/device",
		"expires_in":       int(DeviceCodeTTL / time.Second),
		"interval":         int(DeviceInterval / time.Second),
	}
}

// userCode is eight characters in two groups, e.g. "WDJB-MJHT".
func userCode() string {
	const letters = "BCDFGHJKLMNPQRSTVWXZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, letters[int(c)%len(letters)])
	}
	return string(out)
}

// accessToken is POST /login/oauth/access_token for the device grant.
// GitHub answers its errors with 200. s.mu is held.
func (s *Server) accessToken(_ string, f url.Values) (int, map[string]any) {
	if known, _ := s.clientOK(f.Get("client_id")); !known {
		return http.StatusOK, deviceErr("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", "incorrect-client-credentials")
	}
	if f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" {
		return http.StatusOK, deviceErr("unsupported_grant_type", "The grant type must be urn:ietf:params:oauth:grant-type:device_code.", "unsupported-grant-type")
	}
	d := s.devices[f.Get("device_code")]
	if d == nil || d.clientID != f.Get("client_id") || d.used {
		return http.StatusOK, deviceErr("incorrect_device_code", "The device_code provided is not valid.", "incorrect-device-code")
	}
	now := s.now()
	switch {
	case !now.Before(d.expires):
		return http.StatusOK, deviceErr("expired_token", "The device_code has expired.", "expired-token")
	case d.denied:
		return http.StatusOK, deviceErr("access_denied", "The authorization request was denied.", "access-denied")
	}
	last := d.lastPoll
	d.lastPoll = now
	slow := s.slowDownN > 0
	if slow {
		s.slowDownN--
	}
	if slow || (!last.IsZero() && now.Sub(last) < d.interval) {
		d.interval += 5 * time.Second
		v := deviceErr("slow_down", "Too many requests have been made in the same timeframe.", "slow-down")
		v["interval"] = int(d.interval / time.Second)
		return http.StatusOK, v
	}
	if d.login == "" {
		return http.StatusOK, deviceErr("authorization_pending", "The authorization request is still pending.", "authorization-pending")
	}
	d.used = true
	prefix := "gho_"
	if s.expiringApps[d.clientID] {
		prefix = "ghu_"
	}
	tok := prefix + strings.ToUpper(hex.EncodeToString(randomBytes(18)))
	if s.issued == nil {
		s.issued = map[string]issuedToken{}
	}
	s.issued[tok] = issuedToken{login: d.login, scopes: d.scopes}
	v := map[string]any{"access_token": tok, "token_type": "bearer", "scope": strings.Join(d.scopes, ",")}
	if s.expiringApps[d.clientID] {
		v["expires_in"] = int(UserTokenTTL / time.Second)
		v["refresh_token"] = "ghr_" + strings.ToUpper(hex.EncodeToString(randomBytes(30)))
		v["refresh_token_expires_in"] = int(RefreshTokenTTL / time.Second)
	}
	return http.StatusOK, v
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// findDevice finds a pending device request by its user code. s.mu is
// held.
func (s *Server) findDevice(code string) (*device, error) {
	for _, d := range s.devices {
		if strings.EqualFold(d.userCode, strings.TrimSpace(code)) && !d.used {
			if !s.now().Before(d.expires) {
				return nil, fmt.Errorf("githubtest: user code %s has expired", code)
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("githubtest: no pending device request with user code %q", code)
}

// ApproveDevice is login entering userCode at the verification page and
// authorizing the app: the next poll gets a token for login (who needs no
// AddUser; GET /user answers a minimal profile for an unknown login).
func (s *Server) ApproveDevice(userCode, login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.findDevice(userCode)
	if err != nil {
		return err
	}
	d.login = login
	return nil
}

// DenyDevice is the person clicking "Cancel" on the verification page: the
// next poll gets access_denied.
func (s *Server) DenyDevice(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.findDevice(userCode)
	if err != nil {
		return err
	}
	d.denied = true
	return nil
}

// SlowDownNext makes the next n polls of the token endpoint answer
// slow_down (and add 5 seconds to the device's interval), as GitHub does
// when a client polls too often.
func (s *Server) SlowDownNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slowDownN = n
}

// PendingUserCodes returns the user codes of device requests nobody
// approved or denied yet.
func (s *Server) PendingUserCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.devices {
		if !d.used && !d.denied && d.login == "" {
			out = append(out, d.userCode)
		}
	}
	slices.Sort(out)
	return out
}

// currentUser is GET /user: the profile of the token's owner, with the
// token's scopes in X-OAuth-Scopes. s.mu is held.
func (s *Server) currentUser(r *http.Request, login string, scopes []string) reply {
	if login == "" {
		return reply{status: 401, body: errBody(401, "Requires authentication", "https://docs.github.com/rest/users/users#get-the-authenticated-user")}
	}
	rep := s.route(r, "users/"+login)
	if rep.status == 404 {
		rep = reply{status: 200, body: mustJSON(map[string]any{"login": login, "id": 1, "type": "User", "site_admin": false})}
	}
	if rep.header == nil {
		rep.header = http.Header{}
	}
	rep.header.Set("X-OAuth-Scopes", strings.Join(scopes, ", "))
	rep.header.Set("X-Accepted-OAuth-Scopes", "")
	return rep
}
