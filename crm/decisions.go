package crm

import (
	"context"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Decision kinds a person records; later syncs never undo them.
const (
	// DecisionMerge: the two accounts are one person.
	DecisionMerge = "merge"
	// DecisionSeparate: the two accounts are different people.
	DecisionSeparate = "separate"
)

// Decision is a person's verdict about two accounts.
type Decision struct {
	ID     int64                 `json:"id"`
	Kind   string                `json:"kind"`
	A      connectors.AccountRef `json:"a"`
	B      connectors.AccountRef `json:"b"`
	Actor  string                `json:"actor"`
	Reason string                `json:"reason,omitempty"`
	At     time.Time             `json:"at"`
}

// Suggestion statuses.
const (
	SuggestionOpen     = "open"
	SuggestionAccepted = "accepted"
	SuggestionRejected = "rejected"
)

// Suggestion is a possible merge that weaker evidence supports: a person
// decides. A and B are accounts; the members shown are those owning them
// when read.
type Suggestion struct {
	ID         int64                 `json:"id"`
	A          connectors.AccountRef `json:"a"`
	B          connectors.AccountRef `json:"b"`
	Confidence float64               `json:"confidence"`
	// Reasons say in words why the accounts may be one person, and why
	// they were not merged automatically.
	Reasons []string  `json:"reasons"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	// MemberA and MemberB are the members owning A and B when read.
	MemberA int64 `json:"member_a"`
	MemberB int64 `json:"member_b"`
}

// MemberMerge joins member From into member Into (every identity of From
// moves; From disappears), recording why.
type MemberMerge struct {
	Into, From int64
	Reason     string
	// Evidence is the resolver's record of what justified the merge, in
	// words, kept in the audit log.
	Evidence []string
}

// IdentityMove moves one identity out of member From, where an earlier
// resolver run put it, when later evidence shows it belongs elsewhere:
// into member Into, or, with Into 0, into a new member shared by the
// moves of the same call with the same Group.
type IdentityMove struct {
	IdentityID int64
	From       int64
	Into       int64
	Group      int
	// Reason says in words why the identity moves, kept in the audit log.
	Reason string
}

// IdentityStore is what the identity resolver needs beyond the basic
// Store methods: every identity (to build its index), evidence, decisions,
// and the means to record what it decided.
type IdentityStore interface {
	// AllIdentities calls fn for every identity, assigned or not, in id
	// order, without holding the whole set in memory.
	AllIdentities(ctx context.Context, fn func(Identity) error) error
	// AllEvidence calls fn for every stored evidence pair.
	AllEvidence(ctx context.Context, fn func(kind string, a, b connectors.AccountRef) error) error
	// Decisions lists every decision people recorded, oldest first.
	Decisions(ctx context.Context) ([]Decision, error)
	// DecisionsVersion changes whenever a decision, a forget or a manual
	// membership change is recorded, so the resolver knows to rebuild.
	DecisionsVersion(ctx context.Context) (int64, error)
	// IdentitiesVersion changes whenever an identity is added or changed,
	// evidence is added, or DecisionsVersion changes.
	IdentitiesVersion(ctx context.Context) (string, error)
	// MergeMembers records resolver merges of existing members, in one
	// transaction, with an audit entry each.
	MergeMembers(ctx context.Context, ms []MemberMerge) error
	// MoveIdentities records resolver moves of identities between
	// members, in one transaction, with an audit entry each ("move"). A
	// move whose identity is no longer in From is skipped; one that would
	// part the identity from an identity of From a person joined it with
	// (their latest decision is DecisionMerge) is refused ("move_refused"
	// audit entry). From keeps its other identities and its overrides
	// (a primary override naming the moved identity is dropped).
	MoveIdentities(ctx context.Context, ms []IdentityMove) error
	// ReplaceSuggestions replaces the open suggestions with ss (accepted
	// and rejected ones are kept, and a rejected pair is never suggested
	// again).
	ReplaceSuggestions(ctx context.Context, ss []Suggestion) error
}

// Curator is what people's commands need: manual merge and unmerge,
// suggestions, forgetting, and overrides. Every call is audited and
// reversible (forget excepted: it erases).
type Curator interface {
	// Merge joins the members owning accounts a and b (or two members by
	// id via their identities), records a DecisionMerge, and returns the
	// surviving member id.
	Merge(ctx context.Context, a, b connectors.AccountRef, actor, reason string) (int64, error)
	// Unmerge moves the identity out of its member into a new member of
	// its own, records DecisionSeparate against every other identity of
	// the old member, and returns the new member id.
	Unmerge(ctx context.Context, memberID int64, ref connectors.AccountRef, actor, reason string) (int64, error)
	// Suggestions lists suggestions with the given status ("" = all),
	// highest confidence first.
	Suggestions(ctx context.Context, status string) ([]Suggestion, error)
	// SuggestionPage is the limit suggestions of status after the first
	// offset, in Suggestions' order, and how many there are in all (a
	// page reads its own rows only).
	SuggestionPage(ctx context.Context, status string, offset, limit int) ([]Suggestion, int, error)
	// DecideSuggestion accepts (merging, as Merge) or rejects (recording
	// DecisionSeparate) a suggestion.
	DecideSuggestion(ctx context.Context, id int64, accept bool, actor string) error
	// Forget erases a member: its identities, activities, evidence,
	// suggestions and decisions. Only a salted hash of each account key
	// stays (a tombstone), so later syncs skip those accounts and their
	// activities. It returns how many identities were forgotten.
	Forget(ctx context.Context, memberID int64, actor string) (int, error)
	// SetOverride sets a member's display name and/or primary identity
	// ("" / zero ref: unchanged), kept across syncs.
	SetOverride(ctx context.Context, memberID int64, name string, primary connectors.AccountRef, actor string) error
}
