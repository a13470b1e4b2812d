package hw

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
	"github.com/snnsim/snnsim/snn"
)

// BenchmarkLinkInput measures input-event throughput through the driver and the
// software board for INPUT frames of k events (transaction of 4k+20 bytes).
func BenchmarkLinkInput(b *testing.B) {
	for _, k := range []int{1, 16, 64, 256, 1019} {
		b.Run(fmt.Sprintf("events=%d", k), func(b *testing.B) {
			ctx := context.Background()
			dev, _ := openEmu(b, "emu", board.Config{}, Options{})
			require.NoError(b, dev.WriteRegs(ctx, proto.RegNeurons, 256, 256))
			ev := make([]proto.Event, k)
			for i := range ev {
				ev[i] = proto.Spike(0, 1, uint16(i%256))
			}
			p := proto.AppendInput(nil, 0, ev)
			b.SetBytes(int64(proto.TxLen(len(p), 0)))
			b.ResetTimer()
			for range b.N {
				if _, err := dev.link.Do(ctx, proto.OpInput, p, -1, ""); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(k)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(proto.TxLen(len(p), 0)), "bytes/tx")
		})
	}
}

// BenchmarkLinkOutput measures output-event throughput: every one of k neurons fires
// every tick and one TICK transaction brings back the k+1 events.
func BenchmarkLinkOutput(b *testing.B) {
	for _, k := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("events=%d", k+1), func(b *testing.B) {
			ctx := context.Background()
			dev, _ := openEmu(b, "emu", board.Config{}, Options{EventRoom: k + 1})
			m := &sim.FixedModel{Params: make([]neuron.FixedParams, k), RowPtr: make([]int32, k+1)}
			for i := range m.Params {
				m.Params[i] = neuron.FixedParams{Theta: -1, Output: true}
			}
			require.NoError(b, dev.Program(ctx, m))
			n := proto.TxLen(6, 4*(k+1))
			b.SetBytes(int64(n))
			b.ResetTimer()
			for range b.N {
				if err := dev.Tick(ctx, 1); err != nil {
					b.Fatal(err)
				}
				dev.TakeSpikes()
			}
			b.ReportMetric(float64(k+1)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(n), "bytes/tx")
		})
	}
}

// BenchmarkStep256 runs a 256-neuron core with 256 Poisson axons through the whole
// stack, one Step per tick, and reports the SPI traffic per tick (the basis of the
// real-time clock estimate in docs/hardware.md).
func BenchmarkStep256(b *testing.B) {
	for _, rate := range []float64{10, 50} {
		b.Run(fmt.Sprintf("rate=%gHz", rate), func(b *testing.B) {
			ctx := context.Background()
			net := &snn.Network{Name: "core256", DT: 1, Populations: []snn.Population{
				{Name: "in", Size: 256, Model: snn.ModelPoisson, Rate: rate},
				{Name: "n", Size: 256, Model: snn.ModelCuBaLIF, Params: snn.NeuronParams{TauM: 20, TauE: 5, TauI: 5,
					VRest: -65, VThresh: -50, VReset: -65, Reset: snn.ResetSubtract, Beta: 1}},
			}, Projections: []snn.Projection{
				{From: "in", To: "n", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.2}, Weight: snn.Dist{Kind: snn.DistUniform, A: 0, B: 4}},
				{From: "n", To: "n", Connect: snn.Connect{Kind: snn.ConnectRandom, P: 0.1}, Weight: snn.Dist{Kind: snn.DistNormal, A: 0, B: 2}},
			}}
			m, err := sim.CompileFixed(net, 1, sim.FixedOptions{})
			require.NoError(b, err)
			dev, _ := openEmu(b, "emu", board.Config{}, Options{})
			require.NoError(b, dev.Program(ctx, m))
			gen, err := m.NewInputs(1)
			require.NoError(b, err)
			ins := make([][]sim.FixedInput, 1000)
			var inputs int
			for k := range ins {
				ins[k] = gen.Next(nil)
				inputs += len(ins[k])
			}
			st0 := dev.Link().Stats()
			var spikes int
			b.ResetTimer()
			for k := range b.N {
				s, err := dev.Step(ctx, ins[k%len(ins)])
				if err != nil {
					b.Fatal(err)
				}
				spikes += len(s)
			}
			st := dev.Link().Stats()
			b.ReportMetric(float64(st.Bytes-st0.Bytes)/float64(b.N), "bytes/tick")
			b.ReportMetric(float64(st.Tx-st0.Tx)/float64(b.N), "tx/tick")
			b.ReportMetric(float64(spikes)/float64(b.N), "spikes/tick")
			b.ReportMetric(float64(inputs)/float64(len(ins)), "inputs/tick")
		})
	}
}
