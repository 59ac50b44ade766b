package connectortest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
)

// Helpers for the connectors' fuzz targets (FuzzTranslate): seeds from
// the recorded fixtures in ../shared/fixtures and from what each fake
// serves during a sync, and CheckBatch for what a translation yields.

// Recorded is one successful JSON response a fake served: the request's
// path (with its query) and the body.
type Recorded struct {
	Path string
	Body []byte
}

// Recorder is an http.RoundTripper that passes requests to Next and keeps
// the body of every 200 response.
type Recorder struct {
	Next http.RoundTripper

	mu  sync.Mutex
	got []Recorded
}

// RoundTrip serves req from Next and records a 200 response's body.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.Next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.got = append(r.got, Recorded{Path: req.URL.RequestURI(), Body: body})
	r.mu.Unlock()
	return resp, nil
}

// Responses returns what was recorded so far.
func (r *Recorder) Responses() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.got...)
}

// FakeResponses syncs a new connector of kind, configured by settings
// (the source's YAML without name, type and interval), over rt until Done
// (at most 200 batches) at the fixed time now, and returns every 200
// response rt served: the fake's output, to seed a fuzz target with.
func FakeResponses(kind connectors.Kind, settings string, rt http.RoundTripper, now time.Time) ([]Recorded, error) {
	text := "sources:\n  - name: fuzz\n    type: " + kind.Name + "\n"
	for _, line := range strings.Split(strings.TrimRight(settings, "\n"), "\n") {
		text += "    " + line + "\n"
	}
	cfg, err := config.Parse("fuzz.yaml", []byte(text), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return nil, fmt.Errorf("settings of the fake: %w", err)
	}
	rec := &Recorder{Next: rt}
	c, err := kind.New(connectors.Options{
		Source:   cfg.Sources[0],
		Logger:   slog.New(slog.DiscardHandler),
		Now:      func() time.Time { return now },
		Sleep:    func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		HTTP:     rec,
		Profiles: NewStore(),
		Version:  "fuzz",
	})
	if err != nil {
		return nil, fmt.Errorf("%s: New: %w", kind.Name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cur connectors.Cursor
	for range 200 {
		b, err := c.Fetch(ctx, cur)
		if err != nil {
			return rec.Responses(), fmt.Errorf("%s: sync the fake: %w", kind.Name, err)
		}
		cur = b.Next
		if b.Done {
			break
		}
	}
	return rec.Responses(), nil
}

// FixtureFile is one JSON document found under a fixture directory: its
// name (the file's path below the directory, with the recorded request's
// path appended for a recording) and its bytes.
type FixtureFile struct {
	Name string
	Body []byte
}

// FixtureBodies returns the JSON documents under the first of dirs that
// exists (paths relative to the package under test, such as
// "../../../shared/fixtures/github"): every .json file (or file without
// an extension) that holds JSON, and for a file
// that holds recorded exchanges (an array of objects with "path" and
// "response", as octokit's fixtures), each response on its own. It returns
// nil when no directory exists: fuzz targets then run on the fakes' output
// and their testdata/fuzz corpus alone.
func FixtureBodies(dirs ...string) []FixtureFile {
	var root string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			root = d
			break
		}
	}
	if root == "" {
		return nil
	}
	var out []FixtureFile
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") && filepath.Ext(p) != "" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || !json.Valid(b) {
			return nil
		}
		name, _ := filepath.Rel(root, p)
		var recs []struct {
			Path     string          `json:"path"`
			Response json.RawMessage `json:"response"`
		}
		if json.Unmarshal(b, &recs) == nil && len(recs) > 0 && recs[0].Path != "" {
			for _, r := range recs {
				if len(r.Response) > 0 {
					out = append(out, FixtureFile{Name: name + " " + r.Path, Body: r.Response})
				}
			}
			return nil
		}
		out = append(out, FixtureFile{Name: name, Body: b})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TranslateKind is one kind of response a connector translates, for
// FuzzTranslate.
type TranslateKind struct {
	// Name says which response it is ("issues", "statuses").
	Name string
	// Paths matches the paths (without query) of the fake's requests that
	// answer with this kind; their bodies become seeds.
	Paths *regexp.Regexp
	// Files matches the names of fixture documents of this kind (see
	// FixtureFile.Name). A fixture no kind matches seeds every kind.
	Files *regexp.Regexp
	// Translate decodes body as the connector does and translates it the
	// way its Fetch does (the same translator and batch builder), returning
	// what Fetch would put in its batch, or the decoding error.
	Translate func(body []byte) (connectors.Batch, error)
}

// FuzzTranslate is a connector's fuzz target for its translation of
// responses: inputs are a kind (an index into kinds, modulo their number)
// and a body. The property: translation never panics, and either returns
// an error or a batch that passes CheckBatch for platform and instance.
// Seeds are the fixtures and the responses served (see FixtureBodies and
// FakeResponses), each under the kinds it matches.
func FuzzTranslate(f *testing.F, platform, instance string, kinds []TranslateKind, fixtures []FixtureFile, served []Recorded) {
	f.Helper()
	if len(fixtures) == 0 {
		f.Log("no recorded fixtures (../shared/fixtures missing): seeding from the fake and testdata/fuzz only")
	}
	for _, fx := range fixtures {
		matched := false
		for i, k := range kinds {
			if k.Files != nil && k.Files.MatchString(fx.Name) {
				f.Add(uint8(i), fx.Body)
				matched = true
			}
		}
		if !matched {
			for i := range kinds {
				f.Add(uint8(i), fx.Body)
			}
		}
	}
	seen := map[string]bool{}
	for _, r := range served {
		p, _, _ := strings.Cut(r.Path, "?")
		for i, k := range kinds {
			if k.Paths != nil && k.Paths.MatchString(p) && !seen[k.Name+"\x00"+p] {
				seen[k.Name+"\x00"+p] = true
				f.Add(uint8(i), r.Body)
			}
		}
	}
	for i := range kinds {
		f.Add(uint8(i), []byte(`[]`))
		f.Add(uint8(i), []byte(`{}`))
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		k := kinds[int(kind)%len(kinds)]
		b, err := k.Translate(body)
		if err != nil {
			return
		}
		if err := CheckBatch(b, platform, instance); err != nil {
			t.Errorf("%s: %v\nbody: %q", k.Name, err, body)
		}
	})
}
