package encode_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/snnsim/snnsim/dataset/encode"
)

func ExamplePoisson() {
	x := []float32{0, 0.5, 1} // three pixels
	enc := encode.Poisson{MaxRate: 200, DT: 1}
	fmt.Println("probability per step:", enc.Prob(x[0]), enc.Prob(x[1]), enc.Prob(x[2]))

	var s encode.Spikes // reuse one per goroutine: no allocation once grown
	enc.Encode(&s, x, 1000, rand.New(rand.NewPCG(42, 0)))
	counts := make([]int32, len(x))
	s.Counts(counts)
	fmt.Println("spikes per pixel in 1000 steps:", counts)
	// Output:
	// probability per step: 0 0.1 0.2
	// spikes per pixel in 1000 steps: [0 91 202]
}

func ExampleLatency() {
	x := []float32{1, 0.5, 0.1, 0}
	var s encode.Spikes
	encode.Latency{}.Encode(&s, x, 11, nil)
	for t := range s.Steps() {
		if ids := s.At(t); len(ids) > 0 {
			fmt.Println("step", t, "inputs", ids)
		}
	}
	// Output:
	// step 0 inputs [0]
	// step 5 inputs [1]
	// step 9 inputs [2]
}

func ExampleSyntheticNMNIST() {
	// A bright 6×6 square in the middle of a 28×28 image.
	x := make([]float32, 28*28)
	for y := 11; y < 17; y++ {
		for c := 11; c < 17; c++ {
			x[y*28+c] = 1
		}
	}
	enc := encode.SyntheticNMNIST{}
	var s encode.Spikes
	enc.Encode(&s, x, 300, nil) // 300 steps of 1 ms, like N-MNIST's 300 ms
	var on, off [3]int
	for t := range s.Steps() {
		k := encode.Saccade(t, s.Steps())
		for _, id := range s.At(t) {
			if id < encode.SensorPixels {
				on[k]++
			} else {
				off[k]++
			}
		}
	}
	fmt.Println(enc.Name(), "inputs:", enc.Inputs(len(x)))
	fmt.Println("ON per saccade:", on)
	fmt.Println("OFF per saccade:", off)
	// Output:
	// synthetic-nmnist inputs: 2312
	// ON per saccade: [225 296 294]
	// OFF per saccade: [225 278 254]
}
