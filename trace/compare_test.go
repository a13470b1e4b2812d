package trace

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompare(t *testing.T) {
	base := []Spike{{0, 1}, {2, 1}, {1, 5}, {0, 9}, {2, 12}}
	tests := []struct {
		name    string
		b       []Spike
		tol     int
		matched int
		onlyA   int
		onlyB   int
		first   Spike
		firstA  bool
		str     string
	}{
		{name: "identical", b: base, matched: 5,
			str: "equal: 5 spikes (tolerance ±0 ticks)"},
		{name: "missing in b", b: []Spike{{0, 1}, {2, 1}, {0, 9}, {2, 12}}, matched: 4, onlyA: 1, first: Spike{1, 5}, firstA: true,
			str: "differ: 4 matched, 1 only in a, 0 only in b; first: neuron 1 at tick 5 only in a (tolerance ±0 ticks)"},
		{name: "extra in b", b: []Spike{{0, 1}, {2, 1}, {1, 5}, {3, 7}, {0, 9}, {2, 12}, {1, 20}}, matched: 5, onlyB: 2, first: Spike{3, 7},
			str: "differ: 5 matched, 0 only in a, 2 only in b; first: neuron 3 at tick 7 only in b (tolerance ±0 ticks)"},
		{name: "shifted exact", b: []Spike{{0, 1}, {2, 2}, {1, 5}, {0, 9}, {2, 12}}, matched: 4, onlyA: 1, onlyB: 1, first: Spike{2, 1}, firstA: true},
		{name: "shifted within 1", b: []Spike{{0, 1}, {2, 2}, {1, 4}, {0, 10}, {2, 12}}, tol: 1, matched: 5,
			str: "equal: 5 spikes (tolerance ±1 ticks)"},
		{name: "shifted beyond 1", b: []Spike{{0, 1}, {2, 1}, {1, 7}, {0, 9}, {2, 12}}, tol: 1, matched: 4, onlyA: 1, onlyB: 1, first: Spike{1, 5}, firstA: true},
		{name: "other neuron", b: []Spike{{0, 1}, {2, 1}, {3, 5}, {0, 9}, {2, 12}}, tol: 3, matched: 4, onlyA: 1, onlyB: 1, first: Spike{1, 5}, firstA: true},
		{name: "empty b", b: nil, matched: 0, onlyA: 5, first: Spike{0, 1}, firstA: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := fromSpikes(0, 0, base...)
			b := fromSpikes(0, 0, tc.b...)
			b.Sort()
			d := Compare(a, b, tc.tol)
			assert.Equal(t, tc.matched, d.Matched, "matched")
			assert.Equal(t, tc.onlyA, d.OnlyA, "only a")
			assert.Equal(t, tc.onlyB, d.OnlyB, "only b")
			assert.Equal(t, tc.first, d.First, "first")
			assert.Equal(t, tc.firstA, d.FirstInA, "first in a")
			assert.Equal(t, tc.onlyA+tc.onlyB == 0, d.Equal())
			if tc.str != "" {
				assert.Equal(t, tc.str, d.String())
			}
			// Symmetry.
			r := Compare(b, a, tc.tol)
			assert.Equal(t, d.Matched, r.Matched)
			assert.Equal(t, d.OnlyA, r.OnlyB)
			assert.Equal(t, d.OnlyB, r.OnlyA)
		})
	}
	assert.Panics(t, func() { Compare(&Trace{}, &Trace{}, -1) })
}

// TestCompareGreedyOptimal checks the greedy pairing against brute force on
// small random spike trains of one neuron.
func TestCompareGreedyOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		tol := rng.IntN(4)
		ta, tb := randTicks(rng), randTicks(rng)
		a, b := &Trace{}, &Trace{}
		for _, k := range ta {
			a.Append(0, k)
		}
		for _, k := range tb {
			b.Append(0, k)
		}
		d := Compare(a, b, tol)
		require.Equal(t, maxMatching(ta, tb, int64(tol)), d.Matched, "a=%v b=%v tol=%d", ta, tb, tol)
		require.Equal(t, len(ta)-d.Matched, d.OnlyA)
		require.Equal(t, len(tb)-d.Matched, d.OnlyB)
	}
}

func randTicks(rng *rand.Rand) []int64 {
	var ts []int64
	for k := range int64(12) {
		if rng.IntN(3) == 0 {
			ts = append(ts, k)
		}
	}
	return ts
}

// maxMatching is the size of a maximum matching between a and b where
// |a_i - b_j| <= tol, by exhaustive search.
func maxMatching(a, b []int64, tol int64) int {
	if len(a) == 0 {
		return 0
	}
	best := maxMatching(a[1:], b, tol) // a[0] unmatched
	for j := range b {
		if d := a[0] - b[j]; d >= -tol && d <= tol {
			rest := append(append([]int64{}, b[:j]...), b[j+1:]...)
			best = max(best, 1+maxMatching(a[1:], rest, tol))
		}
	}
	return best
}

func BenchmarkCompare(b *testing.B) {
	x := randomTrace(1, 4000, 1000, 0.05)
	y := x.Clone()
	for b.Loop() {
		if d := Compare(x, y, 1); !d.Equal() {
			b.Fatal(d)
		}
	}
}
