package trace

import "math"

// The statistics below treat the trace as covering [Steps()] time steps of
// Meta.DT seconds and max(Meta.NumNeurons, largest id + 1) neurons. They
// assume the trace is sorted (at least in time within each neuron).

// Counts returns the number of spikes of each neuron.
func (t *Trace) Counts() []int {
	c := make([]int, t.numNeurons())
	for _, id := range t.IDs {
		c[id]++
	}
	return c
}

// seconds returns the covered time in seconds (NaN when it is unknown or 0).
func (t *Trace) seconds() float64 {
	s := float64(t.Steps()) * t.Meta.DT
	if !(s > 0) {
		return math.NaN()
	}
	return s
}

// Rates returns each neuron's firing rate in Hz: its count over the covered
// time Steps()*DT (NaN when that is 0).
func (t *Trace) Rates() []float64 {
	c := t.Counts()
	sec := t.seconds()
	r := make([]float64, len(c))
	for i, n := range c {
		r[i] = float64(n) / sec
	}
	return r
}

// MeanRate returns the population's mean firing rate in Hz: spikes / neurons /
// covered time. It is NaN when there are no neurons or the time is 0.
func (t *Trace) MeanRate() float64 {
	n := t.numNeurons()
	if n == 0 {
		return math.NaN()
	}
	return float64(t.Len()) / float64(n) / t.seconds()
}

// FractionSilent returns the fraction of neurons that never fire (NaN when
// there are no neurons).
func (t *Trace) FractionSilent() float64 {
	c := t.Counts()
	if len(c) == 0 {
		return math.NaN()
	}
	silent := 0
	for _, n := range c {
		if n == 0 {
			silent++
		}
	}
	return float64(silent) / float64(len(c))
}

// CVs returns each neuron's coefficient of variation of its inter-spike
// intervals, std/mean with the population standard deviation (numpy's default
// ddof=0), as Brian2's and numpy's usual analysis computes it. Neurons with
// fewer than 3 spikes (fewer than 2 intervals) or a zero mean interval get NaN.
func (t *Trace) CVs() []float64 {
	n := t.numNeurons()
	count := make([]int, n)
	first := make([]int64, n)
	last := make([]int64, n)
	for k, id := range t.IDs {
		if count[id] == 0 {
			first[id] = t.Ticks[k]
		}
		count[id]++
		last[id] = t.Ticks[k]
	}
	// The mean interval is known from the first and last spike, so one more
	// pass accumulates the squared deviations (two-pass, like numpy's std).
	mean := make([]float64, n)
	for i := range n {
		if count[i] >= 3 {
			mean[i] = float64(last[i]-first[i]) / float64(count[i]-1)
		}
	}
	ss := make([]float64, n)
	prev := first // reused: prev[i] is neuron i's previous spike tick
	seen := make([]bool, n)
	for k, id := range t.IDs {
		if count[id] < 3 {
			continue
		}
		if !seen[id] {
			seen[id] = true
			continue // first spike: prev[id] already holds its tick
		}
		d := float64(t.Ticks[k]-prev[id]) - mean[id]
		ss[id] += d * d
		prev[id] = t.Ticks[k]
	}
	cv := make([]float64, n)
	for i := range n {
		if count[i] < 3 || mean[i] <= 0 {
			cv[i] = math.NaN()
			continue
		}
		cv[i] = math.Sqrt(ss[i]/float64(count[i]-1)) / mean[i]
	}
	return cv
}

// MeanCV returns the mean of the defined entries of [Trace.CVs] (numpy's
// nanmean) and how many neurons have one; the mean is NaN when none has.
func (t *Trace) MeanCV() (mean float64, n int) {
	var sum float64
	for _, c := range t.CVs() {
		if !math.IsNaN(c) {
			sum += c
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / float64(n), n
}
