package rnn

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

// Cell is the recurrent cell.
type Cell int

const (
	// Elman is h_t = tanh(x_t·Wx + h_{t−1}·Wh + b).
	Elman Cell = iota
	// GRU is the gated recurrent unit of Cho et al. (2014), with the reset gate applied
	// before the recurrent product: z, r = sigmoid(x·Wx + h·Wh + b) (update and reset
	// gates), n = tanh(x·Wxn + (r⊙h)·Wn + bn), h_t = (1 − z)⊙n + z⊙h_{t−1}.
	GRU
)

var cellNames = []string{"elman", "gru"}

func (c Cell) String() string {
	if int(c) >= 0 && int(c) < len(cellNames) {
		return cellNames[c]
	}
	return fmt.Sprintf("Cell(%d)", int(c))
}

// ParseCell parses elman or gru.
func ParseCell(s string) (Cell, error) {
	for i, n := range cellNames {
		if strings.EqualFold(n, s) {
			return Cell(i), nil
		}
	}
	return 0, fmt.Errorf("rnn: unknown cell %q (want elman or gru)", s)
}

// RNN is a single-layer recurrent network over Steps steps of Width values each, read from a
// row of Steps·In values (step-major, as dataset's sequences), with a dense readout of the
// last hidden state. Every gate pre-activation of every step carries noise of scale Sigma,
// and the logits noise of scale SigmaOut: the noise LR trains with, and the noise kept at
// inference when asked.
//
// Weights are input-major, as mlp's Dense: Wx is Width×G, where G = Hidden (Elman) or
// 3·Hidden (GRU: update, reset, candidate); Wh is Hidden×Hidden (Elman) or Hidden×2·Hidden
// (GRU: update and reset); Wn is the GRU candidate's Hidden×Hidden recurrent weight.
type RNN struct {
	Cell                 Cell
	Steps, Width, Hidden int
	Wx, Wh, Wn, B        []float32
	GWx, GWh, GWn, GB    []float32
	Out                  *mlp.Dense
	Sigma, SigmaOut      float32
	Law                  lr.Law // noise law (nil: Gaussian)
	Workers              int    // goroutines of batch operations (GOMAXPROCS when <= 0)
	wxT, whT, wnT, woT   []float32
}

// New returns an RNN with weights drawn from seed: input weights uniform in
// ±sqrt(6/(Width+G)), recurrent weights orthogonal-like (uniform in ±sqrt(3/H)·gain),
// zero biases except the GRU update gate's (+1, which keeps the state at the start).
func New(cell Cell, steps, in, hidden, classes int, sigma float32, seed uint64) (*RNN, error) {
	if cell != Elman && cell != GRU {
		return nil, fmt.Errorf("rnn: unknown cell %d", int(cell))
	}
	if steps < 1 || in < 1 || hidden < 1 || classes < 1 || steps > 1<<16 || in > 1<<20 || hidden > 1<<14 || classes > 1<<16 {
		return nil, fmt.Errorf("rnn: %d steps of %d inputs, %d hidden units, %d classes", steps, in, hidden, classes)
	}
	if sigma < 0 || math.IsNaN(float64(sigma)) || math.IsInf(float64(sigma), 0) {
		return nil, fmt.Errorf("rnn: noise scale %v", sigma)
	}
	m := &RNN{Cell: cell, Steps: steps, Width: in, Hidden: hidden, Sigma: sigma, SigmaOut: sigma}
	m.alloc(classes)
	r := rand.New(rand.NewPCG(seed, 0x726e6e))
	uni := func(w []float32, lim float64) {
		for i := range w {
			w[i] = float32((2*r.Float64() - 1) * lim)
		}
	}
	G := m.gates()
	uni(m.Wx, math.Sqrt(6/float64(in+G)))
	uni(m.Wh, math.Sqrt(3/float64(hidden)))
	uni(m.Wn, math.Sqrt(3/float64(hidden)))
	if cell == GRU {
		for i := range hidden {
			m.B[i] = 1
		}
	}
	uni(m.Out.W, math.Sqrt(6/float64(hidden+classes)))
	return m, nil
}

func (m *RNN) alloc(classes int) {
	H, G := m.Hidden, m.gates()
	m.Wx, m.GWx = make([]float32, m.Width*G), make([]float32, m.Width*G)
	m.Wh, m.GWh = make([]float32, H*m.w1()), make([]float32, H*m.w1())
	if m.Cell == GRU {
		m.Wn, m.GWn = make([]float32, H*H), make([]float32, H*H)
	}
	m.B, m.GB = make([]float32, G), make([]float32, G)
	m.Out = &mlp.Dense{In: H, Out: classes, W: make([]float32, H*classes), B: make([]float32, classes),
		GW: make([]float32, H*classes), GB: make([]float32, classes)}
}

// gates is G, the width of the gate pre-activations of one step.
func (m *RNN) gates() int {
	if m.Cell == GRU {
		return 3 * m.Hidden
	}
	return m.Hidden
}

