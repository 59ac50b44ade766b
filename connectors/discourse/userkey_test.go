package discourse

import (
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/signin"
)

// TestUserAPIKey syncs with a user API key, the kind `rollcall auth
// discourse` writes: sent as User-Api-Key (with User-Api-Client-Id), never
// as Api-Key, and read as its user.
func TestUserAPIKey(t *testing.T) {
	srv := smallForum(t, discoursetest.WithAPIKey("admin-key", "system", true))
	req, err := signin.NewDiscourseRequest("https://forum.example.org", "rollcall", "c1", "", signin.DiscourseScopes)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := srv.ApproveUserAPIKey(req.ApprovalURL(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	key, err := req.Decrypt(payload)
	if err != nil {
		t.Fatal(err)
	}
	c := newTest(t, srv, "url: https://forum.example.org\nuser_api_key: "+key+"\nuser_api_client_id: c1\n", &clock{now: t0}, nil)
	if _, err := syncAll(t, c, connectors.Cursor{}); err != nil {
		t.Fatalf("sync with a user API key: %v", err)
	}
	for _, r := range srv.Requests() {
		if !r.Authenticated || r.APIUsername != "alice" || r.Status != 200 {
			t.Errorf("%s %s: authenticated %v as %q, status %d", r.Method, r.Path, r.Authenticated, r.APIUsername, r.Status)
		}
	}
	if got := c.AuthKind(); got != "static user API key" {
		t.Errorf("AuthKind = %q, want the user API key named", got)
	}
	msg, err := c.Check(t.Context())
	if err != nil || !strings.Contains(msg, "alice") {
		t.Errorf("Check = %q, %v", msg, err)
	}
	srv.RevokeUserAPIKey("alice")
	if _, err := c.Check(t.Context()); err == nil {
		t.Error("Check accepted a revoked key")
	}
}
