package gnn

import (
	"errors"
	"fmt"
	"math"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// GNN is a stack of graph layers over all nodes at once; the last layer gives the logits
// of every node. Layer l is followed by Acts[l] and its node outputs carry noise of scale
// Sigma[l]: the noise LR trains with, and the noise kept at inference when asked. Dropout
// (training only) drops each input of every layer with that probability.
type GNN struct {
	Layers  []*Layer
	Acts    []mlp.Act
	Sigma   []float32
	Law     lr.Law // noise law (nil: Gaussian)
	Dropout float32
	// WeightDecay adds λ·W to the gradient of every weight matrix (not the biases).
	WeightDecay float32
	Workers     int
}

// New returns a GNN with one layer per kind: widths in, hidden..., classes (len(hidden)
// = len(kinds) − 1), activation act after hidden layers and identity after the last,
// noise scale sigma everywhere, weights from seed.
func New(kinds []Kind, in int, hidden []int, classes int, act mlp.Act, sigma float32, seed uint64) (*GNN, error) {
	if len(kinds) == 0 || len(kinds) > 16 || len(hidden) != len(kinds)-1 {
		return nil, fmt.Errorf("gnn: %d layer kinds need %d hidden widths, got %d", len(kinds), len(kinds)-1, len(hidden))
	}
	if sigma < 0 || math.IsNaN(float64(sigma)) || math.IsInf(float64(sigma), 0) {
		return nil, fmt.Errorf("gnn: noise scale %v", sigma)
	}
	widths := append(append([]int{in}, hidden...), classes)
	m := &GNN{}
	for l, k := range kinds {
		layer, err := NewLayer(k, widths[l], widths[l+1], seed+uint64(l)*0x9e3779b97f4a7c15)
		if err != nil {
			return nil, err
		}
		a := act
		if l == len(kinds)-1 {
			a = mlp.Identity
		}
		m.Layers = append(m.Layers, layer)
		m.Acts = append(m.Acts, a)
		m.Sigma = append(m.Sigma, sigma)
	}
	return m, nil
}

// In and Classes are the feature and class counts.
func (m *GNN) In() int      { return m.Layers[0].In }
func (m *GNN) Classes() int { return m.Layers[len(m.Layers)-1].Out }

// Kinds lists the layers' kinds; Widths their widths (inputs first).
func (m *GNN) Kinds() []Kind {
	var k []Kind
	for _, l := range m.Layers {
		k = append(k, l.Kind)
	}
	return k
}

// Widths returns the layer widths, features first.
func (m *GNN) Widths() []int {
	w := []int{m.In()}
	for _, l := range m.Layers {
		w = append(w, l.Out)
	}
	return w
}

// Params lists every layer's parameters, named with the layer number.
func (m *GNN) Params() []lr.Param {
	var p []lr.Param
	for l, layer := range m.Layers {
		for _, q := range layer.Params() {
			q.Name = fmt.Sprintf("%s%d", q.Name, l)
			p = append(p, q)
		}
	}
	return p
}

// Prepare refreshes derived weights; call it after the parameters change.
func (m *GNN) Prepare() {
	for _, l := range m.Layers {
		l.Prepare()
	}
}

// Validate checks the layers.
func (m *GNN) Validate() error {
	if len(m.Layers) == 0 {
		return errors.New("gnn: no layers")
	}
	if len(m.Acts) != len(m.Layers) || len(m.Sigma) != len(m.Layers) {
		return fmt.Errorf("gnn: %d layers, %d activations, %d noise scales", len(m.Layers), len(m.Acts), len(m.Sigma))
	}
	for l, layer := range m.Layers {
		if l > 0 && layer.In != m.Layers[l-1].Out {
			return fmt.Errorf("gnn: layer %d takes %d inputs, layer %d gives %d", l, layer.In, l-1, m.Layers[l-1].Out)
		}
		if s := m.Sigma[l]; s < 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("gnn: layer %d: noise scale %v", l, s)
		}
	}
	if m.Acts[len(m.Acts)-1] != mlp.Identity {
		return errors.New("gnn: the last layer's activation must be identity (it gives the logits)")
	}
	if m.Dropout < 0 || m.Dropout >= 1 || math.IsNaN(float64(m.Dropout)) {
		return fmt.Errorf("gnn: dropout %v", m.Dropout)
	}
	return nil
}

func (m *GNN) law() lr.Law {
	if m.Law == nil {
		return lr.Gaussian{}
	}
	return m.Law
}

// pass holds one forward pass over the graph.
type pass struct {
	h  [][]float32 // h[l]: input of layer l (after dropout); h[0] may alias the features
	z  [][]float32 // z[l]: output of layer l before its activation (noise included)
	sp []bool      // sparse inputs
	s  []*scratch
}

