package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Decider is what the review and curation pages need: the suggestions and
// the manual decisions, run through package identity as the CLI runs them.
type Decider interface {
	identity.Decider
	Suggestions(ctx context.Context, status string) ([]crm.Suggestion, error)
	// SuggestionPage is limit suggestions of status after the first
	// offset, in Suggestions' order, and their total.
	SuggestionPage(ctx context.Context, status string, offset, limit int) ([]crm.Suggestion, int, error)
}

// SourceLister reports the state of every configured source; the daemon
// implements it.
type SourceLister interface {
	SourceStatuses() []SourceStatus
}

// SourceStatus is what the sources page and GET /api/v1/sources show of one
// source (the API's shape is sourceJSON).
type SourceStatus struct {
	Name string
	Type string
	// Running is set while a pass is under way.
	Running bool
	// LastSync is when the last pass ended; LastSuccess when one last
	// ended without error.
	LastSync    time.Time
	LastSuccess time.Time
	// NextSync is when the next pass starts (zero while one runs).
	NextSync time.Time
	// RateKnown is false when the service reports no rate limit.
	RateKnown     bool
	RateLimit     int
	RateRemaining int
	RateReset     time.Time
	// PausedUntil is set while the source waits for its rate limit.
	PausedUntil time.Time
	LastError   string
	// Activities and Accounts are what the source committed since the
	// daemon started; Passes how many passes ran.
	Activities int
	Accounts   int
	Passes     int
	// LeaseHolder is the replica that holds the source's lease, as this
	// one last saw it ("" when replicas do not share the store through
	// leases); LeaseHere is set when that is this replica, and Elsewhere
	// when another one fetches the source now (its lease runs until
	// LeaseExpires).
	LeaseHolder  string
	LeaseHere    bool
	LeaseExpires time.Time
	Elsewhere    bool
}

// StateText says in words how the source is doing.
func (s SourceStatus) StateText() string {
	switch s.StateClass() {
	case "running":
		return "Syncing now"
	case "paused":
		return "Paused: waiting for the rate limit to reset"
	case "error":
		return "The last sync failed"
	case "ok":
		return "Up to date"
	case "elsewhere":
		return "Fetched by another replica"
	}
	return "Not synced yet"
}

// StateClass is the state as one word: running, paused, error, ok, new, or
// elsewhere (another replica fetches the source).
func (s SourceStatus) StateClass() string {
	switch {
	case s.Elsewhere && !s.Running:
		return "elsewhere"
	case !s.PausedUntil.IsZero():
		return "paused"
	case s.Running:
		return "running"
	case s.LastError != "":
		return "error"
	case !s.LastSuccess.IsZero():
		return "ok"
	}
	return "new"
}

// Options configure a Server.
type Options struct {
	// Members reads members, journeys, charts and milestones (required).
	Members MemberReader
	// Decisions lists suggestions and records manual decisions (required).
	Decisions Decider
	// Sources reports the sources; nil when there is no daemon.
	Sources SourceLister
	// Scores reads the champions and the members' levels and love; nil
	// leaves the levels off the member pages and the champions page
	// saying the store keeps no scores.
	Scores Scores
	// Scoring is how love, levels and the champions ranking are computed
	// (the configuration's scoring section); the zero value means
	// crm.DefaultScoring().
	Scoring crm.Scoring
	// Auth, when set, requires a login for the pages and a token (or a
	// login) for the API.
	Auth *Auth
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Version is shown in the footer.
	Version string
	// DataVersion, when set, turns on the page cache (see pageCache):
	// read pages and API answers are kept while the store's data version
	// is unchanged, and during a change each page is made once at a time
	// however many clients ask. nil: every request reads the store.
	DataVersion DataVersioner
	// CacheMaxStale bounds how old an answer the cache serves while a
	// fresh one is being made (0: 10 s).
	CacheMaxStale time.Duration
	// CacheFreshFor, when set and DataVersion also reports the store's
	// DecisionsVersion, lets the cache serve an answer that young after
	// changes made by syncs only, refreshing it in the background (see
	// pageCache). 0: every change shows at once.
	CacheFreshFor time.Duration
}

// Server serves the pages and the JSON API. It implements http.Handler.
type Server struct {
	members   MemberReader
	decisions Decider
	sources   SourceLister
	scores    Scores
	scoring   crm.Scoring
	auth      *Auth
	sessions  *sessions
	log       *slog.Logger
	now       func() time.Time
	version   string
	pages     map[string]*template.Template
	handler   http.Handler
	cache     *pageCache // nil: no cache
}

