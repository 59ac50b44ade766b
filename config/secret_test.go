package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretRedacted(t *testing.T) {
	s := NewSecret(sentinel)
	type holder struct {
		Token  Secret
		hidden Secret
	}
	h := holder{Token: s, hidden: s}
	outputs := map[string]string{
		"%v":             fmt.Sprintf("%v", s),
		"%s":             fmt.Sprintf("%s", s),
		"%+v":            fmt.Sprintf("%+v", s),
		"%#v":            fmt.Sprintf("%#v", s),
		"%q":             fmt.Sprintf("%q", s),
		"%x":             fmt.Sprintf("%x", s),
		"%d":             fmt.Sprintf("%d", s),
		"Println":        fmt.Sprintln(s),
		"struct %v":      fmt.Sprintf("%v", h),
		"struct %+v":     fmt.Sprintf("%+v", h),
		"struct %#v":     fmt.Sprintf("%#v", h),
		"struct ptr %+v": fmt.Sprintf("%+v", &h),
		"error wrap":     fmt.Errorf("call with %v: %w", s, fmt.Errorf("failed")).Error(),
	}
	for _, handler := range []string{"text", "json"} {
		var buf bytes.Buffer
		var l *slog.Logger
		if handler == "text" {
			l = slog.New(slog.NewTextHandler(&buf, nil))
		} else {
			l = slog.New(slog.NewJSONHandler(&buf, nil))
		}
		l.Info("msg", "token", s, "holder", h, "group", slog.GroupValue(slog.Any("token", s)))
		outputs["slog "+handler] = buf.String()
	}
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(j)
	y, err := yaml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml"] = string(y)

	for name, out := range outputs {
		if strings.Contains(out, sentinel) || strings.Contains(out, sentinel[:7]) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	for _, name := range []string{"%v", "%s", "%+v", "%#v", "struct %v", "struct %+v", "slog text", "slog json", "json", "yaml"} {
		if !strings.Contains(outputs[name], "[redacted]") {
			t.Errorf("%s = %q, want it to show [redacted]", name, outputs[name])
		}
	}
	if got, want := outputs["json"], `{"Token":"[redacted]"}`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
	if got, want := outputs["%#v"], `config.Secret("[redacted]")`; got != want {
		t.Errorf("%%#v = %s, want %s", got, want)
	}
	if s.Reveal() != sentinel {
		t.Errorf("Reveal lost the value")
	}
}

func TestSecretZero(t *testing.T) {
	var z Secret
	if !z.IsZero() || z.Reveal() != "" || z.String() != "" {
		t.Errorf("zero Secret: IsZero=%v Reveal=%q String=%q", z.IsZero(), z.Reveal(), z.String())
	}
	if !NewSecret("").IsZero() || NewSecret("x").IsZero() {
		t.Errorf("IsZero wrong for NewSecret")
	}
	if !NewSecret("a").Equal(NewSecret("a")) || NewSecret("a").Equal(NewSecret("b")) || !z.Equal(NewSecret("")) {
		t.Errorf("Equal compares wrongly")
	}
}
