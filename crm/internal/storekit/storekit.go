// Package storekit holds what both stores (crm/sqlite, crm/postgres) do the
// same way outside SQL: batch validation, merging an account into the
// stored one, the JSON sets of e-mails and links, reaction encoding,
// account refs from their keys, and opaque page cursors.
package storekit

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// DecodeSet reads a stored JSON array; an empty array reads as nil.
func DecodeSet(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// EncodeSet writes a set as a JSON array.
func EncodeSet(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s) // []string always marshals
	return string(b)
}

// MergeSet returns the union of a and b, without empty strings, sorted and
// deduplicated.
func MergeSet(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, v := range slices.Concat(a, b) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// ParseRef reads an AccountRef.String() key back. Platforms and instances
// (host names) contain no '/', so the external id is everything after the
// second one.
func ParseRef(s string) (connectors.AccountRef, error) {
	p, rest, ok1 := strings.Cut(s, "/")
	inst, ext, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 {
		return connectors.AccountRef{}, fmt.Errorf("malformed account key %q", s)
	}
	return connectors.AccountRef{Platform: p, Instance: inst, ExternalID: ext}, nil
}

func ValidateBatch(source string, b connectors.Batch) error {
	if source == "" {
		return errors.New("empty source name")
	}
	for i, a := range b.Accounts {
		if a.IsZero() {
			return fmt.Errorf("account %d (%q) has no external id", i, a.Username)
		}
	}
	for i, a := range b.Activities {
		if a.Key == "" {
			return fmt.Errorf("activity %d (%s %s) has no key", i, a.Type, a.URL)
		}
		if a.Actor.IsZero() {
			return fmt.Errorf("activity %s has no actor", a.Key)
		}
	}
	for i, e := range b.Evidence {
		if e.Kind == "" || e.A.IsZero() || e.B.IsZero() {
			return fmt.Errorf("evidence %d (%q) lacks a kind or an account", i, e.Kind)
		}
	}
	return nil
}

// EncodeReactions returns the reactions_total and reactions columns of r:
// NULL and the empty string for nil.
func EncodeReactions(r *connectors.Reactions) (any, string, error) {
	if r == nil {
		return nil, "", nil
	}
	if len(r.ByKind) == 0 {
		return r.Total, "", nil
	}
	b, err := json.Marshal(r.ByKind) // map keys are sorted: stable text
	if err != nil {
		return nil, "", fmt.Errorf("encode reactions: %w", err)
	}
	return r.Total, string(b), nil
}

// MergeAccount returns the stored account old updated with what a says. A full
// profile replaces the profile fields unless the stored one is newer. A
// reference fills the fields it carries; once a full profile is stored, it
// only fills empty ones, so that replaying an old batch cannot undo a newer
// profile. E-mails and links always accumulate.
func MergeAccount(old, a connectors.Account) connectors.Account {
	next := old
	switch {
	case !a.ProfileFetchedAt.IsZero():
		if a.ProfileFetchedAt.Before(old.ProfileFetchedAt) {
			break
		}
		next.Username, next.Name, next.URL, next.AvatarURL = a.Username, a.Name, a.URL, a.AvatarURL
		next.Followers, next.Bot = a.Followers, a.Bot
		next.Reputation = a.Reputation
		next.ProfileFetchedAt = a.ProfileFetchedAt
		// Verification can be withdrawn: a full profile says what holds now.
		next.VerifiedLinks = MergeSet(a.VerifiedLinks, nil)
	default:
		fill := func(dst *string, src string) {
			if src != "" && (*dst == "" || old.ProfileFetchedAt.IsZero()) {
				*dst = src
			}
		}
		fill(&next.Username, a.Username)
		fill(&next.Name, a.Name)
		fill(&next.URL, a.URL)
		fill(&next.AvatarURL, a.AvatarURL)
		if old.ProfileFetchedAt.IsZero() {
			next.Bot = next.Bot || a.Bot
		}
		// A reference (a post's owner) carries the reputation of when the
		// page was read: the latest non-zero one wins.
		if a.Reputation > 0 {
			next.Reputation = a.Reputation
		}
	}
	if next.NetworkID == "" {
		next.NetworkID = a.NetworkID
	}
	next.Emails = MergeSet(old.Emails, a.Emails)
	next.Links = MergeSet(old.Links, a.Links)
	return next
}

func AccountEqual(x, y connectors.Account) bool {
	return x.Username == y.Username && x.Name == y.Name && x.URL == y.URL && x.AvatarURL == y.AvatarURL &&
		x.Followers == y.Followers && x.Reputation == y.Reputation && x.Bot == y.Bot && x.ProfileFetchedAt.Equal(y.ProfileFetchedAt) &&
		slices.Equal(x.Emails, y.Emails) && slices.Equal(x.Links, y.Links) &&
		slices.Equal(x.VerifiedLinks, y.VerifiedLinks) && x.NetworkID == y.NetworkID
}

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

// EncodeCursor writes a page cursor: v as JSON, base64url without padding.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v) // plain structs always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads what EncodeCursor wrote into v; a malformed cursor is
// an error wrapping crm.ErrInvalidQuery.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("malformed cursor %q: %w", s, crm.ErrInvalidQuery)
	}
	return nil
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
