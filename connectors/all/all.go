// Package all lists every connector kind rollcall knows: one line per
// connector, no init-time registry.
package all

import (
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/discourse"
	"github.com/rollcall-dev/rollcall/connectors/github"
	"github.com/rollcall-dev/rollcall/connectors/mastodon"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow"
)

// Kinds returns every connector kind, in a stable order.
func Kinds() []connectors.Kind {
	return []connectors.Kind{
		github.Kind,
		mastodon.Kind,
		discourse.Kind,
		stackoverflow.Kind,
	}
}

// Lookup returns the kind called name (a source's type).
func Lookup(name string) (connectors.Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return connectors.Kind{}, false
}
