package trace

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Trace is a recorded spike train of a whole network: spike k is neuron IDs[k]
// firing at time step Ticks[k], i.e. at time Ticks[k]*Meta.DT seconds.
//
// A valid trace is sorted by (tick, id); see [Trace.Sort] and [Trace.Validate].
// The statistics methods assume a sorted trace.
type Trace struct {
	Meta  Meta
	IDs   []int32 // global neuron index of each spike
	Ticks []int64 // time step of each spike (time = Tick*DT)
}

// Meta describes where a trace comes from. Zero values mean "unknown" unless
// stated otherwise.
type Meta struct {
	DT          float64    // step length in seconds (required: > 0)
	Seed        uint64     // seed of the run that produced the trace
	Source      string     // "sim", "sim-fixed", "board", "brian2", "numpy", ...
	NetworkHash string     // hex sha256 of the network description, "" if unknown
	NumNeurons  int        // number of neurons the ids index (0 = unknown)
	Duration    int64      // number of simulated steps (0 = unknown)
	Populations []PopRange // optional: the id range of each population
}

// PopRange names the neuron ids First ≤ id < First+Size of one population.
type PopRange struct {
	Name  string `json:"name"`
	First int    `json:"first"`
	Size  int    `json:"size"`
}

// Spike is one spike: neuron ID fired at step Tick.
type Spike struct {
	ID   int32
	Tick int64
}

// Append records that neuron id fired at step tick. Spikes appended in
// non-decreasing tick order (and increasing id within a tick) keep the trace
// sorted; otherwise call [Trace.Sort] before using it.
func (t *Trace) Append(id int32, tick int64) {
	t.IDs = append(t.IDs, id)
	t.Ticks = append(t.Ticks, tick)
}

// Len returns the number of spikes.
func (t *Trace) Len() int { return len(t.IDs) }

// Steps returns the number of time steps the trace covers: Meta.Duration when
// known, otherwise one past the last spike's tick (0 for an empty trace).
func (t *Trace) Steps() int64 {
	if t.Meta.Duration > 0 {
		return t.Meta.Duration
	}
	var last int64 = -1
	for _, k := range t.Ticks {
		last = max(last, k)
	}
	return last + 1
}

// numNeurons returns Meta.NumNeurons, or one past the largest id when that is
// larger (or NumNeurons is unknown).
func (t *Trace) numNeurons() int {
	n := t.Meta.NumNeurons
	for _, id := range t.IDs {
		n = max(n, int(id)+1)
	}
	return n
}

// sorted reports whether the spikes are ordered by (tick, id).
func (t *Trace) sorted() bool {
	for k := 1; k < len(t.IDs); k++ {
		if t.Ticks[k] < t.Ticks[k-1] || (t.Ticks[k] == t.Ticks[k-1] && t.IDs[k] < t.IDs[k-1]) {
			return false
		}
	}
	return true
}

