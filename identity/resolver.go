package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Store is what the resolver needs from the CRM store: every identity,
// evidence and decision to resolve from, and the means to record members,
// merges and suggestions.
type Store interface {
	crm.IdentityStore
	Assign(ctx context.Context, as []crm.Assignment) error
}

// Result counts what one Run decided.
type Result struct {
	// NewMembers is how many members were created.
	NewMembers int
	// Joined is how many identities joined an existing member, by
	// assignment or by a merge of two members.
	Joined int
	// Merged is how many existing members were merged into others.
	Merged int
	// Moved is how many identities left the member an earlier run had
	// put them in, because the evidence no longer joins them to it.
	Moved int
	// Suggestions is how many open suggestions the run left (an
	// incremental run: how many it recorded for the identities it took).
	Suggestions int
	// Full reports a run that resolved every identity of the store (the
	// first run, changed rules, Rebuild), not only what changed.
	Full bool
	// Loaded is how many identities the run resolved: every identity for
	// a full run, the new ones and their candidates for an incremental
	// one.
	Loaded int
}

// Resolver keeps the store's members in line with the evidence: it resolves
// every identity with the evidence and people's decisions, then records what
// changed (new members, identities joining members, merges of members,
// suggestions, and identities moving out of a member an earlier run made
// on less data). People's decisions bind it; its own earlier runs do not:
// the members follow from the evidence and the decisions alone, whatever
// order the identities arrived in. Not safe for concurrent use; the daemon runs one at a time.
type Resolver struct {
	// Logger receives one line per merge of existing members.
	Logger *slog.Logger
	// BatchSize bounds how many assignments one Assign call records.
	BatchSize int

	version string // the store's IdentitiesVersion at the last complete run
	// decisions is the store's DecisionsVersion at the last incremental
	// run (when decisionsRead).
	decisions     int64
	decisionsRead bool
}

// Run resolves the store's identities when anything changed since the last
// run, and records the outcome. A crash between its steps leaves nothing
// inconsistent: unassigned identities and unmerged members are picked up
// by the next run.
//
// On a store that keeps blocking keys (IncrementalStore) and whose members
// were made under RulesVersion, Run resolves only the identities added or
// changed since (see runIncremental); otherwise it resolves every identity
// and files the blocking keys.
func (r *Resolver) Run(ctx context.Context, s Store) (Result, error) {
	inc, ok := s.(IncrementalStore)
	if !ok {
		return r.runFull(ctx, s, nil)
	}
	st, err := inc.ResolverState(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("identity: read resolver state: %w", err)
	}
	if st.Rules != RulesVersion {
		r.version = ""
		return r.runFull(ctx, s, inc)
	}
	return r.runIncremental(ctx, s, inc, st)
}

// Rebuild resolves every identity of the store again, whatever changed,
// and on a store that keeps blocking keys files them all again
// (`rollcall identity rebuild`).
func (r *Resolver) Rebuild(ctx context.Context, s Store) (Result, error) {
	r.version = ""
	inc, _ := s.(IncrementalStore)
	return r.runFull(ctx, s, inc)
}

