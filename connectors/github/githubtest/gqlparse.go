package githubtest

import (
	"fmt"
	"strconv"
	"strings"
)

// A minimal GraphQL reader for the queries the fake answers: one
// operation (query, optionally named, with variable definitions), fields
// with aliases and arguments (variables, numbers, strings, enums, lists,
// booleans, null), nested selections and inline fragments (`... on Type`).
// Fragment definitions, directives and mutations are not read.

// gqlSel is one selection: a field, or an inline fragment (On set).
type gqlSel struct {
	Alias, Name string
	Args        map[string]any
	Sel         []gqlSel
	On          string // inline fragment's type condition
	Line, Col   int
}

// key is the selection's response key.
func (s gqlSel) key() string {
	if s.Alias != "" {
		return s.Alias
	}
	return s.Name
}

// gqlVar is a variable reference in an argument.
type gqlVar string

type gqlTok struct {
	kind      byte // 'n' name, 'i' int, 's' string, 'p' punctuator, 0 EOF
	val       string
	line, col int
}

type gqlParser struct {
	src       string
	pos       int
	line, col int
	tok       gqlTok
}

// gqlParseError is a syntax error at a position, as GitHub reports it.
type gqlParseError struct {
	msg       string
	line, col int
}

func (e *gqlParseError) Error() string { return e.msg }

// parseGraphQL reads a query document into its top-level selections.
func parseGraphQL(src string) (sel []gqlSel, err error) {
	p := &gqlParser{src: src, line: 1, col: 1}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*gqlParseError)
			if !ok {
				panic(r)
			}
			sel, err = nil, pe
		}
	}()
	p.next()
	if p.tok.kind == 'n' {
		switch p.tok.val {
		case "query":
			p.next()
		case "mutation", "subscription", "fragment":
			p.fail("operation %q is not served by this fake", p.tok.val)
		}
		if p.tok.kind == 'n' {
			p.next() // operation name
		}
		if p.is("(") {
			p.skipVarDefs()
		}
	}
	sel = p.selectionSet()
	if p.tok.kind != 0 {
		p.fail("Parse error on %q at [%d, %d]", p.tok.val, p.tok.line, p.tok.col)
	}
	return sel, nil
}

func (p *gqlParser) fail(format string, args ...any) {
	panic(&gqlParseError{msg: fmt.Sprintf(format, args...), line: p.tok.line, col: p.tok.col})
}

func (p *gqlParser) is(punct string) bool { return p.tok.kind == 'p' && p.tok.val == punct }

func (p *gqlParser) expect(punct string) {
	if !p.is(punct) {
		what := p.tok.val
		if p.tok.kind == 0 {
			what = "end of file"
		}
		p.fail("Parse error on %q at [%d, %d]", what, p.tok.line, p.tok.col)
	}
	p.next()
}

func (p *gqlParser) advance(n int) {
	for i := 0; i < n; i++ {
		if p.src[p.pos] == '\n' {
			p.line, p.col = p.line+1, 1
		} else {
			p.col++
		}
		p.pos++
	}
}

// next reads the next token; commas, white space and comments are
// insignificant in GraphQL.
func (p *gqlParser) next() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' {
			p.advance(1)
			continue
		}
		if c == '#' {
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.advance(1)
			}
			continue
		}
		break
	}
	t := gqlTok{line: p.line, col: p.col}
	if p.pos >= len(p.src) {
		p.tok = t
		return
	}
	c := p.src[p.pos]
	switch {
	case strings.HasPrefix(p.src[p.pos:], "..."):
		t.kind, t.val = 'p', "..."
		p.advance(3)
	case strings.IndexByte("{}():[]!$=@", c) >= 0:
		t.kind, t.val = 'p', string(c)
		p.advance(1)
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		start := p.pos
		for p.pos < len(p.src) {
			c := p.src[p.pos]
			if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
				break
			}
			p.advance(1)
		}
		t.kind, t.val = 'n', p.src[start:p.pos]
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		p.advance(1)
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || strings.IndexByte(".eE+-", p.src[p.pos]) >= 0) {
			p.advance(1)
		}
		t.kind, t.val = 'i', p.src[start:p.pos]
	case c == '"':
		start := p.pos
		p.advance(1)
		for p.pos < len(p.src) && p.src[p.pos] != '"' {
			if p.src[p.pos] == '\\' && p.pos+1 < len(p.src) {
				p.advance(1)
			}
			p.advance(1)
		}
		if p.pos >= len(p.src) {
			p.tok = t
			p.fail("Parse error: unterminated string at [%d, %d]", t.line, t.col)
		}
		p.advance(1)
		s, err := strconv.Unquote(p.src[start:p.pos])
		if err != nil {
			p.tok = t
			p.fail("Parse error: bad string at [%d, %d]", t.line, t.col)
		}
		t.kind, t.val = 's', s
	default:
		p.tok = t
		p.fail("Parse error on %q at [%d, %d]", string(c), t.line, t.col)
	}
	p.tok = t
}

