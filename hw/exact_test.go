package hw

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
)

// genModel draws a random valid fixed-point model that fits a core: any parameters
// (saturation included), groups, shifts, sigmoid tables and a random synapse matrix.
func genModel(t *rapid.T, maxN, maxA int) *sim.FixedModel {
	n := rapid.IntRange(1, maxN).Draw(t, "neurons")
	a := rapid.IntRange(0, maxA).Draw(t, "axons")
	groups := rapid.IntRange(1, neuron.FixedGroups).Draw(t, "groups")
	i16 := rapid.Int16()
	small := rapid.Int16Range(-2000, 2000)
	m := &sim.FixedModel{Params: make([]neuron.FixedParams, n), Init: make([]neuron.FixedState, n),
		AxonGroup: make([]uint8, a), Seed: rapid.Uint32().Draw(t, "seed")}
	extreme := rapid.Bool().Draw(t, "extreme")
	for i := range m.Params {
		th, rs := small, small
		if extreme {
			th, rs = i16, i16
		}
		m.Params[i] = neuron.FixedParams{
			Theta: th.Draw(t, "theta"), Bias: rapid.Int16Range(-300, 300).Draw(t, "bias"), Reset: rs.Draw(t, "reset"),
			DecayI: rapid.Uint8Range(0, 15).Draw(t, "dI"), DecayV: rapid.Uint8Range(0, 15).Draw(t, "dV"),
			Group: uint8(rapid.IntRange(0, groups-1).Draw(t, "group")), Stochastic: rapid.Bool().Draw(t, "stochastic"),
			Output: rapid.IntRange(0, 9).Draw(t, "output") > 0,
		}
		m.Init[i] = neuron.FixedState{I: i16.Draw(t, "i0"), U: i16.Draw(t, "u0")}
	}
	for i := range m.AxonGroup {
		m.AxonGroup[i] = uint8(rapid.IntRange(0, groups-1).Draw(t, "axon group"))
	}
	for gs := range groups {
		for gd := range groups {
			m.Shift[gs][gd] = rapid.Uint8Range(0, 15).Draw(t, "shift")
		}
		m.LUTShift[gs] = rapid.Uint8Range(0, 15).Draw(t, "table shift")
		beta := rapid.Float64Range(1, 4000).Draw(t, "beta")
		m.LUT[gs] = neuron.SigmoidLUT(beta, m.LUTShift[gs])
	}
	density := rapid.Float64Range(0, 1).Draw(t, "density")
	rng := rapid.Uint64().Draw(t, "synapse seed")
	m.RowPtr = make([]int32, a+n+1)
	for r := range a + n {
		for c := range n {
			rng = rng*6364136223846793005 + 1442695040888963407
			if float64(rng>>11)/(1<<53) < density {
				m.Cols = append(m.Cols, int32(c))
				m.W = append(m.W, int8(rng>>40))
			}
		}
		m.RowPtr[r+1] = int32(len(m.Cols))
	}
	return m
}

func genInputs(t *rapid.T, a int) []sim.FixedInput {
	if a == 0 {
		return nil
	}
	in := make([]sim.FixedInput, rapid.IntRange(0, 2*a).Draw(t, "events"))
	for j := range in {
		in[j] = sim.FixedInput{Axon: int32(rapid.IntRange(0, a-1).Draw(t, "axon")), Count: rapid.Uint8Range(1, 255).Draw(t, "count")}
	}
	return in
}

// openEmu connects the driver to a fresh software board.
func openEmu(tb require.TestingT, spec string, emu board.Config, opt Options) (*Board, *board.Board) {
	b, e, err := Open(context.Background(), spec, OpenOptions{Emu: emu, Options: opt})
	require.NoError(tb, err)
	return b, e
}

func outputs(m *sim.FixedModel, spikes []int32) []int32 {
	out := []int32{}
	for _, i := range spikes {
		if m.Params[i].Output {
			out = append(out, i)
		}
	}
	return out
}

