// Package mastodon is the Mastodon connector: it reads statuses using
// tracked hashtags (post), mentions of the community's own accounts
// (mention), boosts and favourites of their statuses (boost, favourite) and
// their new followers (follow) from one server with go-mastodon on the
// shared connectors.Client's Transport, and translates them into connectors.Account and
// connectors.Activity. The tracked accounts are reported as Staff (the
// community's own accounts), accounts flagged bot as Bot; a server's
// highlighted roles (Owner, Moderator…) are not the community's staff and
// are not mapped (see builder.addAccount).
//
// With a token that belongs to a tracked account, that account's
// notifications are read; otherwise (and for the other tracked accounts) the
// public endpoints are: hashtag timelines, the account's newest statuses and,
// for those whose counts changed, who boosted, who favourited and the replies,
// and the followers list. The cursor state is documented on the state type in
// mastodon.go; see README.md for what it costs.
//
// What does not live here: the fake server used by tests and the demo (see
// mastodontest), the store, and identity resolution.
package mastodon
