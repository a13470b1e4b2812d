package encode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ring is a 28×28 MNIST-like test image: a bright ring of radius 8 with soft edges
// (about a fifth of the pixels lit, like a digit).
func ring() []float32 {
	x := make([]float32, 28*28)
	for y := range 28 {
		for c := range 28 {
			r := math.Hypot(float64(c)-13.5, float64(y)-13.5)
			x[y*28+c] = float32(max(0, 1-math.Abs(r-8)/2.5))
		}
	}
	return x
}

// checkSpikes verifies the layout invariants of s for n inputs.
func checkSpikes(t *testing.T, s *Spikes, steps, n int) {
	t.Helper()
	require.Len(t, s.Ptr, steps+1)
	require.EqualValues(t, 0, s.Ptr[0])
	require.EqualValues(t, len(s.IDs), s.Ptr[steps])
	for k := range steps {
		ids := s.At(k)
		for j, id := range ids {
			require.True(t, id >= 0 && int(id) < n, "step %d: id %d out of [0,%d)", k, id, n)
			if j > 0 {
				require.Less(t, ids[j-1], id, "step %d: ids not strictly ascending", k)
			}
		}
	}
}

// binomialBound is the half-width of a z-sigma interval of a Binomial(n, p) count.
func binomialBound(n int, p, z float64) float64 {
	return z*math.Sqrt(float64(n)*p*(1-p)) + 1
}

func TestPoissonRates(t *testing.T) {
	const inputs, steps = 500, 400
	// z = 5.5 per check: with ~50 checks per case the chance of a false alarm under a correct
	// encoder is below 1e-6 (the seeds are fixed anyway, so the test is deterministic).
	const z = 5.5
	for _, tc := range []struct {
		name string
		enc  Poisson
		x    float32
		p    float64
	}{
		{"zero", Poisson{}, 0, 0},
		{"negative", Poisson{}, -0.5, 0},
		{"nan", Poisson{}, float32(math.NaN()), 0},
		{"sparse-geometric", Poisson{}, 0.01, 0.01},
		{"geometric", Poisson{}, 0.2, 0.2},
		{"bernoulli", Poisson{}, 0.6, 0.6},
		{"one", Poisson{}, 1, 1},
		{"clipped", Poisson{}, 3, 1},
		{"100Hz-1ms", Poisson{MaxRate: 100, DT: 1}, 0.5, 0.05},
		{"500Hz-0.5ms", Poisson{MaxRate: 500, DT: 0.5}, 0.8, 0.2},
		{"1kHz-1ms", Poisson{MaxRate: 1000, DT: 1}, 0.3, 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.InDelta(t, tc.p, tc.enc.Prob(tc.x), 1e-7)
			x := make([]float32, inputs)
			for i := range x {
				x[i] = tc.x
			}
			var s Spikes
			tc.enc.Encode(&s, x, steps, rand.New(rand.NewPCG(7, 11)))
			checkSpikes(t, &s, steps, inputs)
			// Total count.
			n := inputs * steps
			assert.InDelta(t, float64(n)*tc.p, float64(s.Len()), binomialBound(n, tc.p, z), "total spikes")
			// Per step (the process is stationary).
			for k := 0; k < steps; k += steps / 20 {
				assert.InDelta(t, float64(inputs)*tc.p, float64(len(s.At(k))), binomialBound(inputs, tc.p, z), "step %d", k)
			}
			// Per input (every pixel has the same rate).
			cnt := make([]int32, inputs)
			s.Counts(cnt)
			for i := 0; i < inputs; i += inputs / 20 {
				assert.InDelta(t, float64(steps)*tc.p, float64(cnt[i]), binomialBound(steps, tc.p, z), "input %d", i)
			}
		})
	}
}

// TestPoissonIndependence checks the variance of per-input counts (binomial: steps·p·(1−p))
// and the chance of a spike right after a spike (p), which a correlated or bursty train would
// miss.
func TestPoissonIndependence(t *testing.T) {
	const inputs, steps = 2000, 200
	for _, p := range []float32{0.05, 0.5} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			x := make([]float32, inputs)
			for i := range x {
				x[i] = p
			}
			var s Spikes
			Poisson{}.Encode(&s, x, steps, rand.New(rand.NewPCG(3, 5)))
			cnt := make([]int32, inputs)
			s.Counts(cnt)
			var m, v float64
			for _, c := range cnt {
				m += float64(c)
			}
			m /= inputs
			for _, c := range cnt {
				v += (float64(c) - m) * (float64(c) - m)
			}
			v /= inputs - 1
			want := steps * float64(p) * (1 - float64(p))
			// The sample variance of 2000 counts is within ~15% of the truth at >5 sigma.
			assert.InEpsilon(t, want, v, 0.15, "variance of counts")

			// Given a spike at step k, the same input spikes at k+1 with probability p: the
			// steps are independent (no refractoriness, no bursts).
			prev := make([]bool, inputs)
			var trials, hits int
			for k := range steps {
				cur := make([]bool, inputs)
				for _, id := range s.At(k) {
					cur[id] = true
					if prev[id] {
						hits++
					}
				}
				if k < steps-1 {
					trials += len(s.At(k))
				}
				prev = cur
			}
			assert.InDelta(t, float64(trials)*float64(p), float64(hits), binomialBound(trials, float64(p), 5.5), "repeats at the next step")
		})
	}
}

