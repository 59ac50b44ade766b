package stackoverflow

import (
	"net/url"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// TestScoresRefreshedDaily: a vote does not move last_activity_date, so
// the walk never re-reads the question; once a day the tag's newest page
// is re-read (one request) and carries the new score. Within the day no
// extra request is made.
func TestScoresRefreshedDaily(t *testing.T) {
	e := newEnv(t, "site: stackoverflow\ntags: [rollcall]\nkey: "+fakeKey+"\napi_url: "+fakeAPI)
	asker := e.srv.AddUser(stackoverflowtest.User{UserID: 11, AccountID: 901, DisplayName: "Zoë"})
	q, err := e.srv.AddQuestion(stackoverflowtest.Question{QuestionID: 500, Title: "Why?", Tags: []string{"rollcall"}, OwnerID: asker.UserID, CreationDate: t0.Add(-time.Hour), Score: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	key := "stackoverflow/stackoverflow/question/500"
	score := func() int {
		a := e.store.Acts[key]
		if a.Reactions == nil {
			t.Fatalf("%s carries no score", key)
		}
		return a.Reactions.Total
	}
	if got := score(); got != 1 {
		t.Fatalf("score %d, want 1", got)
	}
	for range 3 {
		if err := e.srv.Vote(q.QuestionID, +1); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Advance(time.Hour)
	n := e.srv.Count()
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if got := score(); got != 1 {
		t.Errorf("score %d within the day, want 1 (refreshed daily)", got)
	}
	if got := refreshes(e.srv.Requests()[n:]); got != 0 {
		t.Errorf("%d score refreshes within the day, want 0", got)
	}
	e.clk.Advance(24 * time.Hour)
	n = e.srv.Count()
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if got := score(); got != 4 {
		t.Errorf("score %d after a day, want 4", got)
	}
	if got := refreshes(e.srv.Requests()[n:]); got != 1 {
		t.Errorf("%d score refreshes after a day, want 1", got)
	}
}

// refreshes counts the score refresh requests (questions newest first by
// creation) among rs.
func refreshes(rs []stackoverflowtest.Request) int {
	n := 0
	for _, r := range rs {
		if q, _ := url.ParseQuery(r.RawQuery); r.Route == stackoverflowtest.RouteQuestions && q.Get("sort") == "creation" {
			n++
		}
	}
	return n
}
