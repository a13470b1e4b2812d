package lr

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/snnsim/snnsim/optim"
)

// vec holds gonum's pure-Go BLAS level 1 (SIMD assembly on amd64) for the estimator's
// elementwise passes.
var vec gonum.Implementation

// Param is one trainable tensor with its gradient buffer (see package optim).
type Param = optim.Param

// Mean is the deterministic part of a noisy unit: z = f(x; θ) row by row. It is what an
// architecture implements to be trained by the [Estimator]: a dense layer, a convolution,
// a graph convolution.
type Mean interface {
	// Dims returns the widths of one input row and one output row.
	Dims() (in, out int)
	// Params lists the unit's parameters and gradient buffers.
	Params() []Param
	// Forward writes the mean of rows input rows x (rows×in) into dst (rows×out). It may be
	// called concurrently on different rows and must not write to the unit.
	Forward(dst, x []float32, rows int)
	// AddGrad adds Σ_r (∂z_r/∂θ)ᵀ delta_r to the parameters' gradients, for rows input rows
	// x and as many rows of delta (rows×out): the parameter half of a backward pass, which
	// is also the whole score of an additive-noise unit (delta = c·Score(ε)/s).
	AddGrad(x, delta []float32, rows int)
}

// Preparer is implemented by a [Mean] that caches something derived from its parameters
// (a transposed copy of a weight matrix). The estimator calls Prepare once per batch,
// before any Forward.
type Preparer interface{ Prepare() }

// Activation is an elementwise nonlinearity applied to the noisy mean. It needs no
// derivative: LR trains step and sign units as readily as smooth ones.
type Activation interface {
	Name() string
	// Apply writes act(z) into dst; dst and z may be the same slice.
	Apply(dst, z []float32)
}

// Stage is one noisy unit of a feed-forward stack: out = Act(Mean(x) + Scale·ε).
type Stage struct {
	Mean  Mean
	Act   Activation // nil: identity
	Scale float32    // noise scale s (σ for Gaussian, β for logistic); 0: noiseless stage, not trained
}

// Loss is a per-row loss of the last stage's output (logits), for a class label.
type Loss interface {
	Name() string
	Loss(out []float32, label int) float32
}

// Baseline selects how a copy's loss is centred before it weights the score.
type Baseline int

const (
	// BaselineAuto picks leave-one-out (leave-one-pair-out under antithetic pairs) for
	// full noise, and the clean loss for layer-wise injection, QMC, or too few copies.
	BaselineAuto Baseline = iota
	// BaselineLOO is the mean loss of the sample's other copies (other pairs under
	// antithetic sampling): independent of the copy's own noise, so unbiased.
	BaselineLOO
	// BaselineClean is the loss of the noise-free network on the sample.
	BaselineClean
	// BaselineNone centres nothing.
	BaselineNone
)

var baselineNames = []string{"auto", "loo", "clean", "none"}

func (b Baseline) String() string {
	if int(b) < len(baselineNames) {
		return baselineNames[b]
	}
	return fmt.Sprintf("Baseline(%d)", int(b))
}

// ParseBaseline parses auto, loo, clean or none.
func ParseBaseline(s string) (Baseline, error) {
	for i, n := range baselineNames {
		if n == s {
			return Baseline(i), nil
		}
	}
	return 0, fmt.Errorf("lr: unknown baseline %q (want auto, loo, clean, none)", s)
}

// Config sets up an [Estimator].
type Config struct {
	// Copies is K, the noise copies per sample (split over the noisy stages under
	// layer-wise injection). Even under antithetic sampling.
	Copies int
	// Law is the noise law of every stage; nil means Gaussian.
	Law Law
	// VR selects antithetic pairs, layer-wise injection and QMC noise.
	VR VR
	// Baseline selects the loss centring.
	Baseline Baseline
	// Seed is the root of every noise stream.
	Seed uint64
	// Workers is the number of goroutines (GOMAXPROCS when <= 0). Results do not depend on it.
	Workers int
	// Group is the number of samples per parallel task (default 4). Results do not depend on it.
	Group int
	// Trace, when set, receives the standard noise drawn for every stage and sample
	// (copies×width values, copy-major) before it is used. It is called concurrently for
	// different samples. For tests and diagnostics.
	Trace func(stage, sample int, eps []float32)
}

