package main

// The spiking model (--model snn, package snn/learn) in the train, eval and attack
// commands. withSNN wraps those commands: it adds the flags of the spiking model to train
// and routes `train --model snn`, and eval / attack of a model file of kind snn, to the
// functions of this file; every other case runs the command as before. The only hook
// needed elsewhere is subcommands() passing its list through withSNN.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/attack"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/optim"
	"github.com/snnsim/snnsim/plot"
	"github.com/snnsim/snnsim/snn/learn"
)

// withSNN adds the spiking model to the train, eval and attack commands of cmds.
func withSNN(a *App, cmds []*cobra.Command) []*cobra.Command {
	for _, c := range cmds {
		switch c.Name() {
		case "train":
			wrapTrainSNN(a, c)
		case "eval":
			wrapModelFile(c, func(cmd *cobra.Command, args []string) error { return runEvalSNN(cmd, a, args[0]) })
		case "attack":
			wrapModelFile(c, func(cmd *cobra.Command, args []string) error { return runAttackSNN(cmd, a, args[0]) })
		}
	}
	return cmds
}

// wrapModelFile routes a command whose first argument is a model file of kind snn to run.
func wrapModelFile(c *cobra.Command, run func(*cobra.Command, []string) error) {
	orig := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 && fileKind(args[0]) == learn.Kind {
			return run(cmd, args)
		}
		return orig(cmd, args)
	}
	if c.Name() == "eval" {
		f := c.Flags()
		f.String("plot", "", "snn: write a spike raster of one test digit (.png, .svg, .pdf)")
		f.Int("plot-index", 0, "snn: which test sample --plot shows")
	}
	c.Long += "\n\nSpiking models (trained with --model snn) are simulated by the event-driven engine;\nnoise on keeps their stochastic firing. --plot draws a raster of one test digit."
}

// fileKind returns the kind a model file declares, or "" when it cannot be read.
func fileKind(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	k, err := learn.PeekKind(b)
	if err != nil {
		return ""
	}
	return k
}

func wrapTrainSNN(a *App, c *cobra.Command) {
	f := c.Flags()
	d := learn.DefaultConfig(nil, 25)
	f.Int("steps", d.Steps, "snn: time steps per sample (T)")
	f.Float64("beta", d.Beta, "snn: escape-noise scale of the hidden layers (threshold = 1)")
	f.Float64("beta-out", d.BetaOut, "snn: escape-noise scale of a spiking (count) readout")
	f.String("readout", d.Readout, "snn: leaky (non-spiking, Gaussian noise --sigma) or count (spike counts)")
	f.String("input", d.Input, "snn: poisson (rate coding) or direct (current)")
	f.Float64("rate", d.Rate, "snn: spike probability per step of a white pixel (poisson)")
	f.Float64("gain", d.Gain, "snn: drive per step of a white pixel (direct)")
	f.Float64("tau-m", d.TauM, "snn: membrane time constant, ms")
	f.Float64("tau-s", d.TauS, "snn: synaptic time constant, ms")
	f.Float64("dt", d.DT, "snn: time step, ms")
	f.Float64("scale", d.Scale, "snn: logit scale of the readout")
	f.Float64("slope", d.Slope, "snn: slope k of the fast-sigmoid surrogate (bptt, attacks)")
	f.Float64("init-gain", d.InitGain, "snn: initial weights ~ N(0, (gain/sqrt(fan-in))^2)")
	c.Use = strings.Replace(c.Use, "--model mlp", "--model mlp|snn", 1)
	c.Long += `

--model snn trains a spiking network of stochastic CuBa-LIF layers (--hidden, --steps,
--beta, --readout, --input): --method lr from its own escape-noise firing, the score
accumulated by the event-driven engine while it simulates (--copies, --vr antithetic,
layerwise; --sigma is the leaky readout's noise, default 0.2); --method bptt by
backpropagation through time with a fast-sigmoid surrogate. Default learning rate for
snn: 3e-3 (lr), 1e-3 (bptt).`
	orig := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if m, _ := cmd.Flags().GetString("model"); m == "snn" {
			return runTrainSNN(cmd, a)
		}
		return orig(cmd, args)
	}
}

// flagGetter reads flags by name; the first error sticks.
type flagGetter struct {
	cmd *cobra.Command
	err error
}

func (g *flagGetter) str(name string) string {
	v, err := g.cmd.Flags().GetString(name)
	g.keep(err)
	return v
}

