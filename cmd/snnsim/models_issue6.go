package main

// The cnn, rnn and gnn model kinds of train, eval and attack (issue 6). withNets
// wraps the three commands: it adds the flags these kinds need and routes --model
// cnn|rnn|gnn (train) or a model file of those kinds (eval, attack) here, leaving the mlp
// path untouched.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/snnsim/snnsim/attack"
	"github.com/snnsim/snnsim/cnn"
	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/gnn"
	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/optim"
	"github.com/snnsim/snnsim/rnn"
)

// withNets adds the cnn, rnn and gnn kinds to the train, eval and attack commands.
func withNets(a *App, cmds []*cobra.Command) []*cobra.Command {
	for _, c := range cmds {
		switch c.Name() {
		case "train":
			wrapNetTrain(a, c)
		case "eval", "attack":
			wrapNetFile(a, c)
		}
	}
	return cmds
}

// Default architectures of the cnn kind, by dataset.
var netCNNArch = map[string]string{
	"mnist":   "c16k5,mp2,c32k5,mp2,d128",
	"fashion": "c16k5,mp2,c32k5,mp2,d128",
	"cifar10": "c32k3,mp2,c64k3,mp2,c64k3,mp2,d128",
}

func wrapNetTrain(a *App, c *cobra.Command) {
	f := c.Flags()
	f.String("arch", "", "cnn: layers, e.g. c16k5,mp2,c32k5,mp2,d128 (default by dataset); gnn: layer kinds, e.g. gcn,gcn or sage,sage")
	f.String("cell", "gru", "rnn: cell, elman or gru")
	f.Float64("dropout", 0.5, "gnn: dropout probability on every layer's input (training)")
	f.Float64("weight-decay", 5e-4, "gnn: L2 weight decay added to the weight gradients")
	f.Float64("ema", 0, "cnn, rnn: evaluate and save a moving average of the weights with this decay per step, e.g. 0.9995 (0: off)")
	if m := f.Lookup("model"); m != nil {
		m.Usage = "model kind: mlp, cnn, rnn or gnn"
	}
	c.Use = "train --model mlp|cnn|rnn|gnn --method lr|bp --data DATA"
	c.Long += `

--model cnn trains a convolutional network (--arch, default by dataset: ` + netCNNArch["mnist"] + ` for
MNIST and Fashion-MNIST, ` + netCNNArch["cifar10"] + ` for CIFAR-10); LR puts noise of scale
--sigma on every output of every convolution and dense layer; with --vr positionwise each
copy perturbs one output position of one layer instead (cnn.PosLR: far lower variance for
the convolutions, and cheaper copies). --ema D evaluates and saves a moving average of the
weights (cnn, rnn). --model rnn trains a recurrent
network (--cell elman|gru, --hidden width, default 128) on a sequence dataset (smnist): LR
draws fresh noise at every step and does no backpropagation through time; --method bp (or
bptt) is BPTT. --model gnn trains a graph network on cora or citeseer (--arch gcn,gcn or
sage,sage, --hidden width, default 16), full batch: one epoch is one step (default 200
steps, learning rate 0.01, --dropout 0.5, --weight-decay 5e-4).`
	orig := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		kind, _ := cmd.Flags().GetString("model")
		if e, _ := cmd.Flags().GetFloat64("ema"); e != 0 && kind != "cnn" && kind != "rnn" {
			return badInput(fmt.Errorf("train: --ema is for --model cnn and rnn, not %s", kind))
		}
		if v, _ := cmd.Flags().GetString("vr"); kind != "cnn" {
			if vr, err := lr.ParseVR(v); err == nil && vr.PositionWise {
				return badInput(errors.New("train: --vr positionwise is for --model cnn"))
			}
		}
		switch kind {
		case "cnn", "rnn":
			return netTrainRows(cmd, a, kind)
		case "gnn":
			return netTrainGraph(cmd, a)
		}
		return orig(cmd, args)
	}
}

func wrapNetFile(a *App, c *cobra.Command) {
	orig := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			kind, _ := nncore.PeekKind(args[0])
			switch {
			case c.Name() == "eval" && (kind == cnn.Kind || kind == rnn.Kind):
				return netEvalRows(cmd, a, args[0])
			case c.Name() == "eval" && kind == gnn.ModelKind:
				return netEvalGraph(cmd, a, args[0])
			case c.Name() == "attack" && (kind == cnn.Kind || kind == rnn.Kind):
				return netAttackRows(cmd, a, args[0])
			case c.Name() == "attack" && kind == gnn.ModelKind:
				return netAttackGraph(cmd, a, args[0])
			}
		}
		return orig(cmd, args)
	}
}

// flags reads flags by name; the first error sticks.
type netFlags struct {
	fs  *pflag.FlagSet
	err error
}

func (f *netFlags) str(name string) string {
	v, err := f.fs.GetString(name)
	f.keep(err)
	return v
}

func (f *netFlags) int(name string) int {
	v, err := f.fs.GetInt(name)
	f.keep(err)
	return v
}

func (f *netFlags) float(name string) float64 {
	v, err := f.fs.GetFloat64(name)
	f.keep(err)
	return v
}

func (f *netFlags) u64(name string) uint64 {
	v, err := f.fs.GetUint64(name)
	f.keep(err)
	return v
}

func (f *netFlags) keep(err error) {
	if f.err == nil && err != nil {
		f.err = err
	}
}

// set reports whether the user set a flag (on the command line, in the environment or
// in the config file, which leave Changed false).
func (f *netFlags) set(name string) bool {
	fl := f.fs.Lookup(name)
	return fl != nil && (fl.Changed || fl.Value.String() != fl.DefValue)
}

