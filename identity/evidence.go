package identity

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Strength grades a piece of evidence by what it may decide on its own.
type Strength int

// Strengths, weakest first.
const (
	// Weak evidence only ever makes a suggestion for a person to review.
	Weak Strength = iota + 1
	// Medium evidence merges only when every identity of the two members
	// agrees (no veto, compatible names, no rival member with the same
	// key): the same unverified e-mail, the same full name of two commit
	// authors.
	Medium
	// Strong evidence merges unless a hard veto (two accounts of one
	// platform, a separation a person recorded) forbids it.
	Strong
)

// String names the strength.
func (s Strength) String() string {
	switch s {
	case Strong:
		return "strong"
	case Medium:
		return "medium"
	case Weak:
		return "weak"
	}
	return "none"
}

// Evidence kinds the resolver finds or accepts.
const (
	// KindSameAccount: the two identities are one platform account.
	KindSameAccount = "same_account"
	// KindCommitAuthorLogin: the forge linked a commit author to a login
	// (connectors.EvidenceCommitAuthorLogin).
	KindCommitAuthorLogin = connectors.EvidenceCommitAuthorLogin
	// KindNoreplyLogin: a GitHub per-user noreply address names the login.
	KindNoreplyLogin = "noreply_login"
	// KindVerifiedEmail: both accounts have the address, verified by their platforms.
	KindVerifiedEmail = "verified_email"
	// KindMutualLink: each profile links to the other.
	KindMutualLink = "mutual_link"
	// KindVerifiedLink: a platform verified the profile link (rel=me,
	// Discourse associated account).
	KindVerifiedLink = "verified_link"
	// KindNetworkID: the platform network says the accounts are siblings
	// (Stack Exchange account_id).
	KindNetworkID = "network_id"
	// KindManual: a person merged the two.
	KindManual = "manual"
	// KindSameEmail: the same address, not verified by a platform.
	KindSameEmail = "same_email"
	// KindSameName: the same full name (two words or more, after
	// normalisation).
	KindSameName = "same_name"
	// KindSameWord: two commit authors with the same one-word name (a
	// machine's account name, a nickname, a login): weak on its own,
	// whatever its length; with an address that agrees it is
	// KindNameAndAddress.
	KindSameWord = "same_one_word_name"
	// KindHandleName: two commit authors with the same e-mail local part
	// (at least minHandleName letters) and compatible full names.
	KindHandleName = "handle_and_name"
	// KindLoginHandle: two commit authors share a long handle that one of
	// them uses both as its name and as its e-mail local part.
	KindLoginHandle = "login_handle"
	// KindLongHandle: two commit authors share a handle of at least
	// minLongHandle letters, a login too long to be two people's by
	// chance; it merges when no full names of the two members differ.
	KindLongHandle = "long_handle"
	// KindLoginName: a commit author's one-word, login-like name writes
	// out another commit author's full name ("johndoe" or "doejohn" for
	// "John Doe"; the initial form "jdoe" is any J. Doe's) or is that
	// author's e-mail local part.
	KindLoginName = "login_name"
	// KindAddressName: a commit author's e-mail local part spells another
	// commit author's full name, first and last name written out
	// ("janedoe@…", "doejane@…" for "Jane Doe"): the address is that
	// person's, whatever name the commit carries.
	KindAddressName = "address_spells_name"
	// KindNameAndAddress: two commit authors agree both on the name (the
	// same name, names that are variants, or one spelling away) and on
	// the address (the same handle, one's name is the other's handle, or
	// one's handle spells the other's full name).
	KindNameAndAddress = "name_and_address"
	// KindNameIsLogin: a commit author's one-word name is the GitHub login
	// of another commit author's per-user noreply address: people set
	// their git name to their login, and the address is GitHub's own for
	// that login.
	KindNameIsLogin = "name_is_login"
	// KindOneWayLink: one profile claims the other, unverified and not
	// returned.
	KindOneWayLink = "one_way_link"
	// KindNameVariant: names that are variants of one another (initials,
	// nicknames, spacing).
	KindNameVariant = "name_variant"
	// KindSameHandle: the same handle (username, e-mail local part, GitHub
	// noreply login) on both sides.
	KindSameHandle = "same_handle"
	// KindNameHandle: one side's handle is a common handle form of the
	// other's full name ("jdoe", "johndoe" for "John Doe").
	KindNameHandle = "name_handle"
)

