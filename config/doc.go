// Package config loads rollcall's YAML configuration: it expands ${VAR}
// environment references and credential:NAME systemd credentials, validates
// fields strictly, applies defaults, and reports every error with the file,
// line and field it concerns.
//
// Per-source settings stay a yaml.Node so that config imports no connector;
// each connector decodes its own settings with DecodeSettings, which keeps
// known-field checking and line numbers. Nothing here does network I/O.
package config
