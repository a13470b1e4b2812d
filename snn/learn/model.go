package learn

import (
	"errors"
	"fmt"
	"github.com/snnsim/snnsim/internal/nncore"
	"math"
	"math/rand/v2"

	"github.com/snnsim/snnsim/dataset/encode"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
)

// Readout kinds.
const (
	// ReadoutLeaky is a non-spiking leaky integrator per class (a cuba-lif population that
	// never reaches threshold); the logits are Scale × its mean membrane over the steps,
	// plus Gaussian noise of standard deviation Sigma when noise is on.
	ReadoutLeaky = "leaky"
	// ReadoutCount is a spiking layer per class; the logits are Scale × spike counts. Its
	// own escape noise (BetaOut) is its noise.
	ReadoutCount = "count"
)

// Input encodings.
const (
	// InputPoisson is rate coding: pixel j spikes at each step with probability Rate·x_j.
	InputPoisson = "poisson"
	// InputDirect injects Gain·x as a current-like drive at every step (no input spikes).
	InputDirect = "direct"
)

// Limits of a Config (and of a decoded model file).
const (
	maxLayers = 16
	maxWidth  = 1 << 16
	maxSteps  = 1 << 14
	maxParams = 1 << 27
)

// Config describes a trainable spiking network: a feed-forward stack of stochastic
// CuBa-LIF layers (threshold 1, rest 0, subtractive reset, no refractory period) and a
// readout.
type Config struct {
	Sizes   []int   `json:"sizes"`   // input, hidden..., classes
	Steps   int     `json:"steps"`   // T, steps per sample
	DT      float64 `json:"dt"`      // ms
	TauM    float64 `json:"tau_m"`   // membrane time constant, ms
	TauS    float64 `json:"tau_s"`   // synaptic time constant, ms
	Beta    float64 `json:"beta"`    // escape noise of the hidden layers (threshold units)
	Readout string  `json:"readout"` // leaky or count
	BetaOut float64 `json:"beta_out,omitempty"`
	Sigma   float64 `json:"sigma,omitempty"` // Gaussian noise of the leaky readout's logits
	Scale   float64 `json:"scale"`           // logit scale
	Input   string  `json:"input"`           // poisson or direct
	Rate    float64 `json:"rate,omitempty"`  // poisson: spike probability per step at intensity 1
	Gain    float64 `json:"gain,omitempty"`  // direct: drive per step at intensity 1
	Slope   float64 `json:"slope"`           // surrogate slope k (BPTT and attacks)
	// InitGain scales the initial weights: normal with standard deviation InitGain/√fan-in.
	InitGain float64 `json:"init_gain"`
}

// DefaultConfig returns the configuration used for MNIST-like data: τm 10 ms, τs 5 ms,
// dt 1 ms, β 0.2, a leaky readout with σ 0.2, Poisson input with rate 1 (probability =
// intensity).
func DefaultConfig(sizes []int, steps int) Config {
	return Config{Sizes: append([]int(nil), sizes...), Steps: steps, DT: 1, TauM: 10, TauS: 5, Beta: 0.2,
		Readout: ReadoutLeaky, BetaOut: 0.2, Sigma: 0.2, Scale: 1, Input: InputPoisson, Rate: 1, Gain: 0.2,
		Slope: 4, InitGain: 1}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if len(c.Sizes) < 2 || len(c.Sizes) > maxLayers+1 {
		return fmt.Errorf("learn: %d sizes, want 2 to %d (input, hidden..., classes)", len(c.Sizes), maxLayers+1)
	}
	total := 0
	for i, s := range c.Sizes {
		if s < 1 || s > maxWidth {
			return fmt.Errorf("learn: layer size %d out of range [1, %d]", s, maxWidth)
		}
		if i > 0 {
			total += c.Sizes[i-1] * s
		}
	}
	if total > maxParams {
		return fmt.Errorf("learn: %d weights, more than %d", total, maxParams)
	}
	if c.Sizes[len(c.Sizes)-1] < 2 {
		return errors.New("learn: need at least 2 classes")
	}
	if c.Steps < 1 || c.Steps > maxSteps {
		return fmt.Errorf("learn: %d steps out of range [1, %d]", c.Steps, maxSteps)
	}
	pos := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("learn: %s must be > 0, got %g", name, v)
		}
		return nil
	}
	nonneg := func(name string, v float64) error {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("learn: %s must be >= 0, got %g", name, v)
		}
		return nil
	}
	for _, e := range []error{pos("dt", c.DT), pos("tau_m", c.TauM), pos("tau_s", c.TauS), nonneg("beta", c.Beta),
		nonneg("beta_out", c.BetaOut), nonneg("sigma", c.Sigma), pos("scale", c.Scale), pos("slope", c.Slope),
		nonneg("init_gain", c.InitGain)} {
		if e != nil {
			return e
		}
	}
	switch c.Readout {
	case ReadoutLeaky, ReadoutCount:
	default:
		return fmt.Errorf("learn: readout %q (want leaky or count)", c.Readout)
	}
	switch c.Input {
	case InputPoisson:
		if !(c.Rate > 0 && c.Rate <= 1) {
			return fmt.Errorf("learn: poisson rate must be in (0, 1] (spike probability per step), got %g", c.Rate)
		}
	case InputDirect:
		if err := pos("gain", c.Gain); err != nil {
			return err
		}
	default:
		return fmt.Errorf("learn: input %q (want poisson or direct)", c.Input)
	}
	return nil
}

