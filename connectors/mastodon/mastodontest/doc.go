// Package mastodontest is a stateful, in-memory fake of the Mastodon REST
// API, in the spirit of net/http/httptest, for tests, benchmarks and
// `rollcall demo`.
//
// The fake serves the read endpoints a community CRM polls under /api/v1
// (accounts/lookup, accounts/:id, accounts/:id/statuses,
// accounts/:id/followers, accounts/verify_credentials,
// apps/verify_credentials (the token's application, see WithApp), statuses/:id,
// statuses/:id/context, statuses/:id/reblogged_by, statuses/:id/favourited_by,
// timelines/tag/:tag, notifications with types[]/exclude_types[]) and
// /api/v2/instance. It reproduces what clients depend on: string ids that
// grow with time, limit defaults and maxima, max_id/since_id/min_id
// semantics with Link headers (next = older, max_id; prev = newer, min_id,
// or since_id on account lists as Mastodon does), weak ETags answered with
// 304 (not counted), X-RateLimit-Limit/Remaining/Reset with an ISO-8601
// reset and two budgets (300 requests per 5 minutes overall, 300 per 15
// minutes for paginated requests; the headers show the one closest to
// exhaustion), 429 {"error":"Too many requests"} without Retry-After, 401
// and 404 bodies in Mastodon's shape, and the owner token that alone may
// read notifications. Accounts carry the Account entity's bot flag and, for
// local accounts only, "roles": the highlighted server role (Owner, Admin,
// Moderator…) as {id, name, color}, [] without one, absent on remote
// accounts, as Mastodon 4.x serves them.
//
// Tests build data with AddAccount, AddStatus, Boost, Favourite and Follow
// (safe for concurrent use), inject faults with FailNext, MalformedNext,
// TruncateNext, SlowNext, SetRateLimit and Exhaust, and inspect the request
// log with Requests, Count, CountStatus and Counted. Serve it with Start
// (httptest server), Listen (a real listener for the demo) or Transport
// (in-process, no sockets).
//
// What does not live here: any Mastodon client code (see package mastodon),
// write endpoints, streaming, search, grouped notifications (/api/v2), and
// federation (remote accounts are simply accounts with another Domain). The
// package uses the standard library only.
package mastodontest
