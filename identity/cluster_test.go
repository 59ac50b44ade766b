package identity

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rollcall-dev/rollcall/connectors"
)

func ghCand(id, login, name string, links ...string) Candidate {
	return Candidate{Ref: connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: id}, Username: login, Name: name, Links: links}
}

func mastoCand(user, name string, links, verified []string) Candidate {
	return Candidate{Ref: connectors.AccountRef{Platform: "mastodon", Instance: "fosstodon.org", ExternalID: user}, Username: user, Name: name, Links: links, VerifiedLinks: verified}
}

func gitCand(name, email string) Candidate {
	return Candidate{Ref: connectors.AccountRef{Platform: "git", ExternalID: email}, Name: name, Emails: []string{email}}
}

// alias is a commit author as ResolveTSV sees one: a distinct (name,
// address) pair, so that several people may share one address.
func alias(name, email string) Candidate {
	return Candidate{Key: name + " <" + email + ">", Ref: connectors.AccountRef{Platform: "git"}, Name: name, Emails: []string{email}}
}

func together(res Resolution, cs []Candidate, i, j int) bool {
	return res.MemberOf[i] == res.MemberOf[j]
}

func TestResolveRules(t *testing.T) {
	tests := []struct {
		name  string
		cs    []Candidate
		opts  Options
		same  [][2]int
		apart [][2]int
		// never lists evidence kinds no merge may rest on.
		never []string
		// suggest lists pairs that must be left as a suggestion.
		suggest [][2]int
	}{
		{
			name: "mutual profile links merge",
			cs:   []Candidate{ghCand("1", "ana", "Ana Lima", "https://fosstodon.org/@ana"), mastoCand("ana", "Ana", []string{"https://github.com/ana"}, nil)},
			same: [][2]int{{0, 1}},
		},
		{
			name: "a link verified by the platform merges",
			cs:   []Candidate{ghCand("1", "ana", "Ana Lima"), mastoCand("ana", "Ana", nil, []string{"https://github.com/ana"})},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "a one-way claim by an impostor never merges",
			cs:    []Candidate{ghCand("1", "famous", "Famous Dev"), mastoCand("famous", "Famous Dev", []string{"https://github.com/famous"}, nil)},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "noreply address joins its login",
			cs:   []Candidate{ghCand("583231", "octo", "Octo Cat"), gitCand("octo", "583231+octo@users.noreply.github.com")},
			same: [][2]int{{0, 1}},
		},
		{
			name: "commit authors with one address merge",
			cs:   []Candidate{{Key: "a", Name: "Ana Lima", Emails: []string{"ana@lima.example"}}, {Key: "b", Name: "alima", Emails: []string{"Ana@Lima.example"}}},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "placeholder addresses are no evidence",
			cs:    []Candidate{{Key: "a", Name: "Ana Lima", Emails: []string{"root@localhost"}}, {Key: "b", Name: "Bo Chen", Emails: []string{"root@localhost"}}, {Key: "c", Name: "Cy Dee", Emails: []string{"?@?"}}, {Key: "d", Name: "Di Eve", Emails: []string{"?@?"}}},
			apart: [][2]int{{0, 1}, {2, 3}},
		},
		{
			name: "a name shared by two GitHub accounts is ambiguous",
			cs: []Candidate{
				ghCand("1", "weichen", "Wei Chen"), ghCand("2", "weichen-dev", "Wei Chen"),
				gitCand("Wei Chen", "wei@a.example"), gitCand("Wei Chen", "wei@b.example"),
			},
			opts: Options{Links: []Link{
				{Kind: KindCommitAuthorLogin, A: "git//wei@a.example", B: "github/github.com/1"},
				{Kind: KindCommitAuthorLogin, A: "git//wei@b.example", B: "github/github.com/2"},
			}},
			same:  [][2]int{{0, 2}, {1, 3}},
			apart: [][2]int{{0, 1}},
		},
		{
			name:  "two accounts of one platform never merge on evidence",
			cs:    []Candidate{ghCand("1", "ana", "Ana Lima"), ghCand("2", "ana2", "Ana Lima"), gitCand("Ana Lima", "ana@lima.example")},
			opts:  Options{Links: []Link{{Kind: KindCommitAuthorLogin, A: "git//ana@lima.example", B: "github/github.com/1"}, {Kind: KindCommitAuthorLogin, A: "git//ana@lima.example", B: "github/github.com/2"}}},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "a person's merge overrides the platform veto",
			cs:   []Candidate{ghCand("1", "ana", "Ana Lima"), ghCand("2", "ana-work", "Ana Lima")},
			opts: Options{Together: [][2]string{{"github/github.com/1", "github/github.com/2"}}},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "a person's separation wins over evidence",
			cs:    []Candidate{gitCand("Ana Lima", "ana@lima.example"), gitCand("Ana Lima", "ana@work.example")},
			opts:  Options{Apart: [][2]string{{"git//ana@lima.example", "git//ana@work.example"}}},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "an address that spells a full name joins that name's author",
			cs:   []Candidate{gitCand("Mary Major", "mary@major.example"), gitCand("mm", "marymajor@mail.example"), gitCand("Other Person", "major.mary@mail.example")},
			same: [][2]int{{0, 1}, {0, 2}},
		},
		{
			name:  "an address in initial form (mmajor) is not enough",
			cs:    []Candidate{gitCand("Mary Major", "mary@major.example"), gitCand("mm", "mmajor@mail.example")},
			apart: [][2]int{{0, 1}},
		},
		{
			name:  "an address that spells the names of two people joins neither",
			cs:    []Candidate{gitCand("Mary Major", "mary@a.example"), gitCand("Ajor Marym", "ajor@b.example"), gitCand("mm", "marymajor@mail.example")},
			apart: [][2]int{{2, 0}, {2, 1}, {0, 1}},
		},
		{
			name: "the same one-word name and the same handle merge",
			cs:   []Candidate{gitCand("quux", "quux@a.example"), gitCand("quux", "quux42@b.example"), gitCand("quux", "12+quux@users.noreply.github.com")},
			same: [][2]int{{0, 1}, {0, 2}},
		},
		{
			name:  "the same one-word name alone does not merge",
			cs:    []Candidate{gitCand("quux", "q1@a.example"), gitCand("quux", "zed@b.example")},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "names one spelling apart with one handle merge",
			cs:   []Candidate{gitCand("Jonathan Smithson", "jsmithson@a.example"), gitCand("Jonathan Smitson", "jsmithson@b.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "different names with one handle do not merge",
			cs:    []Candidate{gitCand("Jonathan Smithson", "jsmithson@a.example"), gitCand("Jennifer Smithson", "jsmithson@b.example")},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "a one-word name that is the login of a noreply address joins it",
			cs:   []Candidate{gitCand("Mary Major", "583231+quuxdev@users.noreply.github.com"), gitCand("quuxdev", "mm@mail.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "a short one-word name is not taken for a login",
			cs:    []Candidate{gitCand("Mary Major", "583231+mary@users.noreply.github.com"), gitCand("mary", "mm@mail.example")},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "a login-like name that writes out a full name joins it",
			cs:   []Candidate{gitCand("Mary Major", "mary@major.example"), gitCand("marymajor", "mm@mail.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "a login-like name in initial form is any M. Major's",
			cs:    []Candidate{gitCand("Mary Major", "mary@major.example"), gitCand("mmajor", "mm@mail.example")},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "an address that spells a name two members wear joins neither",
			cs: []Candidate{
				ghCand("1", "mary1", "Mary Major"), gitCand("Mary Major", "mary@a.example"),
				ghCand("2", "mary2", "Mary Major"), gitCand("Mary Major", "mary@b.example"),
				gitCand("M.", "marymajor@mail.example"),
			},
			opts: Options{Links: []Link{
				{Kind: KindCommitAuthorLogin, A: "git//mary@a.example", B: "github/github.com/1"},
				{Kind: KindCommitAuthorLogin, A: "git//mary@b.example", B: "github/github.com/2"},
			}},
			same:  [][2]int{{0, 1}, {2, 3}},
			apart: [][2]int{{0, 2}, {4, 0}, {4, 2}},
		},
		{
			name:  "an address that spells the name of two people a person separated joins neither",
			cs:    []Candidate{gitCand("Mary Major", "mary@a.example"), gitCand("Mary Major", "mary@b.example"), gitCand("M.", "marymajor@mail.example")},
			opts:  Options{Apart: [][2]string{{"git//mary@a.example", "git//mary@b.example"}}},
			apart: [][2]int{{0, 1}, {2, 0}, {2, 1}},
		},
		{
			name: "a relay for two people joins neither on its address; each joins their own commits by name",
			cs: []Candidate{
				alias("Ann Lee via Patch Relay", "patches@relay.example.org"), alias("Bo Chen via Patch Relay", "patches@relay.example.org"),
				alias("Ann Lee", "ann@lee.example"), alias("Bo Chen", "bo@chen.example"),
			},
			same:  [][2]int{{0, 2}, {1, 3}},
			apart: [][2]int{{0, 1}, {2, 3}},
			never: []string{KindSameEmail},
		},
		{
			name:  "an address under three clearly different names is shared",
			cs:    []Candidate{alias("Ann Lee", "patches@lists.example.org"), alias("Bo Chen", "patches@lists.example.org"), alias("Cy Dee", "patches@lists.example.org")},
			apart: [][2]int{{0, 1}, {0, 2}, {1, 2}},
		},
		{
			name: "an address under two clearly different names is still one person's (a name change)",
			cs:   []Candidate{alias("Ann Lee", "ann@lee.example"), alias("Ann Smith", "ann@lee.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "a relay for three people joins none of them",
			cs:    relayed(3, "B4 Relay", "devnull@kernel.example.org"),
			apart: allPairs(3),
			never: []string{KindSameEmail},
		},
		{
			name:  "a relay for ten people joins none of them",
			cs:    relayed(10, "Patch Relay", "patches@relay.example.org"),
			apart: allPairs(10),
			never: []string{KindSameEmail},
		},
		{
			name: "a relay one person uses under two spellings of their name is one person, by name rules only",
			cs: []Candidate{
				alias("Ann Lee via Patch Relay", "patches@relay.example.org"), alias("Lee, Ann via Patch Relay", "patches@relay.example.org"),
				alias("Bo Chen via Patch Relay", "patches@relay.example.org"),
			},
			same:  [][2]int{{0, 1}},
			apart: [][2]int{{0, 2}, {1, 2}},
			never: []string{KindSameEmail, KindHandleName, KindNameAndAddress, KindAddressName, KindSameHandle},
		},
		{
			name: "a commit by a pair marks its address shared",
			cs: []Candidate{
				alias("Ann Lee and Bo Chen", "ann@lee.example"), alias("Ann Lee", "ann@lee.example"),
				alias("Bo Chen", "ann@lee.example"), alias("Bo Chen", "bo@chen.example"),
			},
			same:  [][2]int{{2, 3}},
			apart: [][2]int{{0, 1}, {0, 2}, {1, 2}, {0, 3}},
		},
		{
			name:  "pair names written with + and & name nobody",
			cs:    []Candidate{alias("Ann + Bo", "mob@acme.example"), alias("Ann & Bo", "ann.bo@acme.example"), alias("Ann&Bo", "annbo@acme.example")},
			apart: [][2]int{{0, 1}, {0, 2}, {1, 2}},
		},
		{
			name: "a pairing address under two names is shared; under one name it is that person's",
			cs: []Candidate{
				alias("Ann Lee", "pair@acme.example"), alias("Bo Chen", "pair@acme.example"),
				alias("Cy Dee", "pairing-station@acme.example"), alias("C. Dee", "pairing-station@acme.example"),
			},
			same:  [][2]int{{2, 3}},
			apart: [][2]int{{0, 1}},
		},
		{
			name:  "a pairing address under two one-word names is shared",
			cs:    []Candidate{alias("ann", "pair@acme.example"), alias("bo", "pair@acme.example"), alias("cyd", "pair@acme.example")},
			apart: [][2]int{{0, 1}, {0, 2}, {1, 2}},
		},
		{
			name:    "a long one-word name on two addresses is a suggestion, not a merge",
			cs:      []Candidate{alias("tigershark", "stripes@a.example"), alias("tigershark", "fins@b.example")},
			opts:    Options{},
			apart:   [][2]int{{0, 1}},
			suggest: [][2]int{{0, 1}},
		},
		{
			name:  "a colour as a one-word name on two addresses is no evidence",
			cs:    []Candidate{alias("orange", "zest@a.example"), alias("orange", "peel@b.example")},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "a one-word name supports an address that agrees",
			cs:   []Candidate{alias("tigershark", "tigershark@a.example"), alias("tigershark", "tigershark@b.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name: "an alias with one person's address and another person's name joins the address's member",
			cs: []Candidate{
				alias("Alice Jones", "alice@x.example"), alias("Bob Smith", "alice@x.example"), alias("Bob Smith", "bob@y.example"),
			},
			same:    [][2]int{{0, 1}},
			apart:   [][2]int{{0, 2}, {1, 2}},
			suggest: [][2]int{{1, 2}},
		},
		{
			name: "an alias on another person's machine account joins the machine's member",
			cs: []Candidate{
				alias("alice", "alice@laptop.example"), alias("Bob Smith", "alice@laptop.example"), alias("Bob Smith", "bob@y.example"),
			},
			same:    [][2]int{{0, 1}},
			apart:   [][2]int{{0, 2}, {1, 2}},
			suggest: [][2]int{{1, 2}},
		},
		{
			name: "a strong link beats an e-mail: the other link becomes a suggestion",
			cs: []Candidate{
				alias("Alice Jones", "alice@x.example"), alias("Bob Smith", "alice@x.example"), ghCand("7", "bobsmith", "Bob Smith"),
			},
			opts:    Options{Links: []Link{{Kind: KindCommitAuthorLogin, A: "Bob Smith <alice@x.example>", B: "github/github.com/7"}}},
			same:    [][2]int{{1, 2}},
			apart:   [][2]int{{0, 1}, {0, 2}},
			suggest: [][2]int{{0, 1}},
		},
		{
			name: "a person's login name is no stranger: their aliases join",
			cs: []Candidate{
				alias("Bob Smith", "bob@x.example"), alias("bob", "bob@x.example"), alias("Bob Smith", "bob@y.example"),
			},
			same: [][2]int{{0, 1}, {0, 2}},
		},
		{
			name: "names one swap of two letters apart with one handle merge",
			cs:   []Candidate{alias("Ann Johnson", "ajohnson@a.example"), alias("Ann Jonhson", "ajohnson@b.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name: "an address that spells a name with a nickname joins that name's author",
			cs:   []Candidate{alias("Jeff", "jeffmajor@mail.example"), alias("Jeffrey Major", "jeffrey@major.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name: "a given name that is also a bot's word is a person's name beside a surname",
			cs:   []Candidate{alias("Travis Major", "tm@a.example"), alias("Travis Major", "tmajor@b.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "the same first name and handles that share only that name do not merge",
			cs:    []Candidate{alias("Mary", "marymajor@a.example"), alias("Mary", "marymiller@b.example")},
			apart: [][2]int{{0, 1}},
		},
		{
			name: "the same one-word name and handles one spelling apart merge",
			cs:   []Candidate{alias("Mary", "marymajor@a.example"), alias("Mary", "marimajor@b.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name: "a long handle on two addresses is one person's",
			cs:   []Candidate{alias("Mary Major", "maryquitecontrary@a.example"), alias("mqc", "maryquitecontrary@b.example")},
			same: [][2]int{{0, 1}},
		},
		{
			name: "an address written as the name is the author's address",
			cs:   []Candidate{alias("Mary Major", "mary@major.example"), alias("mary@major.example", "mary@laptop.local")},
			same: [][2]int{{0, 1}},
		},
		{
			name:  "bots never merge on names or addresses",
			cs:    []Candidate{gitCand("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"), gitCand("dependabot[bot]", "support@github.com")},
			apart: [][2]int{{0, 1}},
		},
	}
	for _, tt := range tests {
		// Every case holds whatever the order of the identities: as
		// given, and reversed.
		for _, reversed := range []bool{false, true} {
			order := "in order"
			if reversed {
				order = "reversed"
			}
			t.Run(tt.name+"/"+order, func(t *testing.T) {
				cs, at := slices.Clone(tt.cs), func(i int) int { return i }
				if reversed {
					slices.Reverse(cs)
					at = func(i int) int { return len(cs) - 1 - i }
				}
				res := Resolve(cs, tt.opts)
				for _, p := range tt.same {
					if !together(res, cs, at(p[0]), at(p[1])) {
						t.Errorf("identities %d and %d are apart, want one member", p[0], p[1])
					}
				}
				for _, p := range tt.apart {
					if together(res, cs, at(p[0]), at(p[1])) {
						t.Errorf("identities %d and %d share a member, want apart", p[0], p[1])
					}
				}
				for _, m := range res.Merges {
					if len(m.Evidence) == 0 {
						t.Errorf("merge %s + %s records no evidence", m.A, m.B)
					}
					for _, s := range m.Evidence {
						if slices.Contains(tt.never, s.Kind) {
							t.Errorf("merge %s + %s rests on %s, want no merge on it", m.A, m.B, s)
						}
					}
				}
				for _, p := range tt.suggest {
					if !suggested(res, key(cs[at(p[0])]), key(cs[at(p[1])])) {
						t.Errorf("no suggestion between the members of identities %d and %d; suggestions: %+v", p[0], p[1], res.Suggestions)
					}
				}
			})
		}
	}
}

// key is a candidate's identity key.
func key(c Candidate) string {
	if c.Key != "" {
		return c.Key
	}
	return c.Ref.String()
}

// suggested reports whether a suggestion links the members of identities
// a and b, with reasons.
func suggested(res Resolution, a, b string) bool {
	member := map[string]int{}
	for m, keys := range res.Members {
		for _, k := range keys {
			member[k] = m
		}
	}
	for _, s := range res.Suggestions {
		x, y := member[s.A], member[s.B]
		if len(s.Reasons) > 0 && (x == member[a] && y == member[b] || x == member[b] && y == member[a]) {
			return true
		}
	}
	return false
}

// relayed returns n commits of n different people sent by one relay
// ("Person via service <addr>").
func relayed(n int, service, addr string) []Candidate {
	firsts := []string{"Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu"}
	lasts := []string{"Lee", "Chen", "Dee", "Eve", "Fox", "Gray", "Hill", "Ives", "Jones", "Kerr", "Lund", "Moss"}
	var cs []Candidate
	for i := range n {
		cs = append(cs, alias(firsts[i%len(firsts)]+" "+lasts[(i*5)%len(lasts)]+" via "+service, addr))
	}
	return cs
}

// allPairs lists every pair of n identities.
func allPairs(n int) [][2]int {
	var out [][2]int
	for i := range n {
		for j := i + 1; j < n; j++ {
			out = append(out, [2]int{i, j})
		}
	}
	return out
}

func TestSuggestionForOneWayClaim(t *testing.T) {
	cs := []Candidate{ghCand("1", "famous", "Famous Dev"), mastoCand("famous", "Famous Dev", []string{"https://github.com/famous"}, nil)}
	res := Resolve(cs, Options{})
	if len(res.Suggestions) != 1 {
		t.Fatalf("got %d suggestions, want 1", len(res.Suggestions))
	}
	s := res.Suggestions[0]
	if s.Confidence <= 0 || s.Confidence >= 0.99 || len(s.Reasons) == 0 {
		t.Errorf("suggestion %+v: want a confidence in (0, 0.99) and reasons", s)
	}
}

func TestIncrementalEqualsBatch(t *testing.T) {
	cs := synthetic(3000)
	batch := Resolve(cs, Options{NoSuggestions: true})
	x := NewIndex(Options{NoSuggestions: true})
	for i := 0; i < len(cs); i += 500 {
		x.Add(cs[i:min(i+500, len(cs))]...)
	}
	inc := x.Resolution()
	diff := 0
	for i := range cs {
		for _, j := range []int{i + 1, i + 7} {
			if j < len(cs) && (batch.MemberOf[i] == batch.MemberOf[j]) != (inc.MemberOf[i] == inc.MemberOf[j]) {
				diff++
			}
		}
	}
	t.Logf("batch %d members, incremental in chunks of 500: %d members; %d sampled pairs differ", len(batch.Members), len(inc.Members), diff)
	if again := Resolve(cs, Options{NoSuggestions: true}); !cmp.Equal(again.MemberOf, batch.MemberOf) {
		t.Error("Resolve is not deterministic")
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, key string }{
		{"Major, Mary", "major mary"},
		{"MARY MAJOR", "major mary"},
		{"Márÿ Majœr", "majoer mary"},
		{"mary.major", "major mary"},
		{"MaryMajor", "major mary"},
		{"Dr. Mary Major (Acme)", "major mary"},
		{"Иван Петров", "ivan petrov"},
	} {
		if got := ParseName(tc.in).Key; got != tc.key {
			t.Errorf("ParseName(%q).Key = %q, want %q", tc.in, got, tc.key)
		}
	}
	for _, tc := range []struct {
		in          string
		placeholder bool
	}{
		{"root@localhost", true}, {"?@?", true}, {"me@box.(none)", true}, {"noreply@github.com", true},
		{"41898282+github-actions[bot]@users.noreply.github.com", true}, {"action@github.com", true},
		{"ana-bot@x.example", true}, {"jenkins@ci.example", true}, {"you@example.com", true},
		{"123+ana@users.noreply.github.com", false}, {"ana@lima.example", false},
	} {
		if got := IsPlaceholderEmail(tc.in); got != tc.placeholder {
			t.Errorf("IsPlaceholderEmail(%q) = %v, want %v", tc.in, got, tc.placeholder)
		}
	}
	for _, tc := range []struct {
		in, key         string
		via, pair, auto bool
	}{
		{in: "Mary Major via Patch Relay", key: "major mary", via: true},
		{in: "Major, Mary via lists.example.org", key: "major mary", via: true},
		{in: "Maria Via", key: "maria via"},
		{in: "Ann Lee and Bo Chen", pair: true},
		{in: "Ann + Bo", pair: true},
		{in: "Ann&Bo", pair: true},
		{in: "c++dev", key: "c dev"},
		{in: "Travis CI", auto: true},
		{in: "GitHub Actions", auto: true},
		{in: "jenkins", auto: true},
		{in: "Travis Major", key: "major travis"},
		{in: "Mary Jenkins", key: "jenkins mary"},
	} {
		n := ParseName(tc.in)
		if n.Key != tc.key || n.Via != tc.via || n.Pair != tc.pair || n.Bot != tc.auto {
			t.Errorf("ParseName(%q) = key %q via %v pair %v bot %v, want key %q via %v pair %v bot %v", tc.in, n.Key, n.Via, n.Pair, n.Bot, tc.key, tc.via, tc.pair, tc.auto)
		}
	}
	if !Compatible(ParseName("M. Major"), ParseName("Mary Major")) || Compatible(ParseName("Maria Major"), ParseName("Mary Major")) {
		t.Error("Compatible: initials or different given names misjudged")
	}
	if !Compatible(ParseName("Bob Smith"), ParseName("Robert Smith")) {
		t.Error("Compatible: nickname not recognised")
	}
}

func TestHandleFormIs(t *testing.T) {
	for _, s := range []string{"John-Doe42", "jdoe", "Ana_Lima.7", "Émile", "x", "", "42", "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p"} {
		want := HandleForm(s)
		if !handleFormIs(s, want) {
			t.Errorf("handleFormIs(%q, %q) = false, want true", s, want)
		}
		if handleFormIs(s, want+"x") {
			t.Errorf("handleFormIs(%q, %q) = true, want false", s, want+"x")
		}
	}
}
