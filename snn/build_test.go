package snn

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkCSR asserts the structural invariants of s.
func checkCSR(t *testing.T, s *Synapses) {
	t.Helper()
	require.Len(t, s.RowPtr, s.NPre+1)
	require.Equal(t, int32(0), s.RowPtr[0])
	require.Equal(t, int32(s.Len()), s.RowPtr[s.NPre])
	require.Len(t, s.Weights, s.Len())
	if s.Delays != nil {
		require.Len(t, s.Delays, s.Len())
	}
	for i := range s.NPre {
		row := s.Cols[s.RowPtr[i]:s.RowPtr[i+1]]
		require.True(t, slices.IsSorted(row), "row %d not sorted", i)
		for _, j := range row {
			require.True(t, j >= 0 && int(j) < s.NPost, "column %d out of range", j)
		}
	}
}

func TestBuildRules(t *testing.T) {
	for _, tc := range []struct {
		name       string
		p          Projection
		nPre, nPst int
		rowPtr     []int32
		cols       []int32
		weights    []float32
	}{
		{"all", Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectAll}, Weight: Const(2)}, 2, 3,
			[]int32{0, 3, 6}, []int32{0, 1, 2, 0, 1, 2}, []float32{2, 2, 2, 2, 2, 2}},
		{"all onto itself", Projection{From: "a", To: "a", Connect: Connect{Kind: ConnectAll}, Weight: Const(1)}, 3, 3,
			[]int32{0, 2, 4, 6}, []int32{1, 2, 0, 2, 0, 1}, []float32{1, 1, 1, 1, 1, 1}},
		{"all onto itself, self allowed", Projection{From: "a", To: "a", Connect: Connect{Kind: ConnectAll, AllowSelf: true}, Weight: Const(1)}, 2, 2,
			[]int32{0, 2, 4}, []int32{0, 1, 0, 1}, []float32{1, 1, 1, 1}},
		{"one-to-one", Projection{From: "a", To: "a", Connect: Connect{Kind: ConnectOneToOne}, Weight: Const(-1)}, 3, 3,
			[]int32{0, 1, 2, 3}, []int32{0, 1, 2}, []float32{-1, -1, -1}},
		{"list sorted, weights follow", Projection{From: "a", To: "b",
			Connect: Connect{Kind: ConnectList, Pre: []int32{2, 0, 2, 0, 2}, Post: []int32{1, 3, 0, 3, 1}},
			Weights: []float64{1, 2, 3, 4, 5}}, 3, 4,
			[]int32{0, 2, 2, 5}, []int32{3, 3, 0, 1, 1}, []float32{2, 4, 3, 1, 5}},
		{"random p=1 onto itself", Projection{From: "a", To: "a", Connect: Connect{Kind: ConnectRandom, P: 1}, Weight: Const(1)}, 3, 3,
			[]int32{0, 2, 4, 6}, []int32{1, 2, 0, 2, 0, 1}, []float32{1, 1, 1, 1, 1, 1}},
		{"random p=0", Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectRandom, P: 0}, Weight: Const(1)}, 3, 3,
			[]int32{0, 0, 0, 0}, nil, []float32{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.p.Build(tc.nPre, tc.nPst, 0.1, 1)
			require.NoError(t, err)
			checkCSR(t, s)
			assert.Equal(t, tc.rowPtr, s.RowPtr)
			assert.Equal(t, tc.cols, s.Cols)
			assert.Equal(t, tc.weights, s.Weights)
			assert.Nil(t, s.Delays)
		})
	}
}

