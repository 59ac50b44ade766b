package frozen

import (
	"context"
	"fmt"
	"net/http"

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
	status, _, err := c.get(ctx, "verify credentials", c.api("/api/v1/accounts/verify_credentials", nil), &a)
	if err != nil {
		return "", err
	}
	rl := c.client.RateLimit()
	if status != http.StatusOK {
		return fmt.Sprintf("app token accepted (no account): public endpoints only; %d requests left", rl.Remaining), nil
	}
	return fmt.Sprintf("token accepted for %s; %d of %d requests left", c.tr.ref(a).ExternalID, rl.Remaining, rl.Limit), nil
}
