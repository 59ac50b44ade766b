// Package githubtest is a stateful, in-memory fake of the GitHub REST API,
// in the spirit of net/http/httptest, for tests, benchmarks and
// `rollcall demo`.
//
// The fake serves the endpoints a community CRM polls (issues and pull
// requests, issue comments, review comments, reviews, stargazers, forks,
// releases, commits, repositories, users, social accounts, rate_limit) under
// the GitHub Enterprise base path /api/v3/, which is where go-github's
// WithEnterpriseURLs points. It reproduces what clients depend on:
// page/per_page pagination with absolute Link headers, `since` filters,
// strong ETags answered with 304 (free of charge), the X-RateLimit-* headers
// and budget, primary and secondary rate-limit errors, 401/404 error bodies in
// GitHub's shape, and the star+json media type.
//
// Tests build data with the Add* methods (safe for concurrent use), inject
// faults with FailNext, SecondaryLimitNext, MalformedNext, TruncateNext and
// SlowNext, and inspect the request log with Requests, Count, CountStatus and
// Counted. Serve it with Start (httptest server), Listen (a real listener for
// the demo) or Transport (in-process, no sockets, usable in a
// testing/synctest bubble).
//
// The OAuth device flow is served at the web host's root as on github.com
// and GitHub Enterprise Server (oauth.go): POST /login/device/code and POST
// /login/oauth/access_token, form-encoded answers unless the client
// accepts JSON, errors on the token endpoint with status 200
// (authorization_pending, slow_down with a longer interval, expired_token,
// access_denied, incorrect_device_code, incorrect_client_credentials,
// device_flow_disabled, unsupported_grant_type). WithOAuthApp registers
// client ids; ApproveDevice and DenyDevice are the person at the
// verification page; SlowDownNext forces slow_down. The tokens issued are
// accepted by the API, and GET /api/v3/user answers their owner with the
// X-OAuth-Scopes header.
//
// The GraphQL API is served at POST /graphql (as api.github.com) and POST
// /api/graphql (as GitHub Enterprise Server) for the queries the connector
// makes (graphql.go): nodes(ids:), node(id:), user(login:),
// repository(owner:, name:) { pullRequest(number:) { reviews } } and
// rateLimit, with GitHub's cost rule, a separate budget of points and its
// x-ratelimit-* headers (x-ratelimit-resource: graphql), NOT_FOUND partial
// data, RATE_LIMIT errors and validation errors in GitHub's shapes.
// WithoutGraphQL and RefuseGraphQL make it refuse (401, 403, 404), as a
// GitHub Enterprise Server without it or a token without access does;
// SetGraphQLRateLimit and GraphQLRateLimit set and read its budget, and
// Points sums the log's rate-limit units by resource.
//
// What does not live here: any GitHub client code (see package github), write
// endpoints, the rest of the GraphQL schema, search, events, or cursor
// (after/before) pagination.
// The package uses the standard library only.
package githubtest
