package snn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; whatever it accepts must
// format, parse back to the same network, and (when small) build.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("../examples/*.yaml")
	for _, name := range append(files, more...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(good))
	for _, s := range []string{
		"", "{}", "[]", "populations: &a [*a]\n", "populations:\n  - {name: a, size: 1, model: lif, params: &p {<<: *p}}\n",
		"populations:\n  - {name: a, size: 3, model: spikes, spikes: {ids: [0, 2], times: [1, 2s]}}\n",
		"populations:\n  - {name: a, size: 3, model: coba-lif}\nprojections:\n  - {from: a, to: a, connect: {list: {pre: [0, 1], post: [1, 2]}}, weights: [1, 2], delay: {normal: [1ms, 2ms]}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			if n != nil {
				t.Fatal("network returned with an error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "snn: ") || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("bad error message %q", msg)
			}
			return
		}
		out, err := Format(n)
		if err != nil {
			t.Fatalf("Format of a parsed network: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse of a formatted network: %v\n%s", err, out)
		}
		if back.Hash() != n.Hash() {
			t.Fatalf("round trip changed the network:\n%s", out)
		}
		for _, pr := range n.Projections {
			pre, post := n.Population(pr.From).Size, n.Population(pr.To).Size
			if pr.ExpectedSynapses(pre, post) > 1e5 || pre+post > 1e6 {
				continue
			}
			s, err := pr.Build(pre, post, n.DT, 1)
			if err != nil {
				t.Fatalf("Build of a valid projection: %v", err)
			}
			if len(s.RowPtr) != pre+1 || int(s.RowPtr[pre]) != s.Len() || len(s.Weights) != s.Len() {
				t.Fatal("malformed synapses")
			}
		}
	})
}
