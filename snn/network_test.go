package snn

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookups(t *testing.T) {
	n := CUBA(4000)
	assert.Equal(t, 0, n.Index("exc"))
	assert.Equal(t, 1, n.Index("inh"))
	assert.Equal(t, -1, n.Index("nope"))
	require.NotNil(t, n.Population("inh"))
	assert.Equal(t, 800, n.Population("inh").Size)
	assert.Nil(t, n.Population("nope"))
	assert.Equal(t, 2, n.ProjectionIndex("ie"))
	assert.Equal(t, -1, n.ProjectionIndex("nope"))
	assert.Equal(t, 4000, n.NumNeurons())
	assert.Equal(t, []int{0, 3200, 4000}, n.Offsets())
}

func TestBenchmarkNetworks(t *testing.T) {
	for _, size := range []int{3, 4000, 400_000} {
		c := CUBA(size)
		require.NoError(t, c.Validate())
		assert.Equal(t, size, c.NumNeurons())
		ne := c.Populations[0].Size
		assert.Equal(t, int(math.Round(0.8*float64(size))), ne)
		for _, pr := range c.Projections {
			assert.Equal(t, math.Min(80/float64(size), 1), pr.Connect.P)
			assert.True(t, pr.Connect.AllowSelf)
		}
		require.NoError(t, COBA(size).Validate())
	}
	c := CUBA(4000)
	q := c.Populations[1].Params
	assert.Equal(t, NeuronParams{TauM: 20, TauE: 5, TauI: 10, VRest: -49, VThresh: -50, VReset: -60,
		Refractory: 5, Reset: ResetValue, EE: 0, EI: -80}, q)
	assert.Equal(t, Dist{Kind: DistUniform, A: -60, B: -50}, c.Populations[0].InitV)
	assert.Equal(t, 0.02, c.Projections[0].Connect.P)
	w := map[string]float64{}
	for _, pr := range c.Projections {
		w[pr.Name] = pr.Weight.A
		assert.Equal(t, pr.From == "inh", pr.Receptor == Inh)
	}
	assert.Equal(t, map[string]float64{"ee": 1.62, "ei": 1.62, "ie": -9, "ii": -9}, w)

	b := COBA(4000)
	q = b.Populations[0].Params
	assert.Equal(t, ModelCoBaLIF, b.Populations[0].Model)
	assert.Equal(t, -60.0, q.VRest)
	assert.Equal(t, 20.0, q.Bias)
	assert.Equal(t, Dist{Kind: DistNormal, A: -55, B: 5}, b.Populations[0].InitV)
	assert.Equal(t, 6.7, b.Projections[3].Weight.A)
	assert.Equal(t, Inh, b.Projections[3].Receptor)

	assert.Panics(t, func() { CUBA(2) })
	assert.Panics(t, func() { COBA(0) })
}

func TestHash(t *testing.T) {
	a, b := CUBA(4000), CUBA(4000)
	h := a.Hash()
	assert.Len(t, h, 64)
	assert.Equal(t, h, b.Hash())
	for name, change := range map[string]func(n *Network){
		"dt":        func(n *Network) { n.DT = 0.05 },
		"size":      func(n *Network) { n.Populations[0].Size++ },
		"tau_m":     func(n *Network) { n.Populations[1].Params.TauM = 21 },
		"beta":      func(n *Network) { n.Populations[1].Params.Beta = 1 },
		"init":      func(n *Network) { n.Populations[0].InitV.B = -51 },
		"p":         func(n *Network) { n.Projections[0].Connect.P = 0.03 },
		"self":      func(n *Network) { n.Projections[0].Connect.AllowSelf = false },
		"weight":    func(n *Network) { n.Projections[3].Weight = Const(-8) },
		"delay":     func(n *Network) { n.Projections[3].Delay = Const(1) },
		"receptor":  func(n *Network) { n.Projections[3].Receptor = Exc },
		"proj seed": func(n *Network) { n.Projections[3].Seed = 9 },
		"name":      func(n *Network) { n.Projections[3].Name = "x" },
	} {
		c := CUBA(4000)
		change(c)
		assert.NotEqual(t, h, c.Hash(), name)
	}
	// Spellings of the same default hash alike; the name and default seed do not count.
	c := CUBA(4000)
	c.Name, c.Seed = "other", 99
	c.Projections[0].Receptor = ""
	c.Projections[0].Weight.Kind = ""
	c.Populations[0].Params.Reset = ""
	assert.Equal(t, h, c.Hash())
	// Pinned: a change of the canonical encoding must be deliberate (trace files record it).
	assert.Equal(t, "b830f4a6cc463a4bcb6b5790b091c191ba244b9ee772aac2569837a86f795c7a", h)
}

