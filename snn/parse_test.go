package snn

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// withoutSeeds returns a copy of n with every seed zeroed.
func withoutSeeds(n *Network) *Network {
	c := *n
	c.Seed = 0
	c.Populations = append([]Population(nil), n.Populations...)
	c.Projections = append([]Projection(nil), n.Projections...)
	for i := range c.Populations {
		c.Populations[i].Seed = 0
	}
	for i := range c.Projections {
		c.Projections[i].Seed = 0
	}
	return &c
}

func TestParseExamplesMatchBuilders(t *testing.T) {
	for _, tc := range []struct {
		file string
		want *Network
	}{
		{"../examples/cuba.yaml", CUBA(4000)},
		{"../examples/coba.yaml", COBA(4000)},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			got, err := Load(tc.file)
			require.NoError(t, err)
			assert.Equal(t, tc.want, withoutSeeds(got))
			assert.Equal(t, tc.want.Hash(), withoutSeeds(got).Hash())
		})
	}
}

func TestParseFilesRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	more, err := filepath.Glob("../examples/*.yaml")
	require.NoError(t, err)
	files = append(files, more...)
	require.GreaterOrEqual(t, len(files), 6)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			n, err := Load(f)
			require.NoError(t, err)
			out, err := Format(n)
			require.NoError(t, err)
			back, err := Parse(out)
			require.NoError(t, err, "formatted:\n%s", out)
			assert.Equal(t, n, back)
			assert.Equal(t, n.Hash(), back.Hash())
			again, err := Format(back)
			require.NoError(t, err)
			assert.Equal(t, string(out), string(again), "Format is not stable")
		})
	}
}

// TestFormatGolden pins the file format: testdata/X.yaml formats to testdata/X.golden.
// Rewrite with go test ./snn/ -run TestFormatGolden -update.
func TestFormatGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			n, err := Load(f)
			require.NoError(t, err)
			out, err := Format(n)
			require.NoError(t, err)
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(out))
		})
	}
}

func TestParseTiny(t *testing.T) {
	n, err := Load("testdata/tiny.yaml")
	require.NoError(t, err)
	assert.Equal(t, "tiny", n.Name)
	assert.Equal(t, 0.1, n.DT)
	assert.Equal(t, uint64(7), n.Seed)
	require.Len(t, n.Populations, 2)
	in := n.Populations[0]
	assert.Equal(t, ModelSpikes, in.Model)
	assert.Equal(t, []int32{0, 1, 0, 1}, in.SpikeIDs)
	assert.Equal(t, []float64{1, 1.5, 10, 12}, in.SpikeTimes)
	assert.Equal(t, NeuronParams{}, in.Params)
	out := n.Populations[1]
	want := DefaultParams()
	want.TauM, want.VRest, want.VThresh, want.VReset, want.Refractory = 10, 0, 1, 0, 0
	assert.Equal(t, want, out.Params)
	assert.Equal(t, Dist{}, out.InitV, "no init: v starts at v_rest")
	pr := n.Projections[0]
	assert.Equal(t, Exc, pr.Receptor)
	assert.Equal(t, Connect{Kind: ConnectList, Pre: []int32{1, 0, 0}, Post: []int32{1, 1, 0}}, pr.Connect)
	assert.Equal(t, []float64{0.6, 0.7, 1.2}, pr.Weights)
	assert.Equal(t, Const(1), pr.Delay)
}

func TestParseDefaults(t *testing.T) {
	n, err := Parse([]byte(`
populations:
  - {name: a, size: 3, model: cuba-lif}
  - {name: b, size: 3, model: cuba-lif}
projections:
  - {from: a, to: b, connect: one-to-one, weight: 1}
`))
	require.NoError(t, err)
	assert.Equal(t, DefaultDT, n.DT)
	assert.Equal(t, uint64(0), n.Seed)
	assert.Equal(t, DefaultParams(), n.Populations[0].Params)
	assert.Equal(t, Exc, n.Projections[0].Receptor)
	assert.Equal(t, Dist{}, n.Projections[0].Delay)
	assert.Equal(t, Const(1), n.Projections[0].Weight)
	assert.False(t, n.Projections[0].Connect.AllowSelf)
	assert.Equal(t, 6, n.NumNeurons())
}

