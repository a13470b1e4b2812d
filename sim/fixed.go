package sim

// The fixed-point mode: the arithmetic of the board core (docs/hardware.md), time-stepped
// and bit-exact. FixedModel is what the host programs into a core; FixedRun steps it the
// way the core does, so the board and the simulator give the same spikes, currents and
// membranes at every tick.

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
	"github.com/snnsim/snnsim/trace"
)

// FixedPop is a population of a [FixedModel]: a block of neurons, or (Input) a block of
// axons, the core's input lines.
type FixedPop struct {
	Name  string
	Input bool  // axons (an input population) rather than neurons
	First int   // index of the first neuron (or axon)
	Size  int   // number of neurons (or axons)
	Group uint8 // group of every neuron or axon of the population
	// Scale is the number of fixed-point units per millivolt of the population's
	// membrane (neuron populations compiled from a network; 0 otherwise).
	Scale float64
}

// FixedModel is a network in the board's fixed-point form: what the host writes into a
// core's memories. Synapses are one matrix in CSR form whose rows are the sources, axons
// first (row a for axon a) then neurons (row A+i for neuron i, A = NumAxons), with
// columns (target neurons) strictly ascending within a row. A synapse of int8 weight w
// from a source of group gs onto a neuron of group gd adds w << Shift[gs][gd] to the
// target's accumulator per spike.
type FixedModel struct {
	Pops      []FixedPop
	Params    []neuron.FixedParams // one per neuron
	Init      []neuron.FixedState  // initial state, one per neuron; nil means all zero
	AxonGroup []uint8              // group of each axon
	RowPtr    []int32              // len NumAxons()+NumNeurons()+1
	Cols      []int32
	W         []int8
	Shift     [neuron.FixedGroups][neuron.FixedGroups]uint8 // [source group][target group], 0..15
	LUT       [neuron.FixedGroups]neuron.LUT                // sigmoid table of each neuron group
	LUTShift  [neuron.FixedGroups]uint8                     // table shift of each neuron group
	Seed      uint32                                        // xorshift32 seed (0 means neuron.ZeroSeed)
	DT        float64                                       // tick length in ms (0 = unknown)
	// Net is the network the model was compiled from (nil when it was built otherwise,
	// e.g. read back from a board); [FixedModel.NewInputs] needs it.
	Net *snn.Network
}

// FixedInput is an input event: Count spikes of axon Axon in one tick.
type FixedInput struct {
	Axon  int32
	Count uint8
}

// NumNeurons returns the number of neurons.
func (m *FixedModel) NumNeurons() int { return len(m.Params) }

// NumAxons returns the number of axons (input lines).
func (m *FixedModel) NumAxons() int { return len(m.AxonGroup) }

// Row returns the targets and weights of source row src (axon a is row a, neuron i is
// row NumAxons()+i).
func (m *FixedModel) Row(src int) ([]int32, []int8) {
	lo, hi := m.RowPtr[src], m.RowPtr[src+1]
	return m.Cols[lo:hi], m.W[lo:hi]
}

// srcGroup returns the group of source row src.
func (m *FixedModel) srcGroup(src int) uint8 {
	if src < len(m.AxonGroup) {
		return m.AxonGroup[src]
	}
	return m.Params[src-len(m.AxonGroup)].Group
}