// runFull resolves every identity; with inc, it then files every
// identity's blocking keys, clears the dirty marks it saw and records
// RulesVersion.
func (r *Resolver) runFull(ctx context.Context, s Store, inc IncrementalStore) (Result, error) {
	var res Result
	var dirty []crm.DirtyIdentity
	var st crm.ResolverState
	if inc != nil {
		// The marks present now are cleared at the end: a change made
		// while this run reads is marked again (a newer Gen) and stays.
		var err error
		if dirty, err = inc.DirtyIdentities(ctx, 0); err != nil {
			return res, fmt.Errorf("identity: read dirty identities: %w", err)
		}
		if st, err = inc.ResolverState(ctx); err != nil {
			return res, fmt.Errorf("identity: read resolver state: %w", err)
		}
	}
	version, err := s.IdentitiesVersion(ctx)
	if err != nil {
		return res, fmt.Errorf("identity: read store version: %w", err)
	}
	if version == r.version {
		return res, nil
	}
	res.Full = true

	// First read: which member each identity is in (and its row id). The
	// candidates themselves are streamed into the resolver below, so that
	// the whole set of profiles is never held at once.
	var (
		order    []string // identity keys in id order
		idOf     = map[string]int64{}
		memberOf = map[string]int64{}
	)
	err = s.AllIdentities(ctx, func(id crm.Identity) error {
		key := id.AccountRef.String()
		order = append(order, key)
		idOf[key] = id.ID
		memberOf[key] = id.MemberID
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("identity: read identities: %w", err)
	}
	var opts Options
	err = s.AllEvidence(ctx, func(kind string, a, b connectors.AccountRef) error {
		opts.Links = append(opts.Links, Link{Kind: kind, A: a.String(), B: b.String()})
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("identity: read evidence: %w", err)
	}
	decisions, err := s.Decisions(ctx)
	if err != nil {
		return res, fmt.Errorf("identity: read decisions: %w", err)
	}
	for _, d := range decisions {
		st.Decision = max(st.Decision, d.ID)
	}
	decide(decisions, nil, &opts)
	// Every identity is resolved again from the evidence and people's
	// decisions alone: what earlier runs decided on less data binds
	// nothing (reconcile moves the identities it got wrong).
	byMember := map[int64][]string{}
	for _, key := range order {
		if m := memberOf[key]; m != 0 {
			byMember[m] = append(byMember[m], key)
		}
	}

	var streamErr error
	resolution := ResolveSeq(func(yield func(Candidate) bool) {
		stop := errors.New("stop")
		err := s.AllIdentities(ctx, func(id crm.Identity) error {
			if !yield(CandidateFromAccount(id.Account)) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			streamErr = err
		}
	}, opts)
	if streamErr != nil {
		return res, fmt.Errorf("identity: read identities: %w", streamErr)
	}

	res.Loaded = len(order)
	skipped, err := r.reconcile(ctx, s, resolution, idOf, memberOf, byMember, &res)
	if err != nil {
		return res, err
	}
	var ss []crm.Suggestion
	for _, sg := range resolution.Suggestions {
		if s, ok := storedSuggestion(sg); ok {
			ss = append(ss, s)
		}
	}
	if err := s.ReplaceSuggestions(ctx, ss); err != nil {
		return res, fmt.Errorf("identity: record %d suggestions: %w", len(ss), err)
	}
	res.Suggestions = len(ss)
	if inc != nil {
		// Identities stored after the first read stay dirty: the next,
		// incremental, run takes them.
		st.Rules = RulesVersion
		if err := fileAllKeys(ctx, s, inc, idOf, dirty, st); err != nil {
			return res, err
		}
	}
	// Remember the version this run started from: if the run wrote
	// nothing, the next run with an unchanged store costs nothing; if it
	// wrote, or identities arrived meanwhile, the next run looks again (and
	// a run with nothing new to decide writes nothing).
	if !skipped {
		r.version = version
	}
	return res, nil
}

// mergeEvidence maps each identity key to the evidence, in words, of the
// merge that joined it.
func mergeEvidence(res Resolution) map[string]string {
	out := map[string]string{}
	for _, m := range res.Merges {
		var parts []string
		for _, s := range m.Evidence {
			parts = append(parts, s.String())
		}
		text := strings.Join(parts, "; ")
		if _, ok := out[m.B]; !ok {
			out[m.B] = text
		}
		if _, ok := out[m.A]; !ok {
			out[m.A] = text
		}
	}
	return out
}

func reasonFor(ev map[string]string, key, fallback string) string {
	if e, ok := ev[key]; ok && e != "" {
		return e
	}
	return fallback
}

// parseRef reads an account key "platform/instance/external_id"; the
// external id may itself contain slashes.
func parseRef(key string) (connectors.AccountRef, error) {
	platform, rest, ok := strings.Cut(key, "/")
	if !ok {
		return connectors.AccountRef{}, fmt.Errorf("identity: bad account key %q", key)
	}
	instance, id, ok := strings.Cut(rest, "/")
	if !ok || id == "" {
		return connectors.AccountRef{}, fmt.Errorf("identity: bad account key %q", key)
	}
	return connectors.AccountRef{Platform: platform, Instance: instance, ExternalID: id}, nil
}

// decide adds people's decisions to opts: the latest decision about a
// pair wins. With keep, only pairs with both identities in keep count.
func decide(decisions []crm.Decision, keep func(string) bool, opts *Options) {
	latest := map[[2]string]string{}
	var pairs [][2]string
	for _, d := range decisions {
		a, b := d.A.String(), d.B.String()
		if keep != nil && (!keep(a) || !keep(b)) {
			continue
		}
		p := pairKey(a, b)
		if _, ok := latest[p]; !ok {
			pairs = append(pairs, p)
		}
		latest[p] = d.Kind
	}
	for _, p := range pairs {
		switch latest[p] {
		case crm.DecisionMerge:
			opts.Together = append(opts.Together, p)
		case crm.DecisionSeparate:
			opts.Apart = append(opts.Apart, p)
		}
	}
}

// storedSuggestion turns a suggestion between identity keys into the
// store's kind.
func storedSuggestion(sg Suggestion) (crm.Suggestion, bool) {
	a, errA := parseRef(sg.A)
	b, errB := parseRef(sg.B)
	if errA != nil || errB != nil {
		return crm.Suggestion{}, false
	}
	return crm.Suggestion{A: a, B: b, Confidence: sg.Confidence, Reasons: sg.Reasons}, true
}

// reconcile records what a resolution changes in the store's members, so
// that they become the resolution's: identities with no member join one
// (or make a new one), stored members the resolution puts together are
// merged, and identities of a stored member the resolution parts move
// out. idOf and memberOf give each identity key's row and member (0:
// none); byMember the keys of each stored member, in id order. Each
// stored member stays with the resolved member holding most of its
// identities (ties: its lowest identity's); the rest move. It reports
// whether the resolution held identities stored after they were read (the
// next run takes them).
func (r *Resolver) reconcile(ctx context.Context, s Store, resolution Resolution, idOf, memberOf map[string]int64, byMember map[int64][]string, res *Result) (bool, error) {
	evidenceOf := mergeEvidence(resolution)
	skipped := false
	var clusters [][]string
	clusterOf := map[string]int{}
	for _, keys := range resolution.Members {
		var in []string
		for _, k := range keys {
			if _, ok := idOf[k]; !ok {
				// Stored after the first read: the next run takes it.
				skipped = true
				continue
			}
			in = append(in, k)
		}
		if len(in) == 0 {
			continue
		}
		slices.SortFunc(in, func(a, b string) int { return cmp.Compare(idOf[a], idOf[b]) })
		for _, k := range in {
			clusterOf[k] = len(clusters)
		}
		clusters = append(clusters, in)
	}
	keeper := keepers(byMember, clusterOf)
	var (
		assigns []crm.Assignment
		merges  []crm.MemberMerge
		moves   []crm.IdentityMove
	)
	for c, keys := range clusters {
		var kept []int64 // stored members staying with this one
		var fresh, pieces []string
		for _, k := range keys {
			m := memberOf[k]
			switch {
			case m == 0:
				fresh = append(fresh, k)
			case keeper[m] == c:
				if !slices.Contains(kept, m) {
					kept = append(kept, m)
				}
			default:
				pieces = append(pieces, k)
			}
		}
		slices.Sort(kept)
		var into int64
		if len(kept) > 0 {
			into = kept[0]
		}
		for _, k := range pieces {
			why := reasonFor(evidenceOf, k, "the evidence no longer joins it to the other accounts of its member")
			moves = append(moves, crm.IdentityMove{IdentityID: idOf[k], From: memberOf[k], Into: into, Group: c, Reason: why})
			res.Moved++
			if r.Logger != nil {
				r.Logger.Info("identity moved out of its member on evidence", "from", memberOf[k], "into", into, "account", k, "why", why)
			}
		}
		switch {
		case into == 0 && len(pieces) == 0:
			res.NewMembers++
			for i, k := range fresh {
				a := crm.Assignment{IdentityID: idOf[k], Reason: crm.ReasonNewAccount}
				if i > 0 {
					a.SameAs = idOf[fresh[0]]
					a.Reason = reasonFor(evidenceOf, k, "grouped with a new account")
				}
				assigns = append(assigns, a)
			}
		case into == 0:
			// The pieces make a new member (MoveIdentities, first); the
			// fresh identities join it.
			res.NewMembers++
			for _, k := range fresh {
				res.Joined++
				assigns = append(assigns, crm.Assignment{IdentityID: idOf[k], SameAs: idOf[pieces[0]], Reason: reasonFor(evidenceOf, k, "joined by evidence")})
			}
		default:
			for _, k := range fresh {
				res.Joined++
				assigns = append(assigns, crm.Assignment{IdentityID: idOf[k], MemberID: into, Reason: reasonFor(evidenceOf, k, "joined by evidence")})
			}
			for _, from := range kept[1:] {
				var why []string
				for _, k := range byMember[from] {
					if clusterOf[k] != c {
						continue
					}
					if e, ok := evidenceOf[k]; ok {
						why = append(why, e)
					}
				}
				merges = append(merges, crm.MemberMerge{Into: into, From: from, Reason: "resolver: strong evidence", Evidence: why})
				res.Merged++
				for _, k := range byMember[from] {
					if clusterOf[k] == c {
						res.Joined++
					}
				}
				if r.Logger != nil {
					r.Logger.Info("members merged on evidence", "into", into, "from", from, "evidence", strings.Join(why, "; "))
				}
			}
		}
	}
	// Moves first: a member merged next keeps only the identities that
	// belong with its new one, and a fresh identity may join a member a
	// move made.
	if len(moves) > 0 {
		if err := s.MoveIdentities(ctx, moves); err != nil {
			return skipped, fmt.Errorf("identity: record %d moves of identities: %w", len(moves), err)
		}
	}
	if len(merges) > 0 {
		if err := s.MergeMembers(ctx, merges); err != nil {
			return skipped, fmt.Errorf("identity: record %d member merges: %w", len(merges), err)
		}
	}
	size := r.BatchSize
	if size <= 0 {
		size = 1000
	}
	for chunk := range slices.Chunk(assigns, size) {
		if err := s.Assign(ctx, chunk); err != nil {
			return skipped, fmt.Errorf("identity: record %d assignments: %w", len(chunk), err)
		}
	}
	return skipped, nil
}

// keepers picks, for each stored member (its keys in id order), the
// resolved member (clusterOf) it stays with: the one holding most of its
// identities, ties to the one holding its lowest identity.
func keepers(byMember map[int64][]string, clusterOf map[string]int) map[int64]int {
	keeper := make(map[int64]int, len(byMember))
	for m, keys := range byMember {
		count := map[int]int{}
		var seen []int // clusters in the order of their lowest identity
		for _, k := range keys {
			if c, ok := clusterOf[k]; ok {
				if count[c] == 0 {
					seen = append(seen, c)
				}
				count[c]++
			}
		}
		best, bestN := -1, 0
		for _, c := range seen {
			if count[c] > bestN {
				best, bestN = c, count[c]
			}
		}
		if best >= 0 {
			keeper[m] = best
		}
	}
	return keeper
}

// fileAllKeys files the blocking keys of the identities a full run
// resolved (idOf), clears the dirty marks read before it, and records st.
func fileAllKeys(ctx context.Context, s Store, inc IncrementalStore, idOf map[string]int64, dirty []crm.DirtyIdentity, st crm.ResolverState) error {
	gen := make(map[int64]int64, len(dirty))
	for _, d := range dirty {
		gen[d.ID] = d.Gen
	}
	var batch []crm.IdentityKeys
	flush := func(last bool) error {
		var state *crm.ResolverState
		if last {
			state = &st
		}
		if err := inc.SaveKeys(ctx, batch, state); err != nil {
			return fmt.Errorf("identity: file blocking keys of %d identities: %w", len(batch), err)
		}
		batch = batch[:0]
		return nil
	}
	err := s.AllIdentities(ctx, func(id crm.Identity) error {
		if _, ok := idOf[id.AccountRef.String()]; !ok {
			return nil // stored after the run read: still dirty
		}
		batch = append(batch, crm.IdentityKeys{IdentityID: id.ID, Keys: BlockingKeys(id.Account), Gen: gen[id.ID]})
		if len(batch) == 5000 {
			return flush(false)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("identity: file blocking keys: %w", err)
	}
	return flush(true)
}
