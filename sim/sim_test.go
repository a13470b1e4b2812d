package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
)

func cubaParams() snn.NeuronParams {
	return snn.NeuronParams{TauM: 20, TauE: 5, TauI: 10, VRest: -49, VThresh: -50, VReset: -60,
		Refractory: 5, Reset: snn.ResetValue}
}

// TestKernelsBitIdentical checks that the build's CuBa kernel (AVX2 under
// GOEXPERIMENT=simd) and the portable kernel give the same bits.
func TestKernelsBitIdentical(t *testing.T) {
	type kernel = func(*neuron.Propagator, []float32, []float32, []float32, []int32) []int32
	var scratch []uint8
	for _, tc := range []struct {
		model         snn.Model
		step, generic kernel
	}{
		{snn.ModelCuBaLIF, func(p *neuron.Propagator, v, ge, gi []float32, out []int32) []int32 {
			return stepCuBa(p, v, ge, gi, &scratch, out)
		}, stepCuBaGeneric},
		{snn.ModelCoBaLIF, func(p *neuron.Propagator, v, ge, gi []float32, out []int32) []int32 {
			return stepCoBa(p, v, ge, gi, &scratch, out)
		}, stepCoBaGeneric},
	} {
		step, generic := tc.step, tc.generic
		par := cubaParams()
		par.EE, par.EI = 0, -80
		p, err := neuron.NewPropagator(tc.model, par, 0.1)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, n := range []int{1, 7, 8, 13, 64, 72, 1003} {
			v := make([]float32, n)
			ge := make([]float32, n)
			gi := make([]float32, n)
			for i := range v {
				v[i] = -60 + 12*rng.Float32()
				ge[i] = 3 * rng.Float32()
				gi[i] = 3 * rng.Float32()
			}
			v2, ge2, gi2 := clone(v), clone(ge), clone(gi)
			o1, o2 := []int32{}, []int32{}
			for range 50 {
				o1 = step(&p, v, ge, gi, o1[:0])
				o2 = generic(&p, v2, ge2, gi2, o2[:0])
				require.Equal(t, o2, o1, "%s n=%d kernel %s", tc.model, n, SIMD)
				for i := range v {
					require.Equal(t, math.Float32bits(v2[i]), math.Float32bits(v[i]), "v[%d] n=%d", i, n)
				}
				require.Equal(t, ge2, ge)
				require.Equal(t, gi2, gi)
				// keep it firing
				for i := range ge {
					ge[i] += 0.5
					ge2[i] += 0.5
					if v[i] > -50 { // reset, so that the neurons keep crossing
						v[i], v2[i] = -60, -60
					}
				}
			}
		}
	}
}

func clone[T any](s []T) []T { return append([]T(nil), s...) }

// oneNeuron is a spike-array input driving one CuBa-LIF neuron through one synapse.
func oneNeuron(par snn.NeuronParams, w, delay float64, times ...float64) *snn.Network {
	ids := make([]int32, len(times))
	return &snn.Network{
		Name: "one", DT: 0.1,
		Populations: []snn.Population{
			{Name: "in", Size: 1, Model: snn.ModelSpikes, SpikeIDs: ids, SpikeTimes: times},
			{Name: "n", Size: 1, Model: snn.ModelCuBaLIF, Params: par, InitV: snn.Const(par.VRest)},
		},
		Projections: []snn.Projection{{Name: "p", From: "in", To: "n", Receptor: snn.Exc,
			Connect: snn.Connect{Kind: snn.ConnectAll}, Weight: snn.Const(w), Delay: snn.Const(delay)}},
	}
}

// TestPSPMatchesClosedForm: a single input spike produces the exact CuBa PSP, starting
// one step after the spike (plus the delay).
func TestPSPMatchesClosedForm(t *testing.T) {
	par := snn.NeuronParams{TauM: 20, TauE: 5, TauI: 10, VRest: -65, VThresh: -50, VReset: -65, Reset: snn.ResetValue}
	for _, delay := range []float64{0, 2} {
		net := oneNeuron(par, 4, delay, 1.0) // spike at tick 10
		m, err := Compile(net, 1)
		require.NoError(t, err)
		r := m.NewRun(1)
		st, err := r.RecordState("n", VarV, []int32{0}, 1)
		require.NoError(t, err)
		require.NoError(t, r.Run(context.Background(), 400))
		arrive := 10 + int(math.Round(delay/0.1)) // ge jumps at the end of this tick
		for k, tick := range st.Ticks {
			want := -65.0
			if int(tick) > arrive {
				want = neuron.ExactV(par, -65, 4, 0, float64(int(tick)-arrive)*0.1)
			}
			require.InDelta(t, want, float64(st.Values[k][0]), 2e-4, "tick %d delay %g", tick, delay)
		}
	}
}

