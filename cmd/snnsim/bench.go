package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
)

type benchOpts struct {
	sizes    string
	duration time.Duration
	count    int
	seed     uint64
	record   bool
	phases   bool
	format   string
}

func newBenchCmd(a *App) *cobra.Command {
	o := benchOpts{}
	c := &cobra.Command{
		Use:   "bench cuba|coba",
		Short: "Run the standard CUBA / COBA benchmark networks and print Go benchmark lines",
		Long: `bench simulates the Vogels–Abbott / Brette et al. (2007) benchmark networks
(80% excitatory, 20% inhibitory, in-degree 80 per source population, dt 0.1 ms) and prints
one line per run in Go benchmark format, so that benchstat can compare runs:

  BenchmarkCUBA/N=4000/T=10s-1  1  240000000 ns/op  73.1e6 events/s  41.7 x-realtime  5.51 Hz  0.74 cv  0.021 silent ...

ns/op is the wall time of the simulation loop alone (network construction is reported
separately as build-ns); events/s counts synaptic events (spikes × fan-out) per wall second;
x-realtime is biological time over wall time. Run with GOMAXPROCS=1 for the one-core figure.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"cuba", "coba"},
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := args[0]
			if kind != "cuba" && kind != "coba" {
				return badInput(fmt.Errorf("bench: unknown benchmark %q (want cuba or coba)", kind))
			}
			sizes, err := parseInts(o.sizes)
			if err != nil {
				return badInput(fmt.Errorf("bench: --n: %w", err))
			}
			if o.duration <= 0 || o.count < 1 {
				return badInput(fmt.Errorf("bench: --duration and --count must be positive"))
			}
			for _, n := range sizes {
				for range o.count {
					res, err := benchOnce(cmd, a, kind, n, o)
					if err != nil {
						return err
					}
					res.print(a.Out, o.format)
				}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.sizes, "n", "4000", "network sizes, comma-separated (e.g. 4000,40000,400000)")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "biological time to simulate")
	f.IntVar(&o.count, "count", 1, "repetitions per size (benchstat wants several)")
	f.Uint64Var(&o.seed, "seed", 12345, "seed for connectivity, initial state")
	f.BoolVar(&o.record, "record", true, "record all spikes (as the reference does)")
	f.BoolVar(&o.phases, "phases", false, "also time neuron update and spike delivery separately (adds two clock reads per step)")
	f.StringVar(&o.format, "format", "text", "text (Go benchmark lines) or json")
	return c
}

type benchResult struct {
	Name       string  `json:"name"`
	N          int     `json:"n"`
	Synapses   int     `json:"synapses"`
	Duration   float64 `json:"duration_s"`
	WallNS     int64   `json:"wall_ns"`
	BuildNS    int64   `json:"build_ns"`
	Events     int64   `json:"events"`
	Spikes     int64   `json:"spikes"`
	EventsPerS float64 `json:"events_per_s"`
	RealTime   float64 `json:"x_realtime"`
	Rate       float64 `json:"rate_hz"`
	CV         float64 `json:"cv_isi"`
	Silent     float64 `json:"frac_silent"`
	PeakMB     float64 `json:"peak_rss_mb"`
	UpdateNS   int64   `json:"update_ns,omitempty"`
	DeliverNS  int64   `json:"deliver_ns,omitempty"`
	DeliverEvS float64 `json:"delivery_events_per_s,omitempty"`
	Kernel     string  `json:"kernel"`
	Procs      int     `json:"gomaxprocs"`
}

func benchOnce(cmd *cobra.Command, a *App, kind string, n int, o benchOpts) (*benchResult, error) {
	var net *snn.Network
	if kind == "cuba" {
		net = snn.CUBA(n)
	} else {
		net = snn.COBA(n)
	}
	t0 := time.Now()
	m, err := sim.Compile(net, o.seed)
	if err != nil {
		return nil, err
	}
	r := m.NewRun(o.seed)
	var rec *sim.SpikeRecord
	if o.record {
		rec, _ = r.RecordSpikes()
	}
	var ph *sim.Phases
	if o.phases {
		ph = r.TimePhases()
	}
	build := time.Since(t0)
	steps := stepsFor(o.duration, net.DT)
	a.Log.Info("bench", "net", kind, "n", n, "synapses", m.Synapses, "steps", steps, "kernel", sim.SIMD)
	prog := a.NewProgress(steps, fmt.Sprintf("%s N=%d", kind, n))
	wall, err := simulate(cmd.Context(), r, steps, prog)
	if err != nil {
		return nil, err
	}
	res := &benchResult{
		Name: strings.ToUpper(kind), N: n, Synapses: m.Synapses, Duration: o.duration.Seconds(),
		WallNS: wall.Nanoseconds(), BuildNS: build.Nanoseconds(), Events: r.Events, Spikes: r.SpikeCount,
		EventsPerS: float64(r.Events) / wall.Seconds(), RealTime: o.duration.Seconds() / wall.Seconds(),
		PeakMB: peakRSSMB(), Kernel: sim.SIMD, Procs: runtime.GOMAXPROCS(0),
	}
	res.Rate = float64(r.SpikeCount) / float64(n) / o.duration.Seconds()
	if ph != nil {
		res.UpdateNS, res.DeliverNS = ph.Update.Nanoseconds(), ph.Deliver.Nanoseconds()
		res.DeliverEvS = float64(r.Events) / ph.Deliver.Seconds()
	}
	if rec != nil {
		tr := r.Trace(rec, "sim")
		res.CV, _ = tr.MeanCV()
		res.Silent = tr.FractionSilent()
	}
	return res, nil
}

func (b *benchResult) print(w io.Writer, format string) {
	if format == "json" {
		writeJSON(w, b)
		return
	}
	fmt.Fprintf(w, "Benchmark%s/N=%d/T=%gs-%d\t1\t%d ns/op\t%.4g events/s\t%.3g x-realtime\t%.4g Hz\t%.3g cv\t%.3g silent\t%d events\t%d build-ns\t%.0f peak-MB",
		b.Name, b.N, b.Duration, b.Procs, b.WallNS, b.EventsPerS, b.RealTime, b.Rate, b.CV, b.Silent, b.Events, b.BuildNS, b.PeakMB)
	if b.DeliverNS > 0 {
		fmt.Fprintf(w, "\t%d update-ns\t%d deliver-ns\t%.4g delivery-events/s", b.UpdateNS, b.DeliverNS, b.DeliverEvS)
	}
	fmt.Fprintln(w)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// peakRSSMB returns the process's peak resident set size in MB (Linux), or 0.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
