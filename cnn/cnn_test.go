package cnn

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
)

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

// naiveConv is the definition: out[oy,ox,f] = b[f] + Σ W[ky,kx,c,f]·x[c, oy·S−P+ky, ox·S−P+kx].
func naiveConv(c *Conv2D, x []float32) []float32 {
	o := c.Out()
	out := make([]float32, o.Size())
	at := func(ch, y, xx int) float32 {
		if y < 0 || y >= c.In.H || xx < 0 || xx >= c.In.W {
			return 0
		}
		if c.CHW {
			return x[(ch*c.In.H+y)*c.In.W+xx]
		}
		return x[(y*c.In.W+xx)*c.In.C+ch]
	}
	for oy := range o.H {
		for ox := range o.W {
			for f := range c.F {
				s := float64(c.B[f])
				for ky := range c.K {
					for kx := range c.K {
						for ch := range c.In.C {
							w := c.W[((ky*c.K+kx)*c.In.C+ch)*c.F+f]
							s += float64(w) * float64(at(ch, oy*c.Stride-c.Pad+ky, ox*c.Stride-c.Pad+kx))
						}
					}
				}
				out[(oy*o.W+ox)*c.F+f] = float32(s)
			}
		}
	}
	return out
}

func TestConvMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		in                Shape
		f, k, stride, pad int
		chw               bool
	}{
		{Shape{1, 6, 6}, 2, 3, 1, 1, true},
		{Shape{3, 7, 5}, 4, 3, 2, 1, true},
		{Shape{3, 7, 5}, 4, 3, 2, 1, false},
		{Shape{2, 8, 8}, 17, 5, 1, 2, false},
		{Shape{5, 4, 4}, 3, 2, 2, 0, false},
		{Shape{1, 28, 28}, 8, 5, 1, 2, true},
	} {
		t.Run(fmt.Sprintf("%v_f%dk%ds%dp%d_chw%v", tc.in, tc.f, tc.k, tc.stride, tc.pad, tc.chw), func(t *testing.T) {
			c, err := NewConv2D(tc.in, tc.f, tc.k, tc.stride, tc.pad, tc.chw, 1, 7)
			require.NoError(t, err)
			for i := range c.B {
				c.B[i] = float32(i) * 0.1
			}
			const rows = 3
			x := randSlice(r, rows*tc.in.Size(), 1)
			_, out := c.Dims()
			got := make([]float32, rows*out)
			c.Forward(got, x, rows)
			for s := range rows {
				want := naiveConv(c, x[s*tc.in.Size():(s+1)*tc.in.Size()])
				require.InDeltaSlice(t, want, got[s*out:(s+1)*out], 1e-4)
			}
		})
	}
}

