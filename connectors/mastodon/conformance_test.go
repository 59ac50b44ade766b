package mastodon

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

// conformanceFake adapts mastodontest to the conformance suite.
type conformanceFake struct {
	*mastodontest.Server
	token string
	grown *int
}

func (f conformanceFake) Transport() http.RoundTripper { return f.Server.Transport() }

func (f conformanceFake) Settings() string {
	s := "server: " + f.BaseURL() + "\naccounts: [rollcall]\nhashtags: [rollcall]\n"
	if f.token != "" {
		s += "token: " + f.token + "\n"
	}
	return s
}

// PagesFollowed counts requests for a page after the first: max_id, a
// since_id, or a min_id other than the initial 0.
func (f conformanceFake) PagesFollowed() int {
	n := 0
	for _, r := range f.Requests() {
		q, _ := url.ParseQuery(r.RawQuery)
		if q.Has("max_id") || q.Has("since_id") || (q.Has("min_id") && q.Get("min_id") != "0") {
			n++
		}
	}
	return n
}

// Grow adds one activity of every type: a hashtag post mentioning the
// tracked account (post + mention), a boost and a favourite of its newest
// status, and a new follower.
func (f conformanceFake) Grow(at time.Time) int {
	*f.grown++
	g := *f.grown
	u := fmt.Sprintf("grown%d", g)
	if _, err := f.AddAccount(mastodontest.Account{Username: u, Domain: "social.example", CreatedAt: at}); err != nil {
		panic(err)
	}
	if _, err := f.AddStatus(mastodontest.Status{Account: u + "@social.example", Tags: []string{"rollcall"}, Mentions: []string{"rollcall"}, CreatedAt: at}); err != nil {
		panic(err)
	}
	id := newestStatusOf(f.Server, "rollcall")
	if _, err := f.Boost(u+"@social.example", id, at.Add(time.Second)); err != nil {
		panic(err)
	}
	if err := f.Favourite(u+"@social.example", id, at.Add(2*time.Second)); err != nil {
		panic(err)
	}
	if err := f.Follow(u+"@social.example", "rollcall", at.Add(3*time.Second)); err != nil {
		panic(err)
	}
	return 5
}

// Roles: the tracked account (the community's own, hence staff) and the
// seeded bots among the first 100 people, who all follow it. The server's
// Owner and Moderator (user003, user006) are not staff of the community.
func (f conformanceFake) Roles() (staff, bots []string) {
	for i := range 100 {
		if seededBot(i) {
			u := fmt.Sprintf("user%03d@", i)
			if d := []string{"", "social.example", "other.example"}[i%3]; d != "" {
				u += d
			} else {
				u += f.Domain()
			}
			bots = append(bots, u)
		}
	}
	return []string{"rollcall@" + f.Domain()}, bots
}

func TestConformancePublic(t *testing.T) {
	connectortest.Run(t, connectortest.Case{
		Kind:          Kind,
		New:           newConformanceFake(""),
		Types:         []string{TypePost, TypeMention, TypeBoost, TypeFavourite, TypeFollow},
		ReplyTypes:    []string{TypeBoost, TypeFavourite},
		ReactionTypes: []string{TypePost, TypeMention},
		TextTypes:     []string{TypePost, TypeMention},
		// Every request of an idle pass repeats the last request of the
		// previous one and is answered 304, which Mastodon's fake does not
		// count.
		IdleMaxCounted: 0,
	})
}

func TestConformanceOwnerToken(t *testing.T) {
	connectortest.Run(t, connectortest.Case{
		Kind:           Kind,
		New:            newConformanceFake("owner-token"),
		Types:          []string{TypePost, TypeMention, TypeBoost, TypeFavourite, TypeFollow},
		ReplyTypes:     []string{TypeBoost, TypeFavourite},
		ReactionTypes:  []string{TypePost, TypeMention},
		TextTypes:      []string{TypePost, TypeMention},
		IdleMaxCounted: 0,
	})
}

func newConformanceFake(token string) func(t *testing.T, now func() time.Time) connectortest.Fake {
	return func(t *testing.T, now func() time.Time) connectortest.Fake {
		opts := []mastodontest.Option{mastodontest.WithNow(now)}
		if token != "" {
			opts = append(opts, mastodontest.WithToken(token, "rollcall"))
		}
		srv := mastodontest.New(opts...)
		// With the owner's token most activity comes in few notification
		// pages: more hashtag statuses make the pass span several batches.
		tagged := 0
		if token != "" {
			tagged = 300
		}
		seed(t, srv, now(), tagged)
		return conformanceFake{Server: srv, token: token, grown: new(int)}
	}
}

// TestTagRefreshHourly: a favourite does not bring a status back into a
// hashtag walk, so the hashtag's newest page is re-read for the counts; a
// connector does so at most once an hour, not on every pass.
func TestTagRefreshHourly(t *testing.T) {
	e := connectortest.NewEnv(t, connectortest.Case{Kind: Kind, New: newConformanceFake("")})
	srv := e.Fake.(conformanceFake).Server
	c := e.Connector()
	sync := func() {
		t.Helper()
		srv.ResetLog()
		if _, err := e.Sync(c, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.AddAccount(mastodontest.Account{Username: "fan", Domain: "social.example", CreatedAt: e.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	st, err := srv.AddStatus(mastodontest.Status{Account: "fan@social.example", Tags: []string{"rollcall"}, CreatedAt: e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	sync()
	refreshes := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Path == "/api/v1/timelines/tag/rollcall" && !strings.Contains(r.RawQuery, "min_id") {
				n++
			}
		}
		return n
	}
	favourites := func() int {
		for _, a := range e.Store.Acts {
			if a.Type == TypePost && strings.HasSuffix(a.Key, "/"+st.ID) && a.Reactions != nil {
				return a.Reactions.Total
			}
		}
		return -1
	}
	if got := favourites(); got != 0 {
		t.Fatalf("the new status has %d reactions after the backfill, want 0", got)
	}
	if err := srv.Favourite("user001@social.example", st.ID, e.Clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(20 * time.Minute)
	sync()
	if n, got := refreshes(), favourites(); n != 0 || got != 0 {
		t.Errorf("20 minutes after the backfill: %d refresh requests and %d reactions, want none and 0 (the last refresh's)", n, got)
	}
	e.Clock.Advance(40 * time.Minute)
	sync()
	if n, got := refreshes(), favourites(); n != 1 || got != 1 {
		t.Errorf("an hour after the backfill: %d refresh requests and %d reactions, want 1 and the favourite", n, got)
	}
}
