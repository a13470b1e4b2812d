package learn

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/sim"
)

// LRConfig sets up an [LR] learner.
type LRConfig struct {
	// Copies is K, the noise copies of each sample; under layer-wise injection, of each
	// noisy layer (not split among them as lr.Estimator does: a leaky readout's copies
	// cost no simulation, and the hidden layers need every copy they can get). Even under
	// antithetic sampling.
	Copies int
	// VR selects antithetic pairs (common random numbers u, 1−u for the firing draws; ε,
	// −ε for the readout's Gaussian noise) and layer-wise injection. QMC does not apply to
	// Bernoulli firing and is refused.
	VR lr.VR
	// Baseline selects how a copy's loss is centred (lr.BaselineAuto: leave-one-out, or
	// leave-one-pair-out under antithetic pairs; the clean loss with too few copies).
	Baseline lr.Baseline
	// Seed is the root of the input encodings and of every firing stream.
	Seed uint64
	// Workers is the number of goroutines (GOMAXPROCS when <= 0); results do not depend on it.
	Workers int
}

// LR trains a [Model] by the likelihood-ratio method from its own stochastic firing: no
// backward pass, no surrogate. For each sample it encodes the input once, computes the
// first layer's input once (shared by the copies), runs K noise copies through the
// engine with score recording on, centres each copy's loss by a baseline and turns the
// recorded scores into weight gradients:
//
//	grad w_l ≈ 1/(B·K) Σ_{n,k} (L_{n,k} − b_{n,k}) Σ_t δ_{l,n,k}(t) ē_{l−1,n,k}(t)ᵀ
//
// The first layer sees the same input in every copy, so its score collapses to
// Σ_t (Σ_k c_k δ_k(t)) ē(t)ᵀ, one product per sample; deeper layers take one product per
// copy. Each product is accumulated spike-driven ([sim.Model.AccumScore]).
//
// It implements lr.Learner.
type LR struct {
	m     *Model
	cfg   LRConfig
	base  lr.Baseline
	noisy []int // noisy populations, 1..L
	kl    []int // copies of each population under layer-wise injection (index pop)

	samples []sampleState
	ws      []*lrWorker
	chunks  int
}

// term is one spike-driven product: λ (steps × width of the target) gathered into the
// gradient rows of the presynaptic neurons that spiked (ptr, ids), or, for direct input,
// Σ_t λ(t) scaled by the input values.
type term struct {
	proj     int
	ptr, ids []int32
	vals     []float32
	dense    []float32 // real-valued presynaptic activity, steps × width of the source (smoothed BPTT)
	lam      []float32
}

// sampleState holds what one sample leaves for the accumulation phase.
type sampleState struct {
	terms        []term
	nterm        int
	inPtr, inIDs []int32
	xin          []float32
	logs         [][]spikeLog // [copy][pop]: spikes of hidden populations, by step
	lams         [][]float32  // storage of the terms' λ
	loss         float64
	forwards     int
	err          error
}

// spikeLog holds one population's spikes of one run, by step (encode.Spikes layout).
type spikeLog struct{ ptr, ids []int32 }

func (l *spikeLog) reset() {
	l.ptr = append(l.ptr[:0], 0)
	l.ids = l.ids[:0]
}

func (l *spikeLog) add(fired []int32) {
	l.ids = append(l.ids, fired...)
	l.ptr = append(l.ptr, int32(len(l.ids)))
}

func (s *sampleState) newTerm(proj int, width int) *term {
	if s.nterm == len(s.terms) {
		s.terms = append(s.terms, term{})
		s.lams = append(s.lams, nil)
	}
	k := s.nterm
	s.nterm++
	if cap(s.lams[k]) < width {
		s.lams[k] = make([]float32, width)
	}
	s.terms[k] = term{proj: proj, lam: s.lams[k][:width]}
	return &s.terms[k]
}

