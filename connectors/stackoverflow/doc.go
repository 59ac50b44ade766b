// Package stackoverflow is the Stack Overflow connector: it reads the
// questions, answers, accepted answers and comments on configured tags of
// one Stack Exchange site through the Stack Exchange API 2.3 over the
// shared connectors.Client, and the profiles of their authors, and
// translates them into connectors.Account and connectors.Activity.
//
// Each Fetch reads one page (up to 100) of a tag's questions ordered by
// last_activity_date, with the answers and comments of the questions that
// are new or changed, and the comments of new answers and profiles of new
// authors that fill a request of 100 ids (the rest wait in the per-object
// memory; the pass's last batch reads them), and returns a batch
// whose cursor resumes right after it; a pass over every tag ends with
// Done. The watermark is the newest last_activity_date seen (the data, not
// the clock), so an idle pass costs one request per tag; the clock only
// tells when the watermark's second is long over, so that the questions
// at it need not be listed again (see mark.settle). The cursor state is
// documented on the state type in stackoverflow.go.
//
// Accounts are keyed by user_id on the site (Instance is the site's
// api_site_parameter) and carry the network-wide account_id as NetworkID.
// Stack Exchange has no handle: Username and Name are the display name
// (HTML-unescaped), which its owner may change. No account is reported as
// Staff: site moderators (user_type moderator) and Stack Exchange
// employees (is_employee) run the site, not the community of the tags (see
// staffOfSite); the API has no bot flag.
//
// The API reports its limits in the body: the connector waits out a
// method's `backoff` before calling that method again (other methods go on),
// pauses the source before quota_remaining reaches its reserve (until the
// next UTC midnight), and turns throttle_violation into a pause. Errors are
// told apart by error_id and by what was asked (keyed or not, which page),
// never by error_message. Bodies are always compressed and decoded here.
//
// What does not live here: the fake API used by tests and the demo (see
// stackoverflowtest), the store, and identity resolution.
package stackoverflow
