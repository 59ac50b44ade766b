package identity

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
)

// ResolveTSV is the evaluation mode behind `rollcall identity resolve
// --format tsv`. It reads git commit authors, one per line as
// id<TAB>name<TAB>email (further columns are ignored; a first line whose
// columns are named like "id", "name", "email" is a header and skipped),
// resolves them with no store and no other evidence, and writes
// id<TAB>member for every row, in input order. A member is named by the id
// of its first row in input order, so the output is stable for a given
// input. Rows are git identities: the same e-mail on two rows is evidence,
// not the same account.
func ResolveTSV(r io.Reader, w io.Writer) error {
	ids, cs, err := readTSV(r)
	if err != nil {
		return err
	}
	res := Resolve(cs, Options{NoSuggestions: true})
	bw := bufio.NewWriter(w)
	for i, id := range ids {
		first := res.Members[res.MemberOf[i]][0]
		n, _ := strconv.Atoi(first) // keys are row numbers
		if _, err := fmt.Fprintf(bw, "%s\t%s\n", id, ids[n]); err != nil {
			return fmt.Errorf("identity: write result: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("identity: write result: %w", err)
	}
	return nil
}

// readTSV parses the evaluation input into row ids and candidates keyed by
// row number.
func readTSV(r io.Reader) ([]string, []Candidate, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var ids []string
	var cs []Candidate
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) < 3 {
			return nil, nil, fmt.Errorf("identity: tsv line %d: want id, name and email separated by tabs, got %d columns", line, len(f))
		}
		if line == 1 && isHeader(f) {
			continue
		}
		c := Candidate{
			Key:  strconv.Itoa(len(ids)),
			Ref:  connectors.AccountRef{Platform: connectors.PlatformGit},
			Name: f[1],
		}
		if e := strings.TrimSpace(f[2]); e != "" {
			c.Emails = []string{e}
		}
		ids = append(ids, f[0])
		cs = append(cs, c)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("identity: read tsv: %w", err)
	}
	return ids, cs, nil
}

func isHeader(f []string) bool {
	a, b, c := strings.ToLower(f[0]), strings.ToLower(f[1]), strings.ToLower(f[2])
	return strings.HasSuffix(a, "id") && strings.Contains(b, "name") && strings.Contains(c, "mail") && !strings.Contains(c, "@")
}