// Stats describes one gradient estimate.
type Stats struct {
	Loss     float64 // mean loss over the noisy copies
	Forwards int     // noisy forward passes (sample × copy)
}

// Estimator computes likelihood-ratio gradient estimates for a stack of noisy stages:
//
//	grad θ ≈ 1/(B·K) Σ_{n,k} (L_{n,k} − b_{n,k}) · ∇θ log p(out_{n,k} | x_{n,k}; θ)
//
// with no backward pass through other stages. A stage whose input is the same for all
// copies of a sample (the first noisy stage, and every stage under layer-wise injection)
// computes its mean once per sample, and its score collapses to one row per sample:
// (Σ_k c_k Score(ε_k)/s) ⊗ x.
type Estimator struct {
	stages []Stage
	loss   Loss
	cfg    Config
	law    Law
	gauss  bool
	first  int   // first noisy stage
	kl     []int // copies per stage (layer-wise) or K
	base   Baseline

	batch  int         // rows the buffers are sized for
	xs     [][]float32 // stage inputs kept for the score (xs[0] is the caller's x)
	rowsIn []int       // rows of xs[l] per sample
	ds     [][]float32 // score deltas, rowsIn[l] rows per sample
	qmc    [][]float32 // QMC noise of the batch, per stage (a window of qblk)
	qblk   []qmcBlock  // QMC noise of a block of steps, per stage
	qbuf   *mat.Dense
	losses []float64 // per group sum of losses
	z0     []float32 // stage 0's mean for the whole batch (computed once, in one call)
	chunks []gradChunk
	ws     []*workspace
}

type workspace struct {
	ns    NormalStream
	pcg   *rand.PCG
	rng   *rand.Rand
	z     []float32
	eps   [][]float32
	a, b  []float32 // ping-pong activations
	out   []float32
	loss  []float32
	c     []float32
	clean []float32   // clean loss per sample
	cz    [][]float32 // clean means per stage (layer-wise, clean baseline)
	ca    [][]float32 // clean stage outputs
}

// NewEstimator checks the stack and the configuration.
func NewEstimator(stages []Stage, loss Loss, cfg Config) (*Estimator, error) {
	if len(stages) == 0 {
		return nil, errors.New("lr: no stages")
	}
	if loss == nil {
		return nil, errors.New("lr: no loss")
	}
	e := &Estimator{stages: stages, loss: loss, cfg: cfg, law: cfg.Law, first: -1}
	if e.law == nil {
		e.law = Gaussian{}
	}
	_, e.gauss = e.law.(Gaussian)
	if e.cfg.Group <= 0 {
		e.cfg.Group = 4
	}
	prevOut := -1
	var noisy []int
	for l, s := range stages {
		in, _ := s.Mean.Dims()
		if prevOut >= 0 && in != prevOut {
			return nil, fmt.Errorf("lr: stage %d takes %d inputs but stage %d gives %d", l, in, l-1, prevOut)
		}
		_, prevOut = s.Mean.Dims()
		if s.Scale < 0 || math.IsNaN(float64(s.Scale)) {
			return nil, fmt.Errorf("lr: stage %d: noise scale %v", l, s.Scale)
		}
		if s.Scale > 0 {
			noisy = append(noisy, l)
			if e.first < 0 {
				e.first = l
			}
		}
	}
	if len(noisy) == 0 {
		return nil, errors.New("lr: no stage carries noise (every scale is 0): nothing to estimate")
	}
	if cfg.VR.PositionWise {
		return nil, errors.New("lr: position-wise injection needs a model-specific estimator (cnn.NewPosLR)")
	}
	K := cfg.Copies
	if K < 1 {
		return nil, fmt.Errorf("lr: %d copies, want at least 1", K)
	}
	if cfg.VR.Antithetic && K%2 != 0 {
		return nil, fmt.Errorf("lr: antithetic pairs need an even number of copies, got %d", K)
	}
	e.kl = make([]int, len(stages))
	if cfg.VR.LayerWise {
		unit := 1
		if cfg.VR.Antithetic {
			unit = 2
		}
		units := K / unit
		if units < len(noisy) {
			return nil, fmt.Errorf("lr: layer-wise injection over %d noisy stages needs at least %d copies, got %d",
				len(noisy), unit*len(noisy), K)
		}
		for i, k := range SplitCopies(units, len(noisy)) {
			e.kl[noisy[i]] = unit * k
		}
	} else {
		for _, l := range noisy {
			e.kl[l] = K
		}
	}
	minK := K
	for _, l := range noisy {
		minK = min(minK, e.kl[l])
	}
	e.base = cfg.Baseline
	if e.base == BaselineAuto {
		e.base = BaselineLOO
		if cfg.VR.LayerWise || cfg.VR.QMC || minK < 2 || (cfg.VR.Antithetic && minK < 4) {
			e.base = BaselineClean
		}
	}
	if e.base == BaselineLOO && (minK < 2 || (cfg.VR.Antithetic && minK < 4)) {
		return nil, fmt.Errorf("lr: a leave-one-out baseline needs 2 copies per stage (4 with antithetic pairs), got %d", minK)
	}
	return e, nil
}

