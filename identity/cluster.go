package identity

import (
	"cmp"
	"hash/maphash"
	"iter"
	"slices"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Options tunes Resolve and NewIndex.
type Options struct {
	// Links is evidence reported between identities (by Candidate key):
	// connector evidence such as commit_author_login.
	Links []Link
	// Together lists pairs of identities a person merged: they are joined
	// whatever the evidence says, and the platform veto does not apply
	// between their members.
	Together [][2]string
	// Apart lists pairs of identities a person separated: no decision ever
	// puts them into one member (Apart wins over Together).
	Apart [][2]string
	// MaxBlock is how many identities may share a name or e-mail key
	// before it is too common to merge on (default 50).
	MaxBlock int
	// NoSuggestions skips the search for weaker evidence (evaluation runs).
	NoSuggestions bool
}

// Merge is one decision to join two members, with the evidence between the
// two identities that carried it.
type Merge struct {
	A, B     string
	Strength Strength
	Evidence []Signal
}

// Suggestion is evidence too weak to merge on, for a person to review:
// identity A and B (in two members) may be one person.
type Suggestion struct {
	A, B       string
	Confidence float64
	Evidence   []Signal
	// Reasons are the evidence in words, and why it did not merge.
	Reasons []string
}

// Resolution is the outcome of resolving: members, the merges that made them and the suggestions left for a person.
type Resolution struct {
	// Members lists each member's identity keys in the order they were
	// added; members are ordered by their first identity.
	Members [][]string
	// MemberOf gives, for each identity in the order added, its index in
	// Members.
	MemberOf []int
	// Merges lists every join, in the order made.
	Merges []Merge
	// Suggestions lists at most one suggestion per pair of members, most
	// confident first.
	Suggestions []Suggestion
}

// Resolve groups identities into members. The result depends only on the
// candidates, their order and opts: the same input gives the same members.
// It equals adding the candidates to a new Index in one call.
func Resolve(cs []Candidate, opts Options) Resolution {
	return ResolveSeq(slices.Values(cs), opts)
}

// ResolveSeq is Resolve for candidates read one at a time: the same
// candidates in the same order give the same Resolution, but the caller
// need not hold them all at once.
func ResolveSeq(cs iter.Seq[Candidate], opts Options) Resolution {
	x := NewIndex(opts)
	start := x.n
	for c := range cs {
		x.stage(c)
	}
	// What is shared while preparing is no longer needed.
	x.in = nil
	x.settle(start)
	// The index is not used again: its blocking keys go before the
	// result is built.
	x.heads, x.occ, x.pos, x.linked = nil, nil, keyTable{}, nil
	return x.resolution(true)
}

// Index resolves identities incrementally: each Add compares the new
// identities with the ones already present through blocking keys, never
// with all of them. It is not safe for concurrent use.
type Index struct {
	opts Options
	// pages hold the features of identities 0…n-1, pageSize a page, so
	// that they never move.
	pages  [][]features
	n      int32
	in     *interner
	pos    keyTable // identity key → identity
	parent []int32
	ring   []int32 // next identity of the same member (a cycle)
	size   []int32

	heads map[uint64]int32 // blocking key → last occurrence
	occ   [][]occurrence   // pages of occPage occurrences
	nocc  int32

	links    map[[2]string][]string // sorted key pair → reported kinds
	linked   map[string][]string    // key → keys with reported evidence
	apart    map[[2]string]bool
	together map[[2]string]bool
	forced   map[int32]bool // identities joined by a person

	// common counts, for blocking keys whose identities were not all
	// loaded, how many identities the store files under them: more than
	// any block limit, so every phase takes them for too common.
	common map[uint64]int32
	// forgot is set when a settle undid the earlier decisions (an address
	// shown to be shared).
	forgot bool
	// suggestLater makes settle leave its last phase, the search for
	// suggestions, to the caller (an incremental run, which needs them only
	// from the resolution it keeps): nothing else depends on it.
	suggestLater bool

	// merges lists every join made, in order, as the pair of identities
	// whose evidence carried it (the later first); Resolution puts the
	// evidence into words.
	merges []edge
	// sugg holds, for each identity, the most confident evidence towards
	// at most maxSuggest earlier identities of other members; the words
	// are built by Resolution. Each pair is found once, by its later
	// identity.
	sugg []suggPair
}

// suggPair is a possible suggestion between identities a < b.
type suggPair struct {
	a, b int32
	c    float32
}

// maxSuggest caps the suggestions one new identity makes: a person reviews
// the few best, and a common name or handle cannot flood the queue.
const maxSuggest = 3

type occurrence struct {
	id   int32
	next int32 // previous occurrence of the same key, or -1
}

// Blocking key kinds.
const (
	bEmail    = 'e' // e-mail key
	bName     = 'n' // sorted full name
	bVariant  = 'v' // first initial + last name
	bHandle   = 'h' // handle forms
	bNameHdl  = 'g' // handle forms of the full name
	bProfile  = 'p' // profile URL
	bLinkTo   = 'l' // declared link target
	bVerified = 'V' // verified e-mail
	bLogin    = 'L' // GitHub login or id
	bNoreply  = 'N' // noreply login or id
	bNetwork  = 'w' // network id
	bRef      = 'r' // account ref
	bWord     = 'o' // a commit author's one-word name (minNameWord letters or more)
)

func pairKey(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// NewIndex returns an empty Index.
func NewIndex(opts Options) *Index {
	if opts.MaxBlock <= 0 {
		opts.MaxBlock = 50
	}
	x := &Index{
		opts:     opts,
		in:       newInterner(),
		pos:      newKeyTable(),
		heads:    map[uint64]int32{},
		links:    map[[2]string][]string{},
		linked:   map[string][]string{},
		apart:    map[[2]string]bool{},
		together: map[[2]string]bool{},
		forced:   map[int32]bool{},
	}
	for _, l := range opts.Links {
		x.addLink(l)
	}
	for _, p := range opts.Apart {
		x.apart[pairKey(p[0], p[1])] = true
	}
	for _, p := range opts.Together {
		if !x.apart[pairKey(p[0], p[1])] {
			x.together[pairKey(p[0], p[1])] = true
			x.addLink(Link{Kind: KindManual, A: p[0], B: p[1]})
		}
	}
	return x
}

func (x *Index) addLink(l Link) {
	if l.A == l.B {
		return
	}
	k := pairKey(l.A, l.B)
	if !slices.Contains(x.links[k], l.Kind) {
		if len(x.links[k]) == 0 {
			x.linked[l.A] = append(x.linked[l.A], l.B)
			x.linked[l.B] = append(x.linked[l.B], l.A)
		}
		x.links[k] = append(x.links[k], l.Kind)
		slices.Sort(x.links[k])
	}
}

// Len returns the number of identities in the index.
func (x *Index) Len() int { return int(x.n) }

const (
	pageBits = 12
	pageSize = 1 << pageBits
	occBits  = 14
	occPage  = 1 << occBits
)

// f returns identity i's features.
func (x *Index) f(i int32) *features { return &x.pages[i>>pageBits][i&(pageSize-1)] }

// lookup returns the identity with a key.
func (x *Index) lookup(key string) (int32, bool) {
	return x.pos.find(key, func(i int32) string { return x.f(i).key })
}

// keyTable maps identity keys to identities: an open-addressing table of
// identity numbers, the keys themselves being read from the features.
type keyTable struct {
	seed  maphash.Seed
	slots []int32 // identity + 1; 0 is empty
	n     int
}

func newKeyTable() keyTable {
	return keyTable{seed: maphash.MakeSeed(), slots: make([]int32, 1024)}
}

func (t *keyTable) find(key string, keyOf func(int32) string) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for h := maphash.String(t.seed, key) & mask; ; h = (h + 1) & mask {
		v := t.slots[h]
		if v == 0 {
			return 0, false
		}
		if keyOf(v-1) == key {
			return v - 1, true
		}
	}
}

// insert adds a key that is not in the table.
func (t *keyTable) insert(key string, id int32, keyOf func(int32) string) {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]int32, max(1024, 2*len(old)))
		for _, v := range old {
			if v != 0 {
				t.put(keyOf(v-1), v)
			}
		}
	}
	t.put(key, id+1)
	t.n++
}

