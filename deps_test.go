package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces the package graph of ../shared/DESIGN.md: fakes
// use the standard library and their shared plumbing (fakekit) only,
// fakekit the standard library only, connectors never reach the store,
// config depends on nothing of ours.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/rollcall-dev/rollcall"
	ours := func(p string) (string, bool) {
		if p == mod {
			return "main", true
		}
		rest, ok := strings.CutPrefix(p, mod+"/")
		return rest, ok
	}
	stdlib := func(p string) bool { return !strings.Contains(strings.Split(p, "/")[0], ".") }
	const fakekit = "connectors/internal/fakekit"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, _ := ours(fields[0])
		for _, imp := range fields[1:] {
			dep, isOurs := ours(imp)
			bad := ""
			switch {
			case pkg == fakekit:
				// The fakes' shared plumbing: standard library only.
				if !stdlib(imp) {
					bad = "fakekit may import only the standard library"
				}
			case strings.HasSuffix(pkg, "test") && strings.HasPrefix(pkg, "connectors/") && pkg != "connectors/connectortest":
				// A fake of a service: standard library and fakekit only.
				if !stdlib(imp) && dep != fakekit {
					bad = "a service fake may import only the standard library and " + fakekit
				}
			case pkg == "config":
				if isOurs {
					bad = "config depends on nothing of ours"
				}
			case strings.HasPrefix(pkg, "connectors"):
				if isOurs && (strings.HasPrefix(dep, "crm") || dep == "identity" || dep == "daemon" || dep == "web" || dep == "main") {
					bad = "connectors never touch the store or the daemon"
				}
			case strings.HasPrefix(pkg, "crm") || pkg == "identity" || pkg == "web":
				if isOurs && (dep == "daemon" || dep == "main" || strings.HasPrefix(dep, "connectors/")) {
					bad = "crm, identity and web depend only on the model packages"
				}
			}
			if isOurs && dep == "main" {
				bad = "nothing imports main"
			}
			if bad != "" {
				t.Errorf("%s imports %s: %s", fields[0], imp, bad)
			}
		}
	}
}
