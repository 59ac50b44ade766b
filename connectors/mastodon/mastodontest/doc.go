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
// The OAuth endpoints a person's sign-in uses are served as Mastodon
// (Doorkeeper) serves them (oauth.go): POST /api/v1/apps (form or JSON;
// client_id, client_secret, redirect_uri(s), scopes, vapid_key; 422
// {"error":"Validation failed: …"}), GET /oauth/authorize (a minimal HTML
// page) and POST /oauth/token (authorization_code with PKCE S256 or plain,
// client_credentials; client credentials in the form or Basic; codes valid
// CodeTTL, once; invalid_grant 400 and invalid_client 401 with Doorkeeper's
// descriptions). The person signing in and clicking Authorize is the test
// helper Authorize(authURL, acct), which returns the out-of-band code; the
// tokens issued are then accepted as that account's.
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
