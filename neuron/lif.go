package neuron

import (
	"fmt"
	"math"

	"github.com/snnsim/snnsim/snn"
)

// Propagator holds the per-step coefficients of a LIF-family neuron for one time step dt,
// in float32 (the engine's state precision). It is computed once per population.
type Propagator struct {
	Kind snn.Model
	DT   float64 // ms

	AM, AE, AI float32 // decay factors of v, g_e, g_i over one step
	CE, CI     float32 // coupling of g_e, g_i into v over one step (cuba-lif)
	VInf       float32 // v_rest + bias: the membrane's fixed point without input
	VThresh    float32
	VReset     float32
	ResetStep  float32 // v_thresh - v_reset, subtracted on ResetSubtract
	Subtract   bool    // reset by subtraction
	// RefSteps is the refractory period in whole steps (rounded to nearest). A neuron that
	// fires at step n keeps its membrane through steps n+1 … n+RefSteps-1 and may fire
	// again at step n+RefSteps at the earliest — Brian2's timing
	// (not_refractory = timestep(t - lastspike) >= timestep(refractory)).
	RefSteps int32

	// CoBa-LIF (forward Euler on v): v += K*(g_e(EE - v) + g_i(EI - v) - (v - VInf)), K = dt/τm.
	K, EE, EI float32

	// Beta > 0: stochastic firing with p = sigmoid((v - VThresh)/Beta).
	Beta float32
}

// NewPropagator computes the exact one-step propagator of a neuron population with the
// given parameters and time step dt (ms). It returns an error for parameters that give no
// valid dynamics (non-positive time constants or dt).
func NewPropagator(model snn.Model, p snn.NeuronParams, dt float64) (Propagator, error) {
	if !(dt > 0) {
		return Propagator{}, fmt.Errorf("neuron: dt must be > 0, got %g", dt)
	}
	if !(p.TauM > 0) {
		return Propagator{}, fmt.Errorf("neuron: tau_m must be > 0, got %g", p.TauM)
	}
	pr := Propagator{
		Kind:      model,
		DT:        dt,
		AM:        float32(math.Exp(-dt / p.TauM)),
		VInf:      float32(p.VRest + p.Bias),
		VThresh:   float32(p.VThresh),
		VReset:    float32(p.VReset),
		ResetStep: float32(p.VThresh - p.VReset),
		Subtract:  p.Reset == snn.ResetSubtract,
		RefSteps:  int32(math.Round(p.Refractory / dt)),
		Beta:      float32(p.Beta),
	}
	switch model {
	case snn.ModelLIF:
	case snn.ModelCuBaLIF, snn.ModelCoBaLIF:
		if !(p.TauE > 0) || !(p.TauI > 0) {
			return Propagator{}, fmt.Errorf("neuron: %s needs tau_e > 0 and tau_i > 0, got %g, %g", model, p.TauE, p.TauI)
		}
		pr.AE = float32(math.Exp(-dt / p.TauE))
		pr.AI = float32(math.Exp(-dt / p.TauI))
		if model == snn.ModelCuBaLIF {
			pr.CE = float32(Coupling(p.TauM, p.TauE, dt))
			pr.CI = float32(Coupling(p.TauM, p.TauI, dt))
		} else {
			pr.K = float32(dt / p.TauM)
			pr.EE = float32(p.EE)
			pr.EI = float32(p.EI)
		}
	default:
		return Propagator{}, fmt.Errorf("neuron: %q is not a neuron model", model)
	}
	return pr, nil
}

// Coupling returns the exact contribution, after one step dt, to the membrane of a
// synaptic variable of time constant tauS that starts at 1, for a membrane of time
// constant tauM: τs/(τs-τm)·(e^{-dt/τs} - e^{-dt/τm}), with the limit (dt/τm)e^{-dt/τm}
// at τs = τm.
func Coupling(tauM, tauS, dt float64) float64 {
	am := math.Exp(-dt / tauM)
	if math.Abs(tauS-tauM) < 1e-9*tauM {
		return dt / tauM * am
	}
	as := math.Exp(-dt / tauS)
	return tauS / (tauS - tauM) * (as - am)
}

// Step advances one CuBa-LIF neuron that is not refractory by one step (the scalar
// reference of the engine's vectorised kernel; same operation order, so the same float32
// result). It returns the new v, g_e and g_i.
func (p *Propagator) Step(v, ge, gi float32) (float32, float32, float32) {
	a := float32((v - p.VInf) * p.AM)
	b := float32(ge * p.CE)
	c := float32(gi * p.CI)
	vn := float32(float32(float32(a+b)+c) + p.VInf)
	return vn, float32(ge * p.AE), float32(gi * p.AI)
}

// ExactV returns the membrane of a CuBa-LIF neuron after time t (ms) without spikes or
// input, starting from v, ge, gi: the closed form the propagator samples. Used by tests.
func ExactV(p snn.NeuronParams, v, ge, gi, t float64) float64 {
	vinf := p.VRest + p.Bias
	am := math.Exp(-t / p.TauM)
	return vinf + (v-vinf)*am + ge*Coupling(p.TauM, p.TauE, t) + gi*Coupling(p.TauM, p.TauI, t)
}
