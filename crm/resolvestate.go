package crm

// ResolverState is what the identity resolver keeps in the store between
// runs, next to the members it made: the version of the rules that made
// them (a different version means every identity is resolved again) and
// the last decision it has taken into account.
type ResolverState struct {
	// Rules is the resolver's rules version of the last full resolve; ""
	// when the store was never resolved in full with blocking keys.
	Rules string
	// Decision is the id of the newest decision the resolver has seen.
	Decision int64
}

// DirtyIdentity is an identity added or changed (or with new evidence)
// since the resolver last resolved it. Gen tells one change from the
// next: clearing the mark with an older Gen leaves a newer change marked.
type DirtyIdentity struct {
	Identity
	Gen int64
}

// IdentityKeys are the blocking keys of one identity, as the resolver
// files it: the store finds the identities sharing a key through them.
// Gen, when not zero, is the dirty mark the keys were computed for; saving
// the keys clears that mark.
type IdentityKeys struct {
	IdentityID int64
	Keys       []int64
	Gen        int64
}
