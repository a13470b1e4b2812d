package trace

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fromSpikes builds a trace with dt = 0.1 ms from (id, tick) pairs.
func fromSpikes(numNeurons int, duration int64, spikes ...Spike) *Trace {
	t := &Trace{Meta: Meta{DT: 1e-4, NumNeurons: numNeurons, Duration: duration}}
	for _, s := range spikes {
		t.Append(s.ID, s.Tick)
	}
	return t
}

// randomTrace returns a sorted random trace (fixed seed).
func randomTrace(seed uint64, neurons int, steps int64, p float64) *Trace {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := &Trace{Meta: Meta{DT: 1e-4, Seed: seed, Source: "sim", NumNeurons: neurons, Duration: steps,
		NetworkHash: "ab12", Populations: []PopRange{{"E", 0, neurons - neurons/5}, {"I", neurons - neurons/5, neurons / 5}}}}
	for tick := range steps {
		for id := range neurons {
			if rng.Float64() < p {
				t.Append(int32(id), tick)
			}
		}
	}
	return t
}

func TestSortAndValidate(t *testing.T) {
	tr := fromSpikes(5, 20, Spike{3, 7}, Spike{1, 7}, Spike{4, 0}, Spike{0, 2})
	require.ErrorContains(t, tr.Validate(), "not sorted by (tick, id)")
	tr.Sort()
	require.NoError(t, tr.Validate())
	assert.Equal(t, []int32{4, 0, 1, 3}, tr.IDs)
	assert.Equal(t, []int64{0, 2, 7, 7}, tr.Ticks)

	allocs := testing.AllocsPerRun(10, tr.Sort)
	assert.Zero(t, allocs, "Sort of a sorted trace allocates")
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Trace)
		want string
	}{
		{"lengths", func(tr *Trace) { tr.Ticks = tr.Ticks[:1] }, "len(IDs)=2 != len(Ticks)=1"},
		{"no dt", func(tr *Trace) { tr.Meta.DT = 0 }, "DT = 0"},
		{"nan dt", func(tr *Trace) { tr.Meta.DT = math.NaN() }, "DT = NaN"},
		{"negative id", func(tr *Trace) { tr.IDs[0] = -1 }, "spike 0: negative neuron id -1"},
		{"id range", func(tr *Trace) { tr.IDs[1] = 5 }, "spike 1: neuron id 5 >= NumNeurons 5"},
		{"negative tick", func(tr *Trace) { tr.Ticks[0] = -3 }, "spike 0: negative tick -3"},
		{"duration", func(tr *Trace) { tr.Ticks[1] = 20 }, "spike 1: tick 20 >= Duration 20"},
		{"population", func(tr *Trace) { tr.Meta.Populations = []PopRange{{"E", 3, 4}} }, `population "E": ids [3, 7)`},
		{"negative N", func(tr *Trace) { tr.Meta.NumNeurons = -1 }, "NumNeurons = -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := fromSpikes(5, 20, Spike{0, 1}, Spike{2, 3})
			require.NoError(t, tr.Validate())
			tc.mod(tr)
			err := tr.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Regexp(t, "^trace: ", err.Error())
		})
	}
}

func TestStats(t *testing.T) {
	// Neuron 0: ticks 0,10,30,40; neuron 1: 5,6,8,20,21; neuron 2: 0,3,6
	// (regular); neuron 3: two spikes (no CV); neuron 4: silent.
	tr := fromSpikes(5, 100)
	for _, s := range []Spike{{0, 0}, {2, 0}, {2, 3}, {1, 5}, {1, 6}, {2, 6}, {1, 8}, {3, 9}, {0, 10},
		{1, 20}, {1, 21}, {0, 30}, {0, 40}, {3, 50}} {
		tr.Append(s.ID, s.Tick)
	}
	require.NoError(t, tr.Validate())

	assert.Equal(t, []int{4, 5, 3, 2, 0}, tr.Counts())
	// 100 steps of 0.1 ms = 10 ms.
	assert.InDeltaSlice(t, []float64{400, 500, 300, 200, 0}, tr.Rates(), 1e-9)
	assert.InDelta(t, 14.0/5/0.01, tr.MeanRate(), 1e-9)
	assert.InDelta(t, 0.2, tr.FractionSilent(), 1e-12)

	// Values from numpy: isi = np.diff(t); isi.std() / isi.mean().
	cv := tr.CVs()
	require.Len(t, cv, 5)
	assert.InDelta(t, 0.3535533905932738, cv[0], 1e-12)
	assert.InDelta(t, 1.1592023119369628, cv[1], 1e-12)
	assert.InDelta(t, 0.0, cv[2], 1e-12)
	assert.True(t, math.IsNaN(cv[3]), "2 spikes: no CV")
	assert.True(t, math.IsNaN(cv[4]), "silent: no CV")
	mean, n := tr.MeanCV()
	assert.Equal(t, 3, n)
	assert.InDelta(t, (0.3535533905932738+1.1592023119369628)/3, mean, 1e-12)

	// Unknown N and duration: taken from the spikes.
	tr.Meta.NumNeurons, tr.Meta.Duration = 0, 0
	assert.Equal(t, int64(51), tr.Steps())
	assert.Len(t, tr.Counts(), 4)

	empty := &Trace{Meta: Meta{DT: 1e-4}}
	assert.True(t, math.IsNaN(empty.MeanRate()))
	m, n := empty.MeanCV()
	assert.True(t, math.IsNaN(m))
	assert.Zero(t, n)
}

func TestSlice(t *testing.T) {
	tr := fromSpikes(3, 100, Spike{0, 1}, Spike{1, 10}, Spike{2, 10}, Spike{0, 50}, Spike{1, 99})
	s := tr.Slice(10, 60)
	require.NoError(t, s.Validate())
	assert.Equal(t, []int32{1, 2, 0}, s.IDs)
	assert.Equal(t, []int64{0, 0, 40}, s.Ticks)
	assert.Equal(t, int64(50), s.Meta.Duration)
	assert.InDelta(t, 3.0/3/(50*1e-4), s.MeanRate(), 1e-9)

	// Clamped to the trace's duration; the original is untouched.
	s = tr.Slice(-5, 1000)
	assert.Equal(t, int64(100), s.Meta.Duration)
	assert.Equal(t, tr.IDs, s.IDs)
	assert.Equal(t, tr.Ticks, s.Ticks)
	s.IDs[0] = 2
	assert.Equal(t, int32(0), tr.IDs[0])

	s = tr.Slice(70, 20)
	assert.Zero(t, s.Len())
}

func TestClone(t *testing.T) {
	tr := randomTrace(1, 10, 50, 0.1)
	c := tr.Clone()
	assert.Equal(t, tr, c)
	c.IDs[0]++
	c.Meta.Populations[0].Size++
	assert.NotEqual(t, tr.IDs[0], c.IDs[0])
	assert.NotEqual(t, tr.Meta.Populations[0].Size, c.Meta.Populations[0].Size)
}

// BenchmarkAppend measures a monitor's cost per spike, the trace's storage
// being reused every 64k spikes (as after the first run of a reused monitor).
func BenchmarkAppend(b *testing.B) {
	var tr Trace
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i&0xffff == 0 {
			tr.IDs, tr.Ticks = tr.IDs[:0], tr.Ticks[:0]
		}
		tr.Append(int32(i&4095), int64(i>>12))
	}
}
