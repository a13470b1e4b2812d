package mlp

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/lr"
)

// synth returns n samples of a d-dimensional, c-class problem: class prototypes plus
// noise, clipped to [0,1], with about half the inputs exactly zero (like MNIST pixels).
func synth(n, d, c int, seed uint64) ([]float32, []uint8) {
	r := rand.New(rand.NewPCG(seed, 1))
	proto := make([]float32, c*d)
	for i := range proto {
		if r.Float64() < 0.5 {
			proto[i] = float32(r.Float64())
		}
	}
	x := make([]float32, n*d)
	y := make([]uint8, n)
	for s := range n {
		k := r.IntN(c)
		y[s] = uint8(k)
		for j := range d {
			v := proto[k*d+j] + float32(0.3*r.NormFloat64())
			if proto[k*d+j] == 0 && r.Float64() < 0.7 {
				v = 0
			}
			x[s*d+j] = min(max(v, 0), 1)
		}
	}
	return x, y
}

func flatGrad(ps []lr.Param) []float64 {
	var g []float64
	for _, p := range ps {
		for _, v := range p.Grad {
			g = append(g, float64(v))
		}
	}
	return g
}

func TestBPFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name  string
		act   Act
		sizes []int
		noise bool
	}{
		{"tanh", Tanh, []int{7, 6, 4}, false},
		{"sigmoid", Sigmoid, []int{7, 5, 5, 3}, false},
		{"relu", ReLU, []int{7, 40, 3}, false}, // wide hidden layer: input-major kernels
		{"tanh-wide", Tanh, []int{7, 40, 3}, false},
		{"tanh-noisy", Tanh, []int{7, 6, 4}, true}, // pathwise through fixed noise
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.sizes, tc.act, 0.3, 7)
			require.NoError(t, err)
			for _, d := range m.Layers {
				for i := range d.B {
					d.B[i] = 0.1 * float32(i%3)
				}
			}
			rows := 5
			x, y := synth(rows, tc.sizes[0], tc.sizes[len(tc.sizes)-1], 3)
			var eps [][]float32
			if tc.noise {
				r := rand.New(rand.NewPCG(5, 5))
				for _, d := range m.Layers {
					e := make([]float32, rows*d.Out)
					for i := range e {
						e[i] = float32(r.NormFloat64())
					}
					eps = append(eps, e)
				}
			}
			bp, err := NewBP(m, CrossEntropy)
			require.NoError(t, err)
			bp.Pathwise(x, y, rows, eps)
			g := flatGrad(m.Params())
			loss := func() float64 {
				b2, _ := NewBP(m, CrossEntropy)
				dx := make([]float32, rows*m.In())
				return b2.InputGrad(dx, x, y, rows, eps) / float64(rows)
			}
			k := 0
			for _, p := range m.Params() {
				for i := range p.Value {
					old := p.Value[i]
					h := float32(1e-3)
					l0 := loss()
					p.Value[i] = old + h
					lp := loss()
					p.Value[i] = old - h
					lm := loss()
					p.Value[i] = old
					fd := (lp - lm) / (2 * float64(h))
					k++
					if kink(lm, l0, lp, float64(h)) {
						continue
					}
					assert.InDelta(t, fd, g[k-1], 2e-3+2e-2*math.Abs(fd), "%s[%d]", p.Name, i)
				}
			}
			// Input gradient against finite differences.
			dx := make([]float32, rows*m.In())
			bp.InputGrad(dx, x, y, rows, eps)
			for i := range x {
				old := x[i]
				l0 := loss() * float64(rows)
				x[i] = old + 1e-3
				lp := loss() * float64(rows)
				x[i] = old - 1e-3
				lm := loss() * float64(rows)
				x[i] = old
				fd := (lp - lm) / 2e-3
				if kink(lm, l0, lp, 1e-3) {
					continue
				}
				assert.InDelta(t, fd, dx[i], 3e-3+4e-2*math.Abs(fd), "dx[%d]", i)
			}
		})
	}
}

