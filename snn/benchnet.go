package snn

import (
	"fmt"
	"math"
)

// CUBA returns the current-based benchmark network of Vogels & Abbott (2005) as used by
// Brette et al. (2007, benchmark 2) and Brian2's examples/CUBA.py, with n neurons: populations
// "exc" (round(0.8 n)) and "inh" (the rest) of identical cuba-lif neurons
//
//	τm 20 ms, τe 5 ms, τi 10 ms, v_rest (El) −49 mV, v_thresh −50 mV, v_reset −60 mV,
//	refractory 5 ms, reset to value, v(0) ~ U[−60 mV, −50 mV),
//
// and four random projections exc→exc, exc→inh (receptor exc, weight 1.62 mV) and inh→exc,
// inh→inh (receptor inh, weight −9 mV), each pair connected independently with probability
// p = 80/n (0.02 at n = 4000; at most 1), so that every neuron has on average 80 inputs
// (64 excitatory, 16 inhibitory) whatever n. Self-connections are allowed, as in Brian2's
// connect(p=p). No delays, dt 0.1 ms, seeds unset (derived from the run seed).
// It panics if n < 3.
func CUBA(n int) *Network {
	net := benchNet("cuba", n, ModelCuBaLIF, 1.62, -9)
	for i := range net.Populations {
		q := &net.Populations[i].Params
		q.VRest = -49
		net.Populations[i].InitV = Dist{Kind: DistUniform, A: -60, B: -50}
	}
	return net
}

// COBA returns the conductance-based variant of the benchmark (Brette et al. 2007,
// benchmark 1, as in the ANNarchy/Brian2/BrainPy cross-simulator comparison, Vitay et
// al. 2015): like CUBA but coba-lif neurons with v_rest (El) −60 mV, bias I = 20 mV,
// reversal potentials e_e 0 mV and e_i −80 mV, v(0) ~ N(−55 mV, 5 mV), and dimensionless
// conductance weights (units of the leak conductance) 0.6 from exc and 6.7 from inh.
// It panics if n < 3.
func COBA(n int) *Network {
	net := benchNet("coba", n, ModelCoBaLIF, 0.6, 6.7)
	for i := range net.Populations {
		q := &net.Populations[i].Params
		q.VRest = -60
		q.Bias = 20
		q.EE = 0
		q.EI = -80
		net.Populations[i].InitV = Dist{Kind: DistNormal, A: -55, B: 5}
	}
	return net
}

func benchNet(name string, n int, model Model, we, wi float64) *Network {
	ne := int(math.Round(0.8 * float64(n)))
	ni := n - ne
	if ne < 1 || ni < 1 {
		panic(fmt.Sprintf("snn: %s network needs n >= 3, got %d", name, n))
	}
	params := DefaultParams()
	params.TauM, params.TauE, params.TauI = 20, 5, 10
	params.VThresh, params.VReset = -50, -60
	params.Refractory = 5
	params.Reset = ResetValue
	p := min(80/float64(n), 1)
	net := &Network{
		Name: name,
		DT:   0.1,
		Populations: []Population{
			{Name: "exc", Size: ne, Model: model, Params: params},
			{Name: "inh", Size: ni, Model: model, Params: params},
		},
	}
	for _, src := range []string{"exc", "inh"} {
		r, w := Exc, we
		if src == "inh" {
			r, w = Inh, wi
		}
		for _, dst := range []string{"exc", "inh"} {
			net.Projections = append(net.Projections, Projection{
				Name:     src[:1] + dst[:1],
				From:     src,
				To:       dst,
				Receptor: r,
				Connect:  Connect{Kind: ConnectRandom, P: p, AllowSelf: true},
				Weight:   Const(w),
			})
		}
	}
	return net
}
