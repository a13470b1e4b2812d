package main

// snnsim deploy: quantize a trained spiking model (package snn/learn) to the board's
// fixed-point core, program it, verify it by read-back and print the fidelity report
// (package hw/deploy).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/hw"
	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/deploy"
	"github.com/snnsim/snnsim/snn/learn"
)

// parseNonIdeal parses the --mismatch list: theta=REL,gain=REL,noise=STEPS,seed=N.
func parseNonIdeal(s string) (board.NonIdeal, error) {
	var ni board.NonIdeal
	err := parseSeededList(s, "mismatch", "a number in [0, 100]", 100, &ni.Seed, func(k string, x float64) bool {
		switch k {
		case "theta":
			ni.ThetaMismatch = x
		case "gain":
			ni.WeightMismatch = x
		case "noise":
			ni.WeightNoise = x
		default:
			return false
		}
		return true
	}, "theta, gain, noise, seed")
	return ni, err
}

// boardDeployOpts are the board flags of deploy, eval/train --backend board.
type boardDeployOpts struct {
	boardOpts
	mismatch string
	units    float64
}

func (o *boardDeployOpts) registerDeploy(c *cobra.Command) {
	f := c.Flags()
	o.register(f)
	f.StringVar(&o.mismatch, "mismatch", "", "emu only: hardware non-ideality, e.g. theta=0.2,gain=0.3,noise=1,seed=1 (relative per-neuron threshold mismatch, relative per-synapse gain mismatch, weight read noise in int8 steps)")
	f.Float64Var(&o.units, "units", deploy.DefaultUnits, "fixed-point units per threshold")
}

// openBoard opens the board of the flags (with faults and non-ideality on emu).
// openFitted loads the spiking model at path, opens the board and checks that the model
// fits it, before any data is loaded, so that a model too big is refused at once. The
// caller closes the board.
func (o *boardDeployOpts) openFitted(cmd *cobra.Command, a *App, path string) (*learn.File, *hw.Board, error) {
	f, err := learn.Load(path)
	if err != nil {
		return nil, nil, badInput(err)
	}
	b, err := o.openBoard(cmd, a)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFit(f.Model, b); err != nil {
		b.Close()
		return nil, nil, err
	}
	return f, b, nil
}

func (o *boardDeployOpts) openBoard(cmd *cobra.Command, a *App) (*hw.Board, error) {
	faults, err := parseFaults(o.faults)
	if err != nil {
		return nil, badInput(err)
	}
	ni, err := parseNonIdeal(o.mismatch)
	if err != nil {
		return nil, badInput(err)
	}
	if _, err := hw.ParseTarget(o.board); err != nil {
		return nil, badInput(err)
	}
	if (o.faults != "" || o.mismatch != "") && !strings.HasPrefix(o.board, "emu") {
		return nil, badInput(errors.New("--faults and --mismatch work with --board emu only"))
	}
	b, _, err := hw.Open(cmd.Context(), o.board, hw.OpenOptions{SPIClock: o.clock,
		Emu: board.Config{Faults: faults, NonIdeal: ni}, Options: hw.Options{Log: a.Log}})
	return b, err
}

// checkFit refuses a model the board cannot hold (exit status 2).
func checkFit(m *learn.Model, b *hw.Board) error {
	in := b.Info()
	if err := deploy.CheckFit(&m.Cfg, in.MaxNeurons, in.MaxAxons); err != nil {
		return badInput(fmt.Errorf("%w (model sizes %v; board %s: %d neurons, %d axons)", err, m.Cfg.Sizes, b, in.MaxNeurons, in.MaxAxons))
	}
	return nil
}

