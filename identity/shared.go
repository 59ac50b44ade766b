package identity

import (
	"slices"
	"strings"
)

// Shared addresses. Patch relays, mailing-list gateways, bots, pairs and
// shared machines send commits from one address on behalf of several
// people. Such an address says nothing about who a commit author is: once
// the data shows it is shared, it is dropped from every identity that
// has it (dropAddress), before any phase looks for evidence, so that no
// rule (the same e-mail, a handle, an address that spells a name, a
// noreply login) can use it.

// minSharedNames is how many clearly different names (no name rule
// relates any two of them, see namesRelated) make an address shared. On
// numpy's commit history (2,517 aliases, 2,239 real addresses, gold from
// the project's .mailmap) 14 addresses carry two clearly different names
// and every one of them is one person's (a name change, a name written
// two ways); none carries three. Two would split those 14 people; three
// is the first count the data never shows for one person.
const minSharedNames = 3

// minSharedNamesGeneric is minSharedNames for an address whose local part
// names a group or a shared machine (sharedLocalWords): two people on it
// are already a shared address.
const minSharedNamesGeneric = 2

// sharedLocalWords are words of an address's local part that name a
// group of people or a machine several people use ("pair@",
// "mob-station@", "office@"). Role words that are never a person's
// address (dev@, team@, info@) are placeholders already (genericLocals).
var sharedLocalWords = map[string]bool{
	"pair": true, "pairing": true, "pairs": true, "mob": true, "mobbing": true, "ensemble": true,
	"shared": true, "share": true, "office": true, "lab": true, "labs": true, "staff": true,
	"group": true, "crew": true, "squad": true, "team": true, "teams": true, "devs": true,
	"workstation": true, "desktop": true, "laptop": true, "machine": true, "everyone": true,
	"all": true, "list": true, "lists": true, "relay": true, "gateway": true,
}

// genericLocal reports whether an address key's local part holds a word
// of sharedLocalWords.
func genericLocal(key string) bool {
	local := key
	if at := strings.LastIndexByte(key, '@'); at >= 0 {
		local = key[:at]
	}
	for _, w := range strings.FieldsFunc(local, func(r rune) bool { return r < 'a' || r > 'z' }) {
		if sharedLocalWords[w] {
			return true
		}
	}
	return false
}

// maxAddressHolders is how many identities an address may have before it
// is taken for shared without looking at their names: no one person
// writes a name that many ways.
func (x *Index) maxAddressHolders() int { return 4 * x.opts.MaxBlock }

// sharedAddress reports whether the address key is shared, from the
// identities holding it (holders; more says there were more than
// maxAddressHolders of them). It is, when
//   - one of them is named "Person via Service" (a relay, a gateway) or
//     names two people ("Ann Lee and Bo Chen", "Ann + Bo"),
//   - they carry minSharedNames clearly different full names, or
//     minSharedNamesGeneric clearly different names (one-word names
//     count too) when the local part names a group or a shared machine:
//     a one-word name is often a login unrelated to its owner's full
//     name, or
//   - there are more than maxAddressHolders of them.
//
// The answer depends on the set of holders only, never on their order.
func (x *Index) sharedAddress(key string, holders []int32, more bool) bool {
	if more {
		return true
	}
	generic := genericLocal(key)
	var names []*Name
	for _, j := range holders {
		n := x.f(j).name
		if n.Via || n.Pair {
			return true
		}
		if (n.Full() || generic && personName(n)) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	need := minSharedNames
	if generic {
		need = minSharedNamesGeneric
	}
	return clearlyDifferentNames(names, need) >= need
}

// personName reports whether n can be one person's name: not a
// placeholder or automation, a full name or one word of at least
// minNameWord letters.
func personName(n *Name) bool {
	if n.Placeholder || n.Bot || n.Compact == "" {
		return false
	}
	return n.Full() || len(n.Tokens) == 1 && len(n.Compact) >= minNameWord
}

// clearlyDifferentNames counts, up to limit, the names of a largest set
// found greedily (names taken in the order of their keys, so the count
// does not depend on the order they came in) in which no name rule
// relates any two.
func clearlyDifferentNames(names []*Name, limit int) int {
	if len(names) < 2 {
		return len(names)
	}
	slices.SortFunc(names, func(a, b *Name) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Compact, b.Compact)
	})
	var picked []*Name
	for _, n := range names {
		related := false
		for _, p := range picked {
			if namesRelated(p, n) {
				related = true
				break
			}
		}
		if !related {
			picked = append(picked, n)
			if len(picked) == limit {
				break
			}
		}
	}
	return len(picked)
}

