package learn

import (
	"fmt"
	"math/rand/v2"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
)

// Firing modes of the dense simulation behind BPTT.
const (
	fireThreshold  = iota // s = H(u − θ): the deterministic network
	fireSmooth            // s = f(u − θ): the smoothed network whose exact gradient BPTT computes
	fireStochastic        // s ~ Bernoulli(σ((u − θ)/β)) with the engine's draws
)

// smoothStep is the smooth step f(x) = ½(1 + kx/(1+k|x|)) whose derivative is the fast
// sigmoid surrogate f'(x) = (k/2)/(1+k|x|)².
func smoothStep(x, k float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	return 0.5 * (1 + k*x/(1+k*a))
}

// surrogate is f'(x) = (k/2)/(1+k|x|)², the fast-sigmoid pseudo-derivative of a spike.
func surrogate(x, k float32) float32 {
	if x < 0 {
		x = -x
	}
	d := 1 + k*x
	return 0.5 * k / (d * d)
}

// BPTTConfig sets up a [BPTT] learner.
type BPTTConfig struct {
	// Seed is the root of the input encodings.
	Seed uint64
	// Workers is the number of goroutines (GOMAXPROCS when <= 0); results do not depend on it.
	Workers int
	// Smooth trains (and differentiates) the smoothed network, whose spikes are f(u − θ):
	// then the gradient is exact, which is how the backward pass is checked.
	Smooth bool
}

// BPTT trains a [Model] by backpropagation through time with a fast-sigmoid surrogate
// gradient: the baseline LR is compared with. The forward pass is a dense simulation of
// the same neurons (same propagator, same step order as the engine, firing by threshold);
// it keeps every layer's membrane at every step, so its memory grows with the number of
// steps. The backward pass runs the adjoints of v and g_e back in time,
//
//	ū(t) = v̄(t) + s̄(t)·f'(u(t) − θ),   s̄(t) = −v̄(t) + W_{l+1}·ḡ_{l+1}(t),
//	v̄(t−1) = a_m·ū(t),   ḡ(t−1) = a_s·ḡ(t) + c·ū(t),
//
// (the reset is differentiated too) and the weight gradient Σ_t ḡ(t)·s_{l−1}(t)ᵀ is
// accumulated spike-driven, like the LR score. It implements lr.Learner.
type BPTT struct {
	m       *Model
	cfg     BPTTConfig
	samples []sampleState
	ws      []*bpWorker
}

// bpWorker is the scratch space of one goroutine.
type bpWorker struct {
	fw         *worker
	u, s       [][]float32 // [pop] steps × size
	lam        [][]float32 // [pop] steps × size: ḡ(t)
	v, ge      [][]float32 // [pop] state
	vbar, gbar [][]float32
	sbar       [][]float32 // [pop] adjoint of s(t) from the layer above
	gz         []float32
	pcgs       []*rand.PCG // [pop] firing streams of the stochastic mode
	logs       []spikeLog  // [pop] binary spikes of hidden layers, by step
}

// NewBPTT returns a BPTT learner of m.
func NewBPTT(m *Model, cfg BPTTConfig) *BPTT { return &BPTT{m: m, cfg: cfg} }

// Params lists the model's weights and gradient buffers.
func (b *BPTT) Params() []lr.Param { return b.m.Params() }

func (m *Model) newBPWorker() *bpWorker {
	L, T := m.Cfg.Layers(), m.Cfg.Steps
	w := &bpWorker{fw: m.newWorker()}
	for range L + 1 {
		w.pcgs = append(w.pcgs, rand.NewPCG(0, 0))
	}
	mk := func(n int) [][]float32 {
		out := make([][]float32, L+1)
		for pop := 1; pop <= L; pop++ {
			out[pop] = make([]float32, n*m.Cfg.Sizes[pop])
		}
		return out
	}
	w.u, w.s, w.lam = mk(T), mk(T), mk(T)
	w.v, w.ge, w.vbar, w.gbar, w.sbar = mk(1), mk(1), mk(1), mk(1), mk(1)
	w.gz = make([]float32, m.Classes())
	w.logs = make([]spikeLog, L+1)
	return w
}

