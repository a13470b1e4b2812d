package cnn

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas/gonum"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// vec is gonum's pure-Go BLAS level 1 (SIMD assembly on amd64).
var vec gonum.Implementation

// PosLR is the likelihood-ratio estimator with position-wise injection: each noise copy
// perturbs one layer (as layer-wise injection does) and, in a convolution or pooling
// map, only the C channels of one output position, drawn by stratified sampling over the
// H×W positions and weighted by H×W. A dense layer's copies perturb its whole output.
//
// Per copy the score has the variance of a copy that perturbs the whole map (the H×W
// weight makes up for the smaller perturbation, to first order in σ), but the copy is
// far cheaper: only the outputs in the perturbed position's cone of influence are
// recomputed, a few positions per convolution and a low-rank update of the first dense
// layer, instead of the whole network after the layer. For a fixed budget the
// convolutions get many more copies. The estimate of layer l's gradient is
//
//	1/B Σ_n 1/K_l Σ_k (L_{n,k} − b_{n,k}) · H·W · (Score(ε_k)/σ) ⊗ x_{n,p_k}
//
// the sum over positions of each position's LR gradient of the network smoothed at that
// position: as σ → 0, the backpropagation gradient (tested). The RNN's step-wise
// injection is the same idea along time.
type PosLR struct {
	m     *CNN
	loss  lr.Loss
	law   lr.Law
	gauss bool
	kl    []int
	base  lr.Baseline
	seed  uint64
	grid  []Shape // output grid of every layer (HWC storage; a dense output is 1×1×N)

	batch   int
	z, a    [][]float32 // clean pre-activations and outputs of the batch, per layer
	ds      [][]float32 // score deltas per noisy layer (rows×out)
	lossSum []float64   // per sample: sum of its copies' losses
	ws      []*posWork
}

// posWork is one worker's scratch.
type posWork struct {
	mod   [][]float32 // per layer: K full-size output maps, valid inside each copy's rect
	rect  [][]rect    // per layer, per copy: the positions that differ from the clean pass
	eps   []float32   // K×C noise of the current layer
	pos   []int       // K positions
	cols  []float32   // gathered patches
	zbuf  []float32   // their products
	loss  []float32   // K losses
	c     []float32   // K weights
	clean [1]float32  // the sample's clean loss (nncore.Centre's view)
}

// rect is the box [y0, y1) × [x0, x1) of an output grid; empty when y0 >= y1.
type rect struct{ y0, y1, x0, x1 int }

func (r rect) empty() bool { return r.y0 >= r.y1 || r.x0 >= r.x1 }

func (r rect) has(y, x int) bool { return y >= r.y0 && y < r.y1 && x >= r.x0 && x < r.x1 }

// NewPosLR returns the position-wise estimator of m for the loss. cfg.Copies is split
// over the noisy layers as under layer-wise injection; cfg.VR must have PositionWise and
// nothing else; the baseline is the clean loss (auto), leave-one-out or none.
func NewPosLR(m *CNN, loss lr.Loss, cfg lr.Config) (*PosLR, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if loss == nil {
		return nil, errors.New("cnn: no loss")
	}
	if cfg.VR.Antithetic || cfg.VR.QMC {
		return nil, fmt.Errorf("cnn: position-wise injection does not combine with %v", cfg.VR)
	}
	e := &PosLR{m: m, loss: loss, law: cfg.Law, seed: cfg.Seed, base: cfg.Baseline}
	if e.law == nil {
		e.law = m.law()
	}
	_, e.gauss = e.law.(lr.Gaussian)
	var noisy []int
	for l, layer := range m.Layers {
		var g Shape
		switch v := layer.(type) {
		case *Conv2D:
			g = v.Out()
		case *Pool:
			g = v.Out()
		default:
			_, o := layer.Dims()
			g = Shape{C: o, H: 1, W: 1}
		}
		e.grid = append(e.grid, g)
		if m.Sigma[l] > 0 {
			if _, pool := layer.(*Pool); pool {
				return nil, fmt.Errorf("cnn: layer %d: noise on a pooling layer", l)
			}
			noisy = append(noisy, l)
		}
	}
	if len(noisy) == 0 {
		return nil, errors.New("cnn: no layer carries noise (every sigma is 0): nothing to estimate")
	}
	if cfg.Copies < len(noisy) {
		return nil, fmt.Errorf("cnn: position-wise injection over %d noisy layers needs at least %d copies, got %d",
			len(noisy), len(noisy), cfg.Copies)
	}
	e.kl = make([]int, len(m.Layers))
	for i, k := range lr.SplitCopies(cfg.Copies, len(noisy)) {
		e.kl[noisy[i]] = k
	}
	switch e.base {
	case lr.BaselineAuto:
		e.base = lr.BaselineClean
	case lr.BaselineLOO:
		for _, l := range noisy {
			if e.kl[l] < 2 {
				return nil, fmt.Errorf("cnn: a leave-one-out baseline needs 2 copies per layer, got %d", e.kl[l])
			}
		}
	}
	return e, nil
}