// netTrainSettings are the train flags the cnn, rnn and gnn kinds use.
type netTrainSettings struct {
	seed                                   uint64
	data, dataDir, method, out, format     string
	epochs, batch, maxTrain, maxTest       int
	copies, ckptEvery, workers             int
	sigma, lrate, dropout, wd, ema         float64
	arch, cell, hidden, act, loss, law     string
	vr, baseline, optimizer, resume, decay string
}

func readNetTrain(cmd *cobra.Command, kind string) (netTrainSettings, error) {
	f := &netFlags{fs: cmd.Flags()}
	s := netTrainSettings{seed: f.u64("seed"), data: f.str("data"), dataDir: f.str("data-dir"), method: f.str("method"),
		out: f.str("out"), format: f.str("format"), epochs: f.int("epochs"), batch: f.int("batch"),
		maxTrain: f.int("max-train"), maxTest: f.int("max-test"), copies: f.int("copies"),
		ckptEvery: f.int("checkpoint-every"), workers: f.int("workers"), sigma: f.float("sigma"),
		lrate: f.float("lr"), dropout: f.float("dropout"), wd: f.float("weight-decay"), arch: f.str("arch"),
		cell: f.str("cell"), hidden: f.str("hidden"), act: f.str("act"), loss: f.str("loss"), law: f.str("law"),
		vr: f.str("vr"), baseline: f.str("baseline"), optimizer: f.str("optimizer"), resume: f.str("resume"),
		decay: f.str("lr-decay"), ema: f.float("ema")}
	if f.err != nil {
		return s, f.err
	}
	if kind == "gnn" && !f.set("vr") {
		// The graph estimator has no layer-wise injection, and antithetic pairs double
		// its variance on Cora (gnn's TestVarianceTable): plain noise, leave-one-out.
		s.vr = "none"
	}
	switch kind {
	case "rnn":
		if !f.set("hidden") {
			s.hidden = "128"
		}
		if !f.set("data") {
			s.data = "smnist"
		}
	case "gnn":
		if !f.set("hidden") {
			s.hidden = "16"
		}
		if !f.set("data") {
			s.data = "cora"
		}
		if !f.set("epochs") {
			s.epochs = 200
		}
		if !f.set("lr") {
			s.lrate = 0.01
		}
	}
	if s.method == "bptt" {
		s.method = "bp"
	}
	if s.method != "lr" && s.method != "bp" {
		return s, badInput(fmt.Errorf("train: --method %q (want lr, bp or bptt)", s.method))
	}
	if s.format != "text" && s.format != "json" {
		return s, badInput(fmt.Errorf("train: --format %q (want text or json)", s.format))
	}
	if s.decay != "none" && s.decay != "cosine" {
		return s, badInput(fmt.Errorf("train: --lr-decay %q (want none or cosine)", s.decay))
	}
	if s.epochs < 0 || s.batch < 1 || s.sigma < 0 || s.lrate <= 0 || s.dropout < 0 || s.dropout >= 1 || s.wd < 0 {
		return s, badInput(errors.New("train: --epochs, --batch, --sigma, --lr, --dropout (below 1) and --weight-decay must be positive"))
	}
	return s, nil
}

// lrConfig parses the LR flags.
func (s netTrainSettings) lrConfig() (lr.Config, lr.Law, mlp.Loss, error) {
	vr, err := lr.ParseVR(s.vr)
	if err != nil {
		return lr.Config{}, nil, 0, badInput(err)
	}
	law, err := lr.LawByName(s.law)
	if err != nil {
		return lr.Config{}, nil, 0, badInput(err)
	}
	base, err := lr.ParseBaseline(s.baseline)
	if err != nil {
		return lr.Config{}, nil, 0, badInput(err)
	}
	loss, err := mlp.ParseLoss(s.loss)
	if err != nil {
		return lr.Config{}, nil, 0, badInput(err)
	}
	if s.method == "bp" && loss != mlp.CrossEntropy {
		return lr.Config{}, nil, 0, badInput(fmt.Errorf("train: loss %s is not differentiable: train it with --method lr", loss.Name()))
	}
	return lr.Config{Copies: s.copies, Law: law, VR: vr, Baseline: base, Seed: s.seed ^ 0x6e6f697365, Workers: s.workers}, law, loss, nil
}

// netRowNet is what train, eval and attack need of a cnn or rnn model.
type netRowNet interface {
	attack.Model
	Params() []lr.Param
	Prepare()
	Accuracy(x []float32, y []uint8, rows int, noise bool, seed uint64) float64
}

// netLoaded is a loaded or new cnn or rnn model.
type netLoaded struct {
	kind  string
	net   netRowNet
	c     *cnn.CNN
	r     *rnn.RNN
	info  mlp.Info
	state *lr.TrainState
	opt   *mlp.OptimizerState
}

func (m *netLoaded) describe() string {
	if m.c != nil {
		return fmt.Sprintf("model=cnn arch=%s sigma=%g", m.c.Spec(), netMaxSigma(m.c.Sigma))
	}
	return fmt.Sprintf("model=rnn cell=%s hidden=%d steps=%d sigma=%g", m.r.Cell, m.r.Hidden, m.r.Steps, m.r.Sigma)
}

