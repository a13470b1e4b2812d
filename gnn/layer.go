package gnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
)

// Kind is a graph layer's kind.
type Kind int

const (
	// GCN is Kipf and Welling's graph convolution, Z = Â·(H·W) + b.
	GCN Kind = iota
	// SAGE is GraphSAGE's mean aggregator, Z = H·W + M·(H·Wn) + b, with M the neighbour
	// mean (self and neighbours weighted apart).
	SAGE
)

var kindNames = []string{"gcn", "sage"}

func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKinds parses a comma-separated list of gcn and sage.
func ParseKinds(s string) ([]Kind, error) {
	var out []Kind
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		i := -1
		for j, n := range kindNames {
			if n == f {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("gnn: unknown layer kind %q (want gcn or sage)", f)
		}
		out = append(out, Kind(i))
	}
	return out, nil
}

// Layer is one graph layer on all N nodes at once: input H (N×In), output Z (N×Out).
// Weights are input-major (In×Out).
type Layer struct {
	Kind    Kind
	In, Out int
	W, Wn   []float32 // Wn: SAGE neighbour weights (nil for GCN)
	B       []float32
	GW, GWn []float32
	GB      []float32
	wT, wnT []float32
}

// NewLayer returns a layer with Glorot-uniform weights drawn from seed and zero biases.
func NewLayer(kind Kind, in, out int, seed uint64) (*Layer, error) {
	if kind != GCN && kind != SAGE {
		return nil, fmt.Errorf("gnn: unknown layer kind %d", int(kind))
	}
	if in < 1 || out < 1 || int64(in)*int64(out) > nncore.MaxValues/2 {
		return nil, fmt.Errorf("gnn: layer %d→%d", in, out)
	}
	l := &Layer{Kind: kind, In: in, Out: out, W: make([]float32, in*out), GW: make([]float32, in*out),
		B: make([]float32, out), GB: make([]float32, out)}
	if kind == SAGE {
		l.Wn, l.GWn = make([]float32, in*out), make([]float32, in*out)
	}
	r := rand.New(rand.NewPCG(seed, 0x676e6e))
	lim := math.Sqrt(6 / float64(in+out))
	for _, w := range [][]float32{l.W, l.Wn} {
		for i := range w {
			w[i] = float32((2*r.Float64() - 1) * lim)
		}
	}
	return l, nil
}

// Params lists the layer's parameters (W, Wn for SAGE, b).
func (l *Layer) Params() []lr.Param {
	p := []lr.Param{{Name: "W", Shape: []int{l.In, l.Out}, Value: l.W, Grad: l.GW}}
	if l.Kind == SAGE {
		p = append(p, lr.Param{Name: "Wn", Shape: []int{l.In, l.Out}, Value: l.Wn, Grad: l.GWn})
	}
	return append(p, lr.Param{Name: "b", Shape: []int{l.Out}, Value: l.B, Grad: l.GB})
}

// Prepare refreshes the transposed weights Backward uses.
func (l *Layer) Prepare() {
	if len(l.wT) != len(l.W) {
		l.wT = make([]float32, len(l.W))
	}
	nncore.Transpose(l.wT, l.W, l.In, l.Out)
	if l.Kind == SAGE {
		if len(l.wnT) != len(l.Wn) {
			l.wnT = make([]float32, len(l.Wn))
		}
		nncore.Transpose(l.wnT, l.Wn, l.In, l.Out)
	}
}

// sparse reports whether h is sparse enough for products that skip zeros.
func sparse(h []float32) bool {
	z := 0
	for _, v := range h {
		if v == 0 {
			z++
		}
	}
	return z > len(h)*3/4
}

// mul writes dst = h·w (N×in · in×out), skipping zero inputs when h is sparse.
func mul(workers int, dst, h, w []float32, n, in, out int, sp bool) {
	if !sp {
		nncore.ParMatMul(workers, dst, h, w, n, out, in, false)
		return
	}
	for i := range n {
		d := dst[i*out : (i+1)*out]
		clear(d)
		for p, v := range h[i*in : (i+1)*in] {
			if v != 0 {
				for q, x := range w[p*out : (p+1)*out] {
					d[q] += v * x
				}
			}
		}
	}
}

