package main

// --backend board: run, eval and train on a board (package hw/deploy).
//
//   - run NET.yaml --backend board: the network compiled to the fixed-point core
//     (sim.CompileFixed), programmed, its input populations streamed tick by tick and the
//     board's spikes summarised like `run` (and checked against the fixed-point
//     simulator, as `record` does).
//   - eval MODEL --backend board: a spiking model's test accuracy on the board.
//   - train --model snn --method lr --backend board: chip-in-the-loop LR training.
//
// withBoardBackend adds the flags and routes --backend board to this file; --backend sim
// (the default) runs the commands as before.

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"periph.io/x/conn/v3/physic"

	"github.com/snnsim/snnsim/hw"
	"github.com/snnsim/snnsim/hw/deploy"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
	"github.com/snnsim/snnsim/snn/learn"
)

func withBoardBackend(a *App, cmds []*cobra.Command) []*cobra.Command {
	for _, c := range cmds {
		switch c.Name() {
		case "train", "eval", "run":
			wrapBoardBackend(a, c)
		}
	}
	return cmds
}

func wrapBoardBackend(a *App, c *cobra.Command) {
	o := &boardDeployOpts{}
	var backend, init string
	f := c.Flags()
	f.StringVar(&backend, "backend", "sim", "where the network runs: sim or board")
	o.registerDeploy(c)
	switch c.Name() {
	case "train":
		f.StringVar(&init, "init", "", "board: start from this spiking model's weights (fresh optimizer)")
		c.Long += "\n\n--backend board (with --model snn --method lr) trains in the loop on the board (--board):\nthe board runs every noise copy with its own stochastic firing; see docs/deploy.md."
	case "eval":
		c.Long += "\n\n--backend board evaluates a spiking model on the board (--board); see docs/deploy.md."
	case "run":
		c.Long += "\n\n--backend board compiles the network to the board's fixed-point core and runs it on --board."
	}
	orig := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		switch backend {
		case "sim":
			for _, name := range []string{"board", "mismatch", "units", "faults", "spi-clock"} {
				if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
					return badInput(fmt.Errorf("--%s needs --backend board", name))
				}
			}
			return orig(cmd, args)
		case "board":
		default:
			return badInput(fmt.Errorf("--backend %q (want sim or board)", backend))
		}
		switch c.Name() {
		case "train":
			return runTrainBoard(cmd, a, o, init)
		case "eval":
			if fileKind(args[0]) != learn.Kind {
				return badInput(fmt.Errorf("eval --backend board: %s is not a spiking model (snnsim train --model snn)", args[0]))
			}
			return runEvalBoard(cmd, a, o, args[0])
		default:
			return runRunBoard(cmd, a, o, args[0])
		}
	}
}

