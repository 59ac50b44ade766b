package discourse

import (
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
)

// fuzzNow is the fixed time of the fuzz targets.
var fuzzNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

const fuzzInstance = "forum.example.org"

// fuzzKinds are the Discourse responses the connector translates, decoded
// into its wire types and run through the translator and the batch
// builder as its step functions do.
func fuzzKinds() []connectortest.TranslateKind {
	c := &Connector{tr: translator{instance: fuzzInstance, base: fakeBase}, log: slog.New(slog.DiscardHandler)}
	newBuilder := func() *builder { return &builder{index: map[string]int{}} }
	batch := func(b *builder) connectors.Batch {
		return connectors.Batch{Accounts: b.accounts, Activities: b.activities}
	}
	liked := post{ID: 41, TopicID: 7, PostNumber: 2, TopicSlug: "t", TopicTitle: "T", CreatedAt: fuzzNow.Add(-time.Hour), UserID: 3}
	return []connectortest.TranslateKind{
		{Name: "topic list", Paths: regexp.MustCompile(`/latest\.json$|/l/latest\.json$|/top\.json$`), Files: regexp.MustCompile(`latest|top|topics`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var resp topicListResponse
				if err := json.Unmarshal(body, &resp); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				if resp.TopicList == nil {
					return batch(b), nil // the connector calls the page malformed
				}
				users := map[int64]basicUser{}
				for _, u := range resp.Users {
					users[u.ID] = u
				}
				for _, t := range resp.TopicList.Topics {
					if t.Archetype != "" && t.Archetype != "regular" {
						continue
					}
					if u, ok := listedCreator(t, users); ok {
						c.credit(b, t, u)
					}
				}
				return batch(b), nil
			}},
		{Name: "posts", Paths: regexp.MustCompile(`/posts\.json$`), Files: regexp.MustCompile(`posts`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var resp latestPostsResponse
				if err := json.Unmarshal(body, &resp); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				if resp.LatestPosts == nil {
					return batch(b), nil // malformed: no latest_posts
				}
				numbers := map[string]int64{}
				for _, p := range *resp.LatestPosts {
					numbers[numberKey(p.TopicID, p.PostNumber)] = p.ID
				}
				for i, p := range *resp.LatestPosts {
					if p.UserID <= 0 || !(p.PostType == 0 || p.PostType == 1) {
						continue
					}
					switch {
					case i%2 == 1:
						// Inside the like window: the count moved.
						if p.PostNumber > 1 {
							b.add(c.tr.postActivity(p, numbers))
						} else if p.PostNumber == 1 {
							b.add(c.tr.firstPostActivity(p))
						}
					case p.PostNumber > 1:
						if acc, ok := c.tr.account(basicUser{ID: p.UserID, Username: p.Username, Name: p.Name, AvatarTemplate: p.AvatarTemplate}); ok {
							b.addAccount(acc)
							b.add(c.tr.postActivity(p, numbers))
						}
					case p.PostNumber == 1:
						b.add(c.tr.firstPostActivity(p))
					}
				}
				return batch(b), nil
			}},
		{Name: "likes", Paths: regexp.MustCompile(`/post_action_users\.json$`), Files: regexp.MustCompile(`post_action|user_list|members`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var resp postActionUsersResponse
				if err := json.Unmarshal(body, &resp); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				if resp.Users == nil {
					return batch(b), nil
				}
				for _, u := range *resp.Users {
					if acc, ok := c.tr.account(u); ok {
						b.addAccount(acc)
						b.add(c.tr.likeActivity(liked, u.ID))
					}
				}
				return batch(b), nil
			}},
		{Name: "topic view", Paths: regexp.MustCompile(`/t/\d+\.json$`), Files: regexp.MustCompile(`topic\.json|topic_response|topic_posts`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var t topicView
				if err := json.Unmarshal(body, &t); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				if t.AcceptedAnswer == nil {
					return batch(b), nil
				}
				// readSolution without the profile read of an accepter
				// who did not post.
				var who basicUser
				people := t.Details.Participants
				if t.Details.CreatedBy != nil {
					people = append([]basicUser{*t.Details.CreatedBy}, people...)
				}
				for _, u := range people {
					if t.AcceptedAnswer.AccepterUsername != "" && strings.EqualFold(u.Username, t.AcceptedAnswer.AccepterUsername) {
						who = u
						break
					}
				}
				if who.ID == 0 && t.Details.CreatedBy != nil {
					who = *t.Details.CreatedBy
				}
				if who.ID <= 0 {
					return batch(b), nil
				}
				if acc, ok := c.tr.account(who); ok {
					b.addAccount(acc)
				}
				b.add(c.tr.solution(t, who.ID))
				return batch(b), nil
			}},
		{Name: "profile", Paths: regexp.MustCompile(`/u/[^/]+\.json$`), Files: regexp.MustCompile(`user\.json|get_user|admin_user`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var resp profileResponse
				if err := json.Unmarshal(body, &resp); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				if resp.User == nil || resp.User.ID == 0 {
					return batch(b), nil // malformed: no user
				}
				emails := &emailsResponse{Email: resp.User.Email, SecondaryEmails: resp.User.SecondaryEmails, AssociatedAccounts: resp.User.AssociatedAccounts}
				if a := c.tr.profileAccount(*resp.User, emails, fuzzNow); a.ExternalID != "" {
					b.addAccount(a)
				}
				return batch(b), nil
			}},
	}
}

// FuzzTranslate: whatever a Discourse response holds, its translation
// never panics, and yields activities with well-formed keys, an actor and
// a time, valid UTF-8, and accounts with an id (connectortest.CheckBatch).
// Seeds: discourse_api's and the API docs' recorded responses and the
// fake's output.
func FuzzTranslate(f *testing.F) {
	fixtures := connectortest.FixtureBodies("../../../shared/fixtures/discourse", "../../../../shared/fixtures/discourse")
	srv := discoursetest.New(discoursetest.WithNow(func() time.Time { return fuzzNow }), discoursetest.WithAPIKey(fakeKey, "system", true))
	seed(srv, fuzzNow, 8, 12)
	settings := "url: " + fakeBase + "\napi_key: " + fakeKey + "\napi_username: system\n"
	served, err := connectortest.FakeResponses(Kind, settings, srv.Transport(), fuzzNow)
	if err != nil {
		f.Fatal(err)
	}
	connectortest.FuzzTranslate(f, connectors.PlatformDiscourse, fuzzInstance, fuzzKinds(), fixtures, served)
}
