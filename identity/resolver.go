package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Store is what the resolver needs from the CRM store.
type Store interface {
	Unassigned(ctx context.Context, limit int) ([]crm.Identity, error)
	IdentityByRef(ctx context.Context, ref connectors.AccountRef) (crm.Identity, error)
	EvidenceOf(ctx context.Context, ref connectors.AccountRef) ([]crm.IdentityEvidence, error)
	Assign(ctx context.Context, as []crm.Assignment) error
}

// Result counts what one Run decided.
type Result struct {
	NewMembers int
	Joined     int
}

// Resolver attaches unassigned identities to members.
type Resolver struct {
	// Logger receives one line per decision that joins an existing member.
	Logger *slog.Logger
	// BatchSize bounds how many identities one Assign call records.
	BatchSize int
}

// strong reports whether an evidence kind is, on its own, enough to put two
// accounts in one member.
func strong(kind string) bool {
	return kind == connectors.EvidenceCommitAuthorLogin
}

// Run resolves every unassigned identity in the store, in batches, and
// returns what it decided. It is safe to call after every applied batch; a
// crash between batches leaves the rest unassigned for the next call.
func (r *Resolver) Run(ctx context.Context, s Store) (Result, error) {
	var total Result
	size := r.BatchSize
	if size <= 0 {
		size = 1000
	}
	for {
		ids, err := s.Unassigned(ctx, size)
		if err != nil {
			return total, fmt.Errorf("identity: list unassigned identities: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		as, res, err := r.decide(ctx, s, ids)
		if err != nil {
			return total, err
		}
		if err := s.Assign(ctx, as); err != nil {
			return total, fmt.Errorf("identity: record %d assignments: %w", len(as), err)
		}
		total.NewMembers += res.NewMembers
		total.Joined += res.Joined
		if len(ids) < size {
			return total, nil
		}
	}
}

// decide groups the unassigned identities and picks a member for each group.
func (r *Resolver) decide(ctx context.Context, s Store, ids []crm.Identity) ([]crm.Assignment, Result, error) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].ID < ids[j].ID })
	index := make(map[connectors.AccountRef]int, len(ids))
	for i, id := range ids {
		index[id.AccountRef] = i
	}
	uf := newUnionFind(len(ids))
	// target[i] is the existing member that identity i is strongly linked to.
	target := make(map[int]int64)
	reason := make(map[int]string)
	for i, id := range ids {
		ev, err := s.EvidenceOf(ctx, id.AccountRef)
		if err != nil {
			return nil, Result{}, fmt.Errorf("identity: evidence of %s: %w", id.AccountRef, err)
		}
		sort.Slice(ev, func(a, b int) bool { return ev[a].Other.String() < ev[b].Other.String() })
		for _, e := range ev {
			if !strong(e.Kind) {
				continue
			}
			if j, ok := index[e.Other]; ok {
				if !uf.conflicts(i, j, ids) {
					uf.union(i, j)
					reason[i], reason[j] = e.Kind, e.Kind
				}
				continue
			}
			other, err := s.IdentityByRef(ctx, e.Other)
			if errors.Is(err, crm.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, Result{}, fmt.Errorf("identity: look up %s: %w", e.Other, err)
			}
			if other.MemberID == 0 {
				continue
			}
			if prev, ok := target[i]; ok && prev != other.MemberID {
				// The same account is linked to two members: a person
				// must decide. Join neither.
				target[i] = -1
				continue
			}
			if target[i] != -1 {
				target[i] = other.MemberID
				reason[i] = e.Kind
			}
		}
	}
	groups := make(map[int][]int)
	var roots []int
	for i := range ids {
		root := uf.find(i)
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], i)
	}
	var as []crm.Assignment
	var res Result
	for _, root := range roots {
		members := groups[root]
		var chosen int64
		ambiguous := false
		for _, i := range members {
			t := target[i]
			switch {
			case t == -1:
				ambiguous = true
			case t != 0 && chosen != 0 && chosen != t:
				ambiguous = true
			case t != 0:
				chosen = t
			}
		}
		if ambiguous {
			chosen = 0
		}
		if chosen == 0 {
			// One new member for the whole group: the first identity creates
			// it, the store puts the others into the same member.
			res.NewMembers++
			for k, i := range members {
				a := crm.Assignment{IdentityID: ids[i].ID, Reason: "new account"}
				if k > 0 {
					a.SameAs = ids[members[0]].ID
					a.Reason = reason[i]
				}
				as = append(as, a)
			}
			continue
		}
		for _, i := range members {
			res.Joined++
			why := reason[i]
			if why == "" {
				why = "grouped with a linked account"
			}
			if r.Logger != nil {
				r.Logger.Debug("identity joins member", "identity", ids[i].AccountRef.String(), "member", chosen, "reason", why)
			}
			as = append(as, crm.Assignment{IdentityID: ids[i].ID, MemberID: chosen, Reason: why})
		}
	}
	return as, res, nil
}

// unionFind groups identities; it refuses unions that would put two accounts
// of the same platform instance into one group.
type unionFind struct{ parent []int }

func newUnionFind(n int) *unionFind {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return &unionFind{parent: p}
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(i, j int) {
	ri, rj := u.find(i), u.find(j)
	if ri == rj {
		return
	}
	if rj < ri {
		ri, rj = rj, ri
	}
	u.parent[rj] = ri
}

// conflicts reports whether joining the groups of i and j would hold two
// different accounts of one platform instance (git e-mail identities
// excepted: one person often commits from several addresses).
func (u *unionFind) conflicts(i, j int, ids []crm.Identity) bool {
	ri, rj := u.find(i), u.find(j)
	if ri == rj {
		return false
	}
	seen := make(map[[2]string]connectors.AccountRef)
	for k := range ids {
		r := u.find(k)
		if r != ri && r != rj {
			continue
		}
		if ids[k].Platform == connectors.PlatformGit {
			// A person commits from several addresses: not a conflict.
			continue
		}
		key := [2]string{ids[k].Platform, ids[k].Instance}
		if prev, ok := seen[key]; ok && prev != ids[k].AccountRef {
			return true
		}
		seen[key] = ids[k].AccountRef
	}
	return false
}