// Validate checks that the model is well formed: sizes agree, parameters, groups and
// shifts are in range, and every row's columns are strictly ascending and in range.
func (m *FixedModel) Validate() error {
	n, a := len(m.Params), len(m.AxonGroup)
	if n > math.MaxInt32/2 || a > math.MaxInt32/2 {
		return fmt.Errorf("sim: fixed model: too many neurons or axons")
	}
	for i := range m.Params {
		if !m.Params[i].Valid() {
			return fmt.Errorf("sim: fixed model: neuron %d: decay or group out of range: %+v", i, m.Params[i])
		}
	}
	if m.Init != nil && len(m.Init) != n {
		return fmt.Errorf("sim: fixed model: %d initial states for %d neurons", len(m.Init), n)
	}
	for i, g := range m.AxonGroup {
		if g >= neuron.FixedGroups {
			return fmt.Errorf("sim: fixed model: axon %d: group %d out of range", i, g)
		}
	}
	for gs := range m.Shift {
		for gd, s := range m.Shift[gs] {
			if s > 15 {
				return fmt.Errorf("sim: fixed model: shift[%d][%d] = %d, above 15", gs, gd, s)
			}
		}
		if m.LUTShift[gs] > 15 {
			return fmt.Errorf("sim: fixed model: table shift of group %d = %d, above 15", gs, m.LUTShift[gs])
		}
	}
	if len(m.RowPtr) != a+n+1 {
		return fmt.Errorf("sim: fixed model: %d row pointers for %d rows", len(m.RowPtr), a+n)
	}
	if m.RowPtr[0] != 0 || int(m.RowPtr[a+n]) != len(m.Cols) || len(m.W) != len(m.Cols) {
		return fmt.Errorf("sim: fixed model: row pointers do not span %d synapses (%d weights)", len(m.Cols), len(m.W))
	}
	for r := range a + n {
		lo, hi := m.RowPtr[r], m.RowPtr[r+1]
		if lo > hi {
			return fmt.Errorf("sim: fixed model: row %d: pointers decrease", r)
		}
		for k := lo; k < hi; k++ {
			c := m.Cols[k]
			if c < 0 || int(c) >= n {
				return fmt.Errorf("sim: fixed model: row %d: target %d out of range [0, %d)", r, c, n)
			}
			if k > lo && c <= m.Cols[k-1] {
				return fmt.Errorf("sim: fixed model: row %d: targets not strictly ascending at %d", r, c)
			}
		}
	}
	for _, p := range m.Pops {
		lim := n
		if p.Input {
			lim = a
		}
		if p.First < 0 || p.Size < 0 || p.First+p.Size > lim {
			return fmt.Errorf("sim: fixed model: population %q: range [%d, %d) outside [0, %d)", p.Name, p.First, p.First+p.Size, lim)
		}
	}
	return nil
}

// CheckInputs reports an error for an input event whose axon is out of range.
func (m *FixedModel) CheckInputs(in []FixedInput) error {
	for _, e := range in {
		if e.Axon < 0 || int(e.Axon) >= len(m.AxonGroup) {
			return fmt.Errorf("sim: fixed input: axon %d out of range [0, %d)", e.Axon, len(m.AxonGroup))
		}
	}
	return nil
}

// FixedOptions control how [CompileFixed] quantizes a network.
type FixedOptions struct {
	// ThetaUnits is the size, in fixed-point units, of the larger of |v_thresh − v_rest|
	// and |v_thresh − v_reset| of each population (default 4096: u spans about ±8 of it).
	ThetaUnits float64
}

