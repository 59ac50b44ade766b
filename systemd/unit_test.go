package systemd_test

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/connectors/github"
	"github.com/rollcall-dev/rollcall/systemd"
)

// maxExposure is the highest `systemd-analyze security` score the unit may
// get (0 is fully locked down, 10 is unprotected).
const maxExposure = 1.2

// These tests check the real systemd/rollcall.service with the host's
// systemd-analyze, the same checks as .ci/systemd-check.sh, and skip where
// there is none.

// systemdAnalyze returns the path of systemd-analyze or skips the test.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found; the unit file is not checked")
	}
	return path
}

func TestUnitSecurityScore(t *testing.T) {
	analyze := systemdAnalyze(t)
	unit, err := filepath.Abs("rollcall.service")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "security", "--offline=yes", "--no-pager", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=yes %s: %v\n%s", unit, err, out)
	}
	score, ok := exposure(out)
	if !ok {
		t.Fatalf("no \"Overall exposure level for rollcall.service\" in the output of systemd-analyze security:\n%s", out)
	}
	t.Logf("systemd-analyze security: overall exposure %.1f (at most %.1f)", score, maxExposure)
	if score > maxExposure {
		t.Errorf("overall exposure %.1f, want at most %.1f:\n%s", score, maxExposure, out)
	}
}

// exposure parses "Overall exposure level for rollcall.service: 1.1 OK".
func exposure(out []byte) (float64, bool) {
	m := regexp.MustCompile(`Overall exposure level for rollcall\.service: ([0-9]+(?:\.[0-9]+)?)`).FindSubmatch(out)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(m[1]), 64)
	return f, err == nil
}

// TestUnitVerify runs `systemd-analyze verify` on the unit, unchanged. Verify
// insists that every Exec*= binary exists, so it runs with --root= on a
// scratch tree holding the unit in etc/systemd/system, a copy of this test
// binary standing in for /usr/local/bin/rollcall, the other Exec*= binaries
// and the host's unit directories (for sysinit.target and friends).
func TestUnitVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	root := t.TempDir()
	copyFile(t, "rollcall.service", filepath.Join(root, "etc/systemd/system/rollcall.service"))

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range execBinaries(t, systemd.Unit) {
		src := bin
		if bin == "/usr/local/bin/rollcall" {
			src = self
		}
		copyFile(t, src, filepath.Join(root, bin))
	}
	copied := 0
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, real)); err == nil {
			continue // /lib is /usr/lib
		}
		copyTree(t, real, filepath.Join(root, real))
		copied++
	}
	if copied == 0 {
		t.Skip("no systemd unit directory (/usr/lib/systemd/system) on this host")
	}

	cmd := exec.Command(analyze, "verify", "--man=no", "--root="+root, "rollcall.service")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify rollcall.service: %v\n%s", err, out)
	}
	// Verify only warns about unknown or misspelt settings; those count too.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "rollcall") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

// execBinaries returns the absolute programs of the unit's Exec*= lines.
func execBinaries(t *testing.T, unit string) []string {
	t.Helper()
	var bins []string
	for key, value := range settings(unit) {
		if !strings.HasPrefix(key, "Exec") {
			continue
		}
		// Strip the prefixes systemd allows before the path (-, @, :, +, !).
		bin, _, _ := strings.Cut(strings.TrimLeft(value, "-@:+!"), " ")
		if !filepath.IsAbs(bin) {
			t.Fatalf("%s=%s: the program must be an absolute path", key, value)
		}
		if !slices.Contains(bins, bin) {
			bins = append(bins, bin)
		}
	}
	return bins
}