// kink reports whether the one-sided slopes around a point differ: a ReLU switched
// within the step, where a central difference is not a derivative.
func kink(lm, l0, lp, h float64) bool {
	a, b := (l0-lm)/h, (lp-l0)/h
	return math.Abs(a-b) > 1e-3+0.05*(math.Abs(a)+math.Abs(b))
}

func TestBPRefusesNonDifferentiable(t *testing.T) {
	m, err := New([]int{4, 3, 2}, Step, 0.1, 1)
	require.NoError(t, err)
	_, err = NewBP(m, CrossEntropy)
	require.ErrorContains(t, err, "LR method")
	m, err = New([]int{4, 3, 2}, ReLU, 0.1, 1)
	require.NoError(t, err)
	_, err = NewBP(m, ZeroOne)
	require.Error(t, err)
}

// TestLRUnbiased checks that the mean of many LR estimates equals the mean of pathwise
// estimates (BP through the same noisy network with the same noise), coordinate by
// coordinate, within a bound set by the measured spread of their difference. A score of
// the wrong sign or scale must fail the same check.
func TestLRUnbiased(t *testing.T) {
	for _, tc := range []struct {
		name string
		vr   lr.VR
		act  Act
		law  lr.Law
	}{
		{"plain-tanh", lr.VR{}, Tanh, lr.Gaussian{}},
		{"antithetic-relu", lr.VR{Antithetic: true}, ReLU, lr.Gaussian{}},
		{"logistic-tanh", lr.VR{}, Tanh, lr.Logistic{}},
		{"laplace-sigmoid", lr.VR{Antithetic: true}, Sigmoid, lr.Laplace{}},
		{"qmc-tanh", lr.VR{QMC: true}, Tanh, lr.Gaussian{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const B, K, N = 3, 4, 600
			m, err := New([]int{6, 8, 3}, tc.act, 0.5, 11)
			require.NoError(t, err)
			x, y := synth(B, 6, 3, 2)
			// Pathwise input: each sample repeated K times (row n*K+k is copy k).
			xr := make([]float32, 0, B*K*6)
			yr := make([]uint8, 0, B*K)
			for n := range B {
				for range K {
					xr = append(xr, x[n*6:(n+1)*6]...)
					yr = append(yr, y[n])
				}
			}
			eps := [][]float32{make([]float32, B*K*8), make([]float32, B*K*3)}
			m.Law = tc.law
			est, err := lr.NewEstimator(m.Stages(), CrossEntropy, lr.Config{
				Copies: K, VR: tc.vr, Seed: 99, Workers: 1, Law: tc.law,
				Trace: func(stage, n int, e []float32) {
					w := len(e) / K
					copy(eps[stage][n*K*w:(n+1)*K*w], e)
				},
			})
			require.NoError(t, err)
			bp, err := NewBP(m, CrossEntropy)
			require.NoError(t, err)
			P := len(flatGrad(m.Params()))
			mLR, mPW := make([]float64, P), make([]float64, P)
			sLL, sPP, sLP := make([]float64, P), make([]float64, P), make([]float64, P)
			for s := range N {
				_, err := est.Grad(x, y, B, uint64(s))
				require.NoError(t, err)
				g1 := flatGrad(m.Params())
				bp.Pathwise(xr, yr, B*K, eps)
				g2 := flatGrad(m.Params())
				for i := range P {
					mLR[i] += g1[i] / N
					mPW[i] += g2[i] / N
					sLL[i] += g1[i] * g1[i] / N
					sPP[i] += g2[i] * g2[i] / N
					sLP[i] += g1[i] * g2[i] / N
				}
			}
			// Bound: 4.5 standard errors of the mean difference (~1e-5 per coordinate).
			check := func(scale float64) (fails int) {
				for i := range P {
					// The estimator scale·LR against pathwise: mean and variance of the
					// per-draw difference, from the measured (co)variances.
					md := scale*mLR[i] - mPW[i]
					vL := sLL[i] - mLR[i]*mLR[i]
					vP := sPP[i] - mPW[i]*mPW[i]
					cLP := sLP[i] - mLR[i]*mPW[i]
					v := scale*scale*vL + vP - 2*scale*cLP
					if math.Abs(md) > 4.5*math.Sqrt(v/N)+1e-7 {
						fails++
					}
				}
				return fails
			}
			assert.Zero(t, check(1), "LR and pathwise means disagree")
			assert.Greater(t, check(-1), P/8, "a sign-flipped score must fail the check")
			assert.Greater(t, check(2), P/8, "a doubled score must fail the check")
		})
	}
}