// Grad zeroes the weight gradients and fills them with the BPTT gradient of the mean
// cross-entropy over rows samples (Poisson encodings drawn from (Seed, step, sample)).
func (b *BPTT) Grad(x []float32, y []uint8, rows int, step uint64) (lr.Stats, error) {
	m := b.m
	in := m.In()
	if len(x) < rows*in || len(y) < rows {
		panic(fmt.Sprintf("learn: Grad: %d rows need %d inputs and %d labels, got %d and %d", rows, rows*in, rows, len(x), len(y)))
	}
	if rows == 0 {
		return lr.Stats{}, nil
	}
	if len(b.samples) < min(rows, sampleGroup) {
		b.samples = append(b.samples, make([]sampleState, min(rows, sampleGroup)-len(b.samples))...)
	}
	for len(b.ws) < min(lr.Workers(b.cfg.Workers), rows, sampleGroup) {
		b.ws = append(b.ws, m.newBPWorker())
	}
	mode := fireThreshold
	if b.cfg.Smooth {
		mode = fireSmooth
	}
	var st lr.Stats
	for g0 := 0; g0 < rows; g0 += sampleGroup {
		g := min(rows-g0, sampleGroup)
		lr.ParallelFor(b.cfg.Workers, g, func(wi, j int) {
			n := g0 + j
			s := &b.samples[j]
			s.nterm, s.err = 0, nil
			s.ensureLogs(1, m.Cfg.Layers()+1)
			if int(y[n]) >= m.Classes() {
				s.err = fmt.Errorf("learn: label %d of sample %d out of range [0,%d)", y[n], n, m.Classes())
				return
			}
			w := b.ws[wi]
			m.encode(w.fw, x[n*in:(n+1)*in], b.cfg.Seed, step, uint64(n))
			s.loss = float64(m.bptt(w, s, int(y[n]), mode, 0, 1/float32(rows), true))
			s.forwards = 1
		})
		for j := range g {
			s := &b.samples[j]
			if s.err != nil {
				return lr.Stats{}, s.err
			}
			st.Loss += s.loss
			st.Forwards++
		}
		accumulate(m, b.samples[:g], b.cfg.Workers, g0 == 0)
	}
	st.Loss /= float64(rows)
	for _, p := range m.Params() {
		if !finite(p.Grad) {
			return lr.Stats{}, fmt.Errorf("learn: gradient of %s is not finite", p.Name)
		}
	}
	return st, nil
}