func TestPoissonSeeded(t *testing.T) {
	x := ring()
	var a, b, c Spikes
	Poisson{}.Encode(&a, x, 50, rand.New(rand.NewPCG(1, 2)))
	Poisson{}.Encode(&b, x, 50, rand.New(rand.NewPCG(1, 2)))
	Poisson{}.Encode(&c, x, 50, rand.New(rand.NewPCG(1, 3)))
	assert.Equal(t, a.Ptr, b.Ptr)
	assert.Equal(t, a.IDs, b.IDs)
	assert.NotEqual(t, a.IDs, c.IDs)
	checkSpikes(t, &a, 50, len(x))
	// Dark pixels never spike.
	for _, id := range a.IDs {
		require.Positive(t, x[id])
	}
}

func TestLatency(t *testing.T) {
	for _, tc := range []struct {
		thr   float32
		x     float32
		steps int
		want  int
	}{
		{0, 1, 10, 0},
		{0, 2, 10, 0},
		{0, 0, 10, -1},
		{0, -1, 10, -1},
		{0, float32(math.NaN()), 10, -1},
		{0, 0.5, 11, 5},
		{0, 0.01, 101, 99},
		{0.2, 0.2, 10, -1},
		{0.2, 0.6, 11, 5},
		{0.5, 1, 7, 0},
		{0, 1, 1, 0},
		{0, 0.3, 0, -1},
	} {
		assert.Equal(t, tc.want, Latency{Threshold: tc.thr}.Step(tc.x, tc.steps), "thr %v x %v steps %d", tc.thr, tc.x, tc.steps)
	}
	x := ring()
	var s Spikes
	Latency{}.Encode(&s, x, 30, nil)
	checkSpikes(t, &s, 30, len(x))
	cnt := make([]int32, len(x))
	s.Counts(cnt)
	for i, v := range x {
		if v > 0 {
			assert.EqualValues(t, 1, cnt[i], "pixel %d", i)
		} else {
			assert.EqualValues(t, 0, cnt[i], "pixel %d", i)
		}
	}
	// Brighter spikes no later.
	first := make([]int, len(x))
	for k := range 30 {
		for _, id := range s.At(k) {
			first[id] = k
		}
	}
	for i := range x {
		for j := range x {
			if x[i] > 0 && x[j] > x[i] {
				require.LessOrEqual(t, first[j], first[i])
			}
		}
	}
	assert.Panics(t, func() { Latency{Threshold: 1}.Step(0.5, 3) })
}

func TestDirect(t *testing.T) {
	x := []float32{0, 0.5, 1}
	dst := make([]float32, 3)
	Direct{}.Current(dst, x)
	assert.Equal(t, []float32{0, 0.5, 1}, dst)
	Direct{Gain: 2, Bias: -0.5}.Current(dst, x)
	assert.Equal(t, []float32{-0.5, 0.5, 1.5}, dst)
	assert.Panics(t, func() { Direct{}.Current(dst[:2], x) })
}

func TestNew(t *testing.T) {
	for _, n := range []string{"poisson", "latency", "synthetic-nmnist"} {
		e, err := New(n)
		require.NoError(t, err)
		assert.Equal(t, n, e.Name())
	}
	_, err := New("direct")
	assert.ErrorContains(t, err, "encode.Direct")
	_, err = New("nmnist")
	assert.ErrorContains(t, err, "unknown encoder")
	assert.Equal(t, "direct", Direct{}.Name())
}

func TestSpikesFlat(t *testing.T) {
	var s Spikes
	Latency{}.Encode(&s, []float32{1, 0, 0.5, 0.5}, 3, nil)
	ticks, ids := s.AppendFlat(nil, nil)
	assert.Equal(t, []int64{0, 1, 1}, ticks)
	assert.Equal(t, []int32{0, 2, 3}, ids)
	s.Reset(2)
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, 2, s.Steps())
}

func TestSaccadePath(t *testing.T) {
	e := SyntheticNMNIST{}
	for _, steps := range []int{3, 7, 30, 300} {
		// Ends where it started (the adapted corner), corners at the ends of saccades.
		dx, dy := e.Offset(steps-1, steps)
		assert.InDelta(t, -2.5, dx, 1e-12)
		assert.InDelta(t, 2.5, dy, 1e-12)
		dx, dy = e.Offset(steps/3-1, steps)
		assert.InDelta(t, 2.5, dx, 1e-12)
		assert.InDelta(t, 2.5, dy, 1e-12)
		dx, dy = e.Offset(2*steps/3-1, steps)
		assert.InDelta(t, 0, dx, 1e-12)
		assert.InDelta(t, -2.5, dy, 1e-12)
		var per [3]int
		for k := range steps {
			per[Saccade(k, steps)]++
		}
		for _, n := range per {
			assert.InDelta(t, float64(steps)/3, float64(n), 1)
		}
	}
}

