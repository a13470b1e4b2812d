package sim

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/snn"
	"github.com/snnsim/snnsim/trace/tracetest"
)

// goldenNets are small networks covering every model, reset, delays and stochastic
// firing. Their traces are frozen in testdata/ (rewrite with go test ./sim -update after
// an intended change; both the AVX2 and the portable build must match the same files).
func goldenNets() map[string]*snn.Network {
	sub := cubaParams()
	sub.Reset = snn.ResetSubtract
	sub.Refractory = 0
	lif := snn.NeuronParams{TauM: 10, VRest: -65, VThresh: -55, VReset: -70, Refractory: 2, Reset: snn.ResetValue}
	nets := map[string]*snn.Network{
		"random":     randomNet(60, 0),
		"stochastic": randomNet(60, 0.5),
		"coba":       snn.COBA(200),
		"cuba":       snn.CUBA(200),
	}
	sn := randomNet(40, 0)
	sn.Populations[1].Params = sub
	sn.Populations[2].Params = sub
	nets["subtract"] = sn
	nets["lif-delays"] = &snn.Network{Name: "lif", DT: 0.1,
		Populations: []snn.Population{
			{Name: "in", Size: 20, Model: snn.ModelPoisson, Rate: 80},
			{Name: "n", Size: 30, Model: snn.ModelLIF, Params: lif},
		},
		Projections: []snn.Projection{
			{Name: "a", From: "in", To: "n", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.5}, Weight: snn.Const(4), Delay: snn.Dist{Kind: snn.DistUniform, A: 0, B: 4}},
			{Name: "b", From: "n", To: "n", Receptor: snn.Inh, Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.2}, Weight: snn.Const(-2), Delay: snn.Const(1.5)},
		}}
	return nets
}

func TestGoldenTraces(t *testing.T) {
	for name, net := range goldenNets() {
		t.Run(name, func(t *testing.T) {
			m, err := Compile(net, 42)
			require.NoError(t, err)
			r := m.NewRun(42)
			rec, err := r.RecordSpikes()
			require.NoError(t, err)
			require.NoError(t, r.Run(context.Background(), 2000))
			require.Positive(t, rec.Len(), "a golden trace without spikes tests nothing")
			tracetest.Golden(t, filepath.Join("testdata", name+".npz"), r.Trace(rec, "sim"))
		})
	}
}