// denseForward simulates the encoded sample in w.fw with dense state, keeping u(t) and
// s(t) of every layer, and writes the logits into z (leaky readout noise from seed when
// the mode is stochastic). Hidden spikes are logged in w.logs when binary.
func (m *Model) denseForward(w *bpWorker, mode int, seed uint64, z []float32) {
	L, T := m.Cfg.Layers(), m.Cfg.Steps
	m.computeDrive(w.fw)
	for pop := 1; pop <= L; pop++ {
		clear(w.v[pop])
		clear(w.ge[pop])
		w.logs[pop].reset()
	}
	N1 := m.Cfg.Sizes[1]
	for t := range T {
		for pop := 1; pop <= L; pop++ {
			p := &m.Sim.Pops[pop].Prop
			N := m.Cfg.Sizes[pop]
			v, ge := w.v[pop], w.ge[pop]
			u, s := w.u[pop][t*N:(t+1)*N], w.s[pop][t*N:(t+1)*N]
			stoch := mode == fireStochastic && p.Beta > 0
			pcg := w.pcgs[pop]
			if stoch && t == 0 {
				pcg.Seed(sim.PopStream(seed, pop))
			}
			esc := neuron.Escape{Theta: float64(p.VThresh), Beta: float64(p.Beta)}
			for i := range N {
				vn, g1, _ := p.Step(v[i], ge[i], 0)
				ge[i] = g1
				u[i] = vn
				var sp float32
				switch {
				case p.VThresh >= neverFire:
				case mode == fireSmooth:
					sp = smoothStep(vn-p.VThresh, float32(m.Cfg.Slope))
				case stoch:
					if float64(pcg.Uint64()<<11>>11)/(1<<53) < esc.P(float64(vn)) {
						sp = 1
					}
				case vn > p.VThresh:
					sp = 1
				}
				s[i] = sp
				v[i] = vn - p.ResetStep*sp
			}
		}
		// Deliveries of step t (they act from t+1).
		if m.Cfg.Input == InputDirect {
			addTo(w.ge[1], w.fw.drive[:N1])
		} else {
			addTo(w.ge[1], w.fw.drive[t*N1:(t+1)*N1])
		}
		for pop := 2; pop <= L; pop++ {
			N, Np := m.Cfg.Sizes[pop], m.Cfg.Sizes[pop-1]
			src := w.s[pop-1][t*Np : (t+1)*Np]
			lg := &w.logs[pop-1]
			W := m.w[pop-1]
			for j, sj := range src {
				if sj == 0 {
					continue
				}
				if mode != fireSmooth {
					lg.ids = append(lg.ids, int32(j))
				}
				row := W[j*N : (j+1)*N]
				if sj == 1 {
					addTo(w.ge[pop], row)
					continue
				}
				for i, wv := range row {
					w.ge[pop][i] += sj * wv
				}
			}
			lg.ptr = append(lg.ptr, int32(len(lg.ids)))
		}
	}
	clear(w.fw.vsum)
	uL, sL := w.u[L], w.s[L]
	C := m.Classes()
	for t := range T {
		row := uL[t*C : (t+1)*C]
		if m.Cfg.Readout == ReadoutCount {
			row = sL[t*C : (t+1)*C]
		}
		for i, v := range row {
			w.fw.vsum[i] += v
		}
	}
	noise := mode == fireStochastic
	if noise && m.Cfg.Readout == ReadoutLeaky {
		s1, s2 := lr.StreamSeed(seed, 0x6f7574)
		w.fw.ns.Seed(s1, s2)
		w.fw.ns.Fill(w.fw.eps)
	}
	m.logits(z, w.fw.vsum, w.fw.eps, noise)
}

func addTo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

// bptt runs the forward and backward pass of one encoded sample with label y, adds its
// weight-gradient terms to s (scaled by weight) when terms is true, and returns its loss.
// ḡ of the first layer stays in w.lam[1] for input gradients.
func (m *Model) bptt(w *bpWorker, s *sampleState, y, mode int, seed uint64, weight float32, terms bool) float32 {
	L, T := m.Cfg.Layers(), m.Cfg.Steps
	z := w.fw.z
	m.denseForward(w, mode, seed, z)
	loss := crossEntropy(z, y, w.gz)
	for i := range w.gz {
		w.gz[i] *= weight
	}
	k := float32(m.Cfg.Slope)
	sc := float32(m.Cfg.Scale)
	leaky := m.Cfg.Readout == ReadoutLeaky
	if leaky {
		sc /= float32(T)
	}
	for pop := 1; pop <= L; pop++ {
		clear(w.vbar[pop])
		clear(w.gbar[pop])
	}
	for t := T - 1; t >= 0; t-- {
		for pop := L; pop >= 1; pop-- {
			p := &m.Sim.Pops[pop].Prop
			N := m.Cfg.Sizes[pop]
			gbar, vbar := w.gbar[pop], w.vbar[pop]
			copy(w.lam[pop][t*N:(t+1)*N], gbar) // adjoint of g_e(t): the weight gradient's λ(t)
			if pop > 1 {
				// s̄ of the layer below at step t: W_pop·ḡ_pop(t).
				Np := m.Cfg.Sizes[pop-1]
				W := m.w[pop-1]
				sb := w.sbar[pop-1]
				for j := range Np {
					row := W[j*N : (j+1)*N]
					var acc float32
					for i, wv := range row {
						acc += wv * gbar[i]
					}
					sb[j] = acc
				}
			}
			u := w.u[pop][t*N : (t+1)*N]
			readout := pop == L
			for i := range N {
				ub := vbar[i]
				switch {
				case readout && leaky:
					ub += sc * w.gz[i]
				default:
					var sb float32
					if readout {
						sb = sc * w.gz[i]
					} else {
						sb = w.sbar[pop][i]
					}
					sb -= p.ResetStep * vbar[i]
					ub += sb * surrogate(u[i]-p.VThresh, k)
				}
				vbar[i] = p.AM * ub
				gbar[i] = p.AE*gbar[i] + p.CE*ub
			}
		}
	}
	if !terms {
		return loss
	}
	for pop := 1; pop <= L; pop++ {
		N := m.Cfg.Sizes[pop]
		t := s.newTerm(pop-1, T*N)
		copy(t.lam, w.lam[pop])
		switch {
		case pop == 1 && m.Cfg.Input == InputDirect:
			sum := t.lam[:N]
			for tt := 1; tt < T; tt++ {
				addTo(sum, t.lam[tt*N:(tt+1)*N])
			}
			t.lam = sum
			t.vals = append(s.xin[:0], w.fw.xin...)
			s.xin = t.vals
		case pop == 1:
			s.inPtr = append(s.inPtr[:0], w.fw.spk.Ptr...)
			s.inIDs = append(s.inIDs[:0], w.fw.spk.IDs...)
			t.ptr, t.ids = s.inPtr, s.inIDs
		case mode == fireSmooth:
			// Real-valued presynaptic "spikes": a dense product, kept for the gradient check.
			Np := m.Cfg.Sizes[pop-1]
			t.dense = append(t.dense[:0], w.s[pop-1][:T*Np]...)
		default:
			lg := s.log(0, pop-1)
			lg.ptr = append(lg.ptr[:0], w.logs[pop-1].ptr...)
			lg.ids = append(lg.ids[:0], w.logs[pop-1].ids...)
			t.ptr, t.ids = lg.ptr, lg.ids
		}
	}
	return loss
}

