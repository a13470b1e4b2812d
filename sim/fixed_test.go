package sim

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
	"github.com/snnsim/snnsim/trace/tracetest"
)

// fixedNet is a small network with every feature of the fixed-point mode: Poisson and
// spike-array inputs, lif and cuba-lif populations, excitatory and inhibitory
// projections, subtractive reset and (beta > 0) escape noise.
func fixedNet(beta float64) *snn.Network {
	cuba := snn.NeuronParams{TauM: 20, TauE: 5, TauI: 10, VRest: -65, VThresh: -50, VReset: -60,
		Reset: snn.ResetSubtract, Beta: beta}
	lif := snn.NeuronParams{TauM: 10, VRest: -65, VThresh: -55, VReset: -65, Reset: snn.ResetSubtract}
	return &snn.Network{Name: "fixed", DT: 1,
		Populations: []snn.Population{
			{Name: "in", Size: 40, Model: snn.ModelPoisson, Rate: 60},
			{Name: "cue", Size: 3, Model: snn.ModelSpikes, SpikeIDs: []int32{0, 1, 2, 2}, SpikeTimes: []float64{5, 10, 20, 20}},
			{Name: "e", Size: 48, Model: snn.ModelCuBaLIF, Params: cuba, InitV: snn.Dist{Kind: snn.DistUniform, A: -65, B: -52}},
			{Name: "i", Size: 12, Model: snn.ModelLIF, Params: lif},
		},
		Projections: []snn.Projection{
			{Name: "in-e", From: "in", To: "e", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.3}, Weight: snn.Dist{Kind: snn.DistUniform, A: 2, B: 6}},
			{Name: "cue-e", From: "cue", To: "e", Connect: snn.Connect{Kind: snn.ConnectAll}, Weight: snn.Const(8)},
			{Name: "e-e", From: "e", To: "e", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.1}, Weight: snn.Const(1.5)},
			{Name: "e-i", From: "e", To: "i", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.3}, Weight: snn.Const(3)},
			{Name: "i-e", From: "i", To: "e", Receptor: snn.Inh, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.4}, Weight: snn.Const(-6)},
			// a second projection between the same populations: its synapses add up
			{Name: "i-e2", From: "i", To: "e", Receptor: snn.Inh, Connect: snn.Connect{Kind: snn.ConnectList, Pre: []int32{0, 1, 2, 3}, Post: []int32{0, 1, 2, 3}}, Weight: snn.Const(-2)},
		}}
}

func TestCompileFixedQuantizes(t *testing.T) {
	net := fixedNet(0)
	net.Projections = net.Projections[:5]
	m, err := CompileFixed(net, 3, FixedOptions{})
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	assert.Equal(t, 60, m.NumNeurons())
	assert.Equal(t, 43, m.NumAxons())
	assert.Equal(t, []FixedPop{
		{Name: "in", Input: true, First: 0, Size: 40, Group: 0},
		{Name: "cue", Input: true, First: 40, Size: 3, Group: 1},
		{Name: "e", First: 0, Size: 48, Group: 2, Scale: 4096.0 / 15},
		{Name: "i", First: 48, Size: 12, Group: 3, Scale: 4096.0 / 10},
	}, m.Pops)
	e := m.Params[0]
	assert.Equal(t, int16(4096), e.Theta)
	assert.Equal(t, int16(math.Round(10*4096.0/15)), e.Reset)
	assert.Equal(t, uint8(4), e.DecayV) // 1 - e^{-1/20} = 0.0488 ≈ 2^-4.36
	assert.Equal(t, uint8(2), e.DecayI) // 1 - e^{-1/5} = 0.181 ≈ 2^-2.46
	assert.True(t, e.Output)
	assert.False(t, e.Stochastic)
	i := m.Params[50]
	assert.Equal(t, uint8(0), i.DecayI, "lif: delta synapses")
	assert.Equal(t, uint8(3), i.Group)
	// Same synapses as the float engine (no repeated pairs in this network).
	fm, err := Compile(net, 3)
	require.NoError(t, err)
	assert.Equal(t, fm.Synapses, len(m.Cols))
	// Initial membranes are the float run's, quantized.
	v := fm.NewRun(3).V(2)
	for k := range 48 {
		assert.InDelta(t, (float64(v[k])+65)*4096/15, float64(m.Init[k].U), 0.5)
	}
	// A weight of 8 mV from cue onto e keeps its DC gain, int8 with a shift.
	cols, w := m.Row(40)
	require.Len(t, cols, 48)
	sh := m.Shift[1][2]
	wantCharge := 8 * 4096.0 / 15 * neuron.Coupling(20, 5, 1) / (1 - math.Exp(-1.0/5)) / (1 - math.Exp(-1.0/20)) / 64
	assert.InDelta(t, wantCharge, float64(int32(w[0])<<sh), math.Ldexp(0.5, int(sh)))
}

