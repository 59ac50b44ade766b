package config

import (
	"fmt"
	"io"
	"log/slog"

	"go.yaml.in/yaml/v3"
)

// Secret holds a token or API key. It prints as "[redacted]" through fmt,
// log/slog and encoding/json so that it cannot leak into logs, errors, the UI
// or the database by accident. Reveal returns the real value for the one
// place that needs it: the Authorization header.
//
// The value sits behind a pointer so that even fmt's printing of an
// unexported Secret field (where no method can be called) shows an address,
// never the token. Compare secrets with Equal, not ==.
type Secret struct {
	v    *string
	file string // the credential file it was read from, or ""
}

// NewSecret wraps a secret value.
func NewSecret(v string) Secret { return Secret{v: &v} }

func newFileSecret(v, file string) Secret { return Secret{v: &v, file: file} }

// File is the path of the credential file the secret was read from (a
// credential:NAME value decoded by DecodeSettings), or "" for a secret
// written in the file or taken from the environment. A token source uses it
// to pick up a rotated token (Reread).
func (s Secret) File() string { return s.file }

// Reread returns the secret as its credential file holds it now, with the
// same File. A secret with no file comes back unchanged. Errors name the
// file, never its contents.
func (s Secret) Reread() (Secret, error) {
	if s.file == "" {
		return s, nil
	}
	v, err := readCredentialFile(s.file)
	if err != nil {
		return s, err
	}
	return newFileSecret(v, s.file), nil
}

// Reveal returns the secret value. Call it only where the value is sent to
// the service it belongs to.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether no secret was configured.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// Equal reports whether two secrets hold the same value. go-cmp uses it, so
// structs holding a Secret can be compared in tests.
func (s Secret) Equal(o Secret) bool { return s.Reveal() == o.Reveal() }

const redacted = "[redacted]"

// String implements fmt.Stringer. It returns "[redacted]", or "" when no
// secret is set so that a missing token is visible in diagnostics.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer so that %#v does not leak either.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// Format implements fmt.Formatter: every verb (%v, %s, %q, %x, %d, …)
// prints the redacted form, and %#v prints GoString.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, s.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		io.WriteString(f, s.String())
	}
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (used by encoding/json and
// by YAML encoders), so a marshalled Secret is "[redacted]" too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalYAML implements yaml.Unmarshaler so that connector settings can
// hold a Secret: any scalar is taken as the secret's value, a null or empty
// value leaves it unset. Errors never include the value.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: a secret must be a string, not %s", n.Line, kindName(n)),
		}}
	}
	if n.ShortTag() == "!!null" {
		*s = Secret{}
		return nil
	}
	*s = NewSecret(n.Value)
	return nil
}
