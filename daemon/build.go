package daemon

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
)

// BuildSources creates a connector for every configured source. lookup finds
// a connector kind by type name; base carries the options common to all
// sources (logger, transport, clock, profile ages, version). It does no I/O.
func BuildSources(cfg *config.Config, kinds []connectors.Kind, base connectors.Options) ([]Source, error) {
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
		c, err := k.New(opts)
		if err != nil {
			var ce *config.Error
			var ces config.Errors
			switch {
			case asErr(err, &ce):
				errs = append(errs, ce)
			case asErr(err, &ces):
				errs = append(errs, ces...)
			default:
				errs = append(errs, &config.Error{File: src.File, Line: src.Line, Field: fmt.Sprintf("sources[%d]", i), Err: err})
			}
			continue
		}
		out = append(out, Source{Name: src.Name, Type: src.Type, Interval: src.Interval, Connector: c})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
