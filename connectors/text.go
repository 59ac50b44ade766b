package connectors

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxTextRunes bounds Activity.Text: an excerpt keeps at most this many
// characters (runes).
const MaxTextRunes = 1000

var (
	// Elements whose content is not the author's prose: code, scripts,
	// styles, and quotes of someone else's words.
	dropElemRE = []*regexp.Regexp{
		regexp.MustCompile(`(?is)<pre\b.*?</pre\s*>`),
		regexp.MustCompile(`(?is)<script\b.*?</script\s*>`),
		regexp.MustCompile(`(?is)<style\b.*?</style\s*>`),
		regexp.MustCompile(`(?is)<blockquote\b.*?</blockquote\s*>`),
	}
	// Tags that separate words when removed.
	blockTagRE = regexp.MustCompile(`(?i)</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|hr|aside|section|article|header|footer|details|summary)\b[^>]*>`)
	anyTagRE   = regexp.MustCompile(`(?s)<[a-zA-Z/!][^>]*>`)

	mdHeadingRE = regexp.MustCompile(`^\s{0,3}#{1,6}\s+`)
	mdListRE    = regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?`)
	mdRuleRE    = regexp.MustCompile(`^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$`)
	mdImageRE   = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLinkRE    = regexp.MustCompile(`\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])`)
	mdCodeRE    = regexp.MustCompile("`+([^`]*)`+")
	mdEmphRE    = regexp.MustCompile(`\*+|~~|(?:^|\b)__|__(?:\b|$)`)
)

// Excerpt returns a bounded plain-text excerpt of a post, comment, answer
// or review written in HTML, Markdown or both (GitHub Markdown with inline
// HTML, Discourse's and Mastodon's HTML): tags, code blocks (fenced,
// <pre>), quoted lines ("> ", <blockquote>: someone else's words), heading,
// list and emphasis markers are removed, links and images keep their text,
// entities are decoded, whitespace is collapsed to single spaces, and the
// result is cut to MaxTextRunes runes on a rune boundary. Emoji stay.
func Excerpt(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToValidUTF8(s, "")
	// Line by line: fenced code blocks, quotes, headings, lists, rules.
	var b strings.Builder
	fence := ""
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			continue
		}
		if strings.HasPrefix(t, ">") || strings.HasPrefix(t, "&gt;") || mdRuleRE.MatchString(line) {
			continue
		}
		line = mdHeadingRE.ReplaceAllString(line, "")
		line = mdListRE.ReplaceAllString(line, "")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	s = b.String()
	for _, re := range dropElemRE {
		s = re.ReplaceAllString(s, " ")
	}
	s = blockTagRE.ReplaceAllString(s, " ")
	s = anyTagRE.ReplaceAllString(s, "")
	s = mdImageRE.ReplaceAllString(s, "$1")
	s = mdLinkRE.ReplaceAllString(s, "$1")
	s = mdCodeRE.ReplaceAllString(s, "$1")
	s = mdEmphRE.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.Join(strings.Fields(s), " ")
	return truncateRunes(s, MaxTextRunes)
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return strings.TrimRightFunc(s[:k], func(r rune) bool { return r == ' ' })
		}
		i++
	}
	return s
}
