package snn

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// DefaultDT is the time step (ms) of a network file that does not give one.
const DefaultDT = 0.1

// DefaultParams returns the neuron parameters a network file starts from: a LIF neuron with
// τm 20 ms, τe 5 ms, τi 10 ms, rest −65 mV, threshold −50 mV, reset to −65 mV, 2 ms
// refractory, no bias, reversal potentials 0 mV / −80 mV and deterministic firing (β = 0).
func DefaultParams() NeuronParams {
	return NeuronParams{
		TauM:       20,
		TauE:       5,
		TauI:       10,
		VRest:      -65,
		VThresh:    -50,
		VReset:     -65,
		Refractory: 2,
		Reset:      ResetValue,
		EE:         0,
		EI:         -80,
	}
}

// Index returns the index of the population called name, or -1.
func (n *Network) Index(name string) int {
	for i := range n.Populations {
		if n.Populations[i].Name == name {
			return i
		}
	}
	return -1
}

// Population returns the population called name, or nil.
func (n *Network) Population(name string) *Population {
	if i := n.Index(name); i >= 0 {
		return &n.Populations[i]
	}
	return nil
}

// ProjectionIndex returns the index of the projection called name, or -1.
func (n *Network) ProjectionIndex(name string) int {
	for i := range n.Projections {
		if n.Projections[i].Name == name {
			return i
		}
	}
	return -1
}

// NumNeurons returns the total size of all populations, inputs included.
func (n *Network) NumNeurons() int {
	t := 0
	for i := range n.Populations {
		t += n.Populations[i].Size
	}
	return t
}

// Offsets returns the global index of each population's first neuron when the populations
// are laid out one after another in file order, plus the total as the last element
// (len(Populations)+1 entries).
func (n *Network) Offsets() []int {
	off := make([]int, len(n.Populations)+1)
	for i := range n.Populations {
		off[i+1] = off[i] + n.Populations[i].Size
	}
	return off
}

// ExpectedSynapses returns the expected number of synapses Build creates between
// populations of sizes nPre and nPost.
func (p *Projection) ExpectedSynapses(nPre, nPost int) float64 {
	pairs := float64(nPre) * float64(nPost)
	if p.excludesSelf() && nPre == nPost {
		pairs -= float64(nPre)
	}
	switch p.Connect.Kind {
	case ConnectAll:
		return pairs
	case ConnectRandom:
		return pairs * p.Connect.P
	case ConnectOneToOne:
		return float64(min(nPre, nPost))
	case ConnectList:
		return float64(len(p.Connect.Pre))
	}
	return 0
}

// excludesSelf reports whether Build drops i->i synapses: for rules all and random from a
// population onto itself, unless AllowSelf.
func (p *Projection) excludesSelf() bool {
	return p.From == p.To && !p.Connect.AllowSelf &&
		(p.Connect.Kind == ConnectAll || p.Connect.Kind == ConnectRandom)
}

// Hash returns the hex SHA-256 of a canonical binary encoding of the network, for trace
// metadata: every field that shapes a simulation run with a given seed, in a fixed order,
// floats by their bits, with zero values that mean the same thing (receptor "" = exc, reset
// "" = value, a weight's or delay's kind "" = const) written alike. The network's Name and
// its default run Seed are left out (a trace records the seed it ran with); population and
// projection names are in. Any change of a parameter, size, rule or seed of a population or
// projection changes the hash.
func (n *Network) Hash() string {
	var e canon
	e.str("snnsim-network-v1")
	e.f64(n.DT)
	e.u64(uint64(len(n.Populations)))
	for i := range n.Populations {
		p := &n.Populations[i]
		e.str(p.Name)
		e.u64(uint64(p.Size))
		e.str(string(p.Model))
		q := p.Params
		for _, k := range paramKeys {
			e.f64(*k.field(&q))
		}
		reset := q.Reset
		if reset == "" && !p.Model.IsInput() {
			reset = ResetValue
		}
		e.str(string(reset))
		e.dist(p.InitV, false)
		e.u64(p.Seed)
		e.f64(p.Rate)
		e.u64(uint64(len(p.SpikeIDs)))
		for _, id := range p.SpikeIDs {
			e.u64(uint64(uint32(id)))
		}
		e.u64(uint64(len(p.SpikeTimes)))
		for _, t := range p.SpikeTimes {
			e.f64(t)
		}
	}
	e.u64(uint64(len(n.Projections)))
	for i := range n.Projections {
		p := &n.Projections[i]
		e.str(p.Name)
		e.str(p.From)
		e.str(p.To)
		r := p.Receptor
		if r == "" {
			r = Exc
		}
		e.str(string(r))
		c := &p.Connect
		e.str(string(c.Kind))
		e.f64(c.P)
		e.u64(uint64(len(c.Pre)))
		for _, x := range c.Pre {
			e.u64(uint64(uint32(x)))
		}
		e.u64(uint64(len(c.Post)))
		for _, x := range c.Post {
			e.u64(uint64(uint32(x)))
		}
		if c.AllowSelf {
			e.u64(1)
		} else {
			e.u64(0)
		}
		e.dist(p.Weight, true)
		e.dist(p.Delay, true)
		e.u64(p.Seed)
		if p.Weights == nil {
			e.u64(math.MaxUint64)
		} else {
			e.u64(uint64(len(p.Weights)))
		}
		for _, w := range p.Weights {
			e.f64(w)
		}
	}
	sum := sha256.Sum256(e.b)
	return hex.EncodeToString(sum[:])
}

// canon accumulates the canonical encoding hashed by Network.Hash.
type canon struct{ b []byte }

func (e *canon) u64(x uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, x) }

func (e *canon) f64(x float64) {
	if x == 0 {
		x = 0 // -0 and +0 alike
	}
	e.u64(math.Float64bits(x))
}

func (e *canon) str(s string) {
	e.u64(uint64(len(s)))
	e.b = append(e.b, s...)
}

// dist writes d; with zeroIsConst the empty kind is written as const.
func (e *canon) dist(d Dist, zeroIsConst bool) {
	k := d.Kind
	if k == "" && zeroIsConst {
		k = DistConst
	}
	e.str(string(k))
	e.f64(d.A)
	e.f64(d.B)
}
