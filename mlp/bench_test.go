package mlp

import (
	"context"
	"testing"

	"github.com/snnsim/snnsim/dataset"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
)

// mnistLike returns B MNIST training samples, or when the files are missing B samples
// shaped like them (784 inputs, ~20 % non-zero).
func mnistLike(B int) ([]float32, []uint8) {
	if train, _, err := dataset.Load("mnist", ""); err == nil {
		s := train.Subset(B)
		return s.X, s.Y
	}
	x, y := synth(B, 784, 10, 9)
	for i := range x {
		if i%5 != 0 {
			x[i] = 0
		}
	}
	return x, y
}

// BenchmarkLRStep is one LR gradient estimate of the reference setting: MLP 784-500-10,
// batch 100, K = 10 antithetic copies, noise in both layers.
func BenchmarkLRStep(b *testing.B) {
	for _, vr := range []lr.VR{{Antithetic: true}, {Antithetic: true, LayerWise: true}, {Antithetic: true, QMC: true}} {
		b.Run(vr.String(), func(b *testing.B) {
			m, _ := New([]int{784, 500, 10}, ReLU, 0.1, 1)
			x, y := mnistLike(100)
			est, err := lr.NewEstimator(m.Stages(), CrossEntropy, lr.Config{Copies: 10, VR: vr, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			c := startCPU()
			for i := range b.N {
				if _, err := est.Grad(x, y, 100, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "samples/s")
			c.report(b, 100, "cpu-ns/sample")
		})
	}
}

// BenchmarkBPStep is one backpropagation gradient of MLP 784-500-10 on a batch of 100.
func BenchmarkBPStep(b *testing.B) {
	m, _ := New([]int{784, 500, 10}, ReLU, 0.1, 1)
	x, y := mnistLike(100)
	bp, _ := NewBP(m, CrossEntropy)
	b.ResetTimer()
	c := startCPU()
	for i := range b.N {
		if _, err := bp.Grad(x, y, 100, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "samples/s")
	c.report(b, 100, "cpu-ns/sample")
}

// BenchmarkDenseMNIST times the first layer of the MNIST MLP (784→500, ~20 % non-zero
// inputs) on a group of 4 samples (the estimator's parallel task) and its gradient on a
// batch of 100.
func BenchmarkDenseMNIST(b *testing.B) {
	d := NewDense(784, 500, 1, 1)
	d.Workers = 1
	x, _ := mnistLike(100)
	z := make([]float32, 100*500)
	delta := make([]float32, 100*500)
	for i := range delta {
		delta[i] = float32(i%7) * 0.01
	}
	b.Run("forward4", func(b *testing.B) {
		c := startCPU()
		for range b.N {
			d.Forward(z, x[:4*784], 4)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(4*b.N), "ns/sample")
		c.report(b, 4, "cpu-ns/sample")
	})
	b.Run("forward100", func(b *testing.B) {
		d.Workers = 1
		c := startCPU()
		for range b.N {
			d.Forward(z, x, 100)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(100*b.N), "ns/sample")
		c.report(b, 100, "cpu-ns/sample")
	})
	b.Run("addgrad100", func(b *testing.B) {
		d.Workers = 1
		c := startCPU()
		for range b.N {
			d.AddGrad(x, delta, 100)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(100*b.N), "ns/sample")
		c.report(b, 100, "cpu-ns/sample")
	})
}

// BenchmarkAxpy4 is the inner kernel on cache-resident rows of 500.
func BenchmarkAxpy4(b *testing.B) {
	x := make([]float32, 500)
	y := make([]float32, 500)
	for range b.N {
		axpy4(1, 2, 3, 4, x, x, x, x, y)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2000), "ns/MAC")
}

// BenchmarkDenseNarrow times the LR estimator's second layer (500→10): the forward pass
// of one parallel task (4 samples × 10 copies) and the gradient of a batch (100 samples
// × 10 copies), on ReLU-like inputs (half zero).
func BenchmarkDenseNarrow(b *testing.B) {
	d := NewDense(500, 10, 1, 1)
	d.Workers = 1
	d.Prepare()
	x, delta := make([]float32, 1000*500), make([]float32, 1000*10)
	for i := range x {
		if i%2 == 0 {
			x[i] = float32(i%13) * 0.1
		}
	}
	for i := range delta {
		delta[i] = float32(i%7) * 0.01
	}
	z := make([]float32, 40*10)
	b.Run("forward40", func(b *testing.B) {
		c := startCPU()
		for range b.N {
			d.Forward(z, x, 40)
		}
		c.report(b, 4, "cpu-ns/sample")
	})
	b.Run("addgrad1000", func(b *testing.B) {
		c := startCPU()
		for range b.N {
			d.AddGrad(x, delta, 1000)
		}
		c.report(b, 100, "cpu-ns/sample")
	})
}

// BenchmarkLRTrain is lr.Train over 2 000 MNIST samples (20 batches of 100) with Adam, the
// whole loop of `snnsim train --method lr`: K = 10 antithetic copies, σ = 0.1, noise in
// both layers, leave-one-out baseline.
func BenchmarkLRTrain(b *testing.B) {
	const n = 2000
	x, y := mnistLike(n)
	m, _ := New([]int{784, 500, 10}, ReLU, 0.1, 1)
	m.Prepare()
	est, err := lr.NewEstimator(m.Stages(), CrossEntropy, lr.Config{Copies: 10, VR: lr.VR{Antithetic: true}, Baseline: lr.BaselineLOO, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	opt := optim.NewAdam(1e-3)
	data := lr.Data{X: x, Y: y, N: n, Dim: 784}
	b.ResetTimer()
	c := startCPU()
	for i := range b.N {
		if _, err := lr.Train(context.Background(), est, opt, data, lr.TrainConfig{Epochs: 1, Batch: 100, Seed: uint64(i), Prepare: m.Prepare}, lr.TrainState{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
	c.report(b, n, "cpu-ns/sample")
}
