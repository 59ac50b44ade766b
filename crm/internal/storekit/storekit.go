// Package storekit holds small SQL-side helpers of both stores: pair and
// account keys, LIKE escaping and prefix ranges, SQL lists of constants,
// and what the evaluation's window reads share. What both stores share
// outside SQL (batch validation, merging an account into the stored one,
// the stored JSON sets, reactions, account keys, page cursors) is in
// package crm (crm/stored.go), one copy for both.
package storekit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rollcall-dev/rollcall/crm"
)

// PairKey orders two account keys.
func PairKey(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// RefKeys returns the account keys (AccountRef.String) of ids, in order.
func RefKeys(ids []crm.Identity) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.AccountRef.String())
	}
	return out
}

// EscapeLike escapes LIKE wildcards with '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// PrefixRange returns the range of lower(text) values that start with p
// folded as SQLite's lower() does (ASCII only): [lo, hi).
func PrefixRange(p string) (lo, hi string) {
	b := []byte(p)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	lo = string(b)
	r := []rune(lo)
	r[len(r)-1]++
	return lo, string(r)
}

// Refusal words why people's decisions forbid a resolver change: for the
// first pair (in key order) of decided whose latest decision is kind
// (crm.DecisionMerge: the change would part them; crm.DecisionSeparate:
// it would join them), or "" when none is.
func Refusal(decided map[[2]string]string, kind string) string {
	var pairs [][2]string
	for p, k := range decided {
		if k == kind {
			pairs = append(pairs, p)
		}
	}
	if len(pairs) == 0 {
		return ""
	}
	slices.SortFunc(pairs, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	what := "different people"
	if kind == crm.DecisionMerge {
		what = "one person"
	}
	return fmt.Sprintf("people decided %s and %s are %s", pairs[0][0], pairs[0][1], what)
}

// QuotedList is the SQL list of the quoted strings vs ('a', 'b'): for
// constants of the code without quotes, never for input.
func QuotedList(vs []string) string {
	return `'` + strings.Join(vs, `', '`) + `'`
}

// MemberOf maps the identities of d's members to their member.
func MemberOf(d crm.ScoreData) map[int64]int64 {
	out := make(map[int64]int64)
	for _, m := range d.Members {
		for _, id := range m.Identities {
			out[id.ID] = m.ID
		}
	}
	return out
}

// MentionPrefixes returns, for each of keys that is a Mastodon status's
// post key, the key and the prefix of its mentions' keys
// (crm.MentionPrefix), in order.
func MentionPrefixes(keys []string) (statuses, prefixes []string) {
	for _, k := range keys {
		if p, ok := crm.MentionPrefix(k); ok {
			statuses, prefixes = append(statuses, k), append(prefixes, p)
		}
	}
	return statuses, prefixes
}
