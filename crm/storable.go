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
// evidence hold only Storable text; b is not changed. Both stores' Apply
// store this copy. Keys
// change the same way on every replay, so a replayed batch still finds
// what it stored.
func StorableBatch(b connectors.Batch) connectors.Batch {
	out := b
	out.Accounts = slices.Clone(b.Accounts)
	for i, a := range out.Accounts {
		a.AccountRef = StorableRef(a.AccountRef)
		a.Username, a.Name, a.URL, a.AvatarURL = Storable(a.Username), Storable(a.Name), Storable(a.URL), Storable(a.AvatarURL)
		a.NetworkID = Storable(a.NetworkID)
		a.Emails, a.Links, a.VerifiedLinks = storableList(a.Emails), storableList(a.Links), storableList(a.VerifiedLinks)
		out.Accounts[i] = a
	}
	out.Activities = slices.Clone(b.Activities)
	for i, a := range out.Activities {
		a.Key, a.Platform, a.Instance, a.Type = Storable(a.Key), Storable(a.Platform), Storable(a.Instance), Storable(a.Type)
		a.Actor = StorableRef(a.Actor)
		a.URL, a.Title, a.Channel, a.ParentKey, a.Text = Storable(a.URL), Storable(a.Title), Storable(a.Channel), Storable(a.ParentKey), Storable(a.Text)
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
