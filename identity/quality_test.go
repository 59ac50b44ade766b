package identity

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scores are clustering quality figures.
type goldRow struct{ id, name, email, person string }

func readGold(t testing.TB) []goldRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedIdentity, "numpy_gold.tsv"))
	if os.IsNotExist(err) {
		t.Skip("numpy_gold.tsv not found in ../shared/identity: quality test skipped")
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	head := strings.Split(lines[0], "\t")
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, h := range []string{"alias_id", "alias_name", "alias_email", "person_id"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("numpy_gold.tsv: no column %s", h)
		}
	}
	var rows []goldRow
	for _, l := range lines[1:] {
		f := strings.Split(strings.TrimRight(l, "\r"), "\t")
		rows = append(rows, goldRow{f[col["alias_id"]], f[col["alias_name"]], f[col["alias_email"]], f[col["person_id"]]})
	}
	return rows
}

// resolveRows runs the evaluation mode on rows and returns each row's member.
func resolveRows(t testing.TB, rows []goldRow) []string {
	t.Helper()
	var in bytes.Buffer
	in.WriteString("id\tname\temail\n")
	for _, r := range rows {
		in.WriteString(r.id + "\t" + r.name + "\t" + r.email + "\n")
	}
	var out bytes.Buffer
	if err := ResolveTSV(&in, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("ResolveTSV wrote %d rows for %d", len(lines), len(rows))
	}
	pred := make([]string, len(rows))
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 2 || f[0] != rows[i].id {
			t.Fatalf("output row %d is not id<TAB>member for input row %d", i+1, i+1)
		}
		pred[i] = f[1]
	}
	return pred
}

func splitAuthor(s string) (name, email string) {
	i := strings.LastIndexByte(s, '<')
	if i < 0 {
		return strings.TrimSpace(s), ""
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s[i+1:]), ">"))
}

func TestQualityWoC(t *testing.T) {
	f, err := os.Open(filepath.Join(sharedIdentity, "woc_sample1.csv"))
	if os.IsNotExist(err) {
		t.Skip("woc_sample1.csv not found in ../shared/identity: quality test skipped")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn, tn int
	for _, r := range recs[1:] {
		label := r[3]
		if label != "0" && label != "1" {
			continue // unsure
		}
		an, ae := splitAuthor(r[0])
		bn, be := splitAuthor(r[1])
		res := Resolve([]Candidate{
			{Key: "a", Name: an, Emails: []string{ae}},
			{Key: "b", Name: bn, Emails: []string{be}},
		}, Options{NoSuggestions: true})
		merged := res.MemberOf[0] == res.MemberOf[1]
		switch {
		case merged && label == "1":
			tp++
		case merged:
			fp++
		case label == "1":
			fn++
		default:
			tn++
		}
	}
	p := float64(tp) / float64(max(tp+fp, 1))
	r := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("woc_sample1: %d labelled pairs (%d same, %d different): merged %d correctly, %d wrongly; missed %d", tp+fp+fn+tn, tp+fn, fp+tn, tp, fp, fn)
	t.Logf("woc_sample1: P %.4f R %.4f F1 %.4f (no floor; gambit 0.89, Bird 0.86)", p, r, f1(p, r))
}
