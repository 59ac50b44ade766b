package crm

import (
	"context"
	"time"
)

// ScoreData is what the store keeps for scoring, read in one go: every
// member with identities, and the interactions between identities. The
// scoring functions are pure functions of it (and of the period's
// activities, see PeriodActivity).
type ScoreData struct {
	Members      []ScoreMember
	Interactions []Interaction
}

// ScoreMember is one member as scoring sees it.
type ScoreMember struct {
	ID   int64
	Name string
	// Role is RoleStaff, RoleBot or "" (see Role).
	Role string
	// FirstSeen is the member's first activity (or first sighting).
	FirstSeen  time.Time
	Identities []ScoreIdentity
}

// ScoreIdentity is one identity's kept tallies.
type ScoreIdentity struct {
	ID       int64
	Platform string
	Username string
	// Followers and Reputation are clout outside the community.
	Followers, Reputation int
	// FirstActivity is the identity's first activity (zero if none).
	FirstActivity time.Time
	// Tallies counts the identity's activities by type.
	Tallies map[string]Tally
	// Channels are its distinct channels (at most MaxChannels), sorted.
	Channels []string
	// Weeks and Months are the periods it was active in (WeekOf, MonthOf).
	Weeks, Months Presence
}

// Interaction is From (an identity id) answering activities of To
// (another identity) N times, the last at LastAt.
type Interaction struct {
	From, To int64
	N        int
	LastAt   time.Time
}

// PeriodActivity is an activity of a period, with what health and the
// rising list read.
type PeriodActivity struct {
	Key        string
	Platform   string
	Type       string
	Channel    string
	Title      string
	URL        string
	ParentKey  string
	OccurredAt time.Time
	IdentityID int64
	MemberID   int64
	// Reactions is the item's reaction and vote total (nil when the
	// service reports none for this kind of item).
	Reactions *int
	// Sentiment is the VADER compound score of its text (nil: no text).
	Sentiment *float64
}

// ScoreReader is what the scoring commands and pages read from the store.
type ScoreReader interface {
	// ScoreData reads every member's tallies and the interactions.
	ScoreData(ctx context.Context) (ScoreData, error)
	// PeriodActivities returns the activities with since <= occurred_at <
	// until, in no particular order; platform "" means all.
	PeriodActivities(ctx context.Context, since, until time.Time, platform string) ([]PeriodActivity, error)
}
