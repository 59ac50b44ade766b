package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// commonKeys are the source keys config itself decodes; DecodeSettings
// skips them.
var commonKeys = map[string]bool{"name": true, "type": true, "interval": true, "missing_ttl": true}

// DecodeSettings decodes src.Settings into v, which must be a non-nil
// pointer to a struct whose fields carry yaml tags (untagged fields use their
// lowercased name, as in yaml.v3; ",inline" is honoured). It ignores the
// common keys name, type and interval.
//
// Unknown keys are errors, in nested structs too, and every error is located
// in the file: "rollcall.yaml:9: sources[0].tokn: unknown field". Fields of
// type Secret and Date decode as documented on those types. Like Parse,
// DecodeSettings returns one *Error or Errors, and never includes a value
// that came from the environment or a credential in a message.
func DecodeSettings(src Source, v any) error {
	d := &settingsDecoder{collector: collector{file: src.File}}
	field := fmt.Sprintf("sources[%d]", src.Index)
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		d.addf(src.Line, field, "DecodeSettings needs a non-nil pointer to a struct, not %T", v)
		return d.err()
	}
	n := deref(&src.Settings)
	switch {
	case n.Kind == 0:
		return nil // a Source built in code, with no settings
	case n.Kind != yaml.MappingNode:
		d.addf(n.Line, field, "must be a mapping, not %s", kindName(n))
		return d.err()
	}
	d.structFields(n, rv.Elem(), field, commonKeys)
	return d.err()
}

// settingsDecoder walks a settings node alongside the Go value it fills, so
// that unknown keys are found at every depth and each error keeps the line
// of the node it is about.
type settingsDecoder struct{ collector }

var (
	secretType          = reflect.TypeFor[Secret]()
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value decodes n into the addressable v.
func (d *settingsDecoder) value(n *yaml.Node, v reflect.Value, field string) {
	t := v.Type()
	if t == secretType {
		if dn := deref(n); dn.Kind == yaml.ScalarNode && credentialFile(dn) != "" {
			// A secret read from a credential file remembers the file,
			// so that a token source can re-read it (Secret.Reread).
			v.Set(reflect.ValueOf(newFileSecret(dn.Value, credentialFile(dn))))
			return
		}
	}
	if pt := reflect.PointerTo(t); pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
		d.leaf(n, v, field) // the type decodes itself (Secret, Date, time.Time, …)
		return
	}
	dn := deref(n)
	switch t.Kind() {
	case reflect.Pointer:
		if isNull(dn) {
			v.SetZero()
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem(), field)
		return
	case reflect.Struct:
		if dn.Kind == yaml.MappingNode {
			d.structFields(dn, v, field, nil)
			return
		}
	case reflect.Slice:
		if dn.Kind == yaml.SequenceNode && needsWalk(t.Elem()) {
			s := reflect.MakeSlice(t, len(dn.Content), len(dn.Content))
			for i, c := range dn.Content {
				d.value(c, s.Index(i), fmt.Sprintf("%s[%d]", field, i))
			}
			v.Set(s)
			return
		}
	case reflect.Map:
		if dn.Kind == yaml.MappingNode && needsWalk(t.Elem()) {
			if v.IsNil() {
				v.Set(reflect.MakeMap(t))
			}
			for _, kv := range d.pairs(dn, field) {
				d.mapEntry(kv, v, field)
			}
			return
		}
	}
	d.leaf(n, v, field)
}

// mapEntry decodes one key and value into the map m.
func (d *settingsDecoder) mapEntry(kv pair, m reflect.Value, field string) {
	f := joinField(field, kv.key.Value)
	k := reflect.New(m.Type().Key()).Elem()
	if !d.leaf(kv.key, k, f) {
		return
	}
	e := reflect.New(m.Type().Elem()).Elem()
	d.value(kv.val, e, f)
	m.SetMapIndex(k, e)
}

// needsWalk reports whether values of t contain structs that value must
// walk itself to check their keys.
func needsWalk(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Slice, reflect.Map:
		return needsWalk(t.Elem())
	}
	return false
}