// kindStrength is the strength of each kind; an unknown kind reported by a
// connector is weak.
var kindStrength = map[string]Strength{
	KindSameAccount: Strong, KindCommitAuthorLogin: Strong, KindNoreplyLogin: Strong,
	KindVerifiedEmail: Strong, KindMutualLink: Strong, KindVerifiedLink: Strong,
	KindNetworkID: Strong, KindManual: Strong,
	KindSameEmail: Medium, KindSameName: Medium, KindHandleName: Medium, KindLoginHandle: Medium, KindLongHandle: Medium,
	KindLoginName: Medium, KindAddressName: Medium, KindNameAndAddress: Medium, KindNameIsLogin: Medium, KindOneWayLink: Weak, KindSameWord: Weak, KindNameVariant: Weak, KindSameHandle: Weak, KindNameHandle: Weak,
}

// kindConfidence is how likely, alone, a kind says "one person"; used for
// suggestions (combined as 1-∏(1-c)).
var kindConfidence = map[string]float64{
	KindSameAccount: 1, KindCommitAuthorLogin: 0.99, KindNoreplyLogin: 0.99, KindVerifiedEmail: 0.99,
	KindMutualLink: 0.98, KindVerifiedLink: 0.98, KindNetworkID: 0.99, KindManual: 1,
	KindSameEmail: 0.9, KindSameName: 0.8, KindHandleName: 0.8, KindLoginHandle: 0.8, KindLongHandle: 0.8, KindLoginName: 0.75, KindAddressName: 0.8, KindNameAndAddress: 0.8, KindNameIsLogin: 0.8, KindOneWayLink: 0.5, KindSameWord: 0.4, KindNameVariant: 0.55,
	KindSameHandle: 0.5, KindNameHandle: 0.45,
}

// StrengthOf returns the strength of an evidence kind.
func StrengthOf(kind string) Strength {
	if s, ok := kindStrength[kind]; ok {
		return s
	}
	return Weak
}

// Signal is one piece of evidence between two identities, in words.
type Signal struct {
	Kind     string   `json:"kind"`
	Strength Strength `json:"strength"`
	// Detail says what matched ("the address ana@example.org").
	Detail string `json:"detail"`
}

// String renders the signal in words for the audit log, the journey page
// and logs: what matched, then how much it weighs ("the address
// ana@example.org (medium evidence)"). A signal without words names its
// kind instead.
func (s Signal) String() string {
	what := s.Detail
	if what == "" {
		what = s.Kind
	}
	return what + " (" + s.Strength.String() + " evidence)"
}

// Link is evidence a connector or a person reported between two
// identities, by Candidate key.
type Link struct {
	Kind string
	A, B string
}

// LinkFromConnector turns connector evidence into a Link between the
// default keys (AccountRef.String) of its two accounts.
func LinkFromConnector(e connectors.Evidence) Link {
	return Link{Kind: e.Kind, A: e.A.String(), B: e.B.String()}
}

// Candidate is one identity given to the resolver.
type Candidate struct {
	// Key names the identity uniquely; empty means Ref.String().
	Key string
	// Ref is the account: platform, instance and permanent id. Platform
	// "git" (or empty) is a commit author.
	Ref connectors.AccountRef
	// Username is the handle (login, acct); for git the address is not a handle.
	Username string
	// Name is the display name.
	Name string
	// URL is the profile page, if known; profile URLs are also derived
	// from the platform, instance and username.
	URL string
	// Emails are addresses seen with the identity, not verified.
	Emails []string
	// VerifiedEmails are addresses the platform verified.
	VerifiedEmails []string
	// Links are profile links the account declares.
	Links []string
	// VerifiedLinks are profile links the platform verified.
	VerifiedLinks []string
	// NetworkID is shared by sibling accounts of one network.
	NetworkID string
	// Bot marks an automation account.
	Bot bool
}

// CandidateFromAccount builds a Candidate from a connector account, keyed
// by its AccountRef.
func CandidateFromAccount(a connectors.Account) Candidate {
	return Candidate{
		Ref: a.AccountRef, Username: a.Username, Name: a.Name, URL: a.URL, Emails: a.Emails,
		Links: a.Links, VerifiedLinks: a.VerifiedLinks, NetworkID: a.NetworkID, Bot: a.Bot,
	}
}

// minHandleName is the shortest handle that, with compatible full names,
// merges two commit authors: shorter handles are often a first name.
const minHandleName = 6

// minSelfHandle is the shortest login-like handle (see KindLoginHandle).
const minSelfHandle = 8

// minLongHandle is the shortest handle that is one person's whatever the
// names (KindLongHandle): "quuxdeveloper", "maryquitecontrary".
const minLongHandle = 12

