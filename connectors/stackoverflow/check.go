package stackoverflow

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// RateLimit reports the daily quota as a rate-limit state, for metrics: the
// quota resets at the next UTC midnight.
func (c *Connector) RateLimit() connectors.RateState {
	maximum, remaining, until := c.Quota()
	now := c.now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	return connectors.RateState{Limit: maximum, Remaining: remaining, Reset: midnight, Paused: until.After(c.now()), Until: until}
}

// Check reads /info (one request of the quota) to prove that the API
// answers and accepts the key, and reports the quota left, for rollcall
// doctor.
func (c *Connector) Check(ctx context.Context) (string, error) {
	var items []struct {
		TotalQuestions int64 `json:"total_questions"`
	}
	env, err := c.get(ctx, "/info", url.Values{}, &items)
	if err != nil {
		return "", err
	}
	who := "no key: 300 requests/day and no page past 25 (register an app for a key)"
	if c.keyed {
		who = "key accepted"
	}
	return fmt.Sprintf("site %s answers; %s; quota %d of %d left today", c.site, who, env.QuotaRemaining, env.QuotaMax), nil
}

// AuthKind says which credentials the source uses, for rollcall doctor:
// an app key from stackapps.com (it raises the quota; it is not a user's
// access token, so there are no scopes and no expiry).
func (c *Connector) AuthKind() string { return c.authKind }