// SplitCopies splits k copies (or antithetic pairs) over n noisy stages as layer-wise
// injection does: k/n each, the first k mod n stages one more.
func SplitCopies(k, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = k / n
		if i < k%n {
			out[i]++
		}
	}
	return out
}

// Baseline reports the baseline in use (BaselineAuto resolved).
func (e *Estimator) Baseline() Baseline { return e.base }

// Copies reports the copies per sample of each stage (0 for a noiseless stage).
func (e *Estimator) Copies() []int { return append([]int(nil), e.kl...) }

// Params lists the parameters of every stage.
func (e *Estimator) Params() []Param {
	var p []Param
	for _, s := range e.stages {
		p = append(p, s.Mean.Params()...)
	}
	return p
}

func (e *Estimator) alloc(B int) {
	L := len(e.stages)
	K := e.cfg.Copies
	G := e.cfg.Group
	if e.batch < B || e.xs == nil {
		e.batch = B
		e.xs = make([][]float32, L)
		e.rowsIn = make([]int, L)
		e.ds = make([][]float32, L)
		e.qmc = make([][]float32, L)
		shared := true
		for l, s := range e.stages {
			in, out := s.Mean.Dims()
			if e.cfg.VR.LayerWise || shared {
				e.rowsIn[l] = 1
			} else {
				e.rowsIn[l] = K
			}
			if l > 0 {
				e.xs[l] = make([]float32, B*e.rowsIn[l]*in)
			}
			if s.Scale > 0 {
				shared = false
				dr := e.rowsIn[l]
				e.ds[l] = make([]float32, B*dr*out)
			}
		}
	}
	workers := Workers(e.cfg.Workers)
	if len(e.ws) < workers {
		maxW := 0
		for _, s := range e.stages {
			in, out := s.Mean.Dims()
			maxW = max(maxW, in, out)
		}
		_, outL := e.stages[L-1].Mean.Dims()
		for len(e.ws) < workers {
			w := &workspace{pcg: rand.NewPCG(0, 0)}
			w.rng = rand.New(w.pcg)
			w.z = make([]float32, G*K*maxW)
			w.a = make([]float32, G*K*maxW)
			w.b = make([]float32, G*K*maxW)
			w.out = make([]float32, G*K*outL)
			w.loss = make([]float32, G*K)
			w.c = make([]float32, G*K)
			w.clean = make([]float32, G)
			w.eps = make([][]float32, L)
			w.cz = make([][]float32, L)
			w.ca = make([][]float32, L)
			for l, s := range e.stages {
				_, out := s.Mean.Dims()
				w.eps[l] = make([]float32, G*K*out)
				w.cz[l] = make([]float32, G*out)
				w.ca[l] = make([]float32, G*out)
			}
			e.ws = append(e.ws, w)
		}
	}
}