// runEvalBoard evaluates a spiking model on the board.
func runEvalBoard(cmd *cobra.Command, a *App, o *boardDeployOpts, path string) error {
	g := &flagGetter{cmd: cmd}
	data, dataDir, maxTest, draws, seed, format := g.str("data"), g.str("data-dir"), g.int("max-test"), g.int("noise-draws"), g.u64("seed"), g.str("format")
	if g.err != nil {
		return g.err
	}
	if format != "text" && format != "json" {
		return badInput(fmt.Errorf("eval: --format %q (want text or json)", format))
	}
	f, b, err := o.openFitted(cmd, a, path)
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
	runner := &deploy.BoardRunner{B: b}
	res := struct {
		Model    string               `json:"model"`
		Board    string               `json:"board"`
		Mismatch string               `json:"mismatch,omitempty"`
		Data     string               `json:"data"`
		N        int                  `json:"n"`
		Seed     uint64               `json:"seed"`
		Clean    *deploy.EvalResult   `json:"result"`
		Noisy    []*deploy.EvalResult `json:"result_noisy,omitempty"`
		Link     hw.LinkStats         `json:"link"`
	}{Model: path, Board: o.board, Mismatch: o.mismatch, Data: data, N: n, Seed: seed}
	for d := -1; d < draws; d++ {
		prog := a.NewProgress(int64(n), "eval on board")
		r, err := deploy.Evaluate(ctx, m, runner, x, y, n, deploy.EvalOptions{Units: o.units, Stochastic: d >= 0,
			Seed: lr.Hash(seed, uint64(max(d, 0))), Progress: func() { _ = prog.Add(1) }})
		_ = prog.Finish()
		if err != nil {
			return err
		}
		if d < 0 {
			res.Clean = r
		} else {
			res.Noisy = append(res.Noisy, r)
		}
	}
	res.Link = b.Link().Stats()
	if format == "json" {
		return writeJSON(a.Out, res)
	}
	c := &m.Cfg
	fmt.Fprintf(a.Out, "# snnsim eval %s backend=board board=%s seed=%d data=%s n=%d model=snn sizes=%v steps=%d units=%g",
		path, o.board, seed, data, n, c.Sizes, c.Steps, o.units)
	if o.mismatch != "" {
		fmt.Fprintf(a.Out, " mismatch=%s", o.mismatch)
	}
	fmt.Fprintln(a.Out)
	fmt.Fprintf(a.Out, "accuracy (board, noise off)  %.2f%%  (%.0f samples/s, %d input events, %d output spikes)\n",
		100*res.Clean.Acc, res.Clean.PerS, res.Clean.Inputs, res.Clean.Spikes)
	if len(res.Noisy) > 0 {
		mean := 0.0
		for _, r := range res.Noisy {
			mean += r.Acc / float64(len(res.Noisy))
		}
		fmt.Fprintf(a.Out, "accuracy (board, noise on)   %.2f%% (mean of %d draws of the board's PRNG)\n", 100*mean, len(res.Noisy))
	}
	st := res.Link
	fmt.Fprintf(a.Out, "link: %d frames, %d transactions, %d bytes each way, %d retries\n", st.Frames, st.Tx, st.Bytes, st.Retries)
	return nil
}

// meteredTrainer counts the link traffic of the training passes (not of evaluations).
type meteredTrainer struct {
	*deploy.Trainer
	b                 *hw.Board
	bytes, tx, frames int64
	wall              time.Duration
	samples           int
}

func (t *meteredTrainer) Grad(x []float32, y []uint8, rows int, step uint64) (lr.Stats, error) {
	s0, t0 := t.b.Link().Stats(), time.Now()
	st, err := t.Trainer.Grad(x, y, rows, step)
	s1 := t.b.Link().Stats()
	t.wall += time.Since(t0)
	t.bytes += s1.Bytes - s0.Bytes
	t.tx += s1.Tx - s0.Tx
	t.frames += s1.Frames - s0.Frames
	t.samples += rows
	return st, err
}

// boardTrainResult is the json output of train --backend board.
type boardTrainResult struct {
	Seed        uint64           `json:"seed"`
	Data        string           `json:"data"`
	Board       string           `json:"board"`
	Mismatch    string           `json:"mismatch,omitempty"`
	Init        string           `json:"init,omitempty"`
	Config      learn.Config     `json:"config"`
	Copies      int              `json:"copies"`
	VR          string           `json:"vr"`
	Epochs      []lr.EpochResult `json:"epochs"`
	TestAcc     float64          `json:"test_acc_board"`
	FloatAcc    float64          `json:"test_acc_float"`
	Loop        deploy.LoopStats `json:"loop"`
	TrainS      float64          `json:"train_seconds"`
	SamplesPerS float64          `json:"samples_per_s"`
	BytesPerS   float64          `json:"bytes_per_sample"`
	TxPerS      float64          `json:"transactions_per_sample"`
	SPIClockHz  float64          `json:"spi_clock_hz"`
	SPILimit    float64          `json:"spi_limit_samples_per_s"`      // at the clock, t_o = 50 µs (Linux spidev)
	SPILimitFP  float64          `json:"spi_limit_fpga_samples_per_s"` // at the clock, t_o = 1 µs
	Out         string           `json:"out"`
}

// spiLimit is the samples/s a link of clock f allows at bytes and transactions per
// sample, with a per-transaction overhead to.
func spiLimit(bytes, tx float64, f physic.Frequency, to time.Duration) float64 {
	hz := float64(f) / float64(physic.Hertz)
	t := 8*bytes/hz + tx*to.Seconds()
	if t <= 0 {
		return math.Inf(1)
	}
	return 1 / t
}

