package mastodon

import (
	"fmt"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

// seed fills srv with a community around the tracked account "rollcall"
// and the hashtag #rollcall, big enough to need several pages per stream:
// 120 people (local and remote), 90 hashtag statuses (some mentioning
// rollcall), 45 statuses of rollcall with boosts, favourites and replies,
// and 100 followers. tagged adds that many more hashtag statuses. Every
// 29th person is a bot (seededBot); user003 and user006 (local) hold the
// server's highlighted Owner and Moderator roles, which make them staff of
// the server, not of the community.
func seed(t testing.TB, srv *mastodontest.Server, now time.Time, tagged int) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	start := now.Add(-60 * 24 * time.Hour)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * 17 * time.Minute) }
	_, err := srv.AddAccount(mastodontest.Account{
		Username: "rollcall", DisplayName: "Rollcall", CreatedAt: start.Add(-time.Hour),
		Fields: []mastodontest.Field{{Name: "Code", Value: `<a href="https://github.com/rollcall-dev" rel="nofollow noopener" target="_blank">github.com/rollcall-dev</a>`, VerifiedAt: start}},
	})
	must(err)
	var users []string
	domains := []string{"", "social.example", "other.example"}
	for i := range 120 {
		a := mastodontest.Account{
			Username: fmt.Sprintf("user%03d", i), Domain: domains[i%3], DisplayName: fmt.Sprintf("User %d", i),
			Bot: seededBot(i), CreatedAt: start.Add(-time.Duration(i) * time.Hour),
			Note: `<p>I hack on things. <a href="https://blog.example/u` + fmt.Sprint(i) + `">blog</a></p>`,
		}
		switch i {
		case 3:
			a.Role = &mastodontest.Role{ID: "3", Name: "Owner"}
		case 6:
			a.Role = &mastodontest.Role{ID: "1", Name: "Moderator", Color: "#563acc"}
		}
		if i%4 == 0 {
			a.Fields = []mastodontest.Field{{Name: "GitHub", Value: fmt.Sprintf(`<a href="https://github.com/user%03d" rel="me">github.com/user%03d</a>`, i, i), VerifiedAt: start}}
		}
		a, err := srv.AddAccount(a)
		must(err)
		acct := a.Username
		if a.Domain != "" {
			acct += "@" + a.Domain
		}
		users = append(users, acct)
	}
	n := 0
	var own []string
	for i := range 45 {
		st, err := srv.AddStatus(mastodontest.Status{Account: "rollcall", CreatedAt: at(n)})
		must(err)
		n++
		own = append(own, st.ID)
		_ = i
	}
	for i := range 90 + tagged {
		st := mastodontest.Status{Account: users[i%100], Tags: []string{"rollcall"}, CreatedAt: at(n)}
		if i%3 == 0 {
			st.Mentions = []string{"rollcall"}
		}
		_, err := srv.AddStatus(st)
		must(err)
		n++
	}
	for i, id := range own[len(own)-12:] {
		for j := range 3 + i%3 {
			u := users[(i*7+j)%100]
			_, err := srv.Boost(u, id, at(n))
			must(err)
			must(srv.Favourite(users[(i*5+j+1)%100], id, at(n+1)))
			n += 2
		}
		_, err := srv.AddStatus(mastodontest.Status{Account: users[(i*11)%100], InReplyToID: id, Mentions: []string{"rollcall"}, CreatedAt: at(n)})
		must(err)
		n++
	}
	for i := range 100 {
		must(srv.Follow(users[i], "rollcall", at(n)))
		n++
	}
	if at(n).After(now) {
		t.Fatalf("seeded data runs past now")
	}
}

// seededBot reports whether seed's i-th person is a bot.
func seededBot(i int) bool { return i%29 == 0 }

// newestStatusOf returns the id of acct's newest own status.
func newestStatusOf(srv *mastodontest.Server, acct string) string {
	var best string
	for _, n := range srv.Notifications(acct) {
		if n.StatusID != "" && newer(n.StatusID, best) {
			if st, ok := srv.Status(n.StatusID); ok && st.Account == acct {
				best = n.StatusID
			}
		}
	}
	return best
}
