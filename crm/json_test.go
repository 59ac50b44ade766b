package crm_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// TestViews pins the public JSON shapes: field names and their order are
// a public interface (README), printed by the CLI and served by /api/v1.
func TestViews(t *testing.T) {
	ann := connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: "1"}
	alt := connectors.AccountRef{Platform: "mastodon", Instance: "social.example", ExternalID: "9"}
	t1 := time.Date(2025, 3, 1, 10, 0, 0, 123, time.FixedZone("X", 3600))
	m := crm.Member{ID: 7, Name: "Ann", Primary: ann, Role: crm.RoleStaff, ActivityCount: 2, FirstSeen: t1, LastSeen: t1.Add(time.Hour),
		Identities: []crm.Identity{
			{ID: 1, MemberID: 7, Account: connectors.Account{AccountRef: ann, Username: "ann", URL: "https://github.com/ann"}},
			{ID: 2, MemberID: 7, Account: connectors.Account{AccountRef: alt, Username: "ann"}},
		}}
	a := crm.Activity{Activity: connectors.Activity{Key: "github/github.com/pr_merged/5", Platform: "github", Type: "pr_merged",
		OccurredAt: t1, URL: "https://github.com/o/r/pull/5", Title: "Fix", Channel: "o/r", Actor: ann}, Username: "ann"}
	const memberJSON = `{"id":7,"name":"Ann","identities":[` +
		`{"platform":"github","instance":"github.com","external_id":"1","username":"ann","url":"https://github.com/ann"},` +
		`{"platform":"mastodon","instance":"social.example","external_id":"9","username":"ann","url":""}],` +
		`"activity_count":2,"first_seen":"2025-03-01T09:00:00Z","last_seen":"2025-03-01T10:00:00Z",` +
		`"primary":{"platform":"github","username":"ann"},"role":"staff"}`
	const activityJSON = `{"key":"github/github.com/pr_merged/5","platform":"github","type":"pr_merged",` +
		`"occurred_at":"2025-03-01T09:00:00Z","url":"https://github.com/o/r/pull/5","title":"Fix","channel":"o/r",` +
		`"identity":{"platform":"github","username":"ann"}}`
	for _, tt := range []struct {
		name string
		v    any
		want string
	}{
		{"member", crm.MemberView(m), memberJSON},
		{"member without primary or identities", crm.MemberView(crm.Member{ID: 3}),
			`{"id":3,"name":"","identities":[],"activity_count":0,"first_seen":"","last_seen":"","role":""}`},
		{"members, none", crm.MembersView(nil), `[]`},
		{"journey", crm.JourneyView(crm.Journey{Member: m, Activities: []crm.Activity{a}}),
			`{"member":` + memberJSON + `,"activities":[` + activityJSON + `]}`},
		{"journey without activities", crm.JourneyView(crm.Journey{Member: crm.Member{ID: 3}}),
			`{"member":{"id":3,"name":"","identities":[],"activity_count":0,"first_seen":"","last_seen":"","role":""},"activities":[]}`},
		{"member page", crm.MemberPageView(crm.MemberPage{Members: []crm.Member{m}, NextCursor: "abc"}),
			`{"members":[` + memberJSON + `],"next_cursor":"abc"}`},
		{"empty member page", crm.MemberPageView(crm.MemberPage{}), `{"members":[],"next_cursor":""}`},
		{"journey page", crm.JourneyPageView(crm.JourneyPage{
			Member:     m,
			Joins:      []crm.JoinReason{{Identity: alt, Reasons: []string{"merged by ops: same person"}, Actor: "ops", At: t1}},
			Milestones: []crm.Milestone{{Kind: crm.MilestoneFirstMergedPR, Activity: a, At: t1}},
			Bucket:     crm.BucketMonth,
			Chart:      []crm.ChartPoint{{Start: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Platform: "github", Count: 2}},
			Timeline:   crm.TimelinePage{Activities: []crm.Activity{a}, NextCursor: "next"},
		}), `{"member":` + memberJSON + `,"identities":[` +
			`{"platform":"github","instance":"github.com","external_id":"1","username":"ann","url":"https://github.com/ann","join":null},` +
			`{"platform":"mastodon","instance":"social.example","external_id":"9","username":"ann","url":"",` +
			`"join":{"reasons":["merged by ops: same person"],"actor":"ops","at":"2025-03-01T09:00:00Z"}}],` +
			`"milestones":[{"kind":"first_merged_pr","at":"2025-03-01T09:00:00Z","activity":` + activityJSON + `}],` +
			`"chart":{"bucket":"month","points":[{"start":"2025-03-01T00:00:00Z","platform":"github","count":2}]},` +
			`"activities":[` + activityJSON + `],"next_cursor":"next"}`},
		{"activity with reactions, text left out", crm.ActivitiesView([]crm.Activity{{Activity: connectors.Activity{
			Key: "github/github.com/issue_opened/6", Platform: "github", Type: "issue_opened", OccurredAt: t1, Actor: ann,
			Reactions: &connectors.Reactions{Total: 3, ByKind: map[string]int{"heart": 1, "+1": 2}}, Text: "secret excerpt"}, Username: "ann"},
			{Activity: connectors.Activity{Key: "mastodon/social.example/post/1", Platform: "mastodon", Type: "post", OccurredAt: t1, Actor: alt,
				Reactions: &connectors.Reactions{}}, Username: "ann"}}),
			`[{"key":"github/github.com/issue_opened/6","platform":"github","type":"issue_opened","occurred_at":"2025-03-01T09:00:00Z",` +
				`"url":"","title":"","channel":"","identity":{"platform":"github","username":"ann"},"reactions":{"total":3,"by_kind":{"+1":2,"heart":1}}},` +
				`{"key":"mastodon/social.example/post/1","platform":"mastodon","type":"post","occurred_at":"2025-03-01T09:00:00Z",` +
				`"url":"","title":"","channel":"","identity":{"platform":"mastodon","username":"ann"},"reactions":{"total":0}}]`},
		{"suggestions", crm.SuggestionsView([]crm.Suggestion{{ID: 4, A: ann, B: alt, Confidence: 0.5, Reasons: []string{"same name"},
			Status: crm.SuggestionOpen, MemberA: 7, MemberB: 8}}),
			`[{"id":4,"confidence":0.5,"a":"github/github.com/1","b":"mastodon/social.example/9","member_a":7,"member_b":8,"reasons":["same name"],"status":"open"}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(b)); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPageSizeAndContribution(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{-1, crm.DefaultPageSize}, {0, crm.DefaultPageSize}, {1, 1}, {crm.MaxPageSize + 1, crm.MaxPageSize}} {
		if got := crm.PageSize(tt.in); got != tt.want {
			t.Errorf("PageSize(%d) = %d; want %d", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		typ  string
		want bool
	}{{"pr_opened", true}, {"answer", true}, {"post", true}, {"star", false}, {"answer_accepted", false}, {"like", false}} {
		if got := crm.IsContribution(tt.typ); got != tt.want {
			t.Errorf("IsContribution(%q) = %v; want %v", tt.typ, got, tt.want)
		}
	}
}
