package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/hw"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
)

type recordOpts struct {
	boardOpts
	duration time.Duration
	seed     uint64
	out      string
	trace    string
	format   string
}

func newRecordCmd(a *App) *cobra.Command {
	o := &recordOpts{}
	c := &cobra.Command{
		Use:   "record NET.yaml --out SESSION.bus",
		Short: "Run a network on a board and record every bus transaction",
		Long: `record quantizes a network to the board's fixed-point form (sim.CompileFixed),
programs it into the board, runs it tick by tick with the network's input populations
as input events, reads the state back at the end, and writes every SPI and I2C
transaction (bytes written and read, in order) to a session file (docs/hardware.md §9).
The board's spikes are checked against the fixed-point simulator as it goes.
"snnsim replay" replays a session into the simulator.`,
		Example: `  snnsim record examples/demo.yaml --board emu --duration 100ms --seed 1 --out demo.bus
  snnsim record net.yaml --board spidev:/dev/spidev0.0,i2c:/dev/i2c-1@0x42 --spi-clock 8MHz --out run.bus.gz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.out == "" {
				return badInput(fmt.Errorf("record: --out SESSION.bus is required"))
			}
			net, err := snn.Load(args[0])
			if err != nil {
				return badInput(err)
			}
			if o.duration <= 0 {
				return badInput(fmt.Errorf("record: --duration must be positive, got %v", o.duration))
			}
			seed := o.seed
			if !cmd.Flags().Changed("seed") && net.Seed != 0 {
				seed = net.Seed
			}
			m, err := sim.CompileFixed(net, seed, sim.FixedOptions{})
			if err != nil {
				return badInput(err)
			}
			steps := int64(o.duration.Seconds()*1000/net.DT + 0.5)
			rec := &hw.Recorder{}
			rec.Set("network", net.Name)
			rec.Set("network-hash", net.Hash())
			rec.Set("seed", strconv.FormatUint(seed, 10))
			rec.Set("ticks", strconv.FormatInt(steps, 10))
			rec.Set("created-by", "snnsim record")
			b, err := o.open(cmd, a, rec)
			if err != nil {
				return err
			}
			defer b.Close()
			sum, runErr := recordRun(cmd, a, b, m, seed, steps)
			if err := rec.Session().WriteFile(o.out); err != nil {
				return err
			}
			if runErr != nil {
				return fmt.Errorf("record: %w (the session up to the failure is in %s)", runErr, o.out)
			}
			sum.Network, sum.Seed, sum.Session, sum.Board = net.Name, seed, o.out, o.board
			st := b.Link().Stats()
			sum.Frames, sum.Transactions, sum.Retries, sum.Bytes = st.Frames, st.Tx, st.Retries, st.Bytes
			if o.trace != "" {
				tr := m.NewRun().Trace(sum.rec, "board")
				tr.Meta.Duration = steps
				tr.Meta.Seed = seed
				if err := tr.WriteFile(o.trace); err != nil {
					return err
				}
				sum.Trace = o.trace
			}
			if err := sum.print(a.Out, o.format); err != nil {
				return err
			}
			if sum.MismatchTicks > 0 {
				return fmt.Errorf("record: the board's spikes differ from the fixed-point simulator at %d ticks", sum.MismatchTicks)
			}
			return nil
		},
	}
	f := c.Flags()
	o.register(f)
	f.DurationVar(&o.duration, "duration", 100*time.Millisecond, "biological time to run (ticks = duration/dt)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of connectivity, initial state and inputs (default: the file's seed, else 1)")
	f.StringVar(&o.out, "out", "", "session file to write (.bus, or .bus.gz)")
	f.StringVar(&o.trace, "record", "", "also write the board's spikes as an NPZ trace")
	f.StringVar(&o.format, "format", "text", "text or json")
	return c
}

type recordSummary struct {
	Network       string  `json:"network"`
	Board         string  `json:"board"`
	Seed          uint64  `json:"seed"`
	Ticks         int64   `json:"ticks"`
	Inputs        int     `json:"input_events"`
	Spikes        int     `json:"spikes"`
	MismatchTicks int     `json:"mismatch_ticks"`
	Frames        int64   `json:"frames"`
	Transactions  int64   `json:"transactions"`
	Retries       int64   `json:"retries"`
	Bytes         int64   `json:"bytes"`
	WallS         float64 `json:"wall_s"`
	Session       string  `json:"session"`
	Trace         string  `json:"trace,omitempty"`

	rec *sim.SpikeRecord
}

func recordRun(cmd *cobra.Command, a *App, b *hw.Board, m *sim.FixedModel, seed uint64, steps int64) (*recordSummary, error) {
	ctx := cmd.Context()
	start := time.Now()
	sum := &recordSummary{Ticks: steps, rec: &sim.SpikeRecord{}}
	if err := b.Program(ctx, m); err != nil {
		return sum, err
	}
	gen, err := m.NewInputs(seed)
	if err != nil {
		return sum, err
	}
	ref := m.NewRun()
	prog := a.NewProgress(steps, "recording")
	var in []sim.FixedInput
	for t := range steps {
		in = gen.Next(in[:0])
		got, err := b.Step(ctx, in)
		if err != nil {
			return sum, err
		}
		sum.Inputs += len(in)
		sum.Spikes += len(got)
		for _, i := range got {
			sum.rec.IDs = append(sum.rec.IDs, i)
			sum.rec.Ticks = append(sum.rec.Ticks, t)
		}
		want := ref.Step(in)
		var out []int32
		for _, i := range want {
			if m.Params[i].Output {
				out = append(out, i)
			}
		}
		if !slices.Equal(out, got) {
			sum.MismatchTicks++
		}
		_ = prog.Add(1)
	}
	_ = prog.Finish()
	st := make([]neuron.FixedState, m.NumNeurons())
	if err := b.ReadState(ctx, st); err != nil {
		return sum, err
	}
	if !slices.Equal(st, ref.State()) {
		sum.MismatchTicks++
	}
	if err := b.Check(ctx); err != nil {
		return sum, err
	}
	sum.WallS = time.Since(start).Seconds()
	return sum, nil
}

func (s *recordSummary) print(w io.Writer, format string) error {
	if format == "json" {
		return writeJSON(w, s)
	}
	fmt.Fprintf(w, "# snnsim record  network=%s  board=%s  seed=%d  ticks=%d\n", s.Network, s.Board, s.Seed, s.Ticks)
	fmt.Fprintf(w, "input events %d  spikes %d  ticks differing from sim-fixed %d\n", s.Inputs, s.Spikes, s.MismatchTicks)
	fmt.Fprintf(w, "frames %d  transactions %d  retries %d  bytes %d  wall %.3fs\n", s.Frames, s.Transactions, s.Retries, s.Bytes, s.WallS)
	fmt.Fprintf(w, "session  %s\n", s.Session)
	if s.Trace != "" {
		fmt.Fprintf(w, "trace    %s\n", s.Trace)
	}
	return nil
}
