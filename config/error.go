package config

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a configuration error located in a file: it prints as
// "rollcall.yaml:7: sources[1].interval: invalid duration \"5x\"".
type Error struct {
	// File is the configuration file's name as given to Parse or Load.
	File string
	// Line is the 1-based line of the offending YAML node; 0 if unknown.
	Line int
	// Field is the path of the offending value, such as "listen" or
	// "sources[1].interval"; empty for the file as a whole.
	Field string
	// Err says what is wrong; it never holds a secret value.
	Err error
}

// Error formats the error as "file:line: field: message".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errors is a list of configuration errors, printed one per line. Parse and
// DecodeSettings return it when they find more than one problem.
type Errors []*Error

// Error joins the errors' messages with newlines.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ErrMissing is wrapped by errors about a required field that is absent.
var ErrMissing = errors.New("required")
