package discourse

import (
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
)

// TestStaffFromFixtures reads the recorded posts and profiles: a post's
// admin, moderator or staff flag, and a profile's admin or moderator flag,
// make its author staff.
func TestStaffFromFixtures(t *testing.T) {
	dir := fixtures(t)
	tr := translator{instance: "forum.example.org", base: "https://forum.example.org"}
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"discourse_api_docs/responses/users/get_user_response.json", true}, // admin
		{"discourse_api-gem/user.json", false},
	} {
		var resp profileResponse
		readFixture(t, dir, tt.name, &resp)
		if a := tr.profileAccount(*resp.User, nil, t0); a.Staff != tt.want {
			t.Errorf("%s: profile of %s staff %v; want %v", tt.name, a.Username, a.Staff, tt.want)
		}
	}
	var p post
	readFixture(t, dir, "discourse_api_docs/responses/posts/get_post_response.json", &p)
	if u, ok := postAuthor(p); !ok {
		t.Fatal("no author")
	} else if a, _ := tr.account(u); !a.Staff {
		t.Errorf("post by admin %s: account not staff", a.Username)
	}
	var tv topicView
	readFixture(t, dir, "discourse_api-gem/topic.json", &tv)
	for _, p := range tv.PostStream.Posts {
		u, _ := postAuthor(p)
		if a, _ := tr.account(u); a.Staff != (p.Admin || p.Moderator || p.Staff) || !a.Staff {
			t.Errorf("topic.json post %d by %s: staff %v (flags %+v)", p.ID, p.Username, a.Staff, p.staffFlags)
		}
	}
	var list topicListResponse
	readFixture(t, dir, "discourse_api-gem/latest.json", &list)
	for _, u := range list.Users {
		if a, _ := tr.account(u); a.Staff {
			t.Errorf("latest.json user %s: staff without a flag", u.Username)
		}
	}
}

// TestStaffFromFake syncs the fake forum: the moderator and an admin are
// staff, from their posts and profiles; the others are not.
func TestStaffFromFake(t *testing.T) {
	srv := smallForum(t)
	srv.AddUser(discoursetest.User{Username: "root", Admin: true, TrustLevel: 4})
	tp, err := srv.AddTopic(discoursetest.Topic{Title: "Announcement", User: "root", CreatedAt: t0.Add(-30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddPost(discoursetest.Post{TopicID: tp.ID, User: "mod", Raw: "pinned", CreatedAt: t0.Add(-20 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, settings := range []string{"url: https://forum.example.org\napi_key: k\napi_username: system\n", "url: https://forum.example.org\n"} {
		c := newTest(t, srv, settings, &clock{now: t0}, nil)
		batches, err := syncAll(t, c, connectors.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		staff := map[string]bool{}
		for _, b := range batches {
			for _, a := range b.Accounts {
				staff[a.Username] = staff[a.Username] || a.Staff
			}
		}
		for user, want := range map[string]bool{"root": true, "mod": true, "alice": false, "bob": false} {
			if got, seen := staff[user]; !seen || got != want {
				t.Errorf("%q: %s staff %v (seen %v); want %v", settings, user, got, seen, want)
			}
		}
	}
}
