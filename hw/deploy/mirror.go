package deploy

import (
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
)

// Mirror recomputes, from a run's inputs and the spikes the board reported, every
// neuron's current, membrane and firing probability: the board's arithmetic
// (docs/hardware.md §2) with the spike decisions taken from the board instead of drawn.
// The membrane trajectory is a known function of inputs, weights and past spikes, so
// for a board that computes what the specification says the probabilities are exactly
// the table entries the board used, and the likelihood-ratio score of every firing
// decision follows without any gradient flowing through the chip.
type Mirror struct {
	m     *sim.FixedModel
	state []neuron.FixedState
	acc   []int32
	fired []bool
}

// NewMirror returns a mirror of m (it reads m's weights at every Replay).
func NewMirror(m *sim.FixedModel) *Mirror {
	n := m.NumNeurons()
	return &Mirror{m: m, state: make([]neuron.FixedState, n), acc: make([]int32, n), fired: make([]bool, n)}
}

// Replay runs len(in) ticks from the zero state: in[t] are the input events of tick t,
// spikes[t] the neurons that fired at tick t (ascending; every neuron that fired, so
// every neuron must be an output neuron). It writes, for tick t and neuron i, the table
// entry the neuron's firing decision used into probs[t·N+i] (its probability in units of
// 2⁻¹⁶; 0 for deterministic neurons) and returns the number of decisions the mirror
// finds impossible: a deterministic neuron whose reported spike disagrees with u ≥ θ, a
// stochastic one that fired at probability 0. A board that follows the specification
// gives 0; a mismatched board (hw/board NonIdeal) does not.
func (mi *Mirror) Replay(in [][]sim.FixedInput, spikes [][]int32, probs []uint16) int {
	m := mi.m
	n := m.NumNeurons()
	clear(mi.state)
	clear(mi.acc)
	bad := 0
	a := m.NumAxons()
	for t := range in {
		for _, e := range in[t] {
			mi.deliver(int(e.Axon), m.AxonGroup[e.Axon], e.Count)
		}
		clear(mi.fired)
		for _, i := range spikes[t] {
			mi.fired[i] = true
		}
		pr := probs[t*n : (t+1)*n]
		for i := range m.Params {
			p := &m.Params[i]
			s := mi.state[i]
			acc := int32(neuron.Sat16(mi.acc[i]))
			mi.acc[i] = 0
			cur := int32(s.I)
			cur = int32(neuron.Sat16(cur - cur>>(p.DecayI&15) + acc))
			u := int32(s.U)
			u = int32(neuron.Sat16(u - u>>(p.DecayV&15) + cur + int32(p.Bias)))
			spike := mi.fired[i]
			if p.Stochastic {
				pr[i] = m.LUT[p.Group][neuron.LUTIndex(int16(u), p.Theta, m.LUTShift[p.Group])]
				if spike && pr[i] == 0 {
					bad++
				}
			} else {
				pr[i] = 0
				if spike != (u >= int32(p.Theta)) {
					bad++
				}
			}
			if spike {
				u = int32(neuron.Sat16(u - int32(p.Reset)))
			}
			mi.state[i] = neuron.FixedState{I: int16(cur), U: int16(u)}
		}
		// This tick's spikes reach the next tick's accumulators first, in ascending order.
		for _, i := range spikes[t] {
			mi.deliver(a+int(i), m.Params[i].Group, 1)
		}
	}
	return bad
}

// State returns the state after the last replayed tick (a view).
func (mi *Mirror) State() []neuron.FixedState { return mi.state }

func (mi *Mirror) deliver(src int, gs uint8, count uint8) {
	m := mi.m
	cols, ws := m.Row(src)
	sh := &m.Shift[gs]
	for k, c := range cols {
		mi.acc[c] = neuron.SatAdd32(mi.acc[c], neuron.Contribution(ws[k], sh[m.Params[c].Group], count))
	}
}
