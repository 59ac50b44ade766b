package identity

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold lower-cases s and replaces letters outside ASCII by their ASCII form:
// accents are dropped (NFKD without combining marks), ligatures and special
// letters are spelled out (ß→ss, æ→ae, ł→l), Greek and Cyrillic are
// transliterated. Other scripts are kept, lower-cased.
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r):
			// A combining mark left by decomposed input: drop it.
		default:
			if f, ok := foldTable[r]; ok {
				b.WriteString(f)
				break
			}
			// A letter the table lacks may lower-case to one it has (the
			// Ohm sign to ω, the Angstrom sign to å, ϴ to θ): fold that,
			// so that folding a folded string changes nothing.
			l := unicode.ToLower(r)
			if f, ok := foldTable[l]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(l)
			}
		}
	}
	return b.String()
}

// Name is a display name in the forms the resolver compares.
type Name struct {
	// Tokens are the folded words in their written order, after "Last,
	// First" is turned around and titles, suffixes and bracketed notes are
	// dropped.
	Tokens []string
	// Key is the tokens sorted and joined by spaces: equal for "John Doe",
	// "Doe, John" and "DOE John". Empty when the name is a placeholder.
	Key string
	// Compact is the tokens joined without spaces ("johndoe").
	Compact string
	// Placeholder reports a name that says nothing about a person ("Your
	// Name", "root", "unknown") or names automation.
	Placeholder bool
	// Bot reports a name of an automation ("dependabot[bot]", "GitHub Actions").
	Bot bool
	// Via reports a name of the form "Person via Service" ("Jane Doe via
	// Patch Relay"): a relay or gateway sent the commit for the person,
	// whose name the tokens hold; the address is the service's.
	Via bool
	// Pair reports a name that names two people ("Ann Lee and Bo Chen",
	// "Ann + Bo", "Ann & Bo"): a pair or a shared machine. It is a
	// placeholder: no one person's name.
	Pair bool
}

// Full reports whether the name has a first and a last name: at least two
// tokens, one of them longer than an initial.
func (n Name) Full() bool {
	if n.Placeholder || len(n.Tokens) < 2 {
		return false
	}
	long := 0
	for _, t := range n.Tokens {
		if len(t) > 1 {
			long++
		}
	}
	return long >= 2
}

// titles are words in a display name that are not part of it.
var titles = map[string]bool{
	"dr": true, "mr": true, "mrs": true, "ms": true, "prof": true, "jr": true, "sr": true,
	"phd": true, "ii": true, "iii": true, "iv": true, "md": true, "esq": true,
}

// placeholderNames are display names shared by unrelated people: defaults
// of tools and hosting images.
var placeholderNames = map[string]bool{
	"": true, "unknown": true, "root": true, "user": true, "username": true, "your name": true,
	"name": true, "you": true, "admin": true, "administrator": true, "ubuntu": true,
	"anonymous": true, "none": true, "no author": true, "noname": true, "nobody": true, "author": true,
	"test": true, "tester": true, "test user": true, "default": true, "local user": true, "localuser": true,
	"git": true, "github": true, "gitlab": true, "pi": true, "vagrant": true, "me": true, "dev": true,
	"developer": true, "system": true, "guest": true, "owner": true, "first last": true,
	"firstname lastname": true, "john doe": true, "jane doe": true, "the author": true,
	"your full name": true, "full name": true, "unknown author": true, "build": true, "builder": true,
}

// botWords are tokens that mark a name or an address as automation.
var botWords = map[string]bool{
	"bot": true, "dependabot": true, "renovate": true, "jenkins": true, "travis": true, "buildbot": true,
	"autobuild": true, "circleci": true, "appveyor": true, "greenkeeper": true, "snyk": true,
	"pre-commit-ci": true, "github-actions": true, "actions": true, "azure-pipelines": true,
	"mergify": true, "codecov": true, "allcontributors": true, "semantic-release": true,
}

