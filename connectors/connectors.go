package connectors

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/rollcall-dev/rollcall/config"
)

// AccountRef names an account by the platform's permanent user id, never by
// a handle or a display name.
type AccountRef struct {
	// Platform is the service kind: "github", "git", "mastodon", ...
	Platform string `json:"platform"`
	// Instance is the host the account lives on ("github.com", a GHE host,
	// a Mastodon server). It is empty for platform "git", whose accounts
	// (commit author e-mail addresses) are global.
	Instance string `json:"instance"`
	// ExternalID is the platform's permanent id (GitHub's numeric user id,
	// the lower-cased e-mail of a git commit author).
	ExternalID string `json:"external_id"`
}

// String returns "platform/instance/external_id", the account's stable key.
func (r AccountRef) String() string { return r.Platform + "/" + r.Instance + "/" + r.ExternalID }

// IsZero reports whether r names no account.
func (r AccountRef) IsZero() bool { return r.ExternalID == "" }

// Platforms.
const (
	PlatformGitHub        = "github"
	PlatformMastodon      = "mastodon"
	PlatformDiscourse     = "discourse"
	PlatformStackOverflow = "stackoverflow"
	// PlatformGit is a git commit author that the forge did not link to an
	// account: keyed by lower-cased e-mail address.
	PlatformGit = "git"
)

// Account is what a connector knows about one account.
type Account struct {
	AccountRef
	Username  string   `json:"username"`
	Name      string   `json:"name,omitempty"`
	URL       string   `json:"url,omitempty"`
	AvatarURL string   `json:"avatar_url,omitempty"`
	Emails    []string `json:"emails,omitempty"`
	// Links are profile links the account declares (blog, social accounts).
	Links []string `json:"links,omitempty"`
	// VerifiedLinks are profile links the platform itself verified: a
	// Mastodon field with verified_at (rel=me), a Discourse associated
	// account seen by a staff key. Strong identity evidence.
	VerifiedLinks []string `json:"verified_links,omitempty"`
	// NetworkID is a network-wide id shared by the account's siblings on
	// other sites of the same network (Stack Exchange account_id).
	NetworkID string `json:"network_id,omitempty"`
	Followers int    `json:"followers,omitempty"`
	// Reputation is the account's Stack Exchange reputation on the site
	// (0 elsewhere): clout outside the community, never part of a score.
	Reputation int  `json:"reputation,omitempty"`
	Bot        bool `json:"bot,omitempty"`
	// Staff is set when the platform says the account works for the
	// community the source syncs: GitHub author_association OWNER, MEMBER
	// or COLLABORATOR on an item of a synced repository, a Discourse
	// admin, moderator or staff user. The store keeps it as evidence that
	// a later batch without it does not clear (a person's mark does).
	Staff bool `json:"staff,omitempty"`
	// ProfileFetchedAt is when the full profile was read; zero when the
	// account is only known from a reference inside another object, in which
	// case the store keeps whatever profile fields it already has.
	ProfileFetchedAt time.Time `json:"profile_fetched_at,omitzero"`
}

// Activity is one thing an account did, with a stable key so that applying
// it twice is a no-op.
type Activity struct {
	// Key is "platform/instance/type/external-id", stable across polls.
	Key        string     `json:"key"`
	Platform   string     `json:"platform"`
	Instance   string     `json:"instance"`
	Type       string     `json:"type"`
	OccurredAt time.Time  `json:"occurred_at"`
	Actor      AccountRef `json:"actor"`
	URL        string     `json:"url,omitempty"`
	Title      string     `json:"title,omitempty"`
	// Channel is where it happened: a repository "owner/name", a hashtag, a category.
	Channel string `json:"channel,omitempty"`
	// ParentKey is the key of the activity this one answers, if any.
	ParentKey string `json:"parent_key,omitempty"`
	// Reactions are the counts of reactions and votes the item carried on
	// the list page it was read from (nil when the service reports none
	// for this kind of activity). The store keeps the latest counts seen
	// for the key.
	Reactions *Reactions `json:"reactions,omitempty"`
	// Text is a plain-text excerpt of a post, comment, answer or review
	// (see Excerpt), for sentiment; "" when the item has none.
	Text string `json:"text,omitempty"`
}

// Reaction kinds outside GitHub's own ("+1", "-1", "laugh", "hooray",
// "confused", "heart", "rocket", "eyes", used as GitHub names them).
const (
	// ReactionLike is a Discourse like (like_count).
	ReactionLike = "like"
	// ReactionFavourite is a Mastodon favourite (favourites_count).
	ReactionFavourite = "favourite"
	// ReactionReblog is a Mastodon boost (reblogs_count).
	ReactionReblog = "reblog"
	// ReactionScore is a Stack Exchange score: up votes minus down votes.
	ReactionScore = "score"
)

// Reactions are the engagement counts of one item as its service reports
// them, read from list pages (never a request per item).
type Reactions struct {
	// Total is the sum over ByKind (GitHub's total_count); for a Stack
	// Exchange score it can be negative.
	Total int `json:"total"`
	// ByKind counts each kind with a non-zero count: GitHub's reaction
	// names, or one of the Reaction* constants.
	ByKind map[string]int `json:"by_kind,omitempty"`
}

