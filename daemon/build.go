package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
)

// BuildSources creates a connector for every configured source. kinds are
// the known connector types; base carries the options common to all sources
// (logger, transport, clock, profile ages, version); m, when not nil,
// counts every request of every source by status. It does no I/O.
func BuildSources(cfg *config.Config, kinds []connectors.Kind, base connectors.Options, m *Metrics) ([]Source, error) {
	byName := make(map[string]connectors.Kind, len(kinds))
	var names []string
	for _, k := range kinds {
		byName[k.Name] = k
		names = append(names, k.Name)
	}
	sort.Strings(names)
	var out []Source
	var errs config.Errors
	for i, src := range cfg.Sources {
		k, ok := byName[src.Type]
		if !ok {
			errs = append(errs, &config.Error{File: src.File, Line: src.Line, Field: fmt.Sprintf("sources[%d].type", i),
				Err: fmt.Errorf("unknown source type %q (known: %s)", src.Type, strings.Join(names, ", "))})
			continue
		}
		opts := base
		opts.Source = src
		if base.Logger != nil {
			opts.Logger = base.Logger.With("source", src.Name)
		}
		if m != nil {
			opts.HTTP = m.Instrument(src.Name, base.HTTP)
		}
		c, err := k.New(opts)
		if err != nil {
			var ce *config.Error
			var ces config.Errors
			switch {
			case errors.As(err, &ce):
				errs = append(errs, ce)
			case errors.As(err, &ces):
				errs = append(errs, ces...)
			default:
				errs = append(errs, &config.Error{File: src.File, Line: src.Line, Field: fmt.Sprintf("sources[%d]", i), Err: err})
			}
			continue
		}
		out = append(out, Source{Name: src.Name, Type: src.Type, Interval: src.Interval, Connector: c, Fingerprint: fingerprint(src)})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// fingerprint identifies a source's configuration without revealing it: a
// hash of its type, interval and settings (secrets included, so that a new
// token restarts the source). A token read from a credential file counts by
// its file, not its contents: the running connector re-reads the file when
// it changes (connectors.NewTokenSource), so a rotation restarts nothing.
func fingerprint(src config.Source) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", src.Type, src.Interval)
	if b, err := yaml.Marshal(config.WithoutCredentialValues(&src.Settings)); err == nil {
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}