// TestBitExactRandomModels: on random models and random inputs the software board,
// driven through the whole protocol, and sim.FixedRun agree on the output spikes, every
// neuron's current and membrane, the PRNG state and the monitored STATE events at every
// tick. Run with -rapid.checks=10000 for the figure in docs/hardware.md.
func TestBitExactRandomModels(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		m := genModel(t, 40, 24)
		spec := rapid.SampledFrom([]string{"emu", "emu,i2c"}).Draw(t, "board")
		opt := Options{MaxTx: rapid.IntRange(64, proto.MaxTx).Draw(t, "max tx"), EventRoom: rapid.IntRange(1, 64).Draw(t, "room")}
		b, _ := openEmu(t, spec, board.Config{}, opt)
		require.NoError(t, b.Program(ctx, m))
		mon := rapid.IntRange(-1, m.NumNeurons()-1).Draw(t, "monitor")
		membrane := rapid.Bool().Draw(t, "monitor membrane")
		require.NoError(t, b.Monitor(ctx, mon, membrane))
		run := m.NewRun()
		got := make([]neuron.FixedState, m.NumNeurons())
		ticks := rapid.IntRange(1, 24).Draw(t, "ticks")
		for tick := range ticks {
			in := genInputs(t, m.NumAxons())
			spikes, err := b.Step(ctx, in)
			require.NoError(t, err)
			want := run.Step(in)
			require.Equal(t, outputs(m, want), append([]int32{}, spikes...), "spikes at tick %d", tick)
			require.NoError(t, b.ReadState(ctx, got))
			require.Equal(t, run.State(), got, "state at tick %d", tick)
			prng, err := b.ReadReg(ctx, proto.RegPRNG)
			require.NoError(t, err)
			require.Equal(t, run.PRNG(), prng, "PRNG at tick %d", tick)
			if mon >= 0 {
				require.Len(t, b.States, tick+1)
				s := b.States[tick]
				wantV := run.State()[mon].I
				if membrane {
					wantV = run.State()[mon].U
				}
				require.Equal(t, StateSample{Tick: int64(tick), Neuron: mon, Var: boolVar(membrane), Value: wantV}, s)
			}
		}
		require.NoError(t, b.Check(ctx))
	})
}

func boolVar(membrane bool) int {
	if membrane {
		return proto.VarMembrane
	}
	return proto.VarCurrent
}

// genNetwork draws a small random network of the kinds CompileFixed accepts.
func genNetwork(t *rapid.T) *snn.Network {
	par := func(name string) snn.NeuronParams {
		return snn.NeuronParams{
			TauM: rapid.Float64Range(2, 50).Draw(t, name+" tau_m"), TauE: rapid.Float64Range(1, 20).Draw(t, name+" tau_e"),
			TauI: rapid.Float64Range(1, 20).Draw(t, name+" tau_i"), VRest: -65, VThresh: rapid.Float64Range(-60, -45).Draw(t, name+" v_thresh"),
			VReset: -70, Reset: snn.ResetSubtract, Bias: rapid.Float64Range(0, 10).Draw(t, name+" bias"),
			Beta: rapid.SampledFrom([]float64{0, 0.5, 2}).Draw(t, name+" beta"),
		}
	}
	net := &snn.Network{Name: "rnd", DT: 1, Populations: []snn.Population{
		{Name: "in", Size: rapid.IntRange(1, 40).Draw(t, "in size"), Model: snn.ModelPoisson, Rate: rapid.Float64Range(5, 200).Draw(t, "rate")},
		{Name: "a", Size: rapid.IntRange(1, 60).Draw(t, "a size"), Model: snn.ModelCuBaLIF, Params: par("a"),
			InitV: snn.Dist{Kind: snn.DistUniform, A: -70, B: -50}},
		{Name: "b", Size: rapid.IntRange(1, 30).Draw(t, "b size"), Model: snn.ModelLIF, Params: par("b")},
	}}
	pops := []string{"in", "a", "b"}
	for k := range rapid.IntRange(1, 6).Draw(t, "projections") {
		from := rapid.SampledFrom(pops).Draw(t, "from")
		to := rapid.SampledFrom(pops[1:]).Draw(t, "to")
		net.Projections = append(net.Projections, snn.Projection{Name: fmt.Sprint("p", k), From: from, To: to,
			Connect: snn.Connect{Kind: snn.ConnectRandom, P: rapid.Float64Range(0.05, 0.8).Draw(t, "p")},
			Weight:  snn.Dist{Kind: snn.DistNormal, A: rapid.Float64Range(-5, 10).Draw(t, "w mean"), B: 2}})
	}
	return net
}

// TestBitExactCompiledNetworks: the same on networks quantized by sim.CompileFixed, with
// their Poisson inputs, for 100 ticks.
func TestBitExactCompiledNetworks(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		net := genNetwork(t)
		seed := rapid.Uint64().Draw(t, "seed")
		m, err := sim.CompileFixed(net, seed, sim.FixedOptions{})
		require.NoError(t, err)
		b, _ := openEmu(t, "emu", board.Config{}, Options{})
		require.NoError(t, b.Program(ctx, m))
		run := m.NewRun()
		gen, err := m.NewInputs(seed)
		require.NoError(t, err)
		var in []sim.FixedInput
		for tick := range 100 {
			in = gen.Next(in[:0])
			spikes, err := b.Step(ctx, in)
			require.NoError(t, err)
			require.True(t, slices.Equal(run.Step(in), spikes), "tick %d", tick)
		}
		got := make([]neuron.FixedState, m.NumNeurons())
		require.NoError(t, b.ReadState(ctx, got))
		require.Equal(t, run.State(), got)
	})
}
