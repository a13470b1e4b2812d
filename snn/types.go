package snn

// Units used everywhere inside snnsim (and assumed by numbers written without a unit in a
// network file): time in milliseconds, potentials in millivolts, rates in hertz. Synaptic
// weights are in millivolts for current-based models (the jump of the synaptic variable a
// spike causes) and in units of the leak conductance for conductance-based models.

// Model names a neuron or input model of a population.
type Model string

// The population models.
const (
	// ModelLIF is a leaky integrate-and-fire neuron with delta synapses: a spike of weight w
	// makes the membrane jump by w.
	ModelLIF Model = "lif"
	// ModelCuBaLIF is a current-based LIF with exponentially decaying excitatory and
	// inhibitory synaptic currents (time constants tau_e, tau_i), integrated exactly.
	ModelCuBaLIF Model = "cuba-lif"
	// ModelCoBaLIF is a conductance-based LIF (reversal potentials e_e, e_i), integrated by
	// forward Euler as in the Brette et al. (2007) COBA benchmark.
	ModelCoBaLIF Model = "coba-lif"
	// ModelPoisson is an input population of independent Poisson generators.
	ModelPoisson Model = "poisson"
	// ModelSpikes is an input population that replays a fixed list of spikes.
	ModelSpikes Model = "spikes"
)

// IsInput reports whether the model is an input (spike source) rather than a neuron.
func (m Model) IsInput() bool { return m == ModelPoisson || m == ModelSpikes }

// ResetMode says what happens to the membrane after a spike.
type ResetMode string

// The reset modes.
const (
	// ResetValue sets the membrane to v_reset ("reset to value").
	ResetValue ResetMode = "value"
	// ResetSubtract subtracts (v_thresh - v_reset) from the membrane.
	ResetSubtract ResetMode = "subtract"
)

// Receptor names the synaptic variable a projection feeds.
type Receptor string

// The receptors.
const (
	Exc Receptor = "exc"
	Inh Receptor = "inh"
)

// NeuronParams are the parameters of a neuron population (units: ms, mV).
type NeuronParams struct {
	TauM       float64   // membrane time constant
	TauE       float64   // excitatory synaptic time constant (cuba-lif, coba-lif)
	TauI       float64   // inhibitory synaptic time constant (cuba-lif, coba-lif)
	VRest      float64   // resting (leak reversal) potential
	VThresh    float64   // firing threshold
	VReset     float64   // reset potential
	Refractory float64   // absolute refractory period; the membrane is clamped during it
	Reset      ResetMode // value or subtract
	Bias       float64   // constant drive in mV added to the rest potential (R*I)
	EE         float64   // excitatory reversal potential (coba-lif)
	EI         float64   // inhibitory reversal potential (coba-lif)
	// Beta > 0 turns on stochastic (escape-noise) firing: at every step the neuron spikes
	// with probability sigmoid((v - v_thresh)/Beta) instead of when v > v_thresh.
	Beta float64
}

// DistKind names a distribution for initial values and weights.
type DistKind string

// The distributions.
const (
	DistConst   DistKind = "const"
	DistUniform DistKind = "uniform" // uniform on [A, B)
	DistNormal  DistKind = "normal"  // mean A, standard deviation B
)

// Dist is a constant or a seeded distribution. The zero value is the constant 0, except
// for Population.InitV where it means "start at v_rest" (a parsed file gives Kind DistConst
// for every constant it spells out).
type Dist struct {
	Kind DistKind
	A, B float64
}

// Const returns the constant distribution at v.
func Const(v float64) Dist { return Dist{Kind: DistConst, A: v} }

// IsConst reports whether d is a constant.
func (d Dist) IsConst() bool { return d.Kind == "" || d.Kind == DistConst }

// Population is a group of neurons of one model, or an input group.
type Population struct {
	Name   string
	Size   int
	Model  Model
	Params NeuronParams // neuron models only
	InitV  Dist         // initial membrane potential (neuron models); zero value = v_rest
	Seed   uint64       // stream for initial values and Poisson draws; 0 = derived from the run seed
	Rate   float64      // Hz, poisson only
	// Spikes of a spike-array input: neuron index within the population and time in ms.
	SpikeIDs   []int32
	SpikeTimes []float64
}

// ConnectKind names a connectivity rule.
type ConnectKind string

// The connectivity rules.
const (
	ConnectAll      ConnectKind = "all"        // every pre to every post
	ConnectRandom   ConnectKind = "random"     // each pair independently with probability P
	ConnectOneToOne ConnectKind = "one-to-one" // pre i to post i (equal sizes)
	ConnectList     ConnectKind = "list"       // explicit (Pre[k], Post[k]) pairs
)

// Connect is a connectivity rule.
type Connect struct {
	Kind      ConnectKind
	P         float64 // random only
	Pre, Post []int32 // list only
	// AllowSelf keeps i->i synapses when a population projects onto itself (random/all);
	// by default they are left out. Brian2's connect(p=p) keeps them, and so do CUBA and COBA.
	AllowSelf bool
}

// Projection connects two populations.
type Projection struct {
	Name     string
	From, To string   // population names
	Receptor Receptor // which synaptic variable of the target is fed ("" = exc)
	Connect  Connect
	Weight   Dist      // weight of each synapse (mV, or units of g_leak for coba-lif)
	Delay    Dist      // axonal delay in ms; rounded to whole steps, at least 0
	Seed     uint64    // stream for connectivity, weights and delays; 0 = derived from the run seed
	Weights  []float64 // explicit per-synapse weights (list connectivity), overrides Weight
}

// Network is a complete, validated network description.
type Network struct {
	Name        string
	DT          float64 // time step in ms
	Seed        uint64  // default run seed (0 = none given)
	Populations []Population
	Projections []Projection
}

// Synapses is a projection's connectivity in compressed sparse row form, rows indexed by
// presynaptic neuron. Weights and Delays are per synapse; a nil Delays means all zero.
type Synapses struct {
	NPre, NPost int
	RowPtr      []int32   // len NPre+1
	Cols        []int32   // postsynaptic index of each synapse
	Weights     []float32 // per synapse
	Delays      []int32   // per synapse, in steps; nil = 0
}

// Len returns the number of synapses.
func (s *Synapses) Len() int { return len(s.Cols) }
