package lr

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/snnsim/snnsim/optim"
)

// logDensity is log f of each standard law, up to a constant.
func logDensity(l Law, e float64) float64 {
	switch l.(type) {
	case Gaussian:
		return -e * e / 2
	case Logistic:
		return -e - 2*math.Log1p(math.Exp(-e))
	case Laplace:
		return -math.Abs(e)
	}
	panic("unknown law")
}

func TestLawScores(t *testing.T) {
	for _, l := range Laws() {
		t.Run(l.Name(), func(t *testing.T) {
			for _, e := range []float64{-2.3, -0.7, 0.4, 1.9} {
				h := 1e-5
				want := -(logDensity(l, e+h) - logDensity(l, e-h)) / (2 * h)
				assert.InDelta(t, want, float64(l.Score(float32(e))), 1e-4, "score at %g", e)
				assert.InDelta(t, -float64(l.Score(float32(e))), float64(l.Score(float32(-e))), 1e-6, "odd")
			}
			// Quantile inverts the CDF: its median is 0 and it is increasing.
			assert.InDelta(t, 0, l.Quantile(0.5), 1e-12)
			assert.Less(t, l.Quantile(0.2), l.Quantile(0.3))
			// Samples have mean 0 and E[Score(ε)·ε] = 1 (integration by parts).
			r := rand.New(rand.NewPCG(1, 2))
			var m, se float64
			const n = 200000
			for range n {
				e := l.Sample(r)
				m += e / n
				se += float64(l.Score(float32(e))) * e / n
			}
			assert.InDelta(t, 0, m, 0.02)
			assert.InDelta(t, 1, se, 0.02)
			got, err := LawByName(l.Name())
			require.NoError(t, err)
			assert.Equal(t, l, got)
		})
	}
	_, err := LawByName("cauchy")
	require.ErrorContains(t, err, "unknown noise law")
}

func TestNormalStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		fill func(s *NormalStream, v []float32)
	}{
		{"Fill", (*NormalStream).Fill},
		{"Fill32", (*NormalStream).Fill32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewNormalStream(StreamSeed(7, 1))
			const n = 400001 // odd: Fill32's last value
			v := make([]float32, n)
			tc.fill(&s, v)
			var m1, m2, m4 float64
			for _, x := range v {
				f := float64(x)
				m1 += f / n
				m2 += f * f / n
				m4 += f * f * f * f / n
			}
			assert.InDelta(t, 0, m1, 0.01)
			assert.InDelta(t, 1, m2, 0.01)
			assert.InDelta(t, 3, m4, 0.06)
			// Kolmogorov–Smirnov distance to the normal CDF.
			f := make([]float64, n)
			for i, x := range v {
				f[i] = float64(x)
			}
			sort.Float64s(f)
			d := 0.0
			for i, x := range f {
				c := distuv.UnitNormal.CDF(x)
				d = max(d, math.Abs(c-float64(i)/n), math.Abs(c-float64(i+1)/n))
			}
			assert.Less(t, d, 1.63/math.Sqrt(n), "KS distance (1%% level)")
			// Tails: P(|x| > 3) = 0.0027, P(|x| > 3.44) (the ziggurat's base strip) = 0.00058.
			var t3, t344 float64
			for _, x := range f {
				t3 += float64(b2f(math.Abs(x) > 3)) / n
				t344 += float64(b2f(math.Abs(x) > zigR)) / n
			}
			assert.InDelta(t, 0.0027, t3, 0.0004)
			assert.InDelta(t, 0.000576, t344, 0.00015)
			// Same seed, same stream.
			w := make([]float32, 100)
			s2 := NewNormalStream(StreamSeed(7, 1))
			tc.fill(&s2, w)
			assert.Equal(t, v[:100], w)
		})
	}
}