// InputGrad writes the gradient of each row's cross-entropy with respect to its input
// into dx (rows × In): backpropagation through time with the surrogate, through the
// deterministic network (noise false; input drawn from (EncodeSeed, row)) or through the
// stochastic one with the firing draws of (seed, row) (noise true), the draws Logits makes
// with that seed. The input spikes are differentiated through their probability
// (∂E[s_j(t)]/∂x_j = Rate); direct input exactly. It implements attack.Model.
func (m *Model) InputGrad(dx, x []float32, y []uint8, rows int, noise bool, seed uint64) error {
	in := m.In()
	chunks := (rows + forwardChunk - 1) / forwardChunk
	errs := make([]error, chunks)
	lr.ParallelFor(m.Workers, chunks, func(_, c int) {
		w := m.newBPWorker()
		var s sampleState
		for r := c * forwardChunk; r < min(rows, (c+1)*forwardChunk); r++ {
			if int(y[r]) >= m.Classes() {
				errs[c] = fmt.Errorf("learn: label %d of row %d out of range", y[r], r)
				return
			}
			mode, encSeed, runSeed := fireThreshold, uint64(EncodeSeed), uint64(0)
			if noise {
				mode, encSeed, runSeed = fireStochastic, seed, lr.Hash(seed, uint64(r), 0x72756e)
			}
			m.encode(w.fw, x[r*in:(r+1)*in], encSeed, uint64(r))
			m.bptt(w, &s, int(y[r]), mode, runSeed, 1, false)
			m.inputGrad(dx[r*in:(r+1)*in], w.lam[1])
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// inputGrad writes ∂L/∂x = scale·W₁·Σ_t ḡ₁(t) into dx.
func (m *Model) inputGrad(dx, lam1 []float32) {
	N, T := m.Cfg.Sizes[1], m.Cfg.Steps
	sum := make([]float32, N)
	for t := range T {
		addTo(sum, lam1[t*N:(t+1)*N])
	}
	scale := float32(m.Cfg.Rate)
	if m.Cfg.Input == InputDirect {
		scale = float32(m.Cfg.Gain)
	}
	W := m.w[0]
	for j := range dx {
		row := W[j*N : (j+1)*N]
		var acc float32
		for i, wv := range row {
			acc += wv * sum[i]
		}
		dx[j] = scale * acc
	}
}
