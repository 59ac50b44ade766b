// Package connectors defines what every connector speaks: accounts and
// activities in batches, resumable from a cursor, plus the shared HTTP client
// (retries, rate-limit pauses, conditional requests) that connectors use, and
// the MissingSet that remembers per-object lookups that answered 404 or 410,
// so that each is made at most once per pass and not repeated before it
// expires.
//
// A connector only talks to its service and translates what it gets into this
// model. It never touches the store: the daemon drives Fetch in a loop and
// hands each Batch to the store, which commits the batch, its cursor, its
// ETags and its missing objects in one transaction. Connector packages live below this one, one per
// service, each with a <name>test fake of its service.
//
// # The transport under client libraries
//
// Client.Transport is the http.RoundTripper every client library sits on
// (go-github, go-mastodon, githubv4): one path for the rate-limit pause,
// credentials, conditional requests, retries, rate-limit accounting and
// request counting, whatever library made the request.
//
// Budgets are kept per rate-limit resource: the one a response names
// (GitHub's X-RateLimit-Resource: core for REST, graphql for GraphQL), or
// the one its request was made for (WithResource). A budget down to its
// reserve, or spent, pauses only the requests of its resource (an
// *ErrRateLimited with Resource set); a wait the service asks for
// (Retry-After, a 429) pauses them all. Client.Resources reports each
// budget, Client.RateLimit the one of requests that name none. Client.HTTPClient is the same path without the two translations
// below, for hand-written requests that read the 304 themselves.
//
// # Timeouts and waits that outlive the process
//
// Each attempt of a request is bounded by ClientOptions.Timeout (config
// http_timeout, default 60 s), from sending it to reading the whole body;
// an attempt that outlasts it is retried like a dropped connection. Every
// wait a service announces (a Retry-After, a spent budget until its reset,
// Stack Exchange's per-method backoff through Client.Hold) is recorded in
// ClientOptions.Waits (the store) before another request goes out, and
// read back before the first request after a start, so that a daemon
// killed while it waits still waits after a restart.
//
// # Tokens
//
// Every token and key comes from an oauth2.TokenSource (NewTokenSource):
// static for one written in the configuration, re-read on change for one
// read from a credential file, so that a rotated token is used from the
// next request on without a restart. Requests to the host a request was
// first made to go through an oauth2.Transport on ClientOptions.Token,
// which asks the source once per request; a redirect to another host goes
// around it and carries no credentials. A key that is not a bearer token
// (Discourse's Api-Key, User-Api-Key) is set by the connector's Auth from
// the same kind of token source. AuthKind says which kind a source uses,
// for rollcall doctor.
//
// # Conditional requests
//
// A connector puts the ETags of its cursor in the request context
// (WithETags); the transport sends If-None-Match for a known URL and records
// the ETag of every successful GET. A 304 costs no budget and is counted as
// NotModified. Libraries see it as a 200 whose body is the JSON null and
// which carries NotModifiedHeader: go-mastodon turns any non-2xx into an
// error, and go-github returns a 304 as an *ErrorResponse; null decodes
// into whatever the library asked for without error (an empty list, a zero
// object).
//
// No response body is stored to replay a 304, because none is needed:
// every connector treats a 304 as "this page is what it was on the last
// pass, whose data is committed", moves on without reading it (it checks
// NotModified, or LastResponse when the library hides the response), and
// asks its requests so that an idle pass is made of such repeats. Storing
// bodies would either put copies of the data next to the cursor (the cursor
// holds watermarks and ETags, not data) or, kept in memory, be lost on every
// restart, when a replay without the body would have to be paid for in
// budget. What a connector must remember of a page it may get as a 304 (the
// repository names of a GitHub organization listing, say) it keeps in its
// cursor state as a watermark-sized summary, never the body.
//
// A 429 never reaches a library: it becomes an *ErrRateLimited and pauses
// the source (go-mastodon would otherwise retry it with its own timer).
package connectors