func TestParseQuantities(t *testing.T) {
	for _, tc := range []struct {
		in   string
		d    dim
		want float64
		unit bool
	}{
		{"20", dimTime, 20, false},
		{"20ms", dimTime, 20, true},
		{"20 ms", dimTime, 20, true},
		{"0.5s", dimTime, 500, true},
		{"1e-3s", dimTime, 1, true},
		{"250us", dimTime, 0.25, true},
		{"250µs", dimTime, 0.25, true},
		{"-49mV", dimVolt, -49, true},
		{"-0.049V", dimVolt, -49, true},
		{"500uV", dimVolt, 0.5, true},
		{"+3", dimVolt, 3, false},
		{"20Hz", dimRate, 20, true},
		{"1.5kHz", dimRate, 1500, true},
		{"1.62mV", dimWeight, 1.62, true},
		{"0.6", dimWeight, 0.6, false},
		{"0.02", dimNone, 0.02, false},
	} {
		got, unit, err := parseQuantity(tc.in, tc.d)
		require.NoError(t, err, tc.in)
		assert.InDelta(t, tc.want, got, 1e-12, tc.in)
		assert.Equal(t, tc.unit, unit, tc.in)
	}
	for _, tc := range []struct {
		in   string
		d    dim
		want string
	}{
		{"5mV", dimTime, "want a time (s, ms, us), got unit mV"},
		{"5ms", dimVolt, "want a voltage"},
		{"5Hz", dimNone, "want a plain number"},
		{"5mv", dimVolt, `cannot read "5mv" as a voltage`},
		{"ms", dimTime, "cannot read"},
		{"NaN", dimTime, "finite"},
		{"inf ms", dimTime, "finite"},
		{"1e400", dimTime, "cannot read"},
		{"", dimRate, "cannot read"},
	} {
		_, _, err := parseQuantity(tc.in, tc.d)
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.want, tc.in)
	}
}

// good is a valid file the bad cases below are variations of.
const good = `
name: net
dt: 0.1ms
populations:
  - name: exc
    size: 10
    model: cuba-lif
    params: {tau_m: 20ms, v_thresh: -50mV, v_reset: -60mV}
  - name: inh
    size: 5
    model: cuba-lif
  - name: stim
    size: 4
    model: poisson
    rate: 20Hz
  - name: replay
    size: 2
    model: spikes
    spikes: {ids: [0, 1], times: [1ms, 2ms]}
projections:
  - {name: ee, from: exc, to: exc, connect: {random: 0.2}, weight: 1mV}
  - {name: ie, from: inh, to: exc, receptor: inh, connect: all, weight: -2mV}
  - {from: stim, to: exc, connect: {random: 0.5}, weight: {uniform: [1mV, 2mV]}, delay: 1ms}
  - {from: replay, to: inh, connect: {list: {pre: [0, 1], post: [4, 0]}}, weights: [1, 2]}
`

// edit returns good with old replaced by new (which must occur).
func edit(t *testing.T, old, new string) string {
	t.Helper()
	require.Contains(t, good, old)
	return strings.Replace(good, old, new, 1)
}