func TestQMCNoise(t *testing.T) {
	const points, width = 64, 1200 // wider than Halton's 1000 dimensions: two blocks
	dst := make([]float32, points*width)
	qmcNoise(dst, points, width, Gaussian{}, 3, 4, nil)
	for _, v := range dst {
		require.False(t, math.IsInf(float64(v), 0) || math.IsNaN(float64(v)))
	}
	// Scrambled, not the raw sequence: the first point is not at u = 0 (ε = -∞) and
	// differs between seeds.
	other := make([]float32, points*width)
	qmcNoise(other, points, width, Gaussian{}, 5, 6, nil)
	assert.NotEqual(t, dst[:width], other[:width])
	// Stratification: in dimension 0 (base 2), each pair of consecutive points has one
	// point in each half of the line.
	for i := 0; i < points; i += 2 {
		a, b := dst[i*width], dst[(i+1)*width]
		assert.True(t, (a < 0) != (b < 0), "points %d,%d: %g %g", i, i+1, a, b)
	}
	// Each column is a stratified sample of N(0,1): mean near 0, variance near 1.
	for _, j := range []int{0, 1, 7, 999, 1000, 1199} {
		var m, v float64
		for i := range points {
			x := float64(dst[i*width+j])
			m += x / points
			v += x * x / points
		}
		assert.InDelta(t, 0, m, 0.35, "column %d", j)
		assert.InDelta(t, 1, v, 0.6, "column %d", j)
	}
}

func TestParseVR(t *testing.T) {
	v, err := ParseVR("antithetic, layerwise,qmc")
	require.NoError(t, err)
	assert.Equal(t, VR{Antithetic: true, LayerWise: true, QMC: true}, v)
	assert.Equal(t, "antithetic,layerwise,qmc", v.String())
	v, err = ParseVR("none")
	require.NoError(t, err)
	assert.Equal(t, "none", v.String())
	_, err = ParseVR("control-variate")
	require.ErrorContains(t, err, "unknown variance reduction")
	b, err := ParseBaseline("loo")
	require.NoError(t, err)
	assert.Equal(t, BaselineLOO, b)
}

// linear is a toy Mean: z = W x (W out×in), for tests of the estimator alone.
type linear struct {
	in, out int
	w, g    []float32
}

func newLinear(in, out int, seed uint64) *linear {
	r := rand.New(rand.NewPCG(seed, 0))
	l := &linear{in: in, out: out, w: make([]float32, in*out), g: make([]float32, in*out)}
	for i := range l.w {
		l.w[i] = float32(r.NormFloat64() / math.Sqrt(float64(in)))
	}
	return l
}

func (l *linear) Dims() (int, int) { return l.in, l.out }
func (l *linear) Params() []Param {
	return []Param{{Name: "W", Shape: []int{l.out, l.in}, Value: l.w, Grad: l.g}}
}
func (l *linear) Forward(dst, x []float32, rows int) {
	for r := range rows {
		for i := range l.out {
			var s float32
			for j := range l.in {
				s += l.w[i*l.in+j] * x[r*l.in+j]
			}
			dst[r*l.out+i] = s
		}
	}
}
func (l *linear) AddGrad(x, delta []float32, rows int) {
	for r := range rows {
		for i := range l.out {
			for j := range l.in {
				l.g[i*l.in+j] += delta[r*l.out+i] * x[r*l.in+j]
			}
		}
	}
}

type tanhAct struct{}