// Layers returns the number of weight layers (projections).
func (c *Config) Layers() int { return len(c.Sizes) - 1 }

// neverFire is the threshold of the leaky readout: a membrane never reaches it.
const neverFire = 1e30

// hiddenParams are the neuron parameters of a hidden layer (and of a spiking readout).
func (c *Config) hiddenParams(beta float64) snn.NeuronParams {
	return snn.NeuronParams{TauM: c.TauM, TauE: c.TauS, TauI: c.TauS, VRest: 0, VThresh: 1, VReset: 0,
		Reset: snn.ResetSubtract, Beta: beta}
}

// Network returns the spiking network of c: a spike-array population "in" (its spikes
// are set per sample), hidden populations "h1".."hN" and the readout "out", joined by
// all-to-all projections "w1".."wL" with normal initial weights of standard deviation
// InitGain/√fan-in drawn from seed.
func (c *Config) Network(seed uint64) *snn.Network {
	net := &snn.Network{Name: "snn-learn", DT: c.DT}
	net.Populations = append(net.Populations, snn.Population{Name: "in", Size: c.Sizes[0], Model: snn.ModelSpikes})
	L := c.Layers()
	for l := 1; l <= L; l++ {
		name := fmt.Sprintf("h%d", l)
		par := c.hiddenParams(c.Beta)
		if l == L {
			name = "out"
			par = c.hiddenParams(c.BetaOut)
			if c.Readout == ReadoutLeaky {
				par.VThresh, par.Beta = neverFire, 0
			}
		}
		net.Populations = append(net.Populations, snn.Population{Name: name, Size: c.Sizes[l], Model: snn.ModelCuBaLIF,
			Params: par, InitV: snn.Const(0)})
	}
	for l := 1; l <= L; l++ {
		sd := c.InitGain / math.Sqrt(float64(c.Sizes[l-1]))
		net.Projections = append(net.Projections, snn.Projection{Name: fmt.Sprintf("w%d", l),
			From: net.Populations[l-1].Name, To: net.Populations[l].Name, Receptor: snn.Exc,
			Connect: snn.Connect{Kind: snn.ConnectAll}, Weight: snn.Dist{Kind: snn.DistNormal, A: 0, B: sd},
			Seed: lr.Hash(seed, 0x77, uint64(l))})
	}
	return net
}

// Model is a trainable spiking network compiled for the engine. Its weights are the
// engine's own per-synapse weights (layer l is a row-major Sizes[l] × Sizes[l+1] matrix,
// the CSR order of an all-to-all projection), so the optimizer updates the network the
// engine runs, in place, between batches.
type Model struct {
	Cfg Config
	Net *snn.Network
	Sim *sim.Model
	// Workers bounds the goroutines of batch operations (GOMAXPROCS when <= 0); results do
	// not depend on it.
	Workers int

	w     [][]float32 // w[l] aliases the engine's weights of projection l
	grads [][]float32
	coef  []sim.TraceCoef // trace coefficients of projection l
}

