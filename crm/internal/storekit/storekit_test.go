package storekit

import (
	"testing"

	"github.com/rollcall-dev/rollcall/crm"
)

func TestPrefixRange(t *testing.T) {
	lo, hi := PrefixRange("An")
	if lo != "an" || hi != "ao" {
		t.Errorf("PrefixRange(An) = %q, %q", lo, hi)
	}
}

func TestRefusal(t *testing.T) {
	decided := map[[2]string]string{
		{"b", "c"}: crm.DecisionMerge, {"a", "d"}: crm.DecisionMerge, {"a", "b"}: crm.DecisionSeparate,
	}
	for _, tc := range []struct{ kind, want string }{
		{crm.DecisionMerge, "people decided a and d are one person"},
		{crm.DecisionSeparate, "people decided a and b are different people"},
	} {
		if got := Refusal(decided, tc.kind); got != tc.want {
			t.Errorf("Refusal(%s) = %q, want %q", tc.kind, got, tc.want)
		}
	}
	if got := Refusal(map[[2]string]string{{"a", "b"}: crm.DecisionSeparate}, crm.DecisionMerge); got != "" {
		t.Errorf("Refusal with no merge decided = %q, want none", got)
	}
}

func TestQuotedListAndMentionPrefixes(t *testing.T) {
	if got := QuotedList([]string{"a", "b_c"}); got != `'a', 'b_c'` {
		t.Errorf("QuotedList = %s", got)
	}
	st, ps := MentionPrefixes([]string{"github/x/post/1", "mastodon/m.test/post/7", "mastodon/m.test/mention/7:a"})
	if len(st) != 1 || st[0] != "mastodon/m.test/post/7" || ps[0] != "mastodon/m.test/mention/7" {
		t.Errorf("MentionPrefixes = %q, %q", st, ps)
	}
}