// features is a candidate prepared for comparison. Fields only platform
// accounts have live behind a pointer shared by every git identity; the
// name is shared by every identity with the same parsed name.
type features struct {
	key string
	// ref is the account; plain commit authors share one value.
	ref  *connectors.AccountRef
	name *Name
	// emailKeys are the comparison keys of the addresses that are not
	// placeholders (a noreply address has its id and its login form).
	emailKeys []string
	handles   []string // handle forms: username, e-mail local parts, noreply logins
	git       bool
	bot       bool
	// selfHandle marks a commit author whose one-word name (name.Compact)
	// is also its e-mail local part ("jdoe42 <jdoe42@…>"): a login-like
	// handle.
	selfHandle bool
	// placeholderOnly marks an identity whose every address is a placeholder.
	placeholderOnly bool
	*platformFeats
}

// selfHandleIs reports whether h is f's login-like self handle.
func (f *features) selfHandleIs(h string) bool { return f.selfHandle && f.name.Compact == h }

// mailInfo is what comparisons read of a GitHub noreply address.
type mailInfo struct {
	githubLogin string
	githubID    string
}

// platformFeats are the features of platform accounts (and of the rare git
// identity with links, a noreply address or a googlemail.com address); git
// identities share noPlatform.
type platformFeats struct {
	// ghAccts are the github.com accounts this identity is, or names
	// through a noreply address (a commit author with such an address
	// has its own platformFeats).
	ghAccts []ghAcct
	// noreply are the GitHub noreply addresses, in order.
	noreply []mailInfo
	// domains are the domains of the addresses when one differs from the
	// domain of its key (googlemail.com); nil means the domains of
	// emailKeys.
	domains  []string
	verified []string
	login    string   // GitHub login (platform github, instance github.com)
	profiles []string // normalised URLs of this profile
	links    []string
	vlinks   []string
	network  string
}

// noPlatform is the empty platformFeats every plain git identity points to;
// it is never written.
var noPlatform = &platformFeats{}

// numDomains and domain list the mail domains of f's addresses (with
// repeats), without building a slice.
func (f *features) numDomains() int {
	if f.domains != nil {
		return len(f.domains)
	}
	return len(f.emailKeys)
}

func (f *features) domain(i int) string {
	if f.domains != nil {
		return f.domains[i]
	}
	k := f.emailKeys[i]
	return k[strings.LastIndexByte(k, '@')+1:]
}

// interner shares what many identities have in common while an Index is
// filled: parsed names, handle strings, and the backing arrays of the
// short string lists of features.
type interner struct {
	names map[string]*Name
	strs  map[string]string
	slab  []string
	buf   []byte
	// scratch lists reused by prepareInto.
	keys, handles, domains []string
}

func newInterner() *interner {
	return &interner{names: map[string]*Name{}, strs: map[string]string{}}
}

// str returns the shared copy of s.
func (in *interner) str(s string) string {
	if in == nil {
		return s
	}
	if t, ok := in.strs[s]; ok {
		return t
	}
	in.strs[s] = s
	return s
}