// Grad zeroes the parameters' gradients and fills them with the LR estimate for the
// rows samples x (rows×in) with labels y. step identifies the batch: the noise is a pure
// function of (Seed, step, stage, sample), whatever the number of workers.
func (e *Estimator) Grad(x []float32, y []uint8, rows int, step uint64) (Stats, error) {
	in0, _ := e.stages[0].Mean.Dims()
	if len(x) < rows*in0 || len(y) < rows {
		panic(fmt.Sprintf("lr: Grad: %d rows need %d inputs and %d labels, got %d and %d", rows, rows*in0, rows, len(x), len(y)))
	}
	if rows == 0 {
		return Stats{}, nil
	}
	e.alloc(rows)
	params := e.Params()
	e.chunkGrads(params)
	ParallelFor(e.cfg.Workers, len(e.chunks), func(_, i int) {
		c := e.chunks[i]
		clear(params[c.p].Grad[c.lo:c.hi])
	})
	for _, s := range e.stages {
		if p, ok := s.Mean.(Preparer); ok {
			p.Prepare()
		}
	}
	if e.cfg.VR.QMC {
		e.drawQMC(rows, step)
	}
	G := e.cfg.Group
	groups := (rows + G - 1) / G
	if cap(e.losses) < groups {
		e.losses = make([]float64, groups)
	}
	e.losses = e.losses[:groups]
	e.xs[0] = x[:rows*in0]
	// Stage 0 sees the caller's input in every copy: its mean is computed once for the
	// whole batch, in one call that the unit may block and parallelise (a dense layer keeps
	// a block of weights in cache while all rows stream past).
	_, out0 := e.stages[0].Mean.Dims()
	if cap(e.z0) < rows*out0 {
		e.z0 = make([]float32, rows*out0)
	}
	e.z0 = e.z0[:rows*out0]
	e.stages[0].Mean.Forward(e.z0, e.xs[0], rows)
	ParallelFor(e.cfg.Workers, groups, func(w, g int) {
		n0, n1 := g*G, min(rows, (g+1)*G)
		if e.cfg.VR.LayerWise {
			e.losses[g] = e.groupLayerWise(e.ws[w], y, n0, n1, rows, step)
		} else {
			e.losses[g] = e.groupFull(e.ws[w], y, n0, n1, rows, step)
		}
	})
	var sum float64
	for _, l := range e.losses {
		sum += l
	}
	fw := 0
	for _, k := range e.kl {
		fw += k * rows
	}
	if !e.cfg.VR.LayerWise {
		fw = e.cfg.Copies * rows
	}
	for l, s := range e.stages {
		if s.Scale > 0 {
			s.Mean.AddGrad(e.xs[l], e.ds[l], rows*e.rowsIn[l])
		}
	}
	ParallelFor(e.cfg.Workers, len(e.chunks), func(_, i int) {
		c := &e.chunks[i]
		c.finite = Finite(params[c.p].Grad[c.lo:c.hi])
	})
	for _, c := range e.chunks {
		if !c.finite {
			return Stats{}, fmt.Errorf("lr: gradient of %s is not finite (noise scale or learning rate too large?)", params[c.p].Name)
		}
	}
	return Stats{Loss: sum / float64(fw), Forwards: fw}, nil
}

// gradChunk is a block of one parameter's gradient: clearing and checking the gradients
// of a large layer are split over the workers.
type gradChunk struct {
	p, lo, hi int
	finite    bool
}

// gradChunkLen is the number of values per gradChunk.
const gradChunkLen = 1 << 15

// chunkGrads splits the gradients of params into e.chunks.
func (e *Estimator) chunkGrads(params []Param) {
	e.chunks = e.chunks[:0]
	for i, p := range params {
		for lo := 0; lo < len(p.Grad); lo += gradChunkLen {
			e.chunks = append(e.chunks, gradChunk{p: i, lo: lo, hi: min(len(p.Grad), lo+gradChunkLen)})
		}
	}
}

// qmcBlockPoints is the number of Halton points drawn at once per stage: gonum's Owen
// scrambling draws a random permutation of b digits for every dimension (base b, up to
// the 1000th prime) and digit, whatever the number of points, which cost ~0.1 s per batch
// of the MNIST MLP's first layer when every step drew its own point set.
const qmcBlockPoints = 8192

// qmcBlock holds the uniforms of steps [first, first+steps) of one stage, perStep points
// each.
type qmcBlock struct {
	first, steps uint64
	perStep      int
	u            []float64
	shift        []float64
}

