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

// TestAdamKernel checks that the Adam kernel in use (AVX in GOEXPERIMENT=simd builds)
// gives the scalar loop's bits, tails included.
func TestAdamKernel(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 100, 1027} {
		w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			w[i] = float32(i%17)*0.1 - 0.8
			g[i] = float32(i%11)*1e-3 - 5e-3
			m[i] = float32(i%5) * 1e-4
			v[i] = float32(i%7) * 1e-6
		}
		w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
		adamUpdate(w, g, m, v, 0.9, 0.999, 1e-3, 1e-8)
		adamUpdateGeneric(w2, g, m2, v2, 0.9, 0.999, 1e-3, 1e-8)
		require.Equal(t, w2, w, "n=%d", n)
		require.Equal(t, m2, m, "n=%d", n)
		require.Equal(t, v2, v, "n=%d", n)
	}
}