// TestRefractoryPeriod: a neuron driven above threshold fires regularly; the interval is
// the refractory period plus the time to climb back from v_reset to v_thresh.
func TestRefractoryPeriod(t *testing.T) {
	par := cubaParams() // v_rest -49 > v_thresh -50: fires on its own
	net := &snn.Network{Name: "drift", DT: 0.1, Populations: []snn.Population{
		{Name: "n", Size: 3, Model: snn.ModelCuBaLIF, Params: par, InitV: snn.Const(-60)}}}
	m, err := Compile(net, 1)
	require.NoError(t, err)
	r := m.NewRun(1)
	rec, err := r.RecordSpikes()
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background(), 3000))
	// climb: -49 + (-60+49) e^{-t/20} > -50  =>  t > 20 ln 11
	climb := int(math.Floor(20*math.Log(11)/0.1)) + 1
	var ticks []int64
	for k, id := range rec.IDs {
		if id == 0 {
			ticks = append(ticks, rec.Ticks[k])
		}
	}
	require.GreaterOrEqual(t, len(ticks), 3)
	assert.EqualValues(t, climb-1, ticks[0]) // first spike from v=-60 at tick 0
	for k := 1; k < len(ticks); k++ {
		// Brian2's timing: refractory 5 ms = 50 steps, so 49 held steps after the spike.
		assert.EqualValues(t, 49+climb, ticks[k]-ticks[k-1])
	}
}

func randomNet(n int, beta float64) *snn.Network {
	par := cubaParams()
	par.Beta = beta
	return &snn.Network{Name: "rnd", DT: 0.1,
		Populations: []snn.Population{
			{Name: "in", Size: 50, Model: snn.ModelPoisson, Rate: 40},
			{Name: "e", Size: n, Model: snn.ModelCuBaLIF, Params: par, InitV: snn.Dist{Kind: snn.DistUniform, A: -60, B: -50}},
			{Name: "i", Size: n / 4, Model: snn.ModelCuBaLIF, Params: par, InitV: snn.Dist{Kind: snn.DistUniform, A: -60, B: -50}},
		},
		Projections: []snn.Projection{
			{Name: "ie", From: "in", To: "e", Receptor: snn.Exc, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.2}, Weight: snn.Dist{Kind: snn.DistNormal, A: 1, B: 0.3}, Delay: snn.Dist{Kind: snn.DistUniform, A: 0, B: 3}},
			{Name: "ee", From: "e", To: "e", Receptor: snn.Exc, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.05}, Weight: snn.Const(1.6), Delay: snn.Const(1)},
			{Name: "ei", From: "e", To: "i", Receptor: snn.Exc, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.05}, Weight: snn.Const(1.6)},
			{Name: "ii", From: "i", To: "e", Receptor: snn.Inh, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.1}, Weight: snn.Const(-9)},
		},
	}
}

// TestDeterminismAcrossGOMAXPROCS runs the same copies at GOMAXPROCS 1, 2 and 8: spikes
// must be bit-identical.
func TestDeterminismAcrossGOMAXPROCS(t *testing.T) {
	m, err := Compile(randomNet(200, 0.5), 7)
	require.NoError(t, err)
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	runAt := func(procs int) [][]int64 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		recs := make([]*SpikeRecord, len(seeds))
		_, err := RunCopies(context.Background(), m, seeds, 2000, 0, func(k int, r *Run) error {
			var err error
			recs[k], err = r.RecordSpikes()
			return err
		})
		require.NoError(t, err)
		out := make([][]int64, len(seeds))
		for k, rec := range recs {
			require.Positive(t, rec.Len())
			for j := range rec.IDs {
				out[k] = append(out[k], rec.Ticks[j]<<32|int64(rec.IDs[j]))
			}
		}
		return out
	}
	ref := runAt(1)
	assert.NotEqual(t, ref[0], ref[1], "different seeds must differ")
	for _, p := range []int{2, 8} {
		assert.Equal(t, ref, runAt(p), "GOMAXPROCS=%d", p)
	}
}

// TestEventsCount: every spike costs exactly its fan-out in delivered events.
func TestEventsCount(t *testing.T) {
	net := randomNet(100, 0)
	m, err := Compile(net, 3)
	require.NoError(t, err)
	r := m.NewRun(3)
	rec, err := r.RecordSpikes()
	require.NoError(t, err)
	require.NoError(t, r.Run(context.Background(), 1000))
	fanout := make([]int64, m.NumNeurons())
	for _, p := range m.projs {
		first := m.Pops[p.src].First
		for j := 0; j+1 < len(p.rowPtr); j++ {
			fanout[int(first)+j] += int64(p.rowPtr[j+1] - p.rowPtr[j])
		}
	}
	var want int64
	for k, id := range rec.IDs {
		// spikes in the last ticks may still be in flight through the delays
		if rec.Ticks[k] < 1000-40 {
			want += fanout[id]
		}
	}
	assert.GreaterOrEqual(t, r.Events, want)
	assert.Positive(t, r.Events)
}