// drawQMC writes the batch's QMC noise of every noisy stage into e.qmc. Steps come in
// blocks of S = max(1, qmcBlockPoints/P) (P points per step): the block is one
// Owen-scrambled Halton point set of S·P points, seeded by (Seed, stage, block, P), and
// step t takes its points t mod S, shifted modulo 1 by a uniform vector of its own
// (Cranley–Patterson rotation, seeded by (Seed, step, stage)), then mapped through the
// law's quantile. The shift keeps the differences between the step's points, hence their
// stratification, and makes every point uniform on the cube whatever the block: the
// estimate is unbiased, and the estimates of different steps are uncorrelated, as with
// an independent point set per step. The noise is a pure function of the step.
func (e *Estimator) drawQMC(rows int, step uint64) {
	if len(e.qblk) != len(e.stages) {
		e.qblk = make([]qmcBlock, len(e.stages))
	}
	for l, s := range e.stages {
		if s.Scale == 0 {
			continue
		}
		_, out := s.Mean.Dims()
		ind := e.kl[l]
		if e.cfg.VR.Antithetic {
			ind /= 2
		}
		P := rows * ind
		S := uint64(max(1, qmcBlockPoints/P))
		first := step / S * S
		b := &e.qblk[l]
		if b.u == nil || b.first != first || b.steps != S || b.perStep != P {
			b.first, b.steps, b.perStep = first, S, P
			if cap(b.u) < int(S)*P*out {
				b.u = make([]float64, int(S)*P*out)
			}
			b.u = b.u[:int(S)*P*out]
			s1, s2 := StreamSeed(e.cfg.Seed, first/S, uint64(l), uint64(P), 0x716d63)
			e.qbuf = haltonUniforms(b.u, int(S)*P, out, s1, s2, e.qbuf)
		}
		if len(b.shift) != out {
			b.shift = make([]float64, out)
		}
		s1, s2 := StreamSeed(e.cfg.Seed, step, uint64(l), 0x716d63)
		r := NewNormalStream(s1, s2)
		for j := range b.shift {
			b.shift[j] = r.uniform()
		}
		if cap(e.qmc[l]) < P*out {
			e.qmc[l] = make([]float32, P*out)
		}
		e.qmc[l] = e.qmc[l][:P*out]
		u := b.u[int(step-first)*P*out:]
		dst := e.qmc[l]
		const chunk = 64 // points per parallel task
		ParallelFor(e.cfg.Workers, (P+chunk-1)/chunk, func(_, c int) {
			for p := c * chunk; p < min(P, (c+1)*chunk); p++ {
				for j, d := range b.shift {
					v := u[p*out+j] + d
					if v >= 1 {
						v--
					}
					dst[p*out+j] = float32(e.law.Quantile(clampUnit(v)))
				}
			}
		})
	}
}

// fill writes copies×width standard noise for sample n of stage l into dst.
func (e *Estimator) fill(w *workspace, dst []float32, step uint64, l, n, copies, width int) {
	anti := e.cfg.VR.Antithetic
	ind := copies
	if anti {
		ind /= 2
	}
	row := func(j int) []float32 {
		if anti {
			return dst[2*j*width : (2*j+1)*width]
		}
		return dst[j*width : (j+1)*width]
	}
	if e.cfg.VR.QMC {
		src := e.qmc[l][n*ind*width:]
		for j := range ind {
			copy(row(j), src[j*width:(j+1)*width])
		}
	} else {
		s1, s2 := StreamSeed(e.cfg.Seed, step, uint64(l), uint64(n))
		w.pcg.Seed(s1, s2)
		w.ns.Seed(s1, s2)
		for j := range ind {
			r := row(j)
			if e.gauss {
				w.ns.Fill32(r)
			} else {
				for i := range r {
					r[i] = float32(e.law.Sample(w.rng))
				}
			}
		}
	}
	if anti {
		for j := range ind {
			a, b := dst[2*j*width:(2*j+1)*width], dst[(2*j+1)*width:(2*j+2)*width]
			for i, v := range a {
				b[i] = -v
			}
		}
	}
	if e.cfg.Trace != nil {
		e.cfg.Trace(l, n, dst[:copies*width])
	}
}

func (e *Estimator) act(l int, dst []float32) {
	if a := e.stages[l].Act; a != nil {
		a.Apply(dst, dst)
	}
}

