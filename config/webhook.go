package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults and limits of the webhook section.
const (
	// DefaultWebhookTimeout is how long one delivery may take (timeout).
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultWebhookMaxAttempts is how many attempts a delivery gets
	// before it is failed (max_attempts).
	DefaultWebhookMaxAttempts = 12
	// DefaultWebhookPoll is how often the outbox is read (poll_interval).
	DefaultWebhookPoll = 5 * time.Second
	// DefaultWebhookRetryMin is the wait after a first failed attempt; it
	// doubles with each further one (retry_min).
	DefaultWebhookRetryMin = 30 * time.Second
	// DefaultWebhookRetryMax caps the wait between attempts (retry_max).
	DefaultWebhookRetryMax = time.Hour
	// MinWebhookInterval is the shortest timeout, poll_interval and
	// retry_min allowed.
	MinWebhookInterval = 100 * time.Millisecond
	// MaxWebhookAttempts is the largest max_attempts allowed.
	MaxWebhookAttempts = 100
)

// Webhook is the outbound webhook (the webhook section): level changes,
// new champions and slipping regulars are POSTed as JSON to URL, signed
// with Secret.
type Webhook struct {
	// URL receives the events: https, or http to a loopback host.
	URL string
	// Secret is the HMAC-SHA256 key of the X-Rollcall-Signature header.
	Secret Secret
	// Timeout bounds one delivery attempt.
	Timeout time.Duration
	// MaxAttempts is how many attempts a delivery gets; after the last
	// failed one it is listed as failed by rollcall webhooks.
	MaxAttempts int
	// PollInterval is how often the daemon looks for due deliveries.
	PollInterval time.Duration
	// RetryMin is the wait after the first failed attempt, doubling after
	// each further one up to RetryMax (both with ±10% jitter).
	RetryMin, RetryMax time.Duration
	// Line is where the webhook section starts, for messages.
	Line int
}

// webhook decodes the webhook section; nil when it is absent or empty.
func (p *parser) webhook(keyLine int, n *yaml.Node) *Webhook {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, "webhook", "must be a mapping, not %s", kindName(n))
		return nil
	}
	w := &Webhook{
		Timeout:      DefaultWebhookTimeout,
		MaxAttempts:  DefaultWebhookMaxAttempts,
		PollInterval: DefaultWebhookPoll,
		RetryMin:     DefaultWebhookRetryMin,
		RetryMax:     DefaultWebhookRetryMax,
		Line:         keyLine,
	}
	var badURL, badSecret bool
	retryMaxLine := 0
	for _, kv := range p.pairs(n, "webhook") {
		key := kv.key.Value
		f := joinField("webhook", key)
		switch key {
		case "url":
			v, vn, ok := p.str(kv.val, f)
			badURL = !ok
			if ok && v != "" {
				if err := checkWebhookURL(v); err != nil {
					p.add(vn.Line, f, err)
					badURL = true
				}
				w.URL = v
			}
		case "secret":
			v, _, ok := p.str(kv.val, f)
			badSecret = !ok
			if ok && v != "" {
				if len(v) < 16 {
					p.add(kv.val.Line, f, errors.New("too short: use at least 16 random characters (e.g. openssl rand -hex 32)"))
					badSecret = true
				}
				w.Secret = NewSecret(v)
			}
		case "timeout":
			if d, ok := p.duration(kv.val, f, MinWebhookInterval); ok {
				w.Timeout = d
			}
		case "max_attempts":
			if v, ok := p.integer(kv.val, f, 1, MaxWebhookAttempts); ok {
				w.MaxAttempts = v
			}
		case "poll_interval":
			if d, ok := p.duration(kv.val, f, MinWebhookInterval); ok {
				w.PollInterval = d
			}
		case "retry_min":
			if d, ok := p.duration(kv.val, f, MinWebhookInterval); ok {
				w.RetryMin = d
			}
		case "retry_max":
			if d, ok := p.duration(kv.val, f, MinWebhookInterval); ok {
				w.RetryMax = d
				retryMaxLine = kv.val.Line
			}
		default:
			p.add(kv.key.Line, f, errors.New("unknown field"))
		}
	}
	if w.URL == "" && !badURL {
		p.add(keyLine, "webhook.url", fmt.Errorf("%w: the webhook section needs the receiver's url", ErrMissing))
	}
	if w.Secret.IsZero() && !badSecret {
		p.add(keyLine, "webhook.secret", fmt.Errorf("%w: the webhook section needs a secret to sign deliveries with (keep it in ${VAR} or credential:NAME)", ErrMissing))
	}
	if w.RetryMax < w.RetryMin {
		line := retryMaxLine
		if line == 0 {
			line = keyLine
		}
		p.addf(line, "webhook.retry_max", "%s is below retry_min (%s)", shortDuration(w.RetryMax), shortDuration(w.RetryMin))
	}
	return w
}

// checkWebhookURL accepts an absolute https URL, or http to a loopback
// host. Its messages never quote the URL: its path may hold a token.
func checkWebhookURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return errors.New("must be an absolute URL such as https://hooks.example.org/rollcall")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("must be https (plain http only to a loopback host such as 127.0.0.1 or localhost)")
	}
	return errors.New("must be an http or https URL")
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// integer reads an integer between lo and hi; false (with the error
// recorded) when it is not one.
func (p *parser) integer(n *yaml.Node, field string, lo, hi int) (int, bool) {
	v, vn, ok := p.str(n, field)
	if !ok || v == "" {
		return 0, false
	}
	i, err := strconv.Atoi(v)
	switch {
	case err != nil:
		p.addf(vn.Line, field, "must be a whole number, not %s", show(vn))
	case i < lo || i > hi:
		p.addf(vn.Line, field, "must be between %d and %d, not %d", lo, hi, i)
	default:
		return i, true
	}
	return 0, false
}