// automationWords are words that, next to a word of botWords, name a
// service rather than a person ("Travis CI", "GitHub Actions", "Jenkins
// Build User").
var automationWords = map[string]bool{
	"ci": true, "cd": true, "io": true, "user": true, "build": true, "builder": true, "github": true,
	"gitlab": true, "automation": true, "automated": true, "service": true, "account": true,
	"server": true, "runner": true, "pipeline": true, "pipelines": true, "app": true, "pro": true,
}

// automationName reports whether name tokens name an automation: a word
// of botWords, every other word a word of botWords or automationWords.
// Some bot words are also people's names ("Travis Oliphant", "Mary
// Jenkins"): beside a word of a person's name they are that name.
func automationName(tokens []string) bool {
	bot := false
	for _, t := range tokens {
		switch {
		case botWords[t]:
			bot = true
		case !automationWords[t]:
			return false
		}
	}
	return bot
}

// nicknames maps a common short form of an English given name to its full
// form; used to call two names compatible, never on its own to merge.
var nicknames = map[string]string{
	"bob": "robert", "rob": "robert", "bobby": "robert", "robbie": "robert", "bert": "robert",
	"bill": "william", "will": "william", "billy": "william", "willy": "william", "liam": "william",
	"jim": "james", "jimmy": "james", "jamie": "james", "mike": "michael", "mikey": "michael",
	"mick": "michael", "dave": "david", "davy": "david", "chuck": "charles", "charlie": "charles",
	"chas": "charles", "dick": "richard", "rick": "richard", "rich": "richard", "ricky": "richard",
	"tom": "thomas", "tommy": "thomas", "tony": "anthony", "andy": "andrew", "drew": "andrew",
	"alex": "alexander", "sandy": "alexander", "sasha": "alexander", "al": "albert", "ben": "benjamin",
	"benny": "benjamin", "dan": "daniel", "danny": "daniel", "ed": "edward", "eddie": "edward",
	"ted": "edward", "ned": "edward", "fred": "frederick", "freddie": "frederick", "greg": "gregory",
	"hank": "henry", "harry": "henry", "jack": "john", "johnny": "john", "jon": "jonathan",
	"joe": "joseph", "joey": "joseph", "jo": "joseph", "ken": "kenneth", "kenny": "kenneth", "larry": "lawrence",
	"len": "leonard", "lenny": "leonard", "matt": "matthew", "nat": "nathaniel", "nate": "nathan",
	"nick": "nicholas", "nicky": "nicholas", "pat": "patrick", "pete": "peter", "phil": "philip",
	"ray": "raymond", "ron": "ronald", "ronnie": "ronald", "sam": "samuel", "sammy": "samuel",
	"steve": "stephen", "stevie": "stephen", "stu": "stuart", "tim": "timothy", "timmy": "timothy",
	"vince": "vincent", "walt": "walter", "zach": "zachary", "zack": "zachary", "chris": "christopher",
	"kit": "christopher", "josh": "joshua", "jake": "jacob", "jeff": "jeffrey", "geoff": "geoffrey",
	"gerry": "gerald", "jerry": "gerald", "doug": "douglas", "don": "donald", "frank": "francis",
	"fran": "francis", "gabe": "gabriel", "abe": "abraham", "art": "arthur", "bernie": "bernard",
	"cliff": "clifford", "ernie": "ernest", "gene": "eugene", "hal": "harold",
	"max": "maximilian", "mo": "mohammed", "mohamed": "mohammed", "muhammad": "mohammed",
	"liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth", "eliza": "elizabeth",
	"kate": "katherine", "katie": "katherine", "kathy": "katherine", "cathy": "katherine",
	"catherine": "katherine", "kat": "katherine", "jen": "jennifer", "jenny": "jennifer",
	"jess": "jessica", "jessie": "jessica", "meg": "margaret", "maggie": "margaret", "peggy": "margaret",
	"sue": "susan", "susie": "susan", "suzy": "susan", "vicky": "victoria", "tori": "victoria",
	"becky": "rebecca", "becca": "rebecca", "debbie": "deborah", "deb": "deborah", "mandy": "amanda",
	"mandi": "amanda", "abby": "abigail", "allie": "alison", "annie": "anna", "ann": "anna",
	"anne": "anna", "hanna": "hannah", "tina": "christina", "chrissy": "christina",
	"pam": "pamela", "steph": "stephanie", "val": "valerie", "nikki": "nicole",
	"sara": "sarah", "ollie": "oliver", "olly": "oliver", "theo": "theodore",
	"lou": "louis", "manny": "manuel", "pepe": "jose", "paco": "francisco",
	"nacho": "ignacio", "chema": "jose", "javi": "javier", "edu": "eduardo", "seb": "sebastian",
	"basti": "sebastian", "flo": "florian", "tobi": "tobias", "nico": "nicolas",
	"dima": "dmitry", "dmitri": "dmitry", "dimitri": "dmitry", "misha": "mikhail", "kolya": "nikolai",
	"sergey": "sergei", "sergej": "sergei", "yura": "yuri", "vova": "vladimir", "volodya": "vladimir",
	"andrey": "andrei", "alexey": "alexei", "aleksey": "alexei", "aleksei": "alexei",
}