func TestCompileFixedMergesRepeatedPairs(t *testing.T) {
	net := fixedNet(0)
	m, err := CompileFixed(net, 3, FixedOptions{})
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	net2 := fixedNet(0)
	net2.Projections = net2.Projections[:5]
	m2, err := CompileFixed(net2, 3, FixedOptions{})
	require.NoError(t, err)
	// i-e2 adds four synapses onto existing i→e pairs or new ones; never a repeat.
	assert.GreaterOrEqual(t, len(m.Cols), len(m2.Cols))
	assert.LessOrEqual(t, len(m.Cols), len(m2.Cols)+4)
}

func TestCompileFixedStochastic(t *testing.T) {
	m, err := CompileFixed(fixedNet(2), 1, FixedOptions{})
	require.NoError(t, err)
	g := m.Params[0].Group
	assert.True(t, m.Params[0].Stochastic)
	beta := 2 * 4096.0 / 15
	assert.Equal(t, neuron.LUTShiftFor(8*beta), m.LUTShift[g])
	assert.Equal(t, neuron.SigmoidLUT(beta, m.LUTShift[g]), m.LUT[g])
	assert.False(t, m.Params[50].Stochastic)
}

func TestCompileFixedRejects(t *testing.T) {
	withDelay := fixedNet(0)
	withDelay.Projections[2].Delay = snn.Const(2)
	coba := fixedNet(0)
	coba.Populations[3].Model = snn.ModelCoBaLIF
	coba.Populations[3].Params.TauE, coba.Populations[3].Params.TauI = 5, 10
	many := &snn.Network{DT: 1}
	for k := range 17 {
		many.Populations = append(many.Populations, snn.Population{Name: fmt.Sprint("p", k), Size: 1, Model: snn.ModelPoisson})
	}
	for _, tc := range []struct {
		name string
		net  *snn.Network
		opt  FixedOptions
		want string
	}{
		{"nil", nil, FixedOptions{}, "no populations"},
		{"delays", withDelay, FixedOptions{}, "delays"},
		{"coba", coba, FixedOptions{}, "coba-lif has no fixed-point form"},
		{"groups", many, FixedOptions{}, "16 groups"},
		{"theta units", fixedNet(0), FixedOptions{ThetaUnits: 1e6}, "theta units"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileFixed(tc.net, 1, tc.opt)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "sim: fixed")
		})
	}
}

func TestFixedModelValidate(t *testing.T) {
	good := func() *FixedModel {
		return &FixedModel{Params: make([]neuron.FixedParams, 2), AxonGroup: []uint8{0},
			RowPtr: []int32{0, 2, 2, 3}, Cols: []int32{0, 1, 0}, W: []int8{1, 2, 3}}
	}
	require.NoError(t, good().Validate())
	for _, tc := range []struct {
		name string
		edit func(m *FixedModel)
		want string
	}{
		{"decay", func(m *FixedModel) { m.Params[0].DecayV = 16 }, "decay or group"},
		{"axon group", func(m *FixedModel) { m.AxonGroup[0] = 16 }, "axon 0"},
		{"shift", func(m *FixedModel) { m.Shift[1][2] = 16 }, "shift[1][2]"},
		{"lut shift", func(m *FixedModel) { m.LUTShift[3] = 16 }, "table shift"},
		{"rows", func(m *FixedModel) { m.RowPtr = m.RowPtr[:3] }, "row pointers"},
		{"span", func(m *FixedModel) { m.W = m.W[:2] }, "span"},
		{"target", func(m *FixedModel) { m.Cols[2] = 2 }, "out of range"},
		{"order", func(m *FixedModel) { m.Cols[1] = 0 }, "ascending"},
		{"init", func(m *FixedModel) { m.Init = make([]neuron.FixedState, 1) }, "initial states"},
		{"pop", func(m *FixedModel) { m.Pops = []FixedPop{{Name: "x", Size: 3}} }, "population"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.edit(m)
			require.ErrorContains(t, m.Validate(), tc.want)
		})
	}
	assert.Panics(t, func() { m := good(); m.W = nil; m.NewRun() })
}

