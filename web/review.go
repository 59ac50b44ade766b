package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

// This file: the review page (suggestions), the merge and unmerge forms
// of the journey page, and the sources page.

type suggestionsPage struct {
	pageBase
	Suggestions []suggestionView
	// Total is the number of open suggestions; From and To number the
	// ones on this page (1-based); Prev and Next are the neighbouring
	// pages, 0 when there is none.
	Total, From, To, Prev, Next int
}

// suggestionsPerPage is how many suggestions the review page shows at once.
const suggestionsPerPage = 10

type suggestionView struct {
	ID         int64
	Confidence string
	Reasons    []string
	Members    []suggestionSide
}

type suggestionSide struct {
	ID      int64
	Found   bool
	Member  crm.Member
	Account crm.Identity
}

func (s *Server) suggestionsPage(w http.ResponseWriter, r *http.Request) {
	// Only the page's suggestions are read (and their members): a
	// community has thousands open.
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	ss, total, err := s.decisions.SuggestionPage(r.Context(), crm.SuggestionOpen, (page-1)*suggestionsPerPage, suggestionsPerPage)
	pages := (total + suggestionsPerPage - 1) / suggestionsPerPage
	if err == nil && page > max(pages, 1) {
		// Past the end (reviewed meanwhile, or a stale link): the last page.
		page = max(pages, 1)
		ss, total, err = s.decisions.SuggestionPage(r.Context(), crm.SuggestionOpen, (page-1)*suggestionsPerPage, suggestionsPerPage)
		pages = (total + suggestionsPerPage - 1) / suggestionsPerPage
	}
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, fmt.Errorf("list suggestions: %w", err))
		return
	}
	p := suggestionsPage{pageBase: s.base(r, "Review suggestions"), Total: total}
	p.Section = "suggestions"
	start := (page - 1) * suggestionsPerPage
	if len(ss) > 0 {
		p.From, p.To = start+1, start+len(ss)
	}
	if page > 1 {
		p.Prev = page - 1
	}
	if page < pages {
		p.Next = page + 1
	}
	cache := map[int64]suggestionSide{}
	side := func(id int64, ref connectors.AccountRef) (suggestionSide, error) {
		sd, ok := cache[id]
		if !ok {
			m, err := s.decisions.Member(r.Context(), id)
			switch {
			case err == nil:
				sd = suggestionSide{ID: id, Found: true, Member: m}
			case statusOf(err) == http.StatusNotFound:
				sd = suggestionSide{ID: id}
			default:
				return sd, err
			}
			cache[id] = sd
		}
		sd.Account = crm.Identity{Account: connectors.Account{AccountRef: ref, Username: ref.ExternalID}}
		for _, ident := range sd.Member.Identities {
			if ident.AccountRef == ref {
				sd.Account = ident
			}
		}
		return sd, nil
	}
	for _, sg := range ss {
		a, err := side(sg.MemberA, sg.A)
		if err != nil {
			s.pageError(w, r, http.StatusInternalServerError, err)
			return
		}
		b, err := side(sg.MemberB, sg.B)
		if err != nil {
			s.pageError(w, r, http.StatusInternalServerError, err)
			return
		}
		p.Suggestions = append(p.Suggestions, suggestionView{ID: sg.ID, Confidence: fmt.Sprintf("%.0f%%", sg.Confidence*100), Reasons: sg.Reasons, Members: []suggestionSide{a, b}})
	}
	s.render(w, r, http.StatusOK, "suggestions", &p)
}

// decideForm handles the accept and reject buttons.
func (s *Server) decideForm(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			s.pageError(w, r, http.StatusNotFound, badInput("no suggestion %q", r.PathValue("id")))
			return
		}
		err = identity.DecideSuggestion(r.Context(), s.decisions, id, accept, actorOf(r.Context()))
		done := fmt.Sprintf("Suggestion %d rejected: rollcall will keep them apart.", id)
		if accept {
			done = fmt.Sprintf("Suggestion %d accepted: the two members are now one.", id)
		}
		s.decided(w, r, err, done, "/suggestions")
	}
}

// decided ends a decision form: on success it flashes done, on a refusal
// (a 4xx kind of error) the error's public message, then redirects to back;
// anything else is an error page.
func (s *Server) decided(w http.ResponseWriter, r *http.Request, err error, done, back string) {
	switch {
	case err == nil:
		s.setFlash(w, r, "ok", done)
	case statusOf(err) < 500:
		s.setFlash(w, r, "error", publicMessage(err))
	default:
		s.pageError(w, r, http.StatusInternalServerError, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// mergeForm handles the journey page's merge form: merge member {id} with
// the member named in "other" (an id or platform:username).
func (s *Server) mergeForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	other := strings.TrimSpace(r.PostFormValue("other"))
	back := "/members/" + url.PathEscape(id)
	if other == "" {
		s.setFlash(w, r, "error", "Say which member to merge with: a member id or platform:username.")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	res, err := identity.MergeMembers(r.Context(), s.decisions, id, other, actorOf(r.Context()), strings.TrimSpace(r.PostFormValue("reason")))
	var done string
	switch {
	case err == nil && res.Already:
		done, back = fmt.Sprintf("%s is already part of this member.", other), fmt.Sprintf("/members/%d", res.Into)
	case err == nil:
		done = fmt.Sprintf("Merged member %d (%s) and member %d (%s) into member %d.", res.A.ID, res.A.Name, res.B.ID, res.B.Name, res.Into)
		back = fmt.Sprintf("/members/%d", res.Into)
	}
	s.decided(w, r, err, done, back)
}

// unmergeForm handles an identity's unmerge button on the journey page.
func (s *Server) unmergeForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ident := r.PostFormValue("identity")
	back := "/members/" + url.PathEscape(id)
	res, err := identity.UnmergeIdentity(r.Context(), s.decisions, id, ident, actorOf(r.Context()), strings.TrimSpace(r.PostFormValue("reason")))
	var done string
	if err == nil {
		done = fmt.Sprintf("Moved %s out of member %d into new member %d.", ident, res.Member.ID, res.NewMember)
	}
	s.decided(w, r, err, done, back)
}

type sourcesPage struct {
	pageBase
	Available bool
	Sources   []SourceStatus
	// Replicas is set when another replica holds, or last held, one of
	// the sources: only then does the page say who fetches each.
	Replicas bool
}

func (s *Server) sourceStatuses() []SourceStatus {
	if s.sources == nil {
		return nil
	}
	return s.sources.SourceStatuses()
}

func (s *Server) sourcesPage(w http.ResponseWriter, r *http.Request) {
	p := sourcesPage{pageBase: s.base(r, "Sources"), Available: s.sources != nil, Sources: s.sourceStatuses()}
	for _, st := range p.Sources {
		if st.LeaseHolder != "" && !st.LeaseHere {
			p.Replicas = true
		}
	}
	p.Section = "sources"
	s.render(w, r, http.StatusOK, "sources", &p)
}
