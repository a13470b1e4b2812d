package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
)

// trainParams are the neuron parameters the score is exact for: subtractive reset, no
// refractory period, threshold 1, rest 0.
func trainParams(beta float64) snn.NeuronParams {
	return snn.NeuronParams{TauM: 10, TauE: 5, TauI: 8, VRest: 0, VThresh: 1, VReset: 0,
		Reset: snn.ResetSubtract, Beta: beta}
}

// scoreNet is in (spike array) → hid → out with stochastic cuba-lif neurons, a sparse
// excitatory, a dense and an inhibitory projection.
func scoreNet(nIn, nHid, nOut int, beta float64) *snn.Network {
	par := trainParams(beta)
	return &snn.Network{Name: "score", DT: 1,
		Populations: []snn.Population{
			{Name: "in", Size: nIn, Model: snn.ModelSpikes},
			{Name: "hid", Size: nHid, Model: snn.ModelCuBaLIF, Params: par, InitV: snn.Dist{Kind: snn.DistUniform, A: 0, B: 0.5}},
			{Name: "out", Size: nOut, Model: snn.ModelCuBaLIF, Params: par},
		},
		Projections: []snn.Projection{
			{Name: "ih", From: "in", To: "hid", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.6}, Weight: snn.Dist{Kind: snn.DistNormal, A: 0.3, B: 0.5}},
			{Name: "ho", From: "hid", To: "out", Connect: snn.Connect{Kind: snn.ConnectAll}, Weight: snn.Dist{Kind: snn.DistNormal, A: 0.2, B: 0.6}},
			{Name: "io", From: "in", To: "out", Receptor: snn.Inh, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.3}, Weight: snn.Dist{Kind: snn.DistNormal, A: -0.3, B: 0.2}},
		},
	}
}

// randomSpikes draws steps steps of Bernoulli(q) spikes of n neurons, in encode.Spikes layout.
func randomSpikes(rng *rand.Rand, n, steps int, q float64) (ptr, ids []int32) {
	ptr = make([]int32, steps+1)
	for t := range steps {
		for j := range n {
			if rng.Float64() < q {
				ids = append(ids, int32(j))
			}
		}
		ptr[t+1] = int32(len(ids))
	}
	return ptr, ids
}

// spikeLog collects the spikes of one population step by step, in encode.Spikes layout.
type spikeLog struct{ ptr, ids []int32 }

func (l *spikeLog) add(fired []int32) {
	if len(l.ptr) == 0 {
		l.ptr = append(l.ptr, 0)
	}
	l.ids = append(l.ids, fired...)
	l.ptr = append(l.ptr, int32(len(l.ids)))
}

// refScore is the slow, obviously correct score of one synapse j→i of projection pj:
// Σ_t δ_i(t)·∂u_i(t)/∂w_ij by a central finite difference of the membrane of neuron i,
// simulated in float64 from the neuron equations with every spike held as recorded
// (spikes[pop] by step). It also returns the membrane trajectory (after reset) at the
// recorded weight, to check the reference against the engine.
func refScore(m *Model, pj, i, k int, spikes []spikeLog, v0 float32, delta []float32, steps int) (float64, []float64) {
	p := m.projs[pj]
	dst := &m.Pops[p.dst]
	pr := dst.Prop
	n := dst.Size
	sim := func(dw float64) (float64, []float64) {
		var ge, gi float64
		v := float64(v0)
		traj := make([]float64, steps)
		var s float64
		for t := range steps {
			u := float64(pr.VInf) + float64(pr.AM)*(v-float64(pr.VInf)) + float64(pr.CE)*ge + float64(pr.CI)*gi
			ge *= float64(pr.AE)
			gi *= float64(pr.AI)
			fired := false
			for _, f := range spikes[p.dst].ids[spikes[p.dst].ptr[t]:spikes[p.dst].ptr[t+1]] {
				if int(f) == i {
					fired = true
				}
			}
			s += float64(delta[t*n+i]) * u
			v = u
			if fired {
				v -= float64(pr.ResetStep)
			}
			traj[t] = v
			// deliveries of step t, every projection onto dst
			for q := range m.projs {
				pq := &m.projs[q]
				if pq.dst != p.dst {
					continue
				}
				log := spikes[pq.src]
				for _, j := range log.ids[log.ptr[t]:log.ptr[t+1]] {
					for kk := pq.rowPtr[j]; kk < pq.rowPtr[j+1]; kk++ {
						if int(pq.cols[kk]) != i {
							continue
						}
						w := float64(pq.w[kk])
						if q == pj && int(kk) == k {
							w += dw
						}
						if pq.rec == recI {
							gi += w
						} else {
							ge += w
						}
					}
				}
			}
		}
		return s, traj
	}
	const h = 0.5 // the membrane is linear in w once spikes are frozen
	sp, _ := sim(h)
	sm, _ := sim(-h)
	_, traj := sim(0)
	return (sp - sm) / (2 * h), traj
}

