// Package github is the GitHub connector: it reads issues, pull requests,
// conversation and review comments, reviews, stars, forks, releases, commits
// and user profiles of configured repositories (or every public repository of
// configured organizations) through go-github over the shared
// connectors.Client, and translates them into connectors.Account,
// connectors.Activity and connectors.Evidence. Profiles (100 accounts per
// query) and pull-request reviews (100 pull requests per query) are read
// through the GraphQL API with githubv4 on the same client, with the REST
// reads as the fallback where GraphQL is refused or cannot give an object
// (graphql.go).
//
// Each Fetch reads a few pages and returns a batch whose cursor resumes right
// after them; a pass over every repository and stream ends with Done. The
// cursor state is documented on the state type in github.go: watermarks
// and positions only; what is remembered per issue, pull request and
// profile is in the per-object memory (objects.go). Incremental
// reads use `since` watermarks taken from the data (never the clock), and
// every list request is conditional (ETags), so an idle pass costs no
// rate-limit budget.
//
// What does not live here: the fake GitHub used by tests and the demo (see
// githubtest), the store, and identity resolution (the connector only
// reports evidence, such as a commit e-mail GitHub linked to a login).
package github
