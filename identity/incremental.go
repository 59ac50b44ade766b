package identity

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// RulesVersion names the rules the resolver decides by. It changes with
// any change to the evidence, the blocking keys or the phases; a store
// whose members were made under another version is resolved again in
// full, once, and its blocking keys filed again. (2026-12-04.2: a run
// moves identities out of members earlier runs made on less data, so a
// store's first run under it undoes the false merges those left.
// 2026-12-07.1: an incremental run could join a new identity to a stored
// one whose own evidence towards others made it ambiguous, a false merge;
// a store's first run under it resolves every identity and undoes those.
// 2026-12-07.2: an address with RFC 5322 specials outside quotes, such as
// ".<jo@gmail.com", is a placeholder, not a key; its key used to be
// "<jo@gmail.com", which is no address either.)
const RulesVersion = "2026-12-07.2"

// keyCap is how many identities may be filed under one blocking key for
// all of them to be loaded as candidates. It is the largest block limit a
// phase uses (4 × the default MaxBlock): a key with more identities is too
// common for every phase, whoever they are.
const keyCap = 4 * 50

// BlockingKeys returns the blocking keys an account is filed under, as
// the store keeps them (identity_keys): the hashes the resolver looks up
// to find the candidates of a new identity.
func BlockingKeys(a connectors.Account) []int64 {
	f := prepareInto(CandidateFromAccount(a), nil)
	return filedKeys(&f)
}

func filedKeys(f *features) []int64 {
	var out []int64
	(*Index)(nil).keysOf(f, func(kind byte, s string) {
		if s != "" {
			out = append(out, int64(hashKey(kind, s)))
		}
	})
	slices.Sort(out)
	return slices.Compact(out)
}

