// Package tracetest checks spike traces against golden files in tests.
//
// A test calls [Golden] with the trace it produced and a path under its
// testdata directory. Normally the golden file is read and compared; run the
// test binary with -update to (re)write it:
//
//	go test ./sim/ -run TestGolden -update
//
// Golden files are ordinary trace files (see package trace), so numpy can
// inspect them too.
package tracetest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/snnsim/snnsim/trace"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing against them")

// Update reports whether the test binary runs with -update. Packages whose
// tests import tracetest must not declare their own -update flag (the flag
// package panics on a redefinition); they use Update for their other golden
// files instead.
func Update() bool { return *update }

// maxListed is how many differing spikes a failure lists.
const maxListed = 10

// Golden compares got with the golden trace file at path (metadata and
// spikes, exactly) and fails tb with a readable report of the differences.
// With -update it writes got to path instead (creating the directory). In
// both modes it also checks that got survives a write/read round trip
// unchanged, so a golden file always reproduces the trace it was made from.
func Golden(tb testing.TB, path string, got *trace.Trace) {
	tb.Helper()
	if err := got.Validate(); err != nil {
		tb.Fatalf("tracetest: trace to check is invalid: %v", err)
	}

	// Stability: what is written reads back as got.
	var buf bytes.Buffer
	if err := got.Write(&buf); err != nil {
		tb.Fatalf("tracetest: %v", err)
	}
	back, err := trace.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), trace.ReadOptions{})
	if err != nil {
		tb.Fatalf("tracetest: re-reading the written trace: %v", err)
	}
	if d := Diff(got, back); d != "" {
		tb.Fatalf("tracetest: the trace does not survive a write/read round trip:\n%s", d)
	}

	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("tracetest: %v", err)
		}
		if err := got.WriteFile(path); err != nil {
			tb.Fatalf("tracetest: %v", err)
		}
		tb.Logf("tracetest: wrote %s (%d spikes)", path, got.Len())
	}

	want, err := trace.ReadFile(path, trace.ReadOptions{})
	if err != nil {
		tb.Fatalf("tracetest: %v (run the test with -update to create it)", err)
	}
	if d := Diff(want, got); d != "" {
		tb.Errorf("tracetest: trace differs from golden file %s (rerun with -update if the change is intended):\n%s", path, d)
	}
}

// Diff describes how got differs from want, metadata and spikes, exactly; it
// is "" when they are equal. Spike differences are listed in time order, at
// most 10 of them. Both traces must be sorted.
func Diff(want, got *trace.Trace) string {
	var b strings.Builder
	metaDiff(&b, want.Meta, got.Meta)

	d := trace.Compare(want, got, 0)
	if !d.Equal() {
		fmt.Fprintf(&b, "spikes: %d in golden, %d got: %d matched, %d missing, %d unexpected\n",
			want.Len(), got.Len(), d.Matched, d.OnlyA, d.OnlyB)
		listed := 0
		i, j := 0, 0
		for (i < want.Len() || j < got.Len()) && listed < maxListed {
			c := 0
			switch {
			case i == want.Len():
				c = 1
			case j == got.Len():
				c = -1
			default:
				c = cmpSpike(want.Ticks[i], want.IDs[i], got.Ticks[j], got.IDs[j])
			}
			switch {
			case c == 0:
				i++
				j++
			case c < 0:
				fmt.Fprintf(&b, "  - missing:    neuron %d at tick %d (%.4g s)\n", want.IDs[i], want.Ticks[i], float64(want.Ticks[i])*want.Meta.DT)
				i++
				listed++
			default:
				fmt.Fprintf(&b, "  + unexpected: neuron %d at tick %d (%.4g s)\n", got.IDs[j], got.Ticks[j], float64(got.Ticks[j])*got.Meta.DT)
				j++
				listed++
			}
		}
		if n := d.OnlyA + d.OnlyB; n > listed {
			fmt.Fprintf(&b, "  ... and %d more\n", n-listed)
		}
	}
	return b.String()
}

func cmpSpike(ta int64, ia int32, tb int64, ib int32) int {
	switch {
	case ta != tb:
		if ta < tb {
			return -1
		}
		return 1
	case ia < ib:
		return -1
	case ia > ib:
		return 1
	}
	return 0
}

// metaDiff writes one line per differing metadata field.
func metaDiff(b *strings.Builder, want, got trace.Meta) {
	if len(want.Populations) == 0 && len(got.Populations) == 0 {
		want.Populations, got.Populations = nil, nil // nil and empty are the same
	}
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for k := range wv.NumField() {
		w, g := wv.Field(k).Interface(), gv.Field(k).Interface()
		if !reflect.DeepEqual(w, g) {
			fmt.Fprintf(b, "meta %s: golden %v, got %v\n", wv.Type().Field(k).Name, w, g)
		}
	}
}
