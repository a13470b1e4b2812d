package cnn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// CNN is a feed-forward convolutional network: convolutions, pooling and dense layers,
// the last one giving the logits. Layer l is followed by Acts[l] and carries noise of scale
// Sigma[l] (pooling layers: identity and 0): the noise LR trains with, and the noise kept
// at inference when asked.
type CNN struct {
	Input  Shape // input shape (CHW, as the dataset gives it)
	Layers []Layer
	Acts   []mlp.Act
	Sigma  []float32
	Law    lr.Law // noise law (nil: Gaussian)
	// Workers bounds the goroutines of every batch operation (GOMAXPROCS when <= 0).
	Workers int
}

// New builds the network of an architecture string (see [ParseSpec]) on inputs of shape
// in (CHW), with a final dense layer to classes logits. Convolutions and hidden dense
// layers use the activation hidden and noise scale sigma; the classifier uses identity and
// sigma too. Weights are drawn from seed.
func New(spec string, in Shape, classes int, hidden mlp.Act, sigma float32, seed uint64) (*CNN, error) {
	specs, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	if classes < 1 {
		return nil, fmt.Errorf("cnn: %d classes", classes)
	}
	specs = append(specs, LayerSpec{Kind: "dense", N: classes})
	return build(specs, in, hidden, sigma, seed)
}

// build makes the layers of specs (the last one is the classifier).
func build(specs []LayerSpec, in Shape, hidden mlp.Act, sigma float32, seed uint64) (*CNN, error) {
	if in.C < 1 || in.H < 1 || in.W < 1 || in.Size() > 1<<24 {
		return nil, fmt.Errorf("cnn: input shape %v", in)
	}
	if len(specs) > 64 {
		return nil, fmt.Errorf("cnn: %d layers", len(specs))
	}
	m := &CNN{Input: in}
	cur := in
	flat := false
	gain := 1.0
	if hidden == mlp.ReLU {
		gain = math.Sqrt2
	}
	total := 0
	for l, ls := range specs {
		last := l == len(specs)-1
		act, g := hidden, gain
		if last {
			act, g = mlp.Identity, 1
		}
		lseed := seed + uint64(l)*0x9e3779b97f4a7c15
		var layer Layer
		var out Shape
		switch ls.Kind {
		case "conv":
			if flat {
				return nil, fmt.Errorf("cnn: layer %d: convolution after a dense layer", l)
			}
			c, err := NewConv2D(cur, ls.N, ls.K, ls.Stride, ls.Pad, l == 0, g, lseed)
			if err != nil {
				return nil, fmt.Errorf("cnn: layer %d: %w", l, err)
			}
			layer, out = c, c.Out()
			total += len(c.W)
		case "maxpool", "avgpool":
			if flat {
				return nil, fmt.Errorf("cnn: layer %d: pooling after a dense layer", l)
			}
			if l == 0 && cur.C > 1 {
				return nil, fmt.Errorf("cnn: the first layer of a %d-channel input must be a convolution or dense", cur.C)
			}
			p, err := NewPool(cur, ls.K, ls.Stride, ls.Kind == "maxpool")
			if err != nil {
				return nil, fmt.Errorf("cnn: layer %d: %w", l, err)
			}
			layer, out, act = p, p.Out(), mlp.Identity
		case "dense":
			if l == 0 && cur.C > 1 {
				return nil, fmt.Errorf("cnn: the first layer of a %d-channel input must be a convolution", cur.C)
			}
			total += cur.Size() * ls.N
			if total > nncore.MaxValues {
				return nil, fmt.Errorf("cnn: more than %d parameters", nncore.MaxValues)
			}
			layer, out, flat = dense{mlp.NewDense(cur.Size(), ls.N, g, lseed)}, Shape{C: ls.N, H: 1, W: 1}, true
		default:
			return nil, fmt.Errorf("cnn: layer %d: unknown kind %q", l, ls.Kind)
		}
		if total > nncore.MaxValues {
			return nil, fmt.Errorf("cnn: more than %d parameters", nncore.MaxValues)
		}
		s := sigma
		if ls.Kind == "maxpool" || ls.Kind == "avgpool" {
			s = 0
		}
		m.Layers = append(m.Layers, layer)
		m.Acts = append(m.Acts, act)
		m.Sigma = append(m.Sigma, s)
		cur = out
	}
	if _, ok := m.Layers[len(m.Layers)-1].(dense); !ok {
		return nil, errors.New("cnn: the last layer must be dense")
	}
	return m, nil
}

// Spec returns the architecture string of the hidden layers (without the classifier).
func (m *CNN) Spec() string {
	var s []string
	for _, l := range m.Layers[:len(m.Layers)-1] {
		s = append(s, l.Spec())
	}
	return strings.Join(s, ",")
}

// In and Classes are the input and output widths (attack.Model).
func (m *CNN) In() int      { return m.Input.Size() }
func (m *CNN) Classes() int { _, o := m.Layers[len(m.Layers)-1].Dims(); return o }

// Params lists every layer's parameters (W then b of each layer that has them), named
// with the layer number.
func (m *CNN) Params() []lr.Param {
	var p []lr.Param
	for l, layer := range m.Layers {
		for _, q := range layer.Params() {
			q.Name = fmt.Sprintf("%s%d", q.Name, l)
			p = append(p, q)
		}
	}
	return p
}

