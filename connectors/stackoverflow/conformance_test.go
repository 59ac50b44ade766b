package stackoverflow

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

const (
	fakeAPI = "http://api.stackexchange.test/2.3"
	fakeKey = "fake-app-key"
)

// seeded is a fake holding a deterministic community on the tags go and
// rollcall (and some questions on neither).
type seeded struct {
	*stackoverflowtest.Server
	users     []stackoverflowtest.User
	questions []stackoverflowtest.Question
	answers   []stackoverflowtest.Answer
}

// seed fills a fake with nQuestions questions from nUsers users before now.
func seed(t testing.TB, srv *stackoverflowtest.Server, nUsers, nQuestions int, now time.Time) *seeded {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	s := &seeded{Server: srv}
	for i := range nUsers {
		u := stackoverflowtest.User{DisplayName: fmt.Sprintf("Dev O'Neil %d", i), Reputation: 1 + r.IntN(5000)}
		switch {
		case i%10 == 1:
			u.UserType = "moderator" // a site moderator: not the community's staff
		case i == 2:
			u.IsEmployee = true // a Stack Exchange employee: neither
		}
		if i%3 == 0 {
			u.WebsiteURL = fmt.Sprintf("https://dev%d.example.org", i)
		}
		s.users = append(s.users, srv.AddUser(u))
	}
	tagSets := [][]string{{"go"}, {"go", "concurrency"}, {"rollcall"}, {"rollcall", "go"}, {"python"}}
	start := now.Add(-300 * 24 * time.Hour)
	user := func() int64 { return s.users[r.IntN(len(s.users))].UserID }
	for i := range nQuestions {
		at := start.Add(time.Duration(i) * 2 * time.Hour)
		q, err := srv.AddQuestion(stackoverflowtest.Question{
			Title: fmt.Sprintf("How do I <frob> thing #%d & more?", i), Tags: tagSets[i%len(tagSets)], OwnerID: user(), CreationDate: at,
			Score: i % 5, Body: fmt.Sprintf("<p>I tried <code>frob(%d)</code> and it <strong>fails</strong>.</p>\n<pre><code>panic: frob\n</code></pre>", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		s.questions = append(s.questions, q)
		for j := range r.IntN(4) {
			aat := at.Add(time.Duration(j+1) * 17 * time.Minute)
			a, err := srv.AddAnswer(stackoverflowtest.Answer{QuestionID: q.QuestionID, OwnerID: user(), CreationDate: aat, IsAccepted: j == 0 && i%2 == 0,
				Score: j - 1, Body: "<p>Call <code>unfrob</code> first &amp; retry.</p>"})
			if err != nil {
				t.Fatal(err)
			}
			s.answers = append(s.answers, a)
			if r.IntN(2) == 0 {
				if _, err := srv.AddComment(stackoverflowtest.Comment{PostID: a.AnswerID, OwnerID: user(), CreationDate: aat.Add(5 * time.Minute), Body: "Thanks, that works!"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if r.IntN(2) == 0 {
			if _, err := srv.AddComment(stackoverflowtest.Comment{PostID: q.QuestionID, OwnerID: user(), CreationDate: at.Add(3 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A deleted user's question: nobody to credit, so it yields nothing.
	if _, err := srv.AddQuestion(stackoverflowtest.Question{Title: "orphan", Tags: []string{"go"}, CreationDate: start}); err != nil {
		t.Fatal(err)
	}
	return s
}

// conformanceFake adapts stackoverflowtest to the conformance suite.
type conformanceFake struct{ *seeded }

func (f conformanceFake) Transport() http.RoundTripper { return f.Server.Transport() }

func (f conformanceFake) Settings() string {
	return "site: stackoverflow\ntags: [go, rollcall]\nkey: " + fakeKey + "\napi_url: " + fakeAPI + "\n"
}

// PagesFollowed counts requests for a page after the first: page=2 and
// later, and question walks continued from a moved min= watermark (the
// connector pages /questions by keyset: min=<newest last_activity_date>).
func (f conformanceFake) PagesFollowed() int {
	n := 0
	for _, r := range f.Requests() {
		if r.Page >= 2 || (r.Route == stackoverflowtest.RouteQuestions && strings.Contains(r.RawQuery, "min=")) {
			n++
		}
	}
	return n
}

// Grow adds one activity of every type: a new question, an accepted answer
// on an old unanswered question, and a comment on an old answer.
func (f conformanceFake) Grow(at time.Time) int {
	owner := f.users[len(f.users)-1].UserID
	if _, err := f.AddQuestion(stackoverflowtest.Question{Title: "grown", Tags: []string{"go"}, OwnerID: owner, CreationDate: at}); err != nil {
		panic(err)
	}
	var target stackoverflowtest.Question
	for _, q := range f.questions {
		cur, _ := f.Question(q.QuestionID)
		if cur.AcceptedAnswerID == 0 && strings.Contains(strings.Join(cur.Tags, ";"), "rollcall") {
			target = cur
			break
		}
	}
	if _, err := f.AddAnswer(stackoverflowtest.Answer{QuestionID: target.QuestionID, OwnerID: owner, CreationDate: at, IsAccepted: true}); err != nil {
		panic(err)
	}
	var old stackoverflowtest.Answer
	for _, a := range f.answers {
		if q, _ := f.Question(a.QuestionID); strings.Contains(strings.Join(q.Tags, ";"), "go") {
			old = a
			break
		}
	}
	if _, err := f.AddComment(stackoverflowtest.Comment{PostID: old.AnswerID, OwnerID: owner, CreationDate: at}); err != nil {
		panic(err)
	}
	return 4
}

// Roles: nobody is staff (Case.NoStaff), though the seed has site
// moderators and an employee; Stack Exchange has no bot flag.
func (f conformanceFake) Roles() (staff, bots []string) { return nil, nil }

// idleRequests is what an idle pass costs: one /questions request per
// tracked tag.
const idleRequests = 2

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Case{
		Kind: Kind,
		New: func(t *testing.T, now func() time.Time) connectortest.Fake {
			srv := stackoverflowtest.New(stackoverflowtest.WithNow(now), stackoverflowtest.WithKey(fakeKey))
			return conformanceFake{seed(t, srv, 40, 260, now())}
		},
		Types:          []string{TypeQuestion, TypeAnswer, TypeAnswerAccepted, TypeComment},
		ReplyTypes:     []string{TypeAnswer, TypeAnswerAccepted, TypeComment},
		ReactionTypes:  []string{TypeQuestion, TypeAnswer, TypeComment},
		TextTypes:      []string{TypeQuestion, TypeAnswer, TypeComment},
		IdleMaxCounted: idleRequests,
		NoStaff:        true,
	})
}