// canonicalGiven returns the full form of a given name.
func canonicalGiven(t string) string {
	if f, ok := nicknames[t]; ok {
		return f
	}
	return t
}

// splitWords cuts a display name or handle into words: at spaces,
// punctuation and digits, and at lower→upper case changes when split is set
// ("JohnDoe", "johnDoe").
func splitWords(s string, camel bool) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			if camel && unicode.IsUpper(r) && unicode.IsLower(prev) {
				flush()
			}
			cur = append(cur, r)
		case r == '\'' || r == '’':
			// O'Brien, D’Angelo: one word.
		default:
			flush()
		}
		prev = r
	}
	flush()
	return words
}

// ParseName normalises a display name: it turns "Last, First" around, drops
// bracketed notes, e-mail addresses inside the name, titles and suffixes,
// splits camelCase, dotted and underscored forms when the name is written
// as one word, folds accents and transliterates, and lower-cases.
func ParseName(s string) Name {
	s = strings.TrimSpace(s)
	lowered := strings.ToLower(s)
	var n Name
	if strings.Contains(lowered, "[bot]") || strings.HasSuffix(lowered, "-bot") || strings.HasSuffix(lowered, " bot") {
		n.Bot = true
	}
	// Drop "<...>" and "(...)" notes: "Jane Doe (Acme)".
	s = dropBracketed(s)
	// Drop e-mail-like words.
	if strings.Contains(s, "@") {
		fs := strings.Fields(s)
		fs = slices.DeleteFunc(fs, func(f string) bool { return strings.Contains(f, "@") })
		s = strings.Join(fs, " ")
	}
	s, n.Via = personViaService(s)
	n.Pair = namesTwoPeople(s)
	// "Last, First" → "First Last" (but not "Doe, Jr." or lists).
	if i := strings.IndexByte(s, ','); i > 0 && strings.Count(s, ",") == 1 {
		last, first := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		if first != "" && !titles[strings.Trim(strings.ToLower(first), ".")] {
			s = first + " " + last
		} else {
			s = last
		}
	}
	camel := !strings.ContainsAny(strings.TrimSpace(s), " \t")
	for _, w := range splitWords(s, camel) {
		f := Fold(w)
		if f == "" || titles[f] {
			continue
		}
		n.Tokens = append(n.Tokens, f)
	}
	// "via" between words of a name written as one ("JaneDoeViaRelay"),
	// as between words written apart: the person is the part before it.
	// Also after a cut at a word "via": the part before may split into
	// words around another one ("A0viA A via B"), and parsing the tokens
	// again would cut there.
	for i := 1; i < len(n.Tokens)-1; i++ {
		if n.Tokens[i] == "via" {
			n.Tokens, n.Via = n.Tokens[:i], true
			break
		}
	}
	// A last word "bot" however written ("Jane Bot", "jane-bot",
	// "JaneBot"): the tokens say it, so that parsing the tokens again says
	// it too.
	if len(n.Tokens) > 1 && n.Tokens[len(n.Tokens)-1] == "bot" {
		n.Bot = true
	}
	// "and" between two words of a name written as one ("AnnAndBo"), as
	// between words written apart.
	for i := 1; i < len(n.Tokens)-1 && !n.Pair; i++ {
		n.Pair = n.Tokens[i] == "and"
	}
	n.Compact = strings.Join(n.Tokens, "")
	joined := strings.Join(n.Tokens, " ")
	if placeholderNames[joined] || placeholderNames[n.Compact] {
		n.Placeholder = true
	}
	if automationName(n.Tokens) {
		n.Bot = true
	}
	if n.Bot || n.Pair {
		n.Placeholder = true
	}
	if !n.Placeholder && len(n.Tokens) > 0 {
		k := slices.Clone(n.Tokens)
		slices.Sort(k)
		n.Key = strings.Join(k, " ")
	}
	return n
}