// genFixedModel draws a random valid fixed-point model: any parameters (saturation
// included), random groups, shifts, tables and a sparse random synapse matrix.
func genFixedModel(t *rapid.T, maxN, maxA int) *FixedModel {
	n := rapid.IntRange(1, maxN).Draw(t, "neurons")
	a := rapid.IntRange(0, maxA).Draw(t, "axons")
	groups := rapid.IntRange(1, neuron.FixedGroups).Draw(t, "groups")
	i16 := rapid.Int16()
	m := &FixedModel{Params: make([]neuron.FixedParams, n), Init: make([]neuron.FixedState, n),
		AxonGroup: make([]uint8, a), Seed: rapid.Uint32().Draw(t, "seed")}
	for i := range m.Params {
		m.Params[i] = neuron.FixedParams{
			Theta: i16.Draw(t, "theta"), Bias: rapid.Int16Range(-300, 300).Draw(t, "bias"), Reset: i16.Draw(t, "reset"),
			DecayI: rapid.Uint8Range(0, 15).Draw(t, "dI"), DecayV: rapid.Uint8Range(0, 15).Draw(t, "dV"),
			Group: uint8(rapid.IntRange(0, groups-1).Draw(t, "group")), Stochastic: rapid.Bool().Draw(t, "stoch"),
			Output: true,
		}
		m.Init[i] = neuron.FixedState{I: i16.Draw(t, "i0"), U: i16.Draw(t, "u0")}
	}
	for i := range m.AxonGroup {
		m.AxonGroup[i] = uint8(rapid.IntRange(0, groups-1).Draw(t, "agroup"))
	}
	for gs := range groups {
		for gd := range groups {
			m.Shift[gs][gd] = rapid.Uint8Range(0, 15).Draw(t, "shift")
		}
		m.LUTShift[gs] = rapid.Uint8Range(0, 15).Draw(t, "lutshift")
		for k := range m.LUT[gs] {
			m.LUT[gs][k] = uint16(k * 257)
		}
	}
	p := rapid.Float64Range(0, 1).Draw(t, "density")
	m.RowPtr = make([]int32, a+n+1)
	for r := range a + n {
		for c := range n {
			if rapid.Float64Range(0, 1).Draw(t, "u") < p {
				m.Cols = append(m.Cols, int32(c))
				m.W = append(m.W, rapid.Int8().Draw(t, "w"))
			}
		}
		m.RowPtr[r+1] = int32(len(m.Cols))
	}
	return m
}

// refRun is the spec of docs/hardware.md written as plainly as possible: a dense
// matrix of effective weights, one loop per rule.
type refRun struct {
	m     *FixedModel
	w     [][]int32 // [source row][neuron]: (w << shift), 0 where no synapse
	syn   [][]bool
	st    []neuron.FixedState
	acc   []int32
	prng  uint32
	fired []int32
}

func newRefRun(m *FixedModel) *refRun {
	n, a := m.NumNeurons(), m.NumAxons()
	r := &refRun{m: m, st: append([]neuron.FixedState(nil), m.Init...), acc: make([]int32, n), prng: m.Seed}
	if r.prng == 0 {
		r.prng = neuron.ZeroSeed
	}
	for src := range a + n {
		r.w = append(r.w, make([]int32, n))
		r.syn = append(r.syn, make([]bool, n))
		cols, ws := m.Row(src)
		gs := m.srcGroup(src)
		for k, c := range cols {
			r.w[src][c] = int32(ws[k]) << m.Shift[gs][m.Params[c].Group]
			r.syn[src][c] = true
		}
	}
	return r
}

func (r *refRun) add(src int, count int64) {
	for j := range r.acc {
		if r.syn[src][j] {
			s := int64(r.acc[j]) + count*int64(r.w[src][j])
			r.acc[j] = int32(min(max(s, math.MinInt32), math.MaxInt32))
		}
	}
}

