package snn

import (
	"math"
)

// Limits that keep a network description within what one machine can simulate; a file
// beyond them is rejected with a clear error instead of exhausting memory.
const (
	// MaxNeurons bounds the total number of neurons (inputs included) of a network.
	MaxNeurons = 1 << 27
	// MaxSynapses bounds the expected number of synapses of one projection and of the whole
	// network (at 8 bytes per synapse, 8 GiB).
	MaxSynapses = 1 << 30
	// MaxDelaySteps bounds a synaptic delay in time steps (6.5 s at dt = 0.1 ms); Build
	// clamps drawn delays to [0, MaxDelaySteps].
	MaxDelaySteps = 1 << 16
	// MinDT and MaxDT bound the time step (ms).
	MinDT = 1e-6
	MaxDT = 1000.0
	// MaxTime bounds spike times of spike-array inputs (ms; about 11.6 days).
	MaxTime = 1e9
)

// validName reports whether s is a usable population or projection name: 1 to 64 letters,
// digits, '_', '-' or '.', starting with a letter or '_'.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		digit := c >= '0' && c <= '9' || c == '-' || c == '.'
		if !letter && (i == 0 || !digit) {
			return false
		}
	}
	return true
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the whole description and returns the first problem found as an *Error
// naming the offending field, or nil.
func (n *Network) Validate() error {
	var root fieldPath
	if !finite(n.DT) || n.DT < MinDT || n.DT > MaxDT {
		return root.dot("dt").errorf("must be between %gms and %gms, got %s", MinDT, MaxDT, fmtQ(n.DT, dimTime))
	}
	if n.Name != "" && len(n.Name) > 256 {
		return root.dot("name").errorf("longer than 256 bytes")
	}
	if len(n.Populations) == 0 {
		return root.dot("populations").errorf("a network needs at least one population")
	}
	names := make(map[string]int, len(n.Populations))
	total := 0
	for i := range n.Populations {
		pop := &n.Populations[i]
		p := root.dot("populations").at(i).named(pop.Name)
		if !validName(pop.Name) {
			return p.dot("name").errorf("%q is not a valid name (1-64 letters, digits, '_', '-', '.', starting with a letter or '_')", pop.Name)
		}
		if j, dup := names[pop.Name]; dup {
			return p.dot("name").errorf("duplicate population name %q (also populations[%d])", pop.Name, j)
		}
		names[pop.Name] = i
		if err := n.validatePop(pop, p); err != nil {
			return err
		}
		total += pop.Size
		if total > MaxNeurons {
			return p.dot("size").errorf("the network has more than %d neurons", MaxNeurons)
		}
	}
	projNames := map[string]int{}
	synapses := 0.0
	for i := range n.Projections {
		pr := &n.Projections[i]
		p := root.dot("projections").at(i).named(pr.Name)
		if pr.Name != "" {
			if !validName(pr.Name) {
				return p.dot("name").errorf("%q is not a valid name (1-64 letters, digits, '_', '-', '.', starting with a letter or '_')", pr.Name)
			}
			if j, dup := projNames[pr.Name]; dup {
				return p.dot("name").errorf("duplicate projection name %q (also projections[%d])", pr.Name, j)
			}
			projNames[pr.Name] = i
		}
		if err := n.validateProj(pr, p); err != nil {
			return err
		}
		src, dst := n.Populations[names[pr.From]], n.Populations[names[pr.To]]
		synapses += pr.ExpectedSynapses(src.Size, dst.Size)
		if synapses > MaxSynapses {
			return p.dot("connect").errorf("the network would have about %.3g synapses, more than the limit %d", synapses, MaxSynapses)
		}
	}
	return nil
}