// personViaService returns the person part of a name of the form "Person
// via Service" and true, or s and false: at least one word on each side
// of a word "via" (any case).
func personViaService(s string) (string, bool) {
	if !hasWordFold(s, "via") {
		return s, false
	}
	fs := strings.Fields(s)
	for i := 1; i < len(fs)-1; i++ {
		if strings.EqualFold(fs[i], "via") {
			return strings.Join(fs[:i], " "), true
		}
	}
	return s, false
}

// pairWords join the names of two people in one author name.
var pairWords = map[string]bool{"and": true, "&": true, "+": true}

// namesTwoPeople reports whether a name joins two people's names with
// "and", "&" or "+" ("Ann Lee and Bo Chen", "Ann + Bo"), a word on each
// side. "&" and "+" also count written between two words ("Ann&Bo").
func namesTwoPeople(s string) bool {
	if !strings.ContainsAny(s, "&+") && !hasWordFold(s, "and") {
		return false
	}
	fs := strings.Fields(s)
	for i := 1; i < len(fs)-1; i++ {
		if pairWords[strings.ToLower(fs[i])] && hasLetter(fs[i-1]) && hasLetter(fs[i+1]) {
			return true
		}
	}
	for _, f := range fs {
		if i := strings.IndexAny(f, "&+"); i > 0 && i < len(f)-1 && isLetterByte(f[i-1]) && isLetterByte(f[i+1]) {
			return true
		}
	}
	return false
}