// Params implements lr.Learner.
func (e *PosLR) Params() []lr.Param { return e.m.Params() }

// Baseline reports the baseline in use.
func (e *PosLR) Baseline() lr.Baseline { return e.base }

// Copies reports the copies per sample of each layer (0 for a noiseless one).
func (e *PosLR) Copies() []int { return append([]int(nil), e.kl...) }

func (e *PosLR) alloc(B int) {
	L := len(e.m.Layers)
	if e.batch < B {
		e.batch = B
		e.z, e.a, e.ds = make([][]float32, L), make([][]float32, L), make([][]float32, L)
		for l, layer := range e.m.Layers {
			_, out := layer.Dims()
			e.z[l], e.a[l] = make([]float32, B*out), make([]float32, B*out)
			if e.kl[l] > 0 {
				e.ds[l] = make([]float32, B*out)
			}
		}
		e.lossSum = make([]float64, B)
	}
	workers := lr.Workers(e.m.Workers)
	kmax := 0
	for _, k := range e.kl {
		kmax = max(kmax, k)
	}
	for len(e.ws) < workers {
		w := &posWork{mod: make([][]float32, L), rect: make([][]rect, L), pos: make([]int, kmax),
			loss: make([]float32, kmax), c: make([]float32, kmax)}
		cmax := 0
		for l, layer := range e.m.Layers {
			_, out := layer.Dims()
			w.mod[l] = make([]float32, kmax*out)
			w.rect[l] = make([]rect, kmax)
			cmax = max(cmax, e.grid[l].C)
		}
		w.eps = make([]float32, kmax*cmax)
		e.ws = append(e.ws, w)
	}
}

// Grad implements lr.Learner: the position-wise LR estimate for rows samples x (rows×in)
// with labels y into the parameters' gradients. The noise is a pure function of
// (seed, step, layer, sample): the result does not depend on the workers.
func (e *PosLR) Grad(x []float32, y []uint8, rows int, step uint64) (lr.Stats, error) {
	m := e.m
	in0 := m.Input.Size()
	if len(x) < rows*in0 || len(y) < rows {
		panic(fmt.Sprintf("cnn: PosLR.Grad: %d rows need %d inputs and %d labels, got %d and %d", rows, rows*in0, rows, len(x), len(y)))
	}
	params := m.Params()
	for _, p := range params {
		clear(p.Grad)
	}
	if rows == 0 {
		return lr.Stats{}, nil
	}
	e.cleanPass(x, rows)
	lr.ParallelFor(m.Workers, rows, func(w, n int) { e.lossSum[n] = e.sample(e.ws[w], y, n, rows, step) })
	var sum float64
	fw := 0
	for n := range rows {
		sum += e.lossSum[n]
	}
	for l, layer := range m.Layers {
		if e.kl[l] == 0 {
			continue
		}
		fw += e.kl[l] * rows
		xin := x[:rows*in0]
		if l > 0 {
			_, o := m.Layers[l-1].Dims()
			xin = e.a[l-1][:rows*o]
		}
		layer.AddGrad(xin, e.ds[l], rows)
	}
	for _, p := range params {
		if !lr.Finite(p.Grad) {
			return lr.Stats{}, fmt.Errorf("cnn: gradient of %s is not finite (noise scale or learning rate too large?)", p.Name)
		}
	}
	return lr.Stats{Loss: sum / float64(fw), Forwards: fw}, nil
}

// cleanPass runs the noise-free network on the batch, keeping every layer's mean and
// output, and clears the score deltas.
func (e *PosLR) cleanPass(x []float32, rows int) {
	m := e.m
	m.Prepare()
	e.alloc(rows)
	cur := x[:rows*m.Input.Size()]
	for l, layer := range m.Layers {
		_, out := layer.Dims()
		z, a := e.z[l][:rows*out], e.a[l][:rows*out]
		layer.Forward(z, cur, rows)
		m.Acts[l].Apply(a, z)
		cur = a
		if e.kl[l] > 0 {
			clear(e.ds[l][:rows*out])
		}
	}
}

