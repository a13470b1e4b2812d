package dataset_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/dataset/encode"
)

// Load reads both splits; "" would mean the default place (the Go module cache for MNIST).
func ExampleLoad() {
	train, test, err := dataset.Load("mnist", "testdata/mnist-tiny")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(train.Name, train.N, test.N, train.Shape, train.Dim)
	fmt.Println("first labels:", train.Y[:5])
	fmt.Println("per class:", test.Counts())
	// Output:
	// mnist 20 10 [1 28 28] 784
	// first labels: [5 0 4 1 9]
	// per class: [1 2 1 0 2 1 0 1 0 2]
}

// Samples are views: a training loop encodes them into a reused Spikes buffer.
func ExampleSet_Sample() {
	train, _, err := dataset.Load("mnist", "testdata/mnist-tiny")
	if err != nil {
		fmt.Println(err)
		return
	}
	var spikes encode.Spikes
	rng := rand.New(rand.NewPCG(1, 2))
	enc := encode.Poisson{MaxRate: 100, DT: 1} // 100 Hz at full intensity, 1 ms steps
	for i := range train.Subset(3).N {
		enc.Encode(&spikes, train.Sample(i), 100, rng)
		fmt.Printf("digit %d: %d input spikes over %d steps\n", train.Y[i], spikes.Len(), spikes.Steps())
	}
	// Output:
	// digit 5: 1072 input spikes over 100 steps
	// digit 0: 1149 input spikes over 100 steps
	// digit 4: 790 input spikes over 100 steps
}

// Sequential MNIST shares the images' memory: 28 steps of one 28-pixel row.
func ExampleSequential() {
	_, test, err := dataset.Load("mnist", "testdata/mnist-tiny")
	if err != nil {
		fmt.Println(err)
		return
	}
	seq := dataset.Sequential(test)
	fmt.Println(seq.Name, seq.Shape, &seq.X[0] == &test.X[0])
	// Output: smnist [28 28] true
}