// TestScoreMatchesPerSynapseReference: the engine's score accumulation (δ recorded while
// simulating, BackFilter, AccumScore) equals the slow per-synapse finite-difference
// reference on random small networks, for excitatory and inhibitory, sparse and dense
// projections.
func TestScoreMatchesPerSynapseReference(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 77))
		nIn, nHid, nOut, steps := 6+rng.IntN(6), 5+rng.IntN(6), 2+rng.IntN(3), 20+rng.IntN(20)
		m, err := Compile(scoreNet(nIn, nHid, nOut, 0.2+rng.Float64()), seed)
		require.NoError(t, err)
		for pj := range m.projs {
			m.Weights(pj)
		}
		r := m.NewRun(seed)
		ptr, ids := randomSpikes(rng, nIn, steps, 0.3)
		require.NoError(t, r.SetInput(0, ptr, ids))
		deltas := [][]float32{nil, make([]float32, steps*nHid), make([]float32, steps*nOut)}
		require.NoError(t, r.RecordScore(1, deltas[1]))
		require.NoError(t, r.RecordScore(2, deltas[2]))
		logs := make([]spikeLog, 3)
		v0 := [][]float32{nil, append([]float32(nil), r.V(1)...), append([]float32(nil), r.V(2)...)}
		traj := [][]float32{nil, make([]float32, steps*nHid), make([]float32, steps*nOut)}
		for tt := range steps {
			r.Step()
			for p := range 3 {
				logs[p].add(r.Fired(p))
				if p > 0 {
					copy(traj[p][tt*m.Pops[p].Size:], r.V(p))
				}
			}
		}
		require.Positive(t, len(logs[1].ids), "hidden layer never fired")
		for pj := range m.projs {
			pv := m.Projection(pj)
			c, err := m.TraceCoef(pj)
			require.NoError(t, err)
			n := m.Pops[pv.Dst].Size
			lam := make([]float32, steps*n)
			BackFilter(lam, deltas[pv.Dst], make([]float32, n), steps, n, c)
			grad := make([]float32, len(pv.Cols))
			m.AccumScore(pj, grad, logs[pv.Src].ptr, logs[pv.Src].ids, lam, 0, int32(m.Pops[pv.Src].Size))
			// The forward form gives the same sum.
			ebar := make([]float32, steps*m.Pops[pv.Src].Size)
			ForwardTrace(ebar, make([]float32, m.Pops[pv.Src].Size), logs[pv.Src].ptr, logs[pv.Src].ids, m.Pops[pv.Src].Size, c)
			for j := 0; j+1 < len(pv.RowPtr); j++ {
				for k := pv.RowPtr[j]; k < pv.RowPtr[j+1]; k++ {
					i := int(pv.Cols[k])
					want, ref := refScore(m, pj, i, int(k), logs, v0[pv.Dst][i], deltas[pv.Dst], steps)
					var fwd float64
					for tt := range steps {
						fwd += float64(deltas[pv.Dst][tt*n+i]) * float64(ebar[tt*m.Pops[pv.Src].Size+j])
					}
					tol := 1e-4 * (1 + math.Abs(want))
					require.InDelta(t, want, float64(grad[k]), tol, "seed %d %s synapse %d→%d", seed, pv.Name, j, i)
					require.InDelta(t, want, fwd, tol, "forward trace, seed %d %s synapse %d→%d", seed, pv.Name, j, i)
					for tt := range steps {
						require.InDelta(t, ref[tt], float64(traj[pv.Dst][tt*n+i]), 1e-4, "reference membrane of %d at step %d", i, tt)
					}
				}
			}
		}
	}
}