func TestBuildRandomStatistics(t *testing.T) {
	const n, p = 2000, 0.02
	for _, self := range []bool{false, true} {
		t.Run(fmt.Sprint("allow_self=", self), func(t *testing.T) {
			pr := Projection{From: "x", To: "x", Connect: Connect{Kind: ConnectRandom, P: p, AllowSelf: self}, Weight: Const(1)}
			s, err := pr.Build(n, n, 0.1, 42)
			require.NoError(t, err)
			checkCSR(t, s)
			mean := pr.ExpectedSynapses(n, n)
			sd := math.Sqrt(mean * (1 - p))
			assert.InDelta(t, mean, float64(s.Len()), 5*sd)
			selfs, colCount := 0, make([]int, n)
			for i := range n {
				row := s.Cols[s.RowPtr[i]:s.RowPtr[i+1]]
				require.Len(t, slices.Compact(slices.Clone(row)), len(row), "duplicate synapse in row %d", i)
				for _, j := range row {
					colCount[j]++
					if int(j) == i {
						selfs++
					}
				}
			}
			if self {
				assert.InDelta(t, n*p, float64(selfs), 5*math.Sqrt(n*p))
			} else {
				assert.Zero(t, selfs)
			}
			// In-degrees are Binomial(n, p): mean 40, sd about 6.3 — no column is favoured.
			var m, m2 float64
			for _, c := range colCount {
				m += float64(c)
				m2 += float64(c) * float64(c)
			}
			m /= n
			v := m2/n - m*m
			assert.InDelta(t, n*p, m, 1)
			assert.InDelta(t, n*p*(1-p), v, 0.15*n*p*(1-p))
		})
	}
}

func TestBuildDeterminism(t *testing.T) {
	pr := Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectRandom, P: 0.1},
		Weight: Dist{Kind: DistNormal, A: 1, B: 0.2}, Delay: Dist{Kind: DistUniform, A: 0, B: 2}}
	a, err := pr.Build(300, 200, 0.1, 5)
	require.NoError(t, err)
	b, err := pr.Build(300, 200, 0.1, 5)
	require.NoError(t, err)
	assert.Equal(t, a, b, "same seed, same synapses")
	c, err := pr.Build(300, 200, 0.1, 6)
	require.NoError(t, err)
	assert.NotEqual(t, a.Cols, c.Cols, "another seed, other synapses")

	// The projection's own seed wins over the one passed in.
	own := pr
	own.Seed = 5
	d, err := own.Build(300, 200, 0.1, 12345)
	require.NoError(t, err)
	assert.Equal(t, a, d)

	// Connectivity, weights and delays have separate streams.
	other := pr
	other.Weight = Dist{Kind: DistUniform, A: 0, B: 1}
	other.Delay = Const(0)
	e, err := other.Build(300, 200, 0.1, 5)
	require.NoError(t, err)
	assert.Equal(t, a.Cols, e.Cols)
	assert.Equal(t, a.RowPtr, e.RowPtr)
	assert.Nil(t, e.Delays)
}

// TestBuildGolden pins the random streams: a change to the generators or to the order of
// draws changes the connectivity of every saved experiment, so it must be deliberate.
func TestBuildGolden(t *testing.T) {
	pr := Projection{From: "a", To: "a", Connect: Connect{Kind: ConnectRandom, P: 0.05},
		Weight: Dist{Kind: DistNormal, A: 1, B: 0.5}, Delay: Dist{Kind: DistUniform, A: 0.5, B: 3}}
	s, err := pr.Build(500, 500, 0.1, 2024)
	require.NoError(t, err)
	h := sha256.New()
	for _, xs := range [][]int32{s.RowPtr, s.Cols, s.Delays} {
		require.NoError(t, binary.Write(h, binary.LittleEndian, xs))
	}
	require.NoError(t, binary.Write(h, binary.LittleEndian, s.Weights))
	got := fmt.Sprintf("synapses %d\nsha256 %s\n", s.Len(), hex.EncodeToString(h.Sum(nil)))
	const golden = "testdata/build.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

func TestBuildWeightsAndDelays(t *testing.T) {
	pr := Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectAll},
		Weight: Dist{Kind: DistUniform, A: 1, B: 2}, Delay: Dist{Kind: DistNormal, A: 1, B: 3}}
	s, err := pr.Build(50, 40, 0.25, 3)
	require.NoError(t, err)
	checkCSR(t, s)
	require.NotNil(t, s.Delays)
	for k := range s.Len() {
		assert.True(t, s.Weights[k] >= 1 && s.Weights[k] <= 2)
		assert.True(t, s.Delays[k] >= 0, "negative draws clamp to 0")
	}
	assert.Contains(t, s.Delays, int32(0))

	// Constant delays round to whole steps.
	for _, tc := range []struct {
		ms   float64
		want []int32
	}{{0, nil}, {0.04, nil}, {0.06, []int32{1, 1}}, {1, []int32{10, 10}}, {1.26, []int32{13, 13}}} {
		pr := Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectOneToOne}, Weight: Const(1), Delay: Const(tc.ms)}
		s, err := pr.Build(2, 2, 0.1, 1)
		require.NoError(t, err)
		assert.Equal(t, tc.want, s.Delays, "delay %gms", tc.ms)
	}
	// Huge delays clamp to MaxDelaySteps.
	pr = Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectOneToOne}, Weight: Const(1), Delay: Dist{Kind: DistNormal, A: 1e9, B: 1}}
	s, err = pr.Build(1, 1, 0.1, 1)
	require.NoError(t, err)
	assert.Equal(t, []int32{MaxDelaySteps}, s.Delays)
}

