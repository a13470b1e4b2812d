package trace

import "fmt"

// Diff is the result of [Compare].
type Diff struct {
	TolTicks int // the tolerance used, in ticks
	Matched  int // spikes paired between a and b
	OnlyA    int // spikes of a without a partner in b
	OnlyB    int // spikes of b without a partner in a

	// First is the earliest unpaired spike (by tick, then id; a before b on
	// a tie) and FirstInA tells which trace holds it. Both are zero when the
	// traces are equal.
	First    Spike
	FirstInA bool
}

// Equal reports whether every spike found a partner.
func (d Diff) Equal() bool { return d.OnlyA == 0 && d.OnlyB == 0 }

// String returns a one-line summary, e.g.
//
//	equal: 120 spikes (tolerance ±0 ticks)
//	differ: 118 matched, 2 only in a, 1 only in b; first: neuron 7 at tick 42 only in a (tolerance ±0 ticks)
func (d Diff) String() string {
	if d.Equal() {
		return fmt.Sprintf("equal: %d spikes (tolerance ±%d ticks)", d.Matched, d.TolTicks)
	}
	side := "b"
	if d.FirstInA {
		side = "a"
	}
	return fmt.Sprintf("differ: %d matched, %d only in a, %d only in b; first: neuron %d at tick %d only in %s (tolerance ±%d ticks)",
		d.Matched, d.OnlyA, d.OnlyB, d.First.ID, d.First.Tick, side, d.TolTicks)
}

// Compare pairs the spikes of a and b neuron by neuron: with tolTicks = 0 a
// spike matches only a spike of the same neuron at the same tick; with
// tolTicks = k it matches one within ±k ticks. Each neuron's spikes are paired
// greedily in time order, which pairs as many as possible. Only spikes are
// compared, not metadata (the ticks of both are taken at face value). Both
// traces must be sorted; Compare panics if tolTicks < 0.
func Compare(a, b *Trace, tolTicks int) Diff {
	if tolTicks < 0 {
		panic(fmt.Sprintf("trace: Compare: negative tolerance %d", tolTicks))
	}
	d := Diff{TolTicks: tolTicks}
	n := max(a.numNeurons(), b.numNeurons())
	ra, rb := byNeuron(a, n), byNeuron(b, n)
	tol := int64(tolTicks)
	first := func(s Spike, inA bool) {
		if d.OnlyA+d.OnlyB == 0 || s.Tick < d.First.Tick ||
			(s.Tick == d.First.Tick && (s.ID < d.First.ID || (s.ID == d.First.ID && inA && !d.FirstInA))) {
			d.First, d.FirstInA = s, inA
		}
	}
	for id := range n {
		ta := ra.ticks[ra.start[id]:ra.start[id+1]]
		tb := rb.ticks[rb.start[id]:rb.start[id+1]]
		i, j := 0, 0
		for i < len(ta) && j < len(tb) {
			switch {
			case ta[i] < tb[j]-tol:
				first(Spike{int32(id), ta[i]}, true)
				d.OnlyA++
				i++
			case tb[j] < ta[i]-tol:
				first(Spike{int32(id), tb[j]}, false)
				d.OnlyB++
				j++
			default:
				d.Matched++
				i++
				j++
			}
		}
		for ; i < len(ta); i++ {
			first(Spike{int32(id), ta[i]}, true)
			d.OnlyA++
		}
		for ; j < len(tb); j++ {
			first(Spike{int32(id), tb[j]}, false)
			d.OnlyB++
		}
	}
	return d
}

// neuronTicks holds each neuron's spike ticks in time order:
// ticks[start[id]:start[id+1]].
type neuronTicks struct {
	start []int
	ticks []int64
}

// byNeuron groups t's spike ticks by neuron (a counting sort, stable so each
// neuron's ticks stay in time order).
func byNeuron(t *Trace, n int) neuronTicks {
	start := make([]int, n+1)
	for _, id := range t.IDs {
		start[id+1]++
	}
	for i := range n {
		start[i+1] += start[i]
	}
	ticks := make([]int64, len(t.IDs))
	next := make([]int, n)
	copy(next, start[:n])
	for k, id := range t.IDs {
		ticks[next[id]] = t.Ticks[k]
		next[id]++
	}
	return neuronTicks{start: start, ticks: ticks}
}