// TestScoreHooksKeepSpikes: recording scores does not change a single spike, and the
// recorded δ has the sign of the outcome.
func TestScoreHooksKeepSpikes(t *testing.T) {
	m, err := Compile(randomNet(80, 0.5), 5)
	require.NoError(t, err)
	plain := m.NewRun(9)
	rec1, err := plain.RecordSpikes()
	require.NoError(t, err)
	require.NoError(t, plain.Run(context.Background(), 500))
	hooked := m.NewRun(9)
	rec2, err := hooked.RecordSpikes()
	require.NoError(t, err)
	n := m.Pops[1].Size
	delta := make([]float32, 500*n)
	require.NoError(t, hooked.RecordScore(1, delta))
	fired := make([]bool, len(delta))
	for tt := range 500 {
		hooked.Step()
		for _, i := range hooked.Fired(1) {
			fired[tt*n+int(i)] = true
		}
	}
	assert.Equal(t, rec1.IDs, rec2.IDs)
	assert.Equal(t, rec1.Ticks, rec2.Ticks)
	for k, d := range delta {
		if fired[k] {
			require.Positive(t, d)
		} else {
			require.LessOrEqual(t, d, float32(0))
		}
	}
}

// TestResetEqualsNewRun: a used Run reset to a seed gives the spikes of a fresh Run.
func TestResetEqualsNewRun(t *testing.T) {
	for name, net := range goldenNets() {
		t.Run(name, func(t *testing.T) {
			m, err := Compile(net, 42)
			require.NoError(t, err)
			fresh := m.NewRun(7)
			rec1, err := fresh.RecordSpikes()
			require.NoError(t, err)
			require.NoError(t, fresh.Run(context.Background(), 700))
			used := m.NewRun(3)
			require.NoError(t, used.Run(context.Background(), 400))
			used.Reset(7)
			rec2, err := used.RecordSpikes()
			require.NoError(t, err)
			require.NoError(t, used.Run(context.Background(), 700))
			require.Positive(t, rec1.Len())
			assert.Equal(t, rec1.IDs, rec2.IDs)
			assert.Equal(t, rec1.Ticks, rec2.Ticks)
			assert.Equal(t, fresh.Events, used.Events)
		})
	}
}

// TestAntitheticComplements: neurons at p = 1/2 fire in exactly one run of an antithetic
// pair; away from it the pair keeps the firing rate.
func TestAntitheticComplements(t *testing.T) {
	par := trainParams(0.5)
	par.TauM = 1e9
	net := &snn.Network{Name: "anti", DT: 1, Populations: []snn.Population{
		{Name: "n", Size: 2000, Model: snn.ModelCuBaLIF, Params: par, InitV: snn.Const(1)}}}
	m, err := Compile(net, 1)
	require.NoError(t, err)
	a, b := m.NewRun(5), m.NewRun(5)
	require.NoError(t, b.SetAntithetic(0, true))
	a.Step()
	b.Step()
	in := map[int32]bool{}
	for _, i := range a.Fired(0) {
		in[i] = true
	}
	for _, i := range b.Fired(0) {
		require.False(t, in[i], "neuron %d fired in both runs of the pair", i)
	}
	assert.Equal(t, 2000, len(a.Fired(0))+len(b.Fired(0)))
	// Over more steps both runs fire at the same rate (to within binomial noise).
	for range 50 {
		a.Step()
		b.Step()
	}
	assert.InDelta(t, float64(a.SpikeCount), float64(b.SpikeCount), 6*math.Sqrt(float64(a.SpikeCount)))
}

