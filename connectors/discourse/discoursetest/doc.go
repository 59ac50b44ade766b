// Package discoursetest is a stateful, in-memory fake of the Discourse JSON
// API, in the spirit of net/http/httptest, for tests, benchmarks and
// `rollcall demo`.
//
// The fake serves the read endpoints a community CRM polls, at their real
// paths: /latest.json (page is 0-based, more_topics_url, order=created,
// ascending, per_page, and the solved plugin's solved=yes|no filter),
// /c/{slug}/{id}.json, /t/{id}.json, /posts.json (50 posts, newest first,
// before= applied as id <= before as the server code does), /posts/{id}.json,
// /post_action_users.json, /user_actions.json, /u/{username}.json,
// /u/{username}/emails.json (staff or self only), /session/current.json,
// /categories.json and /about.json. JSON shapes follow the recorded responses
// under shared/fixtures/discourse and the OpenAPI examples there; the solved
// plugin's fields (has_accepted_answer, accepted_answer, post
// accepted_answer) are served when a topic has a solution.
//
// User API keys follow the "User API keys specification" (userapikey.go):
// GET/HEAD /user-api-key/new validates application_name, client_id, scopes,
// public_key and nonce and shows a minimal approval page; the test helper
// ApproveUserAPIKey is the user's approval and returns the payload (RSA
// PKCS #1 v1.5, base64 in lines of 60) or the auth_redirect URL carrying
// it; the key is then accepted in the User-Api-Key header as its user.
//
// Authentication is by the Api-Key and Api-Username headers. Credentials in
// the query string are refused with 403 ["BAD CSRF"], as since April 2020;
// an unknown key gets 403 with error_type invalid_access; requests without a
// key read as anonymous (public categories only). Success responses carry no
// quota headers. The admin API key limiter (60 requests a minute by
// default, site wide) answers 429 with Retry-After,
// Discourse-Rate-Limit-Error-Code and a JSON body with extras.wait_seconds;
// knobs produce the per-IP plain-text variant and a 429 without Retry-After.
//
// The site's language is a knob (WithLocale, SetLocale): the posters
// descriptions of topic lists, built as TopicPostersSummary does (creator
// first, featured posters, last poster last, descriptions by position
// joined with poster_description_joiner), the errors[] messages and the
// JSON 429's message and time_left are served in it. English, French,
// German, Japanese and Portuguese (pt_BR) carry the strings of Discourse's
// own config/locales/server.*.yml; Pseudo rewords everything. RemoveUser
// drops an account but keeps its posts, as imported or surgically deleted
// data does: posters omit the user (empty when nobody is left), posts and
// the topic view name no author.
//
// Tests build data with the Add* methods (safe for concurrent use), inject
// faults with FailNext, MalformedNext, TruncateNext, SlowNext, LimitUntil,
// IPLimitNext and NoRetryAfterNext, and inspect the request log with
// Requests, Count, Counted, CountStatus and ResetLog. Serve it with Start
// (httptest server), Listen (a real listener for the demo) or Transport
// (in-process, no sockets, usable in a testing/synctest bubble).
//
// What does not live here: any Discourse client code (see package
// discourse), write endpoints, search, or user API keys. The package uses the
// standard library only.
package discoursetest