// CompileFixed quantizes net into the board's fixed-point form. Connectivity is drawn
// exactly as [Compile] draws it (same seed, same synapses); everything else is rounded
// to the core's arithmetic:
//
//   - membranes are relative to v_rest, in units chosen per population so that the
//     threshold distance is about opt.ThetaUnits;
//   - decays become right shifts: d = round(−log2(1 − e^{−dt/τ})) (τm for the membrane,
//     τe for the single synaptic current of cuba-lif; lif has d_I = 0, delta synapses);
//   - weights keep the DC gain: a constant input rate gives the float engine's mean
//     membrane. A weight w (mV) onto a cuba-lif neuron through a receptor of time
//     constant τs becomes w·s·c_s/((1 − a_s)(1 − a_m)·2^{d_I + d_V}) units (s the
//     population's scale, c_s the exact coupling neuron.Coupling, a = e^{−dt/τ}); onto
//     lif, w·s/((1 − a_m)·2^{d_V}). Synapses between the same pair of neurons are summed;
//     each (source, target) population pair gets the smallest left shift that fits its
//     largest weight in int8;
//   - the reset subtracts v_thresh − v_reset (also for reset: value), there is no
//     refractory period, and bias enters as round(bias·scale/2^{d_V}) per tick;
//   - escape noise (beta > 0) becomes the population's sigmoid table over ±8β;
//   - initial membranes are init.v quantized, drawn from the same stream as the float
//     engine's Model.NewRun(seed) draws them (same seed, same initial membranes).
//
// Input populations (poisson, spikes) become axons; [FixedModel.NewInputs] generates
// their events. Networks with delays, coba-lif neurons or more than 16 populations are
// rejected: the core has none of these.
func CompileFixed(net *snn.Network, seed uint64, opt FixedOptions) (*FixedModel, error) {
	if net == nil || len(net.Populations) == 0 {
		return nil, fmt.Errorf("sim: fixed: network has no populations")
	}
	if !(net.DT > 0) {
		return nil, fmt.Errorf("sim: fixed: dt must be > 0, got %g", net.DT)
	}
	if len(net.Populations) > neuron.FixedGroups {
		return nil, fmt.Errorf("sim: fixed: %d populations, the core has %d groups", len(net.Populations), neuron.FixedGroups)
	}
	if opt.ThetaUnits == 0 {
		opt.ThetaUnits = 4096
	}
	if !(opt.ThetaUnits >= 1 && opt.ThetaUnits <= 16384) {
		return nil, fmt.Errorf("sim: fixed: theta units %g out of range [1, 16384]", opt.ThetaUnits)
	}
	m := &FixedModel{DT: net.DT, Net: net, Seed: uint32(mix(seed, 0xf1ed, 0))}
	index := map[string]int{}
	nn, na := 0, 0
	for i, p := range net.Populations {
		index[p.Name] = i
		fp := FixedPop{Name: p.Name, Input: p.Model.IsInput(), Size: p.Size, Group: uint8(i)}
		switch {
		case fp.Input:
			fp.First = na
			na += p.Size
		case p.Model == snn.ModelLIF || p.Model == snn.ModelCuBaLIF:
			fp.First = nn
			nn += p.Size
		default:
			return nil, fmt.Errorf("sim: fixed: population %q: model %s has no fixed-point form (lif and cuba-lif do)", p.Name, p.Model)
		}
		if nn > 1<<24 || na > 1<<24 {
			return nil, fmt.Errorf("sim: fixed: more than %d neurons or axons", 1<<24)
		}
		m.Pops = append(m.Pops, fp)
	}
	m.Params = make([]neuron.FixedParams, nn)
	m.Init = make([]neuron.FixedState, nn)
	m.AxonGroup = make([]uint8, na)
	// gain[pop][receptor] converts a float weight (mV) into accumulator units.
	gain := make([][2]float64, len(net.Populations))
	for i, p := range net.Populations {
		fp := &m.Pops[i]
		if fp.Input {
			for k := range fp.Size {
				m.AxonGroup[fp.First+k] = fp.Group
			}
			continue
		}
		par := p.Params
		span := max(math.Abs(par.VThresh-par.VRest), math.Abs(par.VThresh-par.VReset), 1e-3)
		s := opt.ThetaUnits / span
		fp.Scale = s
		dV := DecayShift(math.Exp(-net.DT / par.TauM))
		fpar := neuron.FixedParams{
			Theta:  Sat16((par.VThresh - par.VRest) * s),
			Reset:  Sat16((par.VThresh - par.VReset) * s),
			Bias:   Sat16(par.Bias * s / math.Ldexp(1, int(dV))),
			DecayV: dV, Group: fp.Group, Output: true,
		}
		// DC gain: a constant input rate must give the float engine's mean membrane.
		am := math.Exp(-net.DT / par.TauM)
		dc := s / (1 - am) / math.Ldexp(1, int(dV))
		if p.Model == snn.ModelLIF {
			gain[i] = [2]float64{dc, dc}
		} else {
			dI := DecayShift(math.Exp(-net.DT / par.TauE))
			fpar.DecayI = dI
			for r, tau := range []float64{par.TauE, par.TauI} {
				as := math.Exp(-net.DT / tau)
				gain[i][r] = dc * neuron.Coupling(par.TauM, tau, net.DT) / (1 - as) / math.Ldexp(1, int(dI))
			}
		}
		if par.Beta > 0 {
			fpar.Stochastic = true
			beta := par.Beta * s
			sh := neuron.LUTShiftFor(8 * beta)
			m.LUTShift[fp.Group] = sh
			m.LUT[fp.Group] = neuron.SigmoidLUT(beta, sh)
		}
		for k := range fp.Size {
			m.Params[fp.First+k] = fpar
		}
		ps := p.Seed
		if ps == 0 {
			ps = seed
		}
		rng := rand.New(rand.NewPCG(ps, mix(ps, 0x9095, uint64(i)))) // the float Run's stream
		v := make([]float32, fp.Size)
		initV(v, p.InitV, par.VRest, rng)
		for k, x := range v {
			m.Init[fp.First+k].U = Sat16((float64(x) - par.VRest) * s)
		}
	}
	type syn struct {
		col int32
		w   float64
	}
	rows := make([][]syn, na+nn)
	var pairMax [neuron.FixedGroups][neuron.FixedGroups]float64
	for k := range net.Projections {
		pr := &net.Projections[k]
		src, ok1 := index[pr.From]
		dst, ok2 := index[pr.To]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("sim: fixed: projection %q: unknown population %q or %q", pr.Name, pr.From, pr.To)
		}
		if m.Pops[dst].Input {
			return nil, fmt.Errorf("sim: fixed: projection %q: target %q is an input population", pr.Name, pr.To)
		}
		sy, err := pr.Build(m.Pops[src].Size, m.Pops[dst].Size, net.DT, mix(seed, 0xc044, uint64(k)))
		if err != nil {
			return nil, fmt.Errorf("sim: fixed: projection %q: %w", pr.Name, err)
		}
		if sy.Delays != nil {
			return nil, fmt.Errorf("sim: fixed: projection %q has delays; the core has none", pr.Name)
		}
		rec := 0
		if pr.Receptor == snn.Inh {
			rec = 1
		}
		g := gain[dst][rec]
		base := m.Pops[src].First
		if !m.Pops[src].Input {
			base += na
		}
		for i := range sy.NPre {
			for q := sy.RowPtr[i]; q < sy.RowPtr[i+1]; q++ {
				rows[base+i] = append(rows[base+i], syn{int32(m.Pops[dst].First) + sy.Cols[q], float64(sy.Weights[q]) * g})
			}
		}
	}
	// Merge repeated pairs, then find each population pair's largest weight.
	popOfNeuron := func(c int32) uint8 { return m.Params[c].Group }
	for r := range rows {
		row := rows[r]
		slices.SortStableFunc(row, func(a, b syn) int { return cmp.Compare(a.col, b.col) })
		out := row[:0]
		for _, s := range row {
			if len(out) > 0 && out[len(out)-1].col == s.col {
				out[len(out)-1].w += s.w
				continue
			}
			out = append(out, s)
		}
		rows[r] = out
		gs := m.srcGroup(r)
		for _, s := range out {
			gd := popOfNeuron(s.col)
			pairMax[gs][gd] = max(pairMax[gs][gd], math.Abs(s.w))
		}
	}
	for gs := range pairMax {
		for gd, mx := range pairMax[gs] {
			sh := uint8(0)
			for sh < 15 && mx/math.Ldexp(1, int(sh)) > 127.5 {
				sh++
			}
			m.Shift[gs][gd] = sh
		}
	}
	m.RowPtr = make([]int32, len(rows)+1)
	for r, row := range rows {
		gs := m.srcGroup(r)
		for _, s := range row {
			sh := m.Shift[gs][popOfNeuron(s.col)]
			w := math.Round(s.w / math.Ldexp(1, int(sh)))
			m.Cols = append(m.Cols, s.col)
			m.W = append(m.W, int8(min(max(w, -128), 127)))
		}
		if len(m.Cols) > math.MaxInt32 {
			return nil, fmt.Errorf("sim: fixed: more than %d synapses", math.MaxInt32)
		}
		m.RowPtr[r+1] = int32(len(m.Cols))
	}
	return m, nil
}