// TestDriveEqualsDelivery: a drive computed once by Model.Drive and set on a Run with a
// silent input gives the membranes that delivering the input spikes gives.
func TestDriveEqualsDelivery(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const steps = 40
	net := scoreNet(12, 9, 3, 0.3)
	m, err := Compile(net, 2)
	require.NoError(t, err)
	ptr, ids := randomSpikes(rng, 12, steps, 0.4)
	a := m.NewRun(1)
	require.NoError(t, a.SetInput(0, ptr, ids))
	require.NoError(t, a.SetDeterministic(1, true))
	require.NoError(t, a.SetDeterministic(2, true))
	b := m.NewRun(1)
	require.NoError(t, b.SetInput(0, nil, nil))
	require.NoError(t, b.SetDeterministic(1, true))
	require.NoError(t, b.SetDeterministic(2, true))
	drive := make([]float32, steps*9)
	m.Drive(m.ProjectionIndex("ih"), drive, ptr, ids)
	require.NoError(t, b.SetDrive(1, drive, false))
	// The inhibitory in→out projection is not driven in b: compare the hidden layer only.
	for tt := range steps {
		a.Step()
		b.Step()
		for i, v := range a.V(1) {
			require.InDelta(t, v, b.V(1)[i], 1e-5, "step %d neuron %d", tt, i)
		}
		require.Equal(t, a.Fired(1), b.Fired(1), "step %d", tt)
	}
	require.Positive(t, a.PopSpikes(1))
}

// TestSetInputMatchesCompiledSpikes: a spike array set on a Run replays like one compiled in.
func TestSetInputMatchesCompiledSpikes(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const steps = 30
	ptr, ids := randomSpikes(rng, 12, steps, 0.3)
	net := scoreNet(12, 9, 3, 0.3)
	for tt := range steps {
		for _, id := range ids[ptr[tt]:ptr[tt+1]] {
			net.Populations[0].SpikeIDs = append(net.Populations[0].SpikeIDs, id)
			net.Populations[0].SpikeTimes = append(net.Populations[0].SpikeTimes, float64(tt))
		}
	}
	m, err := Compile(net, 2)
	require.NoError(t, err)
	a := m.NewRun(8)
	recA, err := a.RecordSpikes()
	require.NoError(t, err)
	require.NoError(t, a.Run(context.Background(), steps))
	b := m.NewRun(8)
	require.NoError(t, b.SetInput(0, ptr, ids))
	recB, err := b.RecordSpikes()
	require.NoError(t, err)
	require.NoError(t, b.Run(context.Background(), steps))
	assert.Equal(t, recA.IDs, recB.IDs)
	assert.Equal(t, recA.Ticks, recB.Ticks)
}

func TestHookErrors(t *testing.T) {
	m, err := Compile(scoreNet(4, 3, 2, 0), 1)
	require.NoError(t, err)
	r := m.NewRun(1)
	require.ErrorContains(t, r.SetInput(1, nil, nil), "not a spike array")
	require.ErrorContains(t, r.SetInput(0, []int32{0, 1}, []int32{4}), "out of range")
	require.ErrorContains(t, r.SetInput(0, []int32{0, 2}, []int32{1}), "outside")
	require.ErrorContains(t, r.SetInput(9, nil, nil), "out of range")
	require.ErrorContains(t, r.SetDrive(0, nil, false), "input")
	require.ErrorContains(t, r.SetDrive(1, make([]float32, 4), false), "rows of 3")
	require.ErrorContains(t, r.RecordScore(1, nil), "no escape noise")
	require.ErrorContains(t, r.SetAntithetic(1, true), "no escape noise")
	net := scoreNet(4, 3, 2, 0)
	net.Populations[1].Params.Reset = snn.ResetValue
	m2, err := Compile(net, 1)
	require.NoError(t, err)
	_, err = m2.TraceCoef(0)
	require.ErrorContains(t, err, "subtractive reset")
}