// namesRelated reports whether some name rule lets two person names be
// one person's: the same name, compatible full names (initials,
// nicknames, spacing), names one spelling apart (namesAgree), or a
// one-word name that is a word of the other name (or holds one, "smithy"
// for "Ann Smith"), a nickname of its given name, or a handle form of it
// ("jdoe", "johndoe" for "John Doe").
func namesRelated(a, b *Name) bool {
	if a == b || a.Key == b.Key {
		return true
	}
	if a.Full() && b.Full() {
		return Compatible(*a, *b) || namesAgree(a, b) != ""
	}
	if namesAgree(a, b) != "" {
		return true
	}
	for _, p := range [2][2]*Name{{a, b}, {b, a}} {
		w, n := p[0], p[1]
		if len(w.Tokens) != 1 {
			continue
		}
		c := w.Compact
		if isNameHandle(*n, c) || holdsToken(c, *n) {
			return true
		}
		for _, t := range n.Tokens {
			if len(t) >= minNameWord && (strings.Contains(t, c) || canonicalGiven(t) == canonicalGiven(c)) {
				return true
			}
		}
	}
	return false
}

// dropSharedAddresses decides, for every address of identities
// start…end-1, whether it is shared (sharedAddress, from all the
// identities holding it, earlier ones included), and drops each shared
// address from every identity holding it. It reports whether an identity
// before start lost an address: the decisions made before are then void.
func (x *Index) dropSharedAddresses(start, end int32) bool {
	var holders []int32
	limit := x.maxAddressHolders()
	earlier := false
	for i := start; i < end; i++ {
		keys := x.f(i).emailKeys // dropAddress replaces the list, never writes it
		for _, key := range keys {
			h := hashKey(bEmail, key)
			// Each address once: at its newest holder.
			if head, ok := x.heads[h]; !ok || x.occ[head>>occBits][head&(occPage-1)].id != i {
				continue
			}
			// Every identity filed under the address holds it, or held it
			// before it was dropped as shared (a 64-bit hash collision is
			// taken for the same address).
			var n int
			holders, n = x.blockInto(h, limit, holders[:0])
			if len(holders) < 2 && n <= limit && !x.f(i).name.Via && !x.f(i).name.Pair {
				continue
			}
			if !x.sharedAddress(key, holders, n > limit) {
				continue
			}
			for _, j := range holders {
				if x.dropAddress(j, key) && j < start {
					earlier = true
				}
			}
		}
	}
	return earlier
}

// dropAddress removes the address key from identity i's features, with
// what came from it: its handle (unless another address gives it too),
// its mail domain, and for a GitHub noreply address its other key form
// and the login it names. It reports whether i had the address.
func (x *Index) dropAddress(i int32, key string) bool {
	f := x.f(i)
	if !slices.Contains(f.emailKeys, key) {
		return false
	}
	drop := []string{key}
	const noreplyDomain = "@users.noreply.github.com"
	if strings.HasSuffix(key, noreplyDomain) {
		local := strings.TrimSuffix(key, noreplyDomain)
		f.noreply = slices.DeleteFunc(slices.Clone(f.noreply), func(e mailInfo) bool {
			if e.githubLogin != local && e.githubID != local {
				return false
			}
			drop = append(drop, e.githubLogin+noreplyDomain)
			if e.githubID != "" {
				drop = append(drop, e.githubID+noreplyDomain)
			}
			if f.git {
				f.ghAccts = slices.DeleteFunc(slices.Clone(f.ghAccts), func(g ghAcct) bool { return g == ghAcct{id: e.githubID, login: e.githubLogin} })
			}
			return true
		})
	}
	var keys []string
	for _, k := range f.emailKeys {
		if !slices.Contains(drop, k) {
			keys = append(keys, k)
		}
	}
	// A commit author's handles all come from its addresses: one stays
	// when a remaining address gives it. A platform account keeps its
	// handles (its username among them).
	handleOf := func(k string) string { return HandleForm(k[:strings.LastIndexByte(k, '@')]) }
	var handles []string
	for _, h := range f.handles {
		fromDropped, fromKept := false, false
		for _, k := range drop {
			fromDropped = fromDropped || handleOf(k) == h
		}
		for _, k := range keys {
			fromKept = fromKept || handleOf(k) == h
		}
		for _, e := range f.noreply {
			fromKept = fromKept || HandleForm(e.githubLogin) == h
		}
		if !f.git || !fromDropped || fromKept {
			handles = append(handles, h)
		}
	}
	if f.domains != nil {
		d := key[strings.LastIndexByte(key, '@')+1:]
		if k := slices.IndexFunc(f.domains, func(e string) bool {
			return e == d || d == "gmail.com" && e == "googlemail.com"
		}); k >= 0 {
			f.domains = slices.Delete(slices.Clone(f.domains), k, k+1)
		}
	}
	f.emailKeys, f.handles = slices.Clip(keys), slices.Clip(handles)
	f.selfHandle = f.selfHandle && slices.Contains(f.handles, f.name.Compact)
	f.placeholderOnly = len(f.emailKeys) == 0
	return true
}

