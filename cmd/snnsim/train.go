package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/optim"
)

type trainOpts struct {
	seed                             uint64
	data, dataDir, model, method     string
	epochs, batch, maxTrain, maxTest int
	copies                           int
	sigma                            float64
	vr, out, format                  string
	hidden, act, loss, law, baseline string
	optimizer                        string
	lrate                            float64
	resume, lrDecay                  string
	ckptEvery, workers               int
	bpNoise                          bool
}

func newTrainCmd(a *App) *cobra.Command {
	o := trainOpts{}
	c := &cobra.Command{
		Use:   "train --model mlp --method lr|bp --data mnist|fashion",
		Short: "Train a model by the likelihood-ratio method (lr) or backpropagation (bp)",
		Long: `train fits a model on a dataset and writes it (atomically, after every epoch) to --out.

--method lr trains with the likelihood-ratio estimator: every layer adds noise of scale
--sigma (law --law) to its pre-activation, --copies noise copies per sample, optional
variance reductions --vr antithetic,layerwise,qmc. --method bp is plain backpropagation.
--resume continues a run from a checkpoint written by an earlier train (same settings).

Each epoch prints one line: loss, test accuracy, wall time, samples/s and forward passes/s.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, a, o) },
	}
	f := c.Flags()
	f.Uint64Var(&o.seed, "seed", 1, "seed of initial weights, shuffling and noise")
	f.StringVar(&o.data, "data", "mnist", "dataset: mnist or fashion")
	f.StringVar(&o.dataDir, "data-dir", "", "folder of the dataset files (default: see snnsim docs)")
	f.StringVar(&o.model, "model", "mlp", "model kind (mlp)")
	f.StringVar(&o.method, "method", "lr", "gradient estimator: lr or bp")
	f.IntVar(&o.epochs, "epochs", 5, "epochs")
	f.IntVar(&o.batch, "batch", 100, "mini-batch size")
	f.IntVar(&o.maxTrain, "max-train", 0, "use the first N training samples (0: all)")
	f.IntVar(&o.maxTest, "max-test", 0, "use the first N test samples (0: all)")
	f.IntVar(&o.copies, "copies", 10, "LR noise copies per sample (K)")
	f.Float64Var(&o.sigma, "sigma", 0.1, "LR noise scale of every layer")
	f.StringVar(&o.vr, "vr", "layerwise", "variance reductions: antithetic,layerwise,qmc or none; positionwise (--model cnn): one output position per copy")
	f.StringVar(&o.out, "out", "model.snnm", "where the model is written")
	f.StringVar(&o.format, "format", "text", "text or json")
	f.StringVar(&o.hidden, "hidden", "500", "hidden layer widths, comma-separated")
	f.StringVar(&o.act, "act", "relu", "hidden activation: relu, sigmoid, tanh, step, sign")
	f.StringVar(&o.loss, "loss", "ce", "loss: ce (cross-entropy) or 01 (zero-one, LR only)")
	f.StringVar(&o.law, "law", "gaussian", "LR noise law: gaussian, logistic, laplace")
	f.StringVar(&o.baseline, "baseline", "auto", "LR baseline: auto, loo, clean, none")
	f.StringVar(&o.optimizer, "optimizer", "adam", "optimizer: adam or sgd (momentum 0.9)")
	f.Float64Var(&o.lrate, "lr", 1e-3, "learning rate")
	f.StringVar(&o.lrDecay, "lr-decay", "none", "learning-rate schedule over the epochs: none or cosine (to 0)")
	f.StringVar(&o.resume, "resume", "", "checkpoint to resume from")
	f.IntVar(&o.ckptEvery, "checkpoint-every", 0, "also checkpoint every N steps (0: every epoch)")
	f.IntVar(&o.workers, "workers", 0, "goroutines (0: GOMAXPROCS); results do not depend on it")
	f.BoolVar(&o.bpNoise, "bp-noise", false, "with --method bp: backpropagate through the noise of --sigma (pathwise; the control for LR)")
	return c
}

// trainResult is the json output of train.
type trainResult struct {
	Seed          uint64           `json:"seed"`
	Data          string           `json:"data"`
	Method        string           `json:"method"`
	Sizes         []int            `json:"sizes"`
	Copies        int              `json:"copies,omitempty"`
	Sigma         float64          `json:"sigma,omitempty"`
	VR            string           `json:"vr,omitempty"`
	Baseline      string           `json:"baseline,omitempty"`
	Epochs        []lr.EpochResult `json:"epochs"`
	TestAcc       float64          `json:"test_acc"`
	TrainSeconds  float64          `json:"train_seconds"`
	SamplesPerS   float64          `json:"samples_per_s"`
	ForwardsPerS  float64          `json:"forwards_per_s"`
	CPUSeconds    float64          `json:"train_cpu_seconds"`
	SamplesPerCPU float64          `json:"samples_per_cpu_s"`
	PeakRSSMB     float64          `json:"peak_rss_mb"`
	Procs         int              `json:"gomaxprocs"`
	Out           string           `json:"out"`
}

// loadData loads a dataset by name, limited to the first maxTrain / maxTest samples.
func loadData(name, dir string, maxTrain, maxTest int) (train, test *dataset.Set, err error) {
	name, pool, err := splitPool(name)
	if err != nil {
		return nil, nil, badInput(err)
	}
	train, test, err = dataset.Load(name, dir)
	if err != nil {
		if errors.Is(err, dataset.ErrNotFound) || errors.Is(err, dataset.ErrUnknown) {
			return nil, nil, badInput(err)
		}
		return nil, nil, err
	}
	if maxTrain > 0 {
		train = train.Subset(maxTrain)
	}
	if maxTest > 0 {
		test = test.Subset(maxTest)
	}
	if train, err = poolSet(train, pool); err != nil {
		return nil, nil, badInput(err)
	}
	if test, err = poolSet(test, pool); err != nil {
		return nil, nil, badInput(err)
	}
	return train, test, nil
}

func runTrain(cmd *cobra.Command, a *App, o trainOpts) error {
	if o.model != "mlp" {
		return badInput(fmt.Errorf("train: --model %q: this build trains mlp", o.model))
	}
	if o.method != "lr" && o.method != "bp" {
		return badInput(fmt.Errorf("train: --method %q (want lr or bp)", o.method))
	}
	if o.format != "text" && o.format != "json" {
		return badInput(fmt.Errorf("train: --format %q (want text or json)", o.format))
	}
	vr, err := lr.ParseVR(o.vr)
	if err != nil {
		return badInput(err)
	}
	law, err := lr.LawByName(o.law)
	if err != nil {
		return badInput(err)
	}
	base, err := lr.ParseBaseline(o.baseline)
	if err != nil {
		return badInput(err)
	}
	loss, err := mlp.ParseLoss(o.loss)
	if err != nil {
		return badInput(err)
	}
	act, err := mlp.ParseAct(o.act)
	if err != nil {
		return badInput(err)
	}
	hidden, err := parseWidths(o.hidden)
	if err != nil {
		return badInput(fmt.Errorf("train: --hidden: %w", err))
	}
	if o.lrDecay != "none" && o.lrDecay != "cosine" {
		return badInput(fmt.Errorf("train: --lr-decay %q (want none or cosine)", o.lrDecay))
	}
	if o.epochs < 0 || o.batch < 1 || o.sigma < 0 || o.lrate <= 0 {
		return badInput(errors.New("train: --epochs, --batch, --sigma and --lr must be positive"))
	}
	train, test, err := loadData(o.data, o.dataDir, o.maxTrain, o.maxTest)
	if err != nil {
		return err
	}
	sizes := append(append([]int{train.Dim}, hidden...), train.Classes)
	var m *mlp.MLP
	var state lr.TrainState
	var evalCPU float64
	opt, err := optim.New(o.optimizer, float32(o.lrate))
	if err != nil {
		return badInput(err)
	}
	if o.resume != "" {
		f, err := mlp.Load(o.resume)
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
				o.resume, m.Sizes(), o.data, train.Dim, train.Classes))
		}
	} else {
		m, err = mlp.New(sizes, act, float32(o.sigma), o.seed)
		if err != nil {
			return badInput(err)
		}
		m.Law = law
	}
	m.Workers = o.workers
	m.Prepare()
	var learner lr.Learner
	info := mlp.Info{Method: o.method, Data: o.data, Loss: loss.Name(), Batch: o.batch, Epochs: o.epochs,
		Seed: o.seed, Optimizer: opt.Name(), LR: o.lrate, LRDecay: o.lrDecay, MaxTrain: o.maxTrain}
	if o.method == "lr" {
		est, err := lr.NewEstimator(m.Stages(), loss, lr.Config{Copies: o.copies, Law: m.Law, VR: vr,
			Baseline: base, Seed: o.seed ^ 0x6e6f697365, Workers: o.workers})
		if err != nil {
			return badInput(err)
		}
		learner = est
		info.Copies, info.VR, info.Baseline = o.copies, vr.String(), est.Baseline().String()
	} else if o.bpNoise {
		bp, err := mlp.NewNoisyBP(m, loss, o.seed^0x6e6f697365)
		if err != nil {
			return badInput(err)
		}
		learner = bp
		info.Method = "bp-noise"
	} else {
		bp, err := mlp.NewBP(m, loss)
		if err != nil {
			return badInput(err)
		}
		learner = bp
	}
	total := int64(o.epochs-state.Epoch)*int64(train.N) - int64(state.Batch*o.batch)
	prog := a.NewProgress(max(total, 0), "train "+o.method)
	w := a.Out
	if o.format == "text" {
		fmt.Fprintf(w, "# snnsim train seed=%d data=%s method=%s sizes=%v act=%s loss=%s", o.seed, o.data, o.method, m.Sizes(), act, loss.Name())
		if o.method == "lr" {
			fmt.Fprintf(w, " copies=%d sigma=%g law=%s vr=%s baseline=%s", o.copies, o.sigma, m.Law.Name(), vr, info.Baseline)
		}
		fmt.Fprintf(w, " optimizer=%s lr=%g lr_decay=%s batch=%d train=%d test=%d gomaxprocs=%d\n", opt.Name(), o.lrate, o.lrDecay, o.batch, train.N, test.N, runtime.GOMAXPROCS(0))
		fmt.Fprintf(w, "%5s %9s %8s %8s %11s %12s\n", "epoch", "loss", "test%", "time_s", "samples/s", "forwards/s")
	}
	save := func(st lr.TrainState) error {
		f := &mlp.File{Model: m, Info: info, State: &st}
		s := opt.State()
		f.Optimizer = &mlp.OptimizerState{Name: opt.Name(), LR: float32(o.lrate), State: s}
		if n := len(st.History); n > 0 {
			f.Info.TestAcc = st.History[n-1].TestAcc
		}
		return mlp.Save(o.out, f)
	}
	cfg := lr.TrainConfig{
		Epochs: o.epochs, Batch: o.batch, Seed: o.seed,
		Progress: func(n int) { _ = prog.Add(n) },
		Eval: func() (float64, error) {
			c0 := cpuSeconds()
			acc := m.Accuracy(test.X, test.Y, test.N, false, 0)
			evalCPU += cpuSeconds() - c0
			return acc, nil
		},
		Checkpoint: func(st lr.TrainState) error {
			if err := save(st); err != nil {
				return err
			}
			if n := len(st.History); n > 0 && o.format == "text" && st.Batch == 0 {
				printEpoch(w, st.History[n-1])
			}
			return nil
		},
		CheckpointEvery: o.ckptEvery,
		BeforeEpoch:     lrSchedule(opt, o.lrDecay, o.lrate, o.epochs),
		Prepare:         m.Prepare,
		Log:             a.Log,
	}
	start, cpu0 := time.Now(), cpuSeconds()
	state, err = lr.Train(cmd.Context(), learner, opt, lr.Data{X: train.X, Y: train.Y, N: train.N, Dim: train.Dim}, cfg, state)
	_ = prog.Finish()
	if err != nil {
		return err
	}
	cpu := cpuSeconds() - cpu0 - evalCPU
	a.Log.Debug("train done", "wall", time.Since(start), "cpu", cpu)
	res := trainResult{Seed: o.seed, Data: o.data, Method: o.method, Sizes: m.Sizes(), Epochs: state.History,
		PeakRSSMB: rssPeakMB(), Procs: runtime.GOMAXPROCS(0), Out: o.out}
	if o.method == "lr" {
		res.Copies, res.Sigma, res.VR, res.Baseline = o.copies, o.sigma, vr.String(), info.Baseline
	}
	var samples, forwards int
	for _, e := range state.History {
		res.TrainSeconds += e.Seconds
		samples += e.Samples
		forwards += e.Forwards
	}
	if n := len(state.History); n > 0 {
		res.TestAcc = state.History[n-1].TestAcc
	}
	res.CPUSeconds = cpu
	if cpu > 0 {
		res.SamplesPerCPU = float64(samples) / cpu
	}
	if res.TrainSeconds > 0 {
		res.SamplesPerS = float64(samples) / res.TrainSeconds
		res.ForwardsPerS = float64(forwards) / res.TrainSeconds
	}
	if o.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(w, "# test accuracy %.2f%%, %.1f s training (%.1f CPU s), %.0f samples/s, %.0f forwards/s, %.0f samples per CPU s, peak RSS %.0f MB; wrote %s\n",
		100*res.TestAcc, res.TrainSeconds, res.CPUSeconds, res.SamplesPerS, res.ForwardsPerS, res.SamplesPerCPU, res.PeakRSSMB, o.out)
	return nil
}

func printEpoch(w io.Writer, e lr.EpochResult) {
	fmt.Fprintf(w, "%5d %9.4f %8.2f %8.2f %11.0f %12.0f\n", e.Epoch, e.Loss, 100*e.TestAcc, e.Seconds,
		float64(e.Samples)/e.Seconds, float64(e.Forwards)/e.Seconds)
}

func parseWidths(s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseFloatList(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%q is not a non-negative number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// rssPeakMB returns the process's peak resident set size in MB (Linux), or 0.
func rssPeakMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// cpuSeconds returns the CPU time (user + system) the process has used, from
// /proc/self/stat (Linux; clock ticks of 10 ms), or 0 where that file does not exist.
func cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses and may hold spaces).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// resumeState returns the training state a checkpoint carries (zero for a bare model)
// and restores the checkpoint's optimizer state (name, st; st nil when it has none) into
// opt, refusing a checkpoint trained with another optimizer. Errors are bad input.
func resumeState(opt optim.Optimizer, ts *lr.TrainState, name string, st *optim.State) (lr.TrainState, error) {
	var state lr.TrainState
	if ts != nil {
		state = *ts
	}
	if st == nil {
		return state, nil
	}
	if name != opt.Name() {
		return state, badInput(fmt.Errorf("train: checkpoint was trained with %s, not %s", name, opt.Name()))
	}
	if err := opt.SetState(*st); err != nil {
		return state, badInput(err)
	}
	return state, nil
}

// lrSchedule returns the BeforeEpoch hook of a learning-rate schedule: with decay
// "cosine", epoch e (from 0) runs at lrate·½(1 + cos(π e / epochs)); otherwise the rate
// stays as set.
func lrSchedule(opt optim.Optimizer, decay string, lrate float64, epochs int) func(int) {
	return func(e int) {
		if decay == "cosine" && epochs > 0 {
			opt.SetLR(float32(lrate * 0.5 * (1 + math.Cos(math.Pi*float64(e)/float64(epochs)))))
		}
	}
}
