package cnn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/internal/nncore/nncoretest"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// TestPosLRPropagation checks the incremental forward: with one output position of layer
// l changed, recomputing only the region it reaches gives the logits of a full forward
// pass, for every layer kind (strides, padding, max and average pooling, dense).
func TestPosLRPropagation(t *testing.T) {
	for _, tc := range []struct {
		spec string
		in   Shape
	}{
		{"c3k3s2p1,c4k3s1p1,mp2,d6", Shape{2, 9, 9}},
		{"c2k3,ap2,c3k2s1p0,d4", Shape{1, 10, 10}},
		{"c3k5s2p2,c4k3s2p1,d5", Shape{3, 11, 11}},
		{"c2k3s3p0,mp3s2,d5,d4", Shape{1, 12, 12}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			// tanh units and random biases: no unit is dead, every change reaches the logits
			// (with ReLU a dead dense layer would hide errors upstream).
			m, err := New(tc.spec, tc.in, 3, mlp.Tanh, 0.2, 7)
			require.NoError(t, err)
			m.Workers = 1
			r := rand.New(rand.NewPCG(5, 6))
			for _, p := range m.Params() {
				for i := range p.Value {
					p.Value[i] += float32(r.NormFloat64() * 0.1)
				}
			}
			e, err := NewPosLR(m, mlp.CrossEntropy, lr.Config{Copies: 8, VR: lr.VR{PositionWise: true}})
			require.NoError(t, err)
			x := randSlice(r, m.In(), 1)
			e.cleanPass(x, 1)
			w := e.ws[0]
			L := len(m.Layers)
			_, outL := m.Layers[L-1].Dims()
			checked := 0
			for l := range L - 1 {
				g := e.grid[l]
				_, out := m.Layers[l].Dims()
				for _, p := range []int{0, g.H*g.W - 1, r.IntN(g.H * g.W)} {
					py, px := p/g.W, p%g.W
					// Copy 0 changes position p of layer l's output.
					mod := w.mod[l][:out]
					copy(mod, e.a[l][:out])
					for c := range g.C {
						mod[p*g.C+c] += float32(r.NormFloat64())
					}
					w.rect[l][0] = rect{py, py + 1, px, px + 1}
					for j := l + 1; j < L; j++ {
						e.propagate(w, j, 0, 1)
					}
					// Full forward from the changed map.
					cur := append([]float32(nil), mod...)
					for j := l + 1; j < L; j++ {
						_, o := m.Layers[j].Dims()
						nxt := make([]float32, o)
						m.Layers[j].Forward(nxt, cur, 1)
						m.Acts[j].Apply(nxt, nxt)
						cur = nxt
					}
					got := w.mod[L-1][:outL]
					if w.rect[L-1][0].empty() {
						// No window downstream reads position p: the logits are the clean ones.
						got = e.a[L-1][:outL]
					}
					assert.InDeltaSlice(t, cur, got, 1e-4, "layer %d position %d", l, p)
					if !w.rect[L-1][0].empty() {
						moved := false
						for i, v := range got {
							moved = moved || math.Abs(float64(v-e.a[L-1][i])) > 1e-6
						}
						assert.True(t, moved, "layer %d position %d: the change must reach the logits", l, p)
					}
					checked++
				}
			}
			require.Positive(t, checked)
		})
	}
}

// TestPosLRUnbiased checks position-wise injection against the noise-free BP gradient at
// a small noise scale, where the smoothed network's gradient is BP's to O(σ²) (tanh units):
// the mean squared standardised difference over all parameters must be near 1, and far
// above 1 against a gradient off by 10 % (the control: the test can see a bias).
func TestPosLRUnbiased(t *testing.T) {
	for _, tc := range []struct {
		spec string
		in   Shape
		base lr.Baseline
	}{
		{"c3k3s2p1,mp2,d6", Shape{2, 7, 7}, lr.BaselineClean},
		{"c2k3,ap2,c3k2,d5", Shape{1, 8, 8}, lr.BaselineLOO},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			m, err := New(tc.spec, tc.in, 3, mlp.Tanh, 0.02, 3)
			require.NoError(t, err)
			m.Workers = 1
			r := rand.New(rand.NewPCG(9, 9))
			const rows = 3
			x := randSlice(r, rows*m.In(), 1)
			y := []uint8{0, 1, 2}
			e, err := NewPosLR(m, mlp.CrossEntropy, lr.Config{Copies: 24, Seed: 42, VR: lr.VR{PositionWise: true}, Baseline: tc.base})
			require.NoError(t, err)
			params := m.Params()
			var mo nncoretest.Moments
			for s := range 3000 {
				_, err := e.Grad(x, y, rows, uint64(s))
				require.NoError(t, err)
				mo.AddGrads(params)
			}
			bp, err := NewBP(m)
			require.NoError(t, err)
			_, err = bp.Grad(x, y, rows, 0)
			require.NoError(t, err)
			var ref nncoretest.Moments
			ref.AddGrads(params)
			mean, maxZ := nncoretest.ZStat(&mo, func(i int) (float64, float64) { return ref.Sum[i], 0 })
			t.Logf("position-wise LR vs BP over %d parameters: mean z² %.3f, max |z| %.2f", len(mo.Sum), mean, maxZ)
			assert.Less(t, mean, 1.5)
			assert.Greater(t, mean, 0.3)
			assert.Less(t, maxZ, 5.0)
			off, _ := nncoretest.ZStat(&mo, func(i int) (float64, float64) { return 0.9 * ref.Sum[i], 0 })
			t.Logf("control, against 0.9 × BP: mean z² %.3f", off)
			assert.Greater(t, off, 3.0, "the test must be able to see a bias")
		})
	}
}

// TestPosLRRefuses: the estimator refuses what it cannot do (its determinism is checked
// by TestEstimatorDeterministic).
func TestPosLRRefuses(t *testing.T) {
	m, err := New("c2k3,d4", Shape{1, 6, 6}, 3, mlp.ReLU, 0.2, 1)
	require.NoError(t, err)
	for _, cfg := range []lr.Config{
		{Copies: 2, VR: lr.VR{PositionWise: true, Antithetic: true}},
		{Copies: 2, VR: lr.VR{PositionWise: true}}, // 3 noisy layers
		{Copies: 3, VR: lr.VR{PositionWise: true}, Baseline: lr.BaselineLOO},
	} {
		_, err := NewPosLR(m, mlp.CrossEntropy, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	_, err = lr.NewEstimator(m.Stages(), mlp.CrossEntropy, lr.Config{Copies: 6, VR: lr.VR{PositionWise: true}})
	assert.Error(t, err, "the generic estimator has no position-wise injection")
}
