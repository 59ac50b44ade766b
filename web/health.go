package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rollcall-dev/rollcall/crm"
)

// GET /api/v1/health: the report `rollcall health --format json` prints,
// from the same function over the same store.

// healthOptions reads period (30d, 7d, 36h; default 30d), platform and
// include_staff (1, true, 0, false) from a query.
func healthOptions(v url.Values) (crm.HealthOptions, error) {
	opt := crm.HealthOptions{Period: crm.DefaultHealthPeriod, Platform: strings.TrimSpace(v.Get("platform"))}
	if p := strings.TrimSpace(v.Get("period")); p != "" {
		d, err := crm.ParseHealthPeriod(p)
		if err != nil {
			return opt, badInput("%v", err)
		}
		opt.Period = d
	}
	if !crm.ValidHealthPlatform(opt.Platform) {
		return opt, badInput("platform must be one of %s, not %q", strings.Join(crm.HealthPlatforms, ", "), opt.Platform)
	}
	switch s := strings.TrimSpace(v.Get("include_staff")); s {
	case "", "0", "false":
	case "1", "true":
		opt.IncludeStaff = true
	default:
		return opt, badInput("include_staff must be 1, true, 0 or false, not %q", s)
	}
	return opt, nil
}

func (s *Server) apiHealth(w http.ResponseWriter, r *http.Request) {
	if s.scores == nil {
		s.apiError(w, r, http.StatusNotFound, badInput("health is not available: the server has no score reader"))
		return
	}
	opt, err := healthOptions(r.URL.Query())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	opt.Now = s.now()
	rep, err := crm.ReadHealth(r.Context(), s.scores, opt)
	if err != nil {
		s.apiFail(w, r, fmt.Errorf("health: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
