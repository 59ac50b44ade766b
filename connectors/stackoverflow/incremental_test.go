package stackoverflow

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// TestIncrementalAtMinimum is the incremental re-sync of `rollcall bench`
// on one tag: a backfill whose newest activity is shared by many questions
// (the generated community clamps its latest activity to one instant), an
// idle pass later, then n new questions one second apart by known askers.
// The re-sync must cost what the bench's minimum says: the pages of the
// new questions and their answers and comments by 100 ids, ⌈n/100⌉ + 2·⌈n/100⌉.
// Before the walk settled its watermark, the ties at it were listed again
// on the first page and pushed the new questions onto one page more, with
// its own answers and comments requests (15 for 342 new behind 89 ties).
func TestIncrementalAtMinimum(t *testing.T) {
	for _, tt := range []struct {
		ties, n int
	}{
		{89, 342}, // the 1M bench: 15 requests before, 12 minimum
		{89, 34},
		{60, 100},
		{1, 342},
		{0, 1},
	} {
		t.Run("ties "+strconv.Itoa(tt.ties)+" new "+strconv.Itoa(tt.n), func(t *testing.T) {
			e := newEnv(t, "tags: [go]\nkey: "+fakeKey+"\napi_url: "+fakeAPI+"\n", stackoverflowtest.WithKey(fakeKey))
			var owners []int64
			for i := range 20 {
				owners = append(owners, e.srv.AddUser(stackoverflowtest.User{DisplayName: "asker " + strconv.Itoa(i)}).UserID)
			}
			// Older questions, then the ties at the backfill's newest
			// second, which is the backfill's own time.
			for i := range 150 {
				if _, err := e.srv.AddQuestion(stackoverflowtest.Question{Title: "old", Tags: []string{"go"}, OwnerID: owners[i%20], CreationDate: t0.Add(-time.Duration(i+1) * time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			for i := range tt.ties {
				if _, err := e.srv.AddQuestion(stackoverflowtest.Question{Title: "tied", Tags: []string{"go"}, OwnerID: owners[i%20], CreationDate: t0}); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.sync(t); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(30 * time.Minute) // the rest of the bench's backfill
			e.srv.ResetLog()
			if err := e.sync(t); err != nil {
				t.Fatal(err)
			}
			if got := e.srv.Count(); got != 1 {
				t.Errorf("idle pass: %d requests, want 1", got)
			}
			e.clk.Advance(time.Minute)
			at := e.clk.Now()
			var want []string
			for i := range tt.n {
				q, err := e.srv.AddQuestion(stackoverflowtest.Question{Title: "new", Tags: []string{"go"}, OwnerID: owners[i%20], CreationDate: at.Add(time.Duration(i) * time.Second)})
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, "stackoverflow/stackoverflow/question/"+strconv.FormatInt(q.QuestionID, 10))
			}
			e.srv.ResetLog()
			if err := e.sync(t); err != nil {
				t.Fatal(err)
			}
			batches := (tt.n + 99) / 100
			if got, min := e.srv.Count(), max(1, batches)+2*batches; got != min {
				t.Errorf("incremental pass: %d requests, want the minimum %d:\n%s", got, min, requestList(e.srv.Requests()))
			}
			for _, k := range want {
				if _, ok := e.store.Acts[k]; !ok {
					t.Errorf("%s not read", k)
				}
			}
		})
	}
}

// TestUnsettledTiesStillRead: a question that lands on the watermark's
// second after the read that set it (the API's answers lag a little) is
// still read while that second is recent; once it is settled, the walk asks
// from the next second and loses nothing newer.
func TestUnsettledTiesStillRead(t *testing.T) {
	e := newEnv(t, "tags: [go]\nkey: "+fakeKey+"\napi_url: "+fakeAPI+"\n", stackoverflowtest.WithKey(fakeKey))
	owner := e.srv.AddUser(stackoverflowtest.User{DisplayName: "asker"}).UserID
	add := func(at time.Time) string {
		t.Helper()
		q, err := e.srv.AddQuestion(stackoverflowtest.Question{Title: "q", Tags: []string{"go"}, OwnerID: owner, CreationDate: at})
		if err != nil {
			t.Fatal(err)
		}
		return "stackoverflow/stackoverflow/question/" + strconv.FormatInt(q.QuestionID, 10)
	}
	read := func(keys ...string) {
		t.Helper()
		if err := e.sync(t); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok := e.store.Acts[k]; !ok {
				t.Errorf("%s not read", k)
			}
		}
	}
	first := add(t0)
	read(first)
	// Shown late, on the watermark's second, a minute after it.
	e.clk.Advance(time.Minute)
	late := add(t0)
	read(late)
	if got := requestList(e.srv.Requests()); !strings.Contains(got, "min="+strconv.FormatInt(t0.Unix(), 10)+"&") {
		t.Errorf("the recent watermark was not asked inclusively:\n%s", got)
	}
	// Settled: the next pass asks from the next second on.
	e.clk.Advance(settleAfter)
	read()
	e.srv.ResetLog()
	next := add(t0.Add(time.Second))
	later := add(e.clk.Now())
	read(next, later)
	if got := requestList(e.srv.Requests()); !strings.Contains(got, "min="+strconv.FormatInt(t0.Unix()+1, 10)+"&") {
		t.Errorf("the settled watermark was not moved one second on:\n%s", got)
	}
}

// requestList shows the requests for a failure message, one a line, with
// the id lists of vectorized paths shortened to their count.
func requestList(reqs []stackoverflowtest.Request) string {
	var b strings.Builder
	for _, r := range reqs {
		path := r.Path
		if parts := strings.Split(path, "/"); len(parts) > 3 && strings.Contains(parts[3], ";") {
			parts[3] = "{" + strconv.Itoa(strings.Count(parts[3], ";")+1) + " ids}"
			path = strings.Join(parts, "/")
		}
		q := r.RawQuery
		for _, drop := range []string{"key=" + fakeKey + "&", "&site=stackoverflow", "filter=withbody&"} {
			q = strings.Replace(q, drop, "", 1)
		}
		b.WriteString(r.Method + " " + path + "?" + q + " " + strconv.Itoa(r.Status) + "\n")
	}
	return b.String()
}
