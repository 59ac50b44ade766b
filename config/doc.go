// Package config loads rollcall's YAML configuration: it expands ${VAR}
// environment references and credential:NAME systemd credentials, validates
// fields strictly, applies defaults, and reports every error with the file,
// line and field it concerns.
//
// The file looks like this:
//
//	store: /var/lib/rollcall/rollcall.db   # a file path (SQLite) or a postgres:// URL
//	listen: 127.0.0.1:7171                 # host:port of the UI, API and /healthz
//	sources:
//	  - name: upstream                     # required, unique, [a-z0-9][a-z0-9_-]*
//	    type: github                       # required: the connector kind
//	    interval: 10m                      # optional, at least 1m
//	    missing_ttl: 24h                   # optional, at least 1m: how long a 404/410 lookup is not repeated
//	    token: credential:github-token     # the rest belongs to the connector
//	    repos: [rollcall-dev/rollcall]
//
// Unknown top-level keys are errors, except keys starting with "x-", which
// are ignored so that they can hold YAML anchors for "<<: *name" merges.
// Without store, the database is $STATE_DIRECTORY/rollcall.db (systemd's
// StateDirectory=) or rollcall.db; without listen, DefaultListen.
//
// Before decoding, every scalar value (not keys) is expanded: ${VAR} is the
// environment variable VAR and must be set, $$ is a literal $, and a value
// that is exactly credential:NAME is the content of
// $CREDENTIALS_DIRECTORY/NAME without its trailing newline. An unquoted value
// made from ${VAR} is typed as if its expansion had been written in its place
// (so ${PORT} can fill a number); a quoted one stays a string. Inside flow
// lists and mappings ([…], {…}), quote a ${VAR}. Values that came from the
// environment or a credential never appear in error messages.
//
// Per-source settings stay a yaml.Node so that config imports no connector;
// each connector decodes its own settings with DecodeSettings, which keeps
// known-field checking and line numbers, and reports invalid values with
// Source.FieldError. Secret holds tokens and prints as "[redacted]"; a
// Secret decoded from a credential:NAME value remembers its file (File) and
// can read it again (Reread), so that a rotated token is picked up without a
// restart (connectors.NewTokenSource); Date
// holds "since: 2024-01-01" style settings.
//
// Nothing here does network I/O, starts goroutines or keeps global state.
package config
