package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// OutOfBand is the redirect URI that makes an OAuth server show the
// authorization code to the person instead of redirecting anywhere.
const OutOfBand = "urn:ietf:wg:oauth:2.0:oob"

// MastodonScopes are the read-only scopes the Mastodon connector uses: whom
// the token belongs to, statuses, notifications and follows.
var MastodonScopes = []string{"read:accounts", "read:statuses", "read:notifications", "read:follows"}

// MastodonApp is an application registered on a Mastodon server. Its
// ClientSecret is a secret: never print it.
type MastodonApp struct {
	// Server is the server's base URL without a trailing slash.
	Server       string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// verifier is the PKCE code verifier of this sign-in.
	verifier string
}

// ServerURL checks and normalizes a server setting: an http(s) URL or a
// bare host name (https is assumed), without a query.
func ServerURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("empty URL")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil && strings.Contains(raw, "@"):
		return "", errors.New("not an http(s) URL of a server")
	case err == nil && u.User != nil:
		return "", errors.New("the URL must not carry a user name or password")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "":
		return "", fmt.Errorf("%q is not an http(s) URL of a server", raw)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// RegisterMastodonApp registers an application named name on server (POST
// /api/v1/apps) with the out-of-band redirect and MastodonScopes.
func RegisterMastodonApp(ctx context.Context, hc *http.Client, server, name, website string) (*MastodonApp, error) {
	form := url.Values{
		"client_name":   {name},
		"redirect_uris": {OutOfBand},
		"scopes":        {strings.Join(MastodonScopes, " ")},
	}
	if website != "" {
		form.Set("website", website)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/api/v1/apps", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("mastodon: register the application: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mastodon: register the application on %s: %w", server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("mastodon: register the application on %s: %w", server, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mastodon: register the application on %s: %s%s", server, resp.Status, mastodonErr(body))
	}
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(body, &app); err != nil || app.ClientID == "" || app.ClientSecret == "" {
		return nil, fmt.Errorf("mastodon: register the application on %s: the answer carries no client_id and client_secret (is this a Mastodon server?)", server)
	}
	return &MastodonApp{Server: server, ClientID: app.ClientID, ClientSecret: app.ClientSecret, Scopes: MastodonScopes, verifier: oauth2.GenerateVerifier()}, nil
}

// mastodonErr is ": MESSAGE" from a Mastodon error body {"error": ...}, or
// "".
func mastodonErr(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return ""
	}
	if e.Description != "" {
		return ": " + e.Error + ": " + e.Description
	}
	return ": " + e.Error
}

func (a *MastodonApp) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.ClientID,
		ClientSecret: a.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   a.Server + "/oauth/authorize",
			TokenURL:  a.Server + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: OutOfBand,
		Scopes:      a.Scopes,
	}
}

// AuthURL is the page where the person signs in and authorizes the
// application; the server then shows a code to paste. It carries a PKCE
// challenge (Mastodon 4.3 and later check it; older servers ignore it).
func (a *MastodonApp) AuthURL() string {
	return a.config().AuthCodeURL("", oauth2.S256ChallengeOption(a.verifier))
}

// Exchange trades the pasted code for an access token (POST /oauth/token,
// grant_type=authorization_code).
func (a *MastodonApp) Exchange(ctx context.Context, hc *http.Client, code string) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	tok, err := a.config().Exchange(ctx, strings.TrimSpace(code), oauth2.VerifierOption(a.verifier))
	if err != nil {
		return nil, fmt.Errorf("mastodon: exchange the code: %w", oauthErr(err))
	}
	return tok, nil
}

// MastodonAccount asks whom token belongs to (GET
// /api/v1/accounts/verify_credentials) and returns the account's acct
// (the user name on its own server).
func MastodonAccount(ctx context.Context, hc *http.Client, server, token string) (string, error) {
	var a struct {
		Acct     string `json:"acct"`
		Username string `json:"username"`
	}
	if _, err := getJSON(ctx, hc, server+"/api/v1/accounts/verify_credentials", func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
	}, &a); err != nil {
		return "", fmt.Errorf("mastodon: verify the token: %w", err)
	}
	if a.Acct == "" {
		return a.Username, nil
	}
	return a.Acct, nil
}

// getJSON GETs u with auth applied, decodes a 200 answer into v and
// returns the response headers.
func getJSON(ctx context.Context, hc *http.Client, u string, auth func(*http.Request), v any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	auth(req)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", redactURL(u), resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("GET %s: %w", redactURL(u), err)
	}
	return resp.Header, nil
}

// redactURL is u without its query.
func redactURL(u string) string {
	before, _, _ := strings.Cut(u, "?")
	return before
}

// oauthErr turns an x/oauth2 RetrieveError into a plain sentence: the
// code and description the server sent, without the response body.
func oauthErr(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	switch re.ErrorCode {
	case "invalid_grant":
		return errors.New("the server refused the code: it is wrong, expired or used already (run the command again for a new one)")
	case "invalid_client":
		return errors.New("the server does not know the application (it may have been deleted): run the command again")
	case "":
		status := ""
		if re.Response != nil {
			status = re.Response.Status
		}
		return fmt.Errorf("the token endpoint answered %s", status)
	}
	if re.ErrorDescription != "" {
		return fmt.Errorf("%s: %s", re.ErrorCode, re.ErrorDescription)
	}
	return errors.New(re.ErrorCode)
}