func TestSyntheticNMNIST(t *testing.T) {
	const steps = 300
	e := SyntheticNMNIST{}
	assert.Equal(t, 2312, e.Inputs(784))

	var s Spikes
	e.Encode(&s, make([]float32, 784), steps, nil)
	assert.Zero(t, s.Len(), "a blank image makes no events")

	x := ring()
	e.Encode(&s, x, steps, nil)
	checkSpikes(t, &s, steps, 2312)
	var on, off int
	onAt, offAt := make([]int, SensorPixels), make([]int, SensorPixels)
	var bySaccade [3]int
	for k := range steps {
		for _, id := range s.At(k) {
			bySaccade[Saccade(k, steps)]++
			if id < SensorPixels {
				on++
				onAt[id]++
			} else {
				off++
				offAt[id-SensorPixels]++
			}
		}
	}
	t.Logf("ring: %d ON, %d OFF events, per saccade %v", on, off, bySaccade)
	for k, n := range bySaccade {
		assert.Positive(t, n, "saccade %d has no events", k)
	}
	// The path is closed: every pixel ends where it started, so its ON and OFF events cancel
	// (up to the last step's pending change).
	unbalanced := 0
	for p := range SensorPixels {
		if d := onAt[p] - offAt[p]; d > 1 || d < -1 {
			unbalanced++
		}
	}
	assert.LessOrEqual(t, unbalanced, SensorPixels/100, "pixels whose ON and OFF counts differ by more than one")
	assert.InEpsilon(t, on, off, 0.1)
	// Pixels the moving ring never covers stay silent: the corners of the sensor.
	for _, p := range []int{0, SensorSide - 1, SensorPixels - SensorSide, SensorPixels - 1} {
		assert.Zero(t, onAt[p]+offAt[p], "corner pixel %d", p)
	}

	// Deterministic without noise.
	var s2 Spikes
	e.Encode(&s2, x, steps, nil)
	assert.Equal(t, s.IDs, s2.IDs)

	// A higher threshold gives fewer events.
	SyntheticNMNIST{Threshold: 0.5}.Encode(&s2, x, steps, nil)
	assert.Less(t, s2.Len(), s.Len())
}

func TestSyntheticNMNISTNoise(t *testing.T) {
	const steps, noise = 200, 0.002
	var s Spikes
	SyntheticNMNIST{Noise: noise}.Encode(&s, make([]float32, 784), steps, rand.New(rand.NewPCG(9, 9)))
	checkSpikes(t, &s, steps, 2312)
	n := steps * 2312
	assert.InDelta(t, float64(n)*noise, float64(s.Len()), binomialBound(n, noise, 5.5))

	// Noise on top of a signal keeps the layout valid; mismatch is seeded.
	var a, b Spikes
	e := SyntheticNMNIST{Noise: 0.01, Mismatch: 0.1}
	e.Encode(&a, ring(), steps, rand.New(rand.NewPCG(4, 4)))
	e.Encode(&b, ring(), steps, rand.New(rand.NewPCG(4, 4)))
	checkSpikes(t, &a, steps, 2312)
	assert.Equal(t, a.IDs, b.IDs)
	assert.Panics(t, func() { e.Encode(&a, ring(), steps, nil) })
	assert.Panics(t, func() { SyntheticNMNIST{}.Encode(&a, make([]float32, 10), steps, nil) })
	assert.Panics(t, func() { SyntheticNMNIST{}.Encode(&a, make([]float32, 35*35), steps, nil) })
}

func TestEncodeAllocationFree(t *testing.T) {
	x := ring()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, e := range []SpikeEncoder{Poisson{}, Poisson{MaxRate: 100, DT: 1}, Latency{}, SyntheticNMNIST{}, SyntheticNMNIST{Noise: 1e-3}} {
		var s Spikes
		for range 3 { // grow the buffers
			e.Encode(&s, x, 100, rng)
		}
		allocs := testing.AllocsPerRun(20, func() { e.Encode(&s, x, 100, rng) })
		assert.Zero(t, allocs, "%s %+v", e.Name(), e)
	}
}

func BenchmarkEncode(b *testing.B) {
	x := ring()
	for _, bc := range []struct {
		name string
		e    SpikeEncoder
	}{
		{"Poisson100Hz", Poisson{MaxRate: 100, DT: 1}},
		{"PoissonP=x", Poisson{}},
		{"Latency", Latency{}},
		{"SyntheticNMNIST", SyntheticNMNIST{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var s Spikes
			rng := rand.New(rand.NewPCG(1, 1))
			for b.Loop() {
				bc.e.Encode(&s, x, 100, rng)
			}
			b.ReportMetric(float64(s.Len()), "spikes/op")
		})
	}
}
