package optim

import "testing"

// BenchmarkAdamMNIST is one Adam step over the parameters of MLP 784-500-10.
func BenchmarkAdamMNIST(b *testing.B) {
	p := []Param{
		{Value: make([]float32, 784*500), Grad: make([]float32, 784*500)},
		{Value: make([]float32, 500), Grad: make([]float32, 500)},
		{Value: make([]float32, 5000), Grad: make([]float32, 5000)},
		{Value: make([]float32, 10), Grad: make([]float32, 10)},
	}
	for i := range p[0].Grad {
		p[0].Grad[i] = float32(i%13) * 1e-3
	}
	o := NewAdam(1e-3)
	for range b.N {
		o.Step(p)
	}
}
