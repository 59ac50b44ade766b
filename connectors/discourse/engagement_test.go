package discourse

import (
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
)

// TestRepliesCarryLikesTextAndParent: a reply carries its like count, an
// excerpt of its cooked HTML and the post it answers; a later like on it
// (within the like window) brings the reply back with the new count.
func TestRepliesCarryLikesTextAndParent(t *testing.T) {
	srv := discoursetest.New(discoursetest.WithAPIKey("k", "system", false))
	for _, u := range []string{"alice", "bob", "cy"} {
		srv.AddUser(discoursetest.User{Username: u, TrustLevel: 1})
	}
	tp, err := srv.AddTopic(discoursetest.Topic{Title: "How?", User: "alice", Body: "It <em>fails</em> on start", CreatedAt: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := srv.AddPost(discoursetest.Post{TopicID: tp.ID, User: "bob", Raw: "Try **this** &amp; that", CreatedAt: t0.Add(-50 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	second, err := srv.AddPost(discoursetest.Post{TopicID: tp.ID, User: "cy", Raw: "agreed", ReplyToPostNumber: first.PostNumber, CreatedAt: t0.Add(-40 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddLike(first.ID, "alice", t0.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"bob", "cy"} {
		if err := srv.AddLike(tp.FirstPostID, u, t0.Add(-20*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{now: t0}
	settings := "url: https://forum.example.org\napi_key: k\napi_username: system\n"
	batches, err := syncAll(t, newTest(t, srv, settings, clk, nil), connectors.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	acts, _ := collect(batches)
	tr := translator{instance: "forum.example.org"}
	a1, a2 := acts[tr.postKey(first.ID)], acts[tr.postKey(second.ID)]
	if a1.ParentKey != tr.topicKey(tp.ID) || a2.ParentKey != tr.postKey(first.ID) {
		t.Errorf("parents %q, %q; want the topic, then the first reply", a1.ParentKey, a2.ParentKey)
	}
	if a1.Text != "Try this & that" || a2.Text != "agreed" {
		t.Errorf("texts %q, %q", a1.Text, a2.Text)
	}
	if a1.Reactions == nil || a1.Reactions.ByKind[connectors.ReactionLike] != 1 || a1.Reactions.Total != 1 {
		t.Errorf("first reply reactions %+v, want 1 like", a1.Reactions)
	}
	// The topic carries its first post's likes and text.
	if top := acts[tr.topicKey(tp.ID)]; top.Reactions == nil || top.Reactions.Total != 2 || top.Text != "It fails on start" {
		t.Errorf("topic reactions %+v, text %q; want 2 likes, the first post's text", top.Reactions, top.Text)
	}

	// Two more likes on the first reply: the next pass carries 3.
	clk.now = t0.Add(time.Hour)
	for _, u := range []string{"bob", "cy"} {
		if err := srv.AddLike(first.ID, u, clk.now); err != nil {
			t.Fatal(err)
		}
	}
	next, err := syncAll(t, newTest(t, srv, settings, clk, nil), batches[len(batches)-1].Next)
	if err != nil {
		t.Fatal(err)
	}
	acts, _ = collect(next)
	if a := acts[tr.postKey(first.ID)]; a.Reactions == nil || a.Reactions.Total != 3 {
		t.Errorf("after two more likes: %+v, want the reply again with 3 likes", a.Reactions)
	}
}
