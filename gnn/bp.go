package gnn

import (
	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// BP trains a GNN by backpropagation, full batch: the loss is the mean cross-entropy of
// the graph's training nodes. It implements lr.Learner (the rows passed to Grad are
// ignored: one step is one pass over the whole graph).
type BP struct {
	M *GNN
	G *Graph
	// Seed seeds the dropout masks (one set per step).
	Seed uint64

	acc nncore.GradAcc
}

// NewBP returns the BP learner of m on g.
func NewBP(m *GNN, g *Graph, seed uint64) (*BP, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	for l, a := range m.Acts {
		if !a.Differentiable() {
			return nil, errorf("layer %d uses %s, which has no derivative: train it with the LR method", l, a)
		}
	}
	if g.F != m.In() || g.Classes != m.Classes() {
		return nil, errorf("model takes %d features and %d classes, graph has %d and %d", m.In(), m.Classes(), g.F, g.Classes)
	}
	return &BP{M: m, G: g, Seed: seed}, nil
}

// Params lists the model's parameters.
func (b *BP) Params() []lr.Param { return b.M.Params() }

// Grad fills the gradients with the exact gradient of the mean training-node loss of the
// noise-free network, with the dropout masks of step.
func (b *BP) Grad(_ []float32, _ []uint8, _ int, step uint64) (lr.Stats, error) {
	n := len(b.G.Train)
	loss := b.run(b.G.X, b.G.Train, nil, b.M.dropMasks(b.G.N, b.Seed, step), true, nil, 1/float32(n))
	return lr.Stats{Loss: loss / float64(n), Forwards: 1}, nil
}

// Pathwise fills the gradients with the gradient of the mean training-node loss of the
// noisy network with noise eps (no dropout) and returns that loss.
func (b *BP) Pathwise(eps [][]float32) float64 {
	n := len(b.G.Train)
	return b.run(b.G.X, b.G.Train, eps, nil, true, nil, 1/float32(n)) / float64(n)
}

// dropMasks draws the dropout masks of one step (nil without dropout).
func (m *GNN) dropMasks(n int, seed, step uint64) [][]float32 {
	if m.Dropout == 0 {
		return nil
	}
	d := make([][]float32, len(m.Layers))
	for l, layer := range m.Layers {
		d[l] = make([]float32, n*layer.In)
		s1, s2 := lr.StreamSeed(seed, step, uint64(l), 0x64726f70)
		dropMask(d[l], m.Dropout, s1, s2)
	}
	return d
}

// run does a forward pass on features x, the summed loss over nodes (times scale for the
// gradient), and the backward pass into the parameter gradients (params) and/or the
// feature gradient dx.
func (b *BP) run(x []float32, nodes []int32, eps, drop [][]float32, params bool, dx []float32, scale float32) float64 {
	m, g := b.M, b.G
	m.Prepare()
	L := len(m.Layers)
	p := m.newPass(g.N)
	m.forward(p, g, x, eps, drop, 0, m.Workers)
	C := m.Classes()
	d := make([]float32, g.N*C)
	var loss float64
	for _, i := range nodes {
		r := int(i)
		loss += float64(nncore.SoftmaxCE(d[r*C:(r+1)*C], p.z[L-1][r*C:(r+1)*C], int(g.Labels[i]), scale))
	}
	if params {
		for _, q := range m.Params() {
			clear(q.Grad)
		}
	}
	for l := L - 1; l >= 0; l-- {
		layer := m.Layers[l]
		if params {
			layer.addGrad(layer.grads(), &b.acc, m.Workers, g, p.h[l], d, p.s[l], p.sp[l])
		}
		if l == 0 && dx == nil {
			break
		}
		dh := make([]float32, g.N*layer.In)
		layer.backward(m.Workers, g, dh, d, p.s[l])
		if drop != nil && drop[l] != nil {
			for i, v := range drop[l] {
				dh[i] *= v
			}
		}
		if l == 0 {
			copy(dx, dh)
			break
		}
		act := make([]float32, len(p.z[l-1]))
		m.Acts[l-1].Apply(act, p.z[l-1])
		nncore.ActDeriv(m.Acts[l-1], dh, p.z[l-1], act)
		d = dh
	}
	if params {
		m.decay()
	}
	return loss
}

// decay adds the weight decay to the weight gradients.
func (m *GNN) decay() {
	if m.WeightDecay == 0 {
		return
	}
	for _, l := range m.Layers {
		for _, pair := range [][2][]float32{{l.GW, l.W}, {l.GWn, l.Wn}} {
			for i, w := range pair[1] {
				pair[0][i] += m.WeightDecay * w
			}
		}
	}
}
