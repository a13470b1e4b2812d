package mlp

import (
	"fmt"

	"github.com/snnsim/snnsim/lr"
)

// BP trains an MLP by backpropagation (the hand-written backward of every layer). It
// implements the same Grad method as lr.Estimator, so either plugs into lr.Train.
type BP struct {
	M    *MLP
	Loss Loss

	rows int
	h    [][]float32 // h[l]: input of layer l (h[0] aliases x)
	z    [][]float32 // z[l]: pre-activation of layer l (noise included)
	d    [][]float32 // d[l]: ∂loss/∂z[l]
	dx   []float32
}

// NewBP checks that every activation is differentiable and the loss is cross-entropy.
func NewBP(m *MLP, loss Loss) (*BP, error) {
	for l, a := range m.Acts {
		if !a.Differentiable() {
			return nil, fmt.Errorf("mlp: layer %d uses %s, which has no derivative: train it with the LR method", l, a)
		}
	}
	if loss != CrossEntropy {
		return nil, fmt.Errorf("mlp: loss %s is not differentiable: train it with the LR method", loss.Name())
	}
	return &BP{M: m, Loss: loss}, nil
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
	for l, d := range b.M.Layers {
		if l > 0 {
			b.h[l] = make([]float32, rows*d.In)
		}
		b.z[l] = make([]float32, rows*d.Out)
		b.d[l] = make([]float32, rows*d.Out)
	}
	b.dx = make([]float32, rows*b.M.In())
}

// Grad zeroes the gradients and fills them with the exact gradient of the mean loss of
// the noise-free network over rows samples. step is ignored (BP draws no noise).
func (b *BP) Grad(x []float32, y []uint8, rows int, _ uint64) (lr.Stats, error) {
	loss := b.run(x, y, rows, nil, true, nil, 1/float32(rows))
	return lr.Stats{Loss: loss / float64(rows), Forwards: rows}, nil
}

// Pathwise fills the gradients with the gradient of the mean loss of the noisy network
// with the given noise: eps[l] holds rows×Out standard variates of layer l, added as
// Sigma[l]·ε to its mean (the reparameterised, pathwise estimator).
func (b *BP) Pathwise(x []float32, y []uint8, rows int, eps [][]float32) float64 {
	return b.run(x, y, rows, eps, true, nil, 1/float32(rows)) / float64(rows)
}

// InputGrad writes ∂loss_r/∂x_r (rows×In) into dx for each row's own loss, through the
// network with noise eps (nil: noise-free), and returns the summed loss. Parameter
// gradients are left alone.
func (b *BP) InputGrad(dx, x []float32, y []uint8, rows int, eps [][]float32) float64 {
	return b.run(x, y, rows, eps, false, dx, 1)
}

// run does the forward pass (storing what the backward needs), the backward to the
// deltas, then the parameter gradients and/or the input gradient; it returns the summed
// loss. scale multiplies the loss gradient.
func (b *BP) run(x []float32, y []uint8, rows int, eps [][]float32, params bool, dx []float32, scale float32) float64 {
	m := b.M
	m.Prepare()
	b.alloc(rows)
	L := len(m.Layers)
	in := m.In()
	b.h[0] = x[:rows*in]
	const chunk = 16
	chunks := (rows + chunk - 1) / chunk
	losses := make([]float64, chunks)
	C := m.Classes()
	// The first layer in one call over all rows (blocked and parallel inside).
	m.Layers[0].Forward(b.z[0][:rows*m.Layers[0].Out], b.h[0], rows)
	lr.ParallelFor(m.Workers, chunks, func(_, c int) {
		r0, r1 := c*chunk, min(rows, (c+1)*chunk)
		n := r1 - r0
		for l, d := range m.Layers {
			z := b.z[l][r0*d.Out : r1*d.Out]
			if l > 0 {
				d.Forward(z, b.h[l][r0*d.In:r1*d.In], n)
			}
			if eps != nil && eps[l] != nil && m.Sigma[l] > 0 {
				e := eps[l][r0*d.Out : r1*d.Out]
				for i := range z {
					z[i] += m.Sigma[l] * e[i]
				}
			}
			if l < L-1 {
				m.Acts[l].Apply(b.h[l+1][r0*d.Out:r1*d.Out], z)
			}
		}
		// Output: loss on act(z) of the last layer (identity for logits).
		zl := b.z[L-1][r0*C : r1*C]
		out := make([]float32, C)
		for r := range n {
			zr := zl[r*C : (r+1)*C]
			m.Acts[L-1].Apply(out, zr)
			losses[c] += float64(b.Loss.Loss(out, int(y[r0+r])))
			dr := b.d[L-1][(r0+r)*C : (r0+r+1)*C]
			b.Loss.grad(dr, out, int(y[r0+r]))
			for i := range dr {
				dr[i] *= scale
			}
			m.Acts[L-1].deriv(dr, zr, out)
		}
		for l := L - 1; l >= 0; l-- {
			d := m.Layers[l]
			dl := b.d[l][r0*d.Out : r1*d.Out]
			if l == 0 {
				if dx != nil {
					d.Backward(dx[r0*in:r1*in], dl, n)
				}
				break
			}
			prev := b.d[l-1][r0*d.In : r1*d.In]
			d.Backward(prev, dl, n)
			m.Acts[l-1].deriv(prev, b.z[l-1][r0*d.In:r1*d.In], b.h[l][r0*d.In:r1*d.In])
		}
	})
	if params {
		for _, p := range m.Params() {
			clear(p.Grad)
		}
		for l, d := range m.Layers {
			d.AddGrad(b.h[l], b.d[l], rows)
		}
	}
	var s float64
	for _, v := range losses {
		s += v
	}
	return s
}

// NoisyBP trains by backpropagation through the noisy network: every step draws fresh
// noise (Sigma per layer, the model's law) and follows the pathwise gradient. It is the
// control for LR training with the same noise: same objective, other estimator.
type NoisyBP struct {
	BP
	Seed uint64
}

// NewNoisyBP is NewBP for training through noise drawn from seed.
func NewNoisyBP(m *MLP, loss Loss, seed uint64) (*NoisyBP, error) {
	b, err := NewBP(m, loss)
	if err != nil {
		return nil, err
	}
	return &NoisyBP{BP: *b, Seed: seed}, nil
}

// Grad fills the gradients with the pathwise gradient of the mean loss through one noise
// draw per sample, a pure function of (Seed, step).
func (b *NoisyBP) Grad(x []float32, y []uint8, rows int, step uint64) (lr.Stats, error) {
	loss := b.Pathwise(x, y, rows, b.M.noise(rows, lr.Hash(b.Seed, step)))
	return lr.Stats{Loss: loss, Forwards: rows}, nil
}
