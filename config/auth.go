package config

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultSessionTTL is how long a login to the web pages lasts when the
// auth section says nothing (session_ttl).
const DefaultSessionTTL = 12 * time.Hour

// MinSessionTTL is the shortest session_ttl allowed.
const MinSessionTTL = time.Minute

// Auth is the access control of the web pages and the JSON API (the auth
// section). Without it the daemon only listens on loopback.
type Auth struct {
	// Token is the API token, sent as "Authorization: Bearer TOKEN".
	Token Secret
	// Users may log in to the pages.
	Users []User
	// TLS says that clients reach rollcall over HTTPS (rollcall itself or a
	// proxy in front terminates TLS): session cookies are then Secure.
	TLS bool
	// TrustedProxyHeader names a header set by a reverse proxy with the
	// scheme the client used, such as X-Forwarded-Proto; a request where it
	// says "https" gets a Secure cookie. Empty: no header is trusted.
	TrustedProxyHeader string
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// Line is where the auth section starts, for messages.
	Line int
}

// User is one person who may log in to the pages.
type User struct {
	// Name is the login name; it is recorded as the actor of decisions.
	Name string
	// PasswordHash is "pbkdf2-sha256$ITERATIONS$SALT$KEY" (salt and key in
	// unpadded base64), as printed by 'rollcall auth hash-password'.
	PasswordHash Secret
}

// PasswordHashPrefix starts every password_hash value.
const PasswordHashPrefix = "pbkdf2-sha256$"

// IsLoopback reports whether a listen address only accepts connections
// from this machine: 127.0.0.0/8, ::1 or localhost. An empty host (":7171")
// listens everywhere.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// CheckAccess returns an *Error naming the auth field when listen is not a
// loopback address and the configuration has no auth section. Parse checks
// the file's own listen; call it again when a flag overrides listen.
func (c *Config) CheckAccess(listen string) error {
	if c.Auth != nil || IsLoopback(listen) {
		return nil
	}
	return &Error{File: c.File, Field: "auth", Err: accessError(fmt.Sprintf("%q", listen))}
}

// accessError says why auth is required; shown is the quoted listen value
// (or the placeholder for one from the environment).
func accessError(shown string) error {
	return fmt.Errorf("%w: listen %s is not a loopback address, so the web pages and API need an auth section with a token and users (or listen on 127.0.0.1)", ErrMissing, shown)
}

// auth decodes the auth section.
func (p *parser) auth(keyLine int, n *yaml.Node) *Auth {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, "auth", "must be a mapping, not %s", kindName(n))
		return nil
	}
	a := &Auth{SessionTTL: DefaultSessionTTL, Line: keyLine}
	for _, kv := range p.pairs(n, "auth") {
		key := kv.key.Value
		f := joinField("auth", key)
		switch key {
		case "token":
			if v, _, ok := p.str(kv.val, f); ok && v != "" {
				if len(v) < 16 {
					p.add(kv.val.Line, f, errors.New("too short: use at least 16 random characters (e.g. openssl rand -hex 32)"))
				}
				a.Token = NewSecret(v)
			}
		case "users":
			a.Users = p.users(kv.val, f)
		case "tls":
			a.TLS = p.boolean(kv.val, f)
		case "trusted_proxy_header":
			if v, vn, ok := p.str(kv.val, f); ok && v != "" {
				if strings.ContainsAny(v, " :\t\r\n") {
					p.addf(vn.Line, f, "invalid header name %s", show(vn))
				}
				a.TrustedProxyHeader = http.CanonicalHeaderKey(v)
			}
		case "session_ttl":
			if d, ok := p.duration(kv.val, f, MinSessionTTL); ok {
				a.SessionTTL = d
			}
		default:
			p.add(kv.key.Line, f, errors.New("unknown field"))
		}
	}
	if a.Token.IsZero() && len(a.Users) == 0 {
		p.add(keyLine, "auth.token", fmt.Errorf("%w: the auth section needs a token (for the API) and/or users (for the pages)", ErrMissing))
	}
	return a
}

func (p *parser) boolean(n *yaml.Node, field string) bool {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		p.addf(n.Line, field, "must be true or false, not %s", kindName(n))
		return false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	p.addf(n.Line, field, "must be true or false, not %s", show(n))
	return false
}

func (p *parser) users(n *yaml.Node, field string) []User {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.addf(n.Line, field, "must be a list of users, not %s", kindName(n))
		return nil
	}
	var out []User
	seen := map[string]int{}
	for i, item := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		m := deref(item)
		if m.Kind != yaml.MappingNode {
			p.addf(item.Line, f, "must be a mapping with name and password_hash, not %s", kindName(m))
			continue
		}
		var u User
		for _, kv := range p.pairs(m, f) {
			kf := joinField(f, kv.key.Value)
			switch kv.key.Value {
			case "name":
				if v, vn, ok := p.str(kv.val, kf); ok && v != "" {
					if line, dup := seen[v]; dup {
						p.addf(vn.Line, kf, "duplicate user %s (first at line %d)", show(vn), line)
					}
					seen[v] = vn.Line
					u.Name = v
				}
			case "password_hash":
				if v, vn, ok := p.str(kv.val, kf); ok && v != "" {
					if !strings.HasPrefix(v, PasswordHashPrefix) || strings.Count(v, "$") != 3 {
						p.addf(vn.Line, kf, "not a password hash (want %s…, from 'rollcall auth hash-password')", PasswordHashPrefix)
					}
					u.PasswordHash = NewSecret(v)
				}
			default:
				p.add(kv.key.Line, kf, errors.New("unknown field"))
			}
		}
		if u.Name == "" {
			p.add(m.Line, joinField(f, "name"), ErrMissing)
		}
		if u.PasswordHash.IsZero() {
			p.add(m.Line, joinField(f, "password_hash"), ErrMissing)
		}
		out = append(out, u)
	}
	return out
}
