package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

// The JSON API under /api/v1/. Members, journeys and suggestions use the
// shapes in package crm that the CLI prints with --format json, encoded
// the same way (two-space indent, one trailing newline), so both give the
// same bytes for the same member.

func (s *Server) apiRoutes(mux *http.ServeMux) {
	register(mux, []route{
		{"GET", "/api/v1/members", s.apiMembers},
		{"GET", "/api/v1/members/{id}", s.apiMember},
		{"GET", "/api/v1/members/{id}/journey", s.apiJourney},
		{"GET", "/api/v1/suggestions", s.apiSuggestions},
		{"POST", "/api/v1/suggestions/{id}/accept", s.apiDecide(true)},
		{"POST", "/api/v1/suggestions/{id}/reject", s.apiDecide(false)},
		{"POST", "/api/v1/merge", s.apiMerge},
		{"POST", "/api/v1/unmerge", s.apiUnmerge},
		{"GET", "/api/v1/sources", s.apiSources},
		{"GET", "/api/v1/health", s.apiHealth},
		{"GET", "/api/v1/champions", s.apiChampions},
	}, func(rt route) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s.apiError(w, r, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed: use %s", r.Method, rt.method))
		}
	})
}

// writeJSON encodes v as the CLI does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error": "internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorJSON is the body of every API error.
type errorJSON struct {
	Error string `json:"error"`
}

// apiError answers {"error": "..."}; a 500 says only "internal error" and
// logs the details.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, status int, err error) {
	msg := err.Error()
	switch {
	case status >= 500:
		s.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error"
	case status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusConflict:
		if m := publicMessage(err); m != "internal error" {
			msg = m
		}
	}
	writeJSON(w, status, errorJSON{Error: msg})
}

// apiFail answers err with the status it maps to.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	s.apiError(w, r, statusOf(err), err)
}

func (s *Server) apiMembers(w http.ResponseWriter, r *http.Request) {
	q, err := memberQuery(r.URL.Query())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	page, err := s.members.ListMembers(r.Context(), q)
	if err != nil {
		s.apiFail(w, r, fmt.Errorf("list members: %w", readError(err)))
		return
	}
	writeJSON(w, http.StatusOK, crm.MemberPageView(page))
}

func (s *Server) apiMember(w http.ResponseWriter, r *http.Request) {
	id, err := memberID(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	m, err := identity.FindMember(r.Context(), s.decisions, strconv.FormatInt(id, 10))
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, crm.MemberView(m))
}