// New builds and compiles the network of cfg with initial weights drawn from seed.
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Sizes = append([]int(nil), cfg.Sizes...)
	net := cfg.Network(seed)
	sm, err := sim.Compile(net, seed)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	m := &Model{Cfg: cfg, Net: net, Sim: sm}
	for l := range cfg.Layers() {
		if !sm.Projection(l).Dense {
			return nil, fmt.Errorf("learn: projection %d is not dense", l)
		}
		m.w = append(m.w, sm.Weights(l))
		m.grads = append(m.grads, make([]float32, len(m.w[l])))
		c, err := sm.TraceCoef(l)
		if err != nil {
			return nil, fmt.Errorf("learn: %w", err)
		}
		m.coef = append(m.coef, c)
	}
	return m, nil
}

// In and Classes are the input and output widths.
func (m *Model) In() int      { return m.Cfg.Sizes[0] }
func (m *Model) Classes() int { return m.Cfg.Sizes[len(m.Cfg.Sizes)-1] }

// Weights returns layer l's weights (row-major, Sizes[l] × Sizes[l+1]; the engine's).
func (m *Model) Weights(l int) []float32 { return m.w[l] }

// Params lists the weight matrices with their gradient buffers.
func (m *Model) Params() []lr.Param {
	p := make([]lr.Param, len(m.w))
	for l := range m.w {
		p[l] = lr.Param{Name: fmt.Sprintf("w%d", l+1), Shape: []int{m.Cfg.Sizes[l], m.Cfg.Sizes[l+1]}, Value: m.w[l], Grad: m.grads[l]}
	}
	return p
}

// stochastic reports whether population pop (1..L) fires with escape noise.
func (m *Model) stochastic(pop int) bool {
	return m.Sim.Pops[pop].Prop.Beta > 0
}

// noisy reports whether layer pop (1..L) carries noise that LR can train it from.
func (m *Model) noisy(pop int) bool {
	if pop == m.Cfg.Layers() && m.Cfg.Readout == ReadoutLeaky {
		return m.Cfg.Sigma > 0
	}
	return m.stochastic(pop)
}

// encoder returns the Poisson encoder of the configuration.
func (m *Model) encoder() encode.Poisson {
	return encode.Poisson{MaxRate: m.Cfg.Rate * 1000 / m.Cfg.DT, DT: m.Cfg.DT}
}

// EncodeSeed is the seed of the input encoding of row r in Logits and InputGrad with noise
// off: the deterministic model sees one fixed Poisson draw of each input.
const EncodeSeed = 0x5eed

// encodeRNG seeds rng (whose source is pcg) for the input encoding of one sample.
func encodeRNG(pcg *rand.PCG, seed uint64, coords ...uint64) {
	s1, s2 := lr.StreamSeed(seed, append(coords, 0xe4c)...)
	pcg.Seed(s1, s2)
}

// worker is the per-goroutine state of forward passes.
type worker struct {
	run   *sim.Run
	pcg   *rand.PCG
	rng   *rand.Rand
	ns    lr.NormalStream
	spk   encode.Spikes
	drive []float32 // steps × Sizes[1], or Sizes[1] (direct)
	xin   []float32 // direct input values
	vsum  []float32 // readout membrane sum or spike counts
	eps   []float32 // readout noise
	z     []float32
}

func (m *Model) newWorker() *worker {
	w := &worker{run: m.Sim.NewRun(0), pcg: rand.NewPCG(0, 0)}
	w.rng = rand.New(w.pcg)
	C := m.Classes()
	w.vsum = make([]float32, C)
	w.eps = make([]float32, C)
	w.z = make([]float32, C)
	w.xin = make([]float32, m.In())
	if m.Cfg.Input == InputDirect {
		w.drive = make([]float32, m.Cfg.Sizes[1])
	} else {
		w.drive = make([]float32, m.Cfg.Steps*m.Cfg.Sizes[1])
	}
	return w
}

