package crm

import (
	"context"
	"time"
)

// Webhook events: what the level evaluation writes to the store's outbox,
// in the same transaction as the change, for the daemon to deliver.
const (
	// EventLevelChanged: a member's level changed (after hysteresis).
	EventLevelChanged = "member.level_changed"
	// EventChampionEntered: a member entered the champions list.
	EventChampionEntered = "member.champion_entered"
	// EventSlippingStarted: a regular started slipping (active in at
	// least 6 of the 13 weeks before the last 4, none in the last 4).
	EventSlippingStarted = "member.slipping_started"
)

// Event is the JSON body of one webhook delivery.
type Event struct {
	// ID is the outbox row's id, also sent as the X-Rollcall-Delivery
	// header: receivers use it to drop a delivery they already have.
	ID int64 `json:"id"`
	// Type is one of the Event* constants.
	Type string `json:"type"`
	// At is when the change was found.
	At     time.Time   `json:"at"`
	Member EventMember `json:"member"`
	// Level and PreviousLevel are the levels after and before the change
	// (1 core … 4 observer); PreviousLevel is 0 for a first level. Both
	// are set on every event (the member's level then).
	Level         int    `json:"level"`
	LevelName     string `json:"level_name"`
	PreviousLevel int    `json:"previous_level,omitempty"`
	// Rank is the member's place among the champions
	// (member.champion_entered only).
	Rank int `json:"rank,omitempty"`
}

// EventMember names the member an event is about.
type EventMember struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// URL is the member's page when the config names the web UI's
	// public address (web.public_url), else "".
	URL string `json:"url,omitempty"`
}

// Delivery is one outbox row.
type Delivery struct {
	ID    int64  `json:"id"`
	Event string `json:"event"`
	// MemberID is the member the event is about (0 if none).
	MemberID int64 `json:"member_id,omitempty"`
	// Body is the exact JSON sent (an Event).
	Body          []byte    `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	DeliveredAt   time.Time `json:"delivered_at,omitzero"`
	// Failed is set once the attempts are spent; LastError says why the
	// last attempt failed (a status or a network error, never a secret).
	Failed    bool   `json:"failed,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// Outbox is what the webhook sender needs from the store.
type Outbox interface {
	// DueDeliveries returns up to limit undelivered, unfailed rows whose
	// next attempt is due at now, oldest first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// DeliveryDone records a 2xx answer.
	DeliveryDone(ctx context.Context, id int64, at time.Time) error
	// DeliveryFailed records a failed attempt: the next one at next, or
	// none (failed) when giveUp is set.
	DeliveryFailed(ctx context.Context, id int64, at, next time.Time, giveUp bool, reason string) error
}

// Evaluation says what one level evaluation did.
type Evaluation struct {
	// Members is how many members were evaluated; Replayed how many of
	// them got a history replayed from their activities (first time).
	Members, Replayed int
	// Changes counts the level history entries written.
	Changes int
	// Events counts the webhook events written to the outbox.
	Events int
	// Champions and Slipping are the sizes of those lists now.
	Champions, Slipping int
}

// DeliveryFilter selects outbox rows for listing (rollcall webhooks). At
// least one of Pending, Failed and Delivered should be set; none selects
// nothing.
type DeliveryFilter struct {
	// Pending selects rows neither delivered nor failed (still retried).
	Pending bool
	// Failed selects rows whose attempts are spent.
	Failed bool
	// Delivered selects rows the receiver answered 2xx.
	Delivered bool
	// Limit caps the rows returned, newest first; 0 means 100.
	Limit int
}

// DeliveryLister lists the outbox and puts a failed delivery back to
// pending, for the rollcall webhooks command.
type DeliveryLister interface {
	// Deliveries returns the rows the filter selects, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// RetryDelivery puts a failed row back to pending, due at at, with
	// its attempts counted from zero again.
	RetryDelivery(ctx context.Context, id int64, at time.Time) error
}