type deployResult struct {
	Model      string         `json:"model"`
	Board      string         `json:"board"`
	BoardInfo  string         `json:"board_info"`
	Data       string         `json:"data"`
	Seed       uint64         `json:"seed"`
	Sizes      []int          `json:"sizes"`
	Steps      int            `json:"steps"`
	Mismatch   string         `json:"mismatch,omitempty"`
	DecayV     uint8          `json:"decay_v"`
	DecayI     uint8          `json:"decay_i"`
	TauMExact  float64        `json:"tau_m_board_ms"`
	TauSExact  float64        `json:"tau_s_board_ms"`
	Shifts     []uint8        `json:"weight_shifts"`
	Synapses   int            `json:"synapses"`
	ProgBytes  int64          `json:"program_bytes"`
	ProgFrames int64          `json:"program_frames"`
	ProgS      float64        `json:"program_seconds"`
	Verified   bool           `json:"verified"`
	Fidelity   *deploy.Report `json:"fidelity"`
	Stochastic *deploy.Report `json:"fidelity_stochastic,omitempty"`
	Link       hw.LinkStats   `json:"link"`
}

func newDeployCmd(a *App) *cobra.Command {
	o := &boardDeployOpts{}
	var data, dataDir, format string
	var maxTest int
	var seed uint64
	var stochastic bool
	c := &cobra.Command{
		Use:   "deploy MODEL --board emu|spidev:...",
		Short: "Quantize a trained spiking model, program it into a board and report its fidelity",
		Long: `deploy maps a spiking model trained with 'snnsim train --model snn' onto the board's
fixed-point core (docs/deploy.md): int8 weights with one shift per projection, decays
as right shifts (d = round(−log2(1 − e^{−dt/τ}))), threshold 1 as --units units, escape
noise as sigmoid tables. It programs the board in bursts of ≤ 256 bytes, reads every
written memory back, sets the seed, and runs --max-test test samples through the float
engine, the fixed-point simulator and the board on the same input spikes: accuracy of
each, spike agreement float↔fixed, and fixed↔board (which must be bit-exact; exit
status 1 otherwise, unless --mismatch makes the software board imperfect on purpose).

A model that does not fit the board (CAPS register: neurons, axons) or cannot run on it
(leaky readout, direct input) is refused with exit status 2 and what to change.`,
		Example: `  snnsim train --model snn --data mnist@pool2 --hidden 128 --readout count --tau-m 7.49 --tau-s 3.48 --out m.snnm
  snnsim deploy m.snnm --board emu --max-test 500
  snnsim deploy m.snnm --board spidev:/dev/spidev0.0 --spi-clock 20MHz`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("deploy: --format %q (want text or json)", format))
			}
			if fileKind(args[0]) != learn.Kind {
				return badInput(fmt.Errorf("deploy: %s is not a spiking model file (snnsim train --model snn)", args[0]))
			}
			f, b, err := o.openFitted(cmd, a, args[0])
			if err != nil {
				return err
			}
			defer b.Close()
			data, x, y, n, err := snnTestData(f, data, dataDir, maxTest)
			if err != nil {
				return err
			}
			m := f.Model
			ctx := cmd.Context()
			res := &deployResult{Model: args[0], Board: o.board, BoardInfo: b.Info().String(), Data: data, Seed: seed,
				Sizes: m.Cfg.Sizes, Steps: m.Cfg.Steps, Mismatch: o.mismatch}
			run := func(stoch bool) (*deploy.Report, error) {
				q, err := deploy.Quantize(m, deploy.Options{Units: o.units, Stochastic: stoch, Seed: uint32(seed) | 1})
				if err != nil {
					return nil, badInput(err)
				}
				st0, t0 := b.Link().Stats(), time.Now()
				br := &deploy.BoardRunner{B: b, Verify: true}
				if err := br.Program(ctx, q.Fixed); err != nil {
					return nil, err
				}
				if !stoch {
					st := b.Link().Stats()
					res.ProgS, res.ProgBytes, res.ProgFrames = time.Since(t0).Seconds(), st.Bytes-st0.Bytes, st.Frames-st0.Frames
					res.Verified = true
					p := q.Fixed.Params[0]
					res.DecayV, res.DecayI = p.DecayV, p.DecayI
					res.TauMExact, res.TauSExact = deploy.TauForShift(p.DecayV, m.Cfg.DT), deploy.TauForShift(p.DecayI, m.Cfg.DT)
					res.Synapses = len(q.Fixed.W)
					for l := range m.Cfg.Layers() {
						res.Shifts = append(res.Shifts, q.Fixed.Shift[l][l+1])
					}
				}
				prog := a.NewProgress(int64(n), fmt.Sprintf("deploy: fidelity (%s)", map[bool]string{false: "threshold", true: "stochastic"}[stoch]))
				defer prog.Finish()
				return deploy.Fidelity(ctx, m, q, br, x, y, n, deploy.FidelityOptions{Seed: seed, Progress: func() { _ = prog.Add(1) }})
			}
			if res.Fidelity, err = run(false); err != nil {
				return err
			}
			if stochastic {
				if res.Stochastic, err = run(true); err != nil {
					return err
				}
			}
			res.Link = b.Link().Stats()
			if format == "json" {
				enc := json.NewEncoder(a.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				printDeploy(a.Out, res)
			}
			for _, r := range []*deploy.Report{res.Fidelity, res.Stochastic} {
				if r != nil && r.BoardMismatches > 0 && o.mismatch == "" {
					return fmt.Errorf("deploy: the board's spikes differ from the fixed-point simulator at %d sample-ticks", r.BoardMismatches)
				}
			}
			return nil
		},
	}
	o.registerDeploy(c)
	fl := c.Flags()
	fl.StringVar(&data, "data", "", "dataset (default: the one the model was trained on, e.g. mnist@pool2)")
	fl.StringVar(&dataDir, "data-dir", "", "folder of the dataset files")
	fl.IntVar(&maxTest, "max-test", 200, "test samples of the fidelity report (0: all)")
	fl.Uint64Var(&seed, "seed", 1, "seed of the board's generator and of stochastic runs")
	fl.BoolVar(&stochastic, "stochastic", false, "also report the fidelity with escape-noise firing on the board")
	fl.StringVar(&format, "format", "text", "text or json")
	return c
}

