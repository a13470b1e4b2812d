package learn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/integrate/quad"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/neuron"
)

// tinyModel is a 2-layer stochastic SNN small enough to enumerate: in inputs, 2 hidden
// neurons, 2 classes, T steps, weights set so that firing is uncertain.
func tinyModel(t *testing.T, in, steps int, readout, input string, seed uint64) *Model {
	cfg := DefaultConfig([]int{in, 2, 2}, steps)
	cfg.Beta, cfg.BetaOut, cfg.Sigma = 0.5, 0.4, 0.7
	cfg.Readout, cfg.Input, cfg.Gain = readout, input, 0.6
	cfg.TauM, cfg.TauS = 20, 2 // distinct decays, so that a mixed-up trace would show
	m, err := New(cfg, seed)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(seed, 99))
	for l := range m.Cfg.Layers() {
		for k := range m.w[l] {
			m.w[l][k] = float32(0.9 + 0.9*rng.NormFloat64())
		}
	}
	return m
}

// exactLoss is the expected loss of the stochastic network on input x with label y,
// computed by enumerating every firing pattern of the stochastic layers (in float64 from
// the neuron equations, in the engine's step order) and, for the leaky readout, by
// Gauss–Hermite quadrature over its Gaussian noise. noisy(pop) selects the layers that
// fire stochastically (the others fire by threshold) and whether the readout adds noise.
func exactLoss(m *Model, x []float32, y int, noisy func(pop int) bool) float64 {
	cfg := m.Cfg
	L, T := cfg.Layers(), cfg.Steps
	var stoch []int // populations drawing spikes, in step order
	for pop := 1; pop <= L; pop++ {
		if m.stochastic(pop) && noisy(pop) {
			stoch = append(stoch, pop)
		}
	}
	bitsPerStep := 0
	for _, pop := range stoch {
		bitsPerStep += cfg.Sizes[pop]
	}
	D := bitsPerStep * T
	if D > 22 {
		panic("exactLoss: too many firing patterns")
	}
	// Input drive per step (the engine's Drive, in float64).
	N1 := cfg.Sizes[1]
	drive := make([][]float64, T)
	for t := range T {
		drive[t] = make([]float64, N1)
		for j, xj := range x {
			var a float64
			if cfg.Input == InputDirect {
				a = cfg.Gain * float64(xj)
			} else if xj >= 1 { // Rate 1: intensity 1 spikes at every step, 0 never
				a = 1
			}
			for i := range N1 {
				drive[t][i] += a * float64(m.w[0][j*N1+i])
			}
		}
	}
	var nodes, weights []float64
	if cfg.Readout == ReadoutLeaky && noisy(L) {
		nodes, weights = make([]float64, 40), make([]float64, 40)
		quad.Hermite{}.FixedLocations(nodes, weights, math.Inf(-1), math.Inf(1))
	}
	var J float64
	for pat := 0; pat < 1<<D; pat++ {
		bit := 0
		logp := 0.0
		v := make([][]float64, L+1)
		ge := make([][]float64, L+1)
		for pop := 1; pop <= L; pop++ {
			v[pop] = make([]float64, cfg.Sizes[pop])
			ge[pop] = make([]float64, cfg.Sizes[pop])
		}
		sum := make([]float64, cfg.Sizes[L])
		for t := range T {
			spikes := make([][]float64, L+1)
			for pop := 1; pop <= L; pop++ {
				pr := m.Sim.Pops[pop].Prop
				n := cfg.Sizes[pop]
				spikes[pop] = make([]float64, n)
				isStoch := m.stochastic(pop) && noisy(pop)
				for i := range n {
					u := float64(pr.VInf) + float64(pr.AM)*(v[pop][i]-float64(pr.VInf)) + float64(pr.CE)*ge[pop][i]
					ge[pop][i] *= float64(pr.AE)
					var s float64
					switch {
					case float64(pr.VThresh) >= neverFire:
					case isStoch:
						p := neuron.Escape{Theta: float64(pr.VThresh), Beta: float64(pr.Beta)}.P(u)
						if pat>>bit&1 == 1 {
							s = 1
							logp += math.Log(p)
						} else {
							logp += math.Log1p(-p)
						}
						bit++
					case u > float64(pr.VThresh):
						s = 1
					}
					spikes[pop][i] = s
					v[pop][i] = u - float64(pr.ResetStep)*s
					if pop == L {
						if cfg.Readout == ReadoutLeaky {
							sum[i] += u
						} else {
							sum[i] += s
						}
					}
				}
			}
			for i := range N1 {
				ge[1][i] += drive[t][i]
			}
			for pop := 2; pop <= L; pop++ {
				n := cfg.Sizes[pop]
				for j, s := range spikes[pop-1] {
					for i := range n {
						ge[pop][i] += s * float64(m.w[pop-1][j*n+i])
					}
				}
			}
		}
		sc := cfg.Scale
		if cfg.Readout == ReadoutLeaky {
			sc /= float64(T)
		}
		// Two classes: CE = softplus(z_other − z_y).
		d := sc * (sum[1-y] - sum[y])
		var loss float64
		if nodes != nil {
			for k, xk := range nodes {
				loss += weights[k] * softplus(d+2*cfg.Sigma*xk)
			}
			loss /= math.Sqrt(math.Pi)
		} else {
			loss = softplus(d)
		}
		J += math.Exp(logp) * loss
	}
	return J
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// exactGrad is the gradient of exactLoss by central differences (exactLoss is smooth in
// the weights).
func exactGrad(m *Model, x []float32, y int, noisy func(pop int) bool) [][]float64 {
	g := make([][]float64, m.Cfg.Layers())
	for l := range g {
		g[l] = make([]float64, len(m.w[l]))
		for k := range m.w[l] {
			w0 := m.w[l][k]
			const h = 1.0 / 512 // exact in float32
			m.w[l][k] = w0 + h
			jp := exactLoss(m, x, y, noisy)
			m.w[l][k] = w0 - h
			jm := exactLoss(m, x, y, noisy)
			m.w[l][k] = w0
			g[l][k] = (jp - jm) / (2 * h)
		}
	}
	return g
}

// TestLRGradientMatchesEnumeration: on a 2-layer stochastic SNN small enough to enumerate
// every firing pattern, the mean of many LR estimates agrees with the exact gradient of
// the expected loss within 5 standard errors (estimated from the estimates themselves),
// and the bound is tight enough to mean something.
func TestLRGradientMatchesEnumeration(t *testing.T) {
	all := func(int) bool { return true }
	for _, tc := range []struct {
		name    string
		readout string
		input   string
		vr      lr.VR
		steps   int
		reps    int
	}{
		{"count/poisson", ReadoutCount, InputPoisson, lr.VR{}, 3, 20000},
		{"count/antithetic", ReadoutCount, InputPoisson, lr.VR{Antithetic: true}, 3, 20000},
		{"leaky/direct", ReadoutLeaky, InputDirect, lr.VR{}, 5, 20000},
		{"leaky/layerwise", ReadoutLeaky, InputDirect, lr.VR{LayerWise: true}, 5, 20000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tinyModel(t, 3, tc.steps, tc.readout, tc.input, 11)
			x := []float32{1, 0, 1}
			if tc.input == InputDirect {
				x = []float32{0.9, 0.2, 0.7}
			}
			y := []uint8{1}
			e, err := NewLR(m, LRConfig{Copies: 8, VR: tc.vr, Seed: 5, Workers: 1})
			require.NoError(t, err)
			L := m.Cfg.Layers()
			var want [][]float64
			if tc.vr.LayerWise {
				// Layer-wise injection estimates, for each layer, the gradient of the loss with
				// noise in that layer only.
				want = make([][]float64, L)
				for pop := 1; pop <= L; pop++ {
					g := exactGrad(m, x, 1, func(p int) bool { return p == pop })
					want[pop-1] = g[pop-1]
				}
			} else {
				want = exactGrad(m, x, 1, all)
			}
			sum := make([][]float64, L)
			sum2 := make([][]float64, L)
			for l := range L {
				sum[l] = make([]float64, len(m.w[l]))
				sum2[l] = make([]float64, len(m.w[l]))
			}
			for r := range tc.reps {
				_, err := e.Grad(x, y, 1, uint64(r))
				require.NoError(t, err)
				for l := range L {
					for k, g := range m.grads[l] {
						sum[l][k] += float64(g)
						sum2[l][k] += float64(g) * float64(g)
					}
				}
			}
			R := float64(tc.reps)
			var maxG, maxSE float64
			for l := range L {
				for k := range sum[l] {
					mean := sum[l][k] / R
					se := math.Sqrt(math.Max(sum2[l][k]/R-mean*mean, 0) / R)
					maxG = math.Max(maxG, math.Abs(want[l][k]))
					maxSE = math.Max(maxSE, se)
					require.InDelta(t, want[l][k], mean, 5*se+1e-6, "layer %d weight %d (se %.3g)", l+1, k, se)
				}
			}
			require.Positive(t, maxG)
			require.Less(t, maxSE, 0.05*maxG, "the bound is too loose to test anything")
			t.Logf("max |g| %.4g, max se %.3g", maxG, maxSE)
		})
	}
}