// TestPoissonRate: the input population's rate is within a 5-sigma binomial bound.
func TestPoissonRate(t *testing.T) {
	net := &snn.Network{Name: "p", DT: 0.1, Populations: []snn.Population{
		{Name: "in", Size: 1000, Model: snn.ModelPoisson, Rate: 25}}}
	m, err := Compile(net, 1)
	require.NoError(t, err)
	r := m.NewRun(9)
	rec, err := r.RecordSpikes()
	require.NoError(t, err)
	const steps = 10000 // 1 s
	require.NoError(t, r.Run(context.Background(), steps))
	q := 25 * 0.1 / 1000
	n := 1000.0 * steps
	mean, sd := n*q, math.Sqrt(n*q*(1-q))
	assert.InDelta(t, mean, float64(rec.Len()), 5*sd)
	// every neuron used, ticks in range, no duplicates within a tick
	seen := map[int64]bool{}
	for k := range rec.IDs {
		key := rec.Ticks[k]<<32 | int64(rec.IDs[k])
		require.False(t, seen[key])
		seen[key] = true
		require.Less(t, rec.Ticks[k], int64(steps))
	}
}

// TestStochasticFiringRate: a clamped escape-noise neuron fires with probability
// sigmoid((v - theta)/beta) per step.
func TestStochasticFiringRate(t *testing.T) {
	par := snn.NeuronParams{TauM: 1e9, TauE: 5, TauI: 5, VRest: -51, VThresh: -50, VReset: -51, Beta: 2, Reset: snn.ResetValue}
	net := &snn.Network{Name: "esc", DT: 0.1, Populations: []snn.Population{
		{Name: "n", Size: 500, Model: snn.ModelCuBaLIF, Params: par, InitV: snn.Const(-51)}}}
	m, err := Compile(net, 1)
	require.NoError(t, err)
	r := m.NewRun(4)
	require.NoError(t, r.Run(context.Background(), 1000))
	p := neuron.Sigmoid(-0.5)
	n := 500.0 * 1000
	assert.InDelta(t, n*p, float64(r.SpikeCount), 5*math.Sqrt(n*p*(1-p)))
}

func TestRecordErrors(t *testing.T) {
	m, err := Compile(randomNet(20, 0), 1)
	require.NoError(t, err)
	r := m.NewRun(1)
	_, err = r.RecordSpikes("nope")
	require.ErrorContains(t, err, `unknown population "nope"`)
	_, err = r.RecordState("in", VarV, nil, 1)
	require.ErrorContains(t, err, "input")
	_, err = r.RecordState("e", "w", nil, 1)
	require.ErrorContains(t, err, "unknown variable")
	_, err = r.RecordState("e", VarV, []int32{20}, 1)
	require.ErrorContains(t, err, "out of range")
}

func TestParallelErrorsAndCancel(t *testing.T) {
	err := Parallel(context.Background(), 10, 3, func(k int) error {
		if k == 4 || k == 7 {
			return assert.AnError
		}
		return nil
	})
	require.ErrorIs(t, err, assert.AnError)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, err := Compile(randomNet(20, 0), 1)
	require.NoError(t, err)
	require.ErrorIs(t, m.NewRun(1).Run(ctx, 10), context.Canceled)
}

func TestCompileRefusesHugeDelayBuffers(t *testing.T) {
	net := &snn.Network{Name: "d", DT: 0.1, Populations: []snn.Population{
		{Name: "in", Size: 10, Model: snn.ModelPoisson, Rate: 1},
		{Name: "n", Size: 300000, Model: snn.ModelCuBaLIF, Params: cubaParams()}},
		Projections: []snn.Projection{{Name: "p", From: "in", To: "n", Connect: snn.Connect{Kind: snn.ConnectOneToOne},
			Weight: snn.Const(1), Delay: snn.Dist{Kind: snn.DistUniform, A: 0, B: 6000}}}}
	net.Populations[1].Size = 10
	_, err := Compile(net, 1)
	require.NoError(t, err)
	net.Populations[1].Size = 300000
	net.Projections[0].Connect = snn.Connect{Kind: snn.ConnectRandom, P: 0.001}
	_, err = Compile(net, 1)
	require.ErrorContains(t, err, "delay buffers")
}
