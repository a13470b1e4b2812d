package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/snnsim/snnsim/snn"
)

// Run is the mutable state of one simulation of a Model: membranes, synaptic variables,
// refractory counters, delay rings and random streams. A Run is used by one goroutine.
type Run struct {
	m    *Model
	Seed uint64
	tick int64
	pops []popState

	ring   [][]pending // homogeneous-delay spike ring, maxDelay+1 slots
	spikes *SpikeRecord
	recPop []bool // populations recorded by spikes (nil: all)
	states []*StateRecord

	// Events counts synaptic events delivered (spikes × fan-out).
	Events int64
	// SpikeCount counts spikes emitted by all populations (inputs included).
	SpikeCount int64
	popSpikes  []int64
	phases     *Phases
	touched    int32 // sink of touchRows
	driven     bool  // some population has a drive (see SetDrive)
}

type pending struct {
	proj int32
	src  int32 // presynaptic local index
}

type popState struct {
	info *PopInfo
	// neurons (float32; length Size)
	v, ge, gi []float32
	ref       []int32 // refractory countdown (lif and stochastic kernels)
	// refractory bookkeeping of the dense kernels: the neurons in their refractory period,
	// the membrane each holds, and the last tick of its period
	refQ     []refEntry // FIFO from refHead on
	refHead  int
	refUntil []int64
	masks    []uint8 // scratch of the vector kernels: one threshold bitmask per 8 neurons
	// accumulator ring for per-synapse delays: acc[rec][slot*Size+i]
	acc [2][]float32
	// inputs and stochastic firing
	rng    *rand.Rand
	next   int64   // poisson: next spike position in the flattened (tick, neuron) stream
	logq   float64 // poisson: log(1-q), q = rate*dt
	q      float64
	cursor int // spike-array: next spike to emit
	// fired in this step (local ids)
	out []int32
	// pcg is rng's source (Reset reseeds it); hook holds the training hooks of score.go
	// (nil unless one is set: the plain step pays one nil check per population).
	pcg  *rand.PCG
	hook *popHook
}

// NewRun creates a Run of m with initial state drawn from seed.
func (m *Model) NewRun(seed uint64) *Run {
	r := &Run{m: m, Seed: seed, ring: make([][]pending, m.maxDelay+1)}
	r.pops = make([]popState, len(m.Pops))
	r.popSpikes = make([]int64, len(m.Pops))
	for i := range m.Pops {
		info := &m.Pops[i]
		p := m.Net.Populations[i]
		s := &r.pops[i]
		s.info = info
		ps := p.Seed
		if ps == 0 {
			ps = seed
		}
		s.pcg = rand.NewPCG(ps, mix(ps, 0x9095, uint64(i)))
		s.rng = rand.New(s.pcg)
		switch p.Model {
		case snn.ModelPoisson:
			s.q = p.Rate * m.DT / 1000
			if s.q >= 1 {
				s.q = 1
			}
			s.logq = math.Log1p(-s.q)
			s.next = s.gap() - 1
		case snn.ModelSpikes:
		default:
			n := p.Size
			s.v = make([]float32, n)
			s.ge = make([]float32, n)
			s.gi = make([]float32, n)
			s.ref = make([]int32, n)
			s.refUntil = make([]int64, n)
			for i := range s.refUntil {
				s.refUntil[i] = -1
			}
			s.out = make([]int32, 0, n)
			initV(s.v, p.InitV, p.Params.VRest, s.rng)
			if info.accSlots > 0 {
				s.acc[0] = make([]float32, info.accSlots*n)
				s.acc[1] = make([]float32, info.accSlots*n)
			}
		}
	}
	return r
}

func initV(v []float32, d snn.Dist, rest float64, rng *rand.Rand) {
	switch d.Kind {
	case snn.DistUniform:
		for i := range v {
			v[i] = float32(d.A + (d.B-d.A)*rng.Float64())
		}
	case snn.DistNormal:
		for i := range v {
			v[i] = float32(d.A + d.B*rng.NormFloat64())
		}
	default:
		x := float32(rest)
		if d.Kind == snn.DistConst {
			x = float32(d.A)
		}
		for i := range v {
			v[i] = x
		}
	}
}