// w1 is the width of the gates whose recurrent input is h (Elman: all; GRU: z and r).
func (m *RNN) w1() int {
	if m.Cell == GRU {
		return 2 * m.Hidden
	}
	return m.Hidden
}

// In is the width of one input row, Steps·Width (attack.Model); Classes the logits.
func (m *RNN) In() int      { return m.Steps * m.Width }
func (m *RNN) Classes() int { return m.Out.Out }

// Params lists the parameters: Wx, Wh, (Wn,) b, then the readout's Wout and bout.
func (m *RNN) Params() []lr.Param {
	p := []lr.Param{
		{Name: "Wx", Shape: []int{m.Width, m.gates()}, Value: m.Wx, Grad: m.GWx},
		{Name: "Wh", Shape: []int{m.Hidden, m.w1()}, Value: m.Wh, Grad: m.GWh},
	}
	if m.Cell == GRU {
		p = append(p, lr.Param{Name: "Wn", Shape: []int{m.Hidden, m.Hidden}, Value: m.Wn, Grad: m.GWn})
	}
	p = append(p, lr.Param{Name: "b", Shape: []int{m.gates()}, Value: m.B, Grad: m.GB})
	for _, q := range m.Out.Params() {
		q.Name += "out"
		p = append(p, q)
	}
	return p
}

// Prepare refreshes the transposed weights; call it after the parameters change.
func (m *RNN) Prepare() {
	H := m.Hidden
	m.wxT = transposed(m.wxT, m.Wx, m.Width, m.gates())
	m.whT = transposed(m.whT, m.Wh, H, m.w1())
	if m.Cell == GRU {
		m.wnT = transposed(m.wnT, m.Wn, H, H)
	}
	m.woT = transposed(m.woT, m.Out.W, H, m.Out.Out)
	m.Out.Workers = m.Workers
	m.Out.Prepare()
}

func transposed(dst, a []float32, r, c int) []float32 {
	if len(dst) != r*c {
		dst = make([]float32, r*c)
	}
	nncore.Transpose(dst, a, r, c)
	return dst
}

// Validate checks the buffers.
func (m *RNN) Validate() error {
	if m.Cell != Elman && m.Cell != GRU {
		return fmt.Errorf("rnn: unknown cell %d", int(m.Cell))
	}
	H, G := m.Hidden, m.gates()
	if m.Steps < 1 || m.Width < 1 || H < 1 || m.Out == nil {
		return errors.New("rnn: empty network")
	}
	if len(m.Wx) != m.Width*G || len(m.Wh) != H*m.w1() || len(m.B) != G ||
		(m.Cell == GRU && len(m.Wn) != H*H) || m.Out.In != H || len(m.Out.W) != H*m.Out.Out {
		return errors.New("rnn: buffer sizes do not match the shape")
	}
	for _, s := range []float32{m.Sigma, m.SigmaOut} {
		if s < 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("rnn: noise scale %v", s)
		}
	}
	return nil
}

func (m *RNN) law() lr.Law {
	if m.Law == nil {
		return lr.Gaussian{}
	}
	return m.Law
}

// Logits writes the logits of rows sequences x (rows×Steps·Width) into dst (rows×Classes).
// With noise true every gate pre-activation of every step and every logit gets noise, ε
// from the stream (seed, row). Call Prepare first.
func (m *RNN) Logits(dst, x []float32, rows int, noise bool, seed uint64) {
	C := m.Classes()
	chunks := (rows + chunkRows - 1) / chunkRows
	trs := make([]*trace, lr.Workers(m.Workers))
	lr.ParallelFor(m.Workers, chunks, func(w, c int) {
		r0, r1 := c*chunkRows, min(rows, (c+1)*chunkRows)
		n := r1 - r0
		if trs[w] == nil {
			trs[w] = m.newTrace(chunkRows, chunkRows)
		}
		tr := trs[w]
		if noise {
			m.rowNoise(tr, r0, n, seed)
		}
		m.forward(tr, x[r0*m.In():], n, 1, noise)
		m.readout(dst[r0*C:r1*C], tr, n, noise)
	})
}

// Predict returns the predicted class of each of rows inputs (noise as in Logits).
func (m *RNN) Predict(x []float32, rows int, noise bool, seed uint64) []int {
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
func (m *RNN) Accuracy(x []float32, y []uint8, rows int, noise bool, seed uint64) float64 {
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

// InputGrad writes the gradient of each row's cross-entropy with respect to its input
// sequence into dx (rows×Steps·Width), through the deterministic network or, with noise
// true, through the draw Logits makes with seed. It implements attack.Model.
func (m *RNN) InputGrad(dx, x []float32, y []uint8, rows int, noise bool, seed uint64) error {
	b := NewBPTT(m)
	var eps *Noise
	if noise {
		eps = m.Noise(rows, seed)
	}
	b.run(x, y, rows, eps, false, dx, 1)
	return nil
}
