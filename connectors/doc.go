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
package connectors
