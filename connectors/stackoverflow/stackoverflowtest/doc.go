// Package stackoverflowtest is a stateful, in-memory fake of the Stack
// Exchange API 2.3, in the spirit of net/http/httptest, for tests, benchmarks
// and `rollcall demo`.
//
// The fake serves one site (default "stackoverflow") under /2.3/:
// /questions, /questions/{ids}, /questions/{ids}/answers,
// /questions/{ids}/comments, /answers/{ids}/comments, /users/{ids},
// /users/{ids}/associated, /info and /filters/create. It reproduces what
// clients depend on: the required site= parameter, tagged=a;b with AND
// semantics, sort=activity|creation|votes with min/max, fromdate/todate,
// order, 1-based page and pagesize (≤100, default 30) with has_more; the
// common wrapper {items, has_more, quota_max, quota_remaining, backoff?,
// page, page_size}; bodies that are always compressed (gzip with
// Content-Encoding by default, or deflate, or gzip without the header); a
// daily quota per caller (10,000 with a key, 300 without) that resets at
// the next UTC midnight or at a time set by SetQuota; the page-25 limit for
// anonymous callers; per-method `backoff` and throttle_violation (error_id
// 502) for callers that ignore it or exceed the quota; and the HTTP 400
// error wrapper of every method error. Display names and titles are HTML
// escaped as the API's safe filters return them.
//
// Filters: the built-in filters (default, withbody, none, total) and the
// filters returned by /filters/create are accepted and any other filter is
// refused with bad_parameter; apart from "total" the fake always returns
// the fields of the default filter.
//
// Tests build data with AddUser, AddQuestion, AddAnswer, AcceptAnswer,
// AddComment and Touch (safe for concurrent use; every activity bumps the
// question's last_activity_date), inject faults with FailNext,
// MalformedNext, TruncateNext, SlowNext, SetBackoff, SetQuota and Exhaust,
// and inspect the request log with Requests, Count and Counted. Serve it
// with Start (httptest server), Listen (a real listener for the demo) or
// Transport (in-process, no sockets, usable in a testing/synctest bubble).
//
// What does not live here: any client code (see package stackoverflow),
// write methods, OAuth, search, and the many read methods a community CRM
// does not poll. The package uses the standard library only.
package stackoverflowtest
