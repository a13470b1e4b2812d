package optim

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quadratic minimises ½‖θ − c‖² with opt for steps, returning θ.
func quadratic(opt Optimizer, steps int) []float32 {
	c := []float32{1, -2, 3}
	p := []Param{{Name: "θ", Value: make([]float32, 3), Grad: make([]float32, 3)}}
	for range steps {
		for i := range c {
			p[0].Grad[i] = p[0].Value[i] - c[i]
		}
		opt.Step(p)
	}
	return p[0].Value
}

func TestOptimizersConverge(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Optimizer
	}{
		{"sgd", NewSGD(0.1, 0)},
		{"sgd-momentum", NewSGD(0.05, 0.9)},
		{"adam", NewAdam(0.05)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := quadratic(tc.opt, 2000)
			assert.InDeltaSlice(t, []float32{1, -2, 3}, got, 1e-3)
		})
	}
}

func TestAdamFirstStep(t *testing.T) {
	// With bias correction, Adam's first step is lr·sign(g) (up to ε).
	o := NewAdam(0.01)
	p := []Param{{Value: []float32{0, 0}, Grad: []float32{3, -0.001}}}
	o.Step(p)
	assert.InDelta(t, -0.01, p[0].Value[0], 1e-6)
	assert.InDelta(t, 0.01, p[0].Value[1], 1e-4)
}

// TestStateResume: an optimizer restored from State continues exactly.
func TestStateResume(t *testing.T) {
	for _, name := range []string{"sgd", "adam"} {
		t.Run(name, func(t *testing.T) {
			a, err := New(name, 0.05)
			require.NoError(t, err)
			want := quadratic(a, 20)
			b, _ := New(name, 0.05)
			c := []float32{1, -2, 3}
			p := []Param{{Value: make([]float32, 3), Grad: make([]float32, 3)}}
			step := func(o Optimizer) {
				for i := range c {
					p[0].Grad[i] = p[0].Value[i] - c[i]
				}
				o.Step(p)
			}
			for range 10 {
				step(b)
			}
			st := b.State()
			var copyState State
			copyState.Steps = st.Steps
			for _, buf := range st.Buffers {
				copyState.Buffers = append(copyState.Buffers, append([]float32(nil), buf...))
			}
			r, _ := New(name, 0.05)
			require.NoError(t, r.SetState(copyState))
			for range 10 {
				step(r)
			}
			assert.Equal(t, want, p[0].Value)
		})
	}
	_, err := New("rmsprop", 1)
	require.Error(t, err)
	assert.False(t, math.IsNaN(0))
}
