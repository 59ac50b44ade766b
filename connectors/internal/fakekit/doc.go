// Package fakekit is the plumbing shared by the service fakes
// (githubtest, mastodontest, discoursetest, stackoverflowtest): serving a
// handler on an httptest server, on a real listener or in process, the
// fault knobs (FailNext, MalformedNext, TruncateNext, SlowNext), the
// request log with its counters, and the seeded chaos injector (Chaos)
// that each fake's WithChaos option switches on: random faults played in
// the fake's own shapes, and a watch for requests sent while the fake had
// said to wait.
//
// It knows nothing of any service: each fake keeps its own routes, error
// bodies, status codes, rate limits and Request type, and exposes its own
// documented methods that delegate here. The package uses the standard
// library only.
package fakekit