// Sort orders the spikes by (tick, id). It does nothing (and allocates
// nothing) when they are already in order.
func (t *Trace) Sort() {
	if len(t.IDs) != len(t.Ticks) {
		panic(fmt.Sprintf("trace: Sort: len(IDs)=%d != len(Ticks)=%d", len(t.IDs), len(t.Ticks)))
	}
	if t.sorted() {
		return
	}
	s := make([]Spike, len(t.IDs))
	for k := range s {
		s[k] = Spike{ID: t.IDs[k], Tick: t.Ticks[k]}
	}
	slices.SortFunc(s, func(a, b Spike) int {
		if c := cmp.Compare(a.Tick, b.Tick); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for k, sp := range s {
		t.IDs[k], t.Ticks[k] = sp.ID, sp.Tick
	}
}

// Validate checks the trace: equal lengths, DT positive and finite, ids
// non-negative and below NumNeurons (when known), ticks non-negative and below
// Duration (when known), spikes sorted by (tick, id), populations inside the
// id range. It returns the first problem found.
func (t *Trace) Validate() error {
	if err := t.validate(); err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	return nil
}

func (t *Trace) validate() error {
	m := &t.Meta
	if len(t.IDs) != len(t.Ticks) {
		return fmt.Errorf("len(IDs)=%d != len(Ticks)=%d", len(t.IDs), len(t.Ticks))
	}
	if !(m.DT > 0) || math.IsInf(m.DT, 0) {
		return fmt.Errorf("DT = %v, want a positive step length in seconds", m.DT)
	}
	if m.NumNeurons < 0 {
		return fmt.Errorf("NumNeurons = %d is negative", m.NumNeurons)
	}
	if m.Duration < 0 {
		return fmt.Errorf("Duration = %d is negative", m.Duration)
	}
	for k, id := range t.IDs {
		tick := t.Ticks[k]
		switch {
		case id < 0:
			return fmt.Errorf("spike %d: negative neuron id %d", k, id)
		case m.NumNeurons > 0 && int(id) >= m.NumNeurons:
			return fmt.Errorf("spike %d: neuron id %d >= NumNeurons %d", k, id, m.NumNeurons)
		case tick < 0:
			return fmt.Errorf("spike %d: negative tick %d", k, tick)
		case m.Duration > 0 && tick >= m.Duration:
			return fmt.Errorf("spike %d: tick %d >= Duration %d", k, tick, m.Duration)
		}
		if k > 0 && (tick < t.Ticks[k-1] || (tick == t.Ticks[k-1] && id < t.IDs[k-1])) {
			return fmt.Errorf("spike %d (id %d, tick %d) comes before spike %d (id %d, tick %d): not sorted by (tick, id)",
				k, id, tick, k-1, t.IDs[k-1], t.Ticks[k-1])
		}
	}
	for _, p := range m.Populations {
		if p.First < 0 || p.Size < 0 || (m.NumNeurons > 0 && p.First+p.Size > m.NumNeurons) {
			return fmt.Errorf("population %q: ids [%d, %d) outside [0, NumNeurons=%d)",
				p.Name, p.First, p.First+p.Size, m.NumNeurons)
		}
	}
	return nil
}

// Slice returns a copy of the spikes with fromTick ≤ tick < toTick, re-based
// so that fromTick becomes tick 0; its Duration is the window's length
// (toTick clamped to the trace's Duration when that is known). Statistics of
// the slice are therefore those of the window, e.g. the rate after a
// transient: tr.Slice(transient, tr.Steps()).MeanRate(). The trace must be
// sorted.
func (t *Trace) Slice(fromTick, toTick int64) *Trace {
	fromTick = max(fromTick, 0)
	if t.Meta.Duration > 0 {
		toTick = min(toTick, t.Meta.Duration)
	}
	toTick = max(toTick, fromTick)
	lo := sort.Search(len(t.Ticks), func(k int) bool { return t.Ticks[k] >= fromTick })
	hi := sort.Search(len(t.Ticks), func(k int) bool { return t.Ticks[k] >= toTick })
	out := &Trace{Meta: t.Meta}
	out.Meta.Populations = slices.Clone(t.Meta.Populations)
	out.Meta.Duration = toTick - fromTick
	out.IDs = slices.Clone(t.IDs[lo:hi])
	out.Ticks = make([]int64, hi-lo)
	for k, tick := range t.Ticks[lo:hi] {
		out.Ticks[k] = tick - fromTick
	}
	return out
}

// Clone returns a deep copy of t.
func (t *Trace) Clone() *Trace {
	out := &Trace{Meta: t.Meta, IDs: slices.Clone(t.IDs), Ticks: slices.Clone(t.Ticks)}
	out.Meta.Populations = slices.Clone(t.Meta.Populations)
	return out
}

// FormatError reports a trace file that cannot be read. Error() gives a
// one-line message: `trace: PATH: array "NAME": problem`.
type FormatError struct {
	Path  string // file name, "" when reading from an io.ReaderAt
	Array string // offending array, "" when the problem is not in one array
	Err   error
}

func (e *FormatError) Error() string {
	s := "trace: "
	if e.Path != "" {
		s += e.Path + ": "
	}
	if e.Array != "" {
		s += fmt.Sprintf("array %q: ", e.Array)
	}
	return s + e.Err.Error()
}

func (e *FormatError) Unwrap() error { return e.Err }

// formatErr builds a *FormatError for array name.
func formatErr(array, format string, args ...any) error {
	return &FormatError{Array: array, Err: fmt.Errorf(format, args...)}
}

// withPath sets the path of a *FormatError (or wraps another error).
func withPath(err error, path string) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.Path = path
		return fe
	}
	return &FormatError{Path: path, Err: err}
}
