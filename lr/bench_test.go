package lr

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkNormal compares the estimator's normal stream with math/rand/v2's NormFloat64.
func BenchmarkNormal(b *testing.B) {
	dst := make([]float32, 500)
	b.Run("NormalStream", func(b *testing.B) {
		s := NewNormalStream(1, 2)
		for range b.N {
			s.Fill(dst)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(dst)), "ns/value")
	})
	b.Run("NormalStream32", func(b *testing.B) {
		s := NewNormalStream(1, 2)
		for range b.N {
			s.Fill32(dst)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(dst)), "ns/value")
	})
	b.Run("NormFloat64", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		for range b.N {
			for i := range dst {
				dst[i] = float32(r.NormFloat64())
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(dst)), "ns/value")
	})
}

// BenchmarkQMC is the scrambled Halton noise of one batch of a 500-unit layer (100
// samples × 5 independent copies).
func BenchmarkQMC(b *testing.B) {
	dst := make([]float32, 500*500)
	for i := range b.N {
		qmcNoise(dst, 500, 500, Gaussian{}, uint64(i), 1, nil)
	}
}
