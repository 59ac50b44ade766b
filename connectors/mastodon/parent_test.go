package mastodon

import (
	"testing"
	"time"
)

// TestReplyParents: posts and mentions that answer a status (in_reply_to_id)
// carry that status's key; boosts and favourites carry the status reacted
// to; a status that answers none carries no parent.
func TestReplyParents(t *testing.T) {
	tr := translator{instance: "m.example"}
	parent := "1104"
	empty := ""
	reply := status{ID: "1200", InReplyToID: &parent, Content: "<p>@ann yes!</p>", Account: account{ID: "7", Username: "bob", Acct: "bob"}}
	fresh := status{ID: "1201", Content: "<p>hello</p>", Account: account{ID: "7", Username: "bob", Acct: "bob"}}
	blank := status{ID: "1202", InReplyToID: &empty, Account: account{ID: "7", Username: "bob", Acct: "bob"}}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, got, want string
	}{
		{"post reply", tr.post(reply, "rollcall").ParentKey, "mastodon/m.example/post/1104"},
		{"mention reply", tr.mentionOf(reply, "ann@m.example", at).ParentKey, "mastodon/m.example/post/1104"},
		{"fresh post", tr.post(fresh, "rollcall").ParentKey, ""},
		{"fresh mention", tr.mentionOf(fresh, "ann@m.example", at).ParentKey, ""},
		{"empty in_reply_to_id", tr.post(blank, "rollcall").ParentKey, ""},
		{"favourite", tr.reaction(TypeFavourite, fresh, "ann@m.example", account{ID: "9", Username: "cy", Acct: "cy"}, at).ParentKey, "mastodon/m.example/post/1201"},
		{"boost", tr.reaction(TypeBoost, fresh, "ann@m.example", account{ID: "9", Username: "cy", Acct: "cy"}, at).ParentKey, "mastodon/m.example/post/1201"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: parent %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
