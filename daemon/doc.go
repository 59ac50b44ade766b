// Package daemon drives the connectors: one loop per source, each on its
// interval with jitter, backoff on errors, pauses on rate limits and panics
// caught per source. It hands every batch to the store (data, cursor and
// ETags in one transaction), then lets the identity resolver attach new
// accounts to members.
//
// What does not live here: talking to services (connectors), SQL (crm
// drivers), deciding identities (identity), or parsing flags (main).
package daemon