func TestParseGood(t *testing.T) {
	n, err := Parse([]byte(good))
	require.NoError(t, err)
	assert.Len(t, n.Populations, 4)
	assert.Len(t, n.Projections, 4)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		want string // substring of the error
	}{
		// syntax and shape
		{"empty", "", "snn: empty network file"},
		{"syntax", "populations: [\n  - a: b\n", "snn: line "},
		{"tab", "populations:\n\t- name: x\n", "snn: line 2: "},
		{"two docs", good + "---\nname: x\n", "more than one YAML document"},
		{"top not map", "- a\n- b\n", "want a mapping (key: value), got a list"},
		{"no populations", "name: x\n", `missing key "populations"`},
		{"no populations list", "populations: {}\n", "populations: want a list, got a mapping"},
		{"empty populations", "populations: []\n", "populations: a network needs at least one population"},
		{"unknown top key", "nam: x\n" + good, `unknown key "nam" (want name, dt, seed, populations, projections)`},
		{"duplicate key", edit(t, "dt: 0.1ms", "dt: 0.1ms\ndt: 0.2ms"), `line 4: key "dt" given twice`},
		{"merge of list", "populations:\n  - {<<: [1], name: a, size: 1, model: lif}\n", "want a mapping"},
		// network
		{"dt zero", edit(t, "dt: 0.1ms", "dt: 0"), "line 3: dt: must be between 1e-06ms and 1000ms, got 0ms"},
		{"dt negative", edit(t, "dt: 0.1ms", "dt: -1ms"), "dt: must be between"},
		{"dt nan", edit(t, "dt: 0.1ms", "dt: .nan"), "line 3: dt: must be a finite number"},
		{"dt unit", edit(t, "dt: 0.1ms", "dt: 0.1mV"), "dt: want a time (s, ms, us), got unit mV"},
		{"dt list", edit(t, "dt: 0.1ms", "dt: [1]"), "dt: want a single value, got a list"},
		{"seed negative", edit(t, "name: net", "name: net\nseed: -1"), "seed: want a non-negative integer seed"},
		// populations
		{"pop unknown key", edit(t, "    size: 5\n", "    size: 5\n    sise: 5\n"), `populations[1] (inh): unknown key "sise"`},
		{"pop no name", edit(t, "  - name: inh\n    size: 5", "  - size: 5"), `populations[1]: missing key "name"`},
		{"pop bad name", edit(t, "name: inh", "name: 'in h'"), `populations[1] ("in h").name: "in h" is not a valid name`},
		{"pop dup name", edit(t, "name: inh", "name: exc"), `line 9: populations[1] (exc).name: duplicate population name "exc" (also populations[0])`},
		{"pop size zero", edit(t, "size: 5", "size: 0"), "populations[1] (inh).size: must be between 1 and"},
		{"pop size negative", edit(t, "size: 5", "size: -5"), "populations[1] (inh).size: must be between 1 and"},
		{"pop size huge", edit(t, "size: 5", "size: 1e12"), "populations[1] (inh).size: must be between 1 and 134217728, got 1000000000000"},
		{"pop size float", edit(t, "size: 5", "size: 5.5"), `populations[1] (inh).size: want an integer, got "5.5"`},
		{"pop size text", edit(t, "size: 5", "size: five"), `populations[1] (inh).size: want an integer, got "five"`},
		{"pop no size", edit(t, "    size: 5\n", ""), `populations[1] (inh): missing key "size"`},
		{"pop no model", edit(t, "    model: poisson\n", ""), `populations[2] (stim): missing key "model"`},
		{"pop bad model", edit(t, "model: poisson", "model: posson"), `populations[2] (stim).model: unknown model "posson"`},
		{"total too big", edit(t, "size: 5", "size: 134217720"), "populations[1] (inh).size: the network has more than 134217728 neurons"},
		// neuron params
		{"tau_m negative", edit(t, "tau_m: 20ms", "tau_m: -5ms"), "line 8: populations[0] (exc).params.tau_m: must be > 0, got -5ms"},
		{"tau_m zero", edit(t, "tau_m: 20ms", "tau_m: 0"), "populations[0] (exc).params.tau_m: must be > 0, got 0ms"},
		{"tau_e zero", edit(t, "tau_m: 20ms", "tau_e: 0s"), "params.tau_e: must be > 0"},
		{"tau_i unit", edit(t, "tau_m: 20ms", "tau_i: 3Hz"), "params.tau_i: want a time"},
		{"param unknown", edit(t, "tau_m: 20ms", "tau: 20ms"), `populations[0] (exc).params: unknown key "tau"`},
		{"reset above thresh", edit(t, "v_reset: -60mV", "v_reset: -40mV"), "populations[0] (exc).params.v_reset: must be below v_thresh (-50mV), got -40mV"},
		{"reset equal thresh", edit(t, "v_reset: -60mV", "v_reset: -50mV"), "params.v_reset: must be below v_thresh"},
		{"refractory negative", edit(t, "tau_m: 20ms", "refractory: -1ms"), "params.refractory: must be >= 0, got -1ms"},
		{"beta negative", edit(t, "tau_m: 20ms", "beta: -1mV"), "params.beta: must be >= 0"},
		{"reset mode", edit(t, "tau_m: 20ms", "reset: zero"), `params.reset: want value or subtract, got "zero"`},
		{"params not map", edit(t, "params: {tau_m: 20ms, v_thresh: -50mV, v_reset: -60mV}", "params: 5"), `populations[0] (exc).params: want a mapping (key: value), got "5"`},
		{"params null", edit(t, "tau_m: 20ms", "tau_m: ~"), "params.tau_m: want a single value, got nothing (null)"},
		{"init bad", edit(t, "    size: 5\n", "    size: 5\n    init: {v: {uniform: [-50mV, -60mV]}}\n"), "populations[1] (inh).init.v: uniform needs low <= high, got uniform[-50mV, -60mV]"},
		{"init sd", edit(t, "    size: 5\n", "    size: 5\n    init: {v: {normal: [-50mV, -1mV]}}\n"), "init.v: normal needs sd >= 0"},
		{"init two dists", edit(t, "    size: 5\n", "    size: 5\n    init: {v: {normal: [1, 1], uniform: [0, 1]}}\n"), "init.v: want exactly one of const, uniform, normal"},
		{"init three values", edit(t, "    size: 5\n", "    size: 5\n    init: {v: {normal: [1, 1, 1]}}\n"), "init.v.normal: want a list of two values [mean, sd], got 3"},
		{"init unknown", edit(t, "    size: 5\n", "    size: 5\n    init: {u: 1}\n"), `populations[1] (inh).init: unknown key "u" (want v)`},
		{"params on input", edit(t, "rate: 20Hz", "rate: 20Hz\n    params: {tau_m: 1}"), "populations[2] (stim).params: not used by model poisson"},
		{"rate on neuron", edit(t, "    size: 5\n", "    size: 5\n    rate: 5Hz\n"), "populations[1] (inh).rate: not used by model cuba-lif"},
		// inputs
		{"no rate", edit(t, "    rate: 20Hz\n", ""), `populations[2] (stim): missing key "rate"`},
		{"rate negative", edit(t, "rate: 20Hz", "rate: -1Hz"), "line 15: populations[2] (stim).rate: must be between 0Hz and 1/dt = 10000Hz, got -1Hz"},
		{"rate too high", edit(t, "rate: 20Hz", "rate: 20kHz"), "populations[2] (stim).rate: must be between 0Hz and 1/dt"},
		{"rate unit", edit(t, "rate: 20Hz", "rate: 20ms"), "rate: want a rate (Hz, kHz), got unit ms"},
		{"no spikes", edit(t, "    spikes: {ids: [0, 1], times: [1ms, 2ms]}\n", ""), `populations[3] (replay): missing key "spikes"`},
		{"spike id range", edit(t, "ids: [0, 1]", "ids: [0, 2]"), "populations[3] (replay).spikes.ids[1]: neuron 2 out of range [0, 2)"},
		{"spike id negative", edit(t, "ids: [0, 1]", "ids: [-1, 1]"), "spikes.ids[0]: neuron -1 out of range"},
		{"spike time negative", edit(t, "times: [1ms, 2ms]", "times: [1ms, -2ms]"), "line 19: populations[3] (replay).spikes.times[1]: must be between 0ms and 1e+09ms, got -2ms"},
		{"spike time nan", edit(t, "times: [1ms, 2ms]", "times: [1ms, .nan]"), "spikes.times[1]: must be a finite number"},
		{"spike time NaN string", edit(t, "times: [1ms, 2ms]", "times: [1ms, NaN ms]"), "spikes.times[1]: must be a finite number"},
		{"spike lengths", edit(t, "times: [1ms, 2ms]", "times: [1ms]"), "populations[3] (replay).spikes.times: 1 times for 2 ids"},
		{"spike no times", edit(t, ", times: [1ms, 2ms]", ""), `populations[3] (replay).spikes: missing key "times"`},
		// projections
		{"proj unknown to", edit(t, "to: exc, connect: {random: 0.2}", "to: exz, connect: {random: 0.2}"), `line 21: projections[0] (ee).to: unknown population "exz"`},
		{"proj unknown from", edit(t, "from: inh", "from: inhh"), `projections[1] (ie).from: unknown population "inhh"`},
		{"proj no from", edit(t, "from: inh, ", ""), `projections[1] (ie): missing key "from"`},
		{"proj to input", edit(t, "to: inh, connect: {list", "to: stim, connect: {list"), `projections[3].to: population "stim" is an input (poisson) and cannot receive synapses`},
		{"proj dup name", edit(t, "name: ie", "name: ee"), `projections[1] (ee).name: duplicate projection name "ee" (also projections[0])`},
		{"proj bad name", edit(t, "name: ie", "name: 'i e'"), `projections[1] ("i e").name: "i e" is not a valid name`},
		{"proj unknown key", edit(t, "receptor: inh", "receptr: inh"), `projections[1] (ie): unknown key "receptr"`},
		{"receptor", edit(t, "receptor: inh", "receptor: gaba"), `projections[1] (ie).receptor: want exc or inh, got "gaba"`},
		{"p above 1", edit(t, "random: 0.2", "random: 1.5"), "projections[0] (ee).connect.random: probability must be in [0, 1], got 1.5"},
		{"p negative", edit(t, "random: 0.2", "random: -0.1"), "connect.random: probability must be in [0, 1], got -0.1"},
		{"p unit", edit(t, "random: 0.2", "random: 2ms"), "connect.random: want a plain number, got unit ms"},
		{"rule unknown", edit(t, "connect: all", "connect: every"), `projections[1] (ie).connect: unknown rule "every"`},
		{"rule random bare", edit(t, "connect: all", "connect: random"), "connect: rule random needs a value"},
		{"rule two", edit(t, "{random: 0.2}", "{random: 0.2, all: true}"), "connect: want exactly one rule of all, one-to-one, random, list; got 2"},
		{"rule all false", edit(t, "connect: all", "connect: {all: false}"), "connect.all: must be true"},
		{"allow_self text", edit(t, "{random: 0.2}", "{random: 0.2, allow_self: sure}"), `connect.allow_self: want true or false, got "sure"`},
		{"one-to-one sizes", edit(t, "connect: all", "connect: one-to-one"), `projections[1] (ie).connect: one-to-one needs equal sizes, got "inh" (5) -> "exc" (10)`},
		{"list range post", edit(t, "post: [4, 0]", "post: [5, 0]"), `projections[3].connect.list.post[0]: index 5 out of range for population "inh" of size 5`},
		{"list range pre", edit(t, "pre: [0, 1]", "pre: [0, 2]"), `projections[3].connect.list.pre[1]: index 2 out of range for population "replay" of size 2`},
		{"list negative", edit(t, "pre: [0, 1]", "pre: [0, -1]"), "connect.list.pre[1]: index -1 out of range"},
		{"list lengths", edit(t, "post: [4, 0]", "post: [4]"), "projections[3].connect.list.post: 1 post indices for 2 pre indices"},
		{"weights count", edit(t, "weights: [1, 2]", "weights: [1]"), "projections[3].weights: 1 weights for 2 synapses"},
		{"weights without list", edit(t, "connect: all, weight: -2mV", "connect: all, weights: [1]"), "projections[1] (ie).weights: explicit weights need list connectivity, not all"},
		{"weight and weights", edit(t, "weights: [1, 2]", "weights: [1, 2], weight: 1"), "give either weight or weights, not both"},
		{"no weight", edit(t, ", weight: -2mV", ""), `projections[1] (ie): missing key "weight"`},
		{"weight unit", edit(t, "weight: -2mV", "weight: -2ms"), "projections[1] (ie).weight: want a weight (mV, or a plain number), got unit ms"},
		{"weight nan", edit(t, "weight: -2mV", "weight: .inf"), "weight: must be a finite number"},
		{"weight dist", edit(t, "uniform: [1mV, 2mV]", "uniform: [3mV, 2mV]"), "projections[2].weight: uniform needs low <= high, got uniform[3mV, 2mV]"},
		{"weight dist kind", edit(t, "uniform: [1mV, 2mV]", "gamma: [3mV, 2mV]"), `projections[2].weight: unknown key "gamma" (want const, uniform, normal)`},
		{"delay negative", edit(t, "delay: 1ms", "delay: -1ms"), "line 23: projections[2].delay: must be between 0ms and 6553.6ms (65536 steps), got -1ms"},
		{"delay huge", edit(t, "delay: 1ms", "delay: 1e4s"), "projections[2].delay: must be between 0ms and 6553.6ms"},
		{"delay uniform negative", edit(t, "delay: 1ms", "delay: {uniform: [-1ms, 1ms]}"), "projections[2].delay: must lie between 0ms and"},
		{"delay unit", edit(t, "delay: 1ms", "delay: 1mV"), "projections[2].delay: want a time"},
		{"too many synapses", edit(t, "size: 10", "size: 100000000"), "projections[0] (ee).connect: would create about 2e+15 synapses, more than the limit 1073741824"},
		{"projections not list", "populations:\n  - {name: a, size: 1, model: lif}\nprojections: 3\n", "line 3: projections: want a list, got \"3\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse([]byte(tc.file))
			require.Error(t, err)
			assert.Nil(t, n)
			msg := err.Error()
			assert.Contains(t, msg, tc.want)
			assert.True(t, strings.HasPrefix(msg, "snn: "), msg)
			assert.NotContains(t, msg, "\n", "error must be one line")
			_, ok := errors.AsType[*Error](err)
			assert.True(t, ok, "want an *snn.Error, got %T", err)
		})
	}
}

