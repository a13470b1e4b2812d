package sim

import (
	"fmt"

	"github.com/snnsim/snnsim/trace"
)

// SpikeRecord holds recorded spikes: global neuron index and tick of each, in the order
// they happened (by tick, then population, then index).
type SpikeRecord struct {
	IDs   []int32
	Ticks []int64
}

func (s *SpikeRecord) add(first int32, local []int32, t int64) {
	for _, i := range local {
		s.IDs = append(s.IDs, first+i)
		s.Ticks = append(s.Ticks, t)
	}
}

// Len returns the number of recorded spikes.
func (s *SpikeRecord) Len() int { return len(s.IDs) }

// RecordSpikes starts recording the spikes of the named populations (all when none are
// named) and returns the record that fills as the run goes on. Recording costs nothing
// when it is not asked for.
func (r *Run) RecordSpikes(pops ...string) (*SpikeRecord, error) {
	r.spikes = &SpikeRecord{}
	r.recPop = nil
	if len(pops) > 0 {
		r.recPop = make([]bool, len(r.pops))
		for _, name := range pops {
			i := r.m.PopIndex(name)
			if i < 0 {
				return nil, fmt.Errorf("sim: record: unknown population %q", name)
			}
			r.recPop[i] = true
		}
	}
	return r.spikes, nil
}

// Var names a recordable state variable.
type Var string

// The recordable variables.
const (
	VarV  Var = "v"
	VarGE Var = "ge"
	VarGI Var = "gi"
)

// StateRecord holds sampled state: Values[k][j] is the variable of neuron IDs[j] at the
// k-th sample (taken at tick Ticks[k], after that step's update and reset).
type StateRecord struct {
	Var    Var
	Pop    string
	IDs    []int32 // indices within the population
	Every  int64
	Ticks  []int64
	Values [][]float32

	pop int
}

// RecordState samples a state variable of chosen neurons of a population every `every`
// steps.
func (r *Run) RecordState(pop string, v Var, ids []int32, every int64) (*StateRecord, error) {
	i := r.m.PopIndex(pop)
	if i < 0 {
		return nil, fmt.Errorf("sim: record: unknown population %q", pop)
	}
	if r.m.Pops[i].Model.IsInput() {
		return nil, fmt.Errorf("sim: record: population %q is an input and has no state", pop)
	}
	switch v {
	case VarV, VarGE, VarGI:
	default:
		return nil, fmt.Errorf("sim: record: unknown variable %q (want v, ge or gi)", v)
	}
	for _, id := range ids {
		if id < 0 || int(id) >= r.m.Pops[i].Size {
			return nil, fmt.Errorf("sim: record: neuron %d out of range for population %q of size %d", id, pop, r.m.Pops[i].Size)
		}
	}
	if every < 1 {
		every = 1
	}
	st := &StateRecord{Var: v, Pop: pop, IDs: ids, Every: every, pop: i}
	r.states = append(r.states, st)
	return st, nil
}

func (st *StateRecord) sample(r *Run) {
	if r.tick%st.Every != 0 {
		return
	}
	s := &r.pops[st.pop]
	var src []float32
	switch st.Var {
	case VarGE:
		src = s.ge
	case VarGI:
		src = s.gi
	default:
		src = s.v
	}
	row := make([]float32, len(st.IDs))
	for j, id := range st.IDs {
		row[j] = src[id]
	}
	st.Ticks = append(st.Ticks, r.tick)
	st.Values = append(st.Values, row)
}

// PopIndex returns the index of the named population, or -1.
func (m *Model) PopIndex(name string) int {
	for i := range m.Pops {
		if m.Pops[i].Name == name {
			return i
		}
	}
	return -1
}

// Trace returns the spikes in rec as a trace with the run's metadata (dt, seed, network
// hash, population ranges, steps simulated so far). The trace shares rec's slices.
func (r *Run) Trace(rec *SpikeRecord, source string) *trace.Trace {
	m := r.m
	tr := &trace.Trace{
		IDs: rec.IDs, Ticks: rec.Ticks,
		Meta: trace.Meta{DT: m.DT / 1000, Seed: r.Seed, Source: source, NetworkHash: m.Net.Hash(),
			NumNeurons: m.NumNeurons(), Duration: r.tick},
	}
	for _, p := range m.Pops {
		tr.Meta.Populations = append(tr.Meta.Populations, trace.PopRange{Name: p.Name, First: int(p.First), Size: p.Size})
	}
	return tr
}