func TestPool(t *testing.T) {
	// One channel, 4×4 input, 2×2 windows.
	x := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		-1, -2, 0, 9,
		-3, -4, 1, 1,
	}
	for _, tc := range []struct {
		isMax bool
		want  []float32
	}{
		{true, []float32{6, 8, -1, 9}},
		{false, []float32{3.5, 5.5, -2.5, 2.75}},
	} {
		p, err := NewPool(Shape{1, 4, 4}, 2, 2, tc.isMax)
		require.NoError(t, err)
		got := make([]float32, 4)
		p.Forward(got, x, 1)
		assert.Equal(t, tc.want, got)
		dx := make([]float32, 16)
		p.Backward(dx, x, []float32{1, 1, 1, 1}, 1)
		var s float32
		for _, v := range dx {
			s += v
		}
		assert.InDelta(t, 4, s, 1e-6, "the gradient is conserved")
		if tc.isMax {
			assert.Equal(t, float32(1), dx[5])
			assert.Equal(t, float32(1), dx[11])
		}
	}
	_, err := NewPool(Shape{1, 3, 3}, 4, 4, true)
	require.Error(t, err)
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"c16k5,mp2,c32k5,mp2,d128", "c16k5s1p2,mp2s2,c32k5s1p2,mp2s2,d128", false},
		{"c8k3s2p0, ap3s1", "c8k3s2p0,ap3s1", false},
		{"c8", "", true},
		{"x3", "", true},
		{"d0", "", true},
		{"mp2k3", "", true},
		{"c8k3q1", "", true},
		{"c9999999k3", "", true},
	} {
		specs, err := ParseSpec(tc.in)
		if tc.err {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		var s []string
		for _, ls := range specs {
			s = append(s, ls.String())
		}
		assert.Equal(t, tc.want, fmt.Sprint(joinComma(s)))
	}
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

// meanLoss is the mean cross-entropy of the network with noise eps (nil: none).
func meanLoss(m *CNN, x []float32, y []uint8, rows int, eps [][]float32) float64 {
	bp, _ := NewBP(m)
	return bp.run(x, y, rows, eps, false, nil, 1) / float64(rows)
}

// TestBPFiniteDifferences checks every parameter gradient and the input gradient of BP
// against central differences, for each kind of layer, noise-free and through a fixed
// noise draw.
func TestBPFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		spec  string
		in    Shape
		noise bool
	}{
		{"c3k3,mp2,d5", Shape{2, 6, 6}, false},
		{"c4k3s2p1,ap2", Shape{3, 7, 7}, true},
		{"c2k2p0,c3k3s2,d4", Shape{1, 8, 8}, false},
		{"d6", Shape{1, 3, 4}, true},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			m, err := New(tc.spec, tc.in, 3, mlp.Tanh, 0.3, 11)
			require.NoError(t, err)
			m.Workers = 1
			r := rand.New(rand.NewPCG(2, 3))
			for _, p := range m.Params() {
				for i := range p.Value {
					p.Value[i] += float32(r.NormFloat64() * 0.1)
				}
			}
			const rows = 3
			x := randSlice(r, rows*m.In(), 1)
			y := []uint8{0, 2, 1}
			var eps [][]float32
			if tc.noise {
				eps = m.Noise(rows, 5)
			}
			bp, err := NewBP(m)
			require.NoError(t, err)
			bp.Pathwise(x, y, rows, eps)
			const h = 2e-3
			check := func(name string, v []float32, g []float32, i int) {
				old := v[i]
				v[i] = old + h
				lp := meanLoss(m, x, y, rows, eps)
				v[i] = old - h
				lm := meanLoss(m, x, y, rows, eps)
				v[i] = old
				fd := (lp - lm) / (2 * h)
				assert.InDelta(t, fd, float64(g[i]), 2e-3+0.03*math.Abs(fd), "%s[%d]", name, i)
			}
			for _, p := range m.Params() {
				g := append([]float32(nil), p.Grad...)
				for i := 0; i < len(p.Value); i += 1 + len(p.Value)/25 {
					check(p.Name, p.Value, g, i)
				}
			}
			dx := make([]float32, len(x))
			bp.InputGrad(dx, x, y, rows, eps)
			for i := range dx {
				dx[i] /= rows // InputGrad is per row; meanLoss divides by rows
			}
			for i := 0; i < len(x); i += 1 + len(x)/25 {
				check("x", x, dx, i)
			}
		})
	}
}

// TestLRUnbiased checks that the LR estimate of the gradient of the expected loss of the
// noisy network equals the pathwise (reparameterised BP) gradient within a bound derived
// from both estimators' measured variances: the mean squared standardised difference over
// all parameters must be near 1 (it is far above 1 for a biased estimator: see the
// "clean BP" control, which compares with the noise-free gradient).
func TestLRUnbiased(t *testing.T) {
	m, err := New("c3k3,mp2,d6", Shape{1, 6, 6}, 3, mlp.ReLU, 0.5, 3)
	require.NoError(t, err)
	m.Workers = 1
	r := rand.New(rand.NewPCG(9, 9))
	const rows = 4
	x := randSlice(r, rows*m.In(), 1)
	y := []uint8{0, 1, 2, 1}
	m.Prepare()
	params := m.Params()
	const nLR, nPW = 2000, 4000
	var lrM, pwM nncoretest.Moments
	est, err := lr.NewEstimator(m.Stages(), mlp.CrossEntropy, lr.Config{Copies: 8, Seed: 42, Workers: 1})
	require.NoError(t, err)
	for s := range nLR {
		_, err := est.Grad(x, y, rows, uint64(s))
		require.NoError(t, err)
		lrM.AddGrads(params)
	}
	bp, err := NewBP(m)
	require.NoError(t, err)
	for s := range nPW {
		bp.Pathwise(x, y, rows, m.Noise(rows, uint64(1000+s)))
		pwM.AddGrads(params)
	}
	bp.Grad(x, y, rows, 0)
	var clean nncoretest.Moments
	clean.AddGrads(params)
	mean, maxZ := nncoretest.ZStat(&lrM, pwM.Ref)
	t.Logf("LR vs pathwise over %d parameters: mean z² %.3f, max |z| %.2f", len(lrM.Sum), mean, maxZ)
	assert.Less(t, mean, 1.5)
	assert.Greater(t, mean, 0.3)
	assert.Less(t, maxZ, 5.0)
	meanClean, _ := nncoretest.ZStat(&lrM, func(i int) (float64, float64) { return clean.Sum[i], 0 })
	t.Logf("control, LR vs the noise-free gradient: mean z² %.3f", meanClean)
	assert.Greater(t, meanClean, 3.0, "the test must be able to see a bias")
}