// encode draws the input of sample x into the worker: Poisson spikes into w.spk, or the
// scaled values into w.xin.
func (m *Model) encode(w *worker, x []float32, seed uint64, coords ...uint64) {
	if m.Cfg.Input == InputDirect {
		g := float32(m.Cfg.Gain)
		for j, v := range x {
			w.xin[j] = g * v
		}
		return
	}
	encodeRNG(w.pcg, seed, coords...)
	m.encoder().Encode(&w.spk, x, m.Cfg.Steps, w.rng)
}

// computeDrive fills w.drive with the first layer's input from the encoded sample.
func (m *Model) computeDrive(w *worker) {
	clear(w.drive)
	if m.Cfg.Input == InputDirect {
		m.Sim.DriveValues(0, w.drive, w.xin)
		return
	}
	m.Sim.Drive(0, w.drive, w.spk.Ptr, w.spk.IDs)
}

// setDrive makes run take the first layer's input from w.drive (the input population
// stays silent).
func (m *Model) setDrive(w *worker) error {
	if err := w.run.SetInput(0, nil, nil); err != nil {
		return err
	}
	return w.run.SetDrive(1, w.drive, m.Cfg.Input == InputDirect)
}

// readoutStep adds the readout's membrane (leaky) or spikes (count) of the last step
// into w.vsum.
func (m *Model) readoutStep(w *worker) {
	L := m.Cfg.Layers()
	if m.Cfg.Readout == ReadoutLeaky {
		for i, v := range w.run.V(L) {
			w.vsum[i] += v
		}
		return
	}
	for _, i := range w.run.Fired(L) {
		w.vsum[i]++
	}
}

// logits writes the logits of w.vsum (plus σ·eps when noise is on and the readout is
// leaky) into dst.
func (m *Model) logits(dst, vsum, eps []float32, noise bool) {
	sc := float32(m.Cfg.Scale)
	if m.Cfg.Readout == ReadoutLeaky {
		sc /= float32(m.Cfg.Steps)
	}
	sg := float32(m.Cfg.Sigma)
	for i, v := range vsum {
		dst[i] = sc * v
		if noise && m.Cfg.Readout == ReadoutLeaky {
			dst[i] += sg * eps[i]
		}
	}
}

// setNoise turns the escape noise of every stochastic population on or off in w.run.
func (m *Model) setNoise(w *worker, on bool) {
	for pop := 1; pop <= m.Cfg.Layers(); pop++ {
		if m.stochastic(pop) {
			_ = w.run.SetDeterministic(pop, !on)
		}
	}
}

// forward runs one sample through the engine: with noise the network fires
// stochastically from the stream of seed (and the leaky readout adds its noise), without
// it every layer fires by threshold. The input is encoded from encSeed. The logits go
// to dst.
func (m *Model) forward(w *worker, dst, x []float32, noise bool, seed, encSeed uint64, row uint64) error {
	m.encode(w, x, encSeed, row)
	w.run.Reset(seed)
	m.setNoise(w, noise)
	// The first layer's input as one drive per step (the rows delivery would add, summed
	// with vector adds): the same network as delivering the input spikes, faster.
	m.computeDrive(w)
	if err := m.setDrive(w); err != nil {
		return err
	}
	clear(w.vsum)
	for range m.Cfg.Steps {
		w.run.Step()
		m.readoutStep(w)
	}
	if noise && m.Cfg.Readout == ReadoutLeaky {
		s1, s2 := lr.StreamSeed(seed, 0x6f7574)
		w.ns.Seed(s1, s2)
		w.ns.Fill(w.eps)
	}
	m.logits(dst, w.vsum, w.eps, noise)
	return nil
}

// forwardChunk is the number of rows per parallel task of Logits.
const forwardChunk = 16

