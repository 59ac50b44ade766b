package crm

import (
	"context"
	"errors"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// ErrNotFound is returned when a member, identity or activity does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a change contradicts the stored state.
var ErrConflict = errors.New("conflict")

// ErrNoDelivery is returned by an Outbox for a delivery id that does not
// exist (or, for RetryDelivery, is not failed).
var ErrNoDelivery = errors.New("no such delivery")

// Identity is one account of a member on one platform.
type Identity struct {
	ID       int64 `json:"-"`
	MemberID int64 `json:"-"`
	connectors.Account
}

// Member is one person, with every identity known to be theirs.
type Member struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Identities []Identity `json:"identities"`
	// Primary is the member's main account: the one a person chose, else
	// the most complete profile, then the most active, then the oldest.
	// Name comes from it unless a person chose a name.
	Primary       connectors.AccountRef `json:"primary,omitempty,omitzero"`
	ActivityCount int                   `json:"activity_count"`
	FirstSeen     time.Time             `json:"first_seen"`
	LastSeen      time.Time             `json:"last_seen"`
	// Mark is a person's mark (MarkStaff, MarkBot, MarkNone), "" for none
	// (see rollcall mark).
	Mark string `json:"mark,omitempty"`
	// Role is RoleStaff, RoleBot or "": derived by the store with Role
	// from Mark, the configured team and the identities' flags.
	Role string `json:"role,omitempty"`
}

// Activity is a stored activity with the identity that did it.
type Activity struct {
	connectors.Activity
	IdentityID int64  `json:"-"`
	MemberID   int64  `json:"-"`
	Username   string `json:"-"`
}

// Journey is a member and all of their activity, oldest first.
type Journey struct {
	Member     Member     `json:"member"`
	Activities []Activity `json:"activities"`
}

// MemberQuery selects members for a list. Filters combine with AND.
type MemberQuery struct {
	// Search matches member names and identity usernames, names and
	// e-mails as a case-insensitive substring. A search shorter than
	// MinSearchLen characters matches the start of a member name or a
	// username instead.
	Search string
	// Limit caps the result. For Members, 0 means no limit; for
	// ListMembers it is the page size (see PageSize).
	Limit int
	// Platform keeps members with an identity on that platform ("github").
	Platform string
	// ActivityType keeps members with at least one activity of that type.
	ActivityType string
	// ActiveSince keeps members with an activity at or after it.
	ActiveSince time.Time
	// Sort is SortMostActive (also for ""), SortNewest or SortLastSeen.
	Sort string
	// Cursor is a previous page's NextCursor (ListMembers only), for the
	// same filters and sort; empty for the first page.
	Cursor string
}

// ApplyResult says what a batch changed.
type ApplyResult struct {
	NewActivities int
	NewAccounts   int
}

// ReasonNewAccount is the resolver's reason for giving a new account a
// member of its own.
const ReasonNewAccount = "new account"

// Assignment puts an unassigned identity into a member. MemberID 0 creates a
// new member for it.
type Assignment struct {
	IdentityID int64
	MemberID   int64
	// SameAs, when MemberID is 0, puts the identity into the member that an
	// earlier assignment of the same Assign call gave identity SameAs
	// (grouping accounts that are new together).
	SameAs int64
	// Reason is recorded in the audit log ("new account", "commit_author_login").
	Reason string
}

// IdentityEvidence is a stored piece of evidence, seen from one identity.
type IdentityEvidence struct {
	Kind  string
	Other connectors.AccountRef
}

// Store is the driver contract: everything rollcall keeps. Callers declare
// the narrower interfaces they use.
type Store interface {
	// Apply commits a batch, the source's next cursor and its ETags in one
	// transaction. New accounts are stored unassigned (see Unassigned);
	// replaying a batch changes nothing.
	Apply(ctx context.Context, source string, b connectors.Batch) (ApplyResult, error)
	// Cursor returns the source's committed cursor (zero if none).
	Cursor(ctx context.Context, source string) (connectors.Cursor, error)
	// ProfileFetchedAt reports when an account's full profile was stored.
	ProfileFetchedAt(ctx context.Context, ref connectors.AccountRef) (time.Time, bool, error)

	// Unassigned lists identities that belong to no member yet, oldest first.
	Unassigned(ctx context.Context, limit int) ([]Identity, error)
	// IdentityByRef finds an identity by its account key.
	IdentityByRef(ctx context.Context, ref connectors.AccountRef) (Identity, error)
	// EvidenceOf lists stored evidence that mentions the identity's account.
	EvidenceOf(ctx context.Context, ref connectors.AccountRef) ([]IdentityEvidence, error)
	// Assign records resolver decisions in one transaction, with an audit entry each.
	Assign(ctx context.Context, as []Assignment) error

	// Members lists members, most active first.
	Members(ctx context.Context, q MemberQuery) ([]Member, error)
	// Member returns one member with its identities.
	Member(ctx context.Context, id int64) (Member, error)
	// MemberByUsername finds the member owning platform:username (case-insensitive).
	MemberByUsername(ctx context.Context, platform, username string) (Member, error)
	// Journey returns a member's activities, oldest first.
	Journey(ctx context.Context, memberID int64) (Journey, error)

	// ReadModel: paged member lists and the journey page's parts.
	ReadModel

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
