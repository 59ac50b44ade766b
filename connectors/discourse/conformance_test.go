package discourse

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
)

const (
	fakeBase = "https://forum.example.org"
	fakeKey  = "sentinel-key-6f1c2d"
)

// conformanceFake adapts discoursetest to the conformance suite.
type conformanceFake struct {
	*discoursetest.Server
	users []string
}

func (f conformanceFake) Transport() http.RoundTripper { return f.Server.Transport() }

func (f conformanceFake) Settings() string {
	return "url: " + fakeBase + "\napi_key: " + fakeKey + "\napi_username: system\n"
}

// Exhaust makes the fake answer 429 with Retry-After counting down to reset.
func (f conformanceFake) Exhaust(reset time.Time) { f.Server.Exhaust(reset) }

// PagesFollowed counts topic list pages after page 0 and posts pages asked
// with before=.
func (f conformanceFake) PagesFollowed() int {
	n := 0
	for _, r := range f.Requests() {
		q := "&" + r.RawQuery
		if strings.Contains(q, "&page=") || strings.Contains(q, "&before=") {
			n++
		}
	}
	return n
}

// Grow adds a topic, a reply, a like of the reply, the reply's acceptance
// as the solution, and a like of the newest older post.
func (f conformanceFake) Grow(at time.Time) int {
	newest := f.newestPost()
	asker, helper, fan := f.users[0], f.users[1], f.users[2]
	t, err := f.AddTopic(discoursetest.Topic{Title: "grown topic", User: asker, Body: "help?", CreatedAt: at})
	if err != nil {
		panic(err)
	}
	p, err := f.AddPost(discoursetest.Post{TopicID: t.ID, User: helper, Raw: "like this", CreatedAt: at.Add(time.Second)})
	if err != nil {
		panic(err)
	}
	must(f.AddLike(p.ID, fan, at.Add(2*time.Second)))
	must(f.AcceptSolution(t.ID, p.ID, asker, at.Add(3*time.Second)))
	n := 4
	if old := f.Likes(newest); !likedBy(old, f.users[3]) {
		must(f.AddLike(newest, f.users[3], at))
		n++
	}
	return n
}

func likedBy(ls []discoursetest.Like, user string) bool {
	for _, l := range ls {
		if l.User == user {
			return true
		}
	}
	return false
}

func (f conformanceFake) newestPost() int64 {
	var id int64
	for i := int64(1); ; i++ {
		if _, ok := f.Post(i); !ok {
			return id
		}
		id = i
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// seed fills s with a forum: users, two categories, topics over a few
// pages, replies over several /posts.json pages, likes and solutions.
func seed(s *discoursetest.Server, now time.Time, users, topics int) []string {
	r := rand.New(rand.NewPCG(7, 11))
	var names []string
	for i := range users {
		u := discoursetest.User{Username: fmt.Sprintf("user%02d", i), Name: fmt.Sprintf("User %d", i), TrustLevel: 1 + i%3}
		// The first user is an admin, the last (who accepts solutions) a moderator.
		u.Admin = i == 0
		u.Moderator = i == users-1
		if i%4 == 0 {
			u.Website = fmt.Sprintf("https://user%02d.example.net", i)
		}
		if i%5 == 0 {
			u.UserFields = map[string]string{"1": fmt.Sprintf("https://github.com/user%02d", i), "2": "likes Go"}
			u.Associated = []discoursetest.AssociatedAccount{{Name: "github", Description: fmt.Sprintf("gh-user%02d", i)}}
			u.Email = fmt.Sprintf("user%02d@example.com", i)
		}
		s.AddUser(u)
		names = append(names, u.Username)
	}
	cats := []discoursetest.Category{s.AddCategory(discoursetest.Category{Name: "Support"}), s.AddCategory(discoursetest.Category{Name: "Dev"})}
	at := now.Add(-90 * 24 * time.Hour)
	for i := range topics {
		at = at.Add(time.Duration(1+r.IntN(20)) * time.Hour)
		t, err := s.AddTopic(discoursetest.Topic{Title: fmt.Sprintf("Topic %d", i), User: names[r.IntN(len(names))], CategoryID: cats[i%2].ID, Body: "question", CreatedAt: at})
		must(err)
		var replies []discoursetest.Post
		for j := range 1 + r.IntN(8) {
			p, err := s.AddPost(discoursetest.Post{TopicID: t.ID, User: names[r.IntN(len(names))], Raw: fmt.Sprintf("reply %d", j), CreatedAt: at.Add(time.Duration(j+1) * time.Minute)})
			must(err)
			replies = append(replies, p)
			if r.IntN(3) == 0 {
				for range 1 + r.IntN(3) {
					must(s.AddLike(p.ID, names[r.IntN(len(names))], p.CreatedAt.Add(time.Minute)))
				}
			}
		}
		if i%4 == 1 {
			acc := t.User
			if i%8 == 1 {
				acc = names[len(names)-1] // a moderator who did not post
			}
			must(s.AcceptSolution(t.ID, replies[0].ID, acc, at.Add(time.Hour)))
		}
	}
	return names
}

// Roles: seed's admin (user00) and moderator (the last user); no bots
// (Discourse's system and discobot have negative ids and are skipped).
func (f conformanceFake) Roles() (staff, bots []string) {
	return []string{f.users[0], f.users[len(f.users)-1]}, nil
}

// TestConformance runs the shared suite against the fake in every built-in
// site locale: the posters descriptions, error messages and rate-limit
// text change, the connector's behaviour must not.
func TestConformance(t *testing.T) {
	for _, l := range discoursetest.Locales() {
		t.Run(l.Code, func(t *testing.T) {
			connectortest.Run(t, connectortest.Case{
				Kind: Kind,
				New: func(t *testing.T, now func() time.Time) connectortest.Fake {
					srv := discoursetest.New(discoursetest.WithNow(now), discoursetest.WithAPIKey(fakeKey, "system", true), discoursetest.WithLocale(l))
					users := seed(srv, now(), 30, 75)
					return conformanceFake{Server: srv, users: users}
				},
				Types:         []string{TypeTopicCreated, TypePostCreated, TypeSolutionAccepted, TypeLike},
				ReplyTypes:    []string{TypePostCreated, TypeSolutionAccepted, TypeLike},
				ReactionTypes: []string{TypePostCreated},
				TextTypes:     []string{TypePostCreated, TypeTopicCreated},
				// One idle pass reads page 0 of /latest.json and of /posts.json.
				IdleMaxCounted: 2,
			})
		})
	}
}
