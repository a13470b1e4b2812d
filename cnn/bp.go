package cnn

import (
	"fmt"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// BP trains a CNN by backpropagation with the softmax cross-entropy loss. It implements
// lr.Learner, like lr.Estimator, so lr.Train drives either.
type BP struct {
	M *CNN

	rows int
	h    [][]float32 // h[l]: input of layer l (h[0] aliases x)
	z    [][]float32 // z[l]: output of layer l before its activation (noise included)
	d    [][]float32 // d[l]: ∂loss/∂z[l]
}

// NewBP checks that every activation has a derivative.
func NewBP(m *CNN) (*BP, error) {
	for l, a := range m.Acts {
		if !a.Differentiable() {
			return nil, fmt.Errorf("cnn: layer %d uses %s, which has no derivative: train it with the LR method", l, a)
		}
	}
	return &BP{M: m}, nil
}

// Params lists the model's parameters.
func (b *BP) Params() []lr.Param { return b.M.Params() }

func (b *BP) alloc(rows int) {
	if b.rows >= rows && b.h != nil {
		return
	}
	L := len(b.M.Layers)
	b.rows = rows
	b.h, b.z, b.d = make([][]float32, L), make([][]float32, L), make([][]float32, L)
	for l, layer := range b.M.Layers {
		in, out := layer.Dims()
		if l > 0 {
			b.h[l] = make([]float32, rows*in)
		}
		b.z[l] = make([]float32, rows*out)
		b.d[l] = make([]float32, rows*out)
	}
}

// Grad zeroes the gradients and fills them with the exact gradient of the mean
// cross-entropy of the noise-free network over rows samples. step is ignored.
func (b *BP) Grad(x []float32, y []uint8, rows int, _ uint64) (lr.Stats, error) {
	loss := b.run(x, y, rows, nil, true, nil, 1/float32(rows))
	return lr.Stats{Loss: loss / float64(rows), Forwards: rows}, nil
}

// Pathwise fills the gradients with the gradient of the mean loss of the noisy network
// for the given noise: eps[l] holds rows×out standard variates of layer l, added as
// Sigma[l]·ε (the reparameterised estimator, the reference of the LR unbiasedness test).
// It returns the mean loss.
func (b *BP) Pathwise(x []float32, y []uint8, rows int, eps [][]float32) float64 {
	return b.run(x, y, rows, eps, true, nil, 1/float32(rows)) / float64(rows)
}

// InputGrad writes ∂loss_r/∂x_r (rows×In) into dx for each row's own loss, through the
// network with noise eps (nil: noise-free), and returns the summed loss. Parameter
// gradients are left alone.
func (b *BP) InputGrad(dx, x []float32, y []uint8, rows int, eps [][]float32) float64 {
	return b.run(x, y, rows, eps, false, dx, 1)
}

func (b *BP) run(x []float32, y []uint8, rows int, eps [][]float32, params bool, dx []float32, scale float32) float64 {
	m := b.M
	m.Prepare()
	b.alloc(rows)
	L := len(m.Layers)
	in := m.Input.Size()
	b.h[0] = x[:rows*in]
	chunks := (rows + forwardChunk - 1) / forwardChunk
	losses := make([]float64, chunks)
	C := m.Classes()
	lr.ParallelFor(m.Workers, chunks, func(_, c int) {
		r0, r1 := c*forwardChunk, min(rows, (c+1)*forwardChunk)
		n := r1 - r0
		for l, layer := range m.Layers {
			li, lo := layer.Dims()
			z := b.z[l][r0*lo : r1*lo]
			layer.Forward(z, b.h[l][r0*li:r1*li], n)
			if eps != nil && eps[l] != nil && m.Sigma[l] > 0 {
				e := eps[l][r0*lo : r1*lo]
				for i := range z {
					z[i] += m.Sigma[l] * e[i]
				}
			}
			if l < L-1 {
				m.Acts[l].Apply(b.h[l+1][r0*lo:r1*lo], z)
			}
		}
		zl := b.z[L-1][r0*C : r1*C]
		out := make([]float32, C)
		for r := range n {
			zr := zl[r*C : (r+1)*C]
			m.Acts[L-1].Apply(out, zr)
			dr := b.d[L-1][(r0+r)*C : (r0+r+1)*C]
			losses[c] += float64(nncore.SoftmaxCE(dr, out, int(y[r0+r]), scale))
			nncore.ActDeriv(m.Acts[L-1], dr, zr, out)
		}
		for l := L - 1; l >= 0; l-- {
			layer := m.Layers[l]
			li, lo := layer.Dims()
			dl := b.d[l][r0*lo : r1*lo]
			if l == 0 {
				if dx != nil {
					layer.Backward(dx[r0*in:r1*in], b.h[0][r0*in:r1*in], dl, n)
				}
				break
			}
			prev := b.d[l-1][r0*li : r1*li]
			layer.Backward(prev, b.h[l][r0*li:r1*li], dl, n)
			nncore.ActDeriv(m.Acts[l-1], prev, b.z[l-1][r0*li:r1*li], b.h[l][r0*li:r1*li])
		}
	})
	if params {
		for _, p := range m.Params() {
			clear(p.Grad)
		}
		for l, layer := range m.Layers {
			layer.AddGrad(b.h[l], b.d[l], rows)
		}
	}
	var s float64
	for _, v := range losses {
		s += v
	}
	return s
}

// Noise draws the standard noise of every noisy layer for rows rows from the streams
// Logits uses with this seed: eps[l] is rows×out (nil for a noiseless layer).
func (m *CNN) Noise(rows int, seed uint64) [][]float32 {
	eps := make([][]float32, len(m.Layers))
	for l, layer := range m.Layers {
		if m.Sigma[l] == 0 {
			continue
		}
		_, out := layer.Dims()
		eps[l] = make([]float32, rows*out)
		m.noise(eps[l], l, 0, rows, out, seed)
	}
	return eps
}

// InputGrad writes the gradient of each row's cross-entropy with respect to its input
// into dx (rows×In): through the deterministic network, or with noise true through the
// noisy network with the draw Logits makes with seed. It implements attack.Model.
func (m *CNN) InputGrad(dx, x []float32, y []uint8, rows int, noise bool, seed uint64) error {
	bp, err := NewBP(m)
	if err != nil {
		return err
	}
	var eps [][]float32
	if noise {
		eps = m.Noise(rows, seed)
	}
	bp.InputGrad(dx, x, y, rows, eps)
	return nil
}