// skipVarDefs skips `($a: Type = default, ...)`: the fake takes the
// variables' values from the request as they come.
func (p *gqlParser) skipVarDefs() {
	p.expect("(")
	depth := 1
	for depth > 0 {
		switch {
		case p.tok.kind == 0:
			p.fail("Parse error on \"end of file\" at [%d, %d]", p.tok.line, p.tok.col)
		case p.is("("):
			depth++
		case p.is(")"):
			depth--
		}
		p.next()
	}
}

func (p *gqlParser) selectionSet() []gqlSel {
	p.expect("{")
	var out []gqlSel
	for !p.is("}") {
		if p.tok.kind == 0 {
			p.fail("Parse error on \"end of file\" at [%d, %d]", p.tok.line, p.tok.col)
		}
		out = append(out, p.selection())
	}
	p.next()
	if len(out) == 0 {
		p.fail("Parse error on \"}\" (RCURLY) at [%d, %d]", p.tok.line, p.tok.col)
	}
	return out
}

func (p *gqlParser) selection() gqlSel {
	s := gqlSel{Line: p.tok.line, Col: p.tok.col}
	if p.is("...") {
		p.next()
		if p.tok.kind != 'n' || p.tok.val != "on" {
			p.fail("named fragments are not served by this fake (at [%d, %d])", p.tok.line, p.tok.col)
		}
		p.next()
		if p.tok.kind != 'n' {
			p.fail("Parse error on %q at [%d, %d]", p.tok.val, p.tok.line, p.tok.col)
		}
		s.On = p.tok.val
		p.next()
		s.Sel = p.selectionSet()
		return s
	}
	if p.tok.kind != 'n' {
		p.fail("Parse error on %q at [%d, %d]", p.tok.val, p.tok.line, p.tok.col)
	}
	s.Name = p.tok.val
	p.next()
	if p.is(":") {
		p.next()
		if p.tok.kind != 'n' {
			p.fail("Parse error on %q at [%d, %d]", p.tok.val, p.tok.line, p.tok.col)
		}
		s.Alias, s.Name = s.Name, p.tok.val
		p.next()
	}
	if p.is("(") {
		p.next()
		s.Args = map[string]any{}
		for !p.is(")") {
			if p.tok.kind != 'n' {
				p.fail("Parse error on %q at [%d, %d]", p.tok.val, p.tok.line, p.tok.col)
			}
			name := p.tok.val
			p.next()
			p.expect(":")
			s.Args[name] = p.value()
		}
		p.next()
	}
	if p.is("{") {
		s.Sel = p.selectionSet()
	}
	return s
}

func (p *gqlParser) value() any {
	t := p.tok
	switch {
	case p.is("$"):
		p.next()
		if p.tok.kind != 'n' {
			p.fail("Parse error on %q at [%d, %d]", p.tok.val, p.tok.line, p.tok.col)
		}
		v := gqlVar(p.tok.val)
		p.next()
		return v
	case p.is("["):
		p.next()
		list := []any{}
		for !p.is("]") {
			if p.tok.kind == 0 {
				p.fail("Parse error on \"end of file\" at [%d, %d]", p.tok.line, p.tok.col)
			}
			list = append(list, p.value())
		}
		p.next()
		return list
	case t.kind == 'i':
		p.next()
		if n, err := strconv.Atoi(t.val); err == nil {
			return float64(n) // as encoding/json gives numbers
		}
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			p.fail("Parse error on %q at [%d, %d]", t.val, t.line, t.col)
		}
		return f
	case t.kind == 's':
		p.next()
		return t.val
	case t.kind == 'n':
		p.next()
		switch t.val {
		case "true":
			return true
		case "false":
			return false
		case "null":
			return nil
		}
		return t.val // an enum value
	}
	p.fail("Parse error on %q at [%d, %d]", t.val, t.line, t.col)
	return nil
}
