package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// credentialPrefix starts a value that names a systemd credential.
const credentialPrefix = "credential:"

// credentialFileMark starts the line comment that expand leaves on a value
// read from a credential file, followed by the file's path.
const credentialFileMark = "# rollcall: credential file "

// credentialFile returns the credential file a scalar was read from, or "".
func credentialFile(n *yaml.Node) string {
	f, _ := strings.CutPrefix(n.LineComment, credentialFileMark)
	if f == n.LineComment {
		return ""
	}
	return f
}

// expand rewrites every scalar value below n (mapping keys excepted) in
// place: ${VAR} becomes the variable's value, $$ a literal $, and a whole
// value credential:NAME the contents of $CREDENTIALS_DIRECTORY/NAME. Nodes
// whose value failed to expand are recorded in failed so that validation does
// not report them twice. Aliases are skipped: their anchor is expanded where
// it is defined.
func (p *parser) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			if n.Kind == yaml.SequenceNode {
				p.expand(c, fmt.Sprintf("%s[%d]", path, i))
			} else {
				p.expand(c, path)
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			key := k.Value
			if k.Kind != yaml.ScalarNode {
				key = "?"
			}
			p.expand(n.Content[i+1], joinField(path, key))
		}
	case yaml.ScalarNode:
		if err := p.expandScalar(n); err != nil {
			p.add(n.Line, path, err)
			p.failed[n] = true
		}
	}
}

// expandScalar expands one scalar node; see expand.
func (p *parser) expandScalar(n *yaml.Node) error {
	if name, ok := strings.CutPrefix(n.Value, credentialPrefix); ok {
		v, err := readCredential(p.env.CredentialsDir, name)
		if err != nil {
			return err
		}
		n.Value = v
		// The node remembers its file, so that a Secret decoded from it
		// can re-read it (Secret.Reread); comments are read by nothing else.
		n.LineComment = credentialFileMark + filepath.Join(p.env.CredentialsDir, name)
		n.Tag = longTagPrefix + "str"
		return nil
	}
	if !strings.Contains(n.Value, "$") {
		return nil
	}
	v, fromEnv, err := expandEnv(n.Value, p.env.lookup)
	if err != nil {
		return err
	}
	n.Value = v
	explicit := n.Style&yaml.TaggedStyle != 0
	quoted := n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	switch {
	case explicit || quoted:
		// The tag was given or the value is a string either way.
	case !fromEnv:
		// Only $$ changed; type the new text as the parser would have.
		n.Tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
		return nil
	default:
		// A plain ${VAR} is typed as if its value had been written in the
		// file, so "${PORT}" can fill an int; a non-empty value never
		// becomes null.
		n.Tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
		if n.Tag == "!!null" && v != "" {
			n.Tag = "!!str"
		}
	}
	if !fromEnv {
		return nil
	}
	// Mark the node as expanded (see longTagPrefix).
	if tag, ok := strings.CutPrefix(n.ShortTag(), "!!"); ok {
		n.Tag = longTagPrefix + tag
	} else {
		n.Tag = longTagPrefix + "str" // a local tag such as !foo
	}
	return nil
}

// expandEnv replaces ${VAR} with lookup(VAR) and $$ with $ in s. A $ that
// starts neither stays as it is. fromEnv reports whether any variable was
// substituted. Errors name the variable, never its value.
func expandEnv(s string, lookup func(string) (string, bool)) (out string, fromEnv bool, err error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			return b.String(), fromEnv, nil
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", false, errors.New(`unterminated "${": missing "}" (write "$$" for a literal "$")`)
			}
			name := s[i+2 : i+2+end]
			if !validEnvName(name) {
				return "", false, fmt.Errorf("invalid environment variable name %q", name)
			}
			v, ok := lookup(name)
			if !ok {
				return "", false, fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(v)
			fromEnv = true
			s = s[i+2+end+1:]
		default:
			b.WriteByte('$')
			s = s[i+1:]
		}
	}
}

// validEnvName reports whether name is a portable environment variable name.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// readCredentialFile returns the contents of a credential file without its
// trailing newline. Errors name the file, never the contents.
func readCredentialFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("read credential %s: %w", path, err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// readCredential returns the systemd credential name from dir, without its
// trailing newline. Errors never include the contents.
func readCredential(dir, name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
		return "", fmt.Errorf("invalid credential name %q: it must be a plain file name", name)
	}
	if dir == "" {
		return "", fmt.Errorf("credential %q: $CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit)", name)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the message below already
		}
		return "", fmt.Errorf("credential %q: read %s: %w", name, filepath.Join(dir, name), err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// WithoutCredentialValues returns a deep copy of n in which every value read
// from a credential file keeps its file but not its contents. The daemon
// fingerprints a source's settings with it, so that a token rotated in its
// file does not restart the source on SIGHUP: the running connector's token
// source reads the new token from the file by itself (a new credential
// NAME still changes the fingerprint).
func WithoutCredentialValues(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if c.Kind == yaml.ScalarNode && credentialFile(n) != "" {
		c.Value = ""
	}
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = WithoutCredentialValues(k)
		}
	}
	return &c
}
