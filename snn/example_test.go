package snn_test

import (
	"fmt"
	"log"

	"github.com/snnsim/snnsim/snn"
)

func ExampleParse() {
	net, err := snn.Parse([]byte(`
name: pair
dt: 0.1ms
populations:
  - {name: stim, size: 10, model: poisson, rate: 50Hz}
  - name: out
    size: 10
    model: cuba-lif
    params: {tau_m: 10ms, v_thresh: -52mV}
projections:
  - {from: stim, to: out, connect: one-to-one, weight: 4mV, delay: 1ms}
`))
	if err != nil {
		log.Fatal(err)
	}
	out := net.Population("out")
	fmt.Println(net.Name, net.NumNeurons(), "neurons")
	fmt.Printf("out: tau_m %gms, v_rest %gmV (default), v_thresh %gmV\n", out.Params.TauM, out.Params.VRest, out.Params.VThresh)

	_, err = snn.Parse([]byte(`
populations:
  - {name: out, size: 10, model: cuba-lif, params: {tau_m: -5ms}}
`))
	fmt.Println(err)
	// Output:
	// pair 20 neurons
	// out: tau_m 10ms, v_rest -65mV (default), v_thresh -52mV
	// snn: line 3: populations[0] (out).params.tau_m: must be > 0, got -5ms
}

func ExampleProjection_Build() {
	net := snn.CUBA(4000)
	pr := net.Projections[0] // exc -> exc, p = 0.02
	syn, err := pr.Build(3200, 3200, net.DT, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pr.From, "->", pr.To, "synapses:", syn.Len() > 200_000, syn.Weights[0])
	// Output:
	// exc -> exc synapses: true 1.62
}

func ExampleFormat() {
	net := &snn.Network{DT: 0.1, Populations: []snn.Population{
		{Name: "in", Size: 1, Model: snn.ModelSpikes, SpikeIDs: []int32{0}, SpikeTimes: []float64{2}},
		{Name: "n", Size: 1, Model: snn.ModelLIF, Params: snn.DefaultParams()},
	}, Projections: []snn.Projection{
		{From: "in", To: "n", Connect: snn.Connect{Kind: snn.ConnectAll}, Weight: snn.Const(20)},
	}}
	out, err := snn.Format(net)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// dt: 0.1ms
	// populations:
	//   - name: in
	//     size: 1
	//     model: spikes
	//     spikes: {ids: [0], times: [2ms]}
	//   - name: n
	//     size: 1
	//     model: lif
	//     params: {tau_m: 20ms, tau_e: 5ms, tau_i: 10ms, v_rest: -65mV, v_thresh: -50mV, v_reset: -65mV, refractory: 2ms, reset: value}
	// projections:
	//   - from: in
	//     to: n
	//     receptor: exc
	//     connect: all
	//     weight: 20mV
}