// gap draws the distance to the next Poisson event in the flattened stream (>= 1).
func (s *popState) gap() int64 {
	if s.q >= 1 {
		return 1
	}
	if s.q <= 0 {
		return math.MaxInt64 / 4
	}
	u := 1 - s.rng.Float64() // (0, 1]
	g := math.Floor(math.Log(u)/s.logq) + 1
	if g > math.MaxInt64/4 {
		return math.MaxInt64 / 4
	}
	return int64(g)
}

// PopSpikes returns the number of spikes population i has emitted so far.
func (r *Run) PopSpikes(i int) int64 { return r.popSpikes[i] }

// Tick returns the number of steps simulated so far.
func (r *Run) Tick() int64 { return r.tick }

// Model returns the model r runs.
func (r *Run) Model() *Model { return r.m }

// V returns the membrane potentials of population i (a view; nil for inputs).
func (r *Run) V(i int) []float32 { return r.pops[i].v }

// Run advances the simulation by steps, checking ctx every 1024 steps.
func (r *Run) Run(ctx context.Context, steps int64) error {
	for k := int64(0); k < steps; k++ {
		if k&1023 == 0 && ctx.Err() != nil {
			return fmt.Errorf("sim: stopped at tick %d: %w", r.tick, ctx.Err())
		}
		r.Step()
	}
	return nil
}

// Step advances the simulation by one time step: every neuron integrates its inputs
// exactly, fires and resets; input populations emit their spikes; then all spikes are
// delivered (through the delay ring where delays exist) so that they act on the
// membranes from the next step on.
func (r *Run) Step() {
	m := r.m
	t := r.tick
	var t0 time.Time
	if r.phases != nil {
		t0 = time.Now()
	}
	for i := range r.pops {
		s := &r.pops[i]
		s.out = s.out[:0]
		switch s.info.Model {
		case snn.ModelPoisson:
			n := int64(s.info.Size)
			end := (t + 1) * n
			for s.next < end {
				s.out = append(s.out, int32(s.next-t*n))
				s.next += s.gap()
			}
		case snn.ModelSpikes:
			if h := s.hook; h != nil && h.inSet {
				s.out = h.appendInput(s.out, t)
				break
			}
			in := s.info
			for s.cursor < len(in.inTicks) && in.inTicks[s.cursor] <= t {
				if in.inTicks[s.cursor] == t {
					s.out = append(s.out, in.inIDs[s.cursor])
				}
				s.cursor++
			}
		default:
			s.out = r.stepNeurons(s, s.out)
		}
		if len(s.out) == 0 {
			continue
		}
		r.SpikeCount += int64(len(s.out))
		r.popSpikes[i] += int64(len(s.out))
		if r.spikes != nil && (r.recPop == nil || r.recPop[i]) {
			r.spikes.add(s.info.First, s.out, t)
		}
	}
	for _, st := range r.states {
		st.sample(r)
	}
	if r.phases != nil {
		t1 := time.Now()
		r.phases.Update += t1.Sub(t0)
		t0 = t1
	}
	// Delivery: this step's spikes (delay 0 now, others into the ring), then the ring slot.
	slot := int(t % int64(len(r.ring)))
	for i := range r.pops {
		s := &r.pops[i]
		for _, pj := range m.out[i] {
			p := &m.projs[pj]
			if p.delays == nil && p.delay > 0 {
				ds := int((t + int64(p.delay)) % int64(len(r.ring)))
				for _, src := range s.out {
					r.ring[ds] = append(r.ring[ds], pending{int32(pj), src})
				}
				continue
			}
			if len(s.out) >= touchMin {
				r.touchRows(p, s.out)
			}
			for _, src := range s.out {
				r.deliver(p, src, t)
			}
		}
	}
	if pend := r.ring[slot]; len(pend) > 0 {
		for _, e := range pend {
			r.deliver(&m.projs[e.proj], e.src, t)
		}
		r.ring[slot] = pend[:0]
	}
	for i := range r.pops {
		s := &r.pops[i]
		if s.info.accSlots == 0 {
			continue
		}
		n := s.info.Size
		a := int(t%int64(s.info.accSlots)) * n
		if s.info.Model == snn.ModelLIF {
			addClear(s.v, s.acc[0][a:a+n])
			addClear(s.v, s.acc[1][a:a+n])
			continue
		}
		addClear(s.ge, s.acc[0][a:a+n])
		addClear(s.gi, s.acc[1][a:a+n])
	}
	if r.driven {
		r.addDrives(t)
	}
	if r.phases != nil {
		r.phases.Deliver += time.Since(t0)
	}
	r.tick++
}