func (t *keyTable) put(key string, v int32) {
	mask := uint64(len(t.slots) - 1)
	h := maphash.String(t.seed, key) & mask
	for t.slots[h] != 0 {
		h = (h + 1) & mask
	}
	t.slots[h] = v
}

// hashKey is the 64-bit FNV-1a hash of kind followed by s.
func hashKey(kind byte, s string) uint64 { return hashKey2(kind, s, "") }

// hashKey2 is hashKey(kind, s+t), without building s+t.
func hashKey2(kind byte, s, t string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h ^= uint64(kind)
	h *= prime
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	for i := 0; i < len(t); i++ {
		h ^= uint64(t[i])
		h *= prime
	}
	return h
}

// blockInto appends to buf the identities under the key with hash h,
// newest first, at most limit of them, and reports how many there were in
// all when fewer than limit+1 (else limit+1).
func (x *Index) blockInto(h uint64, limit int, buf []int32) ([]int32, int) {
	if c, ok := x.common[h]; ok && int(c) > limit {
		// Filed under by more identities than were loaded: too many.
		i, ok := x.heads[h]
		for n := 0; ok && i >= 0 && n < limit; n++ {
			o := x.occ[i>>occBits][i&(occPage-1)]
			buf = append(buf, o.id)
			i = o.next
		}
		return buf, limit + 1
	}
	i, ok := x.heads[h]
	if !ok {
		return buf, 0
	}
	n := 0
	for i >= 0 {
		if n == limit {
			return buf, n + 1
		}
		o := x.occ[i>>occBits][i&(occPage-1)]
		buf = append(buf, o.id)
		n++
		i = o.next
	}
	return buf, n
}

func (x *Index) insertKey(kind byte, s string, id int32) {
	if s == "" {
		return
	}
	k := hashKey(kind, s)
	prev, ok := x.heads[k]
	if !ok {
		prev = -1
	}
	if x.nocc&(occPage-1) == 0 {
		x.occ = append(x.occ, make([]occurrence, 0, occPage))
	}
	p := &x.occ[len(x.occ)-1]
	*p = append(*p, occurrence{id: id, next: prev})
	x.heads[k] = x.nocc
	x.nocc++
}

// blockIfFew calls fn for the identities under a key, newest first, when
// there are at most limit of them (a key more are filed under is too
// common to take: taking only the newest would make the members depend on
// the order the identities came in). buf is reused between calls and
// returned.
func (x *Index) blockIfFew(kind byte, s string, limit int, buf []int32, fn func(id int32)) []int32 {
	if s == "" {
		return buf
	}
	buf, n := x.blockInto(hashKey(kind, s), limit, buf[:0])
	if n > limit {
		return buf
	}
	for _, id := range buf {
		fn(id)
	}
	return buf
}

// block calls fn for the identities under a key, newest first, at most
// limit of them; it reports how many there were in all when fewer than
// limit+1 (else limit+1).
func (x *Index) block(kind byte, s string, limit int, fn func(id int32)) int {
	if s == "" {
		return 0
	}
	var buf [256]int32
	ids, n := x.blockInto(hashKey(kind, s), limit, buf[:0])
	for _, id := range ids {
		fn(id)
	}
	return n
}

