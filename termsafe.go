package main

import (
	"fmt"
	"io"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// What strangers write (names, titles, profile links) reaches the terminal
// through the commands that print members, journeys, champions, health and
// suggestions. A terminal acts on escape sequences (colours, cursor moves,
// window titles, OSC 8 links, clipboard writes) and bidirectional
// controls reorder what is shown (U+202E makes "gnp.exe" read "exe.png"),
// so none of them may reach it raw. Two layers:
//
//   - termLine renders one value for a table cell or a line: every
//     unsafe rune, and line breaks and tabs too, is shown escaped, so a
//     value can neither act on the terminal nor forge a line or a column;
//   - termWriter wraps stdout and stderr: whatever a command prints, every
//     unsafe rune but the newline and the tab is escaped on the way out.
//
// Escapes are written as JSON writes them (\u001b, \u202e, surrogate
// pairs above U+FFFF), so JSON output stays valid and means the same;
// invalid UTF-8 becomes U+FFFD.

// unsafeRune reports whether r must not reach a terminal raw: C0 controls,
// DEL and C1 controls (escape sequences, CSI, OSC), the Unicode
// bidirectional controls (embeddings, overrides, isolates, marks), the
// line and paragraph separators, and invisible format characters
// (zero-width space, word joiner, BOM, interlinear annotations, tag
// characters). The zero-width joiner stays: emoji sequences use it.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x180e, r == 0x200b, r == 0x200c, r == 0x200e, r == 0x200f,
		r >= 0x2028 && r <= 0x202e, r >= 0x2060 && r <= 0x206f, r == 0xfeff, r >= 0xfff9 && r <= 0xfffb,
		r >= 0xe0000 && r <= 0xe007f:
		return true
	}
	return false
}

// escapeRune appends r as JSON escapes it.
func escapeRune(b []byte, r rune) []byte {
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		return fmt.Appendf(b, `\u%04x\u%04x`, r1, r2)
	}
	return fmt.Appendf(b, `\u%04x`, r)
}

// termLine returns s safe to print as one value on one line: valid UTF-8,
// every unsafe rune (line breaks and tabs included) escaped.
func termLine(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		case unsafeRune(r):
			b = escapeRune(b, r)
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}

// termLines is termLine of each of xs.
func termLines(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = termLine(x)
	}
	return out
}

// termWriter escapes every unsafe rune but '\n' and '\t' written to w, and
// replaces invalid UTF-8 with U+FFFD. A rune split across two writes is
// held until the next one; Flush writes what is held. It is safe for
// concurrent use (the logger and the command share stderr).
type termWriter struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
}

func newTermWriter(w io.Writer) *termWriter { return &termWriter{w: w} }

// Write implements io.Writer.
func (t *termWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := p
	if len(t.pending) > 0 {
		data = append(t.pending, p...)
		t.pending = nil
	}
	// Hold an incomplete rune at the end for the next write.
	for k := 1; k <= utf8.UTFMax-1 && k <= len(data); k++ {
		c := data[len(data)-k]
		if c < 0x80 {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(data[len(data)-k:]) {
				t.pending = append([]byte(nil), data[len(data)-k:]...)
				data = data[:len(data)-k]
			}
			break
		}
	}
	if _, err := t.w.Write(termStream(data)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held incomplete rune as U+FFFD.
func (t *termWriter) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) == 0 {
		return nil
	}
	t.pending = nil
	_, err := io.WriteString(t.w, string(utf8.RuneError))
	return err
}

// termStream is data with unsafe runes but '\n' and '\t' escaped.
func termStream(data []byte) []byte {
	clean := true
	for i := 0; i < len(data); i++ {
		if c := data[i]; (c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return data
	}
	out := make([]byte, 0, len(data)+16)
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			out = utf8.AppendRune(out, utf8.RuneError)
		case r == '\n' || r == '\t':
			out = append(out, byte(r))
		case unsafeRune(r):
			out = escapeRune(out, r)
		default:
			out = append(out, data[i:i+n]...)
		}
		i += n
	}
	return out
}