// ensureLogs makes room for the spike logs of copies [0, copies) and populations
// [0, pops), before any pointer into them is taken (growing them later would move them).
func (s *sampleState) ensureLogs(copies, pops int) {
	for len(s.logs) < copies {
		s.logs = append(s.logs, nil)
	}
	for k := range s.logs {
		for len(s.logs[k]) < pops {
			s.logs[k] = append(s.logs[k], spikeLog{})
		}
	}
}

// log returns the spike log of population pop in copy k (see ensureLogs).
func (s *sampleState) log(k, pop int) *spikeLog { return &s.logs[k][pop] }

// lrWorker is the scratch space of one goroutine.
type lrWorker struct {
	fw    *worker
	delta [][][]float32 // [copy][pop] steps × Sizes[pop], views of block
	block [][]float32   // [pop] copies × steps × Sizes[pop]
	eps   [][]float32   // [copy] readout noise
	loss  []float32
	c     []float32
	z, g  []float32
	clean []float32 // clean logits
	a     []float32 // BackFilter scratch
}

// NewLR checks the configuration against the model.
func NewLR(m *Model, cfg LRConfig) (*LR, error) {
	if cfg.VR.QMC {
		return nil, errors.New("learn: qmc does not apply to Bernoulli firing (use antithetic or layerwise)")
	}
	K := cfg.Copies
	if K < 1 {
		return nil, fmt.Errorf("learn: %d copies, want at least 1", K)
	}
	if cfg.VR.Antithetic && K%2 != 0 {
		return nil, fmt.Errorf("learn: antithetic pairs need an even number of copies, got %d", K)
	}
	e := &LR{m: m, cfg: cfg, kl: make([]int, m.Cfg.Layers()+1)}
	for pop := 1; pop <= m.Cfg.Layers(); pop++ {
		if !m.noisy(pop) {
			what := "beta = 0"
			if pop == m.Cfg.Layers() {
				what = "no readout noise (sigma or beta_out = 0)"
			}
			return nil, fmt.Errorf("learn: layer %d has %s: LR cannot train it", pop, what)
		}
		e.noisy = append(e.noisy, pop)
	}
	minK := K
	if cfg.VR.LayerWise {
		for _, pop := range e.noisy {
			e.kl[pop] = K
		}
	}
	e.base = cfg.Baseline
	if e.base == lr.BaselineAuto {
		// Unlike lr.Estimator, leave-one-out under layer-wise injection too: the
		// threshold network is not the mean of the stochastic one, so its loss centres
		// worse (measured: 86.5 % against 84.7 % after 10 000 MNIST samples).
		e.base = lr.BaselineLOO
		if minK < 2 || (cfg.VR.Antithetic && minK < 4) {
			e.base = lr.BaselineClean
		}
	}
	if e.base == lr.BaselineLOO && (minK < 2 || (cfg.VR.Antithetic && minK < 4)) {
		return nil, fmt.Errorf("learn: a leave-one-out baseline needs 2 copies per layer (4 with antithetic pairs), got %d", minK)
	}
	return e, nil
}

// Baseline reports the baseline in use (BaselineAuto resolved).
func (e *LR) Baseline() lr.Baseline { return e.base }

// Params lists the model's weights and gradient buffers.
func (e *LR) Params() []lr.Param { return e.m.Params() }

func (e *LR) alloc(rows int) {
	if len(e.samples) < rows {
		e.samples = append(e.samples, make([]sampleState, rows-len(e.samples))...)
	}
	workers := min(lr.Workers(e.cfg.Workers), rows)
	m := e.m
	K, T, C := e.cfg.Copies, m.Cfg.Steps, m.Classes()
	for len(e.ws) < workers {
		w := &lrWorker{fw: m.newWorker(), loss: make([]float32, K), c: make([]float32, K),
			z: make([]float32, C), g: make([]float32, C), clean: make([]float32, C)}
		maxW := 0
		for _, s := range m.Cfg.Sizes[1:] {
			maxW = max(maxW, s)
		}
		w.a = make([]float32, maxW)
		// δ of every copy of a population in one block, copy-major, so that Σ_k c_k δ_k is
		// one matrix-vector product.
		w.block = make([][]float32, m.Cfg.Layers()+1)
		for pop := 1; pop <= m.Cfg.Layers(); pop++ {
			w.block[pop] = make([]float32, K*T*m.Cfg.Sizes[pop])
		}
		for k := range K {
			d := make([][]float32, m.Cfg.Layers()+1)
			for pop := 1; pop <= m.Cfg.Layers(); pop++ {
				n := T * m.Cfg.Sizes[pop]
				d[pop] = w.block[pop][k*n : (k+1)*n]
			}
			w.delta = append(w.delta, d)
			w.eps = append(w.eps, make([]float32, C))
		}
		e.ws = append(e.ws, w)
	}
}

