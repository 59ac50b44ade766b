package connectors

import (
	"log/slog"
	"os"
	"sync"

	"golang.org/x/oauth2"

	"github.com/rollcall-dev/rollcall/config"
)

// NewTokenSource returns the oauth2.TokenSource of a bearer token in s, for
// ClientOptions.Token. A token written in the configuration or taken from
// the environment is static. A token read from a credential file
// (token: credential:NAME, see config.Secret.File) is read again whenever
// the file changes: each Token call stats the file (a stat costs a
// microsecond, a request milliseconds) and re-reads it when its identity,
// size or modification time differ from the last read, so that a rotated
// or refreshed token is used from the next request on, without a restart
// or a SIGHUP. While the file is missing, unreadable or empty (a rotation
// in progress), the last token read stays in use and log says so once,
// naming the file, never the token. Tokens carry no expiry, so the source
// is never wrapped in oauth2.ReuseTokenSource, which would cache the first
// token for ever. It returns nil when s is empty.
func NewTokenSource(s config.Secret, log *slog.Logger) oauth2.TokenSource {
	if s.IsZero() {
		return nil
	}
	if s.File() == "" {
		return oauth2.StaticTokenSource(bearer(s))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &fileTokenSource{secret: s, log: log}
}

// bearer is the oauth2 token for a secret. TokenType is left empty:
// oauth2.Token.Type then says "Bearer", which SetAuthHeader sends.
func bearer(s config.Secret) *oauth2.Token { return &oauth2.Token{AccessToken: s.Reveal()} }

// fileTokenSource is the token source of a token in a credential file.
type fileTokenSource struct {
	log *slog.Logger

	mu      sync.Mutex
	secret  config.Secret
	read    os.FileInfo // the file as last read; nil before the first read
	failing bool        // a warning about the file was logged
}

func (f *fileTokenSource) Token() (*oauth2.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.secret.File()
	fi, err := os.Stat(path)
	if err == nil && f.read != nil && unchanged(f.read, fi) {
		return bearer(f.secret), nil
	}
	var s config.Secret
	if err == nil {
		s, err = f.secret.Reread()
	}
	switch {
	case err != nil:
		f.warn("cannot read the credential file: the token read before stays in use", path, err)
	case s.IsZero():
		f.warn("the credential file is empty: the token read before stays in use", path, nil)
	default:
		if f.read != nil && !s.Equal(f.secret) {
			f.log.Info("credential file changed: the new token is in use", "file", path)
		}
		f.secret, f.read, f.failing = s, fi, false
	}
	return bearer(f.secret), nil
}

func (f *fileTokenSource) warn(msg, path string, err error) {
	if f.failing {
		return
	}
	f.failing = true
	if err != nil {
		f.log.Warn(msg, "file", path, "error", err)
		return
	}
	f.log.Warn(msg, "file", path)
}

// unchanged reports whether b is the file a was: the same file (a rename
// over it is a new one), size and modification time.
func unchanged(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// AuthKind says which credentials a secret is, for rollcall doctor: what
// is "none", "static token" (written in the configuration or from the
// environment) or "token from credential file PATH".
func AuthKind(s config.Secret, what string) string {
	switch {
	case s.IsZero():
		return "none"
	case s.File() != "":
		return what + " from credential file " + s.File() + " (re-read when it changes)"
	}
	return "static " + what
}

// AuthDescriber is implemented by connectors that can say which
// credentials they use (see AuthKind), without any I/O, for rollcall doctor.
type AuthDescriber interface {
	AuthKind() string
}
