package postgres

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/connectors"
)

// storable returns s as a PostgreSQL text column can hold it: valid UTF-8
// (invalid bytes become U+FFFD) without NUL bytes (dropped). A service may
// send a NUL as \u0000 in JSON, which decodes to a valid Go string that
// PostgreSQL refuses; SQLite stores it, so without this one odd display
// name would make its whole batch fail on every retry and stop the source.
func storable(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func storableRef(r connectors.AccountRef) connectors.AccountRef {
	return connectors.AccountRef{Platform: storable(r.Platform), Instance: storable(r.Instance), ExternalID: storable(r.ExternalID)}
}

func storableList(xs []string) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = storable(x)
	}
	return out
}

// storableBatch returns a copy of b whose accounts, activities and
// evidence hold only storable text (see storable); b is not changed. Keys
// change the same way on every replay, so a replayed batch still finds
// what it stored.
func storableBatch(b connectors.Batch) connectors.Batch {
	out := b
	out.Accounts = slices.Clone(b.Accounts)
	for i, a := range out.Accounts {
		a.AccountRef = storableRef(a.AccountRef)
		a.Username, a.Name, a.URL, a.AvatarURL = storable(a.Username), storable(a.Name), storable(a.URL), storable(a.AvatarURL)
		a.NetworkID = storable(a.NetworkID)
		a.Emails, a.Links, a.VerifiedLinks = storableList(a.Emails), storableList(a.Links), storableList(a.VerifiedLinks)
		out.Accounts[i] = a
	}
	out.Activities = slices.Clone(b.Activities)
	for i, a := range out.Activities {
		a.Key, a.Platform, a.Instance, a.Type = storable(a.Key), storable(a.Platform), storable(a.Instance), storable(a.Type)
		a.Actor = storableRef(a.Actor)
		a.URL, a.Title, a.Channel, a.ParentKey, a.Text = storable(a.URL), storable(a.Title), storable(a.Channel), storable(a.ParentKey), storable(a.Text)
		if a.Reactions != nil {
			r := connectors.Reactions{Total: a.Reactions.Total}
			if a.Reactions.ByKind != nil {
				r.ByKind = make(map[string]int, len(a.Reactions.ByKind))
				for k, n := range a.Reactions.ByKind {
					r.ByKind[storable(k)] += n
				}
			}
			a.Reactions = &r
		}
		out.Activities[i] = a
	}
	out.Evidence = slices.Clone(b.Evidence)
	for i, e := range out.Evidence {
		out.Evidence[i] = connectors.Evidence{Kind: storable(e.Kind), A: storableRef(e.A), B: storableRef(e.B)}
	}
	return out
}