// Grad zeroes the weight gradients and fills them with the LR estimate for rows samples
// x (rows × In) with labels y. step identifies the batch: encodings and firing draws are
// a pure function of (Seed, step, sample, copy), whatever the number of workers.
func (e *LR) Grad(x []float32, y []uint8, rows int, step uint64) (lr.Stats, error) {
	m := e.m
	in := m.In()
	if len(x) < rows*in || len(y) < rows {
		panic(fmt.Sprintf("learn: Grad: %d rows need %d inputs and %d labels, got %d and %d", rows, rows*in, rows, len(x), len(y)))
	}
	if rows == 0 {
		return lr.Stats{}, nil
	}
	e.alloc(min(rows, sampleGroup))
	var st lr.Stats
	for g0 := 0; g0 < rows; g0 += sampleGroup {
		g := min(rows-g0, sampleGroup)
		lr.ParallelFor(e.cfg.Workers, g, func(wi, j int) {
			n := g0 + j
			s := &e.samples[j]
			s.nterm, s.loss, s.forwards, s.err = 0, 0, 0, nil
			s.ensureLogs(e.cfg.Copies, m.Cfg.Layers()+1)
			if int(y[n]) >= m.Classes() {
				s.err = fmt.Errorf("learn: label %d of sample %d out of range [0,%d)", y[n], n, m.Classes())
				return
			}
			if e.cfg.VR.LayerWise {
				s.err = e.sampleLayerWise(e.ws[wi], s, x[n*in:(n+1)*in], int(y[n]), n, rows, step)
			} else {
				s.err = e.sampleFull(e.ws[wi], s, x[n*in:(n+1)*in], int(y[n]), n, rows, step)
			}
		})
		for j := range g {
			s := &e.samples[j]
			if s.err != nil {
				return lr.Stats{}, s.err
			}
			st.Loss += s.loss
			st.Forwards += s.forwards
		}
		accumulate(m, e.samples[:g], e.cfg.Workers, g0 == 0)
	}
	copies := e.cfg.Copies * rows
	if e.cfg.VR.LayerWise {
		copies *= len(e.noisy)
	}
	st.Loss /= float64(copies)
	for _, p := range m.Params() {
		if !finite(p.Grad) {
			return lr.Stats{}, fmt.Errorf("learn: gradient of %s is not finite", p.Name)
		}
	}
	return st, nil
}

// copySeed returns the firing seed of copy k of sample n (antithetic copies share their
// pair's seed) and whether it is the antithetic member.
func (e *LR) copySeed(step uint64, n, layer, k int) (uint64, bool) {
	pair, anti := k, false
	if e.cfg.VR.Antithetic {
		pair, anti = k/2, k%2 == 1
	}
	return lr.Hash(e.cfg.Seed, step, uint64(n), uint64(layer), uint64(pair)), anti
}

// prepare encodes sample x, computes the first layer's drive and keeps the input for the
// accumulation phase.
func (e *LR) prepare(w *lrWorker, s *sampleState, x []float32, n int, step uint64) error {
	m := e.m
	m.encode(w.fw, x, e.cfg.Seed, step, uint64(n))
	m.computeDrive(w.fw)
	if m.Cfg.Input == InputDirect {
		s.xin = append(s.xin[:0], w.fw.xin...)
	} else {
		s.inPtr = append(s.inPtr[:0], w.fw.spk.Ptr...)
		s.inIDs = append(s.inIDs[:0], w.fw.spk.IDs...)
	}
	return m.setDrive(w.fw)
}

