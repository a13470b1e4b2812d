package rnn

import (
	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// chunkRows is the number of sequences per parallel task of inference and BPTT.
const chunkRows = 16

// trace holds one chunk's pass through time: g samples, n = g·K rows (K copies each).
// Arrays over time are step-major: [t][row][·].
type trace struct {
	g, n     int
	xs       []float32 // T×g×V inputs
	xw       []float32 // T×g×G  x·Wx + b
	hp       []float32 // T×n×H  h_{t−1}
	act      []float32 // T×n×G  Elman: h_t; GRU: z, r, n
	rh       []float32 // T×n×H  r⊙h_{t−1} (GRU)
	e1       []float32 // T×n×W1 noise (then score weights / deltas) of the h-gates
	e2       []float32 // T×n×H  same for the GRU candidate
	eo       []float32 // n×C    logit noise (then deltas)
	dxs      []float32 // T×g×G  deltas of the input product, summed over copies
	h        []float32 // n×H    the state; the last one after forward
	out      []float32 // n×C    logits
	pre, tmp []float32 // n×G, n×W1 scratch
	dh, dr   []float32 // n×H scratch (BPTT)
	loss, c  []float32 // n
	noise    []float32 // T·G + C, one row's draw
	dx       []float32 // n×V scratch (input gradients)
}

func (m *RNN) newTrace(g, n int) *trace {
	T, V, H, G, W1, C := m.Steps, m.Width, m.Hidden, m.gates(), m.w1(), m.Classes()
	tr := &trace{g: g, n: n,
		xs: make([]float32, T*g*V), xw: make([]float32, T*g*G),
		hp: make([]float32, T*n*H), act: make([]float32, T*n*G),
		e1: make([]float32, T*n*W1), eo: make([]float32, n*C),
		dxs: make([]float32, T*g*G),
		h:   make([]float32, n*H), out: make([]float32, n*C),
		pre: make([]float32, n*G), tmp: make([]float32, n*W1),
		dh: make([]float32, n*H), dr: make([]float32, n*H),
		loss: make([]float32, n), c: make([]float32, n),
		noise: make([]float32, T*G+C), dx: make([]float32, n*V),
	}
	if m.Cell == GRU {
		tr.rh = make([]float32, T*n*H)
		tr.e2 = make([]float32, T*n*H)
	}
	return tr
}

// scatter writes one row's draw (T·G + C values: per step W1 then H, then the logits)
// into row i of the trace's noise arrays.
func (m *RNN) scatter(tr *trace, i, n int, src []float32) {
	T, H, W1, C := m.Steps, m.Hidden, m.w1(), m.Classes()
	o := 0
	for t := range T {
		copy(tr.e1[(t*n+i)*W1:(t*n+i+1)*W1], src[o:o+W1])
		o += W1
		if m.Cell == GRU {
			copy(tr.e2[(t*n+i)*H:(t*n+i+1)*H], src[o:o+H])
			o += H
		}
	}
	copy(tr.eo[i*C:(i+1)*C], src[o:o+C])
}

// rowNoise draws the inference noise of rows r0..r0+n, row r from the stream (seed, r).
func (m *RNN) rowNoise(tr *trace, r0, n int, seed uint64) {
	for i := range n {
		s1, s2 := lr.StreamSeed(seed, uint64(r0+i))
		nncore.Noise(tr.noise, m.law(), s1, s2)
		m.scatter(tr, i, n, tr.noise)
	}
}

// Noise is a noise draw for rows sequences: row r holds Steps·G + Classes standard
// variates (per step the gates, then the logits).
type Noise struct {
	Rows, Width int
	E           []float32
}

// Noise draws the noise Logits uses with seed for rows rows.
func (m *RNN) Noise(rows int, seed uint64) *Noise {
	w := m.Steps*m.gates() + m.Classes()
	nz := &Noise{Rows: rows, Width: w, E: make([]float32, rows*w)}
	for r := range rows {
		s1, s2 := lr.StreamSeed(seed, uint64(r))
		nncore.Noise(nz.E[r*w:(r+1)*w], m.law(), s1, s2)
	}
	return nz
}

// forward runs g samples of x (g rows of Steps·Width), each as K copies, through time.
// With noisy set the trace's noise arrays hold the standard noise of every row.
func (m *RNN) forward(tr *trace, x []float32, g, K int, noisy bool) {
	T, V, H, G, W1 := m.Steps, m.Width, m.Hidden, m.gates(), m.w1()
	n := g * K
	tr.g, tr.n = g, n
	for t := range T {
		for s := range g {
			copy(tr.xs[(t*g+s)*V:(t*g+s+1)*V], x[s*T*V+t*V:][:V])
		}
	}
	nncore.MatMul(tr.xw, tr.xs, m.Wx, T*g, G, V, false)
	for r := range T * g {
		row := tr.xw[r*G : (r+1)*G]
		for j, b := range m.B {
			row[j] += b
		}
	}
	h := tr.h[:n*H]
	clear(h)
	sig := m.Sigma
	pre, tmp := tr.pre[:n*G], tr.tmp[:n*W1]
	for t := range T {
		copy(tr.hp[t*n*H:(t+1)*n*H], h)
		for i := range n {
			copy(pre[i*G:(i+1)*G], tr.xw[(t*g+i/K)*G:][:G])
		}
		nncore.MatMul(tmp, h, m.Wh, n, W1, H, false)
		e1 := tr.e1[t*n*W1 : (t+1)*n*W1]
		act := tr.act[t*n*G : (t+1)*n*G]
		for i := range n {
			p, q := pre[i*G:i*G+W1], tmp[i*W1:(i+1)*W1]
			for j := range p {
				p[j] += q[j]
			}
			if noisy {
				e := e1[i*W1 : (i+1)*W1]
				for j := range p {
					p[j] += sig * e[j]
				}
			}
		}
		if m.Cell == Elman {
			for i, v := range pre {
				h[i] = nncore.Tanh(v)
			}
			copy(act, h)
			continue
		}
		// GRU: gates z, r; then the candidate from r⊙h.
		rh := tr.rh[t*n*H : (t+1)*n*H]
		for i := range n {
			p := pre[i*G : i*G+2*H]
			for j, v := range p {
				p[j] = nncore.Sigmoid(v)
			}
			r, hh, o := p[H:2*H], h[i*H:(i+1)*H], rh[i*H:(i+1)*H]
			for j := range o {
				o[j] = r[j] * hh[j]
			}
		}
		cand := tmp[:n*H]
		nncore.MatMul(cand, rh, m.Wn, n, H, H, false)
		e2 := tr.e2[t*n*H : (t+1)*n*H]
		for i := range n {
			p := pre[i*G : (i+1)*G]
			z, nn, q, hh := p[:H], p[2*H:], cand[i*H:(i+1)*H], h[i*H:(i+1)*H]
			for j := range nn {
				v := nn[j] + q[j]
				if noisy {
					v += sig * e2[i*H+j]
				}
				nn[j] = nncore.Tanh(v)
				hh[j] = (1-z[j])*nn[j] + z[j]*hh[j]
			}
		}
		copy(act, pre)
	}
}

// readout writes the logits of the trace's last state into dst (n×C), with noise.
func (m *RNN) readout(dst []float32, tr *trace, n int, noisy bool) {
	C := m.Classes()
	m.Out.Forward(dst[:n*C], tr.h[:n*m.Hidden], n)
	if noisy {
		for i, e := range tr.eo[:n*C] {
			dst[i] += m.SigmaOut * e
		}
	}
}

// partial is one task's share of the parameter gradients, in Params order.
type partial struct {
	wx, wh, wn, b, wo, bo []float32
}

func (m *RNN) newPartial() *partial {
	H, C := m.Hidden, m.Classes()
	p := &partial{wx: make([]float32, len(m.Wx)), wh: make([]float32, len(m.Wh)), b: make([]float32, len(m.B)),
		wo: make([]float32, H*C), bo: make([]float32, C)}
	if m.Cell == GRU {
		p.wn = make([]float32, len(m.Wn))
	}
	return p
}

// accumulate writes the parameter gradients of a trace whose e1, e2, eo hold the deltas
// of every row and dxs the deltas of the input product (summed over copies) into p.
func (m *RNN) accumulate(p *partial, tr *trace) {
	T, V, H, G, W1, C := m.Steps, m.Width, m.Hidden, m.gates(), m.w1(), m.Classes()
	g, n := tr.g, tr.n
	for _, b := range [][]float32{p.wx, p.wh, p.wn, p.b, p.wo, p.bo} {
		clear(b)
	}
	nncore.MatMulTN(p.wx, tr.xs, tr.dxs, T*g, V, G)
	nncore.AddColSums(p.b, tr.dxs, T*g, G)
	nncore.MatMulTN(p.wh, tr.hp, tr.e1, T*n, H, W1)
	if m.Cell == GRU {
		nncore.MatMulTN(p.wn, tr.rh, tr.e2, T*n, H, H)
	}
	nncore.MatMulTN(p.wo, tr.h, tr.eo, n, H, C)
	nncore.AddColSums(p.bo, tr.eo, n, C)
}

// addPartials adds the partial gradients in order into the parameters' gradients.
func (m *RNN) addPartials(ps []*partial) {
	for _, q := range m.Params() {
		clear(q.Grad)
	}
	for _, p := range ps {
		for _, pair := range [][2][]float32{{m.GWx, p.wx}, {m.GWh, p.wh}, {m.GWn, p.wn}, {m.GB, p.b}, {m.Out.GW, p.wo}, {m.Out.GB, p.bo}} {
			for i, v := range pair[1] {
				pair[0][i] += v
			}
		}
	}
}
