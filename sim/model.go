package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
)

// Model is a compiled network: neuron propagators and synapses in CSR form, ready to run.
// A Model is immutable once compiled and may be shared by any number of Runs, on any
// number of goroutines (noise copies share connectivity and differ only in their seeds).
type Model struct {
	Net   *snn.Network
	DT    float64 // ms
	Pops  []PopInfo
	projs []projection
	out   [][]int // projections leaving each population
	// maxDelay is the longest homogeneous delay in steps (the spike ring has maxDelay+1
	// slots); hetero is true when some projection has per-synapse delays.
	maxDelay int32
	// Synapses counts all synapses.
	Synapses int
}

// PopInfo describes one population of a compiled model.
type PopInfo struct {
	Name  string
	Model snn.Model
	First int32 // global index of the population's first neuron
	Size  int
	Prop  neuron.Propagator // neuron models only
	// accSlots > 0: the population receives per-synapse delays and keeps an accumulator
	// ring of that many slots per receptor.
	accSlots int
	// spike-array inputs, sorted by (tick, id)
	inTicks []int64
	inIDs   []int32
}

// NumNeurons returns the number of neurons in all populations (inputs included).
func (m *Model) NumNeurons() int {
	last := m.Pops[len(m.Pops)-1]
	return int(last.First) + last.Size
}

// receptor indices into a population's synaptic arrays
const (
	recE = 0
	recI = 1
	recV = 2 // delta synapses straight onto the membrane (lif)
)

type projection struct {
	name     string
	src, dst int
	rec      int
	rowPtr   []int32
	cols     []int32
	w        []float32 // nil: all synapses have weight w0
	w0       float32
	delay    int32   // homogeneous delay in steps
	delays   []int32 // per-synapse delays (nil: homogeneous)
	dense    bool    // every row holds every target once, in order (see score.go)
}

// Compile builds a runnable model of net. Connectivity and weights are drawn from seed
// (a projection's own seed, when set, wins), so one seed gives one network.
func Compile(net *snn.Network, seed uint64) (*Model, error) {
	if net == nil || len(net.Populations) == 0 {
		return nil, fmt.Errorf("sim: network has no populations")
	}
	if !(net.DT > 0) {
		return nil, fmt.Errorf("sim: dt must be > 0, got %g", net.DT)
	}
	m := &Model{Net: net, DT: net.DT, out: make([][]int, len(net.Populations))}
	first := int32(0)
	index := map[string]int{}
	for i, p := range net.Populations {
		if int64(first)+int64(p.Size) > math.MaxInt32 {
			return nil, fmt.Errorf("sim: too many neurons (more than %d)", math.MaxInt32)
		}
		pi := PopInfo{Name: p.Name, Model: p.Model, First: first, Size: p.Size}
		if !p.Model.IsInput() {
			prop, err := neuron.NewPropagator(p.Model, p.Params, net.DT)
			if err != nil {
				return nil, fmt.Errorf("sim: population %q: %w", p.Name, err)
			}
			pi.Prop = prop
		}
		if p.Model == snn.ModelSpikes {
			pi.inTicks, pi.inIDs = spikeArray(p, net.DT)
		}
		m.Pops = append(m.Pops, pi)
		index[p.Name] = i
		first += int32(p.Size)
	}
	for k := range net.Projections {
		pr := &net.Projections[k]
		src, ok1 := index[pr.From]
		dst, ok2 := index[pr.To]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("sim: projection %q: unknown population %q or %q", pr.Name, pr.From, pr.To)
		}
		if net.Populations[dst].Model.IsInput() {
			return nil, fmt.Errorf("sim: projection %q: target %q is an input population", pr.Name, pr.To)
		}
		syn, err := pr.Build(net.Populations[src].Size, net.Populations[dst].Size, net.DT, mix(seed, 0xc044, uint64(k)))
		if err != nil {
			return nil, fmt.Errorf("sim: projection %q: %w", pr.Name, err)
		}
		p := projection{name: pr.Name, src: src, dst: dst, rowPtr: syn.RowPtr, cols: syn.Cols}
		p.dense = denseRows(syn.RowPtr, syn.Cols, net.Populations[dst].Size)
		switch {
		case net.Populations[dst].Model == snn.ModelLIF:
			p.rec = recV
		case pr.Receptor == snn.Inh:
			p.rec = recI
		default:
			p.rec = recE
		}
		p.w0, p.w = constWeights(syn.Weights)
		p.delay, p.delays = constDelays(syn.Delays)
		if p.delays != nil {
			slots := 1
			for _, d := range p.delays {
				slots = max(slots, int(d)+1)
			}
			m.Pops[dst].accSlots = max(m.Pops[dst].accSlots, slots)
		}
		m.maxDelay = max(m.maxDelay, p.delay)
		m.Synapses += len(syn.Cols)
		m.out[src] = append(m.out[src], len(m.projs))
		m.projs = append(m.projs, p)
	}
	if err := m.checkMemory(); err != nil {
		return nil, err
	}
	return m, nil
}

// constWeights returns (w, nil) when all weights equal w, else (0, weights).
func constWeights(ws []float32) (float32, []float32) {
	if len(ws) == 0 {
		return 0, nil
	}
	for _, w := range ws[1:] {
		if w != ws[0] {
			return 0, ws
		}
	}
	return ws[0], nil
}

// constDelays returns (d, nil) when all delays equal d, else (0, delays).
func constDelays(ds []int32) (int32, []int32) {
	if len(ds) == 0 {
		return 0, nil
	}
	for _, d := range ds[1:] {
		if d != ds[0] {
			return 0, ds
		}
	}
	return ds[0], nil
}

// spikeArray converts a spike-array population's times (ms) to ticks, sorted by (tick, id).
func spikeArray(p snn.Population, dt float64) ([]int64, []int32) {
	n := len(p.SpikeIDs)
	ticks := make([]int64, n)
	ids := make([]int32, n)
	order := make([]int, n)
	for i := range order {
		order[i] = i
		ticks[i] = int64(math.Round(p.SpikeTimes[i] / dt))
	}
	sortByTickID(order, ticks, p.SpikeIDs)
	st := make([]int64, n)
	for i, o := range order {
		st[i] = ticks[o]
		ids[i] = p.SpikeIDs[o]
	}
	return st, ids
}

// mix derives an independent stream seed from a run seed and a purpose tag and index
// (SplitMix64 finaliser over the combination).
func mix(seed, tag, idx uint64) uint64 {
	z := seed ^ (tag * 0x9e3779b97f4a7c15) ^ (idx * 0xbf58476d1ce4e5b9)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func sortByTickID(order []int, ticks []int64, ids []int32) {
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(ticks[a], ticks[b]); c != 0 {
			return c
		}
		return cmp.Compare(ids[a], ids[b])
	})
}

// maxAccFloats caps the per-synapse delay accumulators of one population (1 GiB).
const maxAccFloats = 1 << 28

func (m *Model) checkMemory() error {
	for _, p := range m.Pops {
		if int64(p.accSlots)*int64(p.Size)*2 > maxAccFloats {
			return fmt.Errorf("sim: population %q: per-synapse delays up to %d steps need %d MiB of delay buffers; use shorter delays, a coarser dt or one delay per projection",
				p.Name, p.accSlots-1, int64(p.accSlots)*int64(p.Size)*8>>20)
		}
	}
	return nil
}
