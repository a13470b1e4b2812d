package rnn

import (
	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// BPTT trains an RNN by backpropagation through time with the softmax cross-entropy
// loss: the baseline LR is compared with, and the source of input gradients for attacks.
// It implements lr.Learner.
type BPTT struct {
	M *RNN

	ws    []*trace
	parts []*partial
}

// NewBPTT returns the BPTT learner of m.
func NewBPTT(m *RNN) *BPTT { return &BPTT{M: m} }

// Params lists the model's parameters.
func (b *BPTT) Params() []lr.Param { return b.M.Params() }

// Grad zeroes the gradients and fills them with the exact gradient of the mean
// cross-entropy of the noise-free network over rows sequences. step is ignored.
func (b *BPTT) Grad(x []float32, y []uint8, rows int, _ uint64) (lr.Stats, error) {
	loss := b.run(x, y, rows, nil, true, nil, 1/float32(rows))
	return lr.Stats{Loss: loss / float64(rows), Forwards: rows}, nil
}

// Pathwise fills the gradients with the gradient of the mean loss of the noisy network
// with the noise draw eps (the reparameterised estimator) and returns the mean loss.
func (b *BPTT) Pathwise(x []float32, y []uint8, rows int, eps *Noise) float64 {
	return b.run(x, y, rows, eps, true, nil, 1/float32(rows)) / float64(rows)
}

func (b *BPTT) run(x []float32, y []uint8, rows int, eps *Noise, params bool, dx []float32, scale float32) float64 {
	m := b.M
	m.Prepare()
	workers := lr.Workers(m.Workers)
	chunks := (rows + chunkRows - 1) / chunkRows
	for len(b.ws) < workers {
		b.ws = append(b.ws, m.newTrace(chunkRows, chunkRows))
	}
	for params && len(b.parts) < chunks {
		b.parts = append(b.parts, m.newPartial())
	}
	losses := make([]float64, chunks)
	TV := m.In()
	T, V, G, C := m.Steps, m.Width, m.gates(), m.Classes()
	lr.ParallelFor(m.Workers, chunks, func(w, c int) {
		r0, r1 := c*chunkRows, min(rows, (c+1)*chunkRows)
		n := r1 - r0
		tr := b.ws[w]
		noisy := eps != nil
		if noisy {
			for i := range n {
				m.scatter(tr, i, n, eps.E[(r0+i)*eps.Width:(r0+i+1)*eps.Width])
			}
		}
		m.forward(tr, x[r0*TV:], n, 1, noisy)
		m.readout(tr.out, tr, n, noisy)
		for i := range n {
			losses[c] += float64(nncore.SoftmaxCE(tr.eo[i*C:(i+1)*C], tr.out[i*C:(i+1)*C], int(y[r0+i]), scale))
		}
		m.backward(tr)
		if dx != nil {
			g := tr.dx[:n*V]
			for t := range T {
				nncore.MatMul(g, tr.dxs[t*n*G:(t+1)*n*G], m.wxT, n, V, G, false)
				for i := range n {
					copy(dx[(r0+i)*TV+t*V:][:V], g[i*V:(i+1)*V])
				}
			}
		}
		if params {
			m.accumulate(b.parts[c], tr)
		}
	})
	if params {
		m.addPartials(b.parts[:chunks])
	}
	var s float64
	for _, v := range losses {
		s += v
	}
	return s
}

// backward runs the chunk's gradient back through time: from the logits' deltas in eo
// to the deltas of every step's pre-activations (e1, e2) and of the input product (dxs).
func (m *RNN) backward(tr *trace) {
	T, H, G, W1, C := m.Steps, m.Hidden, m.gates(), m.w1(), m.Classes()
	n := tr.n
	dh := tr.dh[:n*H]
	nncore.MatMul(dh, tr.eo[:n*C], m.woT, n, H, C, false)
	for t := T - 1; t >= 0; t-- {
		act := tr.act[t*n*G : (t+1)*n*G]
		hp := tr.hp[t*n*H : (t+1)*n*H]
		d1 := tr.e1[t*n*W1 : (t+1)*n*W1]
		dxs := tr.dxs[t*n*G : (t+1)*n*G]
		if m.Cell == Elman {
			for i, hv := range act {
				d1[i] = dh[i] * (1 - hv*hv)
			}
			nncore.MatMul(dh, d1, m.whT, n, H, H, false)
			copy(dxs, d1)
			continue
		}
		d2 := tr.e2[t*n*H : (t+1)*n*H]
		dhp := tr.dr[:n*H]
		for i := range n {
			a := act[i*G : (i+1)*G]
			for j := range H {
				z, nn, gv := a[j], a[2*H+j], dh[i*H+j]
				d2[i*H+j] = gv * (1 - z) * (1 - nn*nn)
				d1[i*W1+j] = gv * (hp[i*H+j] - nn) * z * (1 - z)
				dhp[i*H+j] = gv * z
			}
		}
		drh := tr.tmp[:n*H]
		nncore.MatMul(drh, d2, m.wnT, n, H, H, false)
		for i := range n {
			a := act[i*G : (i+1)*G]
			for j := range H {
				r, q := a[H+j], drh[i*H+j]
				d1[i*W1+H+j] = q * hp[i*H+j] * r * (1 - r)
				dhp[i*H+j] += q * r
			}
		}
		nncore.MatMul(dhp, d1, m.whT, n, H, W1, true)
		copy(dh, dhp)
		for i := range n {
			copy(dxs[i*G:i*G+W1], d1[i*W1:(i+1)*W1])
			copy(dxs[i*G+W1:(i+1)*G], d2[i*H:(i+1)*H])
		}
	}
}