// TestBPTTMatchesSmoothedNetwork: BPTT of the smoothed network (spikes f(u − θ), f the
// smooth step whose derivative is the surrogate) equals its finite-difference gradient.
func TestBPTTMatchesSmoothedNetwork(t *testing.T) {
	for _, tc := range []struct{ readout, input string }{
		{ReadoutLeaky, InputPoisson}, {ReadoutCount, InputDirect},
	} {
		t.Run(tc.readout+"/"+tc.input, func(t *testing.T) {
			cfg := DefaultConfig([]int{6, 5, 4, 3}, 7)
			cfg.Readout, cfg.Input, cfg.Rate, cfg.Gain, cfg.Slope, cfg.Scale = tc.readout, tc.input, 1, 1, 1, 4
			m, err := New(cfg, 3)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(4, 4))
			for l := range m.Cfg.Layers() {
				for k := range m.w[l] {
					m.w[l][k] = float32(0.8 + 0.8*rng.NormFloat64())
				}
			}
			x := make([]float32, 2*6)
			for i := range x {
				x[i] = rng.Float32()
			}
			y := []uint8{2, 0}
			b := NewBPTT(m, BPTTConfig{Seed: 1, Smooth: true, Workers: 1})
			loss := func() float64 {
				st, err := b.Grad(x, y, 2, 0)
				require.NoError(t, err)
				return st.Loss
			}
			_ = loss()
			grads := make([][]float32, m.Cfg.Layers())
			for l := range grads {
				grads[l] = append([]float32(nil), m.grads[l]...)
			}
			for l := range grads {
				maxFD := 0.0
				for k := range m.w[l] {
					w0 := m.w[l][k]
					const h = 1.0 / 64
					m.w[l][k] = w0 + h
					lp := loss()
					m.w[l][k] = w0 - h
					lm := loss()
					m.w[l][k] = w0
					fd := (lp - lm) / (2 * h)
					maxFD = math.Max(maxFD, math.Abs(fd))
					require.InDelta(t, fd, float64(grads[l][k]), 2e-5+0.01*math.Abs(fd), "layer %d weight %d", l+1, k)
				}
				require.Greater(t, maxFD, 1e-3, "layer %d: gradients too small to check", l+1)
			}
		})
	}
}
