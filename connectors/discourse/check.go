package discourse

import (
	"context"
	"errors"
	"fmt"

	"github.com/rollcall-dev/rollcall/connectors"
)

// RateLimit reports the source's rate-limit state, for metrics. Discourse
// sends no quota headers; only pauses after a 429 show here.
func (c *Connector) RateLimit() connectors.RateState { return c.client.RateLimit() }

// Check proves that the forum answers and, with a key, that it accepts the
// key (the current user), for rollcall doctor.
func (c *Connector) Check(ctx context.Context) (string, error) {
	ctx = connectors.WithETags(ctx, nil)
	if !c.hasKey {
		var about struct {
			About struct {
				Title string `json:"title"`
			} `json:"about"`
		}
		if err := c.get(ctx, "/about.json", nil, &about); err != nil {
			return "", fmt.Errorf("discourse: read /about.json: %w", err)
		}
		return fmt.Sprintf("forum %q answers; no API key: public topics and posts only", about.About.Title), nil
	}
	var resp sessionResponse
	err := c.get(ctx, "/session/current.json", nil, &resp)
	var se *statusError
	if errors.As(err, &se) && (se.status == 403 || se.status == 404) {
		// Discourse answers 404 for a key it does not accept here.
		return "", &connectors.ErrUnauthorized{Source: c.source, URL: se.url}
	}
	if err != nil {
		return "", fmt.Errorf("discourse: read current session: %w", err)
	}
	if resp.CurrentUser == nil {
		return "", &connectors.ErrUnauthorized{Source: c.source, URL: "/session/current.json"}
	}
	cu := resp.CurrentUser
	role := "a regular user: e-mails and associated accounts stay hidden"
	if cu.Staff || cu.Admin || cu.Moderator {
		role = "staff: associated accounts are read"
	}
	return fmt.Sprintf("key accepted for %s, %s", cu.Username, role), nil
}

// AuthKind says which credentials the source uses, for rollcall doctor:
// a user API key (from rollcall auth discourse), or an API key sent with
// Api-Username (Discourse reports neither scopes nor
// an expiry of a key to its holder).
func (c *Connector) AuthKind() string {
	if !c.settings.UserAPIKey.IsZero() {
		return connectors.AuthKind(c.settings.UserAPIKey, "user API key")
	}
	if c.settings.APIKey.IsZero() {
		return "none"
	}
	user := c.settings.APIUsername
	if user == "" {
		user = "system"
	}
	return connectors.AuthKind(c.settings.APIKey, "API key") + " as " + user
}
