package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"go.yaml.in/yaml/v3"
)

// SystemPath is where a system-wide installation keeps its configuration.
const SystemPath = "/etc/rollcall/rollcall.yaml"

// LocalPath is the configuration file used when SystemPath does not exist.
const LocalPath = "rollcall.yaml"

// DefaultStoreFile is the SQLite file name used when the config names no store.
const DefaultStoreFile = "rollcall.db"

// Env is what Parse reads from outside the file. The zero Env has no
// variables and no credentials.
type Env struct {
	// Getenv looks up an environment variable; ok is false when it is unset.
	Getenv func(name string) (value string, ok bool)
	// CredentialsDir is systemd's $CREDENTIALS_DIRECTORY, where
	// credential:NAME values are read from; empty when there is none.
	CredentialsDir string
}

// OSEnv returns the process environment: os.LookupEnv and
// $CREDENTIALS_DIRECTORY. Load uses it.
func OSEnv() Env {
	return Env{Getenv: os.LookupEnv, CredentialsDir: os.Getenv("CREDENTIALS_DIRECTORY")}
}

func (e Env) lookup(name string) (string, bool) {
	if e.Getenv == nil {
		return "", false
	}
	return e.Getenv(name)
}

// DefaultPath returns SystemPath if that file exists, else LocalPath.
func DefaultPath() string { return defaultPath(os.Stat) }

func defaultPath(stat func(string) (fs.FileInfo, error)) string {
	if _, err := stat(SystemPath); err == nil {
		return SystemPath
	}
	return LocalPath
}

// Load reads and parses the configuration file at path with the process
// environment (see OSEnv). Every error it returns is a *Error or an Errors
// naming path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // keep errors.Is(err, fs.ErrNotExist); File says which file
		}
		return nil, &Error{File: path, Err: err}
	}
	return Parse(path, data, OSEnv())
}