// structFields decodes the mapping n into the struct v, reporting keys that
// match no field. Keys in skip are ignored.
func (d *settingsDecoder) structFields(n *yaml.Node, v reflect.Value, field string, skip map[string]bool) {
	fields, inlineMap := yamlFields(v.Type())
	for _, kv := range d.pairs(n, field) {
		key := kv.key.Value
		if skip[key] {
			continue
		}
		f := joinField(field, key)
		if idx, ok := fields[key]; ok {
			d.value(kv.val, fieldByIndex(v, idx), f)
			continue
		}
		if inlineMap != nil {
			m := fieldByIndex(v, inlineMap)
			if m.IsNil() {
				m.Set(reflect.MakeMap(m.Type()))
			}
			d.mapEntry(kv, m, field)
			continue
		}
		d.add(kv.key.Line, f, errors.New("unknown field"))
	}
}

// fieldByIndex is v.FieldByIndex, allocating nil embedded pointers.
func fieldByIndex(v reflect.Value, idx []int) reflect.Value {
	for i, x := range idx {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// yamlFields maps the YAML keys of struct type t to field indexes, following
// yaml.v3's rules: a yaml tag names the key, "-" skips the field, untagged
// fields use their lowercased name, ",inline" merges a struct's fields or
// names the map that receives the keys no field takes.
func yamlFields(t reflect.Type) (fields map[string][]int, inlineMap []int) {
	fields = map[string][]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		if tag == "-" || !sf.IsExported() && !(sf.Anonymous && strings.Contains(tag, ",inline")) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				sub, subMap := yamlFields(ft)
				for k, idx := range sub {
					if _, taken := fields[k]; !taken {
						fields[k] = append([]int{i}, idx...)
					}
				}
				if subMap != nil && inlineMap == nil {
					inlineMap = append([]int{i}, subMap...)
				}
			case reflect.Map:
				inlineMap = []int{i}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		fields[name] = []int{i}
	}
	return fields, inlineMap
}

// leaf lets yaml.v3 decode n into v and turns its errors into located
// *Errors. It reports whether decoding succeeded.
func (d *settingsDecoder) leaf(n *yaml.Node, v reflect.Value, field string) bool {
	err := n.Decode(v.Addr().Interface())
	if err == nil {
		return true
	}
	hide := containsExpanded(n)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			line, text := yamlMessage(msg, n.Line, hide)
			d.add(line, field, errors.New(text))
		}
		return false
	}
	if hide {
		err = errHidden
	}
	d.add(n.Line, field, err)
	return false
}

var (
	lineMessage  = regexp.MustCompile(`^line (\d+): (.*)$`)
	cannotDecode = regexp.MustCompile("^cannot unmarshal (\\S+)(?: `(.*)`)? into (.*)$")
)

// yamlMessage turns one of yaml.v3's "line N: cannot unmarshal !!str `x`
// into []string" messages into its line and `cannot decode !!str "x" into
// []string`. With hide set, no value from the node is kept.
func yamlMessage(msg string, line int, hide bool) (int, string) {
	if m := lineMessage.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if m := cannotDecode.FindStringSubmatch(msg); m != nil {
		if hide || m[2] == "" {
			return line, fmt.Sprintf("cannot decode %s into %s", m[1], m[3])
		}
		return line, fmt.Sprintf("cannot decode %s %q into %s", m[1], m[2], m[3])
	}
	return line, msg
}

// Date is a calendar day or an instant in connector settings, such as
// "since: 2024-01-01". It accepts YYYY-MM-DD (midnight UTC) or RFC 3339.
type Date struct{ time.Time }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: a date must be YYYY-MM-DD or RFC 3339, not %s", n.Line, kindName(n)),
		}}
	}
	if isNull(n) {
		*d = Date{}
		return nil
	}
	t, err := ParseDate(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: invalid date %s", n.Line, show(n)),
		}}
	}
	*d = Date{t}
	return nil
}

// ParseDate parses YYYY-MM-DD (as midnight UTC) or an RFC 3339 time.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date %q", s)
	}
	return t, nil
}