// Logits writes the logits of rows inputs x (rows × In) into dst (rows × Classes), each
// row simulated by the engine. With noise false the network fires by threshold and sees
// the Poisson draw of (EncodeSeed, row); with noise true it fires stochastically and the
// input is drawn, both from streams of (seed, row). It implements attack.Model.
func (m *Model) Logits(dst, x []float32, rows int, noise bool, seed uint64) {
	in, C := m.In(), m.Classes()
	chunks := (rows + forwardChunk - 1) / forwardChunk
	errs := make([]error, chunks)
	lr.ParallelFor(m.Workers, chunks, func(_, c int) {
		w := m.newWorker()
		for r := c * forwardChunk; r < min(rows, (c+1)*forwardChunk); r++ {
			encSeed, runSeed := uint64(EncodeSeed), uint64(0)
			if noise {
				encSeed, runSeed = seed, lr.Hash(seed, uint64(r), 0x72756e)
			}
			if err := m.forward(w, dst[r*C:(r+1)*C], x[r*in:(r+1)*in], noise, runSeed, encSeed, uint64(r)); err != nil {
				errs[c] = err
				return
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			panic(fmt.Sprintf("learn: logits: %v", err)) // hooks on a model this package built cannot fail
		}
	}
}

// Accuracy returns the fraction of rows inputs classified as labelled (noise as in Logits).
func (m *Model) Accuracy(x []float32, y []uint8, rows int, noise bool, seed uint64) float64 {
	if rows == 0 {
		return 0
	}
	C := m.Classes()
	z := make([]float32, rows*C)
	m.Logits(z, x, rows, noise, seed)
	ok := 0
	for r := range rows {
		if nncore.Argmax(z[r*C:(r+1)*C]) == int(y[r]) {
			ok++
		}
	}
	return float64(ok) / float64(rows)
}

// Response simulates one input x and returns the run (for its trace) with every spike of
// every population recorded, input spikes included (direct input: none), and the logits.
func (m *Model) Response(x []float32, noise bool, seed uint64) (*sim.Run, *sim.SpikeRecord, []float32, error) {
	if len(x) != m.In() {
		return nil, nil, nil, fmt.Errorf("learn: response: %d inputs, model takes %d", len(x), m.In())
	}
	w := m.newWorker()
	encSeed, runSeed := uint64(EncodeSeed), uint64(0)
	if noise {
		encSeed, runSeed = seed, lr.Hash(seed, 0, 0x72756e)
	}
	// forward resets the run; record after the reset by running it by hand.
	z := make([]float32, m.Classes())
	m.encode(w, x, encSeed, 0)
	w.run.Reset(runSeed)
	m.setNoise(w, noise)
	if m.Cfg.Input == InputDirect {
		m.computeDrive(w)
		if err := m.setDrive(w); err != nil {
			return nil, nil, nil, err
		}
	} else {
		// Deliver the input spikes through the engine, so that the record shows them.
		if err := w.run.SetDrive(1, nil, false); err != nil {
			return nil, nil, nil, err
		}
		if err := w.run.SetInput(0, w.spk.Ptr, w.spk.IDs); err != nil {
			return nil, nil, nil, err
		}
	}
	rec, err := w.run.RecordSpikes()
	if err != nil {
		return nil, nil, nil, err
	}
	clear(w.vsum)
	for range m.Cfg.Steps {
		w.run.Step()
		m.readoutStep(w)
	}
	if noise && m.Cfg.Readout == ReadoutLeaky {
		s1, s2 := lr.StreamSeed(runSeed, 0x6f7574)
		w.ns.Seed(s1, s2)
		w.ns.Fill(w.eps)
	}
	m.logits(z, w.vsum, w.eps, noise)
	return w.run, rec, z, nil
}

// crossEntropy returns −log softmax(z)_y and, when g is not nil, writes its gradient
// softmax(z) − onehot(y) into g.
func crossEntropy(z []float32, y int, g []float32) float32 {
	mx := z[0]
	for _, v := range z[1:] {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v - mx))
	}
	lse := float64(mx) + math.Log(s)
	if g != nil {
		for i, v := range z {
			g[i] = float32(math.Exp(float64(v) - lse))
		}
		g[y]--
	}
	return float32(lse - float64(z[y]))
}
