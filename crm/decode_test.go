package crm

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestDecodeTalliesAndChannelsAsJSON: the direct readers of the stored
// tallies and channels give what encoding/json gives, for what
// EncodeTallies and EncodeChannels write and for odd input (which they
// leave to encoding/json, errors included).
func TestDecodeTalliesAndChannelsAsJSON(t *testing.T) {
	viaJSONTallies := func(s string) (map[string]Tally, error) {
		var m map[string][2]float64
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, err
		}
		out := make(map[string]Tally, len(m))
		for k, v := range m {
			out[k] = Tally{Count: int(v[0]), Base: v[1]}
		}
		return out, nil
	}
	tallies := []string{`{}`, `{"a":[1,2.5]}`, `{"a":[1,2.5],"b":[3,-1e-7]}`, `{"a":[1.5,2]}`, `{"a":[1,2],"a":[3,4]}`,
		`{"a\\u0041":[1,2]}`, `{ "a":[1,2]}`, `{"a":[1,2],}`, `{"a":[+1,2]}`, `{"a":[.5,2]}`, `{"a":[1,2,3]}`, `{"a":[01,2]}`,
		`{"a":[1,2E+3]}`, `{"é":[1,2]}`, "{\"\xff\":[1,2]}", `{"a":[1,Infinity]}`, `{"a":[1]}`, `null`, ``, `{"a":[1,2]`}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		m := map[string]Tally{}
		for range r.IntN(5) {
			var tl Tally
			for range 1 + r.IntN(50) {
				tl.Add(time.Unix(r.Int64N(2e9), r.Int64N(1e9)), 0.5+r.Float64()/2)
			}
			m[fmt.Sprint("type", r.IntN(20))] = tl
		}
		tallies = append(tallies, EncodeTallies(m))
	}
	for _, s := range tallies {
		want, werr := viaJSONTallies(s)
		got, gerr := DecodeTallies(s)
		if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(want, got) {
			t.Errorf("DecodeTallies(%q) = %v, %v; encoding/json: %v, %v", s, got, gerr, want, werr)
		}
	}
	channels := []string{`[]`, `["a"]`, `["a","b c","é"]`, `["a\"b"]`, `["<x>"]`, `[ "a"]`, `["a",]`, `[1]`, `null`, "[\"\x01\"]", "[\"\xff\"]", ``,
		EncodeChannels([]string{"o/r", "#tag", "a<b>&c", "ünï"}), EncodeChannels(nil)}
	for _, s := range channels {
		var want []string
		werr := json.Unmarshal([]byte(s), &want)
		got, gerr := DecodeChannels(s)
		if werr != nil {
			want = nil
		}
		if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(want, got) {
			t.Errorf("DecodeChannels(%q) = %#v, %v; encoding/json: %#v, %v", s, got, gerr, want, werr)
		}
		// DecodeSet reads the same, an empty array as nil.
		if len(want) == 0 {
			want = nil
		}
		if got, gerr := DecodeSet(s); (werr != nil) != (gerr != nil) || !reflect.DeepEqual(want, got) {
			t.Errorf("DecodeSet(%q) = %#v, %v; encoding/json: %#v, %v", s, got, gerr, want, werr)
		}
	}
	for _, set := range [][]string{nil, {"jane@example.org"}, {"a@b.c", "x\"y@z", "<u>@h.io", "ünï@x.org"}, {"https://x.org/?a=1&b=2"}} {
		if got, err := DecodeSet(EncodeSet(set)); err != nil || !reflect.DeepEqual(got, set) {
			t.Errorf("DecodeSet(EncodeSet(%q)) = %q, %v", set, got, err)
		}
	}
}