func (m *GNN) newPass(n int) *pass {
	L := len(m.Layers)
	p := &pass{h: make([][]float32, L), z: make([][]float32, L), sp: make([]bool, L), s: make([]*scratch, L)}
	for l, layer := range m.Layers {
		if l > 0 {
			p.h[l] = make([]float32, n*layer.In)
		}
		p.z[l] = make([]float32, n*layer.Out)
		p.s[l] = newScratch(n, layer.Out)
	}
	return p
}

// noise writes the standard noise of layer l (N×Out) from the stream (seed, l).
func (m *GNN) noise(dst []float32, l int, seed uint64) {
	s1, s2 := lr.StreamSeed(seed, uint64(l))
	nncore.Noise(dst, m.law(), s1, s2)
}

// Noise draws, for every noisy layer, the noise Logits uses with seed (N×Out each).
func (m *GNN) Noise(n int, seed uint64) [][]float32 {
	eps := make([][]float32, len(m.Layers))
	for l, layer := range m.Layers {
		if m.Sigma[l] > 0 {
			eps[l] = make([]float32, n*layer.Out)
			m.noise(eps[l], l, seed)
		}
	}
	return eps
}

// dropMask draws a dropout mask (0 or 1/(1−p)) into dst from the stream (s1, s2).
func dropMask(dst []float32, p float32, s1, s2 uint64) {
	ns := lr.NewNormalStream(s1, s2)
	keep := 1 / (1 - p)
	thr := uint64(float64(p) * (1 << 53))
	for i := range dst {
		if ns.Uint64()>>11 < thr {
			dst[i] = 0
		} else {
			dst[i] = keep
		}
	}
}

// forward runs the network on features x (N×F) from layer from on, with the noise eps[l]
// (nil: none) and dropout masks drop[l] (nil: none) on the input of each layer, on up to
// workers goroutines. p.h[from] must hold the input of layer from when from > 0.
func (m *GNN) forward(p *pass, g *Graph, x []float32, eps, drop [][]float32, from, workers int) {
	L := len(m.Layers)
	if from == 0 {
		p.h[0] = x
		if drop != nil && drop[0] != nil {
			h := make([]float32, len(x))
			for i, v := range x {
				h[i] = v * drop[0][i]
			}
			p.h[0] = h
		}
		p.sp[0] = sparse(p.h[0])
	}
	for l := from; l < L; l++ {
		layer := m.Layers[l]
		z := p.z[l]
		layer.forward(workers, g, z, p.h[l], p.s[l], p.sp[l])
		if eps != nil && eps[l] != nil && m.Sigma[l] > 0 {
			s := m.Sigma[l]
			for i, e := range eps[l][:len(z)] {
				z[i] += s * e
			}
		}
		if l == L-1 {
			m.Acts[l].Apply(z, z)
			break
		}
		h := p.h[l+1]
		m.Acts[l].Apply(h, z)
		if drop != nil && drop[l+1] != nil {
			for i, d := range drop[l+1] {
				h[i] *= d
			}
		}
		p.sp[l+1] = false
	}
}

// Logits writes the logits of every node (N×Classes) for features x into dst: noise-free,
// or with noise true with the draw of seed. Call Prepare first.
func (m *GNN) Logits(dst []float32, g *Graph, x []float32, noise bool, seed uint64) {
	p := m.newPass(g.N)
	var eps [][]float32
	if noise {
		eps = m.Noise(g.N, seed)
	}
	m.forward(p, g, x, eps, nil, 0, m.Workers)
	copy(dst, p.z[len(m.Layers)-1])
}

// Accuracy returns the fraction of the given nodes classified correctly.
func (m *GNN) Accuracy(g *Graph, x []float32, nodes []int32, noise bool, seed uint64) float64 {
	if len(nodes) == 0 {
		return 0
	}
	m.Prepare()
	C := m.Classes()
	z := make([]float32, g.N*C)
	m.Logits(z, g, x, noise, seed)
	ok := 0
	for _, i := range nodes {
		if nncore.Argmax(z[int(i)*C:(int(i)+1)*C]) == int(g.Labels[i]) {
			ok++
		}
	}
	return float64(ok) / float64(len(nodes))
}

// InputGrad writes into dx (N×F) the gradient, with respect to every node's features, of
// the summed cross-entropy over nodes (the attacked nodes, with their labels), through
// the noise-free network or the draw of seed. It returns the summed loss.
func (m *GNN) InputGrad(dx []float32, g *Graph, x []float32, nodes []int32, noise bool, seed uint64) float64 {
	b := &BP{M: m, G: g}
	var eps [][]float32
	if noise {
		eps = m.Noise(g.N, seed)
	}
	return b.run(x, nodes, eps, nil, false, dx, 1)
}
