package rnn

import (
	"errors"
	"fmt"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// LR estimates the gradient of an RNN by the likelihood-ratio method: every copy of a
// sequence runs with fresh noise ε_t on every gate pre-activation at every step, and
// each weight's score is accumulated forward in time, with no backpropagation through
// time:
//
//	grad Wh ≈ 1/(B·K) Σ_{n,k} (L_{n,k} − b_{n,k}) Σ_t h_{t−1}ᵀ·Score(ε_t)/σ
//
// (r⊙h_{t−1} for the GRU candidate's Wn; x_t for Wx, where the copies of a sample share
// the input and their scores collapse to one row per sample and step). The readout's
// score is the dense one with the logits' noise. LR implements lr.Learner.
type LR struct {
	M    *RNN
	loss lr.Loss
	cfg  lr.Config
	law  lr.Law
	base lr.Baseline

	ws    []*trace     // per worker
	cws   []*trace     // per worker, clean baseline
	lws   []*lwScratch // per worker, step-wise injection
	parts []*partial
	sums  []float64
}

// NewLR checks the configuration. cfg.Copies, Law, VR.Antithetic, Baseline, Seed,
// Workers and Group (samples per task, default 4) are used as by lr.Estimator. With
// VR.LayerWise ("step-wise injection") the stages are the Steps time steps and the
// readout: each copy carries noise at one of them only, chosen by a stratified random
// shift per sample, and is weighted by (Steps+1)/K; its score then needs only the clean
// pass's inputs, so the scores of all copies collapse to one row per sample and step. Its
// baseline is the clean loss (a leave-one-out baseline is refused there). QMC is not
// supported for recurrent networks.
func NewLR(m *RNN, loss lr.Loss, cfg lr.Config) (*LR, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if loss == nil {
		return nil, errors.New("rnn: no loss")
	}
	if m.Sigma <= 0 || m.SigmaOut <= 0 {
		return nil, fmt.Errorf("rnn: LR needs noise in the cell and the readout, have σ = %v and %v", m.Sigma, m.SigmaOut)
	}
	if cfg.VR.QMC {
		return nil, fmt.Errorf("rnn: variance reduction %s is not supported by the recurrent LR estimator (antithetic and layerwise are)", cfg.VR)
	}
	if cfg.VR.LayerWise {
		switch cfg.Baseline {
		case lr.BaselineAuto:
			cfg.Baseline = lr.BaselineClean
		case lr.BaselineLOO:
			return nil, errors.New("rnn: step-wise injection uses the clean baseline (or none), not leave-one-out")
		}
	}
	if cfg.Copies < 1 || (cfg.VR.Antithetic && cfg.Copies%2 != 0) {
		return nil, fmt.Errorf("rnn: %d copies (antithetic pairs need an even number)", cfg.Copies)
	}
	if cfg.Group <= 0 {
		cfg.Group = 4
	}
	base, err := nncore.ResolveBaseline("rnn", cfg.Baseline, cfg.Copies, cfg.VR.Antithetic)
	if err != nil {
		return nil, err
	}
	e := &LR{M: m, loss: loss, cfg: cfg, law: cfg.Law, base: base}
	if e.law == nil {
		e.law = lr.Gaussian{}
	}
	m.Law = e.law
	return e, nil
}

// Baseline reports the baseline in use.
func (e *LR) Baseline() lr.Baseline { return e.base }

// Params lists the model's parameters.
func (e *LR) Params() []lr.Param { return e.M.Params() }

// Grad zeroes the gradients and fills them with the LR estimate for rows sequences x with
// labels y; the noise is a pure function of (Seed, step, sample, copy).
func (e *LR) Grad(x []float32, y []uint8, rows int, step uint64) (lr.Stats, error) {
	m := e.M
	m.Prepare()
	if rows == 0 {
		return lr.Stats{}, nil
	}
	K, Gs := e.cfg.Copies, e.cfg.Group
	groups := (rows + Gs - 1) / Gs
	workers := lr.Workers(e.cfg.Workers)
	for len(e.ws) < workers {
		e.ws = append(e.ws, m.newTrace(Gs, Gs*K))
		e.cws = append(e.cws, m.newTrace(Gs, Gs))
		n := Gs * K
		e.lws = append(e.lws, &lwScratch{stage: make([]int, n), ord: make([]int, n), start: make([]int, m.Steps+2),
			nz: make([]float32, n*max(m.gates(), m.Classes())), rh: make([]float32, n*m.Hidden), cand: make([]float32, n*m.Hidden)})
	}
	for len(e.parts) < groups {
		e.parts = append(e.parts, m.newPartial())
	}
	if cap(e.sums) < groups {
		e.sums = make([]float64, groups)
	}
	e.sums = e.sums[:groups]
	if e.cfg.VR.LayerWise {
		lr.ParallelFor(e.cfg.Workers, groups, func(w, gi int) {
			e.groupLayerWise(w, gi, x, y, rows, step)
		})
	} else {
		lr.ParallelFor(e.cfg.Workers, groups, func(w, gi int) {
			e.groupFull(w, gi, x, y, rows, step)
		})
	}
	m.addPartials(e.parts[:groups])
	var sum float64
	for _, v := range e.sums {
		sum += v
	}
	for _, p := range m.Params() {
		if !lr.Finite(p.Grad) {
			return lr.Stats{}, fmt.Errorf("rnn: gradient of %s is not finite (noise scale or learning rate too large?)", p.Name)
		}
	}
	return lr.Stats{Loss: sum / float64(rows*K), Forwards: rows * K}, nil
}

// groupFull estimates group gi's share with noise at every step of every copy.
func (e *LR) groupFull(w, gi int, x []float32, y []uint8, rows int, step uint64) {
	m := e.M
	K, Gs := e.cfg.Copies, e.cfg.Group
	anti := e.cfg.VR.Antithetic
	TV := m.In()
	T, H, G, W1, C := m.Steps, m.Hidden, m.gates(), m.w1(), m.Classes()
	norm := 1 / float64(rows*K)
	{
		s0, s1 := gi*Gs, min(rows, (gi+1)*Gs)
		g := s1 - s0
		n := g * K
		tr := e.ws[w]
		ind := K
		if anti {
			ind /= 2
		}
		for s := range g {
			for j := range ind {
				a, b := lr.StreamSeed(e.cfg.Seed, step, uint64(s0+s), uint64(j))
				nncore.Noise(tr.noise, e.law, a, b)
				if !anti {
					m.scatter(tr, s*K+j, n, tr.noise)
					continue
				}
				m.scatter(tr, s*K+2*j, n, tr.noise)
				for i, v := range tr.noise {
					tr.noise[i] = -v
				}
				m.scatter(tr, s*K+2*j+1, n, tr.noise)
			}
		}
		m.forward(tr, x[s0*TV:], g, K, true)
		m.readout(tr.out, tr, n, true)
		var sum float64
		for i := range n {
			v := e.loss.Loss(tr.out[i*C:(i+1)*C], int(y[s0+i/K]))
			tr.loss[i] = v
			sum += float64(v)
		}
		e.sums[gi] = sum
		var clean []float32
		if e.base == lr.BaselineClean {
			ct := e.cws[w]
			m.forward(ct, x[s0*TV:], g, 1, false)
			m.readout(ct.out, ct, g, false)
			for s := range g {
				ct.loss[s] = e.loss.Loss(ct.out[s*C:(s+1)*C], int(y[s0+s]))
			}
			clean = ct.loss
		}
		nncore.Centre(tr.c, tr.loss, clean, g, K, e.base, anti, norm)
		// Score weights: δ = c·Score(ε)/σ on every noisy pre-activation.
		nncore.Scores(tr.e1[:T*n*W1], e.law)
		nncore.Scores(tr.eo[:n*C], e.law)
		if m.Cell == GRU {
			nncore.Scores(tr.e2[:T*n*H], e.law)
		}
		for t := range T {
			for i := range n {
				ci := tr.c[i] / m.Sigma
				scale(tr.e1[(t*n+i)*W1:(t*n+i+1)*W1], ci)
				if m.Cell == GRU {
					scale(tr.e2[(t*n+i)*H:(t*n+i+1)*H], ci)
				}
			}
		}
		for i := range n {
			scale(tr.eo[i*C:(i+1)*C], tr.c[i]/m.SigmaOut)
		}
		// The input product's deltas, summed over the copies of each sample.
		dxs := tr.dxs[:T*g*G]
		clear(dxs)
		for t := range T {
			for i := range n {
				d := dxs[(t*g+i/K)*G : (t*g+i/K+1)*G]
				addTo(d[:W1], tr.e1[(t*n+i)*W1:(t*n+i+1)*W1])
				if m.Cell == GRU {
					addTo(d[W1:], tr.e2[(t*n+i)*H:(t*n+i+1)*H])
				}
			}
		}
		m.accumulate(e.parts[gi], tr)
	}
}

// lwScratch is a worker's space for step-wise injection.
type lwScratch struct {
	stage, ord []int     // per copy: its stage; copies sorted by stage
	start      []int     // start[t]: copies with stage < t (t = 0..Steps+1)
	nz         []float32 // per copy: its draw (G values at a step, C at the readout)
	rh, cand   []float32 // n×H
}

// groupLayerWise estimates group gi's share under step-wise injection: one clean pass,
// then each copy with noise at its one stage (a step, or the readout). A copy noised at
// step t starts from the clean state h_{t−1}: the copies are sorted by stage, and step t
// runs only those whose stage is t or earlier, half the work of running every copy from
// the start.
func (e *LR) groupLayerWise(w, gi int, x []float32, y []uint8, rows int, step uint64) {
	m := e.M
	K, Gs := e.cfg.Copies, e.cfg.Group
	anti := e.cfg.VR.Antithetic
	TV := m.In()
	T, H, G, W1, C := m.Steps, m.Hidden, m.gates(), m.w1(), m.Classes()
	S := T + 1
	s0, s1 := gi*Gs, min(rows, (gi+1)*Gs)
	g := s1 - s0
	n := g * K
	tr, ct, ls := e.ws[w], e.cws[w], e.lws[w]
	// The clean pass; its trace keeps the inputs every score needs.
	m.forward(ct, x[s0*TV:], g, 1, false)
	m.readout(ct.out, ct, g, false)
	for s := range g {
		ct.loss[s] = e.loss.Loss(ct.out[s*C:(s+1)*C], int(y[s0+s]))
	}
	// Each copy's stage (a stratified shift per sample; pairs share a stage) and draw.
	clear(ls.start)
	for s := range g {
		a, b := lr.StreamSeed(e.cfg.Seed, step, uint64(s0+s), 0x7374616765)
		ns := lr.NewNormalStream(a, b)
		shift := int(ns.Uint64() % uint64(S))
		for k := range K {
			i, j := s*K+k, k
			if anti {
				j = k / 2
			}
			st := (shift + j) % S
			ls.stage[i] = st
			ls.start[st+1]++
			nz := ls.nz[i*G : (i+1)*G]
			if anti && k%2 == 1 {
				for q, v := range ls.nz[(i-1)*G : i*G] {
					nz[q] = -v
				}
				continue
			}
			a, b := lr.StreamSeed(e.cfg.Seed, step, uint64(s0+s), uint64(j))
			if st == T {
				nz = nz[:C]
			}
			nncore.Noise(nz, e.law, a, b)
		}
	}
	for t := range S {
		ls.start[t+1] += ls.start[t]
	}
	fill := append(ls.ord[:0:0], ls.start[:S]...) // next free slot per stage
	for i := range n {
		st := ls.stage[i]
		ls.ord[fill[st]] = i
		fill[st]++
	}
	// Staged forward: at step t, the copies of stage ≤ t, in stage order.
	h, pre, tmp := tr.h[:n*H], tr.pre[:n*G], tr.tmp[:n*W1]
	sig := m.Sigma
	for t := range T {
		a0, a1 := ls.start[t], ls.start[t+1]
		for r := a0; r < a1; r++ { // copies joining at t start from the clean h_{t−1}
			s := ls.ord[r] / K
			copy(h[r*H:(r+1)*H], ct.hp[(t*g+s)*H:(t*g+s+1)*H])
		}
		if a1 == 0 {
			continue
		}
		for r := range a1 {
			s := ls.ord[r] / K
			copy(pre[r*G:(r+1)*G], ct.xw[(t*g+s)*G:(t*g+s+1)*G])
		}
		nncore.MatMul(tmp[:a1*W1], h[:a1*H], m.Wh, a1, W1, H, false)
		for r := range a1 {
			p, q := pre[r*G:r*G+W1], tmp[r*W1:(r+1)*W1]
			for j := range p {
				p[j] += q[j]
			}
			if r >= a0 {
				nz := ls.nz[ls.ord[r]*G:]
				for j := range p {
					p[j] += sig * nz[j]
				}
			}
		}
		if m.Cell == Elman {
			for i, v := range pre[:a1*H] {
				h[i] = nncore.Tanh(v)
			}
			continue
		}
		rh, cand := ls.rh[:a1*H], ls.cand[:a1*H]
		for r := range a1 {
			p := pre[r*G : r*G+2*H]
			for j, v := range p {
				p[j] = nncore.Sigmoid(v)
			}
			rr, hh, o := p[H:2*H], h[r*H:(r+1)*H], rh[r*H:(r+1)*H]
			for j := range o {
				o[j] = rr[j] * hh[j]
			}
		}
		nncore.MatMul(cand, rh, m.Wn, a1, H, H, false)
		for r := range a1 {
			p := pre[r*G : (r+1)*G]
			z, nn, q, hh := p[:H], p[2*H:], cand[r*H:(r+1)*H], h[r*H:(r+1)*H]
			var nz []float32
			if r >= a0 {
				nz = ls.nz[ls.ord[r]*G+W1:]
			}
			for j := range nn {
				v := nn[j] + q[j]
				if nz != nil {
					v += sig * nz[j]
				}
				nn[j] = nncore.Tanh(v)
				hh[j] = (1-z[j])*nn[j] + z[j]*hh[j]
			}
		}
	}
	for r := ls.start[T]; r < n; r++ { // readout copies: the clean last state
		s := ls.ord[r] / K
		copy(h[r*H:(r+1)*H], ct.h[s*H:(s+1)*H])
	}
	out := tr.out[:n*C]
	m.Out.Forward(out, h, n)
	for r := ls.start[T]; r < n; r++ {
		nz := ls.nz[ls.ord[r]*G:]
		for q := range C {
			out[r*C+q] += m.SigmaOut * nz[q]
		}
	}
	// Losses, and the deltas of every copy collapsed onto its sample's row at its stage in
	// the clean trace's arrays (e1, e2 per step, eo for the readout).
	clear(ct.e1[:T*g*W1])
	clear(ct.eo[:g*C])
	if m.Cell == GRU {
		clear(ct.e2[:T*g*H])
	}
	var sum float64
	weight := float64(S) / float64(K) / float64(rows)
	for r := range n {
		i := ls.ord[r]
		s, st := i/K, ls.stage[i]
		v := e.loss.Loss(out[r*C:(r+1)*C], int(y[s0+s]))
		sum += float64(v)
		var b float32
		if e.base == lr.BaselineClean {
			b = ct.loss[s]
		}
		c := float32(float64(v-b) * weight)
		nz := ls.nz[i*G : (i+1)*G]
		if st == T {
			addScores(ct.eo[s*C:(s+1)*C], nz[:C], c/m.SigmaOut, e.law)
			continue
		}
		addScores(ct.e1[(st*g+s)*W1:(st*g+s+1)*W1], nz[:W1], c/sig, e.law)
		if m.Cell == GRU {
			addScores(ct.e2[(st*g+s)*H:(st*g+s+1)*H], nz[W1:], c/sig, e.law)
		}
	}
	e.sums[gi] = sum
	for r := range T * g {
		copy(ct.dxs[r*G:r*G+W1], ct.e1[r*W1:(r+1)*W1])
		if m.Cell == GRU {
			copy(ct.dxs[r*G+W1:(r+1)*G], ct.e2[r*H:(r+1)*H])
		}
	}
	m.accumulate(e.parts[gi], ct)
}

// addScores adds c·Score(ε) to dst.
func addScores(dst, eps []float32, c float32, law lr.Law) {
	if _, ok := law.(lr.Gaussian); ok {
		for q, v := range eps {
			dst[q] += c * v
		}
		return
	}
	for q, v := range eps {
		dst[q] += c * law.Score(v)
	}
}

func scale(v []float32, a float32) {
	for i := range v {
		v[i] *= a
	}
}

func addTo(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}