func (s *Server) apiJourney(w http.ResponseWriter, r *http.Request) {
	jp, err := s.readJourney(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := crm.JourneyPageView(jp)
	st, ok, err := s.readStanding(r.Context(), jp.Member.ID)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if ok {
		out.Level, out.LevelHistory, out.Love = &st.Level, st.History, &st.Love
		if out.LevelHistory == nil {
			out.LevelHistory = []crm.LevelPoint{}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// suggestionsJSON is the reply of GET /api/v1/suggestions.
type suggestionsJSON struct {
	Suggestions []crm.SuggestionJSON `json:"suggestions"`
}

func (s *Server) apiSuggestions(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = crm.SuggestionOpen
	case crm.SuggestionOpen, crm.SuggestionAccepted, crm.SuggestionRejected:
	case "all":
		status = ""
	default:
		s.apiFail(w, r, badInput("status must be open, accepted, rejected or all, not %q", status))
		return
	}
	ss, err := s.decisions.Suggestions(r.Context(), status)
	if err != nil {
		s.apiFail(w, r, fmt.Errorf("list suggestions: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, suggestionsJSON{Suggestions: crm.SuggestionsView(ss)})
}

// decisionJSON is the reply of accept and reject.
type decisionJSON struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

func (s *Server) apiDecide(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			s.apiFail(w, r, &identity.DecisionError{Msg: fmt.Sprintf("no suggestion %q", r.PathValue("id")), Kind: crm.ErrNotFound})
			return
		}
		if err := identity.DecideSuggestion(r.Context(), s.decisions, id, accept, actorOf(r.Context())); err != nil {
			s.apiFail(w, r, err)
			return
		}
		st := crm.SuggestionRejected
		if accept {
			st = crm.SuggestionAccepted
		}
		writeJSON(w, http.StatusOK, decisionJSON{ID: id, Status: st})
	}
}

// spec is a member or identity in a request body: a member id (a number or
// a string of digits) or "platform:username".
type spec string

// UnmarshalJSON takes a string or an integer.
func (sp *spec) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*sp = spec(strings.TrimSpace(s))
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("must be a member id or a \"platform:username\" string")
	}
	*sp = spec(strconv.FormatInt(n, 10))
	return nil
}

// mergeRequest is the body of POST /api/v1/merge.
type mergeRequest struct {
	A      spec   `json:"a"`
	B      spec   `json:"b"`
	Reason string `json:"reason"`
}

// mergeJSON is the reply of POST /api/v1/merge.
type mergeJSON struct {
	// Member is the merged member as it is now.
	Member crm.MemberJSON `json:"member"`
	// Merged lists the member ids that were joined; Already is set when a
	// and b were one member already (nothing changed).
	Merged  []int64 `json:"merged"`
	Already bool    `json:"already"`
}

// unmergeRequest is the body of POST /api/v1/unmerge.
type unmergeRequest struct {
	Member   spec   `json:"member"`
	Identity string `json:"identity"`
	Reason   string `json:"reason"`
}

// unmergeJSON is the reply of POST /api/v1/unmerge.
type unmergeJSON struct {
	// Member is the member the identity left; NewMember the one it is in now.
	Member    crm.MemberJSON `json:"member"`
	NewMember crm.MemberJSON `json:"new_member"`
}

// decodeBody reads a JSON request body of at most 64 KiB, refusing unknown
// fields.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return badInput("the request body must be a JSON object")
		case errors.As(err, &se):
			return badInput("the request body is not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return badInput("field %q has the wrong type", te.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return badInput("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return badInput("the request body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return badInput("the request body must hold one JSON object")
	}
	return nil
}

func (s *Server) apiMerge(w http.ResponseWriter, r *http.Request) {
	var req mergeRequest
	if err := decodeBody(r, &req); err != nil {
		s.apiFail(w, r, err)
		return
	}
	if req.A == "" || req.B == "" {
		s.apiFail(w, r, badInput(`merge needs "a" and "b": member ids or platform:username`))
		return
	}
	res, err := identity.MergeMembers(r.Context(), s.decisions, string(req.A), string(req.B), actorOf(r.Context()), req.Reason)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	m, err := s.decisions.Member(r.Context(), res.Into)
	if err != nil {
		s.apiFail(w, r, fmt.Errorf("read merged member %d: %w", res.Into, err))
		return
	}
	out := mergeJSON{Member: crm.MemberView(m), Merged: []int64{res.A.ID, res.B.ID}, Already: res.Already}
	if res.Already {
		out.Merged = []int64{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiUnmerge(w http.ResponseWriter, r *http.Request) {
	var req unmergeRequest
	if err := decodeBody(r, &req); err != nil {
		s.apiFail(w, r, err)
		return
	}
	if req.Member == "" || strings.TrimSpace(req.Identity) == "" {
		s.apiFail(w, r, badInput(`unmerge needs "member" (an id or platform:username) and "identity" (platform:username)`))
		return
	}
	res, err := identity.UnmergeIdentity(r.Context(), s.decisions, string(req.Member), strings.TrimSpace(req.Identity), actorOf(r.Context()), req.Reason)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	old, err := s.decisions.Member(r.Context(), res.Member.ID)
	if err != nil {
		s.apiFail(w, r, fmt.Errorf("read member %d: %w", res.Member.ID, err))
		return
	}
	nm, err := s.decisions.Member(r.Context(), res.NewMember)
	if err != nil {
		s.apiFail(w, r, fmt.Errorf("read member %d: %w", res.NewMember, err))
		return
	}
	writeJSON(w, http.StatusOK, unmergeJSON{Member: crm.MemberView(old), NewMember: crm.MemberView(nm)})
}

// sourcesJSON is the reply of GET /api/v1/sources.
type sourcesJSON struct {
	Sources []sourceJSON `json:"sources"`
}

// sourceJSON is one source in GET /api/v1/sources; times are RFC 3339 UTC
// text, "" for none.
type sourceJSON struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	State         string `json:"state"` // running, paused, error, ok, new or elsewhere
	Running       bool   `json:"running"`
	LastSync      string `json:"last_sync"`
	LastSuccess   string `json:"last_success"`
	NextSync      string `json:"next_sync"`
	RateKnown     bool   `json:"rate_known"`
	RateLimit     int    `json:"rate_limit"`
	RateRemaining int    `json:"rate_remaining"`
	RateReset     string `json:"rate_reset"`
	PausedUntil   string `json:"paused_until"`
	LastError     string `json:"last_error"`
	Activities    int    `json:"activities"`
	Accounts      int    `json:"accounts"`
	Passes        int    `json:"passes"`
	// The replica holding the source's lease ("" without replicas),
	// whether it is this one, and until when.
	LeaseHolder  string `json:"lease_holder"`
	LeaseHere    bool   `json:"lease_here"`
	LeaseExpires string `json:"lease_expires"`
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request) {
	out := sourcesJSON{Sources: []sourceJSON{}}
	for _, st := range s.sourceStatuses() {
		out.Sources = append(out.Sources, sourceJSON{
			Name: st.Name, Type: st.Type, State: st.StateClass(), Running: st.Running,
			LastSync: crm.TimeJSON(st.LastSync), LastSuccess: crm.TimeJSON(st.LastSuccess), NextSync: crm.TimeJSON(st.NextSync),
			RateKnown: st.RateKnown, RateLimit: st.RateLimit, RateRemaining: st.RateRemaining, RateReset: crm.TimeJSON(st.RateReset),
			PausedUntil: crm.TimeJSON(st.PausedUntil), LastError: st.LastError,
			Activities: st.Activities, Accounts: st.Accounts, Passes: st.Passes,
			LeaseHolder: st.LeaseHolder, LeaseHere: st.LeaseHere, LeaseExpires: crm.TimeJSON(st.LeaseExpires),
		})
	}
	writeJSON(w, http.StatusOK, out)
}