func (g *flagGetter) int(name string) int {
	v, err := g.cmd.Flags().GetInt(name)
	g.keep(err)
	return v
}

func (g *flagGetter) u64(name string) uint64 {
	v, err := g.cmd.Flags().GetUint64(name)
	g.keep(err)
	return v
}

func (g *flagGetter) f64(name string) float64 {
	v, err := g.cmd.Flags().GetFloat64(name)
	g.keep(err)
	return v
}

func (g *flagGetter) changed(name string) bool { return g.cmd.Flags().Changed(name) }

func (g *flagGetter) keep(err error) {
	if err != nil && g.err == nil {
		g.err = err
	}
}

// snnTrainResult is the json output of train --model snn.
type snnTrainResult struct {
	Seed         uint64           `json:"seed"`
	Data         string           `json:"data"`
	Method       string           `json:"method"`
	Config       learn.Config     `json:"config"`
	Copies       int              `json:"copies,omitempty"`
	VR           string           `json:"vr,omitempty"`
	Baseline     string           `json:"baseline,omitempty"`
	Epochs       []lr.EpochResult `json:"epochs"`
	TestAcc      float64          `json:"test_acc"`
	TrainSeconds float64          `json:"train_seconds"`
	SamplesPerS  float64          `json:"samples_per_s"`
	PeakRSSMB    float64          `json:"peak_rss_mb"`
	Procs        int              `json:"gomaxprocs"`
	Out          string           `json:"out"`
}

