package mlp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/snnsim/snnsim/lr"
)

// MLP is a stack of dense layers, each followed by its activation; the last layer's
// output is the logits. Sigma holds each layer's noise scale: the noise LR trains with,
// and the noise kept at inference when asked.
type MLP struct {
	Layers []*Dense
	Acts   []Act
	Sigma  []float32
	Law    lr.Law // noise law (nil: Gaussian)
	// Workers bounds the goroutines of every batch operation (GOMAXPROCS when <= 0).
	Workers int
}

// New returns an MLP with the given layer sizes (sizes[0] inputs, sizes[len-1] logits),
// activation hidden after every hidden layer and identity after the last, all noise
// scales set to sigma, and weights drawn from seed.
func New(sizes []int, hidden Act, sigma float32, seed uint64) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("mlp: need at least 2 sizes, got %v", sizes)
	}
	for _, s := range sizes {
		if s < 1 || s > 1<<20 {
			return nil, fmt.Errorf("mlp: layer size %d out of range in %v", s, sizes)
		}
	}
	m := &MLP{}
	for l := range len(sizes) - 1 {
		a := hidden
		if l == len(sizes)-2 {
			a = Identity
		}
		gain := 1.0
		if a == ReLU {
			gain = math.Sqrt2
		}
		m.Layers = append(m.Layers, NewDense(sizes[l], sizes[l+1], gain, seed+uint64(l)*0x9e3779b97f4a7c15))
		m.Acts = append(m.Acts, a)
		m.Sigma = append(m.Sigma, sigma)
	}
	return m, nil
}

// Sizes returns the layer widths, inputs first.
func (m *MLP) Sizes() []int {
	s := []int{m.Layers[0].In}
	for _, d := range m.Layers {
		s = append(s, d.Out)
	}
	return s
}

// In and Classes are the input and output widths.
func (m *MLP) In() int      { return m.Layers[0].In }
func (m *MLP) Classes() int { return m.Layers[len(m.Layers)-1].Out }

// Params lists every layer's parameters (W then b per layer).
func (m *MLP) Params() []lr.Param {
	var p []lr.Param
	for l, d := range m.Layers {
		for _, q := range d.Params() {
			q.Name = fmt.Sprintf("%s%d", q.Name, l)
			p = append(p, q)
		}
	}
	return p
}

// Stages returns the MLP as LR stages (sharing the layers' parameters).
func (m *MLP) Stages() []lr.Stage {
	st := make([]lr.Stage, len(m.Layers))
	for l, d := range m.Layers {
		d.Workers = m.Workers
		st[l] = lr.Stage{Mean: d, Act: m.Acts[l], Scale: m.Sigma[l]}
	}
	return st
}

// Prepare refreshes derived weights; call it after the parameters change.
func (m *MLP) Prepare() {
	for _, d := range m.Layers {
		d.Workers = m.Workers
		d.Prepare()
	}
}

func (m *MLP) law() lr.Law {
	if m.Law == nil {
		return lr.Gaussian{}
	}
	return m.Law
}

// forwardChunk is the number of rows per parallel task of Logits.
const forwardChunk = 32

// Logits writes the logits of rows inputs x into dst (rows×Classes). With noise false
// the network is deterministic; with noise true every layer adds Sigma·ε, ε drawn from a
// stream determined by (seed, row): the stochastic model as trained. Call Prepare first.
func (m *MLP) Logits(dst, x []float32, rows int, noise bool, seed uint64) {
	in, C := m.In(), m.Classes()
	maxW := 0
	for _, d := range m.Layers {
		maxW = max(maxW, d.Out)
	}
	chunks := (rows + forwardChunk - 1) / forwardChunk
	// The first layer in one call over all rows (blocked and parallel inside).
	z0 := make([]float32, rows*m.Layers[0].Out)
	m.Layers[0].Forward(z0, x, rows)
	lr.ParallelFor(m.Workers, chunks, func(_, c int) {
		r0, r1 := c*forwardChunk, min(rows, (c+1)*forwardChunk)
		n := r1 - r0
		a, b := make([]float32, n*maxW), make([]float32, n*maxW)
		var rng *rand.Rand
		var pcg *rand.PCG
		if noise {
			pcg = rand.NewPCG(0, 0)
			rng = rand.New(pcg)
		}
		cur := x[r0*in : r1*in]
		for l, d := range m.Layers {
			z := a[:n*d.Out]
			if l == len(m.Layers)-1 {
				z = dst[r0*C : r1*C]
			}
			if l == 0 {
				copy(z, z0[r0*d.Out:r1*d.Out])
			} else {
				d.Forward(z, cur, n)
			}
			if noise && m.Sigma[l] > 0 {
				s := m.Sigma[l]
				e := b[:d.Out]
				for r := range n {
					m.noiseRow(e, seed, l, r0+r, pcg, rng)
					zr := z[r*d.Out : (r+1)*d.Out]
					for i := range zr {
						zr[i] += s * e[i]
					}
				}
			}
			m.Acts[l].Apply(z, z)
			cur = z
			a, b = b, a
		}
	})
}