func (r *refRun) step(in []FixedInput) []int32 {
	for _, e := range in {
		r.add(int(e.Axon), int64(e.Count))
	}
	r.fired = r.fired[:0]
	for i := range r.st {
		x := r.prng
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		r.prng = x
		p := r.m.Params[i]
		a := min(max(r.acc[i], -32768), 32767)
		r.acc[i] = 0
		I := int32(r.st[i].I)
		I = min(max(I-(I>>p.DecayI)+a, -32768), 32767)
		u := int32(r.st[i].U)
		u = min(max(u-(u>>p.DecayV)+I+int32(p.Bias), -32768), 32767)
		var s bool
		if p.Stochastic {
			idx := min(max(((u-int32(p.Theta))>>r.m.LUTShift[p.Group])+128, 0), 255)
			s = x>>16 < uint32(r.m.LUT[p.Group][idx])
		} else {
			s = u >= int32(p.Theta)
		}
		if s {
			u = min(max(u-int32(p.Reset), -32768), 32767)
			r.fired = append(r.fired, int32(i))
		}
		r.st[i] = neuron.FixedState{I: int16(I), U: int16(u)}
	}
	for _, i := range r.fired {
		r.add(r.m.NumAxons()+int(i), 1)
	}
	return r.fired
}

func genInputs(t *rapid.T, a int) []FixedInput {
	if a == 0 {
		return nil
	}
	k := rapid.IntRange(0, 2*a).Draw(t, "events")
	in := make([]FixedInput, k)
	for j := range in {
		in[j] = FixedInput{Axon: int32(rapid.IntRange(0, a-1).Draw(t, "axon")), Count: rapid.Uint8().Draw(t, "count")}
	}
	return in
}

// TestFixedRunMatchesSpec checks FixedRun against the plain reference on random models
// and inputs, state and spikes at every tick.
func TestFixedRunMatchesSpec(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genFixedModel(t, 24, 12)
		run, ref := m.NewRun(), newRefRun(m)
		ticks := rapid.IntRange(1, 30).Draw(t, "ticks")
		for tick := range ticks {
			in := genInputs(t, m.NumAxons())
			got := run.Step(in)
			want := ref.step(in)
			require.Equal(t, append([]int32{}, want...), append([]int32{}, got...), "spikes at tick %d", tick)
			require.Equal(t, ref.st, run.State(), "state at tick %d", tick)
			require.Equal(t, ref.prng, run.PRNG(), "prng at tick %d", tick)
		}
	})
}

func TestFixedRunReset(t *testing.T) {
	m, err := CompileFixed(fixedNet(1), 5, FixedOptions{})
	require.NoError(t, err)
	run := m.NewRun()
	collect := func() []int64 {
		gen, err := m.NewInputs(5)
		require.NoError(t, err)
		var out []int64
		var in []FixedInput
		for range 200 {
			in = gen.Next(in[:0])
			for _, i := range run.Step(in) {
				out = append(out, run.Tick()<<16|int64(i))
			}
		}
		return out
	}
	a := collect()
	require.NotEmpty(t, a)
	run.Reset()
	assert.Equal(t, a, collect())
	assert.Equal(t, int64(200), run.Tick())
}

func TestFixedInputs(t *testing.T) {
	m, err := CompileFixed(fixedNet(0), 1, FixedOptions{})
	require.NoError(t, err)
	gen, err := m.NewInputs(9)
	require.NoError(t, err)
	var n int
	var in []FixedInput
	cue := map[int][]FixedInput{}
	for tick := range 2000 {
		in = gen.Next(in[:0])
		for j, e := range in {
			if j > 0 {
				require.Less(t, in[j-1].Axon, e.Axon)
			}
			if e.Axon < 40 {
				n++
			} else {
				cue[tick] = append(cue[tick], e)
			}
		}
	}
	// 40 axons at 60 Hz for 2 s: 4800 spikes expected.
	assert.InDelta(t, 4800, n, 4*math.Sqrt(4800))
	assert.Equal(t, map[int][]FixedInput{5: {{40, 1}}, 10: {{41, 1}}, 20: {{42, 2}}}, cue)
	require.ErrorContains(t, m.CheckInputs([]FixedInput{{Axon: 43}}), "axon 43 out of range")
	require.NoError(t, m.CheckInputs([]FixedInput{{Axon: 42}}))
	_, err = (&FixedModel{}).NewInputs(1)
	require.ErrorContains(t, err, "no network")
}

