package sim

import (
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
)

// stepNeurons advances a neuron population by one step and appends the local indices
// of the neurons that fired to out.
func (r *Run) stepNeurons(s *popState, out []int32) []int32 {
	p := &s.info.Prop
	if p.Beta > 0 && (s.hook == nil || !s.hook.det) {
		if s.hook != nil {
			return stepScored(p, s, r.tick, out)
		}
		return stepStochastic(p, s, out)
	}
	start := len(out)
	switch p.Kind {
	case snn.ModelCuBaLIF:
		out = stepCuBa(p, s.v, s.ge, s.gi, &s.masks, out)
	case snn.ModelCoBaLIF:
		out = stepCoBa(p, s.v, s.ge, s.gi, &s.masks, out)
	default:
		return stepLIF(p, s.v, s.ref, out)
	}
	return s.refractory(p, r.tick, out, start)
}

// refractory finishes a step of a current- or conductance-based population after the
// dense kernel has integrated every neuron and listed the candidates above threshold in
// out[start:]. Neurons in their refractory period get their held membrane back (their
// synaptic variables have decayed with everyone else's) and cannot fire; the others
// fire, reset, and hold their membrane for the next RefSteps-1 steps. The refractory
// neurons wait in a FIFO queue (all periods have the same length, so they leave in the
// order they came): the dense kernel streams no per-neuron counter and the queue costs
// one store per refractory neuron.
func (s *popState) refractory(p *neuron.Propagator, t int64, out []int32, start int) []int32 {
	v := s.v
	q := s.refQ[s.refHead:]
	for _, e := range q {
		v[e.i] = e.hold
	}
	for len(q) > 0 && q[0].until <= t { // their last held step was this one
		q = q[1:]
		s.refHead++
	}
	n := start
	for _, i := range out[start:] {
		if s.refUntil[i] >= t {
			continue
		}
		out[n] = i
		n++
	}
	out = out[:n]
	if s.refHead > 1024 && s.refHead > len(s.refQ)/2 {
		s.refQ = s.refQ[:copy(s.refQ, s.refQ[s.refHead:])]
		s.refHead = 0
	}
	for _, i := range out[start:] {
		if p.Subtract {
			v[i] -= p.ResetStep
		} else {
			v[i] = p.VReset
		}
		if p.RefSteps > 1 {
			until := t + int64(p.RefSteps) - 1
			s.refUntil[i] = until
			s.refQ = append(s.refQ, refEntry{i: i, hold: v[i], until: until})
		}
	}
	return out
}

// refEntry is a neuron in its refractory period: its membrane is held at hold until
// (and including) tick until.
type refEntry struct {
	i     int32
	hold  float32
	until int64
}

// stepCuBaGeneric is the portable CuBa-LIF kernel: it integrates every neuron one step
// and appends the neurons above threshold to out. Its operation order (and the explicit
// float32 conversions that forbid fused multiply-adds) make it bit-identical to the
// vectorised kernel.
func stepCuBaGeneric(p *neuron.Propagator, v, ge, gi []float32, out []int32) []int32 {
	n := len(v)
	ge, gi = ge[:n], gi[:n]
	vinf, am, ce, ci, ae, ai, vth := p.VInf, p.AM, p.CE, p.CI, p.AE, p.AI, p.VThresh
	for i := range v {
		g1, g2 := ge[i], gi[i]
		ge[i] = float32(g1 * ae)
		gi[i] = float32(g2 * ai)
		a := float32((v[i] - vinf) * am)
		b := float32(g1 * ce)
		c := float32(g2 * ci)
		vn := float32(float32(float32(a+b)+c) + vinf)
		v[i] = vn
		if vn > vth {
			out = append(out, int32(i))
		}
	}
	return out
}

// stepCoBaGeneric is the portable CoBa-LIF kernel: forward Euler on v (as the COBA
// benchmark's reference implementations), exact decay of the conductances.
func stepCoBaGeneric(p *neuron.Propagator, v, ge, gi []float32, out []int32) []int32 {
	n := len(v)
	ge, gi = ge[:n], gi[:n]
	for i := range v {
		g1, g2 := ge[i], gi[i]
		ge[i] = float32(g1 * p.AE)
		gi[i] = float32(g2 * p.AI)
		vn := cobaV(p, v[i], g1, g2)
		v[i] = vn
		if vn > p.VThresh {
			out = append(out, int32(i))
		}
	}
	return out
}

// cobaV is one forward-Euler step of the CoBa membrane, in the vector kernel's order.
func cobaV(p *neuron.Propagator, x, g1, g2 float32) float32 {
	a := float32(g1 * float32(p.EE-x))
	b := float32(g2 * float32(p.EI-x))
	c := float32(x - p.VInf)
	return float32(x + float32(p.K*float32(float32(a+b)-c)))
}

// resetFired applies the reset and the refractory counter to the neurons in fired.
func resetFired(p *neuron.Propagator, v []float32, ref []int32, fired []int32) {
	for _, i := range fired {
		if p.Subtract {
			v[i] -= p.ResetStep
		} else {
			v[i] = p.VReset
		}
		ref[i] = max(p.RefSteps-1, 0)
	}
}

// stepLIF advances LIF neurons with delta synapses (input already added to v).
func stepLIF(p *neuron.Propagator, v []float32, ref []int32, out []int32) []int32 {
	start := len(out)
	ref = ref[:len(v)]
	vinf, am, vth := p.VInf, p.AM, p.VThresh
	for i := range v {
		if ref[i] > 0 {
			ref[i]--
			continue
		}
		vn := float32(float32((v[i]-vinf)*am) + vinf)
		v[i] = vn
		if vn > vth {
			out = append(out, int32(i))
		}
	}
	resetFired(p, v, ref, out[start:])
	return out
}

// stepStochastic advances neurons with escape-noise firing: each non-refractory neuron
// fires with probability sigmoid((v - v_thresh)/beta), drawn from the population's stream.
func stepStochastic(p *neuron.Propagator, s *popState, out []int32) []int32 {
	start := len(out)
	v, ref := s.v, s.ref[:len(s.v)]
	esc := neuron.Escape{Theta: float64(p.VThresh), Beta: float64(p.Beta)}
	for i := range v {
		var vn float32
		switch p.Kind {
		case snn.ModelCuBaLIF:
			g1, g2 := s.ge[i], s.gi[i]
			s.ge[i] = float32(g1 * p.AE)
			s.gi[i] = float32(g2 * p.AI)
			if ref[i] > 0 {
				ref[i]--
				continue
			}
			vn, _, _ = p.Step(v[i], g1, g2)
		case snn.ModelCoBaLIF:
			g1, g2 := s.ge[i], s.gi[i]
			s.ge[i] = float32(g1 * p.AE)
			s.gi[i] = float32(g2 * p.AI)
			if ref[i] > 0 {
				ref[i]--
				continue
			}
			vn = cobaV(p, v[i], g1, g2)
		default:
			if ref[i] > 0 {
				ref[i]--
				continue
			}
			vn = float32(float32((v[i]-p.VInf)*p.AM) + p.VInf)
		}
		v[i] = vn
		if esc.Fire(float64(vn), s.rng.Float64()) {
			out = append(out, int32(i))
		}
	}
	resetFired(p, v, ref, out[start:])
	return out
}