func TestWeightsBecomePerSynapse(t *testing.T) {
	net := scoreNet(4, 3, 2, 0)
	net.Projections[1].Weight = snn.Const(0.5)
	m, err := Compile(net, 1)
	require.NoError(t, err)
	pj := m.ProjectionIndex("ho")
	require.True(t, m.Projection(pj).Dense)
	require.False(t, m.Projection(0).Dense)
	w := m.Weights(pj)
	require.Len(t, w, 6)
	for _, x := range w {
		require.Equal(t, float32(0.5), x)
	}
	w[0] = 2
	assert.Equal(t, float32(2), m.Weights(pj)[0])
}

func BenchmarkAccumScoreDense(b *testing.B) {
	const nIn, nHid, steps = 784, 500, 25
	net := &snn.Network{Name: "b", DT: 1, Populations: []snn.Population{
		{Name: "in", Size: nIn, Model: snn.ModelSpikes},
		{Name: "hid", Size: nHid, Model: snn.ModelCuBaLIF, Params: trainParams(0.2)}},
		Projections: []snn.Projection{{Name: "w", From: "in", To: "hid", Connect: snn.Connect{Kind: snn.ConnectAll},
			Weight: snn.Dist{Kind: snn.DistNormal, B: 0.1}}}}
	m, err := Compile(net, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	ptr, ids := randomSpikes(rng, nIn, steps, 0.13)
	lam := make([]float32, steps*nHid)
	for i := range lam {
		lam[i] = float32(rng.NormFloat64())
	}
	grad := make([]float32, nIn*nHid)
	b.Run("accum", func(b *testing.B) {
		for b.Loop() {
			m.AccumScore(0, grad, ptr, ids, lam, 0, nIn)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ids)*nHid), "ns/add")
	})
	b.Run("drive", func(b *testing.B) {
		for b.Loop() {
			m.Drive(0, lam, ptr, ids)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ids)*nHid), "ns/add")
	})
}

func BenchmarkStepScored(b *testing.B) {
	const n = 500
	net := &snn.Network{Name: "b", DT: 1, Populations: []snn.Population{
		{Name: "hid", Size: n, Model: snn.ModelCuBaLIF, Params: trainParams(0.2), InitV: snn.Dist{Kind: snn.DistUniform, A: 0, B: 1}}}}
	m, err := Compile(net, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"plain", "scored"} {
		b.Run(mode, func(b *testing.B) {
			r := m.NewRun(1)
			if mode == "scored" {
				if err := r.RecordScore(0, make([]float32, 25*n)); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if r.Tick() == 25 {
					r.Reset(r.Seed + 1)
				}
				r.Step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/neuron")
		})
	}
}

// TestSigmoidFast: the fast sigmoid is within 1e-12 of the exact one everywhere, so that
// the guard of drawer.draw (1e-9) leaves every decision to the exact law.
func TestSigmoidFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	check := func(x float64) {
		worst = math.Max(worst, math.Abs(sigmoidFast(x)-neuron.Sigmoid(x)))
	}
	for x := -60.0; x <= 60; x += 1e-3 {
		check(x)
	}
	for range 200000 {
		check(rng.NormFloat64() * 10)
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 40, -40, 40.0000001, math.Inf(1), math.Inf(-1), 1e-300} {
		check(x)
	}
	assert.Less(t, worst, 1e-12)
	assert.True(t, math.IsNaN(sigmoidFast(math.NaN())))
}

