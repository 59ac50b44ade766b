// Package webhook delivers the store's outbox to the configured receiver:
// each row (a crm.Event as JSON) is POSTed with an HMAC-SHA256 signature
// over a timestamp and the body, retried with exponential backoff until the
// receiver answers 2xx or the attempts are spent. It also exports Sign and
// Verify, so that a receiver written in Go checks deliveries with the same
// code.
//
// What does not live here: deciding which events happen and writing them
// to the outbox (the store's level evaluation, in the change's own
// transaction), SQL (crm/sqlite), or parsing the webhook section (config).
package webhook