// ReactionsOf returns the reactions of counts (kind → count), leaving out
// zero counts; Total is their sum.
func ReactionsOf(counts map[string]int) *Reactions {
	r := &Reactions{}
	for k, n := range counts {
		if k == "" || n == 0 {
			continue
		}
		if r.ByKind == nil {
			r.ByKind = make(map[string]int)
		}
		r.ByKind[k] += n
		r.Total += n
	}
	return r
}

// Evidence kinds a connector can report between two accounts.
const (
	// EvidenceCommitAuthorLogin: the forge linked a commit author (a git
	// account) to one of its logins.
	EvidenceCommitAuthorLogin = "commit_author_login"
)

// Evidence is a fact, observed by a connector, that two accounts may belong
// to one person. The identity resolver decides what it is worth.
type Evidence struct {
	Kind string     `json:"kind"`
	A    AccountRef `json:"a"`
	B    AccountRef `json:"b"`
}

// Cursor is where a source stands: an opaque state owned by its connector
// (watermarks and the position in a pass, O(streams): what a connector
// remembers per object is its ObjectState),
// the ETags of the conditional requests it may repeat, and the objects
// whose lookup answered 404 or 410 (key → when that memory expires; see
// MissingSet). The store keeps all three and commits them with the batch
// that produced them.
type Cursor struct {
	State   json.RawMessage      `json:"state,omitempty"`
	ETags   map[string]string    `json:"etags,omitempty"`
	Missing map[string]time.Time `json:"missing,omitempty"`
}

// Stats counts what one Fetch cost.
type Stats struct {
	Requests    int `json:"requests"`
	NotModified int `json:"not_modified"`
	Pages       int `json:"pages"`
	// KnownMissing counts per-object lookups not made because the object
	// answered 404 or 410 earlier and that answer has not expired.
	KnownMissing int `json:"known_missing"`
	// Skipped counts items left out of the batch because nothing in them
	// could be trusted to say what they are or who made them (each is
	// logged with its id).
	Skipped int `json:"skipped"`
}

// Batch is the result of one Fetch: data plus the cursor that follows it.
type Batch struct {
	Accounts   []Account  `json:"accounts,omitempty"`
	Activities []Activity `json:"activities,omitempty"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	// Objects are the writes of the connector's per-object memory (see
	// ObjectState), committed in the batch's transaction: an entry with a
	// nil Value is deleted, any other is set. Empty without an
	// ObjectState (the connector then keeps that memory in its cursor).
	Objects []Object `json:"objects,omitempty"`
	// Next is the cursor to resume from once this batch is committed. Its
	// ETags and Missing replace the stored sets whole.
	Next Cursor `json:"next"`
	// Done reports that the source is caught up until its next interval.
	Done bool `json:"done"`
	// Stats is what producing this batch cost.
	Stats Stats `json:"stats"`
}

// A Connector reads one service. Fetch returns the batch after cur; the
// daemon calls it again with Batch.Next until Done is set, committing each
// batch before the next call.
type Connector interface {
	Fetch(ctx context.Context, cur Cursor) (Batch, error)
}

// ProfileAges tells a connector when an account's full profile was last read,
// so that profiles are refreshed at most daily. ok is false for an account
// never seen with a profile. The daemon passes the store; a connector never
// writes through it.
type ProfileAges interface {
	ProfileFetchedAt(ctx context.Context, ref AccountRef) (t time.Time, ok bool, err error)
}

// Options is what a connector's New receives.
type Options struct {
	// Source is the source's configuration; decode Settings with
	// config.DecodeSettings.
	Source config.Source
	// Logger is already tagged with the source name.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx ends, for the shared client's retries;
	// nil means a timer. Tests pass a fake that advances their clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// HTTP is the transport underneath the shared client; nil means
	// http.DefaultTransport. Tests point it at in-process fakes.
	HTTP http.RoundTripper
	// Profiles answers "when was this profile last read"; nil means never.
	Profiles ProfileAges
	// Objects reads the source's per-object memory from the store, which
	// commits Batch.Objects with each batch; nil means no store: the
	// connector then carries that memory in its cursor state, which grows
	// with the data (tests, tools without a store).
	Objects ObjectState
	// Version is rollcall's version, for the User-Agent.
	Version string
	// HTTPTimeout bounds one attempt of each request (config
	// http_timeout); 0 means DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// Waits keeps the waits services announced across restarts (the
	// store); nil keeps them in memory only.
	Waits Waits
}

// Kind describes a connector type. New must not do I/O.
type Kind struct {
	Name   string
	New    func(Options) (Connector, error)
	Sample string
}

// Checker is implemented by connectors that can test their credentials
// against their service cheaply (for rollcall doctor). Check returns a short
// description of what it found ("authenticated as x; 4,990 of 5,000 requests
// left"); an *ErrUnauthorized error means the credentials must be fixed.
type Checker interface {
	Check(ctx context.Context) (string, error)
}
