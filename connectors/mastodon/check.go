package mastodon

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
)

// RateLimit reports the source's rate-limit state, for metrics.
func (c *Connector) RateLimit() connectors.RateState { return c.client.RateLimit() }

// Check proves that the server answers and, with a token, that it accepts
// it (verify_credentials), for rollcall doctor.
func (c *Connector) Check(ctx context.Context) (string, error) {
	ctx = connectors.WithETags(ctx, nil)
	if c.settings.Token.IsZero() {
		var inst struct {
			Domain  string `json:"domain"`
			Version string `json:"version"`
		}
		// Direct: go-mastodon reads only the v1 instance, deprecated since 4.0.
		status, _, err := c.get(ctx, "read instance", c.api("/api/v2/instance", nil), &inst)
		if err != nil {
			return "", err
		}
		if status != http.StatusOK {
			return "", fmt.Errorf("mastodon: read instance: status %d", status)
		}
		return fmt.Sprintf("server %s (Mastodon %s) answers; no token: public endpoints only", inst.Domain, inst.Version), nil
	}
	var a account
	status, _, err := c.call(ctx, "verify credentials", func(ctx context.Context) error {
		got, err := c.mc.GetAccountCurrentUser(ctx)
		a = fromAccount(got)
		return err
	})
	if err != nil {
		return "", err
	}
	facts := c.tokenFacts(ctx)
	rl := c.client.RateLimit()
	if status != http.StatusOK {
		return fmt.Sprintf("app token accepted (no account): public endpoints only; %s; %d requests left", facts, rl.Remaining), nil
	}
	return fmt.Sprintf("token accepted for %s; %s; %d of %d requests left", c.tr.ref(a).ExternalID, facts, rl.Remaining, rl.Limit), nil
}

// tokenFacts says what the server tells of the token: Mastodon reports no
// scopes of a token and no expiry; GET /api/v1/apps/verify_credentials
// names the token's application and, since Mastodon 4.3, the scopes the
// application was registered with, which bound the token's own. Direct:
// go-mastodon's ApplicationVerification has no scopes.
func (c *Connector) tokenFacts(ctx context.Context) string {
	const noExpiry = "no expiry reported"
	var app struct {
		Name   string   `json:"name"`
		Scopes []string `json:"scopes"`
	}
	status, _, err := c.get(ctx, "verify app credentials", c.api("/api/v1/apps/verify_credentials", nil), &app)
	if err != nil || status != http.StatusOK {
		return "scopes not reported; " + noExpiry
	}
	if len(app.Scopes) == 0 {
		return fmt.Sprintf("app %q; scopes not reported (Mastodon before 4.3); %s", app.Name, noExpiry)
	}
	return fmt.Sprintf("app %q with scopes %s (the token may have fewer; its own are not reported); %s", app.Name, strings.Join(app.Scopes, " "), noExpiry)
}

// AuthKind says which credentials the source uses, for rollcall doctor.
func (c *Connector) AuthKind() string { return connectors.AuthKind(c.settings.Token, "token") }