func TestValidateBuiltNetworks(t *testing.T) {
	base := func() *Network {
		return &Network{DT: 0.1, Populations: []Population{
			{Name: "n", Size: 3, Model: ModelCuBaLIF, Params: DefaultParams()},
			{Name: "in", Size: 2, Model: ModelPoisson, Rate: 5},
		}, Projections: []Projection{
			{Name: "p", From: "in", To: "n", Connect: Connect{Kind: ConnectAll}, Weight: Const(1)},
		}}
	}
	require.NoError(t, base().Validate())
	for _, tc := range []struct {
		name   string
		change func(n *Network)
		want   string
	}{
		{"nan tau", func(n *Network) { n.Populations[0].Params.TauM = math.NaN() }, "snn: populations[0] (n).params.tau_m: must be a finite number, got NaNms"},
		{"inf bias", func(n *Network) { n.Populations[0].Params.Bias = math.Inf(1) }, "populations[0] (n).params.bias: must be a finite number, got +InfmV"},
		{"zero params", func(n *Network) { n.Populations[0].Params = NeuronParams{} }, "params.tau_m: must be > 0, got 0ms"},
		{"no model", func(n *Network) { n.Populations[0].Model = "" }, `populations[0] (n).model: unknown model ""`},
		{"params on input", func(n *Network) { n.Populations[1].Params.TauM = 1 }, "populations[1] (in).params: not used by model poisson"},
		{"init on input", func(n *Network) { n.Populations[1].InitV = Const(1) }, "populations[1] (in).init.v: not used by model poisson"},
		{"rate on neuron", func(n *Network) { n.Populations[0].Rate = 1 }, "populations[0] (n).rate: not used by model cuba-lif"},
		{"spikes on neuron", func(n *Network) { n.Populations[0].SpikeIDs = []int32{0} }, "populations[0] (n).spikes: not used by model cuba-lif"},
		{"rate nan", func(n *Network) { n.Populations[1].Rate = math.NaN() }, "populations[1] (in).rate: must be between"},
		{"dist kind", func(n *Network) { n.Populations[0].InitV = Dist{Kind: "gamma"} }, `init.v: unknown distribution "gamma"`},
		{"const with B", func(n *Network) { n.Populations[0].InitV = Dist{Kind: DistConst, A: 1, B: 2} }, "init.v: a constant has no second value"},
		{"no rule", func(n *Network) { n.Projections[0].Connect = Connect{} }, "projections[0] (p).connect: missing connectivity rule"},
		{"p with all", func(n *Network) { n.Projections[0].Connect.P = 0.5 }, "projections[0] (p).connect: a probability is only used by rule random, not all"},
		{"lists with all", func(n *Network) { n.Projections[0].Connect.Pre = []int32{0} }, "connect: index lists are only used by rule list, not all"},
		{"bad receptor", func(n *Network) { n.Projections[0].Receptor = "x" }, `projections[0] (p).receptor: want exc or inh, got "x"`},
		{"weight nan", func(n *Network) { n.Projections[0].Weight = Const(math.NaN()) }, "projections[0] (p).weight: must be finite, got NaNmV"},
		{"weights nan", func(n *Network) {
			n.Projections[0].Connect = Connect{Kind: ConnectList, Pre: []int32{0}, Post: []int32{0}}
			n.Projections[0].Weights = []float64{math.NaN()}
		}, "projections[0] (p).weights[0]: must be finite"},
		{"dt nan", func(n *Network) { n.DT = math.NaN() }, "snn: dt: must be between"},
		{"bad name", func(n *Network) { n.Populations[0].Name = "a b\nc" }, `populations[0] ("a b\nc").name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := base()
			tc.change(n)
			err := n.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}
