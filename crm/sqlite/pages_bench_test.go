package sqlite

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/web"
)

// BenchmarkReadModelPages measures what a community manager waits for: the
// web pages and API answers themselves (query, template and SVG chart
// rendered through web.Server), on the same store of 1,000,000 activities
// and 100,000 members as BenchmarkReadModel, while a goroutine applies
// batches through Store.Apply as a syncing daemon does. Run it with
//
//	go test -run '^$' -bench ReadModelPages -benchtime 200x ./crm/sqlite
func BenchmarkReadModelPages(b *testing.B) {
	s, star := benchStore(b)
	srv, err := web.New(web.Options{Members: s, Decisions: s, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	id := strconv.FormatInt(star, 10)
	get := func(target, want string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
				return fmt.Errorf("GET %s = %d, body without %q", target, w.Code, want)
			}
			return nil
		}
	}
	for _, bm := range []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"page/members_first", get("/members", `data-testid="member-row"`)},
		{"page/members_search_ana", get("/members?q=ana", `data-testid="member-row"`)},
		{"page/members_search_email_domain", get("/members?q=%40mail42.example", `data-testid="member-row"`)},
		{"page/journey_star_10000", get("/members/"+id, `data-testid="activity-chart"`)},
		{"api/members_search_ana", get("/api/v1/members?q=ana", `"members": [`)},
		{"api/journey_star_10000", get("/api/v1/members/"+id+"/journey", `"next_cursor": "`)},
	} {
		b.Run(bm.name, func(b *testing.B) { measure(b, s, bm.op) })
	}
}
