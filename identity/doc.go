// Package identity decides which member each account belongs to.
//
// Between two identities it finds typed evidence (evidence.go), each kind
// with a strength: strong evidence (the forge linking a commit author to a
// login, GitHub's noreply address, verified e-mail or links, mutual profile
// links) merges unless two accounts of one platform or a person's decision
// forbid it; medium evidence between commit authors (the same real
// address, the same full name, an address that spells the other's full
// name, a name and an address that both agree, a one-word name that is the
// login of a noreply address) merges only when nothing in the two members
// disagrees and no other member is claimed by the same evidence; weak
// evidence becomes a suggestion for a person. Every merge records its
// evidence.
//
// Shared addresses (shared.go) are no evidence for any rule: an address
// used by a relay or gateway ("Person via Service"), by a pair ("Ann Lee
// and Bo Chen"), under three clearly different full names, or, with a
// local part naming a group or a shared machine (pair@, office@), under
// two names. It is dropped from every identity holding it before any
// phase runs; when a later Add shows an earlier address to be shared,
// the index decides again from scratch, so the members never depend on
// the order of the identities. A one-word name on two addresses is weak
// evidence on its own. An alias whose evidence reaches two members with
// nothing of their own in common joins only the member of its strongest
// evidence (strong links, then e-mail, then names); the other link is
// left as a suggestion (join, bridges).
//
// Index (cluster.go) resolves incrementally through blocking keys, never
// comparing all pairs; Resolver (resolver.go) runs it over the store and
// reconciles the result with the members and the decisions people made.
// ResolveTSV is the evaluation mode of `rollcall identity resolve`.
//
// The decisions people make by hand (curate.go: MergeMembers,
// UnmergeIdentity, DecideSuggestion, and FindMember for naming a member by
// id or platform:username) are shared by the command line and the web, so
// both decide the same way with the same messages.
package identity
