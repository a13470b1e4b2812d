package gnn

import (
	"errors"
	"fmt"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// LR estimates the gradient of a GNN by the likelihood-ratio method, full batch: every
// copy adds noise σ·ε to every node output of every layer, and a layer's weights get
//
//	grad ≈ 1/K Σ_k Σ_j credit_{k,j} · (∂z_j/∂θ)ᵀ Score(ε_{k,j})/σ
//
// with no backward pass: for a GCN layer Σ_j … is (Â·H)ᵀ(credit ⊙ Score(ε)/σ). The credit
// of the noise at node j of layer l is the centred loss of the training nodes it can
// reach, those within L−1−l hops (the others' losses do not depend on it, so leaving them
// out keeps the estimate unbiased and removes most of its variance); with Local false it
// is the whole graph's loss. The first layer's mean is computed once per step and its
// score collapses over the copies.
type LR struct {
	M *GNN
	G *Graph
	// Local selects per-node credit (the default of NewLR); false credits every noise with
	// the whole graph's loss, for comparison.
	Local bool

	loss  lr.Loss
	cfg   lr.Config
	law   lr.Law
	base  lr.Baseline
	reach [][][]int32 // reach[l][i]: nodes within L−1−l hops of training node i
	acc   nncore.GradAcc
	ws    []*work // per copy group, kept between steps
}

// copyGroup is the number of copies per parallel task.
const copyGroup = 8

// NewLR checks the configuration: cfg.Copies, Law, VR.Antithetic, Baseline, Seed and
// Workers are used as by lr.Estimator; layer-wise injection and QMC are not supported.
func NewLR(m *GNN, g *Graph, loss lr.Loss, cfg lr.Config) (*LR, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if loss == nil {
		return nil, errors.New("gnn: no loss")
	}
	if g.F != m.In() || g.Classes != m.Classes() {
		return nil, errorf("model takes %d features and %d classes, graph has %d and %d", m.In(), m.Classes(), g.F, g.Classes)
	}
	for l, s := range m.Sigma {
		if s <= 0 {
			return nil, errorf("LR needs noise in every layer; layer %d has σ = %v", l, s)
		}
	}
	if cfg.VR.LayerWise || cfg.VR.QMC {
		return nil, fmt.Errorf("gnn: variance reduction %s is not supported by the graph LR estimator (only antithetic)", cfg.VR)
	}
	if cfg.Copies < 1 || (cfg.VR.Antithetic && cfg.Copies%2 != 0) {
		return nil, errorf("%d copies (antithetic pairs need an even number)", cfg.Copies)
	}
	base, err := nncore.ResolveBaseline("gnn", cfg.Baseline, cfg.Copies, cfg.VR.Antithetic)
	if err != nil {
		return nil, err
	}
	e := &LR{M: m, G: g, Local: true, loss: loss, cfg: cfg, law: cfg.Law, base: base}
	if e.law == nil {
		e.law = lr.Gaussian{}
	}
	m.Law = e.law
	L := len(m.Layers)
	e.reach = make([][][]int32, L)
	for l := range L {
		e.reach[l] = reach(g.Adj, g.Train, L-1-l)
	}
	return e, nil
}

// Baseline reports the baseline in use.
func (e *LR) Baseline() lr.Baseline { return e.base }

// Params lists the model's parameters.
func (e *LR) Params() []lr.Param { return e.M.Params() }

// work is one task's space: a pass, the noise of every layer, partial gradients.
type work struct {
	p      *pass
	eps    [][]float32
	credit []float32
	d      []float32
	d0     []float32 // collapsed first-layer deltas of the group
	g      []grads   // partial gradients of layers ≥ 1
}

// Grad fills the gradients with the LR estimate of the gradient of the mean training-node
// loss at step (which selects the noise and the dropout masks). x, y and rows are ignored.
func (e *LR) Grad(_ []float32, _ []uint8, _ int, step uint64) (lr.Stats, error) {
	m, g := e.M, e.G
	m.Prepare()
	L, N, K := len(m.Layers), g.N, e.cfg.Copies
	nodes := g.Train
	nL := len(nodes)
	C := m.Classes()
	drop := m.dropMasks(N, e.cfg.Seed^0x64726f70, step)
	// The first layer's mean, shared by every copy.
	l0 := m.Layers[0]
	h0 := g.X
	if drop != nil {
		h0 = make([]float32, len(g.X))
		for i, v := range g.X {
			h0[i] = v * drop[0][i]
		}
	}
	sp0 := sparse(h0)
	s0 := newScratch(N, l0.Out)
	t0 := make([]float32, N*l0.Out)
	l0.forward(m.Workers, g, t0, h0, s0, sp0)
	anti := e.cfg.VR.Antithetic
	groups := (K + copyGroup - 1) / copyGroup
	for len(e.ws) < groups {
		w := &work{p: m.newPass(N), eps: make([][]float32, L), credit: make([]float32, N),
			d0: make([]float32, N*l0.Out), g: make([]grads, L)}
		for l, layer := range m.Layers {
			w.eps[l] = make([]float32, N*layer.Out)
			if l > 0 {
				w.g[l] = layer.newGrads()
			}
		}
		e.ws = append(e.ws, w)
	}
	ws := e.ws[:groups]
	losses := make([]float32, nL*K) // node-major: losses[i*K + k]
	// draw writes copy k's noise into w.eps.
	draw := func(w *work, k int) {
		j, neg := k, false
		if anti {
			j, neg = k/2, k%2 == 1
		}
		for l := range L {
			s1, s2 := lr.StreamSeed(e.cfg.Seed, step, uint64(l), uint64(j))
			nncore.Noise(w.eps[l], e.law, s1, s2)
			if neg {
				for i, v := range w.eps[l] {
					w.eps[l][i] = -v
				}
			}
		}
	}
	// run does copy k's forward pass from the shared first-layer mean.
	run := func(w *work, k int) {
		draw(w, k)
		z0 := w.p.z[0]
		s := m.Sigma[0]
		for i, v := range t0 {
			z0[i] = v + s*w.eps[0][i]
		}
		if L == 1 {
			return
		}
		h := w.p.h[1]
		m.Acts[0].Apply(h, z0)
		if drop != nil {
			for i, v := range drop[1] {
				h[i] *= v
			}
		}
		m.forward(w.p, g, nil, w.eps, drop, 1, 1)
	}
	lr.ParallelFor(e.cfg.Workers, groups, func(_, gi int) {
		w := ws[gi]
		for k := gi * copyGroup; k < min(K, (gi+1)*copyGroup); k++ {
			run(w, k)
			z := w.p.z[L-1]
			for i, n := range nodes {
				losses[i*K+k] = e.loss.Loss(z[int(n)*C:(int(n)+1)*C], int(g.Labels[n]))
			}
		}
	})
	var clean []float32
	if e.base == lr.BaselineClean {
		p := m.newPass(N)
		m.forward(p, g, g.X, nil, drop, 0, m.Workers)
		clean = make([]float32, nL)
		for i, n := range nodes {
			clean[i] = e.loss.Loss(p.z[L-1][int(n)*C:(int(n)+1)*C], int(g.Labels[n]))
		}
	}
	c := make([]float32, nL*K)
	nncore.Centre(c, losses, clean, nL, K, e.base, anti, 1/float64(K*nL))
	lr.ParallelFor(e.cfg.Workers, groups, func(_, gi int) {
		w := ws[gi]
		clear(w.d0)
		for l := 1; l < L; l++ {
			clear(w.g[l].w)
			clear(w.g[l].wn)
			clear(w.g[l].b)
		}
		for k := gi * copyGroup; k < min(K, (gi+1)*copyGroup); k++ {
			run(w, k)
			for l := L - 1; l >= 0; l-- {
				layer := m.Layers[l]
				e.credits(w.credit, c, l, k, K)
				d := w.eps[l]
				nncore.Scores(d, e.law)
				inv := 1 / m.Sigma[l]
				for j := range N {
					cj := w.credit[j] * inv
					row := d[j*layer.Out : (j+1)*layer.Out]
					for q := range row {
						row[q] *= cj
					}
				}
				if l == 0 {
					for i, v := range d {
						w.d0[i] += v
					}
					continue
				}
				layer.addGrad(w.g[l], nil, 1, g, w.p.h[l], d, w.p.s[l], false)
			}
		}
	})
	for _, q := range m.Params() {
		clear(q.Grad)
	}
	d0 := make([]float32, N*l0.Out)
	for _, w := range ws {
		for i, v := range w.d0 {
			d0[i] += v
		}
		for l := 1; l < L; l++ {
			dst := m.Layers[l].grads()
			for _, pair := range [][2][]float32{{dst.w, w.g[l].w}, {dst.wn, w.g[l].wn}, {dst.b, w.g[l].b}} {
				for i, v := range pair[1] {
					pair[0][i] += v
				}
			}
		}
	}
	l0.addGrad(l0.grads(), &e.acc, m.Workers, g, h0, d0, s0, sp0)
	m.decay()
	var sum float64
	for _, v := range losses {
		sum += float64(v)
	}
	for _, p := range m.Params() {
		for _, v := range p.Grad {
			if v-v != 0 {
				return lr.Stats{}, fmt.Errorf("gnn: gradient of %s is not finite (noise scale or learning rate too large?)", p.Name)
			}
		}
	}
	return lr.Stats{Loss: sum / float64(nL*K), Forwards: K}, nil
}

// credits writes into dst (N) the credit of copy k's noise in layer l: the sum of the
// centred losses c of the training nodes it can reach (all of them unless Local).
func (e *LR) credits(dst, c []float32, l, k, K int) {
	clear(dst)
	if !e.Local {
		var s float32
		for i := range e.G.Train {
			s += c[i*K+k]
		}
		for j := range dst {
			dst[j] = s
		}
		return
	}
	for i, list := range e.reach[l] {
		ci := c[i*K+k]
		for _, j := range list {
			dst[j] += ci
		}
	}
}
