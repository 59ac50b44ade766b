package web

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Auth is the access control of the pages and the API. The zero Auth (or
// a nil *Auth in Options) leaves everything open: the daemon allows that
// only on a loopback address.
type Auth struct {
	// Token is the API token clients send as "Authorization: Bearer TOKEN".
	// Empty: the API takes only a page session.
	Token string
	// Users may log in to the pages.
	Users []User
	// TLS makes session cookies Secure: clients reach rollcall over HTTPS.
	TLS bool
	// TrustedProxyHeader names a header (X-Forwarded-Proto) that a reverse
	// proxy sets to the client's scheme; "https" there makes the cookie
	// Secure. Empty: no header is trusted.
	TrustedProxyHeader string
	// SessionTTL is how long a login lasts; 0 means 12 hours.
	SessionTTL time.Duration
}

// User is one login of the pages.
type User struct {
	Name string
	// PasswordHash is what HashPassword returns.
	PasswordHash string
}

// String keeps the token out of logs and error messages.
func (a Auth) String() string { return fmt.Sprintf("web.Auth{%d users}", len(a.Users)) }

// passwordIterations is the PBKDF2-HMAC-SHA256 work factor (OWASP 2023).
const passwordIterations = 600_000

const hashPrefix = "pbkdf2-sha256$"

// HashPassword returns a password hash for the auth.users[].password_hash
// setting: "pbkdf2-sha256$ITERATIONS$SALT$KEY", salt and key in unpadded
// base64, with a random salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("web: password salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, 32)
	if err != nil {
		return "", fmt.Errorf("web: hash password: %w", err)
	}
	enc := base64.RawStdEncoding
	return hashPrefix + strconv.Itoa(passwordIterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

// CheckPassword reports whether password matches hash (from HashPassword),
// in time that does not depend on where they differ.
func CheckPassword(hash, password string) bool {
	rest, ok := strings.CutPrefix(hash, hashPrefix)
	if !ok {
		return false
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return false
	}
	iter, err := strconv.Atoi(parts[0])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[1])
	want, err2 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// sessionCookie names the page session cookie.
const sessionCookie = "rollcall_session"

type session struct {
	user    string
	expires time.Time
}

// sessions is the in-memory store of page logins: a restart logs
// everybody out.
type sessions struct {
	mu  sync.Mutex
	m   map[string]session // by sha256 of the cookie value
	ttl time.Duration
	now func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	return &sessions{m: map[string]session{}, ttl: ttl, now: now}
}

func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return string(h[:])
}

// create starts a session for user and returns its random id.
func (s *sessions) create(user string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("web: session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.m { // drop expired sessions now and then
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	s.m[sessionKey(id)] = session{user: user, expires: now.Add(s.ttl)}
	return id, nil
}

// user returns the user of a live session.
func (s *sessions) user(id string) (string, bool) {
	if id == "" {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := sessionKey(id)
	v, ok := s.m[k]
	if !ok {
		return "", false
	}
	if s.now().After(v.expires) {
		delete(s.m, k)
		return "", false
	}
	return v.user, true
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sessionKey(id))
}

// actorKey is the context key of the authenticated actor.
type actorKey struct{}

// actorOf returns who makes a request, for the audit log of decisions:
// "web:NAME" for a logged-in user, "api" for the API token, "web" when
// access is open.
func actorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok {
		return a
	}
	return "web"
}

// secure reports whether the client reached us over HTTPS.
func (s *Server) secure(r *http.Request) bool {
	if s.auth == nil {
		return r.TLS != nil
	}
	if s.auth.TLS || r.TLS != nil {
		return true
	}
	h := s.auth.TrustedProxyHeader
	return h != "" && strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get(h), ",")[0]), "https")
}

// bearer reports whether the request carries the API token.
func (s *Server) bearer(r *http.Request) bool {
	if s.auth.Token == "" {
		return false
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	want := sha256.Sum256([]byte(s.auth.Token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// authenticate lets a request through with its actor in the context, or
// answers 401 (API) or a redirect to the login form (pages).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.auth == nil {
			next.ServeHTTP(w, r)
			return
		}
		api := strings.HasPrefix(r.URL.Path, "/api/")
		actor := ""
		if api && s.bearer(r) {
			actor = "api"
		} else if c, err := r.Cookie(sessionCookie); err == nil {
			if u, ok := s.sessions.user(c.Value); ok {
				actor = "web:" + u
			}
		}
		if actor == "" {
			if api {
				w.Header().Set("WWW-Authenticate", `Bearer realm="rollcall"`)
				s.apiError(w, r, http.StatusUnauthorized, errors.New("authentication required: send Authorization: Bearer TOKEN"))
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
	})
}

// safeNext returns a local path to go to after login: never another host.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/members"
	}
	return next
}

type loginPage struct {
	pageBase
	Next, Name, Error string
	NoUsers           bool
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		http.Redirect(w, r, "/members", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", loginPage{pageBase: s.base(r, "Log in"), Next: safeNext(r.URL.Query().Get("next")), NoUsers: len(s.auth.Users) == 0})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		http.Redirect(w, r, "/members", http.StatusSeeOther)
		return
	}
	name, password, next := r.PostFormValue("name"), r.PostFormValue("password"), safeNext(r.PostFormValue("next"))
	ok := false
	for _, u := range s.auth.Users {
		// Check every user's hash so the time taken says nothing about
		// which names exist.
		match := CheckPassword(u.PasswordHash, password)
		if subtle.ConstantTimeCompare([]byte(u.Name), []byte(name)) == 1 && match {
			ok = true
		}
	}
	if !ok {
		s.log.Info("login refused", "user", name)
		s.render(w, r, http.StatusUnauthorized, "login", loginPage{pageBase: s.base(r, "Log in"), Next: next, Name: name, Error: "Wrong name or password.", NoUsers: len(s.auth.Users) == 0})
		return
	}
	id, err := s.sessions.create(name)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secure(r), MaxAge: int(s.sessions.ttl / time.Second),
	})
	s.log.Info("logged in", "user", name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.delete(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: -1})
	to := "/members"
	if s.auth != nil {
		to = "/login"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
