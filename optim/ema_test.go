package optim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noisyQuadratic takes steps of opt on ½‖θ − c‖² with gradient noise of scale s (seeded),
// from the parameters p.
func noisyQuadratic(opt Optimizer, p []Param, steps int, s float64, seed uint64) {
	c := []float32{1, -2, 3, 0.5}
	r := rand.New(rand.NewPCG(seed, 1))
	for range steps {
		for i := range c {
			p[0].Grad[i] = p[0].Value[i] - c[i] + float32(s*r.NormFloat64())
		}
		opt.Step(p)
	}
}

func newQuadParams() []Param {
	return []Param{{Name: "θ", Value: make([]float32, 4), Grad: make([]float32, 4)}}
}

// TestEMAAveragesNoise: under noisy gradients the average lies nearer the minimum than
// the live weights, and swapping twice restores them exactly.
func TestEMAAveragesNoise(t *testing.T) {
	c := []float32{1, -2, 3, 0.5}
	dist := func(v []float32) float64 {
		var s float64
		for i := range c {
			d := float64(v[i] - c[i])
			s += d * d
		}
		return s
	}
	var live, avg float64
	for seed := range uint64(20) {
		o, err := NewEMA(NewSGD(0.05, 0), 0.99)
		require.NoError(t, err)
		p := newQuadParams()
		noisyQuadratic(o, p, 2000, 1, seed)
		w := append([]float32(nil), p[0].Value...)
		live += dist(w)
		o.Swap(p)
		require.True(t, o.Swapped())
		avg += dist(p[0].Value)
		o.Swap(p)
		require.Equal(t, w, p[0].Value)
	}
	// SGD at rate η on a unit quadratic with noise 1 jitters with variance η/(2−η) per
	// coordinate; an average over ~100 steps cuts it about tenfold.
	t.Logf("mean squared distance to the minimum: live %.4f, average %.4f", live/20, avg/20)
	assert.Less(t, avg, live/4)
}

// TestEMAWarmup: the average starts at the weights after the first step, not at the
// initial values, and then weighs in new weights at 1 − d = 1 − 3/12 for the second.
func TestEMAWarmup(t *testing.T) {
	o, err := NewEMA(NewSGD(1, 0), 0.999)
	require.NoError(t, err)
	p := newQuadParams()
	noisyQuadratic(o, p, 1, 0, 0) // one full step lands on c
	o.Swap(p)
	assert.Equal(t, []float32{1, -2, 3, 0.5}, p[0].Value)
	o.Swap(p)
	p[0].Value[0] = 5 // a second step from θ = (5, c₁, ...) lands on c again: a₀ stays 1
	noisyQuadratic(o, p, 1, 0, 0)
	o.Swap(p)
	assert.InDeltaSlice(t, []float32{1, -2, 3, 0.5}, p[0].Value, 1e-6)
	o.Swap(p)
	o.Inner.(*SGD).LR = 0.5 // θ₀: 1 → 1; then perturb and step half-way
	p[0].Value[0] = 3
	noisyQuadratic(o, p, 1, 0, 0) // θ₀ = 2; a₀ = (4/13)·1 + (9/13)·2
	o.Swap(p)
	assert.InDelta(t, 4.0/13+18.0/13, p[0].Value[0], 1e-6)
	assert.Panics(t, func() { o.Step(p) }, "a step while swapped would corrupt the average")
}

// TestEMAStateResume: a run checkpointed while swapped (as the CLI saves) and resumed
// from the saved buffers continues bit for bit.
func TestEMAStateResume(t *testing.T) {
	ref, _ := NewEMA(NewAdam(0.05), 0.9)
	pr := newQuadParams()
	noisyQuadratic(ref, pr, 10, 0.5, 3)
	noisyQuadratic(ref, pr, 10, 0.5, 4)
	ref.Swap(pr)

	a, _ := NewEMA(NewAdam(0.05), 0.9)
	p := newQuadParams()
	noisyQuadratic(a, p, 10, 0.5, 3)
	a.Swap(p) // checkpoint: the model holds the average
	saved := append([]float32(nil), p[0].Value...)
	st := a.State()
	var cp State
	cp.Steps = st.Steps
	for _, b := range st.Buffers {
		cp.Buffers = append(cp.Buffers, append([]float32(nil), b...))
	}

	b, _ := NewEMA(NewAdam(0.05), 0.9)
	require.NoError(t, b.SetState(cp))
	require.True(t, b.Swapped())
	q := []Param{{Value: saved, Grad: make([]float32, 4)}}
	b.Swap(q)
	noisyQuadratic(b, q, 10, 0.5, 4)
	b.Swap(q)
	assert.Equal(t, pr[0].Value, q[0].Value)
	assert.Equal(t, "adam+ema", b.Name())
}

func TestEMABadState(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   State
	}{
		{"empty", State{}},
		{"no header", State{Buffers: [][]float32{{1, 2}}}},
		{"too many averages", State{Buffers: [][]float32{{1}, {5, 0, 0}}}},
		{"fractional count", State{Buffers: [][]float32{{1}, {1.5, 0, 0}}}},
		{"bad flag", State{Buffers: [][]float32{{1}, {1, 0, 2}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, _ := NewEMA(NewSGD(0.1, 0), 0.9)
			assert.Error(t, o.SetState(tc.st))
		})
	}
	for _, d := range []float32{0, 1, -0.5, 1.5} {
		_, err := NewEMA(NewSGD(0.1, 0), d)
		assert.Error(t, err, "decay %v", d)
	}
}

// ExampleEMA: train with a moving average, and evaluate with it swapped in.
func ExampleEMA() {
	p := []Param{{Name: "w", Value: []float32{0}, Grad: []float32{0}}}
	o, err := NewEMA(NewSGD(0.5, 0), 0.9)
	if err != nil {
		panic(err)
	}
	for range 50 {
		p[0].Grad[0] = p[0].Value[0] - 1 // minimise ½(w − 1)²
		o.Step(p)
	}
	o.Swap(p) // the average in the parameters: evaluate or save here
	fmt.Printf("%s: average %.3f\n", o.Name(), p[0].Value[0])
	o.Swap(p) // the live weights back, to go on training
	// Output: sgd+ema: average 1.000
}
