package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseWebhook(t *testing.T) {
	const secret = "0123456789abcdef0123"
	env := Env{Getenv: mapEnv(map[string]string{"HOOK_SECRET": secret, "HOOK_URL": "http://example.org/hook/tok3n"})}
	good := []struct {
		name, yaml string
		want       *Webhook
	}{
		{"none", "store: x.db\n", nil},
		{"empty", "webhook:\n", nil},
		{"defaults", "webhook:\n  url: https://hooks.example.org/r\n  secret: ${HOOK_SECRET}\n", &Webhook{
			URL: "https://hooks.example.org/r", Secret: NewSecret(secret), Timeout: 10 * time.Second, MaxAttempts: 12,
			PollInterval: 5 * time.Second, RetryMin: 30 * time.Second, RetryMax: time.Hour, Line: 1}},
		{"loopback http, every key", "store: x.db\nwebhook:\n  url: http://127.0.0.1:9000/h\n  secret: " + secret + "\n  timeout: 3s\n  max_attempts: 5\n  poll_interval: 200ms\n  retry_min: 1s\n  retry_max: 10s\n", &Webhook{
			URL: "http://127.0.0.1:9000/h", Secret: NewSecret(secret), Timeout: 3 * time.Second, MaxAttempts: 5,
			PollInterval: 200 * time.Millisecond, RetryMin: time.Second, RetryMax: 10 * time.Second, Line: 2}},
		{"localhost http", "webhook:\n  url: http://localhost/h\n  secret: " + secret + "\n", &Webhook{
			URL: "http://localhost/h", Secret: NewSecret(secret), Timeout: 10 * time.Second, MaxAttempts: 12,
			PollInterval: 5 * time.Second, RetryMin: 30 * time.Second, RetryMax: time.Hour, Line: 1}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("rollcall.yaml", []byte(tt.yaml), env)
			if err != nil {
				t.Fatal(err)
			}
			if (cfg.Webhook == nil) != (tt.want == nil) || cfg.Webhook != nil && !(cfg.Webhook.Secret.Equal(tt.want.Secret) && webhookNoSecret(*cfg.Webhook) == webhookNoSecret(*tt.want)) {
				t.Errorf("webhook = %+v, want %+v", cfg.Webhook, tt.want)
			}
		})
	}

	bad := []struct {
		name, yaml, want string
	}{
		{"not a mapping", "webhook: [a]\n", `rollcall.yaml:1: webhook: must be a mapping, not a list`},
		{"no url", "webhook:\n  secret: " + secret + "\n", `rollcall.yaml:1: webhook.url: required: the webhook section needs the receiver's url`},
		{"no secret", "webhook:\n  url: https://h.example/x\n", `rollcall.yaml:1: webhook.secret: required: the webhook section needs a secret to sign deliveries with (keep it in ${VAR} or credential:NAME)`},
		{"short secret", "webhook:\n  url: https://h.example/x\n  secret: abc\n", `rollcall.yaml:3: webhook.secret: too short: use at least 16 random characters (e.g. openssl rand -hex 32)`},
		{"plain http elsewhere", "webhook:\n  url: ${HOOK_URL}\n  secret: " + secret + "\n", `rollcall.yaml:2: webhook.url: must be https (plain http only to a loopback host such as 127.0.0.1 or localhost)`},
		{"other scheme", "webhook:\n  url: ftp://h.example/x\n  secret: " + secret + "\n", `rollcall.yaml:2: webhook.url: must be an http or https URL`},
		{"relative", "webhook:\n  url: /hook\n  secret: " + secret + "\n", `rollcall.yaml:2: webhook.url: must be an absolute URL such as https://hooks.example.org/rollcall`},
		{"unknown key", "webhook:\n  url: https://h.example/x\n  secret: " + secret + "\n  events: [a]\n", `rollcall.yaml:4: webhook.events: unknown field`},
		{"max_attempts text", "webhook:\n  url: https://h.example/x\n  secret: " + secret + "\n  max_attempts: many\n", `rollcall.yaml:4: webhook.max_attempts: must be a whole number, not "many"`},
		{"max_attempts zero", "webhook:\n  url: https://h.example/x\n  secret: " + secret + "\n  max_attempts: 0\n", `rollcall.yaml:4: webhook.max_attempts: must be between 1 and 100, not 0`},
		{"timeout too short", "webhook:\n  url: https://h.example/x\n  secret: " + secret + "\n  timeout: 1ms\n", `rollcall.yaml:4: webhook.timeout: 1ms is below the minimum of 100ms`},
		{"retry_max below retry_min", "webhook:\n  url: https://h.example/x\n  secret: " + secret + "\n  retry_min: 2m\n  retry_max: 1m\n", `rollcall.yaml:5: webhook.retry_max: 1m is below retry_min (2m)`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("rollcall.yaml", []byte(tt.yaml), env)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "tok3n") {
				t.Errorf("error leaks the secret or the url: %v", err)
			}
		})
	}
}

// webhookNoSecret is w without its secret, comparable with ==.
func webhookNoSecret(w Webhook) string {
	w.Secret = Secret{}
	return fmt.Sprintf("%+v", w)
}

func TestWebhookSecretRedacted(t *testing.T) {
	cfg, err := Parse("rollcall.yaml", []byte("webhook:\n  url: https://h.example/x\n  secret: s3cr3t-s3cr3t-s3cr3t\n"), Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(cfg.Webhook), fmt.Sprintf("%+v", *cfg.Webhook), fmt.Sprintf("%#v", cfg.Webhook)} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("printed webhook leaks the secret: %s", s)
		}
	}
}
