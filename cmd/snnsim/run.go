package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/plot"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
	"github.com/snnsim/snnsim/trace"
)

type runOpts struct {
	duration time.Duration
	seed     uint64
	record   string
	plot     string
	pops     []string
	format   string
}

func newRunCmd(a *App) *cobra.Command {
	o := runOpts{}
	c := &cobra.Command{
		Use:   "run NET.yaml",
		Short: "Simulate a network file and record its spikes",
		Long: `run simulates the network described by a YAML network file (see
docs/network-format.md) for --duration of biological time and prints a summary per
population. --record writes the spikes as an NPZ trace (docs/trace-format.md), --plot a
raster and population-rate picture (PNG, SVG or PDF by extension).`,
		Example: `  snnsim run examples/demo.yaml --duration 1s --seed 1 --record out.npz --plot raster.png`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			net, err := snn.Load(args[0])
			if err != nil {
				return badInput(err)
			}
			if o.duration <= 0 {
				return badInput(fmt.Errorf("run: --duration must be positive, got %v", o.duration))
			}
			seed := o.seed
			if !cmd.Flags().Changed("seed") && net.Seed != 0 {
				seed = net.Seed
			}
			t0 := time.Now()
			m, err := sim.Compile(net, seed)
			if err != nil {
				return badInput(err)
			}
			r := m.NewRun(seed)
			var rec *sim.SpikeRecord
			if o.record != "" || o.plot != "" {
				if rec, err = r.RecordSpikes(o.pops...); err != nil {
					return badInput(err)
				}
			}
			build := time.Since(t0)
			steps := stepsFor(o.duration, net.DT)
			a.Log.Info("run", "network", net.Name, "neurons", m.NumNeurons(), "synapses", m.Synapses, "steps", steps, "seed", seed)
			prog := a.NewProgress(steps, "simulating")
			wall, err := simulate(cmd.Context(), r, steps, prog)
			if err != nil {
				return err
			}
			var tr *trace.Trace
			if rec != nil {
				tr = r.Trace(rec, "sim")
			}
			if o.record != "" {
				if err := tr.WriteFile(o.record); err != nil {
					return err
				}
			}
			if o.plot != "" {
				if err := plot.Raster(tr, o.plot, plot.RasterOptions{Title: net.Name}); err != nil {
					return err
				}
			}
			sum := summarize(m, r, seed, steps, wall, build)
			sum.Record, sum.Plot = o.record, o.plot
			return sum.print(a.Out, o.format)
		},
	}
	f := c.Flags()
	f.DurationVar(&o.duration, "duration", time.Second, "biological time to simulate (e.g. 500ms, 2s)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of every random stream (default: the file's seed, else 1)")
	f.StringVar(&o.record, "record", "", "write the spike trace to this NPZ file")
	f.StringVar(&o.plot, "plot", "", "write a raster + rate plot to this file (.png, .svg, .pdf)")
	f.StringSliceVar(&o.pops, "pops", nil, "record only these populations (default all)")
	f.StringVar(&o.format, "format", "text", "text or json")
	return c
}

type popSummary struct {
	Name   string  `json:"name"`
	Size   int     `json:"size"`
	Spikes int     `json:"spikes"`
	Rate   float64 `json:"rate_hz"`
}

type runSummary struct {
	Network  string       `json:"network"`
	Seed     uint64       `json:"seed"`
	Steps    int64        `json:"steps"`
	DT       float64      `json:"dt_ms"`
	Neurons  int          `json:"neurons"`
	Synapses int          `json:"synapses"`
	Spikes   int64        `json:"spikes"`
	Events   int64        `json:"events"`
	WallS    float64      `json:"wall_s"`
	BuildS   float64      `json:"build_s"`
	Pops     []popSummary `json:"populations"`
	Record   string       `json:"record,omitempty"`
	Plot     string       `json:"plot,omitempty"`
}

func summarize(m *sim.Model, r *sim.Run, seed uint64, steps int64, wall, build time.Duration) *runSummary {
	s := &runSummary{Network: m.Net.Name, Seed: seed, Steps: steps, DT: m.DT, Neurons: m.NumNeurons(),
		Synapses: m.Synapses, Spikes: r.SpikeCount, Events: r.Events, WallS: wall.Seconds(), BuildS: build.Seconds()}
	bio := float64(steps) * m.DT / 1000
	for i, p := range m.Pops {
		n := int(r.PopSpikes(i))
		s.Pops = append(s.Pops, popSummary{Name: p.Name, Size: p.Size, Spikes: n, Rate: float64(n) / float64(p.Size) / bio})
	}
	return s
}

func (s *runSummary) print(w io.Writer, format string) error {
	if format == "json" {
		return writeJSON(w, s)
	}
	fmt.Fprintf(w, "# snnsim run  network=%s  seed=%d  dt=%gms  steps=%d\n", s.Network, s.Seed, s.DT, s.Steps)
	fmt.Fprintf(w, "neurons %d  synapses %d  spikes %d  synaptic events %d\n", s.Neurons, s.Synapses, s.Spikes, s.Events)
	fmt.Fprintf(w, "wall %.3fs (build %.3fs)  %.3g events/s\n", s.WallS, s.BuildS, float64(s.Events)/max(s.WallS, 1e-9))
	fmt.Fprintf(w, "%-16s %8s %10s %10s\n", "population", "size", "spikes", "rate(Hz)")
	for _, p := range s.Pops {
		fmt.Fprintf(w, "%-16s %8d %10d %10.3f\n", p.Name, p.Size, p.Spikes, p.Rate)
	}
	if s.Record != "" {
		fmt.Fprintf(w, "trace  %s\n", s.Record)
	}
	if s.Plot != "" {
		fmt.Fprintf(w, "plot   %s\n", s.Plot)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// stepsFor returns the number of steps of dt ms in d (rounded to nearest).
func stepsFor(d time.Duration, dt float64) int64 {
	return int64(d.Seconds()*1000/dt + 0.5)
}

// simulate runs r for steps, in chunks that advance prog, and returns the wall time of
// the simulation loop.
func simulate(ctx context.Context, r *sim.Run, steps int64, prog Progress) (time.Duration, error) {
	start := time.Now()
	for done := int64(0); done < steps; {
		k := min(1000, steps-done)
		if err := r.Run(ctx, k); err != nil {
			return 0, err
		}
		done += k
		_ = prog.Add(int(k))
	}
	wall := time.Since(start)
	_ = prog.Finish()
	return wall, nil
}