// TestEstimatorDeterministic checks that the LR gradient through convolutions is
// bit-identical with one and with two workers, for lr.Estimator and for PosLR.
func TestEstimatorDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec string
		in   Shape
		vr   lr.VR
		K    int
	}{
		{"antithetic", "c4k3,mp2,c4k3,d8", Shape{1, 8, 8}, lr.VR{Antithetic: true}, 6},
		{"positionwise", "c4k3s2p1,mp2,c4k3,d8", Shape{1, 12, 12}, lr.VR{PositionWise: true}, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grad := func(workers int) [][]float32 {
				m, err := New(tc.spec, tc.in, 3, mlp.ReLU, 0.2, 1)
				require.NoError(t, err)
				m.Workers = workers
				m.Prepare()
				r := rand.New(rand.NewPCG(1, 2))
				const rows = 13
				x := randSlice(r, rows*m.In(), 1)
				y := make([]uint8, rows)
				for i := range y {
					y[i] = uint8(i % 3)
				}
				cfg := lr.Config{Copies: tc.K, Seed: 3, Workers: workers, VR: tc.vr}
				est, err := NewEstimator(m, mlp.CrossEntropy, cfg)
				require.NoError(t, err)
				st, err := est.Grad(x, y, rows, 7)
				require.NoError(t, err)
				require.Equal(t, tc.K*rows, st.Forwards)
				var out [][]float32
				for _, p := range m.Params() {
					out = append(out, append([]float32(nil), p.Grad...))
				}
				return out
			}
			assert.Equal(t, grad(1), grad(2))
		})
	}
}

// TestTrainSynthetic trains a small CNN by LR and by BP on a synthetic task (which of four
// quadrants holds a bright blob) and checks that both learn it.
func TestTrainSynthetic(t *testing.T) {
	const n, side = 400, 8
	r := rand.New(rand.NewPCG(4, 4))
	x := make([]float32, n*side*side)
	y := make([]uint8, n)
	for i := range n {
		q := r.IntN(4)
		y[i] = uint8(q)
		cy, cx := (q/2)*4+1+r.IntN(2), (q%2)*4+1+r.IntN(2)
		img := x[i*side*side : (i+1)*side*side]
		for j := range img {
			img[j] = float32(r.Float64() * 0.3)
		}
		img[cy*side+cx] += 1
		img[(cy+1)*side+cx] += 1
	}
	for _, method := range []string{"bp", "lr"} {
		t.Run(method, func(t *testing.T) {
			m, err := New("c4k3,mp2,d16", Shape{1, side, side}, 4, mlp.ReLU, 0.1, 5)
			require.NoError(t, err)
			m.Prepare()
			var l lr.Learner
			if method == "bp" {
				l, err = NewBP(m)
			} else {
				l, err = lr.NewEstimator(m.Stages(), mlp.CrossEntropy, lr.Config{Copies: 16, Seed: 1, VR: lr.VR{Antithetic: true}})
			}
			require.NoError(t, err)
			epochs := 8
			if method == "lr" {
				epochs = 15
			}
			_, err = lr.Train(t.Context(), l, optimAdam(0.01), lr.Data{X: x, Y: y, N: n, Dim: side * side},
				lr.TrainConfig{Epochs: epochs, Batch: 20, Seed: 1, Prepare: m.Prepare}, lr.TrainState{})
			require.NoError(t, err)
			acc := m.Accuracy(x, y, n, false, 0)
			t.Logf("%s: training accuracy %.3f", method, acc)
			assert.Greater(t, acc, 0.9)
		})
	}
}