// sample runs the copies of sample n of a batch of B and returns the sum of their losses.
func (e *PosLR) sample(w *posWork, y []uint8, n, B int, step uint64) float64 {
	m := e.m
	L := len(m.Layers)
	_, outL := m.Layers[L-1].Dims()
	label := int(y[n])
	clean := e.loss.Loss(e.a[L-1][n*outL:(n+1)*outL], label)
	var sum float64
	for l := range m.Layers {
		K := e.kl[l]
		if K == 0 {
			continue
		}
		g := e.grid[l]
		P := g.H * g.W
		out := g.Size()
		s1, s2 := lr.StreamSeed(e.seed, step, uint64(l), uint64(n))
		ns := lr.NewNormalStream(s1, s2)
		// Stratified positions: copy k takes floor((u + k)·P/K) for one uniform u.
		u := float64(ns.Uint64()>>11) / (1 << 53)
		eps := w.eps[:K*g.C]
		if e.gauss {
			ns.Fill32(eps)
		} else {
			rng := newRand(s2, s1)
			for i := range eps {
				eps[i] = float32(e.law.Sample(rng))
			}
		}
		sig := m.Sigma[l]
		z := e.z[l][n*out : (n+1)*out]
		for k := range K {
			p := min(P-1, int((u+float64(k))*float64(P)/float64(K)))
			w.pos[k] = p
			py, px := p/g.W, p%g.W
			w.rect[l][k] = rect{py, py + 1, px, px + 1}
			mod := w.mod[l][k*out : (k+1)*out]
			seg := mod[p*g.C : (p+1)*g.C]
			ek := eps[k*g.C : (k+1)*g.C]
			for c := range seg {
				seg[c] = z[p*g.C+c] + sig*ek[c]
			}
			m.Acts[l].Apply(seg, seg)
		}
		for j := l + 1; j < L; j++ {
			e.propagate(w, j, n, K)
		}
		for k := range K {
			v := clean
			if !w.rect[L-1][k].empty() {
				v = e.loss.Loss(w.mod[L-1][k*outL:(k+1)*outL], label)
			}
			w.loss[k] = v
			sum += float64(v)
		}
		// Weights c_k = (L_k − b_k)·P/(B·K), then δ at each copy's position.
		w.clean[0] = clean
		nncore.Centre(w.c, w.loss, w.clean[:], 1, K, e.base, false, float64(P)/float64(B*K))
		ds := e.ds[l][n*out : (n+1)*out]
		inv := 1 / sig
		for k := range K {
			d := ds[w.pos[k]*g.C : (w.pos[k]+1)*g.C]
			ek := eps[k*g.C : (k+1)*g.C]
			ck := w.c[k] * inv
			if e.gauss {
				vec.Saxpy(g.C, ck, ek, 1, d, 1)
				continue
			}
			for c, v := range ek {
				d[c] += ck * e.law.Score(v)
			}
		}
	}
	return sum
}