func netMaxSigma(s []float32) float32 {
	var m float32
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// setSigma overrides the inference noise of every noisy layer.
func (m *netLoaded) setSigma(s float32) {
	if m.c != nil {
		for l := range m.c.Sigma {
			if _, pool := m.c.Layers[l].(*cnn.Pool); !pool {
				m.c.Sigma[l] = s
			}
		}
		return
	}
	m.r.Sigma, m.r.SigmaOut = s, s
}

func (m *netLoaded) save(path string, st *lr.TrainState, opt *mlp.OptimizerState) error {
	if m.c != nil {
		return cnn.Save(path, &cnn.File{Model: m.c, Info: m.info, State: st, Optimizer: opt})
	}
	return rnn.Save(path, &rnn.File{Model: m.r, Info: m.info, State: st, Optimizer: opt})
}

func loadNetModel(path string) (*netLoaded, error) {
	kind, err := nncore.PeekKind(path)
	if err != nil {
		return nil, err
	}
	switch kind {
	case cnn.Kind:
		f, err := cnn.Load(path)
		if err != nil {
			return nil, err
		}
		return &netLoaded{kind: kind, net: f.Model, c: f.Model, info: f.Info, state: f.State, opt: f.Optimizer}, nil
	case rnn.Kind:
		f, err := rnn.Load(path)
		if err != nil {
			return nil, err
		}
		return &netLoaded{kind: kind, net: f.Model, r: f.Model, info: f.Info, state: f.State, opt: f.Optimizer}, nil
	}
	return nil, fmt.Errorf("%s: not a cnn or rnn model file (kind %q)", path, kind)
}

// loadNetAttackModel loads any model file usable by attack.Run (mlp, cnn, rnn).
func loadNetAttackModel(path string) (attack.Model, error) {
	kind, err := nncore.PeekKind(path)
	if err != nil {
		return nil, err
	}
	if kind == "mlp" {
		f, err := mlp.Load(path)
		if err != nil {
			return nil, err
		}
		f.Model.Prepare()
		return f.Model, nil
	}
	m, err := loadNetModel(path)
	if err != nil {
		return nil, err
	}
	m.net.Prepare()
	return m.net, nil
}

func netTrainRows(cmd *cobra.Command, a *App, kind string) error {
	s, err := readNetTrain(cmd, kind)
	if err != nil {
		return err
	}
	cfg, law, loss, err := s.lrConfig()
	if err != nil {
		return err
	}
	act, err := mlp.ParseAct(s.act)
	if err != nil {
		return badInput(err)
	}
	train, test, err := loadData(s.data, s.dataDir, 0, 0)
	if err != nil {
		return err
	}
	// Subsets spread over each set, not its first samples: CIFAR-10's are ordered by class.
	train, test = netSpreadSubset(train, s.maxTrain), netSpreadSubset(test, s.maxTest)
	opt, err := optim.New(s.optimizer, float32(s.lrate))
	if err != nil {
		return badInput(err)
	}
	var ema *optim.EMA
	if s.ema != 0 {
		if ema, err = optim.NewEMA(opt, float32(s.ema)); err != nil {
			return badInput(fmt.Errorf("train: --ema: %w", err))
		}
		opt = ema
	}
	var m *netLoaded
	var state lr.TrainState
	if s.resume != "" {
		if m, err = loadNetModel(s.resume); err != nil {
			return badInput(err)
		}
		if m.kind != kind {
			return badInput(fmt.Errorf("train: checkpoint %s is a %s model, not %s", s.resume, m.kind, kind))
		}
		var ost *optim.State
		var oname string
		if m.opt != nil {
			oname, ost = m.opt.Name, &m.opt.State
		}
		if ema != nil && ost != nil && oname == ema.Inner.Name() {
			// A checkpoint trained without the average: start averaging from here.
			if state, err = resumeState(ema.Inner, m.state, oname, ost); err != nil {
				return err
			}
		} else if state, err = resumeState(opt, m.state, oname, ost); err != nil {
			return err
		}
		if ema != nil && ema.Swapped() {
			// The file holds the average and the optimizer the live weights: train on these.
			ema.Swap(m.net.Params())
		}
		if m.net.In() != train.Dim || m.net.Classes() != train.Classes {
			return badInput(fmt.Errorf("train: checkpoint %s does not fit %s", s.resume, s.data))
		}
	} else {
		m = &netLoaded{kind: kind}
		switch kind {
		case "cnn":
			if len(train.Shape) != 3 {
				return badInput(fmt.Errorf("train: --model cnn needs images, %s has shape %v", s.data, train.Shape))
			}
			arch := s.arch
			if arch == "" {
				if arch = netCNNArch[s.data]; arch == "" {
					arch = netCNNArch["mnist"]
				}
			}
			c, err := cnn.New(arch, cnn.Shape{C: train.Shape[0], H: train.Shape[1], W: train.Shape[2]}, train.Classes, act, float32(s.sigma), s.seed)
			if err != nil {
				return badInput(err)
			}
			c.Law = law
			m.c, m.net = c, c
		case "rnn":
			if len(train.Shape) != 2 {
				return badInput(fmt.Errorf("train: --model rnn needs sequences (smnist, pmnist), %s has shape %v", s.data, train.Shape))
			}
			cell, err := rnn.ParseCell(s.cell)
			if err != nil {
				return badInput(err)
			}
			h, err := strconv.Atoi(strings.TrimSpace(s.hidden))
			if err != nil || h < 1 {
				return badInput(fmt.Errorf("train: --hidden %q: want one width for rnn", s.hidden))
			}
			r, err := rnn.New(cell, train.Shape[0], train.Shape[1], h, train.Classes, float32(s.sigma), s.seed)
			if err != nil {
				return badInput(err)
			}
			r.Law = law
			m.r, m.net = r, r
		}
	}
	if m.c != nil {
		m.c.Workers = s.workers
	} else {
		m.r.Workers = s.workers
	}
	m.net.Prepare()
	m.info = mlp.Info{Method: s.method, Data: s.data, Loss: loss.Name(), Batch: s.batch, Epochs: s.epochs, Seed: s.seed,
		Optimizer: opt.Name(), LR: s.lrate, LRDecay: s.decay, MaxTrain: s.maxTrain}
	var learner lr.Learner
	if s.method == "lr" {
		m.info.Copies, m.info.VR = s.copies, cfg.VR.String()
		if m.c != nil {
			est, err := cnn.NewEstimator(m.c, loss, cfg)
			if err != nil {
				return badInput(err)
			}
			learner, m.info.Baseline = est, est.Baseline().String()
		} else {
			est, err := rnn.NewLR(m.r, loss, cfg)
			if err != nil {
				return badInput(err)
			}
			learner, m.info.Baseline = est, est.Baseline().String()
		}
	} else if m.c != nil {
		bp, err := cnn.NewBP(m.c)
		if err != nil {
			return badInput(err)
		}
		learner = bp
	} else {
		learner = rnn.NewBPTT(m.r)
	}
	w := a.Out
	if s.format == "text" {
		fmt.Fprintf(w, "# snnsim train seed=%d data=%s method=%s %s act=%s loss=%s", s.seed, s.data, s.method, m.describe(), act, loss.Name())
		if s.method == "lr" {
			fmt.Fprintf(w, " copies=%d law=%s vr=%s baseline=%s", s.copies, law.Name(), cfg.VR, m.info.Baseline)
		}
		fmt.Fprintf(w, " optimizer=%s lr=%g lr_decay=%s", opt.Name(), s.lrate, s.decay)
		if ema != nil {
			fmt.Fprintf(w, " ema=%g", s.ema)
		}
		fmt.Fprintf(w, " batch=%d train=%d test=%d gomaxprocs=%d kernel=%s\n",
			s.batch, train.N, test.N, runtime.GOMAXPROCS(0), nncore.Kernel)
		fmt.Fprintf(w, "%5s %9s %8s %8s %11s %12s\n", "epoch", "loss", "test%", "time_s", "samples/s", "forwards/s")
	}
	total := int64(s.epochs-state.Epoch)*int64(train.N) - int64(state.Batch*s.batch)
	prog := a.NewProgress(max(total, 0), "train "+kind+" "+s.method)
	// withAverage runs fn with the moving average in the parameters (when --ema is on):
	// evaluations and checkpoints see the average, training the live weights.
	withAverage := func(fn func() error) error {
		if ema == nil {
			return fn()
		}
		ema.Swap(m.net.Params())
		m.net.Prepare()
		err := fn()
		ema.Swap(m.net.Params())
		m.net.Prepare()
		return err
	}
	save := func(st lr.TrainState) error {
		if n := len(st.History); n > 0 {
			m.info.TestAcc = st.History[n-1].TestAcc
		}
		return withAverage(func() error {
			o := &mlp.OptimizerState{Name: opt.Name(), LR: float32(s.lrate), State: opt.State()}
			return m.save(s.out, &st, o)
		})
	}
	tc := lr.TrainConfig{
		Epochs: s.epochs, Batch: s.batch, Seed: s.seed,
		Progress: func(n int) { _ = prog.Add(n) },
		Eval: func() (acc float64, err error) {
			err = withAverage(func() error { acc = m.net.Accuracy(test.X, test.Y, test.N, false, 0); return nil })
			return acc, err
		},
		Checkpoint: func(st lr.TrainState) error {
			if err := save(st); err != nil {
				return err
			}
			if n := len(st.History); n > 0 && s.format == "text" && st.Batch == 0 {
				printEpoch(w, st.History[n-1])
			}
			return nil
		},
		CheckpointEvery: s.ckptEvery,
		BeforeEpoch:     netCosine(opt, s),
		Prepare:         m.net.Prepare,
		Log:             a.Log,
	}
	state, err = lr.Train(cmd.Context(), learner, opt, lr.Data{X: train.X, Y: train.Y, N: train.N, Dim: train.Dim}, tc, state)
	_ = prog.Finish()
	if err != nil {
		return err
	}
	return printNetTrainResult(w, s, kind, m.describe(), state, test.N)
}

func netCosine(opt optim.Optimizer, s netTrainSettings) func(int) {
	return lrSchedule(opt, s.decay, s.lrate, s.epochs)
}

// netTrainResult is the json output of train for the cnn, rnn and gnn kinds.
type netTrainResult struct {
	Seed         uint64           `json:"seed"`
	Data         string           `json:"data"`
	Model        string           `json:"model"`
	Describe     string           `json:"describe"`
	Method       string           `json:"method"`
	Copies       int              `json:"copies,omitempty"`
	Sigma        float64          `json:"sigma,omitempty"`
	VR           string           `json:"vr,omitempty"`
	Epochs       []lr.EpochResult `json:"epochs"`
	TestAcc      float64          `json:"test_acc"`
	BestValEpoch int              `json:"best_val_epoch,omitempty"`
	BestValTest  float64          `json:"best_val_test_acc,omitempty"`
	TrainSeconds float64          `json:"train_seconds"`
	SamplesPerS  float64          `json:"samples_per_s"`
	PeakRSSMB    float64          `json:"peak_rss_mb"`
	Procs        int              `json:"gomaxprocs"`
	Kernel       string           `json:"kernel"`
	Out          string           `json:"out"`
}

func printNetTrainResult(w io.Writer, s netTrainSettings, kind, desc string, st lr.TrainState, nTest int) error {
	res := netTrainResult{Seed: s.seed, Data: s.data, Model: kind, Describe: desc, Method: s.method, Epochs: st.History,
		PeakRSSMB: rssPeakMB(), Procs: runtime.GOMAXPROCS(0), Kernel: nncore.Kernel, Out: s.out}
	if s.method == "lr" {
		res.Copies, res.Sigma, res.VR = s.copies, s.sigma, s.vr
	}
	var samples int
	for _, e := range st.History {
		res.TrainSeconds += e.Seconds
		samples += e.Samples
	}
	if n := len(st.History); n > 0 {
		res.TestAcc = st.History[n-1].TestAcc
	}
	if res.TrainSeconds > 0 {
		res.SamplesPerS = float64(samples) / res.TrainSeconds
	}
	if s.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(w, "# test accuracy %.2f%% (%d test samples), %.1f s training, %.0f samples/s, peak RSS %.0f MB; wrote %s\n",
		100*res.TestAcc, nTest, res.TrainSeconds, res.SamplesPerS, res.PeakRSSMB, s.out)
	return nil
}

// netEvalRows is eval for cnn and rnn model files.
func netEvalRows(cmd *cobra.Command, a *App, path string) error {
	f := &netFlags{fs: cmd.Flags()}
	data, dir, format := f.str("data"), f.str("data-dir"), f.str("format")
	maxTest, draws, seed, sigma := f.int("max-test"), f.int("noise-draws"), f.u64("seed"), f.float("sigma")
	if f.err != nil {
		return f.err
	}
	if format != "text" && format != "json" {
		return badInput(fmt.Errorf("eval: --format %q (want text or json)", format))
	}
	m, err := loadNetModel(path)
	if err != nil {
		return badInput(err)
	}
	if data == "" {
		data = m.info.Data
	}
	_, test, err := loadData(data, dir, 1, 0)
	if err != nil {
		return err
	}
	test = netSpreadSubset(test, maxTest)
	if test.Dim != m.net.In() || test.Classes != m.net.Classes() {
		return badInput(fmt.Errorf("eval: the %s model does not fit %s (%d inputs, %d classes)", m.kind, data, test.Dim, test.Classes))
	}
	if sigma >= 0 {
		m.setSigma(float32(sigma))
	}
	m.net.Prepare()
	res := struct {
		Model    string    `json:"model"`
		Kind     string    `json:"kind"`
		Describe string    `json:"describe"`
		Data     string    `json:"data"`
		N        int       `json:"n"`
		Seed     uint64    `json:"seed"`
		Info     mlp.Info  `json:"info"`
		Clean    float64   `json:"acc"`
		Noisy    []float64 `json:"acc_noisy,omitempty"`
		NoisyAvg float64   `json:"acc_noisy_mean,omitempty"`
	}{Model: path, Kind: m.kind, Describe: m.describe(), Data: data, N: test.N, Seed: seed, Info: m.info}
	res.Clean = m.net.Accuracy(test.X, test.Y, test.N, false, 0)
	for d := range draws {
		acc := m.net.Accuracy(test.X, test.Y, test.N, true, lr.Hash(seed, uint64(d)))
		res.Noisy = append(res.Noisy, acc)
		res.NoisyAvg += acc / float64(draws)
	}
	if format == "json" {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(a.Out, "# snnsim eval %s seed=%d data=%s n=%d %s method=%s\n", path, seed, data, test.N, m.describe(), m.info.Method)
	fmt.Fprintf(a.Out, "accuracy (noise off)  %.2f%%\n", 100*res.Clean)
	if draws > 0 {
		fmt.Fprintf(a.Out, "accuracy (noise on)   %.2f%% (mean of %d draws)\n", 100*res.NoisyAvg, draws)
	}
	return nil
}

// netAttackSettings are the attack flags.
type netAttackSettings struct {
	kinds                        []attack.Kind
	eps                          []float64
	settings                     []attack.Setting
	surrogate, data, dir, format string
	maxTest, eot, batch          int
	seed                         uint64
	sigma                        float64
}

func readNetAttack(cmd *cobra.Command) (netAttackSettings, error) {
	f := &netFlags{fs: cmd.Flags()}
	s := netAttackSettings{surrogate: f.str("surrogate"), data: f.str("data"), dir: f.str("data-dir"), format: f.str("format"),
		maxTest: f.int("max-test"), eot: f.int("eot-samples"), batch: f.int("batch"), seed: f.u64("seed"), sigma: f.float("sigma")}
	kinds, eps, settings := f.str("attack"), f.str("eps"), f.str("setting")
	if f.err != nil {
		return s, f.err
	}
	if s.format != "text" && s.format != "json" {
		return s, badInput(fmt.Errorf("attack: --format %q (want text or json)", s.format))
	}
	var err error
	if s.kinds, err = attack.ParseKinds(kinds); err != nil {
		return s, badInput(err)
	}
	if s.eps, err = parseFloatList(eps); err != nil {
		return s, badInput(fmt.Errorf("attack: --eps: %w", err))
	}
	for _, v := range strings.Split(settings, ",") {
		st, err := attack.ParseSetting(strings.TrimSpace(v))
		if err != nil {
			return s, badInput(err)
		}
		s.settings = append(s.settings, st)
	}
	return s, nil
}

// netAttackRows is attack for cnn and rnn model files.
func netAttackRows(cmd *cobra.Command, a *App, path string) error {
	s, err := readNetAttack(cmd)
	if err != nil {
		return err
	}
	m, err := loadNetModel(path)
	if err != nil {
		return badInput(err)
	}
	if s.sigma >= 0 {
		m.setSigma(float32(s.sigma))
	}
	data := s.data
	if data == "" {
		data = m.info.Data
	}
	_, test, err := loadData(data, s.dir, 1, 0)
	if err != nil {
		return err
	}
	test = netSpreadSubset(test, s.maxTest)
	if test.Dim != m.net.In() || test.Classes != m.net.Classes() {
		return badInput(fmt.Errorf("attack: the %s model does not fit %s", m.kind, data))
	}
	m.net.Prepare()
	var sur attack.Model
	if s.surrogate != "" {
		if sur, err = loadNetAttackModel(s.surrogate); err != nil {
			return badInput(err)
		}
	}
	var tables []*attack.Table
	for _, st := range s.settings {
		cfg := attack.Config{Kinds: s.kinds, Eps: s.eps, Setting: st, EOTSamples: s.eot, Seed: s.seed, Batch: s.batch}
		if st == attack.Transfer {
			if sur == nil {
				return badInput(errors.New("attack: --setting transfer needs --surrogate MODEL"))
			}
			cfg.Surrogate = sur
		}
		t0 := time.Now()
		t, err := attack.Run(m.net, test.X, test.Y, test.N, cfg)
		if err != nil {
			return err
		}
		tables = append(tables, t)
		if s.format == "text" {
			fmt.Fprintf(a.Out, "# snnsim attack %s setting=%s seed=%d n=%d (spread over the test set) %s method=%s", path, t.Setting, t.Seed, t.N, m.describe(), m.info.Method)
			if t.EOT > 0 {
				fmt.Fprintf(a.Out, " eot_samples=%d", t.EOT)
			}
			fmt.Fprintf(a.Out, " wall=%.1fs\n", time.Since(t0).Seconds())
			printNetAttackTable(a.Out, t)
		}
	}
	if s.format == "json" {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"model": path, "kind": m.kind, "describe": m.describe(), "info": m.info, "tables": tables})
	}
	return nil
}

