package discourse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
)

// actSummary is what must not depend on the site's language: each
// activity's key, type and actor.
func actSummary(batches []connectors.Batch) map[string]string {
	out := map[string]string{}
	for _, b := range batches {
		for _, a := range b.Activities {
			out[a.Key] = a.Type + " by " + a.Actor.ExternalID
		}
	}
	return out
}

func skipped(batches []connectors.Batch) int {
	n := 0
	for _, b := range batches {
		n += b.Stats.Skipped
	}
	return n
}

// TestLocalesSameActivities syncs the same forum served in every built-in
// locale and expects the same activities, every topic credited, none
// skipped. First posts are hidden from /posts.json, so a topic the list
// does not credit costs a /t/{id}.json request: every locale must make as
// many as English (the solved topics only).
func TestLocalesSameActivities(t *testing.T) {
	var want map[string]string
	wantViews := -1
	for _, l := range discoursetest.Locales() {
		t.Run(l.Code, func(t *testing.T) {
			clk := &clock{now: t0}
			srv := discoursetest.New(discoursetest.WithNow(clk.Now), discoursetest.WithAPIKey("k", "system", true), discoursetest.WithLocale(l))
			seed(srv, t0, 30, 75)
			c := newTest(t, srv, "url: https://forum.example.org\napi_key: k\napi_username: system\n", clk, nil)
			var paths []string
			c.client = connectors.NewClient(connectors.ClientOptions{Source: "forum", Base: waitTransport{base: rewrite{base: srv.Transport(), edit: hideFirstPosts, log: &paths}}, Now: clk.Now, Sleep: clk.Sleep, Version: "test",
				Auth: func(r *http.Request) { r.Header.Set("Api-Key", "k"); r.Header.Set("Api-Username", "system") }})
			batches, err := syncAll(t, c, connectors.Cursor{})
			if err != nil {
				t.Fatal(err)
			}
			views := 0
			for _, p := range paths {
				if strings.HasPrefix(p, "/t/") {
					views++
				}
			}
			if wantViews < 0 {
				wantViews = views
			} else if views != wantViews {
				t.Errorf("%d topic views, want %d as in English: the list did not credit every topic", views, wantViews)
			}
			got := actSummary(batches)
			topics := 0
			for k := range got {
				if strings.Contains(k, "/"+TypeTopicCreated+"/") {
					topics++
				}
			}
			if topics != 75 {
				t.Errorf("%d topics credited, want all 75", topics)
			}
			if n := skipped(batches); n != 0 {
				t.Errorf("%d skipped, want 0", n)
			}
			if want == nil {
				want = got
				return
			}
			if !maps.Equal(got, want) {
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s: %q, want %q (as in %s)", k, got[k], v, discoursetest.English.Code)
					}
				}
				t.Errorf("got %d activities, want %d", len(got), len(want))
			}
		})
	}
}

// rewrite is a RoundTripper that edits the fake's JSON answers, to serve
// shapes the fake does not produce by itself.
type rewrite struct {
	base http.RoundTripper
	edit func(path string, body map[string]any)
	log  *[]string
}

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.log != nil {
		*r.log = append(*r.log, req.URL.Path)
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, err
	}
	r.edit(req.URL.Path, body)
	if raw, err = json.Marshal(body); err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	resp.ContentLength = int64(len(raw))
	resp.Header = resp.Header.Clone()
	resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
	return resp, nil
}

// hideFirstPosts removes topics' first posts from /posts.json, so that only
// the topic list or the topic view can name a topic's author.
func hideFirstPosts(path string, body map[string]any) {
	if path != "/posts.json" {
		return
	}
	ps, _ := body["latest_posts"].([]any)
	body["latest_posts"] = slices.DeleteFunc(ps, func(x any) bool { return x.(map[string]any)["post_number"].(float64) == 1 })
}

func listedTopics(body map[string]any) []any {
	tl, _ := body["topic_list"].(map[string]any)
	ts, _ := tl["topics"].([]any)
	return ts
}

