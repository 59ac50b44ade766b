package discourse

import (
	"encoding/json"
	"testing"
)

// TestReplyParent: a reply answers the post its reply_to_post_number names
// when that post's id is known, else its topic.
func TestReplyParent(t *testing.T) {
	tr := translator{instance: "forum.example"}
	numbers := map[string]int64{numberKey(7, 1): 70, numberKey(7, 3): 73, numberKey(8, 3): 83}
	for _, tt := range []struct {
		name  string
		reply string
		want  string
	}{
		{"absent", ``, "discourse/forum.example/topic_created/7"},
		{"null", `null`, "discourse/forum.example/topic_created/7"},
		{"the first post is the topic", `1`, "discourse/forum.example/topic_created/7"},
		{"a known post", `3`, "discourse/forum.example/post_created/73"},
		{"an unknown post", `5`, "discourse/forum.example/topic_created/7"},
		{"not a number", `"3"`, "discourse/forum.example/topic_created/7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := post{ID: 99, TopicID: 7, PostNumber: 6, UserID: 2, ReplyToPostNumber: json.RawMessage(tt.reply)}
			if got := tr.postActivity(p, numbers).ParentKey; got != tt.want {
				t.Errorf("parent = %q, want %q", got, tt.want)
			}
		})
	}
}
