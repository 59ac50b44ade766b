// Package web serves rollcall's pages and JSON API: the member list, a
// member's journey (identities and why they are one person, milestones, an
// activity chart, the timeline), the review of merge suggestions, merge
// and unmerge, the state of the sources, and the community health report
// (GET /api/v1/health).
//
// Pages are html/template with the templates and one stylesheet embedded;
// they need no JavaScript and no resource from elsewhere. The API under
// /api/v1/ prints the JSON shapes of package crm, the ones the CLI prints
// with --format json. Every decision (merge, unmerge, accept, reject) runs
// through package identity, as the CLI's do.
//
// Access: with Options.Auth nil everything is open (the daemon allows that
// only on loopback); with it, the API wants "Authorization: Bearer TOKEN"
// (or a page session) and the pages a login, kept in an HttpOnly,
// SameSite=Lax session cookie in memory. Every state-changing request is
// checked by net/http.CrossOriginProtection.
//
// What does not live here: queries (crm and its stores), decisions
// (identity), scheduling and the /healthz, /readyz and /metrics endpoints
// (daemon, which mounts this package).
package web