func (tanhAct) Name() string { return "tanh" }
func (tanhAct) Apply(dst, z []float32) {
	for i, v := range z {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

// sqLoss is ½‖out − onehot(y)‖².
type sqLoss struct{}

func (sqLoss) Name() string { return "sq" }
func (sqLoss) Loss(out []float32, y int) float32 {
	var s float32
	for i, v := range out {
		d := v - b2f(i == y)
		s += d * d / 2
	}
	return s
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

func toyStages(sigma float32) []Stage {
	return []Stage{
		{Mean: newLinear(5, 6, 1), Act: tanhAct{}, Scale: sigma},
		{Mean: newLinear(6, 3, 2), Scale: sigma},
	}
}

func toyData(n int) ([]float32, []uint8) {
	r := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, n*5)
	y := make([]uint8, n)
	for i := range x {
		x[i] = float32(r.Float64())
	}
	for i := range y {
		y[i] = uint8(r.IntN(3))
	}
	return x, y
}

func TestEstimatorConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stages []Stage
		cfg    Config
		msg    string
	}{
		{"no noise", toyStages(0), Config{Copies: 4}, "no stage carries noise"},
		{"odd antithetic", toyStages(0.1), Config{Copies: 3, VR: VR{Antithetic: true}}, "even number"},
		{"too few layerwise", toyStages(0.1), Config{Copies: 1, VR: VR{LayerWise: true}}, "at least 2 copies"},
		{"loo with one copy", toyStages(0.1), Config{Copies: 1, Baseline: BaselineLOO}, "leave-one-out"},
		{"zero copies", toyStages(0.1), Config{}, "copies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewEstimator(tc.stages, sqLoss{}, tc.cfg)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	st := toyStages(0.1)
	st[1].Mean = newLinear(7, 3, 1)
	_, err := NewEstimator(st, sqLoss{}, Config{Copies: 2})
	require.ErrorContains(t, err, "takes 7 inputs")
}

// TestEstimatorLinearUnbiased: for the last stage alone (noise on the output of a linear
// map and a quadratic loss), the expected LR gradient is known in closed form:
// E[∇W] = Σ_n (Wx_n − t_n) x_nᵀ / B (Gaussian noise adds a constant to the loss).
func TestEstimatorLinearUnbiased(t *testing.T) {
	const B, N = 4, 3000
	lin := newLinear(5, 3, 9)
	st := []Stage{{Mean: lin, Scale: 0.2}}
	x, y := toyData(B)
	for _, vr := range []VR{{}, {Antithetic: true}, {QMC: true}} {
		t.Run(vr.String(), func(t *testing.T) {
			e, err := NewEstimator(st, sqLoss{}, Config{Copies: 8, VR: vr, Seed: 4})
			require.NoError(t, err)
			mean := make([]float64, len(lin.g))
			for s := range N {
				_, err := e.Grad(x, y, B, uint64(s))
				require.NoError(t, err)
				for i, g := range lin.g {
					mean[i] += float64(g) / N
				}
			}
			z := make([]float32, B*3)
			lin.Forward(z, x, B)
			for i := range 3 {
				for j := range 5 {
					var want float64
					for n := range B {
						want += float64(z[n*3+i]-b2f(int(y[n]) == i)) * float64(x[n*5+j]) / B
					}
					assert.InDelta(t, want, mean[i*5+j], 0.02, "W[%d,%d]", i, j)
				}
			}
		})
	}
}

func TestParallelForDeterministic(t *testing.T) {
	out := func(workers int) []int {
		o := make([]int, 1000)
		ParallelFor(workers, len(o), func(_, i int) { o[i] = i * i })
		return o
	}
	ref := out(1)
	for _, w := range []int{2, 3, 8} {
		assert.Equal(t, ref, out(w))
	}
}

// sgdLearner wraps an estimator for Train.
func trainToy(t *testing.T, epochs int, st TrainState, ckpt func(TrainState) error) ([]float32, TrainState, optim.Optimizer) {
	stages := toyStages(0.2)
	e, err := NewEstimator(stages, sqLoss{}, Config{Copies: 4, Seed: 1})
	require.NoError(t, err)
	x, y := toyData(50)
	opt := optim.NewAdam(0.01)
	st, err = Train(context.Background(), e, opt, Data{X: x, Y: y, N: 50, Dim: 5},
		TrainConfig{Epochs: epochs, Batch: 8, Seed: 2, Checkpoint: ckpt}, st)
	require.NoError(t, err)
	var w []float32
	for _, p := range e.Params() {
		w = append(w, p.Value...)
	}
	return w, st, opt
}

func TestTrainLoss(t *testing.T) {
	_, st, _ := trainToy(t, 30, TrainState{}, nil)
	require.Len(t, st.History, 30)
	assert.Less(t, st.History[29].Loss, st.History[0].Loss)
	assert.Equal(t, uint64(30*7), st.Step)
	assert.True(t, slices.IsSortedFunc(st.History, func(a, b EpochResult) int { return a.Epoch - b.Epoch }))
}

// TestAddScaled checks the kernel in use (AVX in GOEXPERIMENT=simd builds) against
// copy and gonum's Saxpy, bit for bit, tails included.
func TestAddScaled(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 17, 500} {
		z, e := make([]float32, n), make([]float32, n)
		for i := range n {
			z[i] = float32(i%13)*0.37 - 2
			e[i] = float32(i%7)*0.61 - 1.5
		}
		got, want := make([]float32, n), make([]float32, n)
		addScaled(got, z, e, 0.1)
		addScaledGeneric(want, z, e, 0.1)
		require.Equal(t, want, got, "n=%d", n)
	}
}

func TestSplitCopies(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want []int
	}{
		{16, 5, []int{4, 3, 3, 3, 3}},
		{160, 5, []int{32, 32, 32, 32, 32}},
		{3, 3, []int{1, 1, 1}},
	} {
		assert.Equal(t, tc.want, SplitCopies(tc.k, tc.n))
	}
}