// groupFull runs samples [n0, n1) with noise in every noisy stage and writes their score
// deltas; it returns the sum of their copies' losses.
func (e *Estimator) groupFull(w *workspace, y []uint8, n0, n1, B int, step uint64) float64 {
	K := e.cfg.Copies
	L := len(e.stages)
	G := n1 - n0
	in0, _ := e.stages[0].Mean.Dims()
	cur := e.xs[0][n0*in0 : n1*in0]
	shared := true
	for l, s := range e.stages {
		_, out := s.Mean.Dims()
		rows := G
		if !shared {
			rows = G * K
		}
		z := w.z[:rows*out]
		if l == 0 {
			z = e.z0[n0*out : n1*out]
		} else {
			s.Mean.Forward(z, cur, rows)
		}
		outRows := rows
		if s.Scale > 0 {
			outRows = G * K
		}
		var dst []float32
		if l == L-1 {
			dst = w.out[:outRows*out]
		} else {
			r := e.rowsIn[l+1]
			dst = e.xs[l+1][n0*r*out : n1*r*out]
		}
		if s.Scale == 0 {
			copy(dst, z)
		} else {
			eps := w.eps[l][:G*K*out]
			for n := range G {
				e.fill(w, eps[n*K*out:(n+1)*K*out], step, l, n0+n, K, out)
			}
			sc := s.Scale
			for r := range G * K {
				src := r
				if shared {
					src = r / K
				}
				zr := z[src*out : (src+1)*out]
				d, er := dst[r*out:(r+1)*out], eps[r*out:(r+1)*out]
				addScaled(d, zr, er, sc)
			}
			shared = false
		}
		e.act(l, dst)
		cur = dst
	}
	_, outL := e.stages[L-1].Mean.Dims()
	sum := e.losses1(w, w.out, y, n0, G, K, outL)
	if e.base == BaselineClean {
		e.cleanLoss(w, y, n0, n1)
	}
	e.centre(w, G, K, B)
	for l, s := range e.stages {
		if s.Scale == 0 {
			continue
		}
		_, out := s.Mean.Dims()
		eps := w.eps[l][:G*K*out]
		if e.rowsIn[l] == 1 {
			e.collapse(e.ds[l][n0*out:n1*out], eps, w.c, G, K, out, s.Scale)
		} else {
			e.weigh(e.ds[l][n0*K*out:n1*K*out], eps, w.c, G*K, out, s.Scale)
		}
	}
	return sum
}

// groupLayerWise runs samples [n0, n1) under layer-wise injection: one clean pass, then
// for each noisy stage its copies from the shared clean input of that stage.
func (e *Estimator) groupLayerWise(w *workspace, y []uint8, n0, n1, B int, step uint64) float64 {
	L := len(e.stages)
	G := n1 - n0
	in0, _ := e.stages[0].Mean.Dims()
	cur := e.xs[0][n0*in0 : n1*in0]
	// Clean pass: means into w.cz, outputs into the next stage's kept input (or w.ca).
	for l, s := range e.stages {
		_, out := s.Mean.Dims()
		if l == 0 {
			copy(w.cz[0][:G*out], e.z0[n0*out:n1*out])
		} else {
			s.Mean.Forward(w.cz[l][:G*out], cur, G)
		}
		dst := w.ca[l][:G*out]
		if l < L-1 {
			dst = e.xs[l+1][n0*out : n1*out]
		}
		copy(dst, w.cz[l][:G*out])
		e.act(l, dst)
		cur = dst
	}
	_, outL := e.stages[L-1].Mean.Dims()
	for n := range G {
		w.clean[n] = e.loss.Loss(w.ca[L-1][n*outL:(n+1)*outL], int(y[n0+n]))
	}
	var sum float64
	for l, s := range e.stages {
		K := e.kl[l]
		if K == 0 {
			continue
		}
		_, out := s.Mean.Dims()
		eps := w.eps[l][:G*K*out]
		for n := range G {
			e.fill(w, eps[n*K*out:(n+1)*K*out], step, l, n0+n, K, out)
		}
		h := w.a[:G*K*out]
		cz := w.cz[l]
		for r := range G * K {
			zr := cz[(r/K)*out : (r/K+1)*out]
			d, er := h[r*out:(r+1)*out], eps[r*out:(r+1)*out]
			addScaled(d, zr, er, s.Scale)
		}
		e.act(l, h)
		cur, nxt := h, w.b
		for m := l + 1; m < L; m++ {
			_, o := e.stages[m].Mean.Dims()
			dst := nxt[:G*K*o]
			e.stages[m].Mean.Forward(dst, cur, G*K)
			e.act(m, dst)
			cur, nxt = dst, cur[:cap(cur)]
		}
		sum += e.losses1(w, cur, y, n0, G, K, outL)
		e.centre(w, G, K, B)
		e.collapse(e.ds[l][n0*out:n1*out], eps, w.c, G, K, out, s.Scale)
	}
	return sum
}

