package encode

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Spikes holds the input spikes of one sample grouped by time step, like a CSR matrix over
// steps: the neurons that spike at step t are IDs[Ptr[t]:Ptr[t+1]], in ascending order, each
// at most once. Reuse one Spikes per goroutine: encoders reset it and keep its capacity, so
// that encoding allocates nothing once the buffers have grown.
type Spikes struct {
	Ptr []int32 // Steps()+1 offsets into IDs
	IDs []int32

	// Scratch for the encoders (kept here so that encoders are plain values).
	tick []int32
	id   []int32
	f32  []float32
	cnt  []int32
}

// Reset empties s for steps time steps, keeping its buffers.
func (s *Spikes) Reset(steps int) {
	if steps < 0 {
		panic(fmt.Sprintf("encode: %d steps", steps))
	}
	s.Ptr = slices.Grow(s.Ptr[:0], steps+1)[:steps+1]
	clear(s.Ptr)
	s.IDs = s.IDs[:0]
}

// Steps returns the number of time steps.
func (s *Spikes) Steps() int { return max(len(s.Ptr)-1, 0) }

// Len returns the number of spikes.
func (s *Spikes) Len() int { return len(s.IDs) }

// At returns the neurons that spike at step t (a view).
func (s *Spikes) At(t int) []int32 {
	lo, hi := s.Ptr[t], s.Ptr[t+1]
	return s.IDs[lo:hi:hi]
}

// AppendFlat appends the spikes as (tick, id) pairs ordered by tick then id, the layout of a
// spike-source population, and returns the extended slices.
func (s *Spikes) AppendFlat(ticks []int64, ids []int32) ([]int64, []int32) {
	for t := range s.Steps() {
		for _, id := range s.At(t) {
			ticks = append(ticks, int64(t))
			ids = append(ids, id)
		}
	}
	return ticks, ids
}

// Counts adds each neuron's number of spikes to dst (which must hold every id).
func (s *Spikes) Counts(dst []int32) {
	for _, id := range s.IDs {
		dst[id]++
	}
}

// beginStep starts step t of a step-ordered encoding (steps must be begun in order).
func (s *Spikes) beginStep(t int) { s.Ptr[t] = int32(len(s.IDs)) }

// endSteps closes a step-ordered encoding.
func (s *Spikes) endSteps() { s.Ptr[len(s.Ptr)-1] = int32(len(s.IDs)) }

// pending collects (tick, id) pairs in any tick order, ids ascending within a tick if pushed
// in ascending id order; flush sorts them into Ptr/IDs by a stable counting sort.
func (s *Spikes) push(t int, id int32) {
	s.tick = append(s.tick, int32(t))
	s.id = append(s.id, id)
}

func (s *Spikes) flush() {
	steps := s.Steps()
	s.cnt = slices.Grow(s.cnt[:0], steps+1)[:steps+1]
	clear(s.cnt)
	for _, t := range s.tick {
		s.cnt[t+1]++
	}
	for t := range steps {
		s.cnt[t+1] += s.cnt[t]
	}
	copy(s.Ptr, s.cnt)
	s.IDs = slices.Grow(s.IDs[:0], len(s.id))[:len(s.id)]
	for k, t := range s.tick {
		s.IDs[s.cnt[t]] = s.id[k]
		s.cnt[t]++
	}
	s.tick, s.id = s.tick[:0], s.id[:0]
}

// SpikeEncoder turns one sample into input spikes.
type SpikeEncoder interface {
	// Name is the encoder's name on the command line ("poisson", "latency", "synthetic-nmnist").
	Name() string
	// Inputs returns the number of input neurons for samples of dim values.
	Inputs(dim int) int
	// Encode resets dst to steps time steps and writes x's spikes into it. rng is the
	// encoder's random stream (deterministic encoders ignore it and accept nil).
	Encode(dst *Spikes, x []float32, steps int, rng *rand.Rand)
}

// Names returns the encoder names, for command-line help.
func Names() []string { return []string{"poisson", "latency", "direct", "synthetic-nmnist"} }

// New returns the spike encoder of that name with its default settings. "direct" is not a
// spike encoder (see Direct) and is refused with an error.
func New(name string) (SpikeEncoder, error) {
	switch name {
	case "poisson":
		return Poisson{}, nil
	case "latency":
		return Latency{}, nil
	case "synthetic-nmnist":
		return SyntheticNMNIST{}, nil
	case "direct":
		return nil, fmt.Errorf("encode: direct injects currents, not spikes: use encode.Direct")
	}
	return nil, fmt.Errorf("encode: unknown encoder %q; known: %v", name, Names())
}
