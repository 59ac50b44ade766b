package community

import (
	"testing"
	"time"
)

func TestPagesAndBatches(t *testing.T) {
	tests := []struct{ n, size, pages, batches int }{
		{0, 100, 1, 0}, // an empty list is still asked once
		{1, 100, 1, 1},
		{100, 100, 1, 1},
		{101, 100, 2, 2},
		{250, 40, 7, 7},
	}
	for _, tt := range tests {
		if got := pages(tt.n, tt.size); got != tt.pages {
			t.Errorf("pages(%d, %d) = %d, want %d", tt.n, tt.size, got, tt.pages)
		}
		if got := batches(tt.n, tt.size); got != tt.batches {
			t.Errorf("batches(%d, %d) = %d, want %d", tt.n, tt.size, got, tt.batches)
		}
	}
}

// TestBackfillMinimum: every source has a minimum of at least one request
// per stream, units equal requests (nothing is cached on a backfill), and
// a bigger community needs more.
func TestBackfillMinimum(t *testing.T) {
	small, big := Generate(1, 100, now).BackfillMinimum(), Generate(1, 1000, now).BackfillMinimum()
	floor := map[string]int{PlatformGitHub: 1 + 7*3, PlatformMastodon: 3, PlatformDiscourse: 3, PlatformStackOverflow: 1}
	for _, p := range Sources {
		s, b := small[p], big[p]
		if s.Requests < floor[p] {
			t.Errorf("%s: minimum %d requests, want at least %d (one per stream)", p, s.Requests, floor[p])
		}
		if s.Units != s.Requests || b.Units != b.Requests {
			t.Errorf("%s: units %d/%d differ from requests %d/%d on a backfill", p, s.Units, b.Units, s.Requests, b.Requests)
		}
		if b.Requests <= s.Requests {
			t.Errorf("%s: 1000 people need %d requests, 100 need %d", p, b.Requests, s.Requests)
		}
	}
}

// TestGrow: the new items are in the fakes, counted, and each source's
// incremental minimum covers at least the pages they need.
func TestGrow(t *testing.T) {
	c := Generate(1, 200, now)
	f, err := NewFakes(c)
	if err != nil {
		t.Fatal(err)
	}
	repo := c.Repos[0].Repo
	before := len(f.GitHub.Issues(repo.Owner, repo.Name))
	want := map[string]int{PlatformGitHub: 250, PlatformMastodon: 90, PlatformDiscourse: 60, PlatformStackOverflow: 5}
	g, err := c.Grow(f, want, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Sources {
		if g.Added[p] != want[p] {
			t.Errorf("%s: added %d, want %d", p, g.Added[p], want[p])
		}
	}
	if got := len(f.GitHub.Issues(repo.Owner, repo.Name)) - before; got != 125 {
		t.Errorf("github: %d new issues, want 125 (half of 250)", got)
	}
	mins := map[string]Cost{
		// 2 pages of issues and 2 of comments, every other stream of
		// every repository polled (not the organization's listing: no
		// repository was added).
		PlatformGitHub:   {Requests: 7*len(c.Repos) - 2 + 4, Units: 4},
		PlatformMastodon: {Requests: len(c.Mastodon.Hashtags) + 3, Units: 3},
		// the topic list and 2 pages of posts
		PlatformDiscourse:     {Requests: 3, Units: 3},
		PlatformStackOverflow: {Requests: len(c.StackOverflow.Tags) + 2, Units: len(c.StackOverflow.Tags) + 2},
	}
	for p, w := range mins {
		if g.Minimum[p] != w {
			t.Errorf("%s: incremental minimum %+v, want %+v", p, g.Minimum[p], w)
		}
	}
}