func (n *Network) validatePop(pop *Population, p fieldPath) error {
	if pop.Size < 1 || pop.Size > MaxNeurons {
		return p.dot("size").errorf("must be between 1 and %d, got %d", MaxNeurons, pop.Size)
	}
	switch pop.Model {
	case ModelLIF, ModelCuBaLIF, ModelCoBaLIF, ModelPoisson, ModelSpikes:
	default:
		return p.dot("model").errorf("unknown model %q (want lif, cuba-lif, coba-lif, poisson, spikes)", pop.Model)
	}
	if pop.Model != ModelPoisson && pop.Rate != 0 {
		return p.dot("rate").errorf("not used by model %s", pop.Model)
	}
	if pop.Model != ModelSpikes && (len(pop.SpikeIDs) > 0 || len(pop.SpikeTimes) > 0) {
		return p.dot("spikes").errorf("not used by model %s", pop.Model)
	}
	if pop.Model.IsInput() {
		if pop.Params != (NeuronParams{}) {
			return p.dot("params").errorf("not used by model %s", pop.Model)
		}
		if pop.InitV != (Dist{}) {
			return p.dot("init").dot("v").errorf("not used by model %s", pop.Model)
		}
	}
	switch pop.Model {
	case ModelPoisson:
		maxRate := 1000 / n.DT
		if !finite(pop.Rate) || pop.Rate < 0 || pop.Rate > maxRate {
			return p.dot("rate").errorf("must be between 0Hz and 1/dt = %s, got %s", fmtQ(maxRate, dimRate), fmtQ(pop.Rate, dimRate))
		}
	case ModelSpikes:
		if len(pop.SpikeIDs) != len(pop.SpikeTimes) {
			return p.dot("spikes").dot("times").errorf("%d times for %d ids: want one time per id", len(pop.SpikeTimes), len(pop.SpikeIDs))
		}
		for k, id := range pop.SpikeIDs {
			if id < 0 || int(id) >= pop.Size {
				return p.dot("spikes").dot("ids").at(k).errorf("neuron %d out of range [0, %d)", id, pop.Size)
			}
		}
		for k, t := range pop.SpikeTimes {
			if !finite(t) || t < 0 || t > MaxTime {
				return p.dot("spikes").dot("times").at(k).errorf("must be between 0ms and %gms, got %s", MaxTime, fmtQ(t, dimTime))
			}
		}
	default:
		if err := validateParams(&pop.Params, p.dot("params")); err != nil {
			return err
		}
		if pop.InitV != (Dist{}) {
			if err := validateDist(pop.InitV, p.dot("init").dot("v"), dimVolt); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateParams(q *NeuronParams, p fieldPath) error {
	for _, k := range paramKeys {
		if x := *k.field(q); !finite(x) {
			return p.dot(k.key).errorf("must be a finite number, got %s", fmtQ(x, k.d))
		}
	}
	for _, c := range []struct {
		key string
		v   float64
	}{{"tau_m", q.TauM}, {"tau_e", q.TauE}, {"tau_i", q.TauI}} {
		if !(c.v > 0) {
			return p.dot(c.key).errorf("must be > 0, got %s", fmtQ(c.v, dimTime))
		}
	}
	if q.Refractory < 0 {
		return p.dot("refractory").errorf("must be >= 0, got %s", fmtQ(q.Refractory, dimTime))
	}
	if !(q.VReset < q.VThresh) {
		return p.dot("v_reset").errorf("must be below v_thresh (%s), got %s", fmtQ(q.VThresh, dimVolt), fmtQ(q.VReset, dimVolt))
	}
	if q.Beta < 0 {
		return p.dot("beta").errorf("must be >= 0 (0 = deterministic threshold), got %s", fmtQ(q.Beta, dimVolt))
	}
	switch q.Reset {
	case "", ResetValue, ResetSubtract:
	default:
		return p.dot("reset").errorf("want value or subtract, got %q", q.Reset)
	}
	return nil
}

// validateDist checks that d is a well-formed distribution of dimension dm.
func validateDist(d Dist, p fieldPath, dm dim) *Error {
	if !finite(d.A) || !finite(d.B) {
		return p.errorf("must be finite, got %s", fmtDist(d, dm))
	}
	switch d.Kind {
	case "", DistConst:
		if d.B != 0 {
			return p.errorf("a constant has no second value, got %s", fmtDist(d, dm))
		}
	case DistUniform:
		if d.A > d.B {
			return p.errorf("uniform needs low <= high, got %s", fmtDist(d, dm))
		}
	case DistNormal:
		if d.B < 0 {
			return p.errorf("normal needs sd >= 0, got %s", fmtDist(d, dm))
		}
	default:
		return p.errorf("unknown distribution %q (want const, uniform, normal)", d.Kind)
	}
	return nil
}

// fmtDist prints d for messages.
func fmtDist(d Dist, dm dim) string {
	switch d.Kind {
	case DistUniform, DistNormal:
		return string(d.Kind) + "[" + fmtQ(d.A, dm) + ", " + fmtQ(d.B, dm) + "]"
	case "", DistConst:
		if d.B == 0 {
			return fmtQ(d.A, dm)
		}
	}
	return string(d.Kind) + "[" + fmtQ(d.A, dm) + ", " + fmtQ(d.B, dm) + "]"
}

func (n *Network) validateProj(pr *Projection, p fieldPath) error {
	src, dst := n.Index(pr.From), n.Index(pr.To)
	if src < 0 {
		return p.dot("from").errorf("unknown population %q", pr.From)
	}
	if dst < 0 {
		return p.dot("to").errorf("unknown population %q", pr.To)
	}
	pre, post := &n.Populations[src], &n.Populations[dst]
	if post.Model.IsInput() {
		return p.dot("to").errorf("population %q is an input (%s) and cannot receive synapses", pr.To, post.Model)
	}
	switch pr.Receptor {
	case "", Exc, Inh:
	default:
		return p.dot("receptor").errorf("want exc or inh, got %q", pr.Receptor)
	}
	if err := pr.Connect.validate(p.dot("connect"), pre, post); err != nil {
		return err
	}
	wdim := dimVolt
	if post.Model == ModelCoBaLIF {
		wdim = dimNone
	}
	if pr.Weights != nil {
		if pr.Connect.Kind != ConnectList {
			return p.dot("weights").errorf("explicit weights need list connectivity, not %s", pr.Connect.Kind)
		}
		if len(pr.Weights) != len(pr.Connect.Pre) {
			return p.dot("weights").errorf("%d weights for %d synapses", len(pr.Weights), len(pr.Connect.Pre))
		}
		for k, w := range pr.Weights {
			if !finite(w) {
				return p.dot("weights").at(k).errorf("must be finite, got %s", fmtQ(w, wdim))
			}
			if wdim == dimNone && w < 0 {
				return p.dot("weights").at(k).errorf("conductance weights must be >= 0, got %s", fmtQ(w, wdim))
			}
		}
	} else {
		if err := validateDist(pr.Weight, p.dot("weight"), wdim); err != nil {
			return err
		}
		if wdim == dimNone {
			if lo := pr.Weight.A; lo < 0 {
				return p.dot("weight").errorf("conductance weights must be >= 0, got %s", fmtDist(pr.Weight, wdim))
			}
		}
	}
	if err := validateDist(pr.Delay, p.dot("delay"), dimTime); err != nil {
		return err
	}
	maxDelay := MaxDelaySteps * n.DT
	switch pr.Delay.Kind {
	case "", DistConst:
		if pr.Delay.A < 0 || pr.Delay.A > maxDelay {
			return p.dot("delay").errorf("must be between 0ms and %s (%d steps), got %s", fmtQ(maxDelay, dimTime), MaxDelaySteps, fmtQ(pr.Delay.A, dimTime))
		}
	case DistUniform:
		if pr.Delay.A < 0 || pr.Delay.B > maxDelay {
			return p.dot("delay").errorf("must lie between 0ms and %s (%d steps), got %s", fmtQ(maxDelay, dimTime), MaxDelaySteps, fmtDist(pr.Delay, dimTime))
		}
	case DistNormal:
		if pr.Delay.A < 0 || pr.Delay.A > maxDelay {
			return p.dot("delay").errorf("mean must be between 0ms and %s (%d steps), got %s", fmtQ(maxDelay, dimTime), MaxDelaySteps, fmtDist(pr.Delay, dimTime))
		}
	}
	if e := pr.ExpectedSynapses(pre.Size, post.Size); e > MaxSynapses {
		return p.dot("connect").errorf("would create about %.3g synapses, more than the limit %d", e, MaxSynapses)
	}
	return nil
}

// validate checks the rule against the sizes of its populations.
func (c *Connect) validate(p fieldPath, pre, post *Population) *Error {
	if c.Kind != ConnectRandom && c.P != 0 {
		return p.errorf("a probability is only used by rule random, not %s", c.Kind)
	}
	if c.Kind != ConnectList && (c.Pre != nil || c.Post != nil) {
		return p.errorf("index lists are only used by rule list, not %s", c.Kind)
	}
	switch c.Kind {
	case ConnectAll, ConnectOneToOne:
	case ConnectRandom:
		if !(c.P >= 0 && c.P <= 1) {
			return p.dot("random").errorf("probability must be in [0, 1], got %g", c.P)
		}
	case ConnectList:
		lp := p.dot("list")
		if len(c.Pre) != len(c.Post) {
			return lp.dot("post").errorf("%d post indices for %d pre indices: want one pair per synapse", len(c.Post), len(c.Pre))
		}
		for k, i := range c.Pre {
			if i < 0 || int(i) >= pre.Size {
				return lp.dot("pre").at(k).errorf("index %d out of range for population %q of size %d", i, pre.Name, pre.Size)
			}
		}
		for k, j := range c.Post {
			if j < 0 || int(j) >= post.Size {
				return lp.dot("post").at(k).errorf("index %d out of range for population %q of size %d", j, post.Name, post.Size)
			}
		}
	case "":
		return p.errorf("missing connectivity rule")
	default:
		return p.errorf("unknown rule %q (want all, one-to-one, random, list)", c.Kind)
	}
	if c.Kind == ConnectOneToOne && pre.Size != post.Size {
		return p.errorf("one-to-one needs equal sizes, got %q (%d) -> %q (%d)", pre.Name, pre.Size, post.Name, post.Size)
	}
	return nil
}