func runTrainBoard(cmd *cobra.Command, a *App, o *boardDeployOpts, init string) error {
	g := &flagGetter{cmd: cmd}
	model, method := g.str("model"), g.str("method")
	seed, data, dataDir := g.u64("seed"), g.str("data"), g.str("data-dir")
	epochs, batch, maxTrain, maxTest := g.int("epochs"), g.int("batch"), g.int("max-train"), g.int("max-test")
	copies, out, format, hidden, optName := g.int("copies"), g.str("out"), g.str("format"), g.str("hidden"), g.str("optimizer")
	lrate, decay, ckptEvery := g.f64("lr"), g.str("lr-decay"), g.int("checkpoint-every")
	if g.err != nil {
		return g.err
	}
	if model != "snn" || method != "lr" {
		return badInput(fmt.Errorf("train --backend board: chip-in-the-loop training is --model snn --method lr (got --model %s --method %s)", model, method))
	}
	vr, err := lr.ParseVR(g.str("vr"))
	if err != nil {
		return badInput(err)
	}
	if vr.Antithetic || vr.QMC || vr.PositionWise {
		return badInput(fmt.Errorf("train --backend board: --vr %s: the board draws its own noise; use layerwise or none", vr))
	}
	if g.str("resume") != "" {
		return badInput(errors.New("train --backend board: use --init MODEL to start from a model"))
	}
	if format != "text" && format != "json" {
		return badInput(fmt.Errorf("train: --format %q (want text or json)", format))
	}
	if decay != "none" && decay != "cosine" {
		return badInput(fmt.Errorf("train: --lr-decay %q (want none or cosine)", decay))
	}
	if !g.changed("lr") {
		lrate = 3e-3
	}
	if epochs < 0 || batch < 1 || !(lrate > 0) {
		return badInput(errors.New("train: --epochs, --batch and --lr must be positive"))
	}
	widths, err := parseWidths(hidden)
	if err != nil {
		return badInput(fmt.Errorf("train: --hidden: %w", err))
	}
	train, test, err := loadData(data, dataDir, maxTrain, maxTest)
	if err != nil {
		return err
	}
	var m *learn.Model
	if init != "" {
		f, err := learn.Load(init)
		if err != nil {
			return badInput(err)
		}
		m = f.Model
		if m.In() != train.Dim || m.Classes() != train.Classes {
			return badInput(fmt.Errorf("train: --init %s is %v, data %s has %d inputs and %d classes", init, m.Cfg.Sizes, data, train.Dim, train.Classes))
		}
	} else {
		cfg := learn.DefaultConfig(append(append([]int{train.Dim}, widths...), train.Classes), g.int("steps"))
		cfg.Beta, cfg.BetaOut, cfg.Input = g.f64("beta"), g.f64("beta-out"), g.str("input")
		cfg.Readout = learn.ReadoutCount
		if g.changed("readout") {
			cfg.Readout = g.str("readout")
		}
		cfg.Rate, cfg.Gain, cfg.TauM, cfg.TauS, cfg.DT = g.f64("rate"), g.f64("gain"), g.f64("tau-m"), g.f64("tau-s"), g.f64("dt")
		cfg.Scale, cfg.Slope, cfg.InitGain = g.f64("scale"), g.f64("slope"), g.f64("init-gain")
		if g.err != nil {
			return g.err
		}
		cfg = deploy.SnapConfig(cfg) // the board's decays exactly
		if m, err = learn.New(cfg, seed); err != nil {
			return badInput(err)
		}
	}
	b, err := o.openBoard(cmd, a)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := checkFit(m, b); err != nil {
		return err
	}
	ctx := cmd.Context()
	runner := &deploy.BoardRunner{B: b}
	tr, err := deploy.NewTrainer(ctx, m, runner, deploy.LoopConfig{Copies: copies, Seed: seed ^ 0x6e6f697365, Units: o.units, LayerWise: vr.LayerWise})
	if err != nil {
		return badInput(err)
	}
	mt := &meteredTrainer{Trainer: tr, b: b}
	opt, err := optim.New(optName, float32(lrate))
	if err != nil {
		return badInput(err)
	}
	info := learn.Info{Method: "lr-board", Data: data, Batch: batch, Epochs: epochs, Seed: seed, Optimizer: opt.Name(),
		LR: lrate, MaxTrain: maxTrain, Copies: copies, VR: vr.String(), Baseline: "loo"}
	w := a.Out
	c := &m.Cfg
	if format == "text" {
		fmt.Fprintf(w, "# snnsim train seed=%d data=%s model=snn method=lr backend=board board=%s sizes=%v steps=%d dt=%g tau_m=%.4g tau_s=%.4g beta=%g beta_out=%g readout=%s copies=%d vr=%s optimizer=%s lr=%g batch=%d train=%d test=%d units=%g",
			seed, data, o.board, c.Sizes, c.Steps, c.DT, c.TauM, c.TauS, c.Beta, c.BetaOut, c.Readout, copies, vr, opt.Name(), lrate, batch, train.N, test.N, o.units)
		if o.mismatch != "" {
			fmt.Fprintf(w, " mismatch=%s", o.mismatch)
		}
		if init != "" {
			fmt.Fprintf(w, " init=%s", init)
		}
		fmt.Fprintf(w, " gomaxprocs=%d\n", runtime.GOMAXPROCS(0))
		fmt.Fprintf(w, "%5s %9s %8s %8s %11s\n", "epoch", "loss", "board%", "time_s", "samples/s")
	}
	evalBoard := func() (float64, error) {
		r, err := deploy.Evaluate(ctx, m, runner, test.X, test.Y, test.N, deploy.EvalOptions{Units: o.units})
		tr.Invalidate()
		if err != nil {
			return 0, err
		}
		return r.Acc, nil
	}
	prog := a.NewProgress(int64(epochs)*int64(train.N), "train snn lr on board")
	tc := lr.TrainConfig{
		Epochs: epochs, Batch: batch, Seed: seed,
		Progress: func(n int) { _ = prog.Add(n) },
		Eval:     evalBoard,
		Checkpoint: func(st lr.TrainState) error {
			f := &learn.File{Model: m, Info: info, State: &st}
			if n := len(st.History); n > 0 {
				f.Info.TestAcc = st.History[n-1].TestAcc
			}
			if err := learn.Save(out, f); err != nil {
				return err
			}
			if n := len(st.History); n > 0 && format == "text" && st.Batch == 0 {
				printSNNEpoch(w, st.History[n-1])
			}
			return nil
		},
		CheckpointEvery: ckptEvery,
		BeforeEpoch:     lrSchedule(opt, decay, lrate, epochs),
		Log:             a.Log,
	}
	state, err := lr.Train(ctx, mt, opt, lr.Data{X: train.X, Y: train.Y, N: train.N, Dim: train.Dim}, tc, lr.TrainState{})
	_ = prog.Finish()
	if err != nil {
		return err
	}
	res := boardTrainResult{Seed: seed, Data: data, Board: o.board, Mismatch: o.mismatch, Init: init, Config: m.Cfg, Copies: copies, VR: vr.String(),
		Epochs: state.History, Loop: tr.Stats(), TrainS: mt.wall.Seconds(), Out: out, SPIClockHz: float64(o.clock) / float64(physic.Hertz)}
	if n := len(state.History); n > 0 {
		res.TestAcc = state.History[n-1].TestAcc
	}
	res.FloatAcc = m.Accuracy(test.X, test.Y, test.N, false, 0)
	if mt.samples > 0 {
		res.SamplesPerS = float64(mt.samples) / mt.wall.Seconds()
		res.BytesPerS = float64(mt.bytes) / float64(mt.samples)
		res.TxPerS = float64(mt.tx) / float64(mt.samples)
		res.SPILimit = spiLimit(res.BytesPerS, res.TxPerS, o.clock, 50*time.Microsecond)
		res.SPILimitFP = spiLimit(res.BytesPerS, res.TxPerS, o.clock, time.Microsecond)
	}
	if format == "json" {
		return writeJSON(w, res)
	}
	printBoardTrain(w, &res)
	return nil
}