// settings yields the unit's key=value lines, in order, across sections.
func settings(unit string) func(yield func(key, value string) bool) {
	return func(yield func(key, value string) bool) {
		sc := bufio.NewScanner(strings.NewReader(unit))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
				continue
			}
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			if !yield(strings.TrimSpace(key), strings.TrimSpace(value)) {
				return
			}
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm()|0o200)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the regular files and symlinks under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// TestUnitSettings pins the settings the daemon and the documentation rely
// on, so that an edit made to please the score cannot drop them.
func TestUnitSettings(t *testing.T) {
	got := map[string][]string{}
	for key, value := range settings(systemd.Unit) {
		got[key] = append(got[key], value)
	}
	for _, want := range []struct{ key, value string }{
		{"Type", "notify"},
		{"NotifyAccess", "main"},
		{"ExecStart", "/usr/local/bin/rollcall run --config /etc/rollcall/rollcall.yaml"},
		{"ExecReload", "/bin/kill -HUP $MAINPID"},
		{"WatchdogSec", "60"},
		{"Restart", "on-failure"},
		{"DynamicUser", "yes"},
		{"StateDirectory", "rollcall"},
		{"ConfigurationDirectory", "rollcall"},
		{"ProtectSystem", "strict"},
		{"RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
		{"CapabilityBoundingSet", ""},
		{"LoadCredential", "github-token:/etc/rollcall/credentials/github-token"},
	} {
		if !slices.Contains(got[want.key], want.value) {
			t.Errorf("unit has %s=%q, want %s=%s", want.key, got[want.key], want.key, want.value)
		}
	}
	// The service needs the network for HTTPS APIs on hosts nobody can list.
	if v := got["PrivateNetwork"]; len(v) > 0 && !slices.Contains([]string{"no", "false", ""}, v[len(v)-1]) {
		t.Errorf("unit has PrivateNetwork=%s; the service must reach HTTPS APIs", v[len(v)-1])
	}
	for _, v := range got["IPAddressDeny"] {
		if slices.Contains(strings.Fields(v), "any") {
			t.Errorf("unit has IPAddressDeny=%s; the service must reach HTTPS APIs", v)
		}
	}
}

// TestCredentialsMatchExample checks that every credential:NAME in the
// example configuration is loaded by the unit, and that the unit loads
// nothing the example does not use.
func TestCredentialsMatchExample(t *testing.T) {
	var loaded []string
	for key, value := range settings(systemd.Unit) {
		if key == "LoadCredential" {
			name, path, _ := strings.Cut(value, ":")
			loaded = append(loaded, name)
			if want := "/etc/rollcall/credentials/" + name; path != want {
				t.Errorf("LoadCredential=%s: path %q, want %q", value, path, want)
			}
		}
	}
	var used []string
	for _, m := range regexp.MustCompile(`(?m)^[^#\n]*:\s*credential:([A-Za-z0-9._-]+)`).FindAllStringSubmatch(systemd.ExampleConfig, -1) {
		used = append(used, m[1])
	}
	slices.Sort(loaded)
	slices.Sort(used)
	if !slices.Equal(loaded, used) {
		t.Errorf("unit loads credentials %q, example config uses %q", loaded, used)
	}
}

// TestExampleConfig parses the example as `rollcall run` would under the
// unit: with $STATE_DIRECTORY set and every credential present.
func TestExampleConfig(t *testing.T) {
	creds := t.TempDir()
	for _, name := range []string{"github-token", "mastodon-token", "discourse-api-key", "stackexchange-key"} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte("secret-"+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := config.Env{
		Getenv: func(name string) (string, bool) {
			if name == "STATE_DIRECTORY" {
				return "/var/lib/rollcall", true
			}
			return "", false
		},
		CredentialsDir: creds,
	}
	cfg, err := config.Parse("rollcall.example.yaml", []byte(systemd.ExampleConfig), env)
	if err != nil {
		t.Fatalf("parse the example configuration: %v", err)
	}
	if got, want := cfg.Store, "/var/lib/rollcall/rollcall.db"; got != want {
		t.Errorf("store = %q, want %q ($STATE_DIRECTORY/rollcall.db)", got, want)
	}
	if got, want := cfg.Listen, "127.0.0.1:7171"; got != want {
		t.Errorf("listen = %q, want %q", got, want)
	}
	var types []string
	for _, s := range cfg.Sources {
		types = append(types, s.Type)
	}
	if want := []string{"github", "mastodon", "discourse", "stackoverflow"}; !slices.Equal(types, want) {
		t.Errorf("source types = %q, want %q", types, want)
	}

	// Every connector accepts its part; New validates without I/O.
	for _, s := range cfg.Sources {
		kind, ok := all.Lookup(s.Type)
		if !ok {
			t.Errorf("source %s: no connector of type %q", s.Name, s.Type)
			continue
		}
		if _, err := kind.New(connectors.Options{Source: s, Logger: slog.New(slog.DiscardHandler)}); err != nil {
			t.Errorf("source %s of the example: %v", s.Name, err)
		}
		if s.Type == "github" {
			var gs github.Settings
			if err := config.DecodeSettings(s, &gs); err != nil {
				t.Fatalf("github settings of the example: %v", err)
			}
			if got, want := gs.Token.Reveal(), "secret-github-token"; got != want {
				t.Errorf("github token = %q, want the credential's content %q", got, want)
			}
		}
	}
}

// The embedded files are the files in this directory.
func TestEmbeddedFiles(t *testing.T) {
	for name, embedded := range map[string]string{
		"rollcall.service":      systemd.Unit,
		"rollcall.example.yaml": systemd.ExampleConfig,
	} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, []byte(embedded)) {
			t.Errorf("embedded %s differs from the file", name)
		}
	}
}
