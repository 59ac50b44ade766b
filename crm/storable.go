package crm

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Storable returns s as both stores keep text: valid UTF-8 (invalid bytes
// become U+FFFD) without NUL bytes (dropped). A service may send a NUL as
// \u0000 in JSON, which decodes to a valid Go string that PostgreSQL
// refuses in text (SQLite would store it, and `rollcall migrate` could not
// copy it); one odd display name would make its whole batch fail on every
// retry and stop the source.
func Storable(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// Limits on the text both stores keep (see StorableBatch): a stranger's
// profile or post can be any size, and one 1 MB display name must not
// bloat every page, log line and journey that shows it.
const (
	// MaxNameRunes bounds usernames, display names and channels: longer
	// ones are cut to this many characters (runes).
	MaxNameRunes = 256
	// MaxTitleRunes bounds activity titles: longer ones are cut.
	MaxTitleRunes = 500
	// MaxURLBytes bounds URLs (profile, avatar, activity and profile
	// links): a longer URL is dropped, since a cut one would point
	// elsewhere.
	MaxURLBytes = 2048
	// MaxEmailBytes is the longest e-mail address kept (RFC 5321's 254);
	// longer ones are dropped.
	MaxEmailBytes = 254
	// MaxListItems bounds an account's e-mail addresses, links and
	// verified links: the first ones are kept.
	MaxListItems = 32
)

// cut returns s cut to at most n runes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// bounded returns s, or "" when it is longer than max bytes.
func bounded(s string, max int) string {
	if len(s) > max {
		return ""
	}
	return s
}

// boundedList keeps the first MaxListItems items of xs no longer than max
// bytes.
func boundedList(xs []string, max int) []string {
	if xs == nil {
		return nil
	}
	out := xs[:0:0]
	for _, x := range xs {
		if len(out) == MaxListItems {
			break
		}
		if x != "" && len(x) <= max {
			out = append(out, x)
		}
	}
	return out
}

// StorableRef is r with each part Storable: the key under which the
// stores keep the account of r.
func StorableRef(r connectors.AccountRef) connectors.AccountRef {
	return connectors.AccountRef{Platform: Storable(r.Platform), Instance: Storable(r.Instance), ExternalID: Storable(r.ExternalID)}
}

func storableList(xs []string) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = Storable(x)
	}
	return out
}

// StorableBatch returns a copy of b whose accounts, activities and
// evidence hold only Storable text within the limits above (names and
// titles cut, over-long URLs and e-mail addresses dropped, lists and
// excerpts bounded); b is not changed. Both stores' Apply store this copy.
// Keys and ids are never cut: they name what they name. Keys
// change the same way on every replay, so a replayed batch still finds
// what it stored.
func StorableBatch(b connectors.Batch) connectors.Batch {
	out := b
	out.Accounts = slices.Clone(b.Accounts)
	for i, a := range out.Accounts {
		a.AccountRef = StorableRef(a.AccountRef)
		a.Username, a.Name = cut(Storable(a.Username), MaxNameRunes), cut(Storable(a.Name), MaxNameRunes)
		a.URL, a.AvatarURL = bounded(Storable(a.URL), MaxURLBytes), bounded(Storable(a.AvatarURL), MaxURLBytes)
		a.NetworkID = Storable(a.NetworkID)
		a.Emails = boundedList(storableList(a.Emails), MaxEmailBytes)
		a.Links, a.VerifiedLinks = boundedList(storableList(a.Links), MaxURLBytes), boundedList(storableList(a.VerifiedLinks), MaxURLBytes)
		out.Accounts[i] = a
	}
	out.Activities = slices.Clone(b.Activities)
	for i, a := range out.Activities {
		a.Key, a.Platform, a.Instance, a.Type = Storable(a.Key), Storable(a.Platform), Storable(a.Instance), Storable(a.Type)
		a.Actor = StorableRef(a.Actor)
		a.URL, a.Title, a.Channel = bounded(Storable(a.URL), MaxURLBytes), cut(Storable(a.Title), MaxTitleRunes), cut(Storable(a.Channel), MaxNameRunes)
		a.ParentKey, a.Text = Storable(a.ParentKey), cut(Storable(a.Text), connectors.MaxTextRunes)
		if a.Reactions != nil {
			r := connectors.Reactions{Total: a.Reactions.Total}
			if a.Reactions.ByKind != nil {
				r.ByKind = make(map[string]int, len(a.Reactions.ByKind))
				for k, n := range a.Reactions.ByKind {
					r.ByKind[Storable(k)] += n
				}
			}
			a.Reactions = &r
		}
		out.Activities[i] = a
	}
	out.Evidence = slices.Clone(b.Evidence)
	for i, e := range out.Evidence {
		out.Evidence[i] = connectors.Evidence{Kind: Storable(e.Kind), A: StorableRef(e.A), B: StorableRef(e.B)}
	}
	return out
}