func TestBuildErrors(t *testing.T) {
	rnd := Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectRandom, P: 0.5}, Weight: Const(1)}
	for _, tc := range []struct {
		name       string
		p          Projection
		nPre, nPst int
		dt         float64
		want       string
	}{
		{"negative size", rnd, -1, 3, 0.1, "population sizes -1 -> 3 out of range"},
		{"dt zero", rnd, 3, 3, 0, "dt must be > 0"},
		{"dt nan", rnd, 3, 3, math.NaN(), "dt must be > 0"},
		{"p", Projection{Connect: Connect{Kind: ConnectRandom, P: 2}}, 3, 3, 0.1, "connect.random: probability must be in [0, 1]"},
		{"no rule", Projection{}, 3, 3, 0.1, "connect: missing connectivity rule"},
		{"one-to-one", Projection{Connect: Connect{Kind: ConnectOneToOne}}, 3, 4, 0.1, "one-to-one needs equal sizes"},
		{"list range", Projection{Connect: Connect{Kind: ConnectList, Pre: []int32{3}, Post: []int32{0}}}, 3, 4, 0.1, "connect.list.pre[0]: index 3 out of range"},
		{"weights", Projection{Connect: Connect{Kind: ConnectList, Pre: []int32{0}, Post: []int32{0}}, Weights: []float64{1, 2}}, 3, 4, 0.1, "2 weights for 1 synapses"},
		{"weight nan", Projection{From: "a", To: "b", Connect: Connect{Kind: ConnectAll}, Weight: Const(math.NaN())}, 3, 4, 0.1, "weight: must be finite"},
		{"too many", Projection{Connect: Connect{Kind: ConnectAll}}, 1 << 20, 1 << 20, 0.1, "more than the limit"},
		{"self sizes", Projection{From: "a", To: "a", Connect: Connect{Kind: ConnectAll}}, 3, 4, 0.1, "onto itself with sizes 3 -> 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.Build(tc.nPre, tc.nPst, tc.dt, 1)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Regexp(t, "^snn: build: ", err.Error())
		})
	}
}

func benchmarkBuildRandom(b *testing.B, n int) {
	pr := Projection{From: "x", To: "x", Connect: Connect{Kind: ConnectRandom, P: 80 / float64(n), AllowSelf: true}, Weight: Const(1.62)}
	b.ReportAllocs()
	var syn int
	for b.Loop() {
		s, err := pr.Build(n, n, 0.1, 1)
		if err != nil {
			b.Fatal(err)
		}
		syn = s.Len()
	}
	b.ReportMetric(float64(syn)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msyn/s")
}

// BenchmarkBuildRandom builds n×n random connectivity with 80 synapses per neuron: 320 k,
// 3.2 M and 32 M synapses.
func BenchmarkBuildRandom(b *testing.B) {
	for _, n := range []int{4_000, 40_000, 400_000} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) { benchmarkBuildRandom(b, n) })
	}
}
