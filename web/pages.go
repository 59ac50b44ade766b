package web

import "net/http"

// route is one method and path the server answers.
type route struct {
	method, path string
	h            http.HandlerFunc
}

// register adds routes to mux; a request to one of their paths with
// another method gets an Allow header and the answer of notAllowed for
// that route (a JSON error for the API, a page for the pages).
func register(mux *http.ServeMux, routes []route, notAllowed func(rt route) http.HandlerFunc) {
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.path, rt.h)
		allow := rt.method
		if allow == "GET" {
			allow = "GET, HEAD"
		}
		refuse := notAllowed(rt)
		mux.HandleFunc(rt.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			refuse(w, r)
		})
	}
}

// pageRoutes registers the server-rendered pages and their forms. Every
// form posts to its own path and redirects back with a flash message, so
// the pages work without JavaScript.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	register(mux, []route{
		{"GET", "/members", s.membersPage},
		{"GET", "/members/{id}", s.journeyPage},
		{"POST", "/members/{id}/merge", s.mergeForm},
		{"POST", "/members/{id}/unmerge", s.unmergeForm},
		{"GET", "/suggestions", s.suggestionsPage},
		{"POST", "/suggestions/{id}/accept", s.decideForm(true)},
		{"POST", "/suggestions/{id}/reject", s.decideForm(false)},
		{"GET", "/sources", s.sourcesPage},
		{"GET", "/health", s.healthPage},
		{"GET", "/champions", s.championsPageHandler},
	}, func(rt route) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			p := errorPage{pageBase: s.base(r, "Not allowed"), Heading: "Not allowed", Text: "This address does not take that kind of request."}
			if rt.method == "POST" {
				p.Text = "This address is for a button on another page; go back and use it there."
			}
			s.render(w, r, http.StatusMethodNotAllowed, "error", p)
		}
	})
}
