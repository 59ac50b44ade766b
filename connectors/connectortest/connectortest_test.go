package connectortest

import "testing"

func TestWellFormedKey(t *testing.T) {
	for _, tt := range []struct {
		key, platform, instance string
		ok                      bool
	}{
		{"github/github.com/issue_opened/42", "github", "github.com", true},
		{"github/github.com/issue_number/o/r#5", "github", "github.com", true},
		{"mastodon/m.example/post/1104", "mastodon", "m.example", true},
		{"", "github", "github.com", false},
		{"github/github.com/issue_opened", "github", "github.com", false},
		{"github/github.com/issue_opened/", "github", "github.com", false},
		{"github/ghe.example/issue_opened/1", "github", "github.com", false},
		{"discourse/github.com/post_created/1", "github", "github.com", false},
		{"github/github.com/Issue-Opened/1", "github", "github.com", false},
		{"github/github.com//1", "github", "github.com", false},
	} {
		if err := WellFormedKey(tt.key, tt.platform, tt.instance); (err == nil) != tt.ok {
			t.Errorf("WellFormedKey(%q, %q, %q) = %v, want ok %v", tt.key, tt.platform, tt.instance, err, tt.ok)
		}
	}
}