// DecayShift returns the right shift d in 0..15 whose decay 1 − 2^−d is closest to a in
// the log domain: round(−log2(1 − a)). The board's time constant for d is
// τ = −dt / ln(1 − 2^−d).
func DecayShift(a float64) uint8 {
	if !(a > 0) {
		return 0
	}
	d := math.Round(-math.Log2(1 - a))
	return uint8(min(max(d, 0), 15))
}

// Sat16 rounds x to the nearest integer and clamps it to the int16 range.
func Sat16(x float64) int16 {
	return int16(min(max(math.Round(x), math.MinInt16), math.MaxInt16))
}

// FixedRun steps a [FixedModel] exactly as the board core does. It is used by one
// goroutine.
type FixedRun struct {
	m     *FixedModel
	state []neuron.FixedState
	acc   []int32
	prob  []uint16
	rng   neuron.XorShift32
	tick  int64
	out   []int32
	rec   *SpikeRecord
}

// NewRun returns a run of m at tick 0 with the initial state and the PRNG seeded from
// m.Seed. m must be valid ([FixedModel.Validate]); NewRun panics otherwise.
func (m *FixedModel) NewRun() *FixedRun {
	if err := m.Validate(); err != nil {
		panic(err)
	}
	n := len(m.Params)
	r := &FixedRun{m: m, state: make([]neuron.FixedState, n), acc: make([]int32, n),
		prob: make([]uint16, n), out: make([]int32, 0, n)}
	r.Reset()
	return r
}