// TestFixedTracksFloat checks that quantization keeps the network's behaviour: the
// fixed-point mean rate is within a factor of two of the float engine's.
func TestFixedTracksFloat(t *testing.T) {
	net := fixedNet(0)
	fm, err := Compile(net, 11)
	require.NoError(t, err)
	fr := fm.NewRun(11)
	require.NoError(t, fr.Run(context.Background(), 2000))
	floatSpikes := fr.PopSpikes(2) + fr.PopSpikes(3)

	m, err := CompileFixed(net, 11, FixedOptions{})
	require.NoError(t, err)
	run := m.NewRun()
	gen, err := m.NewInputs(11)
	require.NoError(t, err)
	var in []FixedInput
	var fixedSpikes int
	for range 2000 {
		in = gen.Next(in[:0])
		fixedSpikes += len(run.Step(in))
	}
	t.Logf("spikes: float %d, fixed %d", floatSpikes, fixedSpikes)
	require.Positive(t, floatSpikes)
	ratio := float64(fixedSpikes) / float64(floatSpikes)
	assert.True(t, ratio > 0.5 && ratio < 2, "fixed/float spike ratio %.2f", ratio)
}

func TestFixedGolden(t *testing.T) {
	for name, beta := range map[string]float64{"fixed": 0, "fixed-stochastic": 1.5} {
		t.Run(name, func(t *testing.T) {
			m, err := CompileFixed(fixedNet(beta), 42, FixedOptions{})
			require.NoError(t, err)
			run := m.NewRun()
			rec := run.RecordSpikes()
			gen, err := m.NewInputs(42)
			require.NoError(t, err)
			var in []FixedInput
			for range 1000 {
				in = gen.Next(in[:0])
				run.Step(in)
			}
			require.Positive(t, rec.Len())
			tracetest.Golden(t, filepath.Join("testdata", name+".npz"), run.Trace(rec, "sim-fixed"))
		})
	}
}

func ExampleCompileFixed() {
	net := &snn.Network{Name: "tiny", DT: 1,
		Populations: []snn.Population{
			{Name: "in", Size: 1, Model: snn.ModelSpikes, SpikeIDs: []int32{0, 0, 0}, SpikeTimes: []float64{0, 1, 2}},
			{Name: "n", Size: 1, Model: snn.ModelCuBaLIF, Params: snn.NeuronParams{TauM: 10, TauE: 2, TauI: 2,
				VRest: -65, VThresh: -55, VReset: -65, Reset: snn.ResetSubtract}},
		},
		Projections: []snn.Projection{{From: "in", To: "n", Connect: snn.Connect{Kind: snn.ConnectAll}, Weight: snn.Const(25)}},
	}
	m, err := CompileFixed(net, 1, FixedOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := m.Params[0]
	fmt.Printf("theta %d reset %d dI %d dV %d\n", p.Theta, p.Reset, p.DecayI, p.DecayV)
	run := m.NewRun()
	gen, _ := m.NewInputs(1)
	var in []FixedInput
	for range 6 {
		in = gen.Next(in[:0])
		spikes := run.Step(in)
		s := run.State()[0]
		fmt.Println(run.Tick(), len(in), s.I, s.U, len(spikes))
	}
	// Output:
	// theta 4096 reset 4096 dI 1 dV 3
	// 1 1 1280 1280 0
	// 2 1 1920 3040 0
	// 3 1 2240 804 1
	// 4 0 1120 1824 0
	// 5 0 560 2156 0
	// 6 0 280 2167 0
}

func BenchmarkFixedStep(b *testing.B) {
	net := &snn.Network{Name: "bench", DT: 1,
		Populations: []snn.Population{
			{Name: "in", Size: 256, Model: snn.ModelPoisson, Rate: 20},
			{Name: "n", Size: 256, Model: snn.ModelCuBaLIF, Params: snn.NeuronParams{TauM: 20, TauE: 5, TauI: 5,
				VRest: -65, VThresh: -50, VReset: -65, Reset: snn.ResetSubtract, Beta: 1}},
		},
		Projections: []snn.Projection{
			{From: "in", To: "n", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.2}, Weight: snn.Dist{Kind: snn.DistUniform, A: 0, B: 4}},
			{From: "n", To: "n", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.1}, Weight: snn.Dist{Kind: snn.DistNormal, A: 0, B: 2}},
		}}
	m, err := CompileFixed(net, 1, FixedOptions{})
	require.NoError(b, err)
	gen, err := m.NewInputs(1)
	require.NoError(b, err)
	ins := make([][]FixedInput, 1000)
	for k := range ins {
		ins[k] = gen.Next(nil)
	}
	run := m.NewRun()
	var spikes int
	b.ReportAllocs()
	b.ResetTimer()
	for k := range b.N {
		spikes += len(run.Step(ins[k%len(ins)]))
	}
	b.ReportMetric(float64(spikes)/float64(b.N), "spikes/tick")
}