// TestSigmoidFast32: the float32 sigmoid of the float32-rounded argument is within 1e-6
// of the exact probability everywhere, well inside drawGuard32, so that every decision of
// the hot path is the exact law's.
func TestSigmoidFast32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	check := func(x float64) {
		worst = math.Max(worst, math.Abs(float64(sigmoidFast32(float32(x)))-neuron.Sigmoid(x)))
	}
	for x := -60.0; x <= 60; x += 1e-3 {
		check(x)
	}
	for range 200000 {
		check(rng.NormFloat64() * 10)
	}
	check(math.Inf(1))
	check(math.Inf(-1))
	t.Logf("worst error %.3g", worst)
	assert.Less(t, worst, 1e-6)
	assert.Less(t, 1e-6, drawGuard32/5)
}

// TestSigmoidsMatchScalar: the batched sigmoid (AVX2 in the simd build) gives the bits of
// the scalar one.
func TestSigmoidsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 1003)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 15)
	}
	x[0], x[1], x[2], x[3], x[4] = 0, float32(math.Copysign(0, -1)), 30, -1e6, float32(math.Inf(1))
	y := append([]float32(nil), x...)
	sigmoids32(y)
	for i := range x {
		require.Equal(t, math.Float32bits(sigmoidFast32(x[i])), math.Float32bits(y[i]), "x = %v", x[i])
	}
}

// TestFillUniformsMatchesPCG: the bulk draws are the Float64 draws of the population's
// rand.PCG, in order, and leave the stream where those draws leave it.
func TestFillUniformsMatchesPCG(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 7, 500, 501} {
		for _, anti := range []bool{false, true} {
			ref := rand.New(rand.NewPCG(uint64(n)+3, 77))
			pcg := rand.NewPCG(uint64(n)+3, 77)
			u := make([]float64, n)
			fillUniforms(pcg, u, anti)
			for i := range u {
				want := ref.Float64()
				if anti {
					want = 1 - want
				}
				require.Equal(t, math.Float64bits(want), math.Float64bits(u[i]), "n %d anti %v draw %d", n, anti, i)
			}
			assert.Equal(t, ref.Uint64(), pcg.Uint64(), "stream after %d draws", n)
		}
	}
}

// TestIntegrateCuBaMatchesScalar: the batched integration (AVX in the simd build) gives
// the bits of the scalar loop.
func TestIntegrateCuBaMatchesScalar(t *testing.T) {
	p, err := neuron.NewPropagator(snn.ModelCuBaLIF, trainParams(0.2), 1)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{1, 3, 4, 5, 8, 13, 500} {
		v, ge, gi := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range v {
			v[i], ge[i], gi[i] = float32(rng.NormFloat64()), float32(rng.ExpFloat64()), float32(rng.ExpFloat64())
		}
		v2, ge2, gi2 := append([]float32(nil), v...), append([]float32(nil), ge...), append([]float32(nil), gi...)
		px, px2 := make([]float32, n), make([]float32, n)
		integrateCuBa(&p, v, ge, gi, px, 1, 5)
		integrateCuBaScalar(&p, v2, ge2, gi2, px2, 1, 5)
		require.Equal(t, v2, v)
		require.Equal(t, ge2, ge)
		require.Equal(t, gi2, gi)
		require.Equal(t, px2, px)
	}
}

