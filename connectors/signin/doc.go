// Package signin holds the flows a person runs once, through `rollcall
// auth`, to get a token for a source without making one by hand:
//
//   - Mastodon: register an application on the server (POST /api/v1/apps),
//     send the person to /oauth/authorize with the out-of-band redirect,
//     and exchange the code they paste (POST /oauth/token) with
//     golang.org/x/oauth2;
//   - GitHub: the OAuth device flow (POST /login/device/code, then poll
//     /login/oauth/access_token) with x/oauth2's DeviceAuth and
//     DeviceAccessToken, on github.com or a GitHub Enterprise Server;
//   - Discourse: user API keys (an RSA key pair, the approval URL
//     /user-api-key/new, and the decryption of the payload the forum shows),
//     which need no admin.
//
// It also writes the credential file the configuration reads with
// credential:NAME (WriteFile). Every flow asks for read-only scopes.
//
// Nothing here prints or logs: the caller (package main) prompts the person,
// and no function returns a secret inside an error. The flows talk to the
// service through the *http.Client they are given; the fakes in
// connectors/*/…test implement the same endpoints.
package signin