// variantKeys are first-initial + last-name keys of a full name.
func variantKeys(n Name) []string {
	if !n.Full() {
		return nil
	}
	first, last := n.Tokens[0], n.Tokens[len(n.Tokens)-1]
	a := first[:1] + " " + last
	b := canonicalGiven(first)[:1] + " " + last
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

func (x *Index) keysOf(f *features, fn func(kind byte, s string)) {
	for _, k := range f.emailKeys {
		fn(bEmail, k)
	}
	if k := mergeNameKey(f); k != "" {
		fn(bName, k)
	}
	if w := oneWord(f); w != "" {
		fn(bWord, w)
	}
	if f.name.Full() {
		for _, k := range variantKeys(*f.name) {
			fn(bVariant, k)
		}
		for _, h := range NameHandles(*f.name) {
			fn(bNameHdl, h)
		}
		// The full name written out with another form of the given name
		// ("jeffdoe" for "Jeffrey Doe"; see isFullNameHandle).
		first, last := f.name.Tokens[0], f.name.Tokens[len(f.name.Tokens)-1]
		givenForms(first, func(g string) {
			if g != first {
				fn(bNameHdl, g+last)
				fn(bNameHdl, last+g)
			}
		})
	}
	for _, h := range f.handles {
		fn(bHandle, h)
	}
	for _, p := range f.profiles {
		fn(bProfile, p)
	}
	for _, l := range f.links {
		fn(bLinkTo, l)
	}
	for _, l := range f.vlinks {
		fn(bLinkTo, l)
	}
	for _, v := range f.verified {
		fn(bVerified, v)
	}
	for _, g := range f.ghAccts {
		if f.login != "" {
			fn(bLogin, "id:"+g.id)
			fn(bLogin, g.login)
		} else {
			if g.id != "" {
				fn(bNoreply, "id:"+g.id)
			}
			fn(bNoreply, g.login)
		}
	}
	if f.network != "" {
		fn(bNetwork, f.ref.Platform+"/"+f.network)
	}
	if !f.ref.IsZero() {
		fn(bRef, f.ref.String())
	}
}

// strongProbes lists the keys under which x's strong partners are filed.
func strongProbes(f *features, fn func(kind byte, s string)) {
	for _, g := range f.ghAccts {
		if f.login != "" {
			fn(bNoreply, "id:"+g.id)
			fn(bNoreply, g.login)
		} else {
			if g.id != "" {
				fn(bLogin, "id:"+g.id)
			}
			fn(bLogin, g.login)
		}
	}
	for _, v := range f.verified {
		fn(bVerified, v)
	}
	for _, p := range f.profiles {
		fn(bLinkTo, p)
	}
	for _, l := range f.links {
		fn(bProfile, l)
	}
	for _, l := range f.vlinks {
		fn(bProfile, l)
	}
	if f.network != "" {
		fn(bNetwork, f.ref.Platform+"/"+f.network)
	}
	if !f.ref.IsZero() {
		fn(bRef, f.ref.String())
	}
}

// weakProbes lists the keys under which x's weaker partners are filed.
func weakProbes(f *features, fn func(kind byte, s string)) {
	strongProbes(f, fn)
	for _, k := range f.emailKeys {
		fn(bEmail, k)
	}
	if f.name.Full() {
		fn(bName, f.name.Key)
		for _, k := range variantKeys(*f.name) {
			fn(bVariant, k)
		}
		for _, h := range NameHandles(*f.name) {
			fn(bHandle, h)
		}
	} else if !f.name.Placeholder && len(f.name.Tokens) == 1 {
		fn(bHandle, f.name.Compact)
	}
	if w := oneWord(f); w != "" {
		fn(bWord, w) // the same one-word name
	}
	for _, h := range f.handles {
		fn(bHandle, h)
		fn(bNameHdl, h)
	}
}

func (x *Index) find(i int32) int32 {
	for x.parent[i] != i {
		x.parent[i] = x.parent[x.parent[i]]
		i = x.parent[i]
	}
	return i
}

// members calls fn for every identity of i's member.
func (x *Index) members(i int32, fn func(j int32) bool) {
	j := i
	for {
		if !fn(j) {
			return
		}
		j = x.ring[j]
		if j == i {
			return
		}
	}
}

func (x *Index) union(a, b int32) {
	ra, rb := x.find(a), x.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	x.parent[rb] = ra
	x.size[ra] += x.size[rb]
	x.ring[ra], x.ring[rb] = x.ring[rb], x.ring[ra]
}

// vetoed reports whether the members of a and b must stay apart whatever
// the evidence: a separation recorded by a person, or two different
// accounts of one platform instance (unless a person joined them).
func (x *Index) vetoed(a, b int32) (bool, string) {
	ra, rb := x.find(a), x.find(b)
	if ra == rb {
		return false, ""
	}
	if int64(x.size[ra])*int64(x.size[rb]) > 1_000_000 {
		return true, "the members are too large to compare"
	}
	why := ""
	x.members(ra, func(p int32) bool {
		fp := x.f(p)
		x.members(rb, func(q int32) bool {
			fq := x.f(q)
			if len(x.apart) > 0 && x.apart[pairKey(fp.key, fq.key)] {
				why = "a person separated " + fp.key + " and " + fq.key
				return false
			}
			if x.forced[p] && x.forced[q] {
				return true
			}
			if !fp.git && !fq.git && fp.ref.Platform == fq.ref.Platform && fp.ref.Instance == fq.ref.Instance && fp.ref.ExternalID != fq.ref.ExternalID {
				why = "two accounts of " + fp.ref.Platform + " " + fp.ref.Instance
				return false
			}
			for _, u := range fp.ghAccts {
				for _, v := range fq.ghAccts {
					if u.differs(v) {
						why = "two GitHub accounts (" + u.login + ", " + v.login + ")"
						return false
					}
				}
			}
			return true
		})
		return why == ""
	})
	return why != "", why
}

// consistent reports whether the members of a and b may merge on medium
// evidence: no veto, no automation, and every pair of full names across
// them compatible.
func (x *Index) consistent(a, b int32, names bool) (bool, string) {
	return x.consistentExcept(a, b, names, -1, false)
}

// consistentExcept is consistent, not comparing the name of identity skip
// (-1: compare all) and, with spelling, taking full names one spelling
// apart (see namesAgree) as compatible.
func (x *Index) consistentExcept(a, b int32, names bool, skip int32, spelling bool) (bool, string) {
	if v, why := x.vetoed(a, b); v {
		return false, why
	}
	var na, nb []*Name
	bot := false
	collect := func(r int32, out *[]*Name) {
		x.members(r, func(p int32) bool {
			f := x.f(p)
			if f.bot {
				bot = true
			}
			if f.name.Full() && p != skip {
				for _, n := range *out {
					if n.Key == f.name.Key {
						return true
					}
				}
				*out = append(*out, f.name)
			}
			return true
		})
	}
	collect(x.find(a), &na)
	collect(x.find(b), &nb)
	if bot {
		return false, "an automation account"
	}
	if !names {
		return true, ""
	}
	for _, m := range na {
		for _, n := range nb {
			if !Compatible(*m, *n) && !(spelling && namesAgree(m, n) != "") {
				return false, "the names " + strings.Join(m.Tokens, " ") + " and " + strings.Join(n.Tokens, " ") + " differ"
			}
		}
	}
	return true, ""
}

// Add resolves new identities against each other and against those already
// in the index. An identity whose key is already present is ignored.
//
// Order of decisions: strong evidence first (edges sorted by identity
// order), then groups of identities sharing an e-mail key, a full name or
// a handle, then login-like names, then names and addresses that agree
// (agreePhase), then suggestions. A group merges all or nothing: if any two
// of its members may not merge, the key is ambiguous and none do.
func (x *Index) Add(cs ...Candidate) {
	start := x.n
	for _, c := range cs {
		x.stage(c)
	}
	x.settle(start)
}

// stage files a new identity under its keys, deciding nothing yet.
func (x *Index) stage(c Candidate) {
	f := prepareInto(c, x.in)
	if _, dup := x.lookup(f.key); dup {
		return
	}
	id := x.n
	if id&(pageSize-1) == 0 {
		x.pages = append(x.pages, make([]features, pageSize))
	}
	p := x.f(id)
	*p = f
	x.n++
	x.pos.insert(f.key, id, func(i int32) string { return x.f(i).key })
	x.parent = append(x.parent, id)
	x.ring = append(x.ring, id)
	x.size = append(x.size, 1)
	x.keysOf(p, func(kind byte, s string) { x.insertKey(kind, s, id) })
}

// settle makes the decisions for the identities staged from start on.
func (x *Index) settle(start int32) {
	end := x.n
	if x.dropSharedAddresses(start, end) && start > 0 {
		// An address the new identities show to be shared may have
		// carried earlier decisions: they are made again without it, as
		// if every identity had come in one batch.
		x.forget()
		x.forgot = true
		start = 0
	}
	x.markForced(start, end)
	x.strongPhase(start, end)
	x.groupPhase(start, end, bEmail)
	x.groupPhase(start, end, bName)
	x.groupPhase(start, end, bHandle)
	x.loginPhase(start, end)
	x.agreePhase(start, end)
	if !x.opts.NoSuggestions && !x.suggestLater {
		x.suggestPhase(start, end)
	}
}

// forget undoes every decision: each identity is its own member again,
// with no merges and no suggestions.
func (x *Index) forget() {
	for i := range x.n {
		x.parent[i], x.ring[i], x.size[i] = i, i, 1
	}
	x.merges, x.sugg = nil, nil
	clear(x.forced)
}

type edge struct {
	a, b int32
}

func (x *Index) external(a, b int32) []string {
	if len(x.links) == 0 {
		return nil
	}
	return x.links[pairKey(x.f(a).key, x.f(b).key)]
}

func (x *Index) strongPhase(start, end int32) {
	var edges []edge
	var buf []Signal
	var cands []int32
	seen := make([]int32, end) // seen[j] == i+1: j was compared with i
	for i := start; i < end; i++ {
		f := x.f(i)
		try := func(j int32) {
			if j == i || seen[j] == i+1 || (j >= start && j > i) {
				return
			}
			seen[j] = i + 1
			buf = compareInto(buf[:0], f, x.f(j), x.external(i, j), false)
			if best(buf) == Strong {
				edges = append(edges, edge{i, j})
			}
		}
		for _, other := range x.linked[f.key] {
			if j, ok := x.lookup(other); ok {
				try(j)
			}
		}
		strongProbes(f, func(kind byte, s string) {
			cands = x.blockIfFew(kind, s, 4*x.opts.MaxBlock, cands, try)
		})
	}
	slices.SortFunc(edges, func(p, q edge) int {
		return cmp.Or(cmp.Compare(min(p.a, p.b), min(q.a, q.b)), cmp.Compare(max(p.a, p.b), max(q.a, q.b)))
	})
	// An identity strongly linked to two different accounts of one
	// platform instance (one e-mail that the forge linked to two logins)
	// is ambiguous: it joins neither, so that it cannot pull either
	// person's standing towards the other. A person decides.
	ambiguous := map[int32]bool{}
	platformOf := func(i int32) (string, bool) {
		r := x.f(i).ref
		if r == nil || r.Platform == "" || r.Platform == connectors.PlatformGit {
			return "", false
		}
		return r.Platform + "/" + r.Instance, true
	}
	seenVia := map[int32]map[string]string{}
	for _, e := range edges {
		for _, pair := range [2][2]int32{{e.a, e.b}, {e.b, e.a}} {
			self, other := pair[0], pair[1]
			plat, ok := platformOf(other)
			if !ok {
				continue
			}
			if seenVia[self] == nil {
				seenVia[self] = map[string]string{}
			}
			key := x.f(other).key
			if prev, ok := seenVia[self][plat]; ok && prev != key {
				ambiguous[self] = true
			}
			seenVia[self][plat] = key
		}
	}
	// Manual joins first, then the rest.
	for pass := 0; pass < 2; pass++ {
		for _, e := range edges {
			manual := x.forced[e.a] && x.forced[e.b] && x.together[pairKey(x.f(e.a).key, x.f(e.b).key)]
			if manual != (pass == 0) || x.find(e.a) == x.find(e.b) {
				continue
			}
			if !manual && (ambiguous[e.a] || ambiguous[e.b]) {
				continue
			}
			if v, _ := x.vetoed(e.a, e.b); v {
				continue
			}
			x.record(e.a, e.b)
		}
	}
}

func (x *Index) record(a, b int32) {
	x.merges = append(x.merges, edge{a, b})
	x.union(a, b)
}

// groupPhase merges, key by key, the members that share an e-mail key or a
// full name, all or nothing.
func (x *Index) groupPhase(start, end int32, kind byte) {
	done := map[uint64]bool{}
	var ids []int32
	for i := start; i < end; i++ {
		f := x.f(i)
		var keys []string
		switch {
		case kind == bEmail:
			keys = f.emailKeys
		case !f.git || f.bot:
		case kind == bName && mergeNameKey(f) != "":
			keys = []string{mergeNameKey(f)}
		case kind == bHandle:
			for _, h := range f.handles {
				if len(h) >= minHandleName && f.name.Full() || f.selfHandleIs(h) || len(h) >= minLongHandle {
					keys = append(keys, h)
				}
			}
		}
		for _, k := range keys {
			h := hashKey(kind, k)
			if done[h] {
				continue
			}
			done[h] = true
			ids = ids[:0]
			n := x.block(kind, k, x.opts.MaxBlock, func(j int32) {
				g := x.f(j)
				switch {
				case kind == bEmail && slices.Contains(g.emailKeys, k),
					kind == bName && mergeNameKey(g) == k,
					kind == bHandle && g.git && !g.bot && (g.name.Full() || g.selfHandleIs(k) || len(k) >= minLongHandle) && slices.Contains(g.handles, k):
					ids = append(ids, j)
				}
			})
			if n > x.opts.MaxBlock || len(ids) < 2 {
				continue
			}
			slices.Sort(ids)
			if kind == bHandle && !x.handleGroupOK(ids, k) {
				continue
			}
			if kind != bEmail && x.anyNameShared(ids) || kind == bHandle && x.namesHeldOutside(ids, ids) {
				continue
			}
			x.mergeGroup(ids, kind)
		}
	}
}

// loginPhase joins commit authors whose one-word, login-like name is a
// handle form or the address handle of other commit authors' full name
// (KindLoginName): for each such word, the full-name authors under it must
// all be in one member already, and every member joining must be
// consistent with it; else the word is ambiguous and nothing merges.
func (x *Index) loginPhase(start, end int32) {
	done := map[uint64]bool{} // hashKey(bWord, w) of the words decided
	var words, fulls []int32
	var keys []string
	for i := start; i < end; i++ {
		f := x.f(i)
		keys = keys[:0]
		if w := loginWord(f); w != "" {
			keys = append(keys, w)
		}
		if f.git && !f.bot && f.name.Full() {
			keys = appendNameHandles(keys, *f.name)
			keys = append(keys, f.handles...)
		}
		for _, w := range keys {
			if len(w) < minLoginLike || done[hashKey(bWord, w)] {
				continue
			}
			done[hashKey(bWord, w)] = true
			words, fulls = words[:0], fulls[:0]
			n := x.block(bWord, w, x.opts.MaxBlock, func(j int32) {
				if loginWord(x.f(j)) == w {
					words = append(words, j)
				}
			})
			if n == 0 || n > x.opts.MaxBlock {
				continue
			}
			probe := func(j int32) {
				g := x.f(j)
				if g.git && !g.bot && g.name.Full() && !slices.Contains(fulls, j) && loginName(x.f(words[0]), g, false) != "" {
					fulls = append(fulls, j)
				}
			}
			m := x.block(bNameHdl, w, x.opts.MaxBlock, probe)
			m2 := x.block(bHandle, w, x.opts.MaxBlock, probe)
			if len(fulls) == 0 || m > x.opts.MaxBlock || m2 > x.opts.MaxBlock {
				continue
			}
			slices.Sort(words)
			slices.Sort(fulls)
			hub := fulls[0]
			rh := x.find(hub)
			ok := true
			for _, j := range fulls[1:] {
				if x.find(j) != rh {
					ok = false
					break
				}
			}
			if !ok || x.anyNameShared(fulls) || x.namesHeldOutside(fulls, append(slices.Clone(fulls), words...)) {
				continue
			}
			var joins []int32
			seen := map[int32]bool{rh: true}
			for _, j := range words {
				if r := x.find(j); !seen[r] {
					seen[r] = true
					joins = append(joins, j)
				}
			}
			for _, j := range joins {
				if c, _ := x.consistent(j, hub, true); !c {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for _, j := range joins {
				if x.find(j) == x.find(hub) {
					continue
				}
				if c, _ := x.consistent(j, hub, true); !c {
					continue
				}
				x.join(j, hub)
			}
		}
	}
}

// agreePhase joins commit authors on KindAddressName, KindNameAndAddress
// and KindNameIsLogin evidence. An identity with such evidence towards
// identities of two or more other members is ambiguous and joins none of
// them, unless those members have such evidence between them too or the
// identities it reaches carry names that agree (one person's scattered
// identities, not two people). A one-sided claim (an address spelling a
// name, a name that is a login) makes only its maker ambiguous: many
// addresses may spell one person's name, one address may not spell two
// people's. Every join must be consistent: no veto, no automation, and
// compatible names (or names one spelling apart), the name of an identity
// whose address spells the other's name excepted: the address says whose
// it is.
func (x *Index) agreePhase(start, end int32) {
	var edges []agreeEdge
	var cands []int32
	seen := make([]int32, end) // seen[j] == i+1: j was compared with i
	for i := start; i < end; i++ {
		f := x.f(i)
		if !f.git || f.bot {
			continue
		}
		// probe compares i with the identities filed under kind and the
		// key s+t.
		probe := func(kind byte, s, t string) {
			if len(s)+len(t) < minNameWord {
				return
			}
			var n int
			cands, n = x.blockInto(hashKey2(kind, s, t), x.opts.MaxBlock, cands[:0])
			if n > x.opts.MaxBlock {
				return // too common to decide on
			}
			for _, j := range cands {
				if j == i || seen[j] == i+1 || (j >= start && j > i) {
					continue
				}
				seen[j] = i + 1
				if x.find(j) == x.find(i) {
					continue // already one member
				}
				if e, ok := agreeBetween(i, j, f, x.f(j)); ok {
					edges = append(edges, e)
				}
			}
		}
		for _, h := range f.handles {
			probe(bHandle, h, "")  // the same handle; a handle that is the other's one-word name
			probe(bNameHdl, h, "") // a handle that spells the other's full name
			probe(bWord, h, "")    // the other's one-word name is this handle
		}
		for _, e := range f.noreply {
			probe(bWord, HandleForm(e.githubLogin), "") // the other's name is this login
		}
		if w := oneWord(f); w != "" {
			probe(bHandle, w, "")
			probe(bWord, w, "") // the same one-word name, with addresses alike
			if len(w) >= minLoginLike {
				probe(bNoreply, w, "")
			}
		}
		if f.name.Full() {
			last := f.name.Tokens[len(f.name.Tokens)-1]
			givenForms(f.name.Tokens[0], func(first string) {
				probe(bHandle, first, last)
				probe(bHandle, last, first)
			})
		}
	}
	if len(edges) == 0 {
		return
	}
	slices.SortFunc(edges, func(p, q agreeEdge) int { return cmp.Or(cmp.Compare(p.a, q.a), cmp.Compare(p.b, q.b)) })
	edges = slices.CompactFunc(edges, func(p, q agreeEdge) bool { return p.a == q.a && p.b == q.b })

	// The members each identity's evidence reaches, before any join here,
	// and through which identity; the pairs of members linked by evidence.
	type reached struct{ i, root, via int32 }
	var notes []reached
	linked := make([][2]int32, 0, len(edges))
	for _, e := range edges {
		ra, rb := x.find(e.a), x.find(e.b)
		if ra == rb {
			continue
		}
		if e.from != e.b {
			notes = append(notes, reached{e.a, rb, e.b})
		}
		if e.from != e.a {
			notes = append(notes, reached{e.b, ra, e.a})
		}
		linked = append(linked, [2]int32{min(ra, rb), max(ra, rb)})
	}
	slices.SortFunc(notes, func(p, q reached) int {
		return cmp.Or(cmp.Compare(p.i, q.i), cmp.Compare(p.root, q.root), cmp.Compare(p.via, q.via))
	})
	notes = slices.CompactFunc(notes, func(p, q reached) bool { return p.i == q.i && p.root == q.root })
	byPair := func(p, q [2]int32) int { return cmp.Or(cmp.Compare(p[0], q[0]), cmp.Compare(p[1], q[1])) }
	slices.SortFunc(linked, byPair)
	linked = slices.Compact(linked)
	isLinked := func(r, s int32) bool {
		_, ok := slices.BinarySearchFunc(linked, [2]int32{min(r, s), max(r, s)}, byPair)
		return ok
	}
	ambiguous := map[int32]bool{}
	for k := 0; k < len(notes); {
		n := k + 1
		for n < len(notes) && notes[n].i == notes[k].i {
			n++
		}
		group := notes[k:n]
	check:
		for p := range group {
			for q := p + 1; q < len(group); q++ {
				if isLinked(group[p].root, group[q].root) || namesAgree(x.f(group[p].via).name, x.f(group[q].via).name) != "" {
					continue
				}
				ambiguous[group[0].i] = true
				break check
			}
		}
		k = n
	}
	for _, e := range edges {
		if ambiguous[e.a] || ambiguous[e.b] || x.find(e.a) == x.find(e.b) {
			continue
		}
		// A full name that two accounts of one platform wear, or that a
		// third member wears, is two people's: agreeing with it, or
		// spelling it, says nothing.
		if x.anyNameShared([]int32{e.a, e.b}) || x.nameElsewhere(e) {
			continue
		}
		if ok, _ := x.consistentExcept(e.a, e.b, true, e.skip, true); !ok {
			continue
		}
		x.join(e.a, e.b)
	}
}

// namesHeldOutside reports whether a full name of the identities ids is
// worn in a member holding none of the identities in (so two people
// have it), or by too many identities to tell.
func (x *Index) namesHeldOutside(ids, in []int32) bool {
	var done []string
	roots := make([]int32, 0, len(in))
	for _, j := range in {
		roots = append(roots, x.find(j))
	}
	for _, i := range ids {
		f := x.f(i)
		if !f.name.Full() || slices.Contains(done, f.name.Key) {
			continue
		}
		done = append(done, f.name.Key)
		if x.nameWornOutside(f.name.Key, roots) {
			return true
		}
	}
	return false
}

// nameElsewhere reports whether a full name that e's evidence rests on is
// also worn in a member other than the one(s) it would join: then two
// people have the name, and the address spelling it, or a name agreeing
// with it, may be either's. For an address that spells a name, the name
// is the bearer's and only the bearer's member may wear it; otherwise
// both names count, and the two members may wear them.
func (x *Index) nameElsewhere(e agreeEdge) bool {
	ra, rb := x.find(e.a), x.find(e.b)
	check := func(i int32, roots ...int32) bool {
		f := x.f(i)
		return f.name.Full() && x.nameWornOutside(f.name.Key, roots)
	}
	switch e.skip {
	case e.a: // a's address spells b's name
		return check(e.b, rb)
	case e.b:
		return check(e.a, ra)
	}
	return check(e.a, ra, rb) || check(e.b, ra, rb)
}

// nameWornOutside reports whether an identity in a member other than
// roots has the full name key, or too many identities have it to tell.
func (x *Index) nameWornOutside(key string, roots []int32) bool {
	outside := false
	n := x.block(bName, key, x.opts.MaxBlock, func(j int32) {
		if x.f(j).name.Key == key && !slices.Contains(roots, x.find(j)) {
			outside = true
		}
	})
	return outside || n > x.opts.MaxBlock
}

// agreeEdge is KindAddressName, KindNameAndAddress or KindNameIsLogin
// evidence between identities a < b.
type agreeEdge struct {
	a, b int32
	// skip is the identity whose own name is not compared (its address
	// spells the other's name), or -1.
	skip int32
	// from is the identity making a one-sided claim (its address spells
	// the other's name, its name is the other's login), or -1 when the
	// evidence is mutual.
	from int32
}

// agreeBetween finds agreeEdge evidence between identities i (features f)
// and j (features g), both commit authors.
func agreeBetween(i, j int32, f, g *features) (agreeEdge, bool) {
	if !g.git || g.bot {
		return agreeEdge{}, false
	}
	e := agreeEdge{a: min(i, j), b: max(i, j), skip: -1, from: -1}
	fg, gf := spelledName(f, g) != "", spelledName(g, f) != ""
	lf, lg := nameIsLogin(f, g) != "", nameIsLogin(g, f) != ""
	mutual := nameAndAddress(f, g, false) != ""
	if !fg && !gf && !lf && !lg && !mutual {
		return e, false
	}
	switch {
	case fg && !gf:
		e.skip = i
	case gf && !fg:
		e.skip = j
	}
	switch {
	case mutual:
	case e.skip >= 0:
		e.from = e.skip
	case lf && !lg:
		e.from = i
	case lg && !lf:
		e.from = j
	}
	return e, true
}

// oneWord returns a commit author's one-word name of at least minNameWord
// letters, or "".
func oneWord(f *features) string {
	if !f.git || f.bot || f.name.Placeholder || len(f.name.Tokens) != 1 || len(f.name.Compact) < minNameWord {
		return ""
	}
	return f.name.Compact
}

// anyNameShared reports whether a full name of the identities ids is worn
// by two different accounts of one platform instance in different members:
// two people share it, so it says nothing about which one an identity is.
func (x *Index) anyNameShared(ids []int32) bool {
	var done []string
	for _, i := range ids {
		f := x.f(i)
		if !f.name.Full() || slices.Contains(done, f.name.Key) {
			continue
		}
		done = append(done, f.name.Key)
		if x.nameShared(f.name.Key) {
			return true
		}
	}
	return false
}

// nameShared reports whether two accounts of one platform instance, in
// different members, have the full name key.
func (x *Index) nameShared(key string) bool {
	var accts []int32
	shared := false
	x.block(bName, key, x.opts.MaxBlock, func(j int32) {
		g := x.f(j)
		if shared || g.git || g.name.Key != key {
			return
		}
		for _, a := range accts {
			h := x.f(a)
			if h.ref.Platform == g.ref.Platform && h.ref.Instance == g.ref.Instance && h.ref.ExternalID != g.ref.ExternalID && x.find(a) != x.find(j) {
				shared = true
				return
			}
		}
		accts = append(accts, j)
	})
	return shared
}

// mergeGroup merges the members of ids when every two of them may merge.
// For names, only members holding a commit author with the name merge: a
// name on a platform profile is self-declared.
func (x *Index) mergeGroup(ids []int32, kind byte) {
	var roots []int32
	anchor := map[int32]int32{} // root → an identity in the group with the key
	for _, j := range ids {
		r := x.find(j)
		a, ok := anchor[r]
		if !ok {
			roots = append(roots, r)
			anchor[r] = j
			continue
		}
		if kind == bName && !x.f(a).git && x.f(j).git {
			anchor[r] = j
		}
	}
	if len(roots) < 2 {
		return
	}
	for i := range roots {
		for j := i + 1; j < len(roots); j++ {
			if ok, _ := x.consistent(roots[i], roots[j], kind == bHandle); !ok {
				return
			}
		}
	}
	// A member that holds strangers to the other members of the group
	// (bridgesFrom) stays out and leaves suggestions; the others join.
	// Deciding this for every member before any joins keeps the result
	// independent of the order of the group.
	var joining []int32
	for _, r := range roots {
		if kind == bName && !x.f(anchor[r]).git {
			continue
		}
		joining = append(joining, r)
	}
	out := make([]bool, len(joining))
	for i, r := range joining {
		others := make([]int32, 0, len(joining)-1)
		for j, s := range joining {
			if i != j {
				others = append(others, anchor[s])
			}
		}
		if x.bridgesFrom(anchor[r], others, ids) {
			out[i] = true
			for _, o := range others {
				x.suggestPair(anchor[r], o)
			}
		}
	}
	var first int32 = -1
	for i, r := range joining {
		if out[i] {
			continue
		}
		if first < 0 {
			first = anchor[r]
			continue
		}
		x.record(anchor[r], first)
	}
}

func (x *Index) suggestPhase(start, end int32) {
	seen := make([]int32, end) // seen[j] == i+1: j was compared with i
	limit := x.opts.MaxBlock
	var found []suggPair
	var buf []Signal
	var cands []int32
	for i := start; i < end; i++ {
		f := x.f(i)
		found = found[:0]
		ri := x.find(i)
		try := func(j int32) {
			if j == i || seen[j] == i+1 || (j >= start && j > i) {
				return
			}
			seen[j] = i + 1
			rj := x.find(j)
			if rj == ri {
				return
			}
			sigs := compareInto(buf[:0], f, x.f(j), x.external(i, j), false)
			buf = sigs
			if len(sigs) == 0 {
				return
			}
			// Two different accounts of one platform with only a
			// similar name or handle are two people, not a suggestion.
			if best(sigs) == Weak && !f.git && !x.f(j).git && f.ref.Platform == x.f(j).ref.Platform && f.ref.Instance == x.f(j).ref.Instance {
				return
			}
			found = append(found, suggPair{a: min(i, j), b: max(i, j), c: float32(confidence(sigs))})
		}
		for _, other := range x.linked[f.key] {
			if j, ok := x.lookup(other); ok {
				try(j)
			}
		}
		weakProbes(f, func(kind byte, s string) {
			cands = x.blockIfFew(kind, s, limit, cands, try) // a key too common is not suggested on
		})
		slices.SortFunc(found, func(p, q suggPair) int {
			return cmp.Or(cmp.Compare(q.c, p.c), cmp.Compare(p.a, q.a), cmp.Compare(p.b, q.b))
		})
		x.sugg = append(x.sugg, found[:min(len(found), maxSuggest)]...)
	}
}

// Resolution returns the members, merges and suggestions so far.
func (x *Index) Resolution() Resolution { return x.resolution(false) }

// slab hands out short slices cut from large shared arrays, with no spare
// capacity (appending to one copies it).
type slab[T any] struct{ free []T }

// clone returns a copy of l cut from the slab; nil when l is empty.
func (s *slab[T]) clone(l []T) []T {
	if len(l) == 0 {
		return nil
	}
	if len(s.free) < len(l) {
		s.free = make([]T, max(4096, len(l)))
	}
	out := s.free[:len(l):len(l)]
	copy(out, l)
	s.free = s.free[len(l):]
	return out
}

// resolution builds the Resolution; with done set, the index is not used
// again and what was only kept for it is let go as it goes.
func (x *Index) resolution(done bool) Resolution {
	n := x.n
	var sigSlab slab[Signal]
	var strSlab slab[string]
	var buf []Signal
	res := Resolution{MemberOf: make([]int, n), Merges: make([]Merge, len(x.merges))}
	for k, e := range x.merges {
		buf = compareInto(buf[:0], x.f(e.a), x.f(e.b), x.external(e.a, e.b), true)
		sigs := sigSlab.clone(buf)
		res.Merges[k] = Merge{A: x.f(e.b).key, B: x.f(e.a).key, Strength: best(sigs), Evidence: sigs}
	}
	if done {
		x.merges = nil
	}
	// Every identity points to its member's root from here on.
	for i := range n {
		x.parent[i] = x.find(i)
	}
	num := make([]int32, n) // root → member number + 1
	var total int
	for i := range n {
		r := x.parent[i]
		if num[r] == 0 {
			res.Members = append(res.Members, nil)
			num[r] = int32(len(res.Members))
			total += int(x.size[r])
		}
		res.MemberOf[i] = int(num[r] - 1)
	}
	keys := make([]string, 0, total)
	for i := range n {
		r := x.parent[i]
		m := num[r] - 1
		if res.Members[m] == nil {
			off := len(keys)
			keys = keys[:off+int(x.size[r])]
			res.Members[m] = keys[off:off:len(keys)]
		}
		res.Members[m] = append(res.Members[m], x.f(i).key)
	}
	num = nil
	// The most confident pair between each two members (ties: the
	// earliest identities). Members never split: a pair inside one
	// member is dropped for good.
	root := func(i int32) int32 { return x.parent[i] }
	x.sugg = slices.DeleteFunc(x.sugg, func(p suggPair) bool { return root(p.a) == root(p.b) })
	slices.SortFunc(x.sugg, func(p, q suggPair) int {
		pa, pb, qa, qb := root(p.a), root(p.b), root(q.a), root(q.b)
		return cmp.Or(cmp.Compare(min(pa, pb), min(qa, qb)), cmp.Compare(max(pa, pb), max(qa, qb)), cmp.Compare(q.c, p.c), cmp.Compare(p.a, q.a), cmp.Compare(p.b, q.b))
	})
	var best []suggPair
	for k, p := range x.sugg {
		if k > 0 {
			q := x.sugg[k-1]
			if min(root(p.a), root(p.b)) == min(root(q.a), root(q.b)) && max(root(p.a), root(p.b)) == max(root(q.a), root(q.b)) {
				continue
			}
		}
		best = append(best, p)
	}
	if done {
		x.sugg = nil
	}
	res.Suggestions = make([]Suggestion, 0, len(best))
	var reasons []string
	for _, p := range best {
		var s Suggestion
		s, buf, reasons = x.suggestion(p.a, p.b, buf[:0], reasons[:0])
		s.Evidence, s.Reasons = sigSlab.clone(s.Evidence), strSlab.clone(s.Reasons)
		res.Suggestions = append(res.Suggestions, s)
	}
	slices.SortFunc(res.Suggestions, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(b.Confidence, a.Confidence), cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B))
	})
	return res
}