// TestTopicAuthorSources checks each source of a topic's author in turn:
// the first poster of the list (whatever its description says), the first
// post in /posts.json, the topic view's details.created_by, its post
// number 1, and none.
func TestTopicAuthorSources(t *testing.T) {
	setPosters := func(f func(ps []any) []any) func(string, map[string]any) {
		return func(path string, body map[string]any) {
			if path != "/latest.json" {
				return
			}
			for _, x := range listedTopics(body) {
				tp := x.(map[string]any)
				ps, _ := tp["posters"].([]any)
				tp["posters"] = f(ps)
			}
		}
	}
	noPosters := setPosters(func([]any) []any { return []any{} })
	dropFirstPosts := hideFirstPosts
	dropCreatedBy := func(path string, body map[string]any) {
		if d, ok := body["details"].(map[string]any); ok && strings.HasPrefix(path, "/t/") {
			d["created_by"] = nil
		}
	}
	dropStreamAuthor := func(path string, body map[string]any) {
		ps, _ := body["post_stream"].(map[string]any)
		posts, _ := ps["posts"].([]any)
		for _, x := range posts {
			if p := x.(map[string]any); p["post_number"].(float64) == 1 {
				p["user_id"], p["username"] = nil, nil
			}
		}
	}
	all := func(fs ...func(string, map[string]any)) func(string, map[string]any) {
		return func(path string, body map[string]any) {
			for _, f := range fs {
				f(path, body)
			}
		}
	}
	tests := []struct {
		name     string
		edit     func(string, map[string]any)
		credited bool
		views    int // /t/{id}.json requests expected for the topic
	}{
		{"first poster", func(string, map[string]any) {}, true, 0},
		{"first poster without description", setPosters(func(ps []any) []any {
			for _, p := range ps {
				delete(p.(map[string]any), "description")
			}
			return ps
		}), true, 0},
		{"first poster described as another role", setPosters(func(ps []any) []any {
			for _, p := range ps {
				p.(map[string]any)["description"] = "Frequent Poster"
			}
			return ps
		}), true, 0},
		{"posters absent: first post in /posts.json", noPosters, true, 0},
		{"first poster not in users: first post in /posts.json", func(path string, body map[string]any) {
			if path == "/latest.json" {
				body["users"] = []any{}
			}
		}, true, 0},
		{"no posters, no first post: topic view created_by", all(noPosters, dropFirstPosts), true, 1},
		{"only the topic view's post number 1", all(noPosters, dropFirstPosts, dropCreatedBy), true, 1},
		{"no source names the author", all(noPosters, dropFirstPosts, dropCreatedBy, dropStreamAuthor), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: t0}
			srv := discoursetest.New(discoursetest.WithNow(clk.Now))
			alice := srv.AddUser(discoursetest.User{Username: "alice"})
			srv.AddUser(discoursetest.User{Username: "bob"})
			srv.AddUser(discoursetest.User{Username: "carol"})
			tp, err := srv.AddTopic(discoursetest.Topic{Title: "Bonjour", User: "alice", CreatedAt: t0.Add(-3 * 60e9)})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"bob", "carol", "bob"} {
				if _, err := srv.AddPost(discoursetest.Post{TopicID: tp.ID, User: u, Raw: "re", CreatedAt: t0.Add(-60e9)}); err != nil {
					t.Fatal(err)
				}
			}
			var paths []string
			var logs bytes.Buffer
			c := newTest(t, srv, "url: https://forum.example.org\n", clk, &logs)
			c.client = connectors.NewClient(connectors.ClientOptions{Source: "forum", Base: waitTransport{base: rewrite{base: srv.Transport(), edit: tt.edit, log: &paths}}, Now: clk.Now, Sleep: clk.Sleep, Version: "test"})
			batches, err := syncAll(t, c, connectors.Cursor{})
			if err != nil {
				t.Fatal(err)
			}
			acts := actSummary(batches)
			key := c.tr.topicKey(tp.ID)
			want := TypeTopicCreated + " by " + strconv.FormatInt(alice.ID, 10)
			if tt.credited && acts[key] != want {
				t.Errorf("%s = %q, want %q", key, acts[key], want)
			}
			if !tt.credited {
				if _, ok := acts[key]; ok {
					t.Errorf("%s credited to %q, want skipped", key, acts[key])
				}
				if n := skipped(batches); n != 1 {
					t.Errorf("Stats.Skipped = %d, want 1", n)
				}
				if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "topic="+strconv.FormatInt(tp.ID, 10)) {
					t.Errorf("no warning naming the topic in logs:\n%s", l)
				}
			} else if n := skipped(batches); n != 0 {
				t.Errorf("Stats.Skipped = %d, want 0", n)
			}
			view := "/t/" + strconv.FormatInt(tp.ID, 10) + ".json"
			if n := countOf(paths, view); n != tt.views {
				t.Errorf("%d requests to %s, want %d", n, view, tt.views)
			}
		})
	}
}

