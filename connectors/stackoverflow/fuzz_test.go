package stackoverflow

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// fuzzNow is the fixed time of the fuzz targets.
var fuzzNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// decodeItems decodes a Stack Exchange response's items as the connector
// does: the wrapper, then its items.
func decodeItems[T any](body []byte) ([]T, error) {
	var env struct {
		Items json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	var items []T
	if len(env.Items) == 0 {
		return nil, nil
	}
	err := json.Unmarshal(env.Items, &items)
	return items, err
}

// fuzzKinds are the Stack Exchange responses the connector translates,
// run through the translator and the batch builder as readPosts and
// readProfiles do.
func fuzzKinds() []connectortest.TranslateKind {
	c := &Connector{tr: translator{site: "stackoverflow"}, tags: []string{"go", "rollcall"}}
	newBuilder := func() *builder { return &builder{index: map[string]int{}} }
	batch := func(b *builder) connectors.Batch {
		return connectors.Batch{Accounts: b.accounts, Activities: b.activities}
	}
	parent := &question{QuestionID: 42, Title: "Q", Link: "https://stackoverflow.com/questions/42/q", Tags: []string{"go"},
		Owner: &shallowUser{UserID: 5, DisplayName: "asker"}, CreationDate: epoch(fuzzNow.Add(-time.Hour).Unix())}
	return []connectortest.TranslateKind{
		{Name: "questions", Paths: regexp.MustCompile(`/questions$|/questions/[\d;]+$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				qs, err := decodeItems[question](body)
				b := newBuilder()
				for i := range qs {
					q := &qs[i]
					b.add(c.tr, c.tr.question(q, c.channel(q)), q.Owner)
					if q.AcceptedAnswerID != 0 {
						b.add(c.tr, c.tr.accepted(q, nil, c.channel(q)), q.Owner)
					}
				}
				return batch(b), err
			}},
		{Name: "answers", Paths: regexp.MustCompile(`/answers$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				as, err := decodeItems[answer](body)
				b := newBuilder()
				for i := range as {
					a := &as[i]
					if a.QuestionID == 0 {
						continue // matches no question read (readPosts looks it up by id)
					}
					b.add(c.tr, c.tr.answer(parent, a, c.channel(parent)), a.Owner)
					if a.IsAccepted {
						b.add(c.tr, c.tr.accepted(parent, a, c.channel(parent)), parent.Owner)
					}
				}
				return batch(b), err
			}},
		{Name: "comments", Paths: regexp.MustCompile(`/comments$`),
			Translate: func(body []byte) (connectors.Batch, error) {
				cs, err := decodeItems[comment](body)
				b := newBuilder()
				for i := range cs {
					cm := &cs[i]
					if cm.PostID == 0 {
						continue // matches no post read
					}
					b.add(c.tr, c.tr.comment(parent, cm, i%2 == 1, c.channel(parent)), cm.Owner)
				}
				return batch(b), err
			}},
		{Name: "users", Paths: regexp.MustCompile(`/users/[\d;]+$`), Files: regexp.MustCompile(`users`),
			Translate: func(body []byte) (connectors.Batch, error) {
				us, err := decodeItems[user](body)
				b := newBuilder()
				for i := range us {
					if a, ok := c.tr.profile(&us[i], fuzzNow); ok {
						b.addAccount(a)
					}
				}
				return batch(b), err
			}},
	}
}

// FuzzTranslate: whatever a Stack Exchange response holds, its
// translation never panics, and yields activities with well-formed keys,
// an actor and a time, valid UTF-8, and accounts with an id
// (connectortest.CheckBatch). Seeds: StackAPI's recorded responses and the
// fake's output.
func FuzzTranslate(f *testing.F) {
	fixtures := connectortest.FixtureBodies("../../../shared/fixtures/stackexchange/stackapi", "../../../../shared/fixtures/stackexchange/stackapi")
	srv := stackoverflowtest.New(stackoverflowtest.WithNow(func() time.Time { return fuzzNow }), stackoverflowtest.WithKey(fakeKey))
	seed(f, srv, 8, 12, fuzzNow)
	settings := "site: stackoverflow\ntags: [go, rollcall]\nkey: " + fakeKey + "\napi_url: " + fakeAPI + "\n"
	served, err := connectortest.FakeResponses(Kind, settings, srv.Transport(), fuzzNow)
	if err != nil {
		f.Fatal(err)
	}
	connectortest.FuzzTranslate(f, connectors.PlatformStackOverflow, "stackoverflow", fuzzKinds(), fixtures, served)
}