// netSpreadSubset returns n samples spread evenly over the set (sample ⌊i·N/n⌋ for
// i < n), or the whole set when n is 0 or not below N. The first n samples would not do:
// CIFAR-10's test set is ordered by class, so its first 1000 are all aeroplanes.
func netSpreadSubset(s *dataset.Set, n int) *dataset.Set {
	if n <= 0 || n >= s.N {
		return s
	}
	t := *s
	t.N = n
	t.X, t.Y = make([]float32, n*s.Dim), make([]uint8, n)
	for i := range n {
		j := int(int64(i) * int64(s.N) / int64(n))
		copy(t.X[i*s.Dim:(i+1)*s.Dim], s.Sample(j))
		t.Y[i] = s.Y[j]
	}
	return &t
}

func printNetAttackTable(w io.Writer, t *attack.Table) {
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

// loadNetGraph loads a graph dataset with the split of seed.
func loadNetGraph(name, dir string, seed uint64) (*gnn.Graph, error) {
	g, err := dataset.LoadGraph(name, dir, seed)
	if err != nil {
		if errors.Is(err, dataset.ErrNotFound) || errors.Is(err, dataset.ErrUnknown) {
			return nil, badInput(err)
		}
		return nil, err
	}
	return gnn.NewGraph(g), nil
}

func describeNetGNN(m *gnn.GNN) string {
	var k []string
	for _, v := range m.Kinds() {
		k = append(k, v.String())
	}
	return fmt.Sprintf("model=gnn layers=%s widths=%v sigma=%g dropout=%g weight_decay=%g",
		strings.Join(k, ","), m.Widths(), netMaxSigma(m.Sigma), m.Dropout, m.WeightDecay)
}

func netTrainGraph(cmd *cobra.Command, a *App) error {
	s, err := readNetTrain(cmd, "gnn")
	if err != nil {
		return err
	}
	cfg, law, loss, err := s.lrConfig()
	if err != nil {
		return err
	}
	act, err := mlp.ParseAct(s.act)
	if err != nil {
		return badInput(err)
	}
	g, err := loadNetGraph(s.data, s.dataDir, s.seed)
	if err != nil {
		return err
	}
	opt, err := optim.New(s.optimizer, float32(s.lrate))
	if err != nil {
		return badInput(err)
	}
	var m *gnn.GNN
	var state lr.TrainState
	if s.resume != "" {
		f, err := gnn.Load(s.resume)
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
	} else {
		arch := s.arch
		if arch == "" {
			arch = "gcn,gcn"
		}
		kinds, err := gnn.ParseKinds(arch)
		if err != nil {
			return badInput(err)
		}
		hidden, err := parseWidths(s.hidden)
		if err != nil {
			return badInput(fmt.Errorf("train: --hidden: %w", err))
		}
		if len(hidden) == 1 && len(kinds) > 2 {
			for len(hidden) < len(kinds)-1 {
				hidden = append(hidden, hidden[0])
			}
		}
		if m, err = gnn.New(kinds, g.F, hidden, g.Classes, act, float32(s.sigma), s.seed); err != nil {
			return badInput(err)
		}
		m.Law, m.Dropout, m.WeightDecay = law, float32(s.dropout), float32(s.wd)
	}
	if m.In() != g.F || m.Classes() != g.Classes {
		return badInput(fmt.Errorf("train: the model takes %d features and %d classes, %s has %d and %d", m.In(), m.Classes(), s.data, g.F, g.Classes))
	}
	m.Workers = s.workers
	info := mlp.Info{Method: s.method, Data: s.data, Loss: loss.Name(), Epochs: s.epochs, Seed: s.seed,
		Optimizer: opt.Name(), LR: s.lrate, LRDecay: s.decay}
	var learner lr.Learner
	if s.method == "lr" {
		est, err := gnn.NewLR(m, g, loss, cfg)
		if err != nil {
			return badInput(err)
		}
		learner = est
		info.Copies, info.VR, info.Baseline = s.copies, cfg.VR.String(), est.Baseline().String()
	} else {
		bp, err := gnn.NewBP(m, g, s.seed^0x64726f70)
		if err != nil {
			return badInput(err)
		}
		learner = bp
	}
	w := a.Out
	if s.format == "text" {
		fmt.Fprintf(w, "# snnsim train seed=%d data=%s method=%s %s act=%s loss=%s", s.seed, s.data, s.method, describeNetGNN(m), act, loss.Name())
		if s.method == "lr" {
			fmt.Fprintf(w, " copies=%d law=%s vr=%s baseline=%s", s.copies, law.Name(), cfg.VR, info.Baseline)
		}
		fmt.Fprintf(w, " optimizer=%s lr=%g steps=%d nodes=%d train=%d val=%d test=%d gomaxprocs=%d\n",
			opt.Name(), s.lrate, s.epochs, g.N, len(g.Train), len(g.Val), len(g.Test), runtime.GOMAXPROCS(0))
		fmt.Fprintf(w, "%5s %9s %8s %8s %8s\n", "step", "loss", "val%", "test%", "time_s")
	}
	bestVal, bestTest, bestEpoch := -1.0, 0.0, 0
	var lastVal float64
	save := func(st lr.TrainState) error {
		o := &mlp.OptimizerState{Name: opt.Name(), LR: float32(s.lrate), State: opt.State()}
		if n := len(st.History); n > 0 {
			info.TestAcc = st.History[n-1].TestAcc
		}
		return gnn.Save(s.out, &gnn.File{Model: m, Info: info, State: &st, Optimizer: o})
	}
	tc := lr.TrainConfig{
		Epochs: s.epochs, Batch: 1, Seed: s.seed,
		Eval: func() (float64, error) {
			lastVal = m.Accuracy(g, g.X, g.Val, false, 0)
			test := m.Accuracy(g, g.X, g.Test, false, 0)
			if lastVal > bestVal {
				bestVal, bestTest = lastVal, test
			}
			return test, nil
		},
		Checkpoint: func(st lr.TrainState) error {
			n := len(st.History)
			if n > 0 && st.History[n-1].TestAcc == bestTest && lastVal == bestVal {
				bestEpoch = st.History[n-1].Epoch
			}
			if st.Epoch%10 != 0 && st.Epoch != s.epochs {
				return nil
			}
			if err := save(st); err != nil {
				return err
			}
			if n > 0 && s.format == "text" {
				e := st.History[n-1]
				var secs float64
				for _, h := range st.History {
					secs += h.Seconds
				}
				fmt.Fprintf(w, "%5d %9.4f %8.2f %8.2f %8.2f\n", e.Epoch, e.Loss, 100*lastVal, 100*e.TestAcc, secs)
			}
			return nil
		},
		BeforeEpoch: netCosine(opt, s),
		Prepare:     m.Prepare,
		Log:         a.Log,
	}
	state, err = lr.Train(cmd.Context(), learner, opt, lr.Data{X: []float32{0}, Y: []uint8{0}, N: 1, Dim: 1}, tc, state)
	if err != nil {
		return err
	}
	res := netTrainResult{Seed: s.seed, Data: s.data, Model: "gnn", Describe: describeNetGNN(m), Method: s.method,
		Epochs: state.History, BestValEpoch: bestEpoch, BestValTest: bestTest,
		PeakRSSMB: rssPeakMB(), Procs: runtime.GOMAXPROCS(0), Kernel: nncore.Kernel, Out: s.out}
	if s.method == "lr" {
		res.Copies, res.Sigma, res.VR = s.copies, s.sigma, s.vr
	}
	for _, e := range state.History {
		res.TrainSeconds += e.Seconds
	}
	if n := len(state.History); n > 0 {
		res.TestAcc = state.History[n-1].TestAcc
	}
	if s.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(w, "# test accuracy %.2f%% after %d steps (%d test nodes); at the best validation accuracy (%.2f%%, step %d): %.2f%%; %.1f s training; wrote %s\n",
		100*res.TestAcc, len(state.History), len(g.Test), 100*bestVal, bestEpoch, 100*bestTest, res.TrainSeconds, s.out)
	return nil
}

func netEvalGraph(cmd *cobra.Command, a *App, path string) error {
	f := &netFlags{fs: cmd.Flags()}
	data, dir, format := f.str("data"), f.str("data-dir"), f.str("format")
	draws, seed, sigma := f.int("noise-draws"), f.u64("seed"), f.float("sigma")
	if f.err != nil {
		return f.err
	}
	if format != "text" && format != "json" {
		return badInput(fmt.Errorf("eval: --format %q (want text or json)", format))
	}
	file, err := gnn.Load(path)
	if err != nil {
		return badInput(err)
	}
	m := file.Model
	if data == "" {
		data = file.Info.Data
	}
	g, err := loadNetGraph(data, dir, file.Info.Seed)
	if err != nil {
		return err
	}
	if m.In() != g.F || m.Classes() != g.Classes {
		return badInput(fmt.Errorf("eval: the gnn model does not fit %s", data))
	}
	if sigma >= 0 {
		for l := range m.Sigma {
			m.Sigma[l] = float32(sigma)
		}
	}
	res := struct {
		Model    string    `json:"model"`
		Describe string    `json:"describe"`
		Data     string    `json:"data"`
		N        int       `json:"n"`
		Seed     uint64    `json:"seed"`
		Info     mlp.Info  `json:"info"`
		Val      float64   `json:"val_acc"`
		Clean    float64   `json:"acc"`
		Noisy    []float64 `json:"acc_noisy,omitempty"`
		NoisyAvg float64   `json:"acc_noisy_mean,omitempty"`
	}{Model: path, Describe: describeNetGNN(m), Data: data, N: len(g.Test), Seed: seed, Info: file.Info}
	res.Val = m.Accuracy(g, g.X, g.Val, false, 0)
	res.Clean = m.Accuracy(g, g.X, g.Test, false, 0)
	for d := range draws {
		acc := m.Accuracy(g, g.X, g.Test, true, lr.Hash(seed, uint64(d)))
		res.Noisy = append(res.Noisy, acc)
		res.NoisyAvg += acc / float64(draws)
	}
	if format == "json" {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(a.Out, "# snnsim eval %s seed=%d data=%s test_nodes=%d split_seed=%d %s method=%s\n", path, seed, data, len(g.Test), file.Info.Seed, res.Describe, file.Info.Method)
	fmt.Fprintf(a.Out, "validation accuracy   %.2f%%\n", 100*res.Val)
	fmt.Fprintf(a.Out, "accuracy (noise off)  %.2f%%\n", 100*res.Clean)
	if draws > 0 {
		fmt.Fprintf(a.Out, "accuracy (noise on)   %.2f%% (mean of %d draws)\n", 100*res.NoisyAvg, draws)
	}
	return nil
}

// netGraphGradder gives attack.FGSM / PGD the gradient of the attacked nodes' summed loss
// with respect to every node's features (x is the whole N×F feature matrix).
type netGraphGradder struct {
	m     *gnn.GNN
	g     *gnn.Graph
	nodes []int32
	eot   int
	buf   []float32
}

func (gg *netGraphGradder) Grad(dx, x []float32, _ []uint8, _ int, seed uint64) error {
	if gg.eot == 0 {
		gg.m.InputGrad(dx, gg.g, x, gg.nodes, false, 0)
		return nil
	}
	if len(gg.buf) < len(dx) {
		gg.buf = make([]float32, len(dx))
	}
	clear(dx)
	for s := range gg.eot {
		gg.m.InputGrad(gg.buf, gg.g, x, gg.nodes, true, lr.Hash(seed, uint64(s)))
		for i, v := range gg.buf[:len(dx)] {
			dx[i] += v
		}
	}
	return nil
}

// netAttackGraph is attack for gnn model files: feature-space FGSM / PGD on the node features
// of the whole graph (L∞ on the 0/1 bag-of-words scale, clipped to [0,1]), scored on the
// test nodes.
func netAttackGraph(cmd *cobra.Command, a *App, path string) error {
	s, err := readNetAttack(cmd)
	if err != nil {
		return err
	}
	file, err := gnn.Load(path)
	if err != nil {
		return badInput(err)
	}
	m := file.Model
	if s.sigma >= 0 {
		for l := range m.Sigma {
			m.Sigma[l] = float32(s.sigma)
		}
	}
	data := s.data
	if data == "" {
		data = file.Info.Data
	}
	g, err := loadNetGraph(data, s.dir, file.Info.Seed)
	if err != nil {
		return err
	}
	if m.In() != g.F || m.Classes() != g.Classes {
		return badInput(fmt.Errorf("attack: the gnn model does not fit %s", data))
	}
	nodes := g.Test
	if s.maxTest > 0 && s.maxTest < len(nodes) {
		nodes = nodes[:s.maxTest]
	}
	var sur *gnn.GNN
	if s.surrogate != "" {
		sf, err := gnn.Load(s.surrogate)
		if err != nil {
			return badInput(err)
		}
		sur = sf.Model
	}
	var tables []*attack.Table
	for _, st := range s.settings {
		t0 := time.Now()
		noisy := st == attack.EOT
		src := m
		if st == attack.Transfer {
			if sur == nil {
				return badInput(errors.New("attack: --setting transfer needs --surrogate MODEL"))
			}
			src = sur
		}
		gg := &netGraphGradder{m: src, g: g, nodes: nodes}
		if noisy {
			gg.eot = s.eot
		}
		t := &attack.Table{Setting: st, N: len(nodes), Eps: s.eps, Seed: s.seed}
		if noisy {
			t.EOT = s.eot
		}
		t.Clean = m.Accuracy(g, g.X, nodes, noisy, lr.Hash(s.seed, 0xc1ea))
		adv := make([]float32, len(g.X))
		for ki, k := range s.kinds {
			row := attack.Row{Attack: k.String()}
			for ei, eps := range s.eps {
				seed := lr.Hash(s.seed, uint64(ki), uint64(ei))
				switch k.Name {
				case "fgsm":
					err = attack.FGSM(adv, g.X, nil, g.N, float32(eps), gg, seed)
				case "pgd":
					err = attack.PGD(adv, g.X, nil, g.N, float32(eps), float32(eps)/4, k.Steps, gg, seed)
				case "noise":
					attack.GaussianNoise(adv, g.X, float32(eps), seed)
				}
				if err != nil {
					return err
				}
				row.Acc = append(row.Acc, m.Accuracy(g, adv, nodes, noisy, lr.Hash(seed, 0xe7a1)))
			}
			t.Rows = append(t.Rows, row)
		}
		tables = append(tables, t)
		if s.format == "text" {
			fmt.Fprintf(a.Out, "# snnsim attack %s setting=%s seed=%d test_nodes=%d %s method=%s", path, t.Setting, t.Seed, t.N, describeNetGNN(m), file.Info.Method)
			if t.EOT > 0 {
				fmt.Fprintf(a.Out, " eot_samples=%d", t.EOT)
			}
			fmt.Fprintf(a.Out, " wall=%.1fs\n", time.Since(t0).Seconds())
			fmt.Fprintln(a.Out, "# feature-space attack: every node's features perturbed within L∞ ε on the 0/1 bag-of-words scale, clipped to [0,1]; accuracy on the test nodes")
			printNetAttackTable(a.Out, t)
		}
	}
	if s.format == "json" {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"model": path, "kind": "gnn", "describe": describeNetGNN(m), "info": file.Info,
			"space": "node features (L∞ on [0,1])", "tables": tables})
	}
	return nil
}
