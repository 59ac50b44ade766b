package web

import "net/http"

// pageRoutes registers the server-rendered pages and their forms. Every
// form posts to its own path and redirects back with a flash message, so
// the pages work without JavaScript.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /members", s.membersPage)
	mux.HandleFunc("GET /members/{id}", s.journeyPage)
	mux.HandleFunc("POST /members/{id}/merge", s.mergeForm)
	mux.HandleFunc("POST /members/{id}/unmerge", s.unmergeForm)
	mux.HandleFunc("GET /suggestions", s.suggestionsPage)
	mux.HandleFunc("POST /suggestions/{id}/accept", s.decideForm(true))
	mux.HandleFunc("POST /suggestions/{id}/reject", s.decideForm(false))
	mux.HandleFunc("GET /sources", s.sourcesPage)
}