// addTN adds hᵀ·u to g (in×out), skipping zero inputs when h is sparse.
func addTN(acc *nncore.GradAcc, workers int, g, h, u []float32, n, in, out int, sp bool) {
	if !sp {
		if workers == 1 || acc == nil {
			nncore.MatMulTN(g, h, u, n, in, out)
		} else {
			acc.AddTN(workers, g, h, u, n, in, out)
		}
		return
	}
	for i := range n {
		ui := u[i*out : (i+1)*out]
		for p, v := range h[i*in : (i+1)*in] {
			if v != 0 {
				gp := g[p*out : (p+1)*out]
				for q, x := range ui {
					gp[q] += v * x
				}
			}
		}
	}
}

// scratch is a layer's work space for one pass.
type scratch struct {
	t, u []float32 // N×Out
}

func newScratch(n, out int) *scratch {
	return &scratch{t: make([]float32, n*out), u: make([]float32, n*out)}
}

// forward writes the layer's mean z (N×Out) for input h.
func (l *Layer) forward(workers int, g *Graph, z, h []float32, s *scratch, sp bool) {
	n := g.N
	switch l.Kind {
	case GCN:
		mul(workers, s.t, h, l.W, n, l.In, l.Out, sp)
		spmm(workers, z, g.Ahat, s.t, l.Out, false)
	case SAGE:
		mul(workers, z, h, l.W, n, l.In, l.Out, sp)
		mul(workers, s.t, h, l.Wn, n, l.In, l.Out, sp)
		spmm(workers, z, g.Mean, s.t, l.Out, true)
	}
	for i := range n {
		zi := z[i*l.Out : (i+1)*l.Out]
		for q, b := range l.B {
			zi[q] += b
		}
	}
}

// grads are gradient buffers of a layer's W, Wn and b.
type grads struct{ w, wn, b []float32 }

func (l *Layer) grads() grads { return grads{l.GW, l.GWn, l.GB} }

func (l *Layer) newGrads() grads {
	g := grads{w: make([]float32, len(l.W)), b: make([]float32, len(l.B))}
	if l.Kind == SAGE {
		g.wn = make([]float32, len(l.Wn))
	}
	return g
}

// addGrad adds to dst the parameter gradients for input h and output deltas d (N×Out).
func (l *Layer) addGrad(dst grads, acc *nncore.GradAcc, workers int, g *Graph, h, d []float32, s *scratch, sp bool) {
	n := g.N
	nncore.AddColSums(dst.b, d, n, l.Out)
	switch l.Kind {
	case GCN:
		spmm(workers, s.u, g.Ahat, d, l.Out, false) // Âᵀ = Â
		addTN(acc, workers, dst.w, h, s.u, n, l.In, l.Out, sp)
	case SAGE:
		addTN(acc, workers, dst.w, h, d, n, l.In, l.Out, sp)
		spmm(workers, s.u, g.MeanT, d, l.Out, false)
		addTN(acc, workers, dst.wn, h, s.u, n, l.In, l.Out, sp)
	}
}

// backward writes dh = ∂/∂h of the layer for output deltas d (needs Prepare).
func (l *Layer) backward(workers int, g *Graph, dh, d []float32, s *scratch) {
	n := g.N
	switch l.Kind {
	case GCN:
		spmm(workers, s.u, g.Ahat, d, l.Out, false)
		nncore.ParMatMul(workers, dh, s.u, l.wT, n, l.In, l.Out, false)
	case SAGE:
		nncore.ParMatMul(workers, dh, d, l.wT, n, l.In, l.Out, false)
		spmm(workers, s.u, g.MeanT, d, l.Out, false)
		nncore.ParMatMul(workers, dh, s.u, l.wnT, n, l.In, l.Out, true)
	}
}
