package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// longTagPrefix is the long form of the "!!" tag handle. The YAML parser
// always records standard tags in their short form ("!!str"), so expansion
// marks the nodes whose value came from the environment or a credential by
// writing their tag in the equivalent long form. Decoding is unaffected, and
// error messages can tell which values must never be shown.
const longTagPrefix = "tag:yaml.org,2002:"

// hiddenValue replaces an expanded value in error messages.
const hiddenValue = "(value from the environment or a credential, not shown)"

// isExpanded reports whether n's value came from ${VAR} or credential:NAME.
func isExpanded(n *yaml.Node) bool { return strings.HasPrefix(n.Tag, longTagPrefix) }

// containsExpanded reports whether n or any node below it is expanded.
func containsExpanded(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if isExpanded(n) {
		return true
	}
	if n.Kind == yaml.AliasNode {
		return containsExpanded(n.Alias)
	}
	for _, c := range n.Content {
		if containsExpanded(c) {
			return true
		}
	}
	return false
}

// show quotes n's value for an error message, unless it was expanded.
func show(n *yaml.Node) string {
	if isExpanded(n) {
		return hiddenValue
	}
	return fmt.Sprintf("%q", n.Value)
}

// deref follows alias nodes to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null.
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName describes a node's kind for error messages.
func kindName(n *yaml.Node) string {
	switch deref(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch deref(n).ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		case "!!timestamp":
			return "a timestamp"
		}
		return "a scalar"
	case yaml.DocumentNode:
		return "a document"
	}
	return "nothing"
}

// joinField extends a field path with a mapping key.
func joinField(path, key string) string {
	key = fieldKey(key)
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldKey is a mapping key as a field path shows it: as written, or
// quoted when it is empty or holds anything but printable characters
// other than space, '.' and '[' (so that an error about the key ""
// still names a field: `"": unknown field`).
func fieldKey(key string) string {
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' || r == '.' || r == '[' || r == '"' }) {
		return strconv.Quote(key)
	}
	return key
}

// collector gathers located errors for one file.
type collector struct {
	file string
	errs Errors
}

func (c *collector) add(line int, field string, err error) {
	c.errs = append(c.errs, &Error{File: c.file, Line: line, Field: field, Err: err})
}

func (c *collector) addf(line int, field, format string, args ...any) {
	c.add(line, field, fmt.Errorf(format, args...))
}

// err returns nil, the single *Error, or all errors sorted by line.
func (c *collector) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return c.errs[0]
	}
	sort.SliceStable(c.errs, func(i, j int) bool { return c.errs[i].Line < c.errs[j].Line })
	return c.errs
}

// pair is one key and value of a mapping.
type pair struct{ key, val *yaml.Node }

// pairs lists the entries of the mapping n, resolving YAML merge keys
// ("<<: *base": explicit keys win over merged ones, earlier merged mappings
// over later ones) and reporting duplicate and non-string keys.
func (c *collector) pairs(n *yaml.Node, path string) []pair {
	n = deref(n)
	var out, merged []pair
	first := map[string]int{} // key → line of its first explicit occurrence
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			c.addf(k.Line, path, "keys must be strings, not %s", kindName(k))
			continue
		}
		if k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge") {
			merged = append(merged, c.merge(v, path)...)
			continue
		}
		if line, dup := first[k.Value]; dup {
			c.addf(k.Line, joinField(path, k.Value), "duplicate field (first at line %d)", line)
			continue
		}
		first[k.Value] = k.Line
		out = append(out, pair{k, v})
	}
	for _, p := range merged {
		if _, ok := first[p.key.Value]; !ok {
			first[p.key.Value] = p.key.Line
			out = append(out, p)
		}
	}
	return out
}

// merge returns the entries a merge key's value brings in.
func (c *collector) merge(v *yaml.Node, path string) []pair {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return c.pairs(v, path)
	case yaml.SequenceNode:
		var out []pair
		for _, m := range v.Content {
			if deref(m).Kind != yaml.MappingNode {
				c.addf(m.Line, joinField(path, "<<"), "can only merge mappings, not %s", kindName(m))
				continue
			}
			out = append(out, c.pairs(m, path)...)
		}
		return out
	}
	c.addf(v.Line, joinField(path, "<<"), "can only merge a mapping or a list of mappings, not %s", kindName(v))
	return nil
}

// errHidden stands in for a YAML error whose text could hold an expanded value.
var errHidden = errors.New("cannot decode " + hiddenValue)
