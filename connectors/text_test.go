package connectors

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("héllo 🎉 ", 300) // 8 runes a time, 2,400 runes
	for _, tt := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "thanks, that works", "thanks, that works"},
		{"mastodon html", `<p>Loving <a href="https://m.example/tags/rollcall" class="mention hashtag" rel="tag">#<span>rollcall</span></a> so far!</p><p>Second&nbsp;para &amp; more</p>`,
			"Loving #rollcall so far! Second para & more"},
		{"br and entities", `line one<br>line two<br/>&lt;tag&gt; &quot;q&quot; &#39;s&#39;`, `line one line two <tag> "q" 's'`},
		{"html code block dropped", `<p>Try this:</p><pre><code class="lang-go">func main() { panic("x") }</code></pre><p>It fails.</p>`, "Try this: It fails."},
		{"inline html code kept", `<p>Call <code>Open</code> first</p>`, "Call Open first"},
		{"discourse quote dropped", `<aside class="quote"><blockquote><p>what they said</p></blockquote></aside><p>I agree</p>`, "I agree"},
		{"script and style", `<style>p{}</style>hi<script>alert(1)</script>`, "hi"},
		{"markdown", "# Title\n\nSome **bold** and *em* and ~~gone~~ text.\n\n- item one\n- [x] done\n1. first\n\n---\nend", "Title Some bold and em and gone text. item one done first end"},
		{"markdown links and images", "See [the docs](https://example.com/docs) and ![a cat](https://x/cat.png) or [ref][1].\n\n[1]: https://example.com", "See the docs and a cat or ref. [1]: https://example.com"},
		{"fenced code dropped", "Steps:\n```go\nfunc main() {\n\tpanic(\"boom\")\n}\n```\nthen `go run` fails\n~~~\nmore code\n~~~\nbye", "Steps: then go run fails bye"},
		{"unclosed fence drops the rest", "before\n```\ncode only", "before"},
		{"quoted lines dropped", "> you said this\n> and this\n\nI disagree", "I disagree"},
		{"snake_case survives", "set keep_text to false", "set keep_text to false"},
		{"emoji kept", "great work 🎉👍🏽 :tada:", "great work 🎉👍🏽 :tada:"},
		{"whitespace collapsed", "  a\t\tb\r\n\r\n  c  ", "a b c"},
		{"comparison is not a tag", "a < b and c > d", "a < b and c > d"},
		{"invalid utf-8 dropped", "ok\xff\xfeok", "okok"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Excerpt(tt.in); got != tt.want {
				t.Errorf("Excerpt(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("long input cut on a rune boundary", func(t *testing.T) {
		got := Excerpt(long)
		if n := utf8.RuneCountInString(got); n > MaxTextRunes || n < MaxTextRunes-1 {
			t.Errorf("%d runes, want %d (or one less, a trailing space trimmed)", n, MaxTextRunes)
		}
		if !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
			t.Errorf("cut is not a valid prefix: ...%q", got[len(got)-20:])
		}
	})
	t.Run("exactly the maximum is kept whole", func(t *testing.T) {
		in := strings.Repeat("é", MaxTextRunes)
		if got := Excerpt(in); got != in {
			t.Errorf("cut %d runes to %d", MaxTextRunes, utf8.RuneCountInString(got))
		}
	})
}