// simulate runs one copy: noise on in the populations of on (all stochastic ones when on
// is nil), antithetic draws if anti, scores recorded into w.delta[k], spikes of the hidden
// populations logged into logs (when not nil). The readout's membrane sum or counts are
// left in w.fw.vsum.
func (e *LR) simulate(w *lrWorker, k int, seed uint64, anti bool, on func(pop int) bool, logs func(pop int) *spikeLog) error {
	m := e.m
	run := w.fw.run
	run.Reset(seed)
	L := m.Cfg.Layers()
	for pop := 1; pop <= L; pop++ {
		if !m.stochastic(pop) {
			continue
		}
		noisy := on == nil || on(pop)
		if err := run.SetDeterministic(pop, !noisy); err != nil {
			return err
		}
		if err := run.SetAntithetic(pop, anti && noisy); err != nil {
			return err
		}
		var buf []float32
		if noisy && k >= 0 {
			buf = w.delta[k][pop]
		}
		if err := run.RecordScore(pop, buf); err != nil {
			return err
		}
	}
	var lg []*spikeLog
	if logs != nil {
		for pop := 1; pop < L; pop++ {
			l := logs(pop)
			l.reset()
			lg = append(lg, l)
		}
	}
	clear(w.fw.vsum)
	for range m.Cfg.Steps {
		run.Step()
		for i, l := range lg {
			l.add(run.Fired(i + 1))
		}
		m.readoutStep(w.fw)
	}
	return nil
}

// readoutNoise draws copy k's Gaussian readout noise (the pair's draw, negated for the
// antithetic member) into w.eps[k].
func (e *LR) readoutNoise(w *lrWorker, k int, seed uint64, anti bool) {
	s1, s2 := lr.StreamSeed(seed, 0x6f7574)
	w.fw.ns.Seed(s1, s2)
	w.fw.ns.Fill(w.eps[k])
	if anti {
		for i, v := range w.eps[k] {
			w.eps[k][i] = -v
		}
	}
}

// readoutDelta writes the score rows of the leaky readout's Gaussian noise, δ_i(t) =
// ε_i·Scale/(σ·T) at every step (∂z_i/∂u_i(t) = Scale/T), into dst.
func (e *LR) readoutDelta(dst, eps []float32) {
	m := e.m
	C, T := m.Classes(), m.Cfg.Steps
	f := float32(m.Cfg.Scale / (m.Cfg.Sigma * float64(T)))
	for t := range T {
		row := dst[t*C : (t+1)*C]
		for i, v := range eps {
			row[i] = f * v
		}
	}
}

// sampleFull runs the K copies of one sample with noise in every layer.
func (e *LR) sampleFull(w *lrWorker, s *sampleState, x []float32, y, n, B int, step uint64) error {
	m := e.m
	K, L := e.cfg.Copies, m.Cfg.Layers()
	if err := e.prepare(w, s, x, n, step); err != nil {
		return err
	}
	leakyNoise := m.Cfg.Readout == ReadoutLeaky
	for k := range K {
		seed, anti := e.copySeed(step, n, 0, k)
		if err := e.simulate(w, k, seed, anti, nil, func(pop int) *spikeLog { return s.log(k, pop) }); err != nil {
			return err
		}
		if leakyNoise {
			e.readoutNoise(w, k, seed, anti)
			e.readoutDelta(w.delta[k][L], w.eps[k])
		}
		m.logits(w.z, w.fw.vsum, w.eps[k], true)
		w.loss[k] = crossEntropy(w.z, y, nil)
		s.loss += float64(w.loss[k])
	}
	s.forwards = K
	if e.base == lr.BaselineClean {
		if err := e.cleanRun(w, nil); err != nil {
			return err
		}
		s.forwards++
	}
	e.centre(w, K, B, crossEntropyOf(w.clean, y))
	// Layer 1: one product per sample, Σ_k c_k δ_k collapsed before filtering.
	e.firstTerm(w, s, K, 1)
	// Deeper layers: one product per copy, from that copy's presynaptic spikes.
	for pop := 2; pop <= L; pop++ {
		N := m.Cfg.Sizes[pop]
		for k := range K {
			t := s.newTerm(pop-1, m.Cfg.Steps*N)
			lg := s.log(k, pop-1)
			t.ptr, t.ids = lg.ptr, lg.ids
			ck := w.c[k]
			for i, d := range w.delta[k][pop] {
				t.lam[i] = ck * d
			}
			sim.BackFilter(t.lam, t.lam, w.a, m.Cfg.Steps, N, m.coef[pop-1])
		}
	}
	return nil
}