// hasWordFold reports whether s holds the lower-case ASCII word w between
// spaces, in any case, without allocating.
func hasWordFold(s, w string) bool {
	for i := 1; i+len(w) < len(s); i++ {
		if s[i-1] == ' ' && s[i+len(w)] == ' ' && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

// isLetterByte reports whether c is an ASCII letter or a byte of a
// letter outside ASCII.
func isLetterByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf
}

func dropBracketed(s string) string {
	if !strings.ContainsAny(s, "(<[") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '<', '[':
			depth++
		case ')', '>', ']':
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// tokenMatch reports whether two name tokens can name the same person: equal,
// the same given name (nickname table), or one an initial of the other.
func tokenMatch(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) == 1 && strings.HasPrefix(b, a) || len(b) == 1 && strings.HasPrefix(a, b) {
		return true
	}
	return canonicalGiven(a) == canonicalGiven(b)
}

// Compatible reports whether two names can belong to one person. Names
// that are not full (one word, placeholders) are compatible with anything.
// Two full names are compatible when every token of the shorter matches a
// distinct token of the longer (equal, nickname, initial), ignoring order,
// or when one written without spaces equals the other ("Jean Pierre" and
// "Jeanpierre").
func Compatible(a, b Name) bool {
	if !a.Full() || !b.Full() {
		return true
	}
	if a.Key == b.Key || a.Compact == b.Compact {
		return true
	}
	return tokensCover(a.Tokens, b.Tokens)
}

// tokensCover reports whether every token of the shorter list matches a
// distinct token of the longer one, with at least one exact match of a
// token longer than an initial.
func tokensCover(a, b []string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	used := make([]bool, len(b))
	exact := false
	// Exact matches first, so that initials do not steal them.
	matched := make([]bool, len(a))
	for i, t := range a {
		for j, u := range b {
			if !used[j] && t == u {
				used[j], matched[i] = true, true
				if len(t) > 1 {
					exact = true
				}
				break
			}
		}
	}
	for i, t := range a {
		if matched[i] {
			continue
		}
		ok := false
		for j, u := range b {
			if !used[j] && tokenMatch(t, u) {
				used[j], ok = true, true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return exact
}

// Variant reports whether two different full names are variants of one
// name: initials ("J. Doe", "John A. Doe"), nicknames ("Bob Doe"), or the
// same letters spaced differently. It is weak evidence.
func Variant(a, b Name) bool {
	if !a.Full() || !b.Full() || a.Key == b.Key {
		return false
	}
	return a.Compact == b.Compact || tokensCover(a.Tokens, b.Tokens)
}

// Email is a normalised e-mail address.
type Email struct {
	// Addr is the address, trimmed and lower-cased.
	Addr string
	// Key is the address for comparison: plus-addressing removed, Gmail dots
	// removed, googlemail.com as gmail.com. Empty for placeholders.
	Key string
	// Local is the local part of Key (or of Addr for placeholders).
	Local string
	// Domain is the domain of Addr.
	Domain string
	// GitHubLogin is the login of a GitHub per-user noreply address
	// ("123+login@users.noreply.github.com"), lower-cased.
	GitHubLogin string
	// GitHubID is the numeric user id of such an address, when it has one
	// (addresses made before 2017 have only the login). Key is then
	// "ID@users.noreply.github.com", stable across login renames.
	GitHubID string
	// Placeholder reports an address shared by unrelated people or by
	// nobody: see IsPlaceholderEmail.
	Placeholder bool
	// Bot reports an address of an automation.
	Bot bool
}

// genericLocals are local parts that name a role, a default or nobody.
var genericLocals = map[string]bool{
	"root": true, "admin": true, "administrator": true, "user": true, "username": true, "test": true,
	"testing": true, "you": true, "your": true, "yourname": true, "your.name": true, "your_name": true,
	"youremail": true, "your.email": true, "your_email": true, "email": true, "mail": true, "name": true,
	"none": true, "unknown": true, "anonymous": true, "nobody": true, "noreply": true, "no-reply": true,
	"no_reply": true, "donotreply": true, "do-not-reply": true, "do_not_reply": true, "git": true,
	"github": true, "gitlab": true, "info": true, "contact": true, "dev": true, "developer": true,
	"developers": true, "support": true, "team": true, "default": true, "localuser": true,
	"builder": true, "build": true, "ci": true, "jenkins": true, "travis": true, "bot": true,
	"ubuntu": true, "vagrant": true, "pi": true, "action": true, "actions": true, "postmaster": true,
	"webmaster": true, "hostmaster": true, "mailer-daemon": true, "devnull": true, "null": true,
	"invalid": true, "example": true, "foo": true, "bar": true, "nomail": true, "no-mail": true,
	"users": true, "author": true, "committer": true, "buildbot": true, "autobuild": true,
}

// ParseEmail normalises an address and classifies it.
func ParseEmail(s string) Email {
	s = strings.ToLower(strings.TrimSpace(s))
	// "<addr>", "mailto:addr", as often as they are written.
	for {
		t := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">"))
		t = strings.TrimSpace(strings.TrimPrefix(t, "mailto:"))
		if t == s {
			break
		}
		s = t
	}
	// Spaces around the "@" ("jane @example.org", a slip in a git
	// config) are not part of the address.
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		if l, d := strings.TrimSpace(s[:at]), strings.TrimSpace(s[at+1:]); len(l)+len(d)+1 != len(s) {
			s = l + "@" + d
		}
	}
	e := Email{Addr: s}
	at := strings.LastIndexByte(s, '@')
	// No local part or domain, or a space inside: nobody receives mail
	// there ("jo hn@x.org", "John Doe john@x.org" are not addresses).
	if at <= 0 || at == len(s)-1 || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		e.Placeholder = true
		e.Local = s
		return e
	}
	local, domain := s[:at], s[at+1:]
	e.Domain = domain
	e.Local = local
	if domain == "users.noreply.github.com" {
		login := local
		if i := strings.IndexByte(login, '+'); i >= 0 {
			login = login[i+1:]
		}
		if !isGitHubLogin(strings.TrimSuffix(login, "[bot]")) {
			// Not a per-user address: no GitHub login has spaces or
			// punctuation (other than "-" and, for managed users, "_").
			e.Placeholder = true
			return e
		}
		e.GitHubLogin = login
		e.Key = login + "@users.noreply.github.com"
		if i := strings.IndexByte(local, '+'); i > 0 && strings.Trim(local[:i], "0123456789") == "" {
			e.GitHubID = local[:i]
			e.Key = e.GitHubID + "@users.noreply.github.com"
		}
		e.Local = login
		if strings.Contains(login, "[bot]") {
			e.Bot, e.Placeholder, e.Key = true, true, ""
		}
		return e
	}
	// The key's local part: plus-addressing removed, Gmail's dots removed.
	// Both forms are classified, so that the key of an address is
	// classified as the address is ("info+x@" is "info@").
	keyLocal, keyDomain := local, domain
	if i := strings.IndexByte(keyLocal, '+'); i > 0 {
		keyLocal = keyLocal[:i]
	}
	if keyDomain == "googlemail.com" {
		keyDomain = "gmail.com"
	}
	if keyDomain == "gmail.com" {
		keyLocal = strings.ReplaceAll(keyLocal, ".", "")
	}
	e.Bot = isBotLocal(local) || isBotLocal(keyLocal) || isBotDomain(domain)
	// RFC 5322's specials cannot stand unquoted in an address
	// ("a<b@x.org", "mailto:a@x.org" written after a dot): nobody
	// receives mail there, and a key made from it would not be one.
	if e.Bot || placeholderLocal(local) || placeholderLocal(keyLocal) || placeholderDomain(domain) || strings.ContainsAny(s, addrSpecials) {
		e.Placeholder = true
		return e
	}
	local, domain = keyLocal, keyDomain
	e.Local = local
	if len(local)+1+len(domain) == len(s) && s[len(local)] == '@' && strings.HasPrefix(s, local) && strings.HasSuffix(s, domain) {
		e.Key = s // unchanged: no copy
	} else {
		e.Key = local + "@" + domain
	}
	return e
}