// TestDeterministicAcrossWorkers: LR and BP gradients are bit-identical at any number of
// workers.
func TestDeterministicAcrossWorkers(t *testing.T) {
	x, y := synth(37, 50, 10, 4)
	grads := func(workers int, vr lr.VR, bp bool) []float64 {
		m, err := New([]int{50, 64, 10}, ReLU, 0.1, 3)
		require.NoError(t, err)
		m.Workers = workers
		if bp {
			b, err := NewBP(m, CrossEntropy)
			require.NoError(t, err)
			_, err = b.Grad(x, y, 37, 0)
			require.NoError(t, err)
			return flatGrad(m.Params())
		}
		est, err := lr.NewEstimator(m.Stages(), CrossEntropy, lr.Config{Copies: 4, VR: vr, Seed: 5, Workers: workers})
		require.NoError(t, err)
		_, err = est.Grad(x, y, 37, 3)
		require.NoError(t, err)
		return flatGrad(m.Params())
	}
	for _, vr := range []lr.VR{{}, {Antithetic: true}, {LayerWise: true}, {QMC: true}} {
		ref := grads(1, vr, false)
		for _, w := range []int{2, 3, runtime.GOMAXPROCS(0)} {
			require.Equal(t, ref, grads(w, vr, false), "vr=%v workers=%d", vr, w)
		}
	}
	require.Equal(t, grads(1, lr.VR{}, true), grads(3, lr.VR{}, true))
}

// TestNoiseDrawShared: Logits with noise and InputGrad with noise use the same draw for a
// seed (what EOT attacks rely on), and different seeds give different draws.
func TestNoiseDrawShared(t *testing.T) {
	for _, law := range []lr.Law{lr.Gaussian{}, lr.Laplace{}} {
		m, err := New([]int{12, 40, 5}, Tanh, 0.3, 4)
		require.NoError(t, err)
		m.Law = law
		x, y := synth(9, 12, 5, 1)
		m.Prepare()
		z := make([]float32, 9*5)
		m.Logits(z, x, 9, true, 77)
		var want float64
		for r := range 9 {
			want += float64(CrossEntropy.Loss(z[r*5:(r+1)*5], int(y[r])))
		}
		bp, err := NewBP(m, CrossEntropy)
		require.NoError(t, err)
		dx := make([]float32, 9*12)
		got := bp.InputGrad(dx, x, y, 9, m.noise(9, 77))
		assert.InDelta(t, want, got, 1e-4, law.Name())
		z2 := make([]float32, 9*5)
		m.Logits(z2, x, 9, true, 78)
		assert.NotEqual(t, z, z2)
	}
}

// TestNoisyBP: the noisy-BP learner is the pathwise gradient through the draw of its step.
func TestNoisyBP(t *testing.T) {
	m, err := New([]int{6, 8, 3}, Tanh, 0.4, 2)
	require.NoError(t, err)
	x, y := synth(5, 6, 3, 9)
	nb, err := NewNoisyBP(m, CrossEntropy, 7)
	require.NoError(t, err)
	_, err = nb.Grad(x, y, 5, 3)
	require.NoError(t, err)
	got := flatGrad(m.Params())
	bp, _ := NewBP(m, CrossEntropy)
	bp.Pathwise(x, y, 5, m.noise(5, lr.Hash(7, 3)))
	assert.Equal(t, flatGrad(m.Params()), got)
	_, err = nb.Grad(x, y, 5, 4)
	require.NoError(t, err)
	assert.NotEqual(t, got, flatGrad(m.Params()), "another step, another draw")
}