func printDeploy(w io.Writer, r *deployResult) {
	fmt.Fprintf(w, "# snnsim deploy %s board=%s seed=%d data=%s n=%d sizes=%v steps=%d units=%g",
		r.Model, r.Board, r.Seed, r.Data, r.Fidelity.N, r.Sizes, r.Steps, r.Fidelity.Units)
	if r.Mismatch != "" {
		fmt.Fprintf(w, " mismatch=%s", r.Mismatch)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "board: %s\n", r.BoardInfo)
	fmt.Fprintf(w, "quantized: %d synapses int8, weight shifts %v, decays dV=%d dI=%d (board τm %.3g ms, τs %.3g ms), %d weights clipped\n",
		r.Synapses, r.Shifts, r.DecayV, r.DecayI, r.TauMExact, r.TauSExact, r.Fidelity.Saturated)
	fmt.Fprintf(w, "programmed: %d bytes in %d frames, %.3f s; read back and verified\n", r.ProgBytes, r.ProgFrames, r.ProgS)
	for _, f := range []*deploy.Report{r.Fidelity, r.Stochastic} {
		if f == nil {
			continue
		}
		mode := "threshold firing (noise off)"
		if f.Stochastic {
			mode = "escape-noise firing (board PRNG)"
		}
		fmt.Fprintf(w, "fidelity, %s, %d test samples:\n", mode, f.N)
		fmt.Fprintf(w, "  %-22s %10s %10s %10s\n", "", "float", "fixed", "board")
		fmt.Fprintf(w, "  %-22s %9.2f%% %9.2f%% %9.2f%%\n", "accuracy", 100*f.AccFloat, 100*f.AccFixed, 100*f.AccBoard)
		fmt.Fprintf(w, "  %-22s %10d %10d %10d\n", "spikes", f.SpikesFloat, f.SpikesFixed, f.SpikesBoard)
		fmt.Fprintf(w, "  float↔fixed: %.2f%% of spikes shared, same prediction on %.2f%% of samples\n", 100*f.FloatFixedAgree, 100*f.PredFloatFixed)
		fmt.Fprintf(w, "  fixed↔board: %d of %d sample-ticks differ, %.4f%% of firing decisions agree\n",
			f.BoardMismatches, int64(f.N)*int64(f.Steps), 100*f.BoardAgree)
	}
}
