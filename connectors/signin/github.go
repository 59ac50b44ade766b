package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// GitHubScopes are the scopes `rollcall auth github` asks for. A token
// without scopes already reads public repositories and profiles; read:org
// adds organization membership, read-only. GitHub has no read-only scope
// for private repositories.
var GitHubScopes = []string{"read:org"}

// GitHubDevice is one device-flow sign-in on github.com or a GitHub
// Enterprise Server.
type GitHubDevice struct {
	cfg oauth2.Config
	// API is the REST API's base URL with a trailing slash.
	API string
}

// NewGitHubDevice prepares a device flow for the OAuth app clientID. base
// is the web server's URL with a trailing slash ("" for github.com): on
// github.com the flow is at https://github.com/login/device/code and the
// API at https://api.github.com/; on an Enterprise Server at
// BASE/login/device/code and BASE/api/v3/ (as go-github's
// WithEnterpriseURLs).
func NewGitHubDevice(base, clientID string, scopes []string) *GitHubDevice {
	web, api := "https://github.com/", "https://api.github.com/"
	if base != "" {
		web = strings.TrimRight(base, "/") + "/"
		api = web + "api/v3/"
	}
	return &GitHubDevice{
		cfg: oauth2.Config{
			ClientID: clientID,
			Endpoint: oauth2.Endpoint{
				DeviceAuthURL: web + "login/device/code",
				TokenURL:      web + "login/oauth/access_token",
				AuthStyle:     oauth2.AuthStyleInParams,
			},
			Scopes: scopes,
		},
		API: api,
	}
}

// Start asks for a device code and the user code the person enters at
// VerificationURI.
func (g *GitHubDevice) Start(ctx context.Context, hc *http.Client) (*oauth2.DeviceAuthResponse, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	da, err := g.cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("github: ask for a device code at %s: %w", g.cfg.Endpoint.DeviceAuthURL, deviceErr(err))
	}
	if da.DeviceCode == "" || da.UserCode == "" {
		return nil, fmt.Errorf("github: ask for a device code at %s: the answer carries no device_code and user_code", g.cfg.Endpoint.DeviceAuthURL)
	}
	return da, nil
}

// Wait polls until the person has entered the code and authorized the app,
// every interval seconds (5 more after each slow_down), until the code
// expires.
func (g *GitHubDevice) Wait(ctx context.Context, hc *http.Client, da *oauth2.DeviceAuthResponse) (*oauth2.Token, error) {
	hctx := context.WithValue(ctx, oauth2.HTTPClient, hc)
	tok, err := g.cfg.DeviceAccessToken(hctx, da)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			// DeviceAccessToken stops at the code's expiry.
			return nil, errors.New("github: the code expired before it was authorized: run the command again for a new one")
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("github: wait for the authorization: %w", ctx.Err())
		}
		return nil, fmt.Errorf("github: %w", deviceErr(err))
	}
	return tok, nil
}

// deviceErr turns the device flow's error codes into sentences.
func deviceErr(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	switch re.ErrorCode {
	case "expired_token":
		return errors.New("the code expired before it was authorized: run the command again for a new one")
	case "access_denied":
		return errors.New("the authorization was refused (Cancel on the device page)")
	case "device_flow_disabled":
		return errors.New("the OAuth app does not allow the device flow: tick \"Enable Device Flow\" in its settings")
	case "incorrect_client_credentials":
		return errors.New("GitHub does not know this client id (--client-id): use the Client ID of an OAuth app")
	case "incorrect_device_code":
		return errors.New("GitHub does not know this device code: run the command again")
	case "unsupported_grant_type":
		return errors.New("the server does not support the device flow grant")
	}
	return oauthErr(err)
}

// GitHubUser asks whom token belongs to (GET /user) and which scopes it
// carries (the X-OAuth-Scopes header).
func GitHubUser(ctx context.Context, hc *http.Client, api, token string) (login, scopes string, err error) {
	var u struct {
		Login string `json:"login"`
	}
	h, err := getJSON(ctx, hc, api+"user", func(r *http.Request) {
		r.Header.Set("Accept", "application/vnd.github+json")
		r.Header.Set("Authorization", "Bearer "+token)
	}, &u)
	if err != nil {
		return "", "", fmt.Errorf("github: verify the token: %w", err)
	}
	return u.Login, h.Get("X-OAuth-Scopes"), nil
}
