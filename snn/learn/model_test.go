package learn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/lr"
)

func randomInputs(n, dim int, seed uint64) ([]float32, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*dim)
	for i := range x {
		if rng.Float64() < 0.5 {
			x[i] = rng.Float32()
		}
	}
	y := make([]uint8, n)
	for i := range y {
		y[i] = uint8(rng.IntN(3))
	}
	return x, y
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		msg  string
	}{
		{"sizes", func(c *Config) { c.Sizes = []int{4} }, "sizes"},
		{"width", func(c *Config) { c.Sizes = []int{4, 0, 3} }, "layer size"},
		{"classes", func(c *Config) { c.Sizes = []int{4, 1} }, "2 classes"},
		{"steps", func(c *Config) { c.Steps = 0 }, "steps"},
		{"dt", func(c *Config) { c.DT = math.NaN() }, "dt"},
		{"beta", func(c *Config) { c.Beta = -1 }, "beta"},
		{"readout", func(c *Config) { c.Readout = "max" }, "readout"},
		{"input", func(c *Config) { c.Input = "latency" }, "input"},
		{"rate", func(c *Config) { c.Rate = 2 }, "rate"},
		{"gain", func(c *Config) { c.Input, c.Gain = InputDirect, 0 }, "gain"},
		{"weights", func(c *Config) { c.Sizes = []int{60000, 60000, 2} }, "weights"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig([]int{4, 5, 3}, 5)
			tc.edit(&c)
			require.ErrorContains(t, c.Validate(), tc.msg)
		})
	}
	c := DefaultConfig([]int{4, 5, 3}, 5)
	require.NoError(t, c.Validate())
}

func TestNewLRErrors(t *testing.T) {
	m, err := New(DefaultConfig([]int{4, 5, 3}, 5), 1)
	require.NoError(t, err)
	for _, tc := range []struct {
		cfg LRConfig
		msg string
	}{
		{LRConfig{Copies: 4, VR: lr.VR{QMC: true}}, "qmc"},
		{LRConfig{Copies: 0}, "copies"},
		{LRConfig{Copies: 3, VR: lr.VR{Antithetic: true}}, "even"},
		{LRConfig{Copies: 1, Baseline: lr.BaselineLOO}, "leave-one-out"},
		{LRConfig{Copies: 2, VR: lr.VR{Antithetic: true}, Baseline: lr.BaselineLOO}, "leave-one-out"},
	} {
		_, err := NewLR(m, tc.cfg)
		require.ErrorContains(t, err, tc.msg)
	}
	e, err := NewLR(m, LRConfig{Copies: 1})
	require.NoError(t, err)
	assert.Equal(t, lr.BaselineClean, e.Baseline())
	cfg := DefaultConfig([]int{4, 5, 3}, 5)
	cfg.Sigma = 0
	m2, err := New(cfg, 1)
	require.NoError(t, err)
	_, err = NewLR(m2, LRConfig{Copies: 4})
	require.ErrorContains(t, err, "layer 2 has no readout noise")
}

// TestGradDeterministicAcrossWorkers: the LR and BPTT gradients are bit-identical at any
// number of workers, and a different step draws different noise.
func TestGradDeterministicAcrossWorkers(t *testing.T) {
	x, y := randomInputs(9, 12, 3)
	for _, vr := range []lr.VR{{}, {Antithetic: true}, {LayerWise: true}} {
		var ref [][]float32
		for _, workers := range []int{1, 2, 5} {
			cfg := DefaultConfig([]int{12, 7, 6, 3}, 8)
			cfg.InitGain = 4
			m, err := New(cfg, 1)
			require.NoError(t, err)
			e, err := NewLR(m, LRConfig{Copies: 4, VR: vr, Seed: 2, Workers: workers})
			require.NoError(t, err)
			st, err := e.Grad(x, y, 9, 5)
			require.NoError(t, err)
			require.Positive(t, st.Loss)
			var g [][]float32
			for _, p := range m.Params() {
				g = append(g, append([]float32(nil), p.Grad...))
			}
			if ref == nil {
				ref = g
				for _, gl := range g {
					require.NotEqual(t, make([]float32, len(gl)), gl, "a zero gradient tests nothing")
				}
				_, err = e.Grad(x, y, 9, 6)
				require.NoError(t, err)
				assert.NotEqual(t, ref[0], m.Params()[0].Grad, "another step must draw other noise")
				continue
			}
			assert.Equal(t, ref, g, "vr %v, %d workers", vr, workers)
		}
	}
	var ref []float32
	for _, workers := range []int{1, 3} {
		m, err := New(DefaultConfig([]int{12, 7, 3}, 8), 1)
		require.NoError(t, err)
		_, err = NewBPTT(m, BPTTConfig{Seed: 2, Workers: workers}).Grad(x, y, 9, 5)
		require.NoError(t, err)
		if ref == nil {
			ref = append([]float32(nil), m.grads[0]...)
			continue
		}
		assert.Equal(t, ref, m.grads[0])
	}
}