func runTrainSNN(cmd *cobra.Command, a *App) error {
	g := &flagGetter{cmd: cmd}
	seed, data, dataDir := g.u64("seed"), g.str("data"), g.str("data-dir")
	method := g.str("method")
	epochs, batch, maxTrain, maxTest := g.int("epochs"), g.int("batch"), g.int("max-train"), g.int("max-test")
	copies, vrs, out, format := g.int("copies"), g.str("vr"), g.str("out"), g.str("format")
	hidden, baseline, optName := g.str("hidden"), g.str("baseline"), g.str("optimizer")
	lrate, decay, resume := g.f64("lr"), g.str("lr-decay"), g.str("resume")
	ckptEvery, workers := g.int("checkpoint-every"), g.int("workers")
	if g.err != nil {
		return g.err
	}
	if method == "bp" {
		method = "bptt"
	}
	if method != "lr" && method != "bptt" {
		return badInput(fmt.Errorf("train: --model snn --method %q (want lr or bptt)", method))
	}
	if format != "text" && format != "json" {
		return badInput(fmt.Errorf("train: --format %q (want text or json)", format))
	}
	if decay != "none" && decay != "cosine" {
		return badInput(fmt.Errorf("train: --lr-decay %q (want none or cosine)", decay))
	}
	if !g.changed("lr") {
		lrate = 3e-3
		if method == "bptt" {
			lrate = 1e-3
		}
	}
	if epochs < 0 || batch < 1 || !(lrate > 0) {
		return badInput(errors.New("train: --epochs, --batch and --lr must be positive"))
	}
	vr, err := lr.ParseVR(vrs)
	if err != nil {
		return badInput(err)
	}
	base, err := lr.ParseBaseline(baseline)
	if err != nil {
		return badInput(err)
	}
	widths, err := parseWidths(hidden)
	if err != nil {
		return badInput(fmt.Errorf("train: --hidden: %w", err))
	}
	train, test, err := loadData(data, dataDir, maxTrain, maxTest)
	if err != nil {
		return err
	}
	cfg := learn.DefaultConfig(append(append([]int{train.Dim}, widths...), train.Classes), g.int("steps"))
	cfg.Beta, cfg.BetaOut, cfg.Readout, cfg.Input = g.f64("beta"), g.f64("beta-out"), g.str("readout"), g.str("input")
	cfg.Rate, cfg.Gain, cfg.TauM, cfg.TauS, cfg.DT = g.f64("rate"), g.f64("gain"), g.f64("tau-m"), g.f64("tau-s"), g.f64("dt")
	cfg.Scale, cfg.Slope, cfg.InitGain = g.f64("scale"), g.f64("slope"), g.f64("init-gain")
	if g.changed("sigma") {
		cfg.Sigma = g.f64("sigma")
	}
	if g.err != nil {
		return g.err
	}
	opt, err := optim.New(optName, float32(lrate))
	if err != nil {
		return badInput(err)
	}
	var m *learn.Model
	var state lr.TrainState
	if resume != "" {
		f, err := learn.Load(resume)
		if err != nil {
			return badInput(err)
		}
		m = f.Model
		var ost *optim.State
		var oname string
		if f.Optimizer != nil {
			oname, ost = f.Optimizer.Name, &f.Optimizer.State
		}
		if state, err = resumeState(opt, f.State, oname, ost); err != nil {
			return err
		}
		if m.In() != train.Dim || m.Classes() != train.Classes {
			return badInput(fmt.Errorf("train: checkpoint %s is %v, data %s has %d inputs and %d classes",
				resume, m.Cfg.Sizes, data, train.Dim, train.Classes))
		}
	} else {
		if m, err = learn.New(cfg, seed); err != nil {
			return badInput(err)
		}
	}
	m.Workers = workers
	info := learn.Info{Method: method, Data: data, Batch: batch, Epochs: epochs, Seed: seed, Optimizer: opt.Name(),
		LR: lrate, MaxTrain: maxTrain}
	var learner lr.Learner
	if method == "lr" {
		e, err := learn.NewLR(m, learn.LRConfig{Copies: copies, VR: vr, Baseline: base, Seed: seed ^ 0x6e6f697365, Workers: workers})
		if err != nil {
			return badInput(err)
		}
		learner = e
		info.Copies, info.VR, info.Baseline = copies, vr.String(), e.Baseline().String()
	} else {
		learner = learn.NewBPTT(m, learn.BPTTConfig{Seed: seed ^ 0x6e6f697365, Workers: workers})
	}
	w := a.Out
	c := &m.Cfg
	if format == "text" {
		fmt.Fprintf(w, "# snnsim train seed=%d data=%s model=snn method=%s sizes=%v steps=%d dt=%g tau_m=%g tau_s=%g beta=%g readout=%s input=%s",
			seed, data, method, c.Sizes, c.Steps, c.DT, c.TauM, c.TauS, c.Beta, c.Readout, c.Input)
		if method == "lr" {
			fmt.Fprintf(w, " copies=%d vr=%s baseline=%s sigma=%g", copies, vr, info.Baseline, c.Sigma)
		}
		fmt.Fprintf(w, " optimizer=%s lr=%g lr_decay=%s batch=%d train=%d test=%d gomaxprocs=%d\n",
			opt.Name(), lrate, decay, batch, train.N, test.N, runtime.GOMAXPROCS(0))
		fmt.Fprintf(w, "%5s %9s %8s %8s %11s\n", "epoch", "loss", "test%", "time_s", "samples/s")
	}
	total := int64(epochs-state.Epoch)*int64(train.N) - int64(state.Batch*batch)
	prog := a.NewProgress(max(total, 0), "train snn "+method)
	save := func(st lr.TrainState) error {
		f := &learn.File{Model: m, Info: info, State: &st,
			Optimizer: &learn.OptimizerState{Name: opt.Name(), LR: float32(lrate), State: opt.State()}}
		if n := len(st.History); n > 0 {
			f.Info.TestAcc = st.History[n-1].TestAcc
		}
		return learn.Save(out, f)
	}
	tc := lr.TrainConfig{
		Epochs: epochs, Batch: batch, Seed: seed,
		Progress: func(n int) { _ = prog.Add(n) },
		Eval: func() (float64, error) {
			return m.Accuracy(test.X, test.Y, test.N, false, 0), nil
		},
		Checkpoint: func(st lr.TrainState) error {
			if err := save(st); err != nil {
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
	state, err = lr.Train(cmd.Context(), learner, opt, lr.Data{X: train.X, Y: train.Y, N: train.N, Dim: train.Dim}, tc, state)
	_ = prog.Finish()
	if err != nil {
		return err
	}
	res := snnTrainResult{Seed: seed, Data: data, Method: method, Config: m.Cfg, Epochs: state.History,
		PeakRSSMB: rssPeakMB(), Procs: runtime.GOMAXPROCS(0), Out: out}
	if method == "lr" {
		res.Copies, res.VR, res.Baseline = copies, vr.String(), info.Baseline
	}
	var samples int
	for _, e := range state.History {
		res.TrainSeconds += e.Seconds
		samples += e.Samples
	}
	if n := len(state.History); n > 0 {
		res.TestAcc = state.History[n-1].TestAcc
	}
	if res.TrainSeconds > 0 {
		res.SamplesPerS = float64(samples) / res.TrainSeconds
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(w, "# test accuracy %.2f%%, %.1f s training, %.0f samples/s, peak RSS %.0f MB; wrote %s\n",
		100*res.TestAcc, res.TrainSeconds, res.SamplesPerS, res.PeakRSSMB, out)
	return nil
}

// loadSNN loads a spiking model file and the test set it fits.
func loadSNN(path, data, dataDir string, maxTest int) (*learn.File, string, []float32, []uint8, int, error) {
	f, err := learn.Load(path)
	if err != nil {
		return nil, "", nil, nil, 0, badInput(err)
	}
	data, x, y, n, err := snnTestData(f, data, dataDir, maxTest)
	if err != nil {
		return nil, "", nil, nil, 0, err
	}
	return f, data, x, y, n, nil
}

// snnTestData loads the test set of a spiking model (data, or the one it was trained on)
// and checks that it fits the model.
func snnTestData(f *learn.File, data, dataDir string, maxTest int) (string, []float32, []uint8, int, error) {
	if data == "" {
		data = f.Info.Data
	}
	if data == "" {
		data = "mnist"
	}
	_, test, err := loadData(data, dataDir, 1, maxTest)
	if err != nil {
		return "", nil, nil, 0, err
	}
	if test.Dim != f.Model.In() || test.Classes != f.Model.Classes() {
		return "", nil, nil, 0, badInput(fmt.Errorf("model %v does not fit %s (%d inputs, %d classes)", f.Model.Cfg.Sizes, data, test.Dim, test.Classes))
	}
	return data, test.X, test.Y, test.N, nil
}

func runEvalSNN(cmd *cobra.Command, a *App, path string) error {
	g := &flagGetter{cmd: cmd}
	data, dataDir, maxTest, draws := g.str("data"), g.str("data-dir"), g.int("max-test"), g.int("noise-draws")
	seed, sigma, format, plotPath, plotIdx := g.u64("seed"), g.f64("sigma"), g.str("format"), g.str("plot"), g.int("plot-index")
	if g.err != nil {
		return g.err
	}
	if format != "text" && format != "json" {
		return badInput(fmt.Errorf("eval: --format %q (want text or json)", format))
	}
	f, data, x, y, n, err := loadSNN(path, data, dataDir, maxTest)
	if err != nil {
		return err
	}
	m := f.Model
	if sigma >= 0 {
		m.Cfg.Sigma = sigma
	}
	t0 := time.Now()
	res := struct {
		Model    string       `json:"model"`
		Data     string       `json:"data"`
		N        int          `json:"n"`
		Seed     uint64       `json:"seed"`
		Info     learn.Info   `json:"info"`
		Config   learn.Config `json:"config"`
		Clean    float64      `json:"acc"`
		Noisy    []float64    `json:"acc_noisy,omitempty"`
		NoisyAvg float64      `json:"acc_noisy_mean,omitempty"`
		Seconds  float64      `json:"seconds"`
		Plot     string       `json:"plot,omitempty"`
	}{Model: path, Data: data, N: n, Seed: seed, Info: f.Info, Config: m.Cfg}
	res.Clean = m.Accuracy(x, y, n, false, 0)
	for d := range draws {
		acc := m.Accuracy(x, y, n, true, lr.Hash(seed, uint64(d)))
		res.Noisy = append(res.Noisy, acc)
		res.NoisyAvg += acc / float64(draws)
	}
	res.Seconds = time.Since(t0).Seconds()
	if plotPath != "" {
		if plotIdx < 0 || plotIdx >= n {
			return badInput(fmt.Errorf("eval: --plot-index %d out of range [0,%d)", plotIdx, n))
		}
		in := m.In()
		run, rec, z, err := m.Response(x[plotIdx*in:(plotIdx+1)*in], false, 0)
		if err != nil {
			return err
		}
		tr := run.Trace(rec, "snnsim eval")
		title := fmt.Sprintf("%s: test sample %d (label %d, predicted %d), %d steps", path, plotIdx, y[plotIdx], argmaxF(z), m.Cfg.Steps)
		if err := plot.Raster(tr, plotPath, plot.RasterOptions{Title: title}); err != nil {
			return err
		}
		res.Plot = plotPath
	}
	if format == "json" {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	c := &m.Cfg
	fmt.Fprintf(a.Out, "# snnsim eval %s seed=%d data=%s n=%d model=snn sizes=%v steps=%d method=%s beta=%g readout=%s sigma=%g\n",
		path, seed, data, n, c.Sizes, c.Steps, f.Info.Method, c.Beta, c.Readout, c.Sigma)
	fmt.Fprintf(a.Out, "accuracy (noise off)  %.2f%%\n", 100*res.Clean)
	if draws > 0 {
		fmt.Fprintf(a.Out, "accuracy (noise on)   %.2f%% (mean of %d draws)\n", 100*res.NoisyAvg, draws)
	}
	if res.Plot != "" {
		fmt.Fprintf(a.Out, "wrote %s\n", res.Plot)
	}
	return nil
}

func argmaxF(z []float32) int {
	best := 0
	for i, v := range z {
		if v > z[best] {
			best = i
		}
	}
	return best
}

func runAttackSNN(cmd *cobra.Command, a *App, path string) error {
	g := &flagGetter{cmd: cmd}
	attacks, epsS, settingsS, surPath := g.str("attack"), g.str("eps"), g.str("setting"), g.str("surrogate")
	data, dataDir, maxTest, eot, batch := g.str("data"), g.str("data-dir"), g.int("max-test"), g.int("eot-samples"), g.int("batch")
	seed, sigma, format := g.u64("seed"), g.f64("sigma"), g.str("format")
	if g.err != nil {
		return g.err
	}
	if format != "text" && format != "json" {
		return badInput(fmt.Errorf("attack: --format %q (want text or json)", format))
	}
	kinds, err := attack.ParseKinds(attacks)
	if err != nil {
		return badInput(err)
	}
	eps, err := parseFloatList(epsS)
	if err != nil {
		return badInput(fmt.Errorf("attack: --eps: %w", err))
	}
	var settings []attack.Setting
	for _, s := range strings.Split(settingsS, ",") {
		st, err := attack.ParseSetting(strings.TrimSpace(s))
		if err != nil {
			return badInput(err)
		}
		settings = append(settings, st)
	}
	f, _, x, y, n, err := loadSNN(path, data, dataDir, maxTest)
	if err != nil {
		return err
	}
	m := f.Model
	if sigma >= 0 {
		m.Cfg.Sigma = sigma
	}
	var sur attack.Model
	if surPath != "" {
		switch fileKind(surPath) {
		case learn.Kind:
			sf, err := learn.Load(surPath)
			if err != nil {
				return badInput(err)
			}
			sur = sf.Model
		default:
			sf, err := mlp.Load(surPath)
			if err != nil {
				return badInput(err)
			}
			sf.Model.Prepare()
			sur = sf.Model
		}
	}
	var tables []*attack.Table
	for _, st := range settings {
		ac := attack.Config{Kinds: kinds, Eps: eps, Setting: st, EOTSamples: eot, Seed: seed, Batch: batch}
		if st == attack.Transfer {
			if sur == nil {
				return badInput(errors.New("attack: --setting transfer needs --surrogate MODEL"))
			}
			ac.Surrogate = sur
		}
		t, err := attack.Run(m, x, y, n, ac)
		if err != nil {
			return err
		}
		tables = append(tables, t)
		if format == "text" {
			printSNNTable(a.Out, path, f, t)
		}
	}
	if format == "json" {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"model": path, "info": f.Info, "config": m.Cfg, "tables": tables})
	}
	return nil
}

func printSNNTable(w io.Writer, path string, f *learn.File, t *attack.Table) {
	c := &f.Model.Cfg
	fmt.Fprintf(w, "# snnsim attack %s setting=%s seed=%d n=%d model=snn method=%s steps=%d beta=%g sigma=%g",
		path, t.Setting, t.Seed, t.N, f.Info.Method, c.Steps, c.Beta, c.Sigma)
	if t.EOT > 0 {
		fmt.Fprintf(w, " eot_samples=%d", t.EOT)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-8s %7s", "attack", "clean")
	for _, e := range t.Eps {
		fmt.Fprintf(w, " %7s", fmt.Sprintf("ε=%g", e))
	}
	fmt.Fprintln(w)
	for _, r := range t.Rows {
		fmt.Fprintf(w, "%-8s %7.2f", r.Attack, 100*t.Clean)
		for _, v := range r.Acc {
			fmt.Fprintf(w, " %7.2f", 100*v)
		}
		fmt.Fprintln(w)
	}
}

// printSNNEpoch prints one epoch line of a spiking model's training (simulator or board).
func printSNNEpoch(w io.Writer, e lr.EpochResult) {
	fmt.Fprintf(w, "%5d %9.4f %8.2f %8.1f %11.1f\n", e.Epoch, e.Loss, 100*e.TestAcc, e.Seconds, float64(e.Samples)/e.Seconds)
}
