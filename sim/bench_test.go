package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/snn"
)

// BenchmarkStepCuBa measures the neuron update kernel alone (ns per neuron-step).
func BenchmarkStepCuBa(b *testing.B) {
	for _, n := range []int{4000, 40000, 400000} {
		for _, kernel := range []string{"build", "portable"} {
			b.Run(fmt.Sprintf("N=%d/%s", n, kernel), func(b *testing.B) {
				p, err := neuron.NewPropagator(snn.ModelCuBaLIF, cubaParams(), 0.1)
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 1))
				v := make([]float32, n)
				ge := make([]float32, n)
				gi := make([]float32, n)
				for i := range v {
					v[i] = -60 + 9*rng.Float32()
				}
				out := make([]int32, 0, n)
				var scratch []uint8
				step := func(p *neuron.Propagator, v, ge, gi []float32, out []int32) []int32 {
					return stepCuBa(p, v, ge, gi, &scratch, out)
				}
				if kernel == "portable" {
					step = stepCuBaGeneric
				}
				b.SetBytes(int64(n) * 16)
				for b.Loop() {
					out = step(&p, v, ge, gi, out[:0])
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/neuron")
			})
		}
	}
}

// BenchmarkDeliver measures spike delivery (one CSR row of 80 random targets per spike)
// into a target array that fits in cache (4k) and one that does not (4M).
func BenchmarkDeliver(b *testing.B) {
	for _, n := range []int{4000, 400000, 4000000} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, 2))
			const rows, fan = 4096, 80
			cols := make([]int32, rows*fan)
			for i := range cols {
				cols[i] = int32(rng.IntN(n))
			}
			dst := make([]float32, n)
			k := 0
			for b.Loop() {
				addConst(dst, cols[k*fan:(k+1)*fan], 1.62)
				k = (k + 1) % rows
			}
			b.ReportMetric(float64(b.N)*fan/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkCUBA simulates the CUBA benchmark network (100 ms per iteration).
func BenchmarkCUBA(b *testing.B) { benchNet(b, snn.CUBA) }

// BenchmarkCOBA simulates the conductance-based COBA benchmark network (100 ms per
// iteration).
func BenchmarkCOBA(b *testing.B) { benchNet(b, snn.COBA) }

func benchNet(b *testing.B, build func(n int) *snn.Network) {
	for _, n := range []int{4000, 40000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			m, err := Compile(build(n), 1)
			if err != nil {
				b.Fatal(err)
			}
			r := m.NewRun(1)
			if err := r.Run(context.Background(), 2000); err != nil { // past the transient
				b.Fatal(err)
			}
			ev := r.Events
			for b.Loop() {
				if err := r.Run(context.Background(), 1000); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.Events-ev)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