// Phases holds the wall time a Run spent in each phase of its steps.
type Phases struct {
	Update  time.Duration // neuron updates, inputs, monitors
	Deliver time.Duration // spike delivery (delay rings included)
}

// TimePhases starts timing the phases of every step (two clock reads per step) and
// returns the record that accumulates them. Untimed runs pay one branch per step.
func (r *Run) TimePhases() *Phases {
	r.phases = &Phases{}
	return r.phases
}

func addClear(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] += x
		src[i] = 0
	}
}

// touchMin is the number of spikes in a step from which delivery first touches every
// row: below it the rows are few and the touch costs more than it saves.
const touchMin = 16

// touchRows reads one word per cache line of the CSR rows of srcs before any of them is
// delivered. The loads are independent, so the CPU overlaps their cache misses; without
// it each row's miss would be taken in turn, behind the previous row's scattered adds.
// (Go has no prefetch instruction; this is the portable equivalent.)
func (r *Run) touchRows(p *projection, srcs []int32) {
	var x int32
	for _, src := range srcs {
		lo, hi := p.rowPtr[src], p.rowPtr[src+1]
		for k := lo; k < hi; k += 16 {
			x ^= p.cols[k]
		}
	}
	r.touched ^= x
}

// deliver adds the row of presynaptic neuron src of projection p to its targets.
func (r *Run) deliver(p *projection, src int32, t int64) {
	lo, hi := p.rowPtr[src], p.rowPtr[src+1]
	if lo == hi {
		return
	}
	r.Events += int64(hi - lo)
	d := &r.pops[p.dst]
	if p.delays != nil {
		r.deliverDelayed(p, d, lo, hi, t)
		return
	}
	var dst []float32
	switch p.rec {
	case recE:
		dst = d.ge
	case recI:
		dst = d.gi
	default:
		dst = d.v
	}
	cols := p.cols[lo:hi]
	if p.w == nil {
		addConst(dst, cols, p.w0)
	} else {
		addRow(dst, cols, p.w[lo:hi])
	}
}

func (r *Run) deliverDelayed(p *projection, d *popState, lo, hi int32, t int64) {
	n := d.info.Size
	slots := int64(d.info.accSlots)
	rec := 0
	if p.rec == recI {
		rec = 1
	}
	acc := d.acc[rec]
	for k := lo; k < hi; k++ {
		w := p.w0
		if p.w != nil {
			w = p.w[k]
		}
		c := p.cols[k]
		dl := p.delays[k]
		if dl == 0 {
			switch p.rec {
			case recE:
				d.ge[c] += w
			case recI:
				d.gi[c] += w
			default:
				d.v[c] += w
			}
			continue
		}
		acc[int((t+int64(dl))%slots)*n+int(c)] += w
	}
}

// addConst adds w to dst at every index in cols: the delivery kernel of a projection
// whose synapses all have the same weight.
func addConst(dst []float32, cols []int32, w float32) {
	for _, c := range cols {
		dst[c] += w
	}
}

// addRow adds ws[k] to dst[cols[k]]: the delivery kernel of one presynaptic row.
func addRow(dst []float32, cols []int32, ws []float32) {
	ws = ws[:len(cols)]
	for k, c := range cols {
		dst[c] += ws[k]
	}
}