// span maps the rows [i0, i1) of an input grid to the outputs of a window of size k,
// stride s and padding pad that read them, clipped to [0, n).
func span(i0, i1, k, s, pad, n int) (int, int) {
	o0 := max(0, ceilDiv(i0-k+1+pad, s))
	o1 := min(n, floorDiv(i1-1+pad, s)+1)
	return o0, o1
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

// propagate computes layer j's outputs for the K copies of sample n from their modified
// inputs (layer j−1's maps inside w.rect[j−1]), inside the region they reach.
func (e *PosLR) propagate(w *posWork, j, n, K int) {
	m := e.m
	g, gi := e.grid[j], e.grid[j-1]
	in, out := m.Layers[j].Dims()
	clean := e.a[j-1][n*in : (n+1)*in]
	mods := w.mod[j-1]
	// val returns the C input values at (iy, ix) as copy k sees them.
	val := func(k, iy, ix int) []float32 {
		i := (iy*gi.W + ix) * gi.C
		if w.rect[j-1][k].has(iy, ix) {
			return mods[k*in+i : k*in+i+gi.C]
		}
		return clean[i : i+gi.C]
	}
	switch v := m.Layers[j].(type) {
	case *Conv2D:
		ckk := v.K * v.K * v.In.C
		rows := 0
		for k := range K {
			r := w.rect[j-1][k]
			if r.empty() {
				w.rect[j][k] = rect{}
				continue
			}
			y0, y1 := span(r.y0, r.y1, v.K, v.Stride, v.Pad, g.H)
			x0, x1 := span(r.x0, r.x1, v.K, v.Stride, v.Pad, g.W)
			w.rect[j][k] = rect{y0, y1, x0, x1}
			if y0 < y1 && x0 < x1 {
				rows += (y1 - y0) * (x1 - x0)
			}
		}
		if cap(w.cols) < rows*ckk {
			w.cols = make([]float32, rows*ckk)
		}
		if cap(w.zbuf) < rows*v.F {
			w.zbuf = make([]float32, rows*v.F)
		}
		cols, zb := w.cols[:rows*ckk], w.zbuf[:rows*v.F]
		row := 0
		for k := range K {
			r := w.rect[j][k]
			for oy := r.y0; oy < r.y1; oy++ {
				for ox := r.x0; ox < r.x1; ox++ {
					dst := cols[row*ckk : (row+1)*ckk]
					for ky := range v.K {
						iy := oy*v.Stride - v.Pad + ky
						for kx := range v.K {
							ix := ox*v.Stride - v.Pad + kx
							seg := dst[(ky*v.K+kx)*gi.C : (ky*v.K+kx+1)*gi.C]
							if iy < 0 || iy >= gi.H || ix < 0 || ix >= gi.W {
								clear(seg)
								continue
							}
							copy(seg, val(k, iy, ix))
						}
					}
					copy(zb[row*v.F:(row+1)*v.F], v.B)
					row++
				}
			}
		}
		nncore.MatMul(zb, cols, v.W, rows, v.F, ckk, true)
		m.Acts[j].Apply(zb, zb)
		row = 0
		for k := range K {
			r := w.rect[j][k]
			for oy := r.y0; oy < r.y1; oy++ {
				for ox := r.x0; ox < r.x1; ox++ {
					i := k*out + (oy*g.W+ox)*g.C
					copy(w.mod[j][i:i+g.C], zb[row*v.F:(row+1)*v.F])
					row++
				}
			}
		}
	case *Pool:
		for k := range K {
			r := w.rect[j-1][k]
			if r.empty() {
				w.rect[j][k] = rect{}
				continue
			}
			y0, y1 := span(r.y0, r.y1, v.K, v.Stride, 0, g.H)
			x0, x1 := span(r.x0, r.x1, v.K, v.Stride, 0, g.W)
			w.rect[j][k] = rect{y0, y1, x0, x1}
			for oy := y0; oy < y1; oy++ {
				for ox := x0; ox < x1; ox++ {
					i := k*out + (oy*g.W+ox)*g.C
					d := w.mod[j][i : i+g.C]
					for ky := range v.K {
						for kx := range v.K {
							v.take(d, val(k, oy*v.Stride+ky, ox*v.Stride+kx), ky == 0 && kx == 0)
						}
					}
					v.finish(d)
				}
			}
		}
	case dense:
		// A low-rank update of the clean mean: z + Wᵀ·(x' − x) over the changed inputs.
		zc := e.z[j][n*out : (n+1)*out]
		for k := range K {
			r := w.rect[j-1][k]
			if r.empty() {
				w.rect[j][k] = rect{}
				continue
			}
			w.rect[j][k] = rect{0, 1, 0, 1}
			d := w.mod[j][k*out : (k+1)*out]
			copy(d, zc)
			if cap(w.cols) < gi.C {
				w.cols = make([]float32, gi.C)
			}
			dx := w.cols[:gi.C]
			for iy := r.y0; iy < r.y1; iy++ {
				for ix := r.x0; ix < r.x1; ix++ {
					// The C inputs of one position take C consecutive rows of W.
					i0 := (iy*gi.W + ix) * gi.C
					xm := mods[k*in+i0 : k*in+i0+gi.C]
					nz := false
					for c, xv := range xm {
						dx[c] = xv - clean[i0+c]
						nz = nz || dx[c] != 0
					}
					if nz {
						nncore.MatMul(d, dx, v.W[i0*out:(i0+gi.C)*out], 1, out, gi.C, true)
					}
				}
			}
			m.Acts[j].Apply(d, d)
		}
	default:
		panic(fmt.Sprintf("cnn: PosLR: layer %d of type %T", j, m.Layers[j]))
	}
}

// Estimator is an LR learner of a CNN with its resolved baseline: a [PosLR] or an
// lr.Estimator.
type Estimator interface {
	lr.Learner
	Baseline() lr.Baseline
}

// NewEstimator returns the LR estimator cfg asks for: [NewPosLR] under position-wise
// injection, otherwise lr.NewEstimator over the network's stages.
func NewEstimator(m *CNN, loss lr.Loss, cfg lr.Config) (Estimator, error) {
	if cfg.VR.PositionWise {
		return NewPosLR(m, loss, cfg)
	}
	return lr.NewEstimator(m.Stages(), loss, cfg)
}