func printBoardTrain(w io.Writer, r *boardTrainResult) {
	l := r.Loop
	fmt.Fprintf(w, "# test accuracy on the board %.2f%% (float engine %.2f%%); wrote %s\n", 100*r.TestAcc, 100*r.FloatAcc, r.Out)
	fmt.Fprintf(w, "# chip in the loop: %d samples, %d board runs (%d ticks), %d weight write-backs, %.1f s: %.1f samples/s (board+link %.1f s, weight writes %.1f s, host %.1f s); %d impossible decisions seen by the mirror\n",
		l.Samples, l.Runs, l.Ticks, l.WeightWrites, r.TrainS, r.SamplesPerS, l.Board.Seconds(), l.Write.Seconds(), l.Host.Seconds(), l.Inconsistent)
	fmt.Fprintf(w, "# link per training sample: %.0f bytes, %.1f transactions; an SPI link at %s would allow %.1f samples/s (t_o 50 µs, spidev) or %.1f samples/s (t_o 1 µs, FPGA host)\n",
		r.BytesPerS, r.TxPerS, physic.Frequency(r.SPIClockHz)*physic.Hertz, r.SPILimit, r.SPILimitFP)
}

// runRunBoard runs a network file on the board: sim.CompileFixed, program, stream the
// input populations, summarise the board's spikes per population.
func runRunBoard(cmd *cobra.Command, a *App, o *boardDeployOpts, path string) error {
	g := &flagGetter{cmd: cmd}
	seed, format := g.u64("seed"), g.str("format")
	dur, err := cmd.Flags().GetDuration("duration")
	if err != nil {
		return err
	}
	if g.err != nil {
		return g.err
	}
	if g.str("record") != "" || g.str("plot") != "" {
		return badInput(errors.New("run --backend board: use snnsim record for traces of a board run"))
	}
	net, err := snn.Load(path)
	if err != nil {
		return badInput(err)
	}
	if dur <= 0 {
		return badInput(fmt.Errorf("run: --duration must be positive, got %v", dur))
	}
	if !cmd.Flags().Changed("seed") && net.Seed != 0 {
		seed = net.Seed
	}
	m, err := sim.CompileFixed(net, seed, sim.FixedOptions{})
	if err != nil {
		return badInput(err)
	}
	b, err := o.openBoard(cmd, a)
	if err != nil {
		return err
	}
	defer b.Close()
	if in := b.Info(); m.NumNeurons() > in.MaxNeurons || m.NumAxons() > in.MaxAxons {
		return badInput(fmt.Errorf("run --backend board: %s needs %d neurons and %d axons (input neurons), the board has %d and %d: %w",
			path, m.NumNeurons(), m.NumAxons(), in.MaxNeurons, in.MaxAxons, deploy.ErrNoFit))
	}
	steps := stepsFor(dur, net.DT)
	sum, err := recordRun(cmd, a, b, m, seed, steps)
	if err != nil {
		return err
	}
	rs := &runSummary{Network: net.Name, Seed: seed, Steps: steps, DT: net.DT, Neurons: m.NumNeurons(), Synapses: len(m.W),
		Spikes: int64(sum.Spikes), Events: int64(sum.Inputs), WallS: sum.WallS}
	bio := float64(steps) * net.DT / 1000
	counts := make([]int, m.NumNeurons())
	for _, i := range sum.rec.IDs {
		counts[i]++
	}
	for _, p := range m.Pops {
		if p.Input {
			continue
		}
		n := 0
		for _, c := range counts[p.First : p.First+p.Size] {
			n += c
		}
		rs.Pops = append(rs.Pops, popSummary{Name: p.Name, Size: p.Size, Spikes: n, Rate: float64(n) / float64(p.Size) / bio})
	}
	if err := rs.print(a.Out, format); err != nil {
		return err
	}
	if format == "text" {
		st := b.Link().Stats()
		fmt.Fprintf(a.Out, "board %s: %d input events, %d frames, %d bytes each way; spikes match the fixed-point simulator at %d of %d ticks\n",
			o.board, sum.Inputs, st.Frames, st.Bytes, steps-int64(sum.MismatchTicks), steps)
	}
	if sum.MismatchTicks > 0 && o.mismatch == "" {
		return fmt.Errorf("run: the board's spikes differ from the fixed-point simulator at %d ticks", sum.MismatchTicks)
	}
	return nil
}