// losses1 computes the G·K copy losses into w.loss and returns their sum.
func (e *Estimator) losses1(w *workspace, out []float32, y []uint8, n0, G, K, width int) float64 {
	var sum float64
	for r := range G * K {
		v := e.loss.Loss(out[r*width:(r+1)*width], int(y[n0+r/K]))
		w.loss[r] = v
		sum += float64(v)
	}
	return sum
}

// cleanLoss computes the noise-free loss of samples [n0, n1) into w.clean.
func (e *Estimator) cleanLoss(w *workspace, y []uint8, n0, n1 int) {
	G := n1 - n0
	in0, _ := e.stages[0].Mean.Dims()
	cur := e.xs[0][n0*in0 : n1*in0]
	for l, s := range e.stages {
		_, out := s.Mean.Dims()
		dst := w.ca[l][:G*out]
		if l == 0 {
			copy(dst, e.z0[n0*out:n1*out])
		} else {
			s.Mean.Forward(dst, cur, G)
		}
		e.act(l, dst)
		cur = dst
	}
	_, outL := e.stages[len(e.stages)-1].Mean.Dims()
	for n := range G {
		w.clean[n] = e.loss.Loss(cur[n*outL:(n+1)*outL], int(y[n0+n]))
	}
}

// centre turns the copy losses into weights c = (L − b)/(B·K).
func (e *Estimator) centre(w *workspace, G, K, B int) {
	norm := 1 / float64(B*K)
	anti := e.cfg.VR.Antithetic
	for n := range G {
		ls := w.loss[n*K : (n+1)*K]
		c := w.c[n*K : (n+1)*K]
		var tot float64
		for _, v := range ls {
			tot += float64(v)
		}
		for k, v := range ls {
			var b float64
			switch e.base {
			case BaselineLOO:
				if anti {
					b = (tot - float64(v) - float64(ls[k^1])) / float64(K-2)
				} else {
					b = (tot - float64(v)) / float64(K-1)
				}
			case BaselineClean:
				b = float64(w.clean[n])
			}
			c[k] = float32((float64(v) - b) * norm)
		}
	}
}

// collapse writes one delta row per sample: Σ_k c_k·Score(ε_k)/s.
func (e *Estimator) collapse(dst, eps, c []float32, G, K, width int, s float32) {
	inv := 1 / s
	clear(dst[:G*width])
	for n := range G {
		d := dst[n*width : (n+1)*width]
		for k := range K {
			ck := c[n*K+k] * inv
			er := eps[(n*K+k)*width : (n*K+k+1)*width]
			if e.gauss {
				vec.Saxpy(width, ck, er, 1, d, 1)
			} else {
				for i, v := range er {
					d[i] += ck * e.law.Score(v)
				}
			}
		}
	}
}

// weigh writes one delta row per copy: c·Score(ε)/s.
func (e *Estimator) weigh(dst, eps, c []float32, rows, width int, s float32) {
	inv := 1 / s
	for r := range rows {
		cr := c[r] * inv
		d, er := dst[r*width:(r+1)*width], eps[r*width:(r+1)*width]
		if e.gauss {
			copy(d, er)
			vec.Sscal(width, cr, d, 1)
		} else {
			for i, v := range er {
				d[i] = cr * e.law.Score(v)
			}
		}
	}
}

// addScaled writes z + s·e into dst: addScaledGeneric, or an AVX version in
// GOEXPERIMENT=simd builds on amd64 with the same operations (a product, then a sum: the
// same bits).
var addScaled = addScaledGeneric

func addScaledGeneric(dst, z, e []float32, s float32) {
	copy(dst, z)
	vec.Saxpy(len(z), s, e, 1, dst, 1)
}

// Finite reports whether every value of v is finite: a NaN or an infinity makes the
// (four-way) sum of v·0 a NaN. Estimators check their gradients with it.
func Finite(v []float32) bool {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i] * 0
		s1 += v[i+1] * 0
		s2 += v[i+2] * 0
		s3 += v[i+3] * 0
	}
	for ; i < len(v); i++ {
		s0 += v[i] * 0
	}
	return s0+s1+s2+s3 == 0
}