// TestDecideRangeMatchesScalar: the batched decisions (AVX2 in the simd build) give the
// spikes and δ bits of the scalar loop, including blocks where a draw falls within the
// guard and the exact probability decides.
func TestDecideRangeMatchesScalar(t *testing.T) {
	esc := neuron.Escape{Theta: 1, Beta: 0.2}
	inv := 1 / esc.Beta
	rng := rand.New(rand.NewPCG(10, 11))
	for _, n := range []int{1, 3, 4, 6, 9, 64, 503} {
		for _, withScore := range []bool{true, false} {
			v := make([]float32, n)
			px, u := make([]float32, n), make([]float64, n)
			for i := range v {
				v[i] = float32(1 + rng.NormFloat64()*0.5)
				px[i] = sigmoidFast32(float32((float64(v[i]) - esc.Theta) * inv))
				u[i] = rng.Float64()
				if i%5 == 2 { // inside the guard, on either side
					u[i] = esc.P(float64(v[i])) + (rng.Float64()-0.5)*1e-6
				}
			}
			var s1, s2 []float32
			if withScore {
				s1, s2 = make([]float32, n), make([]float32, n)
			}
			o1, o2 := make([]int32, n), make([]int32, n)
			w1 := decideRange(o1, v, px, u, s1, esc, inv)
			w2 := decideScalar(o2, 0, 0, n, v, px, u, s2, esc, inv)
			require.Equal(t, o2[:w2], o1[:w1], "n %d", n)
			require.Equal(t, s2, s1, "n %d", n)
			for i := range v { // the exact law decides
				p := esc.P(float64(v[i]))
				fired := false
				for _, j := range o1[:w1] {
					fired = fired || int(j) == i
				}
				assert.Equal(t, u[i] < p, fired, "neuron %d", i)
			}
		}
	}
}

// TestNeuronMajorMatchesStepMajor: Drive walks sorted spikes neuron by neuron; its result
// is the bits of the plain step-by-step sum, for sparse, dense and single-weight
// projections, and for unsorted spikes (the fallback). AccumScore, whole and split over
// rows, is checked against the same step-by-step sum.
func TestNeuronMajorMatchesStepMajor(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	const steps = 20
	m, err := Compile(scoreNet(40, 70, 66, 0.3), 3)
	require.NoError(t, err)
	for _, name := range []string{"ih", "io", "ho"} {
		pi := m.ProjectionIndex(name)
		info := m.Projection(pi)
		n, nSrc := m.Pops[info.Dst].Size, int32(m.Pops[info.Src].Size)
		ptr, ids := randomSpikes(rng, int(nSrc), steps, 0.3)
		shuffled := append([]int32(nil), ids...)
		for tt := range steps {
			s := shuffled[ptr[tt]:ptr[tt+1]]
			rng.Shuffle(len(s), func(a, b int) { s[a], s[b] = s[b], s[a] })
		}
		for _, perSynapse := range []bool{false, true} {
			if perSynapse {
				for k, w := range m.Weights(pi) {
					m.Weights(pi)[k] = w + float32(rng.NormFloat64())
				}
			}
			w := m.projs[pi].w
			for _, sp := range [][]int32{ids, shuffled} {
				// Drive against the step-major sum in each step's id order.
				got, want := make([]float32, steps*n), make([]float32, steps*n)
				m.Drive(pi, got, ptr, sp)
				for tt := range steps {
					for _, j := range sp[ptr[tt]:ptr[tt+1]] {
						for k := info.RowPtr[j]; k < info.RowPtr[j+1]; k++ {
							wk := m.projs[pi].w0
							if w != nil {
								wk = w[k]
							}
							want[tt*n+int(info.Cols[k])] += wk
						}
					}
				}
				require.Equal(t, want, got, "drive %s per-synapse %v", name, perSynapse)
				// AccumScore, whole and split, against the step-major sum.
				lam := make([]float32, steps*n)
				for k := range lam {
					lam[k] = float32(rng.NormFloat64())
				}
				wantG := make([]float32, len(info.Cols))
				for tt := range steps {
					for _, j := range sp[ptr[tt]:ptr[tt+1]] {
						for k := info.RowPtr[j]; k < info.RowPtr[j+1]; k++ {
							wantG[k] += lam[tt*n+int(info.Cols[k])]
						}
					}
				}
				whole, split := make([]float32, len(info.Cols)), make([]float32, len(info.Cols))
				m.AccumScore(pi, whole, ptr, sp, lam, 0, nSrc)
				for lo := int32(0); lo < nSrc; lo += 7 {
					m.AccumScore(pi, split, ptr, sp, lam, lo, min(lo+7, nSrc))
				}
				require.Equal(t, wantG, whole, "score %s", name)
				require.Equal(t, wantG, split, "score %s split", name)
			}
		}
	}
}