// Parse parses and validates a configuration file's contents and applies the
// defaults. name is used in error messages and as Config.File.
//
// On failure Parse returns a nil *Config and either one *Error or Errors
// listing every problem found, sorted by line; use errors.As to get at the
// *Error values. Messages never contain a value that came from the
// environment or a credential.
func Parse(name string, data []byte, env Env) (*Config, error) {
	p := &parser{collector: collector{file: name}, env: env, failed: map[*yaml.Node]bool{}}
	root, err := p.parseYAML(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{File: name, Privacy: DefaultPrivacy}
	if root != nil {
		if deref(root).Kind == yaml.MappingNode {
			// Anything else is reported whole by decode: a scalar's
			// ${VAR} has no field to be named by.
			p.expand(root, "")
		}
		p.decode(root, cfg)
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Store == "" {
		cfg.Store = DefaultStoreFile
		if dir, ok := env.lookup("STATE_DIRECTORY"); ok && dir != "" {
			// systemd separates several StateDirectory= entries with ":".
			dir, _, _ = strings.Cut(dir, ":")
			cfg.Store = filepath.Join(dir, DefaultStoreFile)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// StoreDriver returns "postgres" when Store is a postgres:// (or
// postgresql://) URL and "sqlite" when it is a file path.
func (c *Config) StoreDriver() string {
	if scheme, _, ok := strings.Cut(c.Store, "://"); ok && isPostgresScheme(scheme) {
		return "postgres"
	}
	return "sqlite"
}

func isPostgresScheme(s string) bool { return s == "postgres" || s == "postgresql" }

// parser holds the state of one Parse call.
type parser struct {
	collector
	env    Env
	failed map[*yaml.Node]bool // values whose expansion failed, already reported
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the document's top node, or nil for an empty document.
func (p *parser) parseYAML(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	// A problem found at the end of the input is on its last line, which
	// the parser's 0-based count (see syntaxError) can overshoot.
	lastLine := bytes.Count(data, []byte("\n")) + 1
	syntaxError := func(err error) *Error {
		e := p.syntaxError(err)
		e.Line = min(e.Line, lastLine)
		return e
	}
	// YAML also breaks lines at NEXT LINE, LINE SEPARATOR and PARAGRAPH
	// SEPARATOR, which editors show inside a line: every line number
	// after one would be off, and a value holding one is cut in two.
	if i := bytes.IndexFunc(data, func(r rune) bool { return r == '\u0085' || r == '\u2028' || r == '\u2029' }); i >= 0 {
		r, _ := utf8.DecodeRune(data[i:])
		return nil, &Error{File: p.file, Line: bytes.Count(data[:i], []byte("\n")) + 1,
			Err: fmt.Errorf("yaml: the line holds %U, which YAML reads as a line break: delete it, or write it as an escape in a double-quoted string", r)}
	}
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		return nil, syntaxError(err)
	default:
		return nil, &Error{File: p.file, Line: extra.Line, Err: errors.New("yaml: only one document is allowed")}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil
	}
	return doc.Content[0], nil
}

// syntaxError turns "yaml: line 3: msg" into rollcall.yaml:3: yaml: msg.
//
// yaml.v3 counts lines from 1 for scanner errors but from 0 for parser
// errors (the problems listed in parserProblems), and leaves the line out
// when that count is 0; this puts all of them on a 1-based line.
func (p *parser) syntaxError(err error) *Error {
	e := &Error{File: p.file, Line: 1, Err: err}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Err = errors.New("yaml: " + m[2])
		if parserProblem(m[2]) {
			e.Line++
		}
	}
	return e
}

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner), from parserc.go.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

func parserProblem(msg string) bool { return slices.Contains(parserProblems, msg) }

// decode fills cfg from the top-level mapping.
func (p *parser) decode(root *yaml.Node, cfg *Config) {
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		p.addf(root.Line, "", "the configuration must be a mapping of settings, not %s", kindName(root))
		return
	}
	listenLine, listenShown := 0, ""
	for _, kv := range p.pairs(root, "") {
		switch key := kv.key.Value; key {
		case "store":
			if v, n, ok := p.str(kv.val, key); ok {
				p.checkStore(v, n)
				cfg.Store, cfg.StoreLine = v, n.Line
			}
		case "listen":
			if v, n, ok := p.str(kv.val, key); ok {
				p.checkListen(v, n)
				cfg.Listen = v
				listenLine, listenShown = n.Line, show(n)
			}
		case "auth":
			cfg.Auth = p.auth(kv.key.Line, kv.val)
		case "sources":
			cfg.Sources = p.sources(kv.val)
		case "team":
			cfg.Team = p.team(kv.val)
		case "privacy":
			cfg.Privacy = p.privacy(kv.val)
		case "scoring":
			cfg.Scoring = p.scoring(kv.val)
		case "webhook":
			cfg.Webhook = p.webhook(kv.key.Line, kv.val)
		case "lease_ttl":
			if d, ok := p.duration(kv.val, key, time.Second); ok {
				cfg.LeaseTTL = d
			}
		case "http_timeout":
			if d, ok := p.duration(kv.val, key, MinHTTPTimeout); ok {
				cfg.HTTPTimeout = d
			}
		case "memory_limit":
			if v, vn, ok := p.str(kv.val, key); ok && v != "" {
				n, err := humanize.ParseBytes(v)
				switch {
				case err != nil:
					p.addf(vn.Line, key, "invalid size %s (write it like 512MiB or 1GiB)", show(vn))
				case n < MinMemoryLimit:
					p.addf(vn.Line, key, "%s is below the minimum of 32MiB", show(vn))
				case n > math.MaxInt64:
					p.addf(vn.Line, key, "%s is too large", show(vn))
				default:
					cfg.MemoryLimit = int64(n)
				}
			}
		default:
			if strings.HasPrefix(key, "x-") {
				continue // extension field, a place for YAML anchors
			}
			p.add(kv.key.Line, joinField("", key), errors.New("unknown field"))
		}
	}
	if cfg.Auth == nil && cfg.Listen != "" && !IsLoopback(cfg.Listen) && !p.hasErrorAt("listen") {
		p.add(listenLine, "auth", accessError(listenShown))
	}
}

// privacy decodes the privacy section; missing keys keep their defaults.
func (p *parser) privacy(n *yaml.Node) Privacy {
	pv := DefaultPrivacy
	n = deref(n)
	if isNull(n) {
		return pv
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, "privacy", "must be a mapping, not %s", kindName(n))
		return pv
	}
	for _, kv := range p.pairs(n, "privacy") {
		f := joinField("privacy", kv.key.Value)
		switch kv.key.Value {
		case "keep_text":
			pv.KeepText = p.boolean(kv.val, f)
		default:
			p.add(kv.key.Line, f, errors.New("unknown field"))
		}
	}
	return pv
}

// hasErrorAt reports whether an error about field was already recorded.
func (p *parser) hasErrorAt(field string) bool {
	for _, e := range p.errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// duration reads a duration of at least minimum; false (with the error
// recorded) when it is missing, empty, invalid or too short.
func (p *parser) duration(n *yaml.Node, field string, minimum time.Duration) (time.Duration, bool) {
	v, vn, ok := p.str(n, field)
	if !ok || v == "" {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.addf(vn.Line, field, "invalid duration %s", show(vn))
	case d < minimum:
		p.addf(vn.Line, field, "%s is below the minimum of %s", shortDuration(d), shortDuration(minimum))
	default:
		return d, true
	}
	return 0, false
}

// str returns a scalar value as a string; null counts as "". ok is false
// when the value is not a scalar or could not be expanded (both reported).
func (p *parser) str(n *yaml.Node, field string) (string, *yaml.Node, bool) {
	n = deref(n)
	if p.failed[n] {
		return "", n, false
	}
	if n.Kind != yaml.ScalarNode {
		p.addf(n.Line, field, "must be a string, not %s", kindName(n))
		return "", n, false
	}
	if isNull(n) {
		return "", n, true
	}
	return n.Value, n, true
}

func (p *parser) checkStore(v string, n *yaml.Node) {
	scheme, _, ok := strings.Cut(v, "://")
	if !ok {
		return // a SQLite file path
	}
	if !isPostgresScheme(scheme) {
		if isExpanded(n) {
			p.add(n.Line, "store", errors.New("unsupported store URL (want a file path or a postgres:// URL)"))
			return
		}
		p.addf(n.Line, "store", "unsupported store URL scheme %q (want a file path or a postgres:// URL)", scheme)
	}
	// The rest of a PostgreSQL URL is pgx's to check: it may hold a password
	// that must not end up in a message from here.
}

func (p *parser) checkListen(v string, n *yaml.Node) {
	if v == "" {
		return
	}
	_, port, err := net.SplitHostPort(v)
	if err == nil && port == "" {
		err = &net.AddrError{Err: "missing port"}
	}
	if err != nil {
		msg := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			msg = ae.Err // without the address itself
		}
		p.addf(n.Line, "listen", "invalid address %s: %s (want host:port, such as %s)", show(n), msg, DefaultListen)
	}
}

var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// sources decodes the sources list.
func (p *parser) sources(n *yaml.Node) []Source {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.addf(n.Line, "sources", "must be a list of sources, not %s", kindName(n))
		return nil
	}
	var out []Source
	firstLine := map[string]int{} // source name → line of its first use
	for i, item := range n.Content {
		field := fmt.Sprintf("sources[%d]", i)
		m := deref(item)
		if m.Kind != yaml.MappingNode {
			p.addf(item.Line, field, "must be a mapping with name and type, not %s", kindName(m))
			continue
		}
		src := Source{Interval: DefaultInterval, MissingTTL: DefaultMissingTTL, File: p.file, Line: m.Line, Index: i, Settings: *m}
		var badName, badType bool // an error about the key was already reported
		for _, kv := range p.pairs(m, field) {
			key := kv.key.Value
			f := joinField(field, key)
			switch key {
			case "name":
				v, vn, ok := p.str(kv.val, f)
				badName = !ok
				if !ok || v == "" {
					continue
				}
				src.Name = v
				if !sourceName.MatchString(v) {
					p.addf(vn.Line, f, `invalid source name %s: use lowercase letters, digits, "-" and "_", starting with a letter or digit`, show(vn))
				} else if line, dup := firstLine[v]; dup {
					p.addf(vn.Line, f, "duplicate source name %s (first at line %d)", show(vn), line)
				} else {
					firstLine[v] = vn.Line
				}
			case "type":
				v, _, ok := p.str(kv.val, f)
				badType = !ok
				src.Type = v
			case "interval":
				if d, ok := p.duration(kv.val, f, MinInterval); ok {
					src.Interval = d
				}
			case "missing_ttl":
				if d, ok := p.duration(kv.val, f, MinMissingTTL); ok {
					src.MissingTTL = d
				}
			}
		}
		if src.Name == "" && !badName {
			p.add(m.Line, joinField(field, "name"), ErrMissing)
		}
		if src.Type == "" && !badType {
			p.add(m.Line, joinField(field, "type"), ErrMissing)
		}
		out = append(out, src)
	}
	return out
}

// shortDuration formats d without zero units: "1m", "1h30m", "30s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