// firstTerm adds the collapsed product of population pop's projection from its
// presynaptic population, whose spikes are the same in the K copies: the sample's input
// (pop 1) or the clean run's spikes (layer-wise).
func (e *LR) firstTerm(w *lrWorker, s *sampleState, K, pop int) {
	m := e.m
	T, N := m.Cfg.Steps, m.Cfg.Sizes[pop]
	t := s.newTerm(pop-1, T*N)
	// Σ_k c_k δ_k(t): one matrix-vector product over the copies' block.
	blas32.Gemv(blas.Trans, 1, blas32.General{Rows: K, Cols: T * N, Stride: T * N, Data: w.block[pop][:K*T*N]},
		blas32.Vector{N: K, Inc: 1, Data: w.c[:K]}, 0, blas32.Vector{N: T * N, Inc: 1, Data: t.lam})
	sim.BackFilter(t.lam, t.lam, w.a, T, N, m.coef[pop-1])
	switch {
	case pop > 1:
		lg := s.log(0, pop-1)
		t.ptr, t.ids = lg.ptr, lg.ids
	case m.Cfg.Input == InputDirect:
		// Σ_t λ(t) times the constant input.
		sum := t.lam[:N]
		for tt := 1; tt < T; tt++ {
			for i, v := range t.lam[tt*N : (tt+1)*N] {
				sum[i] += v
			}
		}
		t.lam = sum
		t.vals = s.xin
	default:
		t.ptr, t.ids = s.inPtr, s.inIDs
	}
}

// cleanRun runs the noise-free network (every layer by threshold, no readout noise) and
// leaves its logits in w.clean; logs receives the hidden spikes when not nil.
func (e *LR) cleanRun(w *lrWorker, logs func(pop int) *spikeLog) error {
	if err := e.simulate(w, -1, 0, false, func(int) bool { return false }, logs); err != nil {
		return err
	}
	e.m.logits(w.clean, w.fw.vsum, nil, false)
	return nil
}

// sampleLayerWise runs one clean pass, then for each noisy layer its copies with noise in
// that layer only: the other layers fire by their threshold (deterministically) and the
// leaky readout adds no noise. The layer's input is then the clean run's, the same in
// all its copies, so its score collapses to one product per sample.
func (e *LR) sampleLayerWise(w *lrWorker, s *sampleState, x []float32, y, n, B int, step uint64) error {
	m := e.m
	L := m.Cfg.Layers()
	if err := e.prepare(w, s, x, n, step); err != nil {
		return err
	}
	if err := e.cleanRun(w, func(pop int) *spikeLog { return s.log(0, pop) }); err != nil {
		return err
	}
	s.forwards = 1
	cleanLoss := crossEntropyOf(w.clean, y)
	cleanSum := append([]float32(nil), w.fw.vsum...)
	for _, pop := range e.noisy {
		K := e.kl[pop]
		for k := range K {
			seed, anti := e.copySeed(step, n, pop, k)
			if pop == L && m.Cfg.Readout == ReadoutLeaky {
				// Only the readout's Gaussian noise: no need to simulate again.
				e.readoutNoise(w, k, seed, anti)
				e.readoutDelta(w.delta[k][L], w.eps[k])
				m.logits(w.z, cleanSum, w.eps[k], true)
			} else {
				if err := e.simulate(w, k, seed, anti, func(p int) bool { return p == pop }, nil); err != nil {
					return err
				}
				s.forwards++
				m.logits(w.z, w.fw.vsum, nil, false)
			}
			w.loss[k] = crossEntropy(w.z, y, nil)
			s.loss += float64(w.loss[k])
		}
		e.centre(w, K, B, cleanLoss)
		e.firstTerm(w, s, K, pop)
	}
	return nil
}