func countOf(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// TestTopicOfRemovedUserSkipped uses the fake's own answers for a topic
// whose author's account is gone: posters names only the other posters
// (here nobody), the first post and the topic view name no author; the
// topic is skipped, counted and logged, and a sibling topic is credited.
func TestTopicOfRemovedUserSkipped(t *testing.T) {
	clk := &clock{now: t0}
	srv := discoursetest.New(discoursetest.WithNow(clk.Now), discoursetest.WithLocale(discoursetest.French))
	srv.AddUser(discoursetest.User{Username: "ghost"})
	bob := srv.AddUser(discoursetest.User{Username: "bob"})
	gone, err := srv.AddTopic(discoursetest.Topic{Title: "Fantôme", User: "ghost", CreatedAt: t0.Add(-2 * 60e9)})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := srv.AddTopic(discoursetest.Topic{Title: "Salut", User: "bob", CreatedAt: t0.Add(-60e9)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RemoveUser("ghost"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c := newTest(t, srv, "url: https://forum.example.org\n", clk, &logs)
	batches, err := syncAll(t, c, connectors.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	acts := actSummary(batches)
	if _, ok := acts[c.tr.topicKey(gone.ID)]; ok {
		t.Errorf("topic of a removed user credited: %v", acts)
	}
	if got, want := acts[c.tr.topicKey(kept.ID)], TypeTopicCreated+" by "+strconv.FormatInt(bob.ID, 10); got != want {
		t.Errorf("kept topic = %q, want %q", got, want)
	}
	if n := skipped(batches); n != 1 {
		t.Errorf("Stats.Skipped = %d, want 1", n)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "topic="+strconv.FormatInt(gone.ID, 10)) {
		t.Errorf("no warning naming topic %d:\n%s", gone.ID, l)
	}
}

// TestListedCreator checks the structural rule on its own: position 0 of
// posters, whatever the descriptions say, and only when its user is listed.
func TestListedCreator(t *testing.T) {
	users := map[int64]basicUser{7: {ID: 7, Username: "ana"}, 9: {ID: 9, Username: "bo"}}
	tests := []struct {
		name    string
		posters []poster
		want    int64
		ok      bool
	}{
		{"english", []poster{{Description: "Original Poster", UserID: 7}, {Description: "Most Recent Poster", UserID: 9}}, 7, true},
		{"japanese joiner", []poster{{Description: "元の投稿者、最も最近の投稿者", UserID: 9}}, 9, true},
		{"empty description", []poster{{UserID: 7}}, 7, true},
		{"misleading description", []poster{{Description: "Most Recent Poster", UserID: 9}, {Description: "Original Poster", UserID: 7}}, 9, true},
		{"empty posters", nil, 0, false},
		{"first user not listed", []poster{{Description: "Original Poster", UserID: 5}, {UserID: 7}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := listedCreator(listTopic{ID: 1, Posters: tt.posters}, users)
			if ok != tt.ok || u.ID != tt.want {
				t.Errorf("listedCreator = %d, %v; want %d, %v", u.ID, ok, tt.want, tt.ok)
			}
		})
	}
}

// stripHeader removes a response header on the way in.
type stripHeader struct {
	base http.RoundTripper
	name string
}

func (s stripHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	if resp != nil {
		resp.Header = resp.Header.Clone()
		resp.Header.Del(s.name)
	}
	return resp, err
}

// TestRateLimitTextNotRead: the per-IP limiter's 429 says "Please retry
// again in 9 seconds" in English; without its Retry-After header the
// connector must not read the sentence, and pauses by structure instead.
func TestRateLimitTextNotRead(t *testing.T) {
	clk := &clock{now: t0}
	srv := smallForum(t, discoursetest.WithNow(clk.Now))
	srv.IPLimitNext(1, 9)
	c := newTest(t, srv, "url: https://forum.example.org\n", clk, nil)
	c.client = connectors.NewClient(connectors.ClientOptions{Source: "forum", Base: waitTransport{base: stripHeader{base: srv.Transport(), name: "Retry-After"}}, Now: clk.Now, Sleep: clk.Sleep, Version: "test"})
	_, err := c.Fetch(context.Background(), connectors.Cursor{})
	var rl *connectors.ErrRateLimited
	if !errors.As(err, &rl) {
		t.Fatalf("Fetch = %v, want ErrRateLimited", err)
	}
	if rl.Until.Before(t0.Add(time.Minute)) {
		t.Errorf("paused until %v: the 9 seconds of the text were read", rl.Until)
	}
	if slices.Contains(clk.sleeps, 9*time.Second) {
		t.Errorf("slept %v: the 9 seconds of the text were read", clk.sleeps)
	}
}

// TestForbiddenListingIsUnauthorized: a refused key is told by where the 403
// comes from (a listing of the forum), not by its translated message.
func TestForbiddenListingIsUnauthorized(t *testing.T) {
	for _, l := range discoursetest.Locales() {
		t.Run(l.Code, func(t *testing.T) {
			clk := &clock{now: t0}
			srv := smallForum(t, discoursetest.WithNow(clk.Now), discoursetest.WithLocale(l), discoursetest.WithAPIKey("right", "system", true))
			c := newTest(t, srv, "url: https://forum.example.org\napi_key: wrong\n", clk, nil)
			_, err := c.Fetch(context.Background(), connectors.Cursor{})
			var un *connectors.ErrUnauthorized
			if !errors.As(err, &un) {
				t.Fatalf("Fetch with a refused key = %v, want ErrUnauthorized", err)
			}
		})
	}
	t.Run("403 on one topic is skipped", func(t *testing.T) {
		clk := &clock{now: t0}
		srv := smallForum(t, discoursetest.WithNow(clk.Now), discoursetest.WithLocale(discoursetest.Pseudo))
		c := newTest(t, srv, "url: https://forum.example.org\n", clk, nil)
		c.client = connectors.NewClient(connectors.ClientOptions{Source: "forum", Base: waitTransport{base: forbidTopics{srv.Transport()}}, Now: clk.Now, Sleep: clk.Sleep, Version: "test"})
		batches, err := syncAll(t, c, connectors.Cursor{})
		if err != nil {
			t.Fatalf("sync with a hidden topic view = %v, want success", err)
		}
		if acts := actSummary(batches); acts[c.tr.topicKey(1)] == "" {
			t.Errorf("topic not credited from the list: %v", acts)
		}
	})
}

// forbidTopics answers every /t/{id}.json with the fake's 403 shape.
type forbidTopics struct{ base http.RoundTripper }

func (f forbidTopics) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/t/") {
		body := `{"errors":["⟦forbidden⟧"],"error_type":"invalid_access"}`
		return &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
	return f.base.RoundTrip(r)
}

// redirectPath serves one path from another of the same fake, to give an
// object the fake's own answer for a missing one.
type redirectPath struct {
	base     http.RoundTripper
	from, to string
}

func (r redirectPath) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == r.from {
		req = req.Clone(req.Context())
		req.URL.Path = r.to
	}
	return r.base.RoundTrip(req)
}

// TestTopicViewGoneAskedOncePerTTL: a listed topic whose list entry and
// posts name no author, and whose topic view answers 404, costs one
// /t/{id}.json request in a pass, none in a pass within the memory's expiry
// (the skip is counted as known missing, the topic as skipped), and one
// again after it.
func TestTopicViewGoneAskedOncePerTTL(t *testing.T) {
	clk := &clock{now: t0}
	srv := discoursetest.New(discoursetest.WithNow(clk.Now))
	srv.AddUser(discoursetest.User{Username: "alice"})
	tp, err := srv.AddTopic(discoursetest.Topic{Title: "Olá", User: "alice", CreatedAt: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	noAuthor := func(path string, body map[string]any) {
		hideFirstPosts(path, body)
		for _, x := range listedTopics(body) {
			x.(map[string]any)["posters"] = []any{}
		}
	}
	view := "/t/" + strconv.FormatInt(tp.ID, 10) + ".json"
	var paths []string
	c := newTest(t, srv, "url: https://forum.example.org\n", clk, nil)
	c.client = connectors.NewClient(connectors.ClientOptions{Source: "forum", Now: clk.Now, Sleep: clk.Sleep, Version: "test",
		Base: waitTransport{base: rewrite{base: redirectPath{base: srv.Transport(), from: view, to: "/t/999999.json"}, edit: noAuthor, log: &paths}}})
	var cur connectors.Cursor
	for _, tt := range []struct {
		name         string
		advance      time.Duration
		views, known int
	}{
		{"first pass asks once", 0, 1, 0},
		{"within the expiry: not asked", time.Hour, 0, 1},
		{"after the expiry: asked once again", config.DefaultMissingTTL, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk.mu.Lock()
			clk.now = clk.now.Add(tt.advance)
			clk.mu.Unlock()
			paths = nil
			// Each pass walks the forum from the start, keeping only the
			// remembered missing objects, so the topic is listed again.
			batches, err := syncAll(t, c, connectors.Cursor{Missing: cur.Missing})
			if err != nil {
				t.Fatal(err)
			}
			cur = batches[len(batches)-1].Next
			known := 0
			for _, b := range batches {
				known += b.Stats.KnownMissing
			}
			if n := countOf(paths, view); n != tt.views || known != tt.known {
				t.Errorf("%d requests to %s and %d known-missing skips, want %d and %d", n, view, known, tt.views, tt.known)
			}
			if n := skipped(batches); n != 1 {
				t.Errorf("Stats.Skipped = %d, want 1 (no source names the author)", n)
			}
		})
	}
}