// MemberKey returns the key of the first identity of key's member, and
// whether key is in the index.
func (x *Index) MemberKey(key string) (string, bool) {
	i, ok := x.lookup(key)
	if !ok {
		return "", false
	}
	r := x.find(i)
	first := r
	x.members(r, func(j int32) bool {
		first = min(first, j)
		return true
	})
	return x.f(first).key, true
}

// handleGroupOK reports whether commit authors sharing handle k may merge on
// it: all have full names (compared later), the handle is long and one
// of them uses it as its name too, or the handle is a login long enough
// to be one person's (minLongHandle).
func (x *Index) handleGroupOK(ids []int32, k string) bool {
	full, self := true, false
	for _, j := range ids {
		f := x.f(j)
		full = full && f.name.Full()
		self = self || f.selfHandleIs(k)
	}
	return full || self && len(k) >= minSelfHandle || len(k) >= minLongHandle
}

// suggestion explains the evidence between identities a and b (a < b),
// using sigs and reasons for its lists, and returns them for reuse.
func (x *Index) suggestion(a, b int32, sigs []Signal, reasons []string) (Suggestion, []Signal, []string) {
	sigs = compareInto(sigs, x.f(b), x.f(a), x.external(a, b), true)
	for _, s := range sigs {
		reasons = append(reasons, s.Detail)
	}
	switch ok, why := x.consistent(a, b, true); {
	case best(sigs) < Medium:
		reasons = append(reasons, "not merged: the evidence is weak")
	case x.bridges(a, b, nil):
		reasons = append(reasons, "not merged: it would bridge two members with nothing of their own in common; the identity stays with its strongest evidence")
	case !ok:
		reasons = append(reasons, "not merged: "+why)
	default:
		reasons = append(reasons, "not merged: the evidence is ambiguous or too common")
	}
	return Suggestion{A: x.f(a).key, B: x.f(b).key, Confidence: confidence(sigs), Evidence: sigs, Reasons: reasons}, sigs, reasons
}