// Reset returns the run to tick 0: initial state, empty accumulators, the PRNG reseeded
// (what RESET_STATE followed by writing the initial state does on the board).
func (r *FixedRun) Reset() {
	if r.m.Init != nil {
		copy(r.state, r.m.Init)
	} else {
		clear(r.state)
	}
	clear(r.acc)
	clear(r.prob)
	r.rng = neuron.NewXorShift32(r.m.Seed)
	r.tick = 0
}

// Model returns the model r runs.
func (r *FixedRun) Model() *FixedModel { return r.m }

// Tick returns the number of ticks run.
func (r *FixedRun) Tick() int64 { return r.tick }

// State returns the neurons' state after the last tick (a view).
func (r *FixedRun) State() []neuron.FixedState { return r.state }

// PRNG returns the state of the xorshift32 generator.
func (r *FixedRun) PRNG() uint32 { return uint32(r.rng) }

// Probs returns, for the last tick, the sigmoid-table entry each stochastic neuron used
// (its firing probability in units of 2⁻¹⁶; 0 for deterministic neurons), a view. With
// the spikes it gives the likelihood-ratio score of every firing decision exactly.
func (r *FixedRun) Probs() []uint16 { return r.prob }

// RecordSpikes starts recording spikes (neuron indices) and returns the record.
func (r *FixedRun) RecordSpikes() *SpikeRecord {
	r.rec = &SpikeRecord{}
	return r.rec
}

// Input adds input events to the accumulators now: they act at the next tick, after
// the recurrent spikes of the previous tick (the board's order). It panics on an axon
// out of range; check outside data with [FixedModel.CheckInputs].
func (r *FixedRun) Input(in []FixedInput) {
	m := r.m
	for _, e := range in {
		if e.Axon < 0 || int(e.Axon) >= len(m.AxonGroup) {
			panic(fmt.Sprintf("sim: fixed input: axon %d out of range [0, %d)", e.Axon, len(m.AxonGroup)))
		}
		r.deliver(int(e.Axon), m.AxonGroup[e.Axon], e.Count)
	}
}

func (r *FixedRun) deliver(src int, gs uint8, count uint8) {
	m := r.m
	lo, hi := m.RowPtr[src], m.RowPtr[src+1]
	sh := &m.Shift[gs]
	for k := lo; k < hi; k++ {
		c := m.Cols[k]
		r.acc[c] = neuron.SatAdd32(r.acc[c], neuron.Contribution(m.W[k], sh[m.Params[c].Group], count))
	}
}

// Step applies the input events in (as [FixedRun.Input]) and advances every neuron by
// one tick in index order: one xorshift32 draw per neuron, current, membrane, spike
// test, subtractive reset. The spikes are then delivered to the accumulators for the
// next tick. It returns the indices of the neurons that fired (a view valid until the
// next Step).
func (r *FixedRun) Step(in []FixedInput) []int32 {
	r.Input(in)
	m := r.m
	r.out = r.out[:0]
	for i := range m.Params {
		p := &m.Params[i]
		draw := uint16(r.rng.Next() >> 16)
		s, spike, pr := p.Step(r.state[i], r.acc[i], draw, &m.LUT[p.Group], m.LUTShift[p.Group])
		r.state[i] = s
		r.acc[i] = 0
		r.prob[i] = pr
		if spike {
			r.out = append(r.out, int32(i))
		}
	}
	a := len(m.AxonGroup)
	for _, i := range r.out {
		r.deliver(a+int(i), m.Params[i].Group, 1)
	}
	if r.rec != nil {
		r.rec.add(0, r.out, r.tick)
	}
	r.tick++
	return r.out
}

