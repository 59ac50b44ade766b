package signin

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestErrorsInWords checks that the flows' error codes become sentences
// and that a response body (which could carry anything) never reaches the
// message.
func TestErrorsInWords(t *testing.T) {
	body := []byte(`{"error":"x","access_token":"gho_SECRET"}`)
	for _, tt := range []struct {
		code string
		want string
	}{
		{"expired_token", "code expired"},
		{"access_denied", "refused"},
		{"device_flow_disabled", "Enable Device Flow"},
		{"incorrect_client_credentials", "client id"},
		{"incorrect_device_code", "device code"},
		{"invalid_grant", "refused the code"},
		{"invalid_client", "does not know the application"},
		{"", "answered 502 Bad Gateway"},
		{"server_error", "server_error"},
	} {
		re := &oauth2.RetrieveError{ErrorCode: tt.code, Body: body, Response: &http.Response{Status: "502 Bad Gateway"}}
		got := deviceErr(errors.Join(re)).Error()
		if !strings.Contains(got, tt.want) || strings.Contains(got, "SECRET") {
			t.Errorf("%q: %q, want %q and no body", tt.code, got, tt.want)
		}
	}
}

func TestServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"fosstodon.org":               "https://fosstodon.org",
		"https://fosstodon.org/":      "https://fosstodon.org",
		" http://127.0.0.1:8080 ":     "http://127.0.0.1:8080",
		"https://example.org/forum/":  "https://example.org/forum",
		"ftp://x":                     "",
		"https://x/?a=1":              "",
		"https://user:pw@example.org": "",
		"":                            "",
	} {
		got, err := ServerURL(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("ServerURL(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("ServerURL(%q): the error carries the password: %v", in, err)
		}
	}
}
