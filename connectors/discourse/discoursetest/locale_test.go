package discoursetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type listedPoster struct {
	Extras      *string `json:"extras"`
	Description string  `json:"description"`
	UserID      int64   `json:"user_id"`
}

func latestPosters(t *testing.T, s *Server) (map[int64][]listedPoster, map[int64]bool) {
	t.Helper()
	status, _, body := get(t, s, "/latest.json", nil)
	if status != 200 {
		t.Fatalf("/latest.json: %d %s", status, body)
	}
	var resp struct {
		Users []struct {
			ID int64 `json:"id"`
		} `json:"users"`
		TopicList struct {
			Topics []struct {
				ID      int64          `json:"id"`
				Posters []listedPoster `json:"posters"`
			} `json:"topics"`
		} `json:"topic_list"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	out := map[int64][]listedPoster{}
	for _, tp := range resp.TopicList.Topics {
		out[tp.ID] = tp.Posters
	}
	users := map[int64]bool{}
	for _, u := range resp.Users {
		users[u.ID] = true
	}
	return out, users
}

// TestPostersSummary checks posters as TopicPostersSummary builds them, in
// every built-in locale: creator first, featured users, last poster last;
// descriptions by position in the locale, joined with its joiner; extras.
func TestPostersSummary(t *testing.T) {
	for _, l := range Locales() {
		t.Run(l.Code, func(t *testing.T) {
			s := New(WithNow(func() time.Time { return t0 }), WithLocale(l))
			ids := map[string]int64{}
			for _, n := range []string{"ana", "bo", "cy", "di"} {
				ids[n] = s.AddUser(User{Username: n}).ID
			}
			solo, _ := s.AddTopic(Topic{Title: "solo", User: "ana"})
			self, _ := s.AddTopic(Topic{Title: "self", User: "ana"})
			busy, _ := s.AddTopic(Topic{Title: "busy", User: "ana"})
			for _, p := range []struct {
				topic int64
				user  string
			}{{self.ID, "bo"}, {self.ID, "ana"}, {busy.ID, "cy"}, {busy.ID, "bo"}, {busy.ID, "bo"}, {busy.ID, "di"}} {
				if _, err := s.AddPost(Post{TopicID: p.topic, User: p.user}); err != nil {
					t.Fatal(err)
				}
			}
			L := l.withFallback()
			join := func(xs ...string) string { return strings.Join(xs, L.Joiner) }
			type want struct {
				user        string
				description string
				extras      string
			}
			wants := map[int64][]want{
				solo.ID: {{"ana", join(L.OriginalPoster, L.MostRecentPoster), "latest single"}},
				self.ID: {{"ana", join(L.OriginalPoster, L.MostRecentPoster), "latest"}, {"bo", L.FrequentPoster, ""}},
				busy.ID: {{"ana", L.OriginalPoster, ""}, {"bo", L.FrequentPoster, ""}, {"cy", L.FrequentPoster, ""}, {"di", L.MostRecentPoster, "latest"}},
			}
			got, users := latestPosters(t, s)
			for id, ws := range wants {
				ps := got[id]
				if len(ps) != len(ws) {
					t.Fatalf("topic %d: %d posters %+v, want %d", id, len(ps), ps, len(ws))
				}
				for i, w := range ws {
					p := ps[i]
					extras := ""
					if p.Extras != nil {
						extras = *p.Extras
					}
					if p.UserID != ids[w.user] || p.Description != w.description || extras != w.extras || !users[p.UserID] {
						t.Errorf("topic %d poster %d = {%d %q %q listed:%v}, want {%s(%d) %q %q}", id, i, p.UserID, p.Description, extras, users[p.UserID], w.user, ids[w.user], w.description, w.extras)
					}
				}
			}
		})
	}
}

// TestRemovedUser checks what the fake serves once an author's account is
// gone: posters without them (empty when nobody is left), posts and the
// topic view naming no author.
func TestRemovedUser(t *testing.T) {
	s := New(WithNow(func() time.Time { return t0 }))
	s.AddUser(User{Username: "ghost"})
	bo := s.AddUser(User{Username: "bo"})
	lone, _ := s.AddTopic(Topic{Title: "lone", User: "ghost"})
	pair, _ := s.AddTopic(Topic{Title: "pair", User: "ghost"})
	if _, err := s.AddPost(Post{TopicID: pair.ID, User: "bo"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveUser("ghost"); err != nil {
		t.Fatal(err)
	}
	got, _ := latestPosters(t, s)
	if len(got[lone.ID]) != 0 {
		t.Errorf("lone topic posters = %+v, want none", got[lone.ID])
	}
	if ps := got[pair.ID]; len(ps) != 1 || ps[0].UserID != bo.ID || ps[0].Description != English.MostRecentPoster {
		t.Errorf("pair topic posters = %+v, want only bo as most recent poster", ps)
	}
	_, _, body := get(t, s, "/t/1.json", nil)
	if !strings.Contains(body, `"created_by":null`) || !strings.Contains(body, `"username":null`) {
		t.Errorf("topic view names an author: %s", body)
	}
	if err := s.RemoveUser("ghost"); err == nil {
		t.Error("removing an unknown user succeeded")
	}
}

// TestLocalizedErrors checks that error and rate-limit messages follow the
// locale while their structure (error_type, headers, extras) does not.
func TestLocalizedErrors(t *testing.T) {
	for _, l := range Locales() {
		t.Run(l.Code, func(t *testing.T) {
			s := New(WithNow(func() time.Time { return t0 }), WithLocale(l), WithAPIKey("k", "system", true))
			L := l.withFallback()
			_, _, body := get(t, s, "/t/99.json", nil)
			if !strings.Contains(body, jsonString(L.NotFound)) || !strings.Contains(body, `"error_type":"not_found"`) {
				t.Errorf("404 body = %s", body)
			}
			_, _, body = get(t, s, "/latest.json", map[string]string{"Api-Key": "wrong"})
			if !strings.Contains(body, jsonString(L.InvalidAPICredentials)) || !strings.Contains(body, `"error_type":"invalid_access"`) {
				t.Errorf("bad key body = %s", body)
			}
			s.NoRetryAfterNext(1, 42)
			status, h, body := get(t, s, "/latest.json", nil)
			if status != 429 || h.Get("Discourse-Rate-Limit-Error-Code") != "admin_api_key_rate_limit" || !strings.Contains(body, `"wait_seconds":42`) ||
				!strings.Contains(body, jsonString(L.tooMany(42))) || !strings.Contains(body, jsonString(L.timeLeft(42))) {
				t.Errorf("429 = %d %v %s", status, h, body)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// TestSetLocale checks that changing the default locale changes later
// answers.
func TestSetLocale(t *testing.T) {
	s := New(WithNow(func() time.Time { return t0 }))
	s.AddUser(User{Username: "ana"})
	if _, err := s.AddTopic(Topic{Title: "x", User: "ana"}); err != nil {
		t.Fatal(err)
	}
	s.SetLocale(Japanese)
	got, _ := latestPosters(t, s)
	if d := got[1][0].Description; d != "元の投稿者、最も最近の投稿者" {
		t.Errorf("description = %q", d)
	}
}