// name returns the shared Name equal to n.
func (in *interner) name(n Name) *Name {
	if in == nil {
		return &n
	}
	b := in.buf[:0]
	for _, t := range n.Tokens {
		b = append(b, t...)
		b = append(b, 0)
	}
	// Tokens and flags determine Key and Compact.
	b = append(b, boolByte(n.Placeholder), boolByte(n.Bot), boolByte(n.Via), boolByte(n.Pair))
	in.buf = b
	if p, ok := in.names[string(b)]; ok {
		return p
	}
	for i, t := range n.Tokens {
		n.Tokens[i] = in.str(t)
	}
	p := &n
	in.names[string(b)] = p
	return p
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// list returns a copy of l with no spare capacity, sharing a slab with
// other lists.
func (in *interner) list(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	if in == nil {
		return slices.Clip(slices.Clone(l))
	}
	if len(in.slab) < len(l) {
		in.slab = make([]string, max(4096, len(l)))
	}
	out := in.slab[:len(l):len(l)]
	copy(out, l)
	in.slab = in.slab[len(l):]
	return out
}

func prepare(c Candidate) *features {
	f := prepareInto(c, nil)
	return &f
}

// prepareInto prepares c, sharing names, strings and list storage through
// in (nil: nothing shared).
func prepareInto(c Candidate, in *interner) features {
	f := features{key: c.Key, ref: sharedRef(c.Ref), bot: c.Bot, platformFeats: noPlatform}
	if f.key == "" {
		f.key = c.Ref.String()
	}
	var keys, handles, domains []string
	if in != nil {
		keys, handles, domains = in.keys[:0], in.handles[:0], in.domains[:0]
	}
	f.git = c.Ref.Platform == "" || c.Ref.Platform == connectors.PlatformGit
	if !f.git || c.URL != "" || c.NetworkID != "" || len(c.VerifiedEmails)+len(c.Links)+len(c.VerifiedLinks) > 0 {
		f.platformFeats = &platformFeats{}
	}
	name := ParseName(c.Name)
	f.name = in.name(name)
	if f.name.Bot {
		f.bot = true
	}
	addHandle := func(h string) {
		if len(h) >= 3 && !slices.Contains(handles, h) && !genericLocals[h] && !placeholderNames[h] {
			handles = append(handles, in.str(h))
		}
	}
	anyAddr, real, otherDomain := false, false, false
	for _, s := range nameAddresses(c) {
		if s == "" {
			continue
		}
		anyAddr = true
		e := ParseEmail(s)
		if e.Bot {
			f.bot = true
		}
		if e.Placeholder || slices.Contains(keys, e.Key) {
			continue
		}
		real = true
		domains = append(domains, e.Domain)
		if k, d := e.Key, e.Domain; len(k) <= len(d) || k[len(k)-len(d)-1] != '@' || !strings.HasSuffix(k, d) {
			otherDomain = true
		}
		keys = append(keys, e.Key)
		if e.GitHubID != "" {
			// The login form too, to meet older noreply addresses.
			if k := e.GitHubLogin + "@users.noreply.github.com"; !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if e.GitHubLogin != "" {
			if f.platformFeats == noPlatform {
				f.platformFeats = &platformFeats{}
			}
			f.noreply = append(f.noreply, mailInfo{githubLogin: e.GitHubLogin, githubID: e.GitHubID})
			f.ghAccts = append(f.ghAccts, ghAcct{id: e.GitHubID, login: e.GitHubLogin})
		}
		addHandle(HandleForm(e.Local))
	}
	if otherDomain {
		if f.platformFeats == noPlatform {
			f.platformFeats = &platformFeats{}
		}
		f.domains = slices.Clone(domains)
	}
	for _, s := range c.VerifiedEmails {
		e := ParseEmail(s)
		if e.Placeholder || e.Key == "" {
			continue
		}
		f.verified = append(f.verified, e.Key)
	}
	f.placeholderOnly = anyAddr && !real
	if w := f.name.Compact; f.git && !f.name.Placeholder && len(f.name.Tokens) == 1 && len(w) >= minSelfHandle && slices.Contains(handles, w) {
		f.selfHandle = true
	}
	if !f.git && c.Username != "" {
		addHandle(HandleForm(c.Username))
		if c.Ref.Platform == connectors.PlatformGitHub && (c.Ref.Instance == "github.com" || c.Ref.Instance == "") {
			f.login = strings.ToLower(c.Username)
			f.ghAccts = append(f.ghAccts, ghAcct{id: c.Ref.ExternalID, login: f.login})
		}
	}
	f.emailKeys, f.handles = in.list(keys), in.list(handles)
	if in != nil {
		in.keys, in.handles, in.domains = keys, handles, domains
	}
	if f.platformFeats == noPlatform {
		return f
	}
	f.profiles = profileURLs(c)
	for _, l := range c.Links {
		if n := normURL(l); n != "" {
			f.links = append(f.links, n)
		}
	}
	for _, l := range c.VerifiedLinks {
		if n := normURL(l); n != "" {
			f.vlinks = append(f.vlinks, n)
		}
	}
	f.network = c.NetworkID
	return f
}

// nameAddresses returns c's addresses and, for a commit author, the
// addresses written in its name: people set their git name to their
// address ("ana@lima.example <ana@laptop.local>").
func nameAddresses(c Candidate) []string {
	if !strings.Contains(c.Name, "@") || c.Ref.Platform != "" && c.Ref.Platform != connectors.PlatformGit {
		return c.Emails
	}
	out := slices.Clip(c.Emails)
	for _, w := range strings.Fields(c.Name) {
		if w = strings.Trim(w, "<>()[],;"); strings.Contains(w, "@") && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// gitRef and zeroRef are the refs most commit authors have, shared.
var (
	gitRef  = connectors.AccountRef{Platform: connectors.PlatformGit}
	zeroRef = connectors.AccountRef{}
)

// sharedRef returns r, pointing to a shared value when r is the plain ref
// of a commit author (features never write it).
func sharedRef(r connectors.AccountRef) *connectors.AccountRef {
	switch r {
	case gitRef:
		return &gitRef
	case zeroRef:
		return &zeroRef
	}
	return &r
}

// normURL reduces a profile URL or a fediverse handle to host/path,
// lower-cased, without scheme, "www.", query or trailing slash.
func normURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	// "@user@host" fediverse handle.
	if strings.HasPrefix(s, "@") && strings.Count(s, "@") == 2 {
		p := strings.SplitN(s[1:], "@", 2)
		return strings.ToLower(p[1] + "/@" + p[0])
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	path := strings.TrimRight(strings.ToLower(u.Path), "/")
	// Mastodon's long form /users/name is /@name.
	if strings.HasPrefix(path, "/users/") && !strings.Contains(path[7:], "/") && host != "stackoverflow.com" {
		path = "/@" + path[7:]
	}
	// Stack Overflow: /users/ID/slug → /users/ID.
	if host == "stackoverflow.com" && strings.HasPrefix(path, "/users/") {
		parts := strings.Split(path, "/")
		if len(parts) > 3 {
			path = strings.Join(parts[:3], "/")
		}
	}
	return host + path
}

// profileURLs derives the URLs under which a profile is reached.
func profileURLs(c Candidate) []string {
	var out []string
	add := func(s string) {
		if n := normURL(s); n != "" {
			for _, o := range out {
				if o == n {
					return
				}
			}
			out = append(out, n)
		}
	}
	if c.URL != "" {
		add(c.URL)
	}
	inst := c.Ref.Instance
	u := c.Username
	switch c.Ref.Platform {
	case connectors.PlatformGitHub:
		if inst == "" {
			inst = "github.com"
		}
		if u != "" {
			add("https://" + inst + "/" + u)
		}
	case connectors.PlatformMastodon:
		if u != "" && inst != "" {
			add("https://" + inst + "/@" + strings.TrimPrefix(u, "@"))
		}
	case connectors.PlatformDiscourse:
		if u != "" && inst != "" {
			add("https://" + inst + "/u/" + u)
		}
	case connectors.PlatformStackOverflow:
		if inst == "" {
			inst = "stackoverflow.com"
		}
		if c.Ref.ExternalID != "" {
			add("https://" + inst + "/users/" + c.Ref.ExternalID)
		}
	}
	return out
}

// compareInto appends the evidence between a and b to out; without words
// the details are left empty (deciding needs only the kinds).
func compareInto(out []Signal, a, b *features, external []string, words bool) []Signal {
	add := func(kind string, detail func() string) {
		d := ""
		if words {
			d = detail()
		}
		out = append(out, Signal{Kind: kind, Strength: StrengthOf(kind), Detail: d})
	}
	for _, k := range external {
		add(k, func() string { return "reported by " + sourceOf(k) })
	}
	if !a.ref.IsZero() && *a.ref == *b.ref {
		add(KindSameAccount, func() string { return "the same account " + a.ref.String() })
	}
	for _, p := range [2][2]*features{{a, b}, {b, a}} {
		x, y := p[0], p[1]
		if y.login == "" {
			continue
		}
		for _, e := range x.noreply {
			if e.githubLogin == "" {
				continue
			}
			if e.githubID != "" && e.githubID == y.ref.ExternalID || e.githubID == "" && e.githubLogin == y.login {
				add(KindNoreplyLogin, func() string { return fmt.Sprintf("GitHub's noreply address of login %s", y.login) })
				break
			}
		}
	}
	for _, v := range a.verified {
		for _, w := range b.verified {
			if v == w {
				add(KindVerifiedEmail, func() string { return "the verified address " + v })
			}
		}
	}
	ab, ba := hits(a.links, b.profiles), hits(b.links, a.profiles)
	avb, bva := hits(a.vlinks, b.profiles), hits(b.vlinks, a.profiles)
	switch {
	case avb != "" || bva != "":
		add(KindVerifiedLink, func() string { return "a link verified by the platform to " + avb + bva })
	case ab != "" && ba != "":
		add(KindMutualLink, func() string { return "profiles link to each other (" + ab + ", " + ba + ")" })
	case ab != "" || ba != "":
		add(KindOneWayLink, func() string { return "one profile claims " + ab + ba + ", not returned" })
	}
	if a.network != "" && a.network == b.network && a.ref.Platform == b.ref.Platform {
		add(KindNetworkID, func() string { return "network account " + a.network })
	}
	if k := commonString(a.emailKeys, b.emailKeys); k != "" {
		add(KindSameEmail, func() string { return "the address " + k })
	}
	if w := oneWord(a); w != "" && w == oneWord(b) {
		add(KindSameWord, func() string { return "the one-word name " + w })
	}
	if a.name.Full() && b.name.Full() {
		if a.name.Key == b.name.Key {
			add(KindSameName, func() string { return "the name " + strings.Join(a.name.Tokens, " ") })
		} else if Variant(*a.name, *b.name) {
			add(KindNameVariant, func() string {
				return fmt.Sprintf("names %q and %q are variants", strings.Join(a.name.Tokens, " "), strings.Join(b.name.Tokens, " "))
			})
		}
	}
	if d := loginName(a, b, words); d != "" {
		add(KindLoginName, func() string { return d })
	} else if d := loginName(b, a, words); d != "" {
		add(KindLoginName, func() string { return d })
	}
	if d := addressName(a, b, words); d != "" {
		add(KindAddressName, func() string { return d })
	} else if d := addressName(b, a, words); d != "" {
		add(KindAddressName, func() string { return d })
	}
	if l := nameIsLogin(a, b); l != "" {
		add(KindNameIsLogin, func() string { return "the name " + l + " is the GitHub login of the other's noreply address" })
	} else if l := nameIsLogin(b, a); l != "" {
		add(KindNameIsLogin, func() string { return "the name " + l + " is the GitHub login of the other's noreply address" })
	}
	if d := nameAndAddress(a, b, words); d != "" {
		add(KindNameAndAddress, func() string { return d })
	}
	if h := commonHandle(a.handles, b.handles); h != "" {
		if len(h) >= minHandleName && a.git && b.git && a.name.Full() && b.name.Full() && Compatible(*a.name, *b.name) {
			add(KindHandleName, func() string {
				return fmt.Sprintf("the handle %s and the compatible names %q and %q", h, strings.Join(a.name.Tokens, " "), strings.Join(b.name.Tokens, " "))
			})
		} else if len(h) >= minSelfHandle && a.git && b.git && (a.selfHandleIs(h) || b.selfHandleIs(h)) {
			add(KindLoginHandle, func() string { return "the handle " + h + ", used as a name and as an e-mail local part" })
		} else if len(h) >= minLongHandle && a.git && b.git && !a.bot && !b.bot {
			add(KindLongHandle, func() string { return "the long handle " + h })
		} else {
			add(KindSameHandle, func() string { return "the handle " + h })
		}
	} else if h := nameHandle(a, b, words); h != "" {
		add(KindNameHandle, func() string { return h })
	} else if h := nameHandle(b, a, words); h != "" {
		add(KindNameHandle, func() string { return h })
	}
	return out
}

func sourceOf(kind string) string {
	switch kind {
	case KindManual:
		return "a person"
	case KindCommitAuthorLogin:
		return "the forge, which linked the commit author to this account"
	}
	return "a connector"
}

func hits(links, profiles []string) string {
	for _, l := range links {
		for _, p := range profiles {
			if l == p {
				return l
			}
		}
	}
	return ""
}

func commonHandle(a, b []string) string {
	for _, x := range a {
		for _, y := range b {
			if x == y && len(x) >= 4 {
				return x
			}
		}
	}
	return ""
}

// nameHandle reports b's handle that is a handle form of a's full name, or
// a's one-word name equal to b's handle.
func nameHandle(a, b *features, words bool) string {
	if len(b.handles) == 0 {
		return ""
	}
	if a.name.Full() {
		for _, y := range b.handles {
			if len(y) >= 4 && isNameHandle(*a.name, y) {
				if !words {
					return "-"
				}
				return fmt.Sprintf("handle %s is a form of the name %s", y, strings.Join(a.name.Tokens, " "))
			}
		}
		return ""
	}
	if !a.name.Placeholder && len(a.name.Tokens) == 1 && len(a.name.Compact) >= 4 {
		for _, y := range b.handles {
			if y == a.name.Compact {
				if !words {
					return "-"
				}
				return fmt.Sprintf("the name %s is the handle %s", a.name.Compact, y)
			}
		}
	}
	return ""
}

// minSpelled is the shortest full name (first and last name together) an
// address may spell (KindAddressName): shorter ones ("liwei", "annali")
// are common names many people's addresses spell.
const minSpelled = 8

// spelledName returns a's e-mail handle that spells b's full name, first
// and last name written out in either order ("janedoe", "doejane" for
// "Jane Doe"), or "". Both must be commit authors, not automation.
func spelledName(a, b *features) string {
	if !a.git || !b.git || a.bot || b.bot || !b.name.Full() {
		return ""
	}
	first, last := b.name.Tokens[0], b.name.Tokens[len(b.name.Tokens)-1]
	if len(first) < 2 || len(last) < 2 || len(first)+len(last) < minSpelled {
		return ""
	}
	for _, h := range a.handles {
		if isFullNameHandle(*b.name, h) {
			return h
		}
	}
	return ""
}

// addressName describes KindAddressName evidence from a's address to b's
// name, or returns "".
func addressName(a, b *features, words bool) string {
	h := spelledName(a, b)
	if h == "" {
		return ""
	}
	if !words {
		return "-"
	}
	return fmt.Sprintf("the address handle %s spells the name %s", h, strings.Join(b.name.Tokens, " "))
}

// nameIsLogin returns a's one-word name when it is the GitHub login of one
// of b's noreply addresses, or "". Both must be commit authors.
func nameIsLogin(a, b *features) string {
	if loginWord(a) == "" || !b.git || b.bot {
		return ""
	}
	for _, e := range b.noreply {
		if handleFormIs(e.githubLogin, a.name.Compact) {
			return a.name.Compact
		}
	}
	return ""
}

// handleFormIs reports whether HandleForm(s) == h, without allocating for
// short ASCII s.
func handleFormIs(s, h string) bool {
	var buf [64]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf || n == len(buf):
			return HandleForm(s) == h
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			buf[n] = c
			n++
		case 'A' <= c && c <= 'Z':
			buf[n] = c + 'a' - 'A'
			n++
		}
	}
	for n > 0 && '0' <= buf[n-1] && buf[n-1] <= '9' {
		n--
	}
	return string(buf[:n]) == h
}

// minNameWord is the shortest one-word name compared by nameAndAddress.
const minNameWord = 3

// namesAgree says how two names agree, or returns "": the same name (a
// one-word name of at least minNameWord letters too), full names that are
// variants, or names one spelling away (at most one edit in seven letters).
func namesAgree(a, b *Name) string {
	if a.Placeholder || b.Placeholder || a.Bot || b.Bot || a.Compact == "" || b.Compact == "" {
		return ""
	}
	if a.Key == b.Key {
		if len(a.Tokens) == 1 && len(a.Compact) < minNameWord {
			return ""
		}
		return "the same name"
	}
	if a.Full() && b.Full() && Compatible(*a, *b) {
		return "variant names"
	}
	if n := max(len(a.Compact), len(b.Compact)); n >= 7 && editDistanceAtMost(a.Compact, b.Compact, n/7) {
		return "names one spelling apart"
	}
	return ""
}

// addressesAgree says how two commit authors' addresses agree, or returns
// "": a common handle, one's one-word name is the other's handle, or one's
// handle spells the other's full name. Without words it returns "-".
func addressesAgree(a, b *features, words bool) string {
	say := func(f func() string) string {
		if !words {
			return "-"
		}
		return f()
	}
	for _, x := range a.handles {
		for _, y := range b.handles {
			if x == y && len(x) >= minNameWord {
				return say(func() string { return "the handle " + x })
			}
		}
	}
	if a.name.Key != "" && a.name.Key == b.name.Key {
		for _, x := range a.handles {
			for _, y := range b.handles {
				if handlesAlike(x, y, a.name.Compact) {
					return say(func() string { return "the handles " + x + " and " + y + " are alike" })
				}
			}
		}
	}
	for _, p := range [2][2]*features{{a, b}, {b, a}} {
		x, y := p[0], p[1]
		if w := oneWord(x); w != "" && slices.Contains(y.handles, w) {
			return say(func() string { return "the name " + x.name.Compact + " is the other's handle" })
		}
		if h := spelledName(x, y); h != "" {
			return say(func() string { return "the handle " + h + " spells the other's name" })
		}
	}
	return ""
}

// minStem is the shortest beginning two handles must share to be alike
// (handlesAlike).
const minStem = 6

// handlesAlike reports whether two different handles of authors named
// name are one person's variants: they begin with the same minStem
// letters ("quuxdev", "quuxdevelops"), at least three of them beyond the
// name (for "Mary", "marymajor" and "marymiller" share only "mary"), or
// they are one spelling apart (at most one edit in seven letters,
// "marymajor" and "marimajor").
func handlesAlike(x, y, name string) bool {
	if x == y {
		return false
	}
	n := 0
	for n < len(x) && n < len(y) && x[n] == y[n] {
		n++
	}
	if n >= minStem && !(strings.HasPrefix(x[:n], name) && n-len(name) < 3) {
		return true
	}
	m := max(len(x), len(y))
	return m >= 7 && editDistanceAtMost(x, y, m/7)
}

// nameAndAddress describes KindNameAndAddress evidence between two commit
// authors, or returns "".
func nameAndAddress(a, b *features, words bool) string {
	if !a.git || !b.git || a.bot || b.bot {
		return ""
	}
	d := addressesAgree(a, b, words)
	if d == "" {
		return ""
	}
	n := namesAgree(a.name, b.name)
	if n == "" {
		return ""
	}
	if !words {
		return "-"
	}
	return n + " and " + d
}

// editDistanceAtMost reports whether a and b are at most k single-letter
// edits (insertions, deletions, substitutions, and swaps of two adjacent
// letters, the commonest typo: "Jonhson" for "Johnson") apart.
func editDistanceAtMost(a, b string, k int) bool {
	if k <= 0 {
		return a == b
	}
	if abs(len(a)-len(b)) > k {
		return false
	}
	// Three rows of the dynamic programme (optimal string alignment);
	// names fit the arrays on the stack.
	var r0, r1, r2 [48]int
	pp, prev, cur := r0[:], r1[:], r2[:]
	if len(b)+1 > len(r1) {
		pp, prev, cur = make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	}
	pp, prev, cur = pp[:len(b)+1], prev[:len(b)+1], cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
			low = min(low, cur[j])
		}
		if low > k {
			return false
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(b)] <= k
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// minLoginLike is the shortest one-word name that may be matched to a full
// name as a login (KindLoginName).
const minLoginLike = 5

// loginWord returns a commit author's one-word name long enough to be a
// login, or "".
func loginWord(f *features) string {
	if w := oneWord(f); len(w) >= minLoginLike {
		return w
	}
	return ""
}

// loginName describes KindLoginName evidence from a's one-word name to b's
// full name, or returns "".
func loginName(a, b *features, words bool) string {
	w := loginWord(a)
	if w == "" || !b.git || b.bot || !b.name.Full() {
		return ""
	}
	if !words {
		if isFullNameHandle(*b.name, w) || slices.Contains(b.handles, w) && !slices.Contains(b.name.Tokens, w) && holdsToken(w, *b.name) && (slices.Contains(a.handles, w) || sameDomain(a, b)) {
			return "-"
		}
		return ""
	}
	full := strings.Join(b.name.Tokens, " ")
	if isFullNameHandle(*b.name, w) {
		return fmt.Sprintf("the login-like name %s is a form of the name %s", w, full)
	}
	// w is b's address handle, holds a word of b's name without being
	// just that word, and a uses it as its own handle too or the two
	// share a mail domain.
	if slices.Contains(b.handles, w) && !slices.Contains(b.name.Tokens, w) && holdsToken(w, *b.name) && (slices.Contains(a.handles, w) || sameDomain(a, b)) {
		return fmt.Sprintf("the login-like name %s is the address handle of %s", w, full)
	}
	return ""
}

// holdsToken reports whether w contains a word of n of three letters or
// more.
func holdsToken(w string, n Name) bool {
	for _, t := range n.Tokens {
		if len(t) >= 3 && strings.Contains(w, t) {
			return true
		}
	}
	return false
}

// sameDomain reports whether a and b have addresses at one mail domain.
func sameDomain(a, b *features) bool {
	for i := range a.numDomains() {
		e := a.domain(i)
		for j := range b.numDomains() {
			if e != "" && e == b.domain(j) {
				return true
			}
		}
	}
	return false
}

// best is the strongest strength among signals.
func best(sigs []Signal) Strength {
	s := Strength(0)
	for _, g := range sigs {
		s = max(s, g.Strength)
	}
	return s
}

// confidence combines signals into one figure in [0, 1].
func confidence(sigs []Signal) float64 {
	miss := 1.0
	for _, s := range sigs {
		c, ok := kindConfidence[s.Kind]
		if !ok {
			c = 0.3
		}
		miss *= 1 - c
	}
	return 1 - miss
}

func commonString(a, b []string) string {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return x
			}
		}
	}
	return ""
}

// ghAcct is a github.com account: its numeric id and its login, either
// possibly unknown.
type ghAcct struct{ id, login string }

// differs reports whether two github.com accounts are surely different.
func (u ghAcct) differs(v ghAcct) bool {
	if u.id != "" && v.id != "" {
		return u.id != v.id
	}
	return u.login != "" && v.login != "" && u.login != v.login
}

// mergeNameKey is the name key two commit authors merge on: a full name.
// A one-word name, however long, is a machine's account name or a
// nickname many people choose ("orange", "tigershark"): on two addresses
// it is no evidence on its own (KindSameWord).
func mergeNameKey(f *features) string {
	if f.name.Full() {
		return f.name.Key
	}
	return ""
}