// New builds a Server; it parses the embedded templates once.
func New(opts Options) (*Server, error) {
	if opts.Members == nil || opts.Decisions == nil {
		return nil, errors.New("web: Options.Members and Options.Decisions are required")
	}
	s := &Server{members: opts.Members, decisions: opts.Decisions, sources: opts.Sources, scores: opts.Scores, scoring: opts.Scoring,
		auth: opts.Auth, log: opts.Logger, now: opts.Now, version: opts.Version}
	if s.scoring.Weights == nil {
		s.scoring = crm.DefaultScoring()
	}
	if s.scoring.ChampionsTop <= 0 {
		s.scoring.ChampionsTop = crm.DefaultScoring().ChampionsTop
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.version == "" {
		s.version = "dev"
	}
	if s.auth != nil {
		s.sessions = newSessions(s.auth.SessionTTL, s.now)
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	if opts.DataVersion != nil {
		s.cache = newPageCache(opts.DataVersion, opts.CacheMaxStale, opts.CacheFreshFor, s.now)
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"ago":           func(t time.Time) string { return relative(s.now(), t) },
		"exact":         exact,
		"date":          dateText,
		"isoTime":       isoTime,
		"num":           thousands,
		"platformLabel": platformLabel,
		"platformClass": platformClass,
		"activityLabel": activityLabel,
		"reactions":     reactionsOf,
		"link": func(u string) template.URL {
			v, _ := safeURL(u)
			return v
		},
		"percent": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return fmt.Errorf("web: templates: %w", err)
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("web: parse %s: %w", n, err)
		}
		name := n[len("templates/") : len(n)-len(".html")]
		s.pages[name] = t.Lookup(name + ".html")
	}
	return nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))

	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/members", http.StatusFound)
	})
	s.pageRoutes(app)
	s.apiRoutes(app)
	app.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.apiError(w, r, http.StatusNotFound, errors.New("no such endpoint"))
	})
	app.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusNotFound, "error", errorPage{pageBase: s.base(r, "Not found"), Heading: "Page not found", Text: "There is no page at this address."})
	})
	var reads http.Handler = app
	if s.cache != nil {
		reads = s.cache.handler(app)
	}
	mux.Handle("/", s.authenticate(reads))

	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		if isAPI(r) {
			s.apiError(w, r, http.StatusForbidden, errors.New("cross-origin request refused"))
			return
		}
		s.render(w, r, http.StatusForbidden, "error", errorPage{pageBase: s.base(r, "Refused"), Heading: "Request refused", Text: "This form was sent from another site, so rollcall did not act on it."})
	}))
	return securityHeaders(cop.Handler(s.cleanAPIPaths(mux)))
}

// cleanAPIPaths answers an API path that is not in its clean form ("/."
// or "/.." segments, "//") with a JSON 404: the mux would redirect it to
// the clean path with an HTML body, which no API client expects, and no
// endpoint lives at such a path.
func (s *Server) cleanAPIPaths(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; isAPI(r) && p != cleanPath(p) {
			s.apiError(w, r, http.StatusNotFound, errors.New("no such endpoint"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// cleanPath is the path the mux would redirect p to (net/http's
// cleanPath): rooted, no "." or ".." segments or "//", a trailing slash
// kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders sets headers that keep injected content inert even if
// escaping ever failed: no scripts, no framing, no MIME sniffing.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func isAPI(r *http.Request) bool { return len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" }

// pageBase is what every page's layout needs.
type pageBase struct {
	Title   string
	Section string
	User    string
	Flash   *flash
	Version string
}

type flash struct {
	Kind string // ok or error
	Text string
}

func (s *Server) base(r *http.Request, title string) pageBase {
	b := pageBase{Title: title, Version: s.version}
	if a := actorOf(r.Context()); len(a) > 4 && a[:4] == "web:" {
		b.User = a[4:]
	}
	return b
}

type errorPage struct {
	pageBase
	Heading, Text string
}

// flashCookie carries a message across the redirect after a form.
const flashCookie = "rollcall_flash"

// setFlash stores a message for the next page.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, kind, text string) {
	v := base64.RawURLEncoding.EncodeToString([]byte(kind + "\x00" + text))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

// takeFlash reads and clears the message of the last form.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	kind, text, ok := bytes.Cut(b, []byte{0})
	if !ok || (string(kind) != "ok" && string(kind) != "error") {
		return nil
	}
	return &flash{Kind: string(kind), Text: string(text)}
}

// flashSetter is implemented by page data, so render can add the flash.
type flashSetter interface{ setFlash(*flash) }

func (b *pageBase) setFlash(f *flash) { b.Flash = f }

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("web: no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if fs, ok := data.(flashSetter); ok && status < 400 {
		fs.setFlash(s.takeFlash(w, r))
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.log.Error("web: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// pageError shows a friendly error page; internals go to the log only.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, status int, err error) {
	p := errorPage{pageBase: s.base(r, "Error"), Heading: "Something went wrong", Text: "rollcall could not show this page. The details are in the daemon's log."}
	switch status {
	case http.StatusNotFound:
		p.Title, p.Heading, p.Text = "Not found", "Not found", publicMessage(err)
	case http.StatusBadRequest, http.StatusConflict:
		p.Title, p.Heading, p.Text = "Cannot do that", "Cannot do that", publicMessage(err)
	default:
		s.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.render(w, r, status, "error", p)
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, identity.ErrInvalid), errors.Is(err, errBadInput):
		return http.StatusBadRequest
	case errors.Is(err, crm.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, crm.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// errBadInput is wrapped by errors about a request's parameters.
var errBadInput = errors.New("bad input")

type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }
func (e *inputError) Unwrap() error { return errBadInput }

func badInput(format string, args ...any) error { return &inputError{fmt.Sprintf(format, args...)} }

// publicMessage is the part of an error a client may see: the words of a
// decision or input error, never a wrapped internal one.
func publicMessage(err error) string {
	var de *identity.DecisionError
	var ie *inputError
	switch {
	case errors.As(err, &de):
		return de.Msg
	case errors.As(err, &ie):
		return ie.msg
	case errors.Is(err, crm.ErrNotFound):
		return "not found"
	case errors.Is(err, crm.ErrConflict):
		return "conflict"
	}
	return "internal error"
}
