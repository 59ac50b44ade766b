package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultInterval is how often a source is polled when its config says nothing.
const DefaultInterval = 10 * time.Minute

// MinInterval is the shortest polling interval a source may ask for.
const MinInterval = time.Minute

// DefaultMissingTTL is how long a source remembers that a per-object lookup
// answered 404 or 410 when its config says nothing (missing_ttl).
const DefaultMissingTTL = 24 * time.Hour

// MinMissingTTL is the shortest missing_ttl a source may ask for.
const MinMissingTTL = time.Minute

// DefaultHTTPTimeout bounds one attempt of a request to a service (from
// sending it to reading the whole answer) when the file says nothing
// (http_timeout).
const DefaultHTTPTimeout = 60 * time.Second

// MinHTTPTimeout is the shortest http_timeout a file may ask for.
const MinHTTPTimeout = time.Second

// DefaultListen is the HTTP address for health, metrics and the UI.
const DefaultListen = "127.0.0.1:7171"

// Config is a whole rollcall configuration file, validated and with defaults applied.
type Config struct {
	// File is the path the configuration was read from (for messages).
	File string
	// Store is a SQLite file path or a postgres:// URL.
	Store string
	// StoreLine is the line of the store setting in File; 0 when the
	// file sets none (the default store).
	StoreLine int
	// Listen is the HTTP address for health, metrics and the UI.
	Listen string
	// Sources are the configured connectors, in file order.
	Sources []Source
	// Auth is the access control of the web pages and the API; nil when
	// the file has no auth section (allowed only with a loopback listen).
	Auth *Auth
	// Team lists the community's staff (top-level team:), identities or
	// member ids: their members count as staff unless a person marked them
	// otherwise (rollcall mark).
	Team []TeamEntry
	// Privacy says what personal data rollcall keeps beyond what it needs
	// to count (the privacy section).
	Privacy Privacy
	// Scoring changes how love, levels, reach and champions are computed
	// (the scoring section); its zero value keeps every default.
	Scoring Scoring
	// Webhook is the outbound webhook; nil when the file has no webhook
	// section.
	Webhook *Webhook
	// LeaseTTL is how long a replica's lease on a source lasts without
	// renewal, that is how soon another replica sharing the store takes
	// over the sources of one that died (lease_ttl, at least 1s); 0 means
	// each source's interval, at most a minute.
	LeaseTTL time.Duration
	// HTTPTimeout bounds each attempt of a request to a service, from
	// sending it to reading the whole answer (http_timeout, at least 1s):
	// an attempt that outlasts it is abandoned and retried like a dropped
	// connection. 0 means DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// MemoryLimit is the Go runtime's soft memory limit in bytes
	// (memory_limit, such as "512MiB", at least MinMemoryLimit): the
	// collector works harder as the heap nears it, so garbage never takes
	// the process past it. 0 means GOMEMLIMIT when set, else 90% of the
	// cgroup's limit (systemd's MemoryMax=), else none.
	MemoryLimit int64
}

// MinMemoryLimit is the smallest memory_limit: below it the collector
// would run nearly all the time.
const MinMemoryLimit = 32 << 20

// Privacy is the privacy section of the configuration.
type Privacy struct {
	// KeepText keeps a plain-text excerpt of each post, comment, answer and
	// review (at most 1,000 characters, for sentiment); false drops it
	// before storing and deletes the stored ones at start-up (keep_text,
	// default true).
	KeepText bool
}

// DefaultPrivacy is the privacy section of a file that has none.
var DefaultPrivacy = Privacy{KeepText: true}

// Source is one configured connector instance. Its type-specific settings
// stay a YAML node; the connector decodes them with DecodeSettings.
type Source struct {
	// Name is unique in the file; it names the source in logs, metrics and cursors.
	Name string
	// Type is the connector kind, such as "github".
	Type string
	// Interval is the time between two polls.
	Interval time.Duration
	// MissingTTL is how long a per-object lookup that answered 404 or 410
	// (a deleted issue, account or post) is not asked again (missing_ttl).
	// Zero, in a Source built in code, means DefaultMissingTTL.
	MissingTTL time.Duration

	// File, Line and Index locate the source in its file for error messages.
	File  string
	Line  int
	Index int

	// Settings is the source's mapping node, with environment variables and
	// credentials already expanded. Common keys (name, type, interval,
	// missing_ttl) are
	// still present; DecodeSettings ignores them.
	Settings yaml.Node
}

// FieldError returns an *Error about one of the source's settings, located
// at the line of key (or of the source when key is absent), with Field
// "sources[i].key". Connectors use it for settings that decode but are not
// valid, such as a repository that is not "owner/name".
func (s Source) FieldError(key string, err error) *Error {
	line := s.Line
	c := &collector{file: s.File}
	if n := deref(&s.Settings); n.Kind == yaml.MappingNode {
		for _, kv := range c.pairs(n, "") {
			if kv.key.Value == key {
				line = kv.key.Line
				break
			}
		}
	}
	field := fmt.Sprintf("sources[%d]", s.Index)
	if key != "" {
		field = joinField(field, key)
	}
	return &Error{File: s.File, Line: line, Field: field, Err: err}
}
