package crm

import (
	"context"
	"errors"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// ErrInvalidQuery is returned (wrapped) for a read query that cannot be
// answered as asked: an unknown sort or chart bucket, or a cursor that is
// malformed or belongs to another sort. The API answers it with 400.
var ErrInvalidQuery = errors.New("invalid query")

// Member list orders (MemberQuery.Sort).
const (
	// SortMostActive: most activities first, ties by lower id (the default).
	SortMostActive = "active"
	// SortNewest: most recently first seen first, ties by higher id.
	SortNewest = "newest"
	// SortLastSeen: most recently active first, ties by higher id.
	SortLastSeen = "last_seen"
)

// Page sizes of ListMembers and Timeline.
const (
	// DefaultPageSize is the page size when a query's Limit is 0 or less.
	DefaultPageSize = 50
	// MaxPageSize caps a query's Limit.
	MaxPageSize = 1000
)

// MinSearchLen is the shortest search that matches a substring anywhere
// in names, usernames and e-mails (a trigram index needs 3 characters).
// A shorter search matches the start of a member's name or of one of its
// usernames, case-insensitively (ASCII).
const MinSearchLen = 3

// PageSize returns limit bounded to 1..MaxPageSize, DefaultPageSize for 0
// or less.
func PageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

// MemberPage is one page of a member list.
type MemberPage struct {
	Members []Member
	// NextCursor, when not empty, reads the next page (MemberQuery.Cursor
	// with the same filters and sort).
	NextCursor string
}

// TimelineQuery selects one page of a member's activities, newest first
// (ties by key, descending).
type TimelineQuery struct {
	MemberID int64
	// Limit is the page size (see PageSize).
	Limit int
	// Cursor is a previous page's NextCursor; empty for the first page.
	Cursor string
}

// TimelinePage is one page of a member's activities, newest first.
type TimelinePage struct {
	Activities []Activity
	// NextCursor, when not empty, reads the next (older) page.
	NextCursor string
}

// Chart buckets (ActivityChart).
const (
	// BucketWeek: ISO weeks, starting on Monday 00:00 UTC.
	BucketWeek = "week"
	// BucketMonth: calendar months, starting on the 1st 00:00 UTC.
	BucketMonth = "month"
)

// ChartPoint is the number of a member's activities on one platform in one
// bucket (a week or a month) of time.
type ChartPoint struct {
	// Start is the bucket's first instant (UTC).
	Start    time.Time
	Platform string
	Count    int
}

// Milestone kinds, in the order Milestones returns them when they exist.
const (
	// MilestoneFirstSeen: the member's first activity.
	MilestoneFirstSeen = "first_seen"
	// MilestoneFirstContribution: the first activity that is a
	// contribution (see IsContribution).
	MilestoneFirstContribution = "first_contribution"
	// MilestoneFirstMergedPR: the first pull request of theirs merged.
	MilestoneFirstMergedPR = "first_merged_pr"
	// MilestoneFirstAcceptedAnswer: their first Stack Exchange answer
	// that the asker accepted (the Activity is the answer).
	MilestoneFirstAcceptedAnswer = "first_accepted_answer"
	// MilestoneFirstAcceptedSolution: their first Discourse post marked
	// as the solution of a topic (the Activity is the post).
	MilestoneFirstAcceptedSolution = "first_accepted_solution"
	// MilestoneFirstReplyToOther: their first contribution answering an
	// activity of someone else (its parent belongs to another member or
	// to no member).
	MilestoneFirstReplyToOther = "first_reply_to_other"
)

// Activity types that milestones look for, as the connectors emit them
// (crm does not import the connectors; connectors/*/translate.go define them).
const (
	TypePRMerged         = "pr_merged"         // github
	TypeAnswerAccepted   = "answer_accepted"   // stackoverflow: actor is the asker, parent the answer
	TypeSolutionAccepted = "solution_accepted" // discourse: actor is who accepted, parent the post
)

// ContributionTypes lists the activity types that count as a contribution:
// something the member wrote or built (pull requests, commits, issues,
// reviews, comments, releases, questions, answers, topics, posts). Stars,
// forks, likes, boosts, favourites, follows, mentions by others and
// acceptances are not. It returns a new slice each call.
func ContributionTypes() []string {
	return []string{
		// github
		"pr_opened", "pr_merged", "commit", "issue_opened", "issue_comment", "pr_review", "pr_review_comment", "release",
		// stackoverflow
		"question", "answer", "comment",
		// discourse
		"topic_created", "post_created",
		// mastodon
		"post",
	}
}

// IsContribution reports whether an activity type is in ContributionTypes.
func IsContribution(activityType string) bool {
	for _, t := range ContributionTypes() {
		if t == activityType {
			return true
		}
	}
	return false
}

// Milestone is a first in a member's journey.
type Milestone struct {
	// Kind is one of the Milestone* constants.
	Kind string
	// Activity is the member's activity that marks it.
	Activity Activity
	// At is when it happened: the activity's time, or for an accepted
	// answer or solution, when the acceptance was recorded.
	At time.Time
}

// JoinReason says, in words, why one identity is in its member: how it was
// assigned, and every merge since that brought it here, oldest first.
type JoinReason struct {
	Identity connectors.AccountRef
	// Reasons are the steps, in words ("first account of a new member
	// (new account)", "members merged on evidence: ...", "merged by ana:
	// same person").
	Reasons []string
	// Actor and At are who made the latest step and when ("resolver" or a
	// person).
	Actor string
	At    time.Time
}

// MemberLister lists members a page at a time.
type MemberLister interface {
	// ListMembers returns one page of members matching q, in q.Sort order.
	ListMembers(ctx context.Context, q MemberQuery) (MemberPage, error)
}

// JourneyReader reads what a member's journey page shows besides the
// member itself.
type JourneyReader interface {
	// Timeline returns a page of the member's activities, newest first.
	Timeline(ctx context.Context, q TimelineQuery) (TimelinePage, error)
	// ActivityChart counts all of the member's activities per bucket
	// ("week" or "month") and platform, oldest bucket first, platforms
	// by name within a bucket.
	ActivityChart(ctx context.Context, memberID int64, bucket string) ([]ChartPoint, error)
	// Milestones returns the member's milestones that exist, in the order
	// of the Milestone* constants.
	Milestones(ctx context.Context, memberID int64) ([]Milestone, error)
	// JoinReasons says for each identity of the member (in the member's
	// identity order) why it is in the member.
	JoinReasons(ctx context.Context, memberID int64) ([]JoinReason, error)
}

// ReadModel is the driver contract of the read queries behind the member
// list and the journey page; callers declare the narrower interfaces
// they use.
type ReadModel interface {
	MemberLister
	JourneyReader
}

// JourneyPage is everything a member's journey page shows.
type JourneyPage struct {
	Member     Member
	Joins      []JoinReason
	Milestones []Milestone
	// Bucket is the chart's bucket ("week" or "month").
	Bucket   string
	Chart    []ChartPoint
	Timeline TimelinePage
}

// JourneyPageReader is what ReadJourneyPage reads.
type JourneyPageReader interface {
	Member(ctx context.Context, id int64) (Member, error)
	JourneyReader
}

// ReadJourneyPage reads a member's journey page: the member, why each of
// its identities is in it, milestones, the chart of all its activity by
// bucket, and one timeline page (q). Errors are the store's, unwrapped (a
// missing member wraps ErrNotFound).
func ReadJourneyPage(ctx context.Context, st JourneyPageReader, q TimelineQuery, bucket string) (JourneyPage, error) {
	p := JourneyPage{Bucket: bucket}
	var err error
	if p.Member, err = st.Member(ctx, q.MemberID); err != nil {
		return JourneyPage{}, err
	}
	if p.Joins, err = st.JoinReasons(ctx, q.MemberID); err != nil {
		return JourneyPage{}, err
	}
	if p.Milestones, err = st.Milestones(ctx, q.MemberID); err != nil {
		return JourneyPage{}, err
	}
	if p.Chart, err = st.ActivityChart(ctx, q.MemberID, bucket); err != nil {
		return JourneyPage{}, err
	}
	if p.Timeline, err = st.Timeline(ctx, q); err != nil {
		return JourneyPage{}, err
	}
	return p, nil
}

// KnownOrRead returns the identities of ids (ascending): each one known
// reports (known may be nil) as it reports it, the others read in one
// call of read, which returns them in id order. An identity read cannot
// be found is left out. The stores' IdentitiesByKeys and
// IdentitiesOfMembers use it so that an incremental resolver run does not
// read again the rows it holds.
func KnownOrRead(ids []int64, known func(id int64) (Identity, bool), read func(ids []int64) ([]Identity, error)) ([]Identity, error) {
	out := make([]Identity, 0, len(ids))
	var missing []int64
	for _, id := range ids {
		if known != nil {
			if k, ok := known(id); ok {
				out = append(out, k)
				continue
			}
		}
		out = append(out, Identity{ID: id})
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := read(missing)
	if err != nil {
		return nil, err
	}
	// Both in id order: each identity read takes its place.
	j, kept := 0, out[:0]
	for _, o := range out {
		if len(missing) == 0 || o.ID != missing[0] {
			kept = append(kept, o)
			continue
		}
		missing = missing[1:]
		if j < len(got) && got[j].ID == o.ID {
			kept = append(kept, got[j])
			j++
		}
	}
	return kept, nil
}

// IDRows is what ScanIDs reads: *sql.Rows and pgx.Rows alike.
type IDRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanIDs reads a single int64 column from every row; the caller closes
// the rows.
func ScanIDs(rows IDRows) ([]int64, error) {
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
