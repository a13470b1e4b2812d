package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/plot"
	"github.com/snnsim/snnsim/trace"
)

func newTraceCmd(a *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "trace",
		Short: "Inspect, compare and plot spike traces (NPZ, from snnsim, numpy or Brian2)",
		Long: `trace reads spike traces in the NPZ layout of docs/trace-format.md: snnsim's own
files, and files numpy writes (np.savez(f, i=ids, t=times_in_seconds), as from a Brian2
SpikeMonitor). Files without a tick array need --dt.`,
	}
	var dt float64
	read := func(path string) (*trace.Trace, error) {
		tr, err := trace.ReadFile(path, trace.ReadOptions{DT: dt / 1000})
		if err != nil {
			return nil, badInput(err)
		}
		return tr, nil
	}
	c.PersistentFlags().Float64Var(&dt, "dt", 0, "step length in ms for files that carry none")

	var format string
	info := &cobra.Command{
		Use:   "info FILE.npz",
		Short: "Print a trace's metadata and spike statistics",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, err := read(args[0])
			if err != nil {
				return err
			}
			cv, ncv := tr.MeanCV()
			s := traceInfo{File: args[0], Meta: tr.Meta, Spikes: tr.Len(), Steps: tr.Steps(),
				MeanRate: tr.MeanRate(), MeanCV: cv, NCV: ncv, Silent: tr.FractionSilent()}
			if format == "json" {
				return writeJSON(a.Out, s)
			}
			m := tr.Meta
			fmt.Fprintf(a.Out, "%s\n  source %q  seed %d  dt %gms  steps %d  neurons %d\n", args[0], m.Source, m.Seed, m.DT*1000, s.Steps, m.NumNeurons)
			if m.NetworkHash != "" {
				fmt.Fprintf(a.Out, "  network %s\n", m.NetworkHash)
			}
			fmt.Fprintf(a.Out, "  spikes %d  mean rate %.4g Hz  mean CV(ISI) %.3g (%d neurons)  silent %.3g\n", s.Spikes, s.MeanRate, cv, ncv, s.Silent)
			for _, p := range m.Populations {
				fmt.Fprintf(a.Out, "  population %-12s ids %d..%d\n", p.Name, p.First, p.First+p.Size-1)
			}
			return nil
		},
	}
	info.Flags().StringVar(&format, "format", "text", "text or json")

	var tol int
	compare := &cobra.Command{
		Use:   "compare A.npz B.npz",
		Short: "Compare two traces spike by spike (exit 1 when they differ)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ta, err := read(args[0])
			if err != nil {
				return err
			}
			tb, err := read(args[1])
			if err != nil {
				return err
			}
			d := trace.Compare(ta, tb, tol)
			fmt.Fprintln(a.Out, d.String())
			if !d.Equal() {
				return fmt.Errorf("trace: %s and %s differ", args[0], args[1])
			}
			return nil
		},
	}
	compare.Flags().IntVar(&tol, "tol", 0, "match spikes of the same neuron within ±tol ticks")

	var out string
	plt := &cobra.Command{
		Use:   "plot FILE.npz --plot raster.png",
		Short: "Draw a trace's raster and population rate",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tr, err := read(args[0])
			if err != nil {
				return err
			}
			if out == "" {
				return badInput(fmt.Errorf("trace plot: --plot FILE is required"))
			}
			return plot.Raster(tr, out, plot.RasterOptions{Title: args[0]})
		},
	}
	plt.Flags().StringVar(&out, "plot", "", "output picture (.png, .svg, .pdf)")
	c.AddCommand(info, compare, plt)
	return c
}

type traceInfo struct {
	File     string     `json:"file"`
	Meta     trace.Meta `json:"meta"`
	Spikes   int        `json:"spikes"`
	Steps    int64      `json:"steps"`
	MeanRate float64    `json:"mean_rate_hz"`
	MeanCV   float64    `json:"mean_cv_isi"`
	NCV      int        `json:"neurons_with_cv"`
	Silent   float64    `json:"fraction_silent"`
}
