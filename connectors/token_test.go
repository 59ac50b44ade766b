package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/rollcall-dev/rollcall/config"
)

// fileSecret returns the secret of "token: credential:NAME" with the file
// holding value, as a connector decodes it.
func fileSecret(t *testing.T, value string) (config.Secret, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "tok")
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("rollcall.yaml", []byte("sources:\n  - name: s\n    type: t\n    token: credential:tok\n"),
		config.Env{Getenv: func(string) (string, bool) { return "", false }, CredentialsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Token config.Secret `yaml:"token"`
	}
	if err := config.DecodeSettings(cfg.Sources[0], &s); err != nil {
		t.Fatal(err)
	}
	return s.Token, path
}

// rotate replaces the credential file as a rotation does: a new file
// renamed over the old one.
func rotate(t *testing.T, path, value string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// authServer answers 200 to the one token it accepts and 401 to others,
// and records the Authorization header of every request.
type authServer struct {
	mu   sync.Mutex
	want string
	seen []string
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := r.Header.Get("Authorization")
	s.seen = append(s.seen, got)
	if got != "Bearer "+s.want {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Write([]byte(`{}`))
}

func (s *authServer) accept(tok string) { s.mu.Lock(); s.want = tok; s.mu.Unlock() }

// A token from a credential file that is rotated under a running client is
// sent from the next request on, with no restart; the logs say the file
// changed and never show a token.
func TestTokenSourceRotatedFileNextRequest(t *testing.T) {
	first, second := sentinel+"-one", sentinel+"-two"
	sec, path := fileSecret(t, first)
	srv := &authServer{want: first}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := newFakeClock()
	c := NewClient(ClientOptions{Source: "s", Logger: log, Now: clk.Now, Sleep: clk.Sleep, Token: NewTokenSource(sec, log)})
	hc := c.HTTPClient()
	ctx := context.Background()

	if resp, _, err := get(ctx, hc, ts.URL+"/a"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	rotate(t, path, second)
	srv.accept(second) // the service revoked the old token
	if resp, _, err := get(ctx, hc, ts.URL+"/b"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("request after the rotation: %v %v (sent %q)", resp, err, srv.seen)
	}
	if want := []string{"Bearer " + first, "Bearer " + second}; fmt.Sprint(srv.seen) != fmt.Sprint(want) {
		t.Errorf("sent %q, want %q", srv.seen, want)
	}

	// A rewrite in place (same inode) is seen too.
	third := sentinel + "-three"
	if err := os.WriteFile(path, []byte(third), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.accept(third)
	if resp, _, err := get(ctx, hc, ts.URL+"/c"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("request after a rewrite: %v %v", resp, err)
	}

	// A missing file (a rotation half done) keeps the last token.
	os.Remove(path)
	if resp, _, err := get(ctx, hc, ts.URL+"/d"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("request with the file gone: %v %v", resp, err)
	}
	rotate(t, path, "")
	if resp, _, err := get(ctx, hc, ts.URL+"/e"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("request with the file empty: %v %v", resp, err)
	}

	out := logs.String()
	if !strings.Contains(out, "credential file changed") || !strings.Contains(out, path) {
		t.Errorf("logs do not say the file changed:\n%s", out)
	}
	if strings.Contains(out, sentinel) {
		t.Errorf("a token is in the logs:\n%s", out)
	}
}

// A static token is sent as it is; an empty one gives no source.
func TestTokenSourceStatic(t *testing.T) {
	if NewTokenSource(config.Secret{}, nil) != nil {
		t.Error("an empty secret has a token source")
	}
	tok, err := NewTokenSource(config.NewSecret(sentinel), nil).Token()
	if err != nil || tok.AccessToken != sentinel || tok.Type() != "Bearer" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) { return nil, errors.New("no token today") }

// A token source that fails sends nothing and is not retried; the error
// names the source.
func TestTokenSourceErrorSendsNothing(t *testing.T) {
	srv := &authServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clk := newFakeClock()
	c := NewClient(ClientOptions{Source: "s", Now: clk.Now, Sleep: clk.Sleep, Token: failingSource{}})
	_, _, err := get(context.Background(), c.HTTPClient(), ts.URL+"/a")
	var te *ErrToken
	if !errors.As(err, &te) || te.Source != "s" {
		t.Fatalf("err = %v, want *ErrToken", err)
	}
	if len(srv.seen) != 0 || len(clk.slept) != 0 {
		t.Errorf("sent %d requests, slept %v", len(srv.seen), clk.slept)
	}
}

// The token goes only to the host the request was first made to.
func TestTokenSourceNotAfterRedirectToOtherHost(t *testing.T) {
	other := &authServer{}
	ots := httptest.NewServer(other)
	defer ots.Close()
	first := httptest.NewServer(http.RedirectHandler(ots.URL+"/x", http.StatusFound))
	defer first.Close()
	clk := newFakeClock()
	c := NewClient(ClientOptions{Source: "s", Now: clk.Now, Sleep: clk.Sleep, Token: NewTokenSource(config.NewSecret(sentinel), nil)})
	_, _, _ = get(context.Background(), c.HTTPClient(), first.URL+"/a") // the other host refuses: 401
	if len(other.seen) != 1 || other.seen[0] != "" {
		t.Errorf("the other host saw Authorization %q", other.seen)
	}
}