func crossEntropyOf(z []float32, y int) float32 { return crossEntropy(z, y, nil) }

// centre turns the K copy losses in w.loss into weights c = (L − b)/(B·K) in w.c.
func (e *LR) centre(w *lrWorker, K, B int, clean float32) {
	norm := 1 / float64(B*K)
	var tot float64
	for _, v := range w.loss[:K] {
		tot += float64(v)
	}
	for k, v := range w.loss[:K] {
		var b float64
		switch e.base {
		case lr.BaselineLOO:
			if e.cfg.VR.Antithetic {
				b = (tot - float64(v) - float64(w.loss[k^1])) / float64(K-2)
			} else {
				b = (tot - float64(v)) / float64(K-1)
			}
		case lr.BaselineClean:
			b = float64(clean)
		}
		w.c[k] = float32((float64(v) - b) * norm)
	}
}

// sampleGroup is the number of samples whose score terms are held at once: a batch is
// simulated and accumulated group by group, so that memory grows with neither the batch
// nor, beyond one group's terms, the number of steps. Every gradient entry is still summed
// over the samples in order, so the result is the same as one pass over the batch.
const sampleGroup = 16

// accumChunk is the number of presynaptic rows per parallel task of the accumulation.
const accumChunk = 64

// accumulate adds every term of every sample into the weight gradients: parallel over
// blocks of presynaptic rows, each block visiting the samples and their terms in order,
// so every gradient entry is summed in the same order at any number of workers.
// The gradients are zeroed first when first is set; otherwise the terms are added.
func accumulate(m *Model, samples []sampleState, workers int, first bool) {
	for l := range m.Cfg.Layers() {
		grad := m.grads[l]
		if first {
			clear(grad)
		}
		rowsPre := m.Cfg.Sizes[l]
		blocks := (rowsPre + accumChunk - 1) / accumChunk
		lr.ParallelFor(workers, blocks, func(_, b int) {
			lo, hi := int32(b*accumChunk), int32(min(rowsPre, (b+1)*accumChunk))
			for n := range samples {
				s := &samples[n]
				for _, t := range s.terms[:s.nterm] {
					if t.proj != l {
						continue
					}
					switch {
					case t.vals != nil:
						m.Sim.AccumScoreValues(l, grad, t.vals, t.lam, lo, hi)
						continue
					case t.dense != nil:
						accumDense(grad, t.dense, t.lam, rowsPre, m.Cfg.Sizes[l+1], lo, hi)
						continue
					}
					m.Sim.AccumScore(l, grad, t.ptr, t.ids, t.lam, lo, hi)
				}
			}
		})
	}
}

// accumDense adds Σ_t a_j(t)·λ(t) into row j of grad for j in [lo, hi), a (steps × nPre)
// real-valued presynaptic activity.
func accumDense(grad, a, lam []float32, nPre, nPost int, lo, hi int32) {
	steps := len(a) / nPre
	for t := range steps {
		lt := lam[t*nPost : (t+1)*nPost]
		for j := lo; j < hi; j++ {
			aj := a[t*nPre+int(j)]
			if aj == 0 {
				continue
			}
			row := grad[int(j)*nPost : (int(j)+1)*nPost]
			for i, v := range lt {
				row[i] += aj * v
			}
		}
	}
}

// finite reports whether every value of v is finite.
func finite(v []float32) bool {
	var s float32
	for _, x := range v {
		s += x * 0
	}
	return s == 0 && !math.IsNaN(float64(s))
}