// probeKeys returns every key any phase may look up for a new identity
// with features f, its own filed keys included: the candidates of f are
// the identities filed under them.
func probeKeys(f *features) []int64 {
	out := filedKeys(f)
	add := func(kind byte, s string) {
		if s != "" {
			out = append(out, int64(hashKey(kind, s)))
		}
	}
	weakProbes(f, add) // the strong probes included
	for _, k := range f.emailKeys {
		add(bEmail, k)
	}
	if k := mergeNameKey(f); k != "" {
		add(bName, k)
	}
	for _, h := range f.handles {
		add(bHandle, h)
	}
	// loginPhase
	var words []string
	if w := loginWord(f); w != "" {
		words = append(words, w)
	}
	if f.name.Full() {
		words = appendNameHandles(words, *f.name)
	}
	words = append(words, f.handles...)
	for _, w := range words {
		add(bWord, w)
		add(bNameHdl, w)
		add(bHandle, w)
	}
	// agreePhase
	for _, h := range f.handles {
		add(bHandle, h)
		add(bNameHdl, h)
		add(bWord, h)
	}
	for _, e := range f.noreply {
		add(bWord, HandleForm(e.githubLogin))
	}
	if w := oneWord(f); w != "" {
		add(bHandle, w)
		add(bWord, w)
		add(bNoreply, w)
	}
	if f.name.Full() {
		last := f.name.Tokens[len(f.name.Tokens)-1]
		givenForms(f.name.Tokens[0], func(first string) {
			out = append(out, int64(hashKey2(bHandle, first, last)), int64(hashKey2(bHandle, last, first)))
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// contextKeys returns the keys under which the name and address checks
// of a candidate's member look for other holders: its full name and its
// addresses.
func contextKeys(f *features) []int64 {
	var out []int64
	for _, k := range f.emailKeys {
		out = append(out, int64(hashKey(bEmail, k)))
	}
	if f.name.Full() {
		out = append(out, int64(hashKey(bName, f.name.Key)))
	}
	return out
}

// markForced marks the identities from…to-1 that a person joined with
// another identity in the index.
func (x *Index) markForced(from, to int32) {
	for i := from; i < to; i++ {
		for _, other := range x.linked[x.f(i).key] {
			if j, ok := x.lookup(other); ok && x.together[pairKey(x.f(i).key, other)] {
				x.forced[i], x.forced[j] = true, true
			}
		}
	}
}

// IncrementalStore is what the resolver needs to resolve only what
// changed: identities marked dirty when a batch adds or changes them (in
// the batch's transaction), blocking keys filed with the identities, and
// the state it keeps between runs.
type IncrementalStore interface {
	DirtyQueue
	KeyIndex
	// ReplaceSuggestionsOf replaces the open suggestions that involve one
	// of refs with ss (filtered as ReplaceSuggestions filters).
	ReplaceSuggestionsOf(ctx context.Context, refs []connectors.AccountRef, ss []crm.Suggestion) error
}

// DirtyQueue is the store's record of what the resolver has yet to see.
type DirtyQueue interface {
	// ResolverState returns what the resolver stored at its last run.
	ResolverState(ctx context.Context) (crm.ResolverState, error)
	// DirtyIdentities lists identities added or changed since the
	// resolver last filed their keys, in id order, at most limit (<= 0:
	// all).
	DirtyIdentities(ctx context.Context, limit int) ([]crm.DirtyIdentity, error)
	// SaveKeys replaces the blocking keys of each identity in ks, clears
	// the dirty marks of the Gen given, and, when st is not nil, stores
	// it, all in one transaction.
	SaveKeys(ctx context.Context, ks []crm.IdentityKeys, st *crm.ResolverState) error
}

// KeyIndex finds candidates through the blocking keys.
type KeyIndex interface {
	// IdentitiesByKeys returns how many identities are filed under each
	// of keys (keys with none are left out), and the identities filed
	// under the keys that have at most limit of them, in id order. An
	// identity known reports (known may be nil) is returned as known
	// reports it: the run has read it already, its row is not read again.
	IdentitiesByKeys(ctx context.Context, keys []int64, limit int, known func(id int64) (crm.Identity, bool)) ([]crm.Identity, map[int64]int, error)
	// IdentitiesOfMembers returns every identity of the members, in id
	// order, those known reports as IdentitiesByKeys does.
	IdentitiesOfMembers(ctx context.Context, members []int64, known func(id int64) (crm.Identity, bool)) ([]crm.Identity, error)
	// EvidenceAmong calls fn for every stored evidence pair with an
	// account of refs on either side.
	EvidenceAmong(ctx context.Context, refs []connectors.AccountRef, fn func(kind string, a, b connectors.AccountRef) error) error
}

// maxDirty bounds the identities one incremental run takes; the rest wait
// for the next run.
const maxDirty = 5000

// maxWidenings bounds how often one incremental run widens its
// candidates before it resolves the store in full.
const maxWidenings = 4

// runIncremental resolves the dirty identities against the candidates
// their blocking keys find, touching O(candidates) rows.
//
// Which identities are loaded: the focus (the dirty identities, and the
// identities of new decisions) with every identity filed under a key any
// phase may look up for them (probeKeys) or linked to them by evidence;
// every identity of the members of those; and, for the name and address
// checks, the identities sharing those members' full names and addresses
// (contextKeys). Keys with more than keyCap identities are not loaded:
// every phase takes them for too common, whoever they hold. The loaded
// identities are resolved from scratch, in id order, from the evidence and
// decisions alone, as a full run resolves them. A member the resolution
// changes by more than focus identities joining one stored member (or
// making a new one), or that parts a stored member, rests on decisions
// about identities whose candidates were not all loaded: its identities
// join the focus and the run widens. So does a stored identity that a
// focus identity joins from another member (or none): whether it joins
// rests on its own candidates too. A widening reads only what the
// identities added need (focusLoad), and the suggestions are searched only
// in the resolution kept. A resolution that still widens after
// maxWidenings is left to a full run.
func (r *Resolver) runIncremental(ctx context.Context, s Store, inc IncrementalStore, st crm.ResolverState) (Result, error) {
	var res Result
	dirty, err := inc.DirtyIdentities(ctx, maxDirty)
	if err != nil {
		return res, fmt.Errorf("identity: read dirty identities: %w", err)
	}
	dv, err := s.DecisionsVersion(ctx)
	if err != nil {
		return res, fmt.Errorf("identity: read decisions version: %w", err)
	}
	if len(dirty) == 0 && r.decisions == dv && r.decisionsRead {
		return res, nil
	}
	decisions, err := s.Decisions(ctx)
	if err != nil {
		return res, fmt.Errorf("identity: read decisions: %w", err)
	}
	focus := map[int64]crm.Identity{}
	for _, d := range dirty {
		focus[d.ID] = d.Identity
	}
	newState := st
	var decided []int64 // hashes of the refs of new decisions
	for _, d := range decisions {
		if d.ID > st.Decision {
			for _, ref := range []connectors.AccountRef{d.A, d.B} {
				decided = append(decided, int64(hashKey(bRef, ref.String())))
			}
		}
		newState.Decision = max(newState.Decision, d.ID)
	}
	if len(decided) > 0 {
		ids, _, err := inc.IdentitiesByKeys(ctx, decided, keyCap, nil)
		if err != nil {
			return res, fmt.Errorf("identity: read identities of new decisions: %w", err)
		}
		for _, id := range ids {
			focus[id.ID] = id
		}
	}
	if len(focus) == 0 {
		return res, r.finishIncremental(ctx, inc, dirty, newState, dv)
	}
	load := newFocusLoad()
	for range maxWidenings {
		x, loaded, err := r.resolveFocus(ctx, inc, focus, decisions, load)
		if err != nil {
			return res, err
		}
		resolution := x.Resolution()
		idOf := make(map[string]int64, len(loaded))
		memberOf := make(map[string]int64, len(loaded))
		byMember := map[int64][]string{}
		byKey := make(map[string]crm.Identity, len(loaded))
		for _, id := range loaded {
			k := id.AccountRef.String()
			idOf[k], memberOf[k], byKey[k] = id.ID, id.MemberID, id
			if id.MemberID != 0 {
				byMember[id.MemberID] = append(byMember[id.MemberID], k)
			}
		}
		// Focus identities joining one stored member (or making a new
		// one) were decided with all their candidates loaded. A member
		// that merges stored members, or takes identities with no member
		// outside the focus, rests on decisions about identities whose
		// candidates were not all loaded: they join the focus.
		widened := false
		widen := func(keys []string) {
			for _, k := range keys {
				if id := byKey[k]; focus[id.ID].ID == 0 {
					focus[id.ID] = id
					widened = true
				}
			}
		}
		clusterOf := map[string]int{}
		for c, keys := range resolution.Members {
			for _, k := range keys {
				clusterOf[k] = c
			}
		}
		for c, keys := range resolution.Members {
			stray := false
			var seen []int64
			for _, k := range keys {
				if m := memberOf[k]; m == 0 {
					stray = stray || focus[idOf[k]].ID == 0
				} else if !slices.Contains(seen, m) {
					seen = append(seen, m)
				}
			}
			split := false
			for _, m := range seen {
				for _, k := range byMember[m] {
					split = split || clusterOf[k] != c
				}
			}
			if !stray && !split && len(seen) < 2 {
				continue
			}
			// Decided with every candidate of every identity loaded.
			widen(keys)
		}
		// A focus identity joining a stored identity of another member
		// was decided on the stored identity's evidence towards others
		// too (an identity with such evidence towards two members is
		// ambiguous and joins neither): the stored identity's candidates
		// must be loaded as well.
		for _, m := range resolution.Merges {
			if (focus[idOf[m.A]].ID != 0) != (focus[idOf[m.B]].ID != 0) && memberOf[m.A] != memberOf[m.B] {
				widen([]string{m.A, m.B})
			}
		}
		if widened {
			continue
		}
		// The suggestions of the resolution kept.
		x.suggestPhase(0, x.n)
		resolution = x.Resolution()
		res.Loaded = len(loaded)
		if _, err := r.reconcile(ctx, s, resolution, idOf, memberOf, byMember, &res); err != nil {
			return res, err
		}
		var refs []connectors.AccountRef
		for _, id := range focus {
			refs = append(refs, id.AccountRef)
		}
		inFocus := map[string]bool{}
		for _, ref := range refs {
			inFocus[ref.String()] = true
		}
		var ss []crm.Suggestion
		for _, sg := range resolution.Suggestions {
			if !inFocus[sg.A] && !inFocus[sg.B] {
				continue
			}
			if s, ok := storedSuggestion(sg); ok {
				ss = append(ss, s)
			}
		}
		if err := inc.ReplaceSuggestionsOf(ctx, refs, ss); err != nil {
			return res, fmt.Errorf("identity: record %d suggestions: %w", len(ss), err)
		}
		res.Suggestions = len(ss)
		return res, r.finishIncremental(ctx, inc, dirty, newState, dv)
	}
	r.version = ""
	return r.runFull(ctx, s, inc)
}

// finishIncremental files the keys of the dirty identities, clears their
// marks and stores the state.
func (r *Resolver) finishIncremental(ctx context.Context, inc IncrementalStore, dirty []crm.DirtyIdentity, st crm.ResolverState, dv int64) error {
	ks := make([]crm.IdentityKeys, 0, len(dirty))
	for _, d := range dirty {
		ks = append(ks, crm.IdentityKeys{IdentityID: d.ID, Keys: BlockingKeys(d.Account), Gen: d.Gen})
	}
	if err := inc.SaveKeys(ctx, ks, &st); err != nil {
		return fmt.Errorf("identity: file blocking keys of %d identities: %w", len(ks), err)
	}
	r.decisions, r.decisionsRead = dv, true
	return nil
}

// focusLoad is what a run has read of the store for its focus so far:
// a widening reads only what the identities it adds need.
type focusLoad struct {
	loaded  map[int64]crm.Identity
	common  map[uint64]int32 // keys over keyCap → how many identities
	probed  map[int64]bool   // focus identities whose candidates were read
	members map[int64]bool   // members whose identities were read
	context map[int64]bool   // identities reached whose name and address holders were read
	links   map[Link]bool    // evidence with an account read on one side
	read    map[string]bool  // accounts whose evidence was read
}

func newFocusLoad() *focusLoad {
	return &focusLoad{loaded: map[int64]crm.Identity{}, common: map[uint64]int32{}, probed: map[int64]bool{},
		members: map[int64]bool{}, context: map[int64]bool{}, links: map[Link]bool{}, read: map[string]bool{}}
}

// known reports an identity the run has read already.
func (l *focusLoad) known(id int64) (crm.Identity, bool) {
	i, ok := l.loaded[id]
	return i, ok
}

func (l *focusLoad) add(ids []crm.Identity, counts map[int64]int) {
	for _, id := range ids {
		l.loaded[id.ID] = id
	}
	for h, n := range counts {
		if n > keyCap {
			l.common[uint64(h)] = int32(n)
		}
	}
}

// evidence reads the evidence of the loaded identities not read yet.
func (l *focusLoad) evidence(ctx context.Context, inc IncrementalStore) error {
	var refs []connectors.AccountRef
	for _, id := range l.loaded {
		if k := id.AccountRef.String(); !l.read[k] {
			l.read[k] = true
			refs = append(refs, id.AccountRef)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	err := inc.EvidenceAmong(ctx, refs, func(kind string, a, b connectors.AccountRef) error {
		l.links[Link{Kind: kind, A: a.String(), B: b.String()}] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("identity: read evidence of %d identities: %w", len(refs), err)
	}
	return nil
}

// resolveFocus loads the candidates of the focus identities and resolves
// them; it returns the index resolved (its suggestions not searched yet:
// Index.suggestLater) and the identities loaded, in id order.
// l holds what earlier calls of the same run loaded: only the focus
// identities added since are read for, and the identities loaded are the
// same as a first call with the whole focus would load.
func (r *Resolver) resolveFocus(ctx context.Context, inc IncrementalStore, focus map[int64]crm.Identity, decisions []crm.Decision, l *focusLoad) (*Index, []crm.Identity, error) {
	var probes []int64
	var refs []connectors.AccountRef
	var fresh []int64 // the focus identities added since the last call
	for _, id := range focus {
		if l.probed[id.ID] {
			continue
		}
		l.probed[id.ID] = true
		fresh = append(fresh, id.ID)
		l.loaded[id.ID] = id
		f := prepareInto(CandidateFromAccount(id.Account), nil)
		probes = append(probes, probeKeys(&f)...)
		refs = append(refs, id.AccountRef)
	}
	// Evidence partners of the focus are candidates too; the evidence
	// read here is kept, so that l.evidence does not read it again.
	for _, ref := range refs {
		l.read[ref.String()] = true
	}
	err := inc.EvidenceAmong(ctx, refs, func(kind string, a, b connectors.AccountRef) error {
		probes = append(probes, int64(hashKey(bRef, a.String())), int64(hashKey(bRef, b.String())))
		l.links[Link{Kind: kind, A: a.String(), B: b.String()}] = true
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("identity: read evidence of %d identities: %w", len(refs), err)
	}
	ids, counts, err := inc.IdentitiesByKeys(ctx, dedupe(probes), keyCap, l.known)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: read candidates: %w", err)
	}
	l.add(ids, counts)
	// The identities this call reaches through the focus (its candidates
	// and their members) have their name and address holders read.
	reached := slices.Clone(fresh)
	for _, id := range ids {
		reached = append(reached, id.ID)
	}
	// The members of the focus added and of the candidates it brought.
	var members []int64
	take := func(id crm.Identity) {
		if id.MemberID != 0 && !l.members[id.MemberID] {
			l.members[id.MemberID] = true
			members = append(members, id.MemberID)
		}
	}
	for _, id := range fresh {
		take(l.loaded[id])
	}
	for _, id := range ids {
		take(id)
	}
	ids, err = inc.IdentitiesOfMembers(ctx, dedupe(members), l.known)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: read members of candidates: %w", err)
	}
	l.add(ids, nil)
	for _, id := range ids {
		reached = append(reached, id.ID)
	}
	var ctxKeys []int64
	for _, id := range reached {
		if l.context[id] {
			continue
		}
		l.context[id] = true
		f := prepareInto(CandidateFromAccount(l.loaded[id].Account), nil)
		ctxKeys = append(ctxKeys, contextKeys(&f)...)
	}
	ids, counts, err = inc.IdentitiesByKeys(ctx, dedupe(ctxKeys), keyCap, l.known)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: read name and address holders: %w", err)
	}
	l.add(ids, counts)
	if err := l.evidence(ctx, inc); err != nil {
		return nil, nil, err
	}

	all := make([]crm.Identity, 0, len(l.loaded))
	for _, id := range l.loaded {
		all = append(all, id)
	}
	slices.SortFunc(all, func(a, b crm.Identity) int { return cmp.Compare(a.ID, b.ID) })
	keys := make(map[string]bool, len(all))
	for _, id := range all {
		keys[id.AccountRef.String()] = true
	}
	var opts Options
	for lk := range l.links {
		if keys[lk.A] && keys[lk.B] {
			opts.Links = append(opts.Links, lk)
		}
	}
	slices.SortFunc(opts.Links, func(a, b Link) int {
		return cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B), cmp.Compare(a.Kind, b.Kind))
	})
	decide(decisions, func(k string) bool { return keys[k] }, &opts)
	x := NewIndex(opts)
	x.common = l.common
	x.suggestLater = true
	for _, id := range all {
		x.stage(CandidateFromAccount(id.Account))
	}
	x.in = nil
	x.settle(0)
	return x, all, nil
}

func dedupe(l []int64) []int64 {
	slices.Sort(l)
	return slices.Compact(l)
}
