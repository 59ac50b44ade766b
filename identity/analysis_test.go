package identity

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestAnalyzeNumpy counts, by kind of evidence, the gold pairs the resolver
// missed and the pairs it merged wrongly. Aggregate counts only; run with
// ROLLCALL_IDENTITY_ANALYZE=1.
func TestAnalyzeNumpy(t *testing.T) {
	if os.Getenv("ROLLCALL_IDENTITY_ANALYZE") == "" {
		t.Skip("set ROLLCALL_IDENTITY_ANALYZE=1 to count error categories")
	}
	rows := readGold(t)
	pred := resolveRows(t, rows)
	feats := make([]*features, len(rows))
	for i, r := range rows {
		feats[i] = prepare(Candidate{Key: r.id, Name: r.name, Emails: []string{r.email}})
	}
	category := func(a, b *features) []string {
		var cs []string
		if len(a.emailKeys) == 0 || len(b.emailKeys) == 0 {
			cs = append(cs, "placeholder-email")
		}
		for _, s := range compare(a, b, nil) {
			cs = append(cs, s.Kind)
		}
		switch {
		case a.name.Placeholder || b.name.Placeholder:
			cs = append(cs, "placeholder-name")
		case a.name.Full() && b.name.Full():
			if Compatible(a.name, b.name) {
				cs = append(cs, "full-compatible")
			} else {
				cs = append(cs, "full-incompatible")
			}
		case len(a.name.Tokens) == 1 && len(b.name.Tokens) == 1:
			if a.name.Compact == b.name.Compact {
				cs = append(cs, "one-word-equal")
			} else {
				cs = append(cs, "one-word-differ")
			}
		default:
			cs = append(cs, "one-word-vs-full")
		}
		if len(a.emails) > 0 && len(b.emails) > 0 && a.emails[0].Domain == b.emails[0].Domain {
			cs = append(cs, "same-domain")
		}
		if len(a.emails) > 0 && len(b.emails) > 0 && a.emails[0].Local == b.emails[0].Local {
			cs = append(cs, "same-local")
		}
		sort.Strings(cs)
		return cs
	}
	missed, wrong := map[string]int{}, map[string]int{}
	missedAny, wrongAny := map[string]int{}, map[string]int{}
	allSame, allDiff := map[string]int{}, map[string]int{}
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			same, together := rows[i].person == rows[j].person, pred[i] == pred[j]
			var cs []string
			if os.Getenv("ROLLCALL_IDENTITY_ANALYZE") == "all" {
				cs = category(feats[i], feats[j])
				for _, pr := range [2][2]*features{{feats[i], feats[j]}, {feats[j], feats[i]}} {
					a, b := pr[0], pr[1]
					if a.name.Placeholder || len(a.name.Tokens) != 1 {
						continue
					}
					w := a.name.Compact
					rel := ""
					switch {
					case len(b.name.Tokens) == 1 && b.name.Compact == w:
						rel = "ow-eq"
					case slices.Contains(b.handles, w):
						rel = "ow-handle"
					case slices.Contains(NameHandles(b.name), w):
						rel = "ow-namehandle"
					default:
						continue
					}
					self := slices.Contains(a.handles, w)
					k := fmt.Sprintf("%s|len%d|self=%v|bfull=%v", rel, min(len(w), 8), self, b.name.Full())
					if same {
						allSame[k]++
					} else {
						allDiff[k]++
					}
					break
				}
				if slices.Contains(cs, "same_handle") || slices.Contains(cs, "name_handle") {
					h := commonHandle(feats[i].handles, feats[j].handles)
					tag := "sh"
					if h == "" {
						tag = "nh"
						for _, x := range NameHandles(feats[i].name) {
							if slices.Contains(feats[j].handles, x) {
								h = x
							}
						}
						for _, x := range NameHandles(feats[j].name) {
							if slices.Contains(feats[i].handles, x) {
								h = x
							}
						}
					}
					l := "short"
					if len(h) >= 6 {
						l = "long"
					}
					rel := ""
					for _, c := range cs {
						if strings.HasPrefix(c, "full-") || strings.HasPrefix(c, "one-word") || c == "placeholder-name" || c == "same-domain" {
							rel += c + ","
						}
					}
					k := tag + "|" + l + "|" + rel
					if same {
						allSame[k]++
					} else {
						allDiff[k]++
					}
				}
				for _, c := range cs {
					if c == "same_email" || c == "name_handle" || c == "same_handle" || c == "name_variant" || c == "one-word-equal" || c == "same_name" {
						if same {
							allSame[c]++
						} else {
							allDiff[c]++
						}
					}
				}
			}
			if same == together {
				continue
			}
			if cs == nil {
				cs = category(feats[i], feats[j])
			}
			key := ""
			for _, c := range cs {
				key += c + " "
			}
			if same {
				missed[key]++
				for _, c := range cs {
					missedAny[c]++
				}
			} else {
				wrong[key]++
				for _, c := range cs {
					wrongAny[c]++
				}
			}
		}
	}
	dump := func(title string, m map[string]int) {
		type kv struct {
			k string
			v int
		}
		var xs []kv
		for k, v := range m {
			xs = append(xs, kv{k, v})
		}
		slices.SortFunc(xs, func(a, b kv) int { return b.v - a.v })
		for i, x := range xs {
			if i == 40 {
				break
			}
			t.Logf("%s %6d  %s", title, x.v, x.k)
		}
	}
	pieces := map[string]map[string]int{}
	for i, r := range rows {
		if pieces[r.person] == nil {
			pieces[r.person] = map[string]int{}
		}
		pieces[r.person][pred[i]]++
	}
	for _, ps := range pieces {
		if len(ps) < 2 {
			continue
		}
		var sizes []int
		tot, miss := 0, 0
		for _, n := range ps {
			sizes = append(sizes, n)
			tot += n
		}
		for a := range sizes {
			for b := a + 1; b < len(sizes); b++ {
				miss += sizes[a] * sizes[b]
			}
		}
		slices.Sort(sizes)
		if miss >= 4 {
			t.Logf("split gold cluster of %d aliases into pieces %v: %d missed pairs", tot, sizes, miss)
		}
	}
	dump("missed", missed)
	dump("missed-any", missedAny)
	dump("wrong", wrong)
	dump("wrong-any", wrongAny)
	dump("all-same", allSame)
	dump("all-diff", allDiff)
}
