package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/internal/nncore/nncoretest"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/optim"
)

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

func tinyNet(t testing.TB, cell Cell, sigma float32) *RNN {
	m, err := New(cell, 5, 3, 6, 3, sigma, 7)
	require.NoError(t, err)
	m.Workers = 1
	r := rand.New(rand.NewPCG(5, 5))
	for _, p := range m.Params() {
		for i := range p.Value {
			p.Value[i] += float32(r.NormFloat64() * 0.2)
		}
	}
	return m
}

// TestBPTTFiniteDifferences checks BPTT's parameter and input gradients against central
// differences, for both cells, noise-free and through a fixed noise draw.
func TestBPTTFiniteDifferences(t *testing.T) {
	for _, cell := range []Cell{Elman, GRU} {
		for _, noisy := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/noise=%v", cell, noisy), func(t *testing.T) {
				m := tinyNet(t, cell, 0.3)
				r := rand.New(rand.NewPCG(1, 2))
				const rows = 3
				x := randSlice(r, rows*m.In(), 1)
				y := []uint8{0, 2, 1}
				var eps *Noise
				if noisy {
					eps = m.Noise(rows, 9)
				}
				b := NewBPTT(m)
				b.Pathwise(x, y, rows, eps)
				loss := func() float64 { return NewBPTT(m).run(x, y, rows, eps, false, nil, 1) / rows }
				const h = 2e-3
				check := func(name string, v, g []float32, i int) {
					old := v[i]
					v[i] = old + h
					lp := loss()
					v[i] = old - h
					lm := loss()
					v[i] = old
					fd := (lp - lm) / (2 * h)
					assert.InDelta(t, fd, float64(g[i]), 1e-3+0.02*math.Abs(fd), "%s[%d]", name, i)
				}
				for _, p := range m.Params() {
					g := append([]float32(nil), p.Grad...)
					for i := 0; i < len(p.Value); i += 1 + len(p.Value)/30 {
						check(p.Name, p.Value, g, i)
					}
				}
				dx := make([]float32, len(x))
				b.run(x, y, rows, eps, false, dx, 1)
				for i := range dx {
					dx[i] /= rows
				}
				for i := 0; i < len(x); i += 1 + len(x)/30 {
					check("x", x, dx, i)
				}
			})
		}
	}
}

// TestLRUnbiased checks, for both cells, that the LR estimate (fresh noise every step, no
// BPTT) agrees with the pathwise BPTT gradient of the noisy network within a bound made of
// both estimators' measured variances; the control against the noise-free gradient must
// see the smoothing bias.
func TestLRUnbiased(t *testing.T) {
	for _, cell := range []Cell{Elman, GRU} {
		t.Run(cell.String(), func(t *testing.T) {
			m := tinyNet(t, cell, 0.6)
			r := rand.New(rand.NewPCG(3, 4))
			const rows = 4
			x := randSlice(r, rows*m.In(), 1)
			y := []uint8{0, 1, 2, 1}
			params := m.Params()
			const nLR, nPW = 2000, 4000
			var a, b nncoretest.Moments
			est, err := NewLR(m, mlp.CrossEntropy, lr.Config{Copies: 8, Seed: 1, Workers: 1, VR: lr.VR{Antithetic: true}})
			require.NoError(t, err)
			for s := range nLR {
				_, err := est.Grad(x, y, rows, uint64(s))
				require.NoError(t, err)
				a.AddGrads(params)
			}
			bp := NewBPTT(m)
			for s := range nPW {
				bp.Pathwise(x, y, rows, m.Noise(rows, uint64(100000+s)))
				b.AddGrads(params)
			}
			_, err = bp.Grad(x, y, rows, 0)
			require.NoError(t, err)
			var clean nncoretest.Moments
			clean.AddGrads(params)
			mean, mx := nncoretest.ZStat(&a, b.Ref)
			t.Logf("LR vs pathwise BPTT over %d parameters: mean z² %.3f, max |z| %.2f", len(a.Sum), mean, mx)
			assert.Less(t, mean, 1.5)
			assert.Greater(t, mean, 0.3)
			assert.Less(t, mx, 5.0)
			ctl, _ := nncoretest.ZStat(&a, func(i int) (float64, float64) { return clean.Sum[i], 0 })
			t.Logf("control, LR vs the noise-free gradient: mean z² %.3f", ctl)
			assert.Greater(t, ctl, 3.0)
		})
	}
}

func TestLRDeterministic(t *testing.T) {
	for _, vr := range []lr.VR{{}, {LayerWise: true, Antithetic: true}} {
		testDeterministic(t, vr)
	}
}

func testDeterministic(t *testing.T, vr lr.VR) {
	grad := func(workers int) [][]float32 {
		m := tinyNet(t, GRU, 0.2)
		m.Workers = workers
		r := rand.New(rand.NewPCG(8, 8))
		const rows = 11
		x := randSlice(r, rows*m.In(), 1)
		y := make([]uint8, rows)
		est, err := NewLR(m, mlp.CrossEntropy, lr.Config{Copies: 4, Seed: 3, Workers: workers, VR: vr})
		require.NoError(t, err)
		_, err = est.Grad(x, y, rows, 5)
		require.NoError(t, err)
		var out [][]float32
		for _, p := range m.Params() {
			out = append(out, append([]float32(nil), p.Grad...))
		}
		return out
	}
	assert.Equal(t, grad(1), grad(2))
}