// TestDenseForwardMatchesEngine: the dense simulation behind BPTT and InputGrad is the
// engine's network: the same logits with threshold firing, and with stochastic firing
// the same draws (to float rounding of the summed input).
func TestDenseForwardMatchesEngine(t *testing.T) {
	for _, readout := range []string{ReadoutLeaky, ReadoutCount} {
		cfg := DefaultConfig([]int{12, 9, 7, 3}, 10)
		cfg.Readout, cfg.InitGain = readout, 3
		m, err := New(cfg, 4)
		require.NoError(t, err)
		x, _ := randomInputs(6, 12, 5)
		for _, noise := range []bool{false, true} {
			z := make([]float32, 6*3)
			m.Logits(z, x, 6, noise, 7)
			w := m.newBPWorker()
			for r := range 6 {
				mode, encSeed, runSeed := fireThreshold, uint64(EncodeSeed), uint64(0)
				if noise {
					mode, encSeed, runSeed = fireStochastic, 7, lr.Hash(7, uint64(r), 0x72756e)
				}
				m.encode(w.fw, x[r*12:(r+1)*12], encSeed, uint64(r))
				zd := make([]float32, 3)
				m.denseForward(w, mode, runSeed, zd)
				for i := range zd {
					assert.InDelta(t, z[r*3+i], zd[i], 1e-3*(1+math.Abs(float64(zd[i]))), "%s noise=%v row %d", readout, noise, r)
				}
			}
		}
	}
}

// TestResponseRecordsEverySpike: the raster run delivers the input through the engine and
// classifies like Logits.
func TestResponseRecordsEverySpike(t *testing.T) {
	cfg := DefaultConfig([]int{12, 9, 3}, 10)
	cfg.InitGain = 3
	m, err := New(cfg, 4)
	require.NoError(t, err)
	x, _ := randomInputs(1, 12, 6)
	run, rec, z, err := m.Response(x, false, 0)
	require.NoError(t, err)
	zl := make([]float32, 3)
	m.Logits(zl, x, 1, false, 0)
	for i := range z {
		assert.InDelta(t, zl[i], z[i], 1e-4)
	}
	assert.Equal(t, int(run.SpikeCount), rec.Len())
	assert.Positive(t, run.PopSpikes(0), "input spikes are recorded")
	tr := run.Trace(rec, "test")
	require.NoError(t, tr.Validate())
	_, _, _, err = m.Response(x[:3], false, 0)
	require.Error(t, err)
}

// TestInputGradFinite: input gradients exist for both settings and point somewhere.
func TestInputGradFinite(t *testing.T) {
	cfg := DefaultConfig([]int{12, 9, 3}, 10)
	cfg.InitGain = 3
	m, err := New(cfg, 4)
	require.NoError(t, err)
	x, y := randomInputs(4, 12, 6)
	for _, noise := range []bool{false, true} {
		dx := make([]float32, len(x))
		require.NoError(t, m.InputGrad(dx, x, y, 4, noise, 3))
		require.True(t, finite(dx))
		var s float64
		for _, v := range dx {
			s += math.Abs(float64(v))
		}
		assert.Positive(t, s)
	}
	require.Error(t, m.InputGrad(make([]float32, 12), x[:12], []uint8{9}, 1, false, 0))
}