// Trace returns the recorded spikes as a trace (neuron indices of the fixed model;
// populations are the neuron populations).
func (r *FixedRun) Trace(rec *SpikeRecord, source string) *trace.Trace {
	m := r.m
	tr := &trace.Trace{IDs: rec.IDs, Ticks: rec.Ticks,
		Meta: trace.Meta{DT: m.DT / 1000, Seed: uint64(m.Seed), Source: source, NumNeurons: len(m.Params), Duration: r.tick}}
	if m.Net != nil {
		tr.Meta.NetworkHash = m.Net.Hash()
	}
	if tr.Meta.DT <= 0 {
		tr.Meta.DT = 1e-3
	}
	for _, p := range m.Pops {
		if !p.Input {
			tr.Meta.Populations = append(tr.Meta.Populations, trace.PopRange{Name: p.Name, First: p.First, Size: p.Size})
		}
	}
	return tr
}

// FixedInputs generates the input events of a compiled network's input populations,
// tick by tick: Poisson populations by geometric skipping from seeded streams, spike
// arrays at their rounded ticks (repeats within a tick add to the count, up to 255).
type FixedInputs struct {
	m    *FixedModel
	gens []inputGen
	tick int64
}

type inputGen struct {
	pop    *FixedPop
	rng    *rand.Rand
	q      float64
	logq   float64
	next   int64
	ticks  []int64
	ids    []int32
	cursor int
}

// NewInputs returns the input generator of m's input populations, seeded by seed. It
// needs the network m was compiled from.
func (m *FixedModel) NewInputs(seed uint64) (*FixedInputs, error) {
	if m.Net == nil {
		return nil, fmt.Errorf("sim: fixed inputs: the model has no network description")
	}
	g := &FixedInputs{m: m}
	for i := range m.Pops {
		fp := &m.Pops[i]
		if !fp.Input {
			continue
		}
		p := m.Net.Populations[i]
		ig := inputGen{pop: fp}
		switch p.Model {
		case snn.ModelPoisson:
			ps := p.Seed
			if ps == 0 {
				ps = seed
			}
			ig.rng = rand.New(rand.NewPCG(ps, mix(ps, 0xf1ed+2, uint64(i))))
			ig.q = min(p.Rate*m.DT/1000, 1)
			ig.logq = math.Log1p(-ig.q)
			ig.next = ig.gap() - 1
		case snn.ModelSpikes:
			ig.ticks, ig.ids = spikeArray(p, m.DT)
		}
		g.gens = append(g.gens, ig)
	}
	return g, nil
}

func (ig *inputGen) gap() int64 {
	if ig.q >= 1 {
		return 1
	}
	if ig.q <= 0 {
		return math.MaxInt64 / 4
	}
	u := 1 - ig.rng.Float64()
	g := math.Floor(math.Log(u)/ig.logq) + 1
	if g > math.MaxInt64/4 {
		return math.MaxInt64 / 4
	}
	return int64(g)
}

// Next appends the events of the next tick to dst, sorted by axon, and returns it.
func (g *FixedInputs) Next(dst []FixedInput) []FixedInput {
	t := g.tick
	start := len(dst)
	for k := range g.gens {
		ig := &g.gens[k]
		first := int32(ig.pop.First)
		if ig.rng != nil {
			n := int64(ig.pop.Size)
			end := (t + 1) * n
			for ig.next < end {
				dst = append(dst, FixedInput{Axon: first + int32(ig.next-t*n), Count: 1})
				ig.next += ig.gap()
			}
			continue
		}
		for ig.cursor < len(ig.ticks) && ig.ticks[ig.cursor] <= t {
			if ig.ticks[ig.cursor] == t {
				dst = append(dst, FixedInput{Axon: first + ig.ids[ig.cursor], Count: 1})
			}
			ig.cursor++
		}
	}
	ev := dst[start:]
	slices.SortStableFunc(ev, func(a, b FixedInput) int { return cmp.Compare(a.Axon, b.Axon) })
	out := ev[:0]
	for _, e := range ev {
		if len(out) > 0 && out[len(out)-1].Axon == e.Axon {
			if out[len(out)-1].Count < 255 {
				out[len(out)-1].Count++
			}
			continue
		}
		out = append(out, e)
	}
	g.tick++
	return dst[:start+len(out)]
}
