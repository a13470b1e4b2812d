package rnn_test

import (
	"fmt"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/rnn"
)

// A GRU over sequential MNIST (28 steps of 28 pixels), trained by LR: fresh noise at every
// step, no backpropagation through time.
func Example() {
	m, err := rnn.New(rnn.GRU, 28, 28, 64, 10, 0.1, 1)
	if err != nil {
		panic(err)
	}
	est, err := rnn.NewLR(m, mlp.CrossEntropy, lr.Config{Copies: 8, VR: lr.VR{Antithetic: true}, Seed: 1})
	if err != nil {
		panic(err)
	}
	x := make([]float32, 2*m.In())
	st, err := est.Grad(x, []uint8{1, 2}, 2, 0)
	if err != nil {
		panic(err)
	}
	for _, p := range m.Params() {
		fmt.Println(p.Name, p.Shape)
	}
	fmt.Println("baseline:", est.Baseline(), "forward passes:", st.Forwards)
	// Output:
	// Wx [28 192]
	// Wh [64 128]
	// Wn [64 64]
	// b [192]
	// Wout [64 10]
	// bout [10]
	// baseline: loo forward passes: 16
}