// Stages returns the network as LR stages sharing its parameters: noise of scale Sigma[l]
// on every output of layer l (each convolution's output maps, each dense output), no
// noise on pooling.
func (m *CNN) Stages() []lr.Stage {
	m.setWorkers()
	st := make([]lr.Stage, len(m.Layers))
	for l, layer := range m.Layers {
		st[l] = lr.Stage{Mean: layer, Act: m.Acts[l], Scale: m.Sigma[l]}
	}
	return st
}

func (m *CNN) setWorkers() {
	for _, layer := range m.Layers {
		switch v := layer.(type) {
		case *Conv2D:
			v.Workers = m.Workers
		case dense:
			v.Workers = m.Workers
		}
	}
}

// Prepare refreshes derived weights; call it after the parameters change.
func (m *CNN) Prepare() {
	m.setWorkers()
	for _, layer := range m.Layers {
		layer.Prepare()
	}
}

// Validate checks that the layers chain and every buffer has its size.
func (m *CNN) Validate() error {
	if len(m.Layers) == 0 {
		return errors.New("cnn: no layers")
	}
	if len(m.Acts) != len(m.Layers) || len(m.Sigma) != len(m.Layers) {
		return fmt.Errorf("cnn: %d layers, %d activations, %d noise scales", len(m.Layers), len(m.Acts), len(m.Sigma))
	}
	prev := m.Input.Size()
	for l, layer := range m.Layers {
		in, out := layer.Dims()
		if in != prev {
			return fmt.Errorf("cnn: layer %d takes %d inputs, gets %d", l, in, prev)
		}
		prev = out
		if s := m.Sigma[l]; s < 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("cnn: layer %d: noise scale %v", l, s)
		}
	}
	return nil
}

func (m *CNN) law() lr.Law {
	if m.Law == nil {
		return lr.Gaussian{}
	}
	return m.Law
}

func (m *CNN) maxWidth() int {
	w := m.Input.Size()
	for _, layer := range m.Layers {
		_, o := layer.Dims()
		w = max(w, o)
	}
	return w
}

// noise writes the standard noise of layer l for rows rows starting at row r0 into eps
// (rows×width): row r comes from the stream (seed, l, r), whatever the chunking.
func (m *CNN) noise(eps []float32, l, r0, rows, width int, seed uint64) {
	law := m.law()
	_, gauss := law.(lr.Gaussian)
	for r := range rows {
		s1, s2 := lr.StreamSeed(seed, uint64(l), uint64(r0+r))
		e := eps[r*width : (r+1)*width]
		if gauss {
			ns := lr.NewNormalStream(s1, s2)
			ns.Fill(e)
			continue
		}
		rng := newRand(s1, s2)
		for i := range e {
			e[i] = float32(law.Sample(rng))
		}
	}
}

// forwardChunk is the number of rows per parallel task of batch operations.
const forwardChunk = 16

// Logits writes the logits of rows inputs x into dst (rows×Classes). With noise false
// the network is deterministic; with noise true every layer adds Sigma·ε with ε from the
// stream (seed, layer, row): the stochastic model as trained. Call Prepare first.
func (m *CNN) Logits(dst, x []float32, rows int, noise bool, seed uint64) {
	in, C := m.Input.Size(), m.Classes()
	maxW := m.maxWidth()
	chunks := (rows + forwardChunk - 1) / forwardChunk
	bufs := make([][3][]float32, lr.Workers(m.Workers))
	lr.ParallelFor(m.Workers, chunks, func(w, c int) {
		r0, r1 := c*forwardChunk, min(rows, (c+1)*forwardChunk)
		n := r1 - r0
		if bufs[w][0] == nil {
			for i := range bufs[w] {
				bufs[w][i] = make([]float32, forwardChunk*maxW)
			}
		}
		a, b, eps := bufs[w][0], bufs[w][1], bufs[w][2]
		cur := x[r0*in : r1*in]
		for l, layer := range m.Layers {
			_, out := layer.Dims()
			z := a[:n*out]
			if l == len(m.Layers)-1 {
				z = dst[r0*C : r1*C]
			}
			layer.Forward(z, cur, n)
			if noise && m.Sigma[l] > 0 {
				e := eps[:n*out]
				m.noise(e, l, r0, n, out, seed)
				s := m.Sigma[l]
				for i, v := range e {
					z[i] += s * v
				}
			}
			m.Acts[l].Apply(z, z)
			cur = z
			a, b = b, a
		}
	})
}

// Predict returns the predicted class of each of rows inputs (noise as in Logits).
func (m *CNN) Predict(x []float32, rows int, noise bool, seed uint64) []int {
	C := m.Classes()
	z := make([]float32, rows*C)
	m.Prepare()
	m.Logits(z, x, rows, noise, seed)
	p := make([]int, rows)
	for r := range rows {
		p[r] = nncore.Argmax(z[r*C : (r+1)*C])
	}
	return p
}

// Accuracy returns the fraction of rows inputs whose prediction equals the label.
func (m *CNN) Accuracy(x []float32, y []uint8, rows int, noise bool, seed uint64) float64 {
	if rows == 0 {
		return 0
	}
	ok := 0
	for r, v := range m.Predict(x, rows, noise, seed) {
		if v == int(y[r]) {
			ok++
		}
	}
	return float64(ok) / float64(rows)
}

func newRand(s1, s2 uint64) *rand.Rand { return rand.New(rand.NewPCG(s1, s2)) }