// Bridges. One identity's evidence may reach two members: an alias with
// one person's address and another person's name. Joining both would let
// one weak link chain two people. The phases decide the strongest
// evidence first (strong links, then e-mail, then names, handles and
// logins), so by the time a weaker link would join a second member the
// alias is already in the member of its strongest evidence; join refuses
// the weaker link when it would bridge, and leaves a suggestion instead.

// join records a merge of a's and b's members on medium evidence between
// a and b, unless it would bridge two members (bridges): then the pair
// becomes a suggestion.
func (x *Index) join(a, b int32) {
	if x.bridges(a, b, nil) {
		x.suggestPair(a, b)
		return
	}
	x.record(a, b)
}

// bridges reports whether evidence between identities a and b (and the
// identities carriers, which carry the same evidence) would bridge their
// members: one of the two members holds, besides them, identities that
// are all strangers to the other member (strangers), so that the link
// between a and b is all that would hold two people together.
func (x *Index) bridges(a, b int32, carriers []int32) bool {
	if x.find(a) == x.find(b) {
		return false
	}
	return x.bridgesFrom(a, []int32{b}, carriers) || x.bridgesFrom(b, []int32{a}, carriers)
}

// bridgesFrom reports whether a's member holds, besides a and carriers,
// identities that are all strangers to the members of others.
func (x *Index) bridgesFrom(a int32, others []int32, carriers []int32) bool {
	ra := x.find(a)
	if x.size[ra] == 1 {
		return false
	}
	total := int64(0)
	for _, o := range others {
		if x.find(o) == ra {
			return false
		}
		total += int64(x.size[x.find(o)])
	}
	if int64(x.size[ra])*total > 10_000 {
		return true // too large to compare: a weak link does not join them
	}
	return x.strangers(ra, a, others, carriers)
}

// strangers reports whether the identities of member m other than
// carrier and carriers, and the members of others, look like two people:
// an owner's name (ownerName) on one side that no name rule relates to an
// owner's name on the other (namesRelated), and nothing that relates any
// identity of one side to any of the other, neither a name rule nor any
// evidence, weak evidence included. A member of the carrier alone is no
// side.
func (x *Index) strangers(m, carrier int32, others []int32, carriers []int32) bool {
	differ, related, any := false, false, false
	var buf [8]Signal
	x.members(m, func(r int32) bool {
		if r == carrier || slices.Contains(carriers, r) {
			return true
		}
		any = true
		fr := x.f(r)
		for _, o := range others {
			x.members(x.find(o), func(s int32) bool {
				fs := x.f(s)
				if personName(fr.name) && personName(fs.name) {
					if namesRelated(fr.name, fs.name) {
						related = true
						return false
					}
					differ = differ || ownerName(fr) && ownerName(fs)
				}
				related = len(compareInto(buf[:0], fr, fs, x.external(r, s), false)) > 0
				return !related
			})
			if related {
				return false
			}
		}
		return true
	})
	return any && differ && !related
}

// ownerName reports whether f's name says whose identity it is: a full
// name, or a one-word name that is also its address's handle (the
// account name a machine gives its user's commits, "alice
// <alice@laptop.example>"). Other one-word names are often a login its
// owner uses beside a full name that has nothing in common with it.
func ownerName(f *features) bool {
	return f.name.Full() || oneWord(f) != "" && slices.Contains(f.handles, f.name.Compact)
}

// suggestPair keeps the evidence between identities a and b, in two
// members, as a suggestion for a person (unless suggestions are off).
func (x *Index) suggestPair(a, b int32) {
	if x.opts.NoSuggestions || x.find(a) == x.find(b) {
		return
	}
	var buf [8]Signal
	sigs := compareInto(buf[:0], x.f(a), x.f(b), x.external(a, b), false)
	x.sugg = append(x.sugg, suggPair{a: min(a, b), b: max(a, b), c: float32(confidence(sigs))})
}