func TestNewLRErrors(t *testing.T) {
	m := tinyNet(t, Elman, 0.1)
	for _, cfg := range []lr.Config{
		{Copies: 0},
		{Copies: 3, VR: lr.VR{Antithetic: true}},
		{Copies: 4, VR: lr.VR{LayerWise: true}, Baseline: lr.BaselineLOO},
		{Copies: 4, VR: lr.VR{QMC: true}},
		{Copies: 1, Baseline: lr.BaselineLOO},
	} {
		_, err := NewLR(m, mlp.CrossEntropy, cfg)
		require.Error(t, err, "%+v", cfg)
	}
	m.Sigma = 0
	_, err := NewLR(m, mlp.CrossEntropy, lr.Config{Copies: 4})
	require.ErrorContains(t, err, "needs noise")
}

// TestTrainSynthetic: is the first or the last value of the sequence larger? Both
// methods must learn it.
func TestTrainSynthetic(t *testing.T) {
	const n, T = 400, 6
	r := rand.New(rand.NewPCG(4, 4))
	x := randSlice(r, n*T, 1)
	y := make([]uint8, n)
	for i := range n {
		if x[i*T] > x[i*T+T-1] {
			y[i] = 1
		}
	}
	for _, cell := range []Cell{Elman, GRU} {
		for _, method := range []string{"bptt", "lr"} {
			t.Run(cell.String()+"/"+method, func(t *testing.T) {
				m, err := New(cell, T, 1, 16, 2, 0.2, 3)
				require.NoError(t, err)
				var l lr.Learner = NewBPTT(m)
				epochs := 20
				if method == "lr" {
					l, err = NewLR(m, mlp.CrossEntropy, lr.Config{Copies: 16, Seed: 1, VR: lr.VR{Antithetic: true}})
					require.NoError(t, err)
					epochs = 40
				}
				_, err = lr.Train(t.Context(), l, optim.NewAdam(0.01), lr.Data{X: x, Y: y, N: n, Dim: T},
					lr.TrainConfig{Epochs: epochs, Batch: 20, Seed: 1}, lr.TrainState{})
				require.NoError(t, err)
				acc := m.Accuracy(x, y, n, false, 0)
				t.Logf("training accuracy %.3f", acc)
				assert.Greater(t, acc, 0.85)
			})
		}
	}
}

// TestLRLayerWise checks step-wise injection: with small noise its estimate must agree
// with the noise-free BPTT gradient within a bound from its measured variance (the bias of
// each stage's smoothing is O(σ²)), and the control with σ large must see the difference.
func TestLRLayerWise(t *testing.T) {
	for _, cell := range []Cell{Elman, GRU} {
		t.Run(cell.String(), func(t *testing.T) {
			m := tinyNet(t, cell, 0.02)
			r := rand.New(rand.NewPCG(3, 4))
			const rows = 4
			x := randSlice(r, rows*m.In(), 1)
			y := []uint8{0, 1, 2, 1}
			params := m.Params()
			bp := NewBPTT(m)
			_, err := bp.Grad(x, y, rows, 0)
			require.NoError(t, err)
			var ref []float64
			for _, p := range params {
				for _, g := range p.Grad {
					ref = append(ref, float64(g))
				}
			}
			z2 := func(sigma float32, anti bool) float64 {
				m.Sigma, m.SigmaOut = sigma, sigma
				est, err := NewLR(m, mlp.CrossEntropy, lr.Config{Copies: 12, Seed: 5, Workers: 1, VR: lr.VR{LayerWise: true, Antithetic: anti}})
				require.NoError(t, err)
				require.Equal(t, lr.BaselineClean, est.Baseline())
				const n = 1500
				s, q := make([]float64, len(ref)), make([]float64, len(ref))
				for st := range n {
					_, err := est.Grad(x, y, rows, uint64(st))
					require.NoError(t, err)
					i := 0
					for _, p := range params {
						for _, g := range p.Grad {
							s[i] += float64(g)
							q[i] += float64(g) * float64(g)
							i++
						}
					}
				}
				var sum float64
				for i := range ref {
					mu := s[i] / n
					v := (q[i]/n - mu*mu) / n
					d := mu - ref[i]
					sum += d * d / (v + 1e-12)
				}
				return sum / float64(len(ref))
			}
			for _, anti := range []bool{false, true} {
				small := z2(0.02, anti)
				t.Logf("antithetic=%v σ=0.02: mean z² %.3f against noise-free BPTT", anti, small)
				assert.Less(t, small, 1.6)
			}
			large := z2(1.5, false)
			t.Logf("control σ=1.5: mean z² %.3f", large)
			assert.Greater(t, large, 3.0)
		})
	}
}