func TestParseCobaWeightUnits(t *testing.T) {
	file := `
populations:
  - {name: a, size: 2, model: coba-lif}
projections:
  - {from: a, to: a, connect: all, weight: 0.5mV}
`
	_, err := Parse([]byte(file))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 5: projections[0].weight: weights onto conductance-based population "a" are plain numbers`)
	_, err = Parse([]byte(strings.Replace(file, "weight: 0.5mV", "weight: -0.5", 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "projections[0].weight: conductance weights must be >= 0, got -0.5")
	n, err := Parse([]byte(strings.Replace(file, "weight: 0.5mV", "weight: 0.5", 1)))
	require.NoError(t, err)
	assert.Equal(t, Const(0.5), n.Projections[0].Weight)
}

func TestParseAliases(t *testing.T) {
	lif := "populations:\n  - {name: a, size: 1, model: lif, params: %s}\n"
	// Plain aliases and merge keys work.
	n, err := Parse([]byte("populations:\n  - {name: a, size: 1, model: lif, params: &p {tau_m: 7}}\n" +
		"  - {name: b, size: 1, model: lif, params: {<<: *p, tau_e: 3}}\n  - {name: c, size: 1, model: lif, params: *p}\n"))
	require.NoError(t, err)
	assert.Equal(t, 7.0, n.Populations[1].Params.TauM)
	assert.Equal(t, 3.0, n.Populations[1].Params.TauE)
	assert.Equal(t, n.Populations[0].Params, n.Populations[2].Params)

	// Cycles and exponential expansions ("billion laughs") are rejected, not followed.
	for _, tc := range []struct{ name, file, want string }{
		{"alias cycle", "populations: &a [*a]\n", "want a mapping"},
		{"merge cycle", fmt.Sprintf(lif, "&p {<<: *p}"), "merge keys nested too deeply"},
		{"bomb", fmt.Sprintf(lif, bomb(7, 100)), "document too complex"},
		{"deep bomb", fmt.Sprintf(lif, bomb(30, 2)), "merge keys nested too deeply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.file))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// bomb returns a flow mapping that merges `width` copies of a mapping that merges `width`
// copies of ... `levels` deep.
func bomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("{<<: [&x0 {tau_m: 1}")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, ", &x%d {<<: [", i)
		for k := range width {
			if k > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*x%d", i-1)
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	return b.String()
}

func TestLoadErrors(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist))
	assert.True(t, strings.HasPrefix(err.Error(), "snn: "))

	dir := t.TempDir()
	f := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(f, []byte(edit(t, "tau_m: 20ms", "tau_m: -5ms")), 0o644))
	_, err = Load(f)
	require.Error(t, err)
	assert.Equal(t, "snn: "+f+":8: populations[0] (exc).params.tau_m: must be > 0, got -5ms", err.Error())

	require.NoError(t, os.WriteFile(f, []byte("populations: [\n"), 0o644))
	_, err = Load(f)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "snn: "+f+":")
}
