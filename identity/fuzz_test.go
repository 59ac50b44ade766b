package identity

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// normalizeSeeds are names, handles and addresses of the kinds the
// resolver meets: accents, ligatures, Greek and Cyrillic, "Last, First",
// bots, pairs, noreply and plus addresses, and broken input.
var normalizeSeeds = []string{
	"", " ", "John Doe", "Doe, John", "DOE John", "Dr. Jane Doe, PhD", "José Ñúñez", "Jürgen Groß",
	"ẞ", "ǅ", "Æsa Ørsted", "Łukasz Żółć", "Αλέξανδρος", "Дмитрий Иванов", "李小龙", "e\u0301",
	"O'Brien", "D’Angelo", "JohnDoe", "john.doe42", "jane_doe", "dependabot[bot]", "GitHub Actions",
	"Ann Lee and Bo Chen", "Ann&Bo", "Jane Doe via Patch Relay", "Jane Doe (Acme) <jane@acme.io>",
	"jane@example.org", "<Jane.Doe+tag@GoogleMail.com>", "mailto:x@y.z", "123+octo@users.noreply.github.com",
	"octo@users.noreply.github.com", "+@users.noreply.github.com", "49699333+dependabot[bot]@users.noreply.github.com",
	"root@localhost", "a@b", "@", "a@", "@b.c", "a@@b.c", "\xff\xfe", "K", "İstanbul", "ﬁnn", "\u00a0Ana\u2003Li",
}

// FuzzFold: Fold is idempotent (folding a folded string changes nothing),
// leaves no upper-case letter and no combining mark, and keeps valid UTF-8
// valid.
func FuzzFold(f *testing.F) {
	for _, s := range normalizeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := Fold(s)
		if twice := Fold(once); twice != once {
			t.Fatalf("Fold not idempotent: Fold(%q) = %q, Fold(%q) = %q", s, once, once, twice)
		}
		if utf8.ValidString(s) && !utf8.ValidString(once) {
			t.Fatalf("Fold(%q) = %q: not valid UTF-8", s, once)
		}
		for _, r := range once {
			if unicode.IsUpper(r) && unicode.ToLower(r) != r || unicode.Is(unicode.Mn, r) {
				t.Fatalf("Fold(%q) = %q keeps %q", s, once, r)
			}
		}
	})
}

// FuzzParseName: ParseName never panics; its tokens are non-empty and
// folded; Key is the sorted tokens, empty exactly for placeholders and
// empty names; Compact joins the tokens; and parsing the tokens again,
// written as a plain name, gives the same tokens and Key (normalising a
// normalised name changes nothing).
func FuzzParseName(f *testing.F) {
	for _, s := range normalizeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := ParseName(s)
		for _, tok := range n.Tokens {
			if tok == "" || Fold(tok) != tok {
				t.Fatalf("ParseName(%q): token %q is empty or not folded", s, tok)
			}
		}
		if n.Compact != strings.Join(n.Tokens, "") {
			t.Fatalf("ParseName(%q): Compact %q, tokens %q", s, n.Compact, n.Tokens)
		}
		if n.Placeholder || len(n.Tokens) == 0 {
			if n.Key != "" {
				t.Fatalf("ParseName(%q): placeholder with key %q", s, n.Key)
			}
		} else {
			k := slices.Clone(n.Tokens)
			slices.Sort(k)
			if n.Key != strings.Join(k, " ") {
				t.Fatalf("ParseName(%q): key %q, tokens %q", s, n.Key, n.Tokens)
			}
		}
		if n.Bot && !n.Placeholder {
			t.Fatalf("ParseName(%q): a bot that is not a placeholder", s)
		}
		if n.Placeholder || len(n.Tokens) < 2 {
			return // a placeholder's tokens need not name anyone; one word may be camel-split again
		}
		again := ParseName(strings.Join(n.Tokens, " "))
		if !slices.Equal(again.Tokens, n.Tokens) || again.Key != n.Key {
			t.Fatalf("ParseName not idempotent: %q → %q (key %q) → %q (key %q)", s, n.Tokens, n.Key, again.Tokens, again.Key)
		}
	})
}

// FuzzParseEmail: ParseEmail never panics; Addr, Key and Local are
// lower-case and trimmed; a placeholder has no Key and anything else has
// one of the form local@domain; and normalising again changes nothing:
// ParseEmail(e.Addr) is e, and ParseEmail(e.Key) has Key e.Key.
func FuzzParseEmail(f *testing.F) {
	for _, s := range normalizeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := ParseEmail(s)
		for _, v := range []string{e.Addr, e.Key, e.Local, e.Domain} {
			if v != strings.ToLower(v) || v != strings.TrimSpace(v) {
				t.Fatalf("ParseEmail(%q) = %+v: %q is not lower-case and trimmed", s, e, v)
			}
		}
		if e.Placeholder != (e.Key == "") {
			t.Fatalf("ParseEmail(%q) = %+v: placeholder %v with key %q", s, e, e.Placeholder, e.Key)
		}
		if e.Key != "" {
			at := strings.LastIndexByte(e.Key, '@')
			local := e.Local
			if e.GitHubID != "" {
				local = e.GitHubID // the key of a noreply address with an id names the id
			}
			if at <= 0 || at == len(e.Key)-1 || e.Key[:at] != local {
				t.Fatalf("ParseEmail(%q) = %+v: key is not Local@domain", s, e)
			}
		}
		if again := ParseEmail(e.Addr); again != e {
			t.Fatalf("ParseEmail not idempotent on Addr: %q → %+v → %+v", s, e, again)
		}
		if e.Key != "" {
			if again := ParseEmail(e.Key); again.Key != e.Key || again.Placeholder {
				t.Fatalf("ParseEmail not idempotent on Key: %q → key %q → %+v", s, e.Key, again)
			}
		}
	})
}

// FuzzHandleForm: HandleForm is idempotent and yields only lower-case
// letters and digits, never ending in a digit.
func FuzzHandleForm(f *testing.F) {
	for _, s := range normalizeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := HandleForm(s)
		if again := HandleForm(h); again != h {
			t.Fatalf("HandleForm not idempotent: %q → %q → %q", s, h, again)
		}
		for _, r := range h {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) || unicode.IsUpper(r) && unicode.ToLower(r) != r {
				t.Fatalf("HandleForm(%q) = %q holds %q", s, h, r)
			}
		}
		if h != "" && unicode.IsDigit([]rune(h)[len([]rune(h))-1]) {
			t.Fatalf("HandleForm(%q) = %q ends in a digit", s, h)
		}
	})
}