// isGitHubLogin reports whether s can be a GitHub login: letters, digits,
// "-" and "_" (enterprise managed users' "login_shortcode"), not empty.
func isGitHubLogin(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// IsPlaceholderEmail reports whether an address is never identity evidence:
// no local part or domain ("?@?"), a machine default (*@localhost,
// *.localdomain, *.(none), a host name without a dot), a role or default
// local part (root@, noreply@, you@, info@), a no-reply address other than
// GitHub's per-user form, or an automation (*[bot]@, *-bot@, jenkins@,
// action@github.com).
func IsPlaceholderEmail(s string) bool { return ParseEmail(s).Placeholder }

// addrSpecials are characters RFC 5322 allows in an address only inside
// quotes, which nobody writes in a commit or a profile ("(" and "[" are
// left out: "host.(none)" is git's placeholder, "[bot]" GitHub's bots).
const addrSpecials = `<>\,;:"`

func placeholderLocal(l string) bool {
	if genericLocals[l] || !hasAlnum(l) {
		return true
	}
	return strings.HasPrefix(l, "noreply") || strings.HasPrefix(l, "no-reply") || strings.HasPrefix(l, "no_reply") || strings.HasPrefix(l, "donotreply")
}

func placeholderDomain(d string) bool {
	if !hasAlnum(d) || !strings.Contains(d, ".") {
		return true
	}
	for _, suffix := range []string{"localhost", ".localdomain", ".local", ".(none)", "(none)", ".invalid", ".lan", ".home", ".internal", ".localhost"} {
		if strings.HasSuffix(d, suffix) {
			return true
		}
	}
	if strings.HasPrefix(d, "localhost") || strings.HasPrefix(d, "noreply.") || strings.HasPrefix(d, "no-reply.") {
		return true
	}
	// An IP address.
	if strings.Trim(d, "0123456789.") == "" {
		return true
	}
	return false
}

func isBotLocal(l string) bool {
	if strings.Contains(l, "[bot]") || botWords[l] {
		return true
	}
	for _, sep := range []string{"-", "_", ".", "+"} {
		if strings.HasSuffix(l, sep+"bot") || strings.HasPrefix(l, "bot"+sep) {
			return true
		}
	}
	return false
}

func isBotDomain(d string) bool {
	// travis-ci.org, circleci.com, appveyor.com: only automation commits from these.
	switch d {
	case "travis-ci.org", "travis-ci.com", "circleci.com", "appveyor.com", "dependabot.com":
		return true
	}
	return false
}

func hasAlnum(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// HandleForm returns the forms of a handle (username, e-mail local part)
// used as blocking keys and compared with names: the folded handle without
// separators or digits at the end ("john.doe42" → "johndoe").
func HandleForm(s string) string {
	s = Fold(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	out := strings.TrimRightFunc(b.String(), unicode.IsDigit)
	return out
}

// NameHandles returns handles a person with name n commonly uses:
// "johndoe", "jdoe", "doejohn". Empty unless the name is full.
func NameHandles(n Name) []string { return appendNameHandles(nil, n) }

// appendNameHandles appends NameHandles(n) to dst.
func appendNameHandles(dst []string, n Name) []string {
	if !n.Full() {
		return dst
	}
	first, last := n.Tokens[0], n.Tokens[len(n.Tokens)-1]
	return append(dst, first+last, first[:1]+last, last+first)
}

// isNameHandle reports whether h is one of NameHandles(n), without
// building them.
func isNameHandle(n Name, h string) bool {
	if isFullNameHandle(n, h) {
		return true
	}
	if !n.Full() {
		return false
	}
	first, last := n.Tokens[0], n.Tokens[len(n.Tokens)-1]
	return len(h) == 1+len(last) && h[0] == first[0] && h[1:] == last
}

// isFullNameHandle reports whether h writes out n's first and last name,
// in either order ("johndoe", "doejohn" for "John Doe"), the given name
// possibly in another form of it ("jeffdoe" for "Jeffrey Doe",
// "matthewdoe" for "Matt Doe", see nicknames).
func isFullNameHandle(n Name, h string) bool {
	if !n.Full() {
		return false
	}
	first, last := n.Tokens[0], n.Tokens[len(n.Tokens)-1]
	if len(h) <= len(last)+1 {
		return false
	}
	var given string
	switch {
	case strings.HasSuffix(h, last):
		given = h[:len(h)-len(last)]
	case strings.HasPrefix(h, last):
		given = h[len(last):]
	default:
		return false
	}
	return given == first || canonicalGiven(given) == canonicalGiven(first) && len(given) >= 3
}

// givenForms calls fn with the forms of a given name: itself, its full
// form and its short forms ("jeffrey", "jeff"; see nicknames).
func givenForms(first string, fn func(string)) {
	fn(first)
	c := canonicalGiven(first)
	if c != first {
		fn(c)
	}
	for _, s := range shortForms[c] {
		if s != first {
			fn(s)
		}
	}
}

// shortForms lists, for each full given name of nicknames, its short
// forms. Built once from nicknames; never written.
var shortForms = func() map[string][]string {
	m := map[string][]string{}
	for short, full := range nicknames {
		m[full] = append(m[full], short)
	}
	for _, l := range m {
		slices.Sort(l)
	}
	return m
}()
