package trace_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/snnsim/snnsim/trace"
)

func ExampleTrace_WriteFile() {
	dir, err := os.MkdirTemp("", "trace-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A monitor appends spikes as the simulation runs (dt = 0.1 ms).
	tr := &trace.Trace{Meta: trace.Meta{DT: 1e-4, Seed: 1, Source: "sim", NumNeurons: 3, Duration: 100}}
	tr.Append(0, 10)
	tr.Append(2, 10)
	tr.Append(1, 42)

	path := filepath.Join(dir, "run.npz")
	if err := tr.WriteFile(path); err != nil {
		log.Fatal(err)
	}
	back, err := trace.ReadFile(path, trace.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Len(), "spikes, dt =", back.Meta.DT, "s, source", back.Meta.Source)
	fmt.Printf("mean rate %.1f Hz, %.0f%% silent\n", back.MeanRate(), 100*back.FractionSilent())
	// Output:
	// 3 spikes, dt = 0.0001 s, source sim
	// mean rate 100.0 Hz, 0% silent
}

func ExampleReadFile() {
	// A file written by numpy: np.savez(f, i=mon.i[:], t=mon.t/second) has no
	// step length, so the reader is told it.
	tr, err := trace.ReadFile("testdata/brian2_savez.npz", trace.ReadOptions{DT: 1e-4})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tr.IDs)
	fmt.Println(tr.Ticks)

	_, err = trace.ReadFile("testdata/brian2_savez.npz", trace.ReadOptions{})
	fmt.Println(err)
	// Output:
	// [3 0 2 3 1 3 0]
	// [0 2 2 5 7 7 11]
	// trace: testdata/brian2_savez.npz: array "dt": missing: the file has no step length; set ReadOptions.DT (seconds)
}

func ExampleCompare() {
	a := &trace.Trace{Meta: trace.Meta{DT: 1e-4}}
	b := &trace.Trace{Meta: trace.Meta{DT: 1e-4}}
	for _, s := range []trace.Spike{{ID: 0, Tick: 3}, {ID: 1, Tick: 5}, {ID: 0, Tick: 9}} {
		a.Append(s.ID, s.Tick)
	}
	for _, s := range []trace.Spike{{ID: 0, Tick: 3}, {ID: 1, Tick: 6}, {ID: 0, Tick: 9}} {
		b.Append(s.ID, s.Tick)
	}
	fmt.Println(trace.Compare(a, b, 0))
	fmt.Println(trace.Compare(a, b, 1))
	// Output:
	// differ: 2 matched, 1 only in a, 1 only in b; first: neuron 1 at tick 5 only in a (tolerance ±0 ticks)
	// equal: 3 spikes (tolerance ±1 ticks)
}