// Predict returns the predicted class of each of rows inputs (noise as in Logits).
func (m *MLP) Predict(x []float32, rows int, noise bool, seed uint64) []int {
	C := m.Classes()
	z := make([]float32, rows*C)
	m.Prepare()
	m.Logits(z, x, rows, noise, seed)
	p := make([]int, rows)
	for r := range rows {
		p[r] = argmax(z[r*C : (r+1)*C])
	}
	return p
}

// Accuracy returns the fraction of rows inputs whose prediction equals the label.
func (m *MLP) Accuracy(x []float32, y []uint8, rows int, noise bool, seed uint64) float64 {
	if rows == 0 {
		return 0
	}
	p := m.Predict(x, rows, noise, seed)
	ok := 0
	for r, v := range p {
		if v == int(y[r]) {
			ok++
		}
	}
	return float64(ok) / float64(rows)
}

// Validate checks that the layers chain and every buffer has its size.
func (m *MLP) Validate() error {
	if len(m.Layers) == 0 {
		return errors.New("mlp: no layers")
	}
	if len(m.Acts) != len(m.Layers) || len(m.Sigma) != len(m.Layers) {
		return fmt.Errorf("mlp: %d layers, %d activations, %d noise scales", len(m.Layers), len(m.Acts), len(m.Sigma))
	}
	for l, d := range m.Layers {
		if l > 0 && d.In != m.Layers[l-1].Out {
			return fmt.Errorf("mlp: layer %d takes %d inputs, layer %d gives %d", l, d.In, l-1, m.Layers[l-1].Out)
		}
		if len(d.W) != d.In*d.Out || len(d.B) != d.Out || len(d.GW) != len(d.W) || len(d.GB) != len(d.B) {
			return fmt.Errorf("mlp: layer %d: buffer sizes do not match %d×%d", l, d.In, d.Out)
		}
		if int(m.Acts[l]) < 0 || int(m.Acts[l]) >= len(actNames) {
			return fmt.Errorf("mlp: layer %d: unknown activation %d", l, int(m.Acts[l]))
		}
		if s := m.Sigma[l]; s < 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("mlp: layer %d: noise scale %v", l, s)
		}
	}
	return nil
}

// noise draws the standard noise of every layer for rows rows, from the streams Logits
// uses: eps[l][r*Out:(r+1)*Out] comes from the stream (seed, l, r).
func (m *MLP) noise(rows int, seed uint64) [][]float32 {
	eps := make([][]float32, len(m.Layers))
	pcg := rand.NewPCG(0, 0)
	rng := rand.New(pcg)
	for l, d := range m.Layers {
		if m.Sigma[l] == 0 {
			continue
		}
		e := make([]float32, rows*d.Out)
		for r := range rows {
			m.noiseRow(e[r*d.Out:(r+1)*d.Out], seed, l, r, pcg, rng)
		}
		eps[l] = e
	}
	return eps
}

// InputGrad writes the gradient of each row's cross-entropy loss with respect to its
// input into dx (rows×In): through the deterministic network, or with noise true through
// the noisy network with the noise draw of seed (the draw Logits makes with that seed).
// It fails for activations without a derivative.
func (m *MLP) InputGrad(dx, x []float32, y []uint8, rows int, noise bool, seed uint64) error {
	bp, err := NewBP(m, CrossEntropy)
	if err != nil {
		return err
	}
	var eps [][]float32
	if noise {
		eps = m.noise(rows, seed)
	}
	bp.InputGrad(dx, x, y, rows, eps)
	return nil
}

// noiseRow draws the standard noise of layer l for row r of the draw seed into dst: the
// stream (seed, l, r), Gaussian through lr.NormalStream, other laws through law.Sample.
func (m *MLP) noiseRow(dst []float32, seed uint64, l, r int, pcg *rand.PCG, rng *rand.Rand) {
	s1, s2 := lr.StreamSeed(seed, uint64(l), uint64(r))
	law := m.law()
	if _, ok := law.(lr.Gaussian); ok {
		ns := lr.NewNormalStream(s1, s2)
		ns.Fill(dst)
		return
	}
	pcg.Seed(s1, s2)
	for i := range dst {
		dst[i] = float32(law.Sample(rng))
	}
}
