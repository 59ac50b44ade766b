package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// rawControl matches what must never reach a terminal raw: C0 controls
// but newline and tab, DEL, C1 controls, bidirectional controls and
// invisible format characters, and invalid UTF-8.
func rawControl(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && unsafeRune(r) {
			return r, true
		}
	}
	return 0, false
}

func TestTermLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain Ann", "plain Ann"},
		{"emoji 👩‍💻 stay", "emoji 👩‍💻 stay"}, // the zero-width joiner stays
		{"red\x1b[31mX\x1b[0m", `red\u001b[31mX\u001b[0m`},
		{"title\x1b]0;owned\x07", `title\u001b]0;owned\u0007`},
		{"two\nlines\tand\rCR", `two\u000alines\u0009and\u000dCR`},
		{"csi\u009b2J", `csi\u009b2J`},
		{"Eve \u202egnp.exe", `Eve \u202egnp.exe`},
		{"\u2066iso\u2069\u200f", `\u2066iso\u2069\u200f`},
		{"bad\xff\xfeend", "bad\uFFFD\uFFFDend"},
		{"del\x7f", `del\u007f`},
		{"tag\U000E0041", `tag\udb40\udc41`},
	}
	for _, tc := range tests {
		if got := termLine(tc.in); got != tc.want {
			t.Errorf("termLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTermWriter: the stream keeps newlines and tabs, escapes the rest
// as JSON does (so JSON output stays valid and decodes to the same
// text), and mends runes split across writes.
func TestTermWriter(t *testing.T) {
	var out bytes.Buffer
	w := newTermWriter(&out)
	in := "a\x1b[2Jb\tc\n\u202e d é\u0085"
	// Byte by byte: every rune is split across writes.
	for i := range len(in) {
		w.Write([]byte{in[i]})
	}
	w.Flush()
	if want := "a\\u001b[2Jb\tc\n\\u202e d é\\u0085"; out.String() != want {
		t.Errorf("stream = %q, want %q", out.String(), want)
	}

	out.Reset()
	v := map[string]string{"name": "Eve \u202egnp.exe\u0085\x7f\u2028 é"}
	b, _ := json.Marshal(v)
	w.Write(b)
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back["name"] != v["name"] {
		t.Errorf("JSON through the writer = %s (%v), want it to decode to %q", out.String(), err, v["name"])
	}
	if r, bad := rawControl(out.String()); bad {
		t.Errorf("JSON output carries %U raw", r)
	}

	out.Reset()
	w.Write([]byte("cut \xc3"))
	w.Flush()
	if !strings.HasSuffix(out.String(), "\uFFFD") {
		t.Errorf("an incomplete rune at the end = %q, want U+FFFD", out.String())
	}
}
