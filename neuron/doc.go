// Package neuron holds the neuron models of snnsim and the laws they obey.
//
// # Units
//
// Time in milliseconds, potentials in millivolts (see package snn).
//
// # Leaky integrate-and-fire with exact propagators
//
// The current-based LIF (CuBa-LIF) has a membrane v and two exponentially decaying synaptic
// variables g_e, g_i (in mV, the jump a spike of weight w causes):
//
//	τm dv/dt = -(v - v∞) + g_e + g_i,   τe dg_e/dt = -g_e,   τi dg_i/dt = -g_i,
//
// with v∞ = v_rest + bias. Between spikes the system is linear, so one step of length dt is
// integrated exactly (no forward Euler):
//
//	g_e' = a_e g_e,   a_e = exp(-dt/τe)
//	v'   = v∞ + (v - v∞) a_m + c_e g_e + c_i g_i,   a_m = exp(-dt/τm),
//	c_e  = τe/(τe - τm) (a_e - a_m)   (and (dt/τm) a_m when τe = τm).
//
// The plain LIF has delta synapses: a spike of weight w makes v jump by w. The
// conductance-based LIF (CoBa-LIF) of the Brette et al. (2007) COBA benchmark is
// nonlinear in v; its membrane is advanced by forward Euler (as the reference
// implementations do) while its conductances decay exactly.
//
// After a spike the membrane is reset to v_reset (ResetValue) or lowered by
// v_thresh - v_reset (ResetSubtract), and held for the absolute refractory period: the
// membrane is not integrated during it, the synaptic variables keep decaying and receiving
// input (as in Brian2's "unless refractory").
//
// # Stochastic firing (escape noise)
//
// With escape noise of scale β > 0, a neuron at membrane u fires in a step with probability
//
//	p = σ((u - θ)/β),   σ(x) = 1/(1 + e^{-x}),
//
// equivalently it fires when u + β·ℓ > θ with ℓ standard logistic noise. The
// log-likelihood of the outcome s ∈ {0, 1} is s·log p + (1-s)·log(1-p), and its derivative
// with respect to the membrane is
//
//	∂ log P(s | u)/∂u = (s - p)/β,
//
// the score that likelihood-ratio training multiplies by ∂u/∂w (see package lr).
//
// # Fixed-point neuron
//
// [FixedParams], [FixedState] and [LUT] are the integer neuron of the board core
// (docs/hardware.md §2): int16 current and membrane, decays by arithmetic shifts
// (τ = −dt / ln(1 − 2^−d)), saturation to 16 bits, and escape noise drawn against a
// 2⁻¹⁶ probability table. Package sim's fixed-point mode and the software board both step
// it, and agree bit for bit.
package neuron
