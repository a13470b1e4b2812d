package dataset

import (
	"fmt"
	"math/rand/v2"
)

// Set is a labelled image (or sequence) dataset held in memory, samples row-major.
//
// Sample i occupies X[i*Dim : (i+1)*Dim]; its layout is given by Shape: [C,H,W] (channel,
// row, column) for images, [T,V] (time step, value) for sequences.
type Set struct {
	Name       string
	X          []float32 // N*Dim values scaled to [0,1]
	Y          []uint8   // N labels in [0, Classes)
	N, Dim     int
	Shape      []int // per-sample shape: [1,28,28] for MNIST, [3,32,32] for CIFAR-10 (CHW), [28,28] for smnist
	Classes    int
	ClassNames []string
	// Encoder, when not empty, names the encoder of package dataset/encode that turns a
	// sample into input spikes for this dataset (for example "synthetic-nmnist": the samples
	// are the MNIST images, and the network sees encode.SyntheticNMNIST's events).
	Encoder string
}

// Sample returns a view of sample i (its capacity is capped: appending never overwrites the
// next sample).
func (s *Set) Sample(i int) []float32 {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("dataset: sample %d out of range [0,%d)", i, s.N))
	}
	lo, hi := i*s.Dim, (i+1)*s.Dim
	return s.X[lo:hi:hi]
}

// Subset returns the first n samples (n is clipped to N) as a view: X and Y are shared with s.
func (s *Set) Subset(n int) *Set {
	return s.Slice(0, min(max(n, 0), s.N))
}

// Slice returns samples [i, j) as a view sharing X and Y with s.
func (s *Set) Slice(i, j int) *Set {
	if i < 0 || j < i || j > s.N {
		panic(fmt.Sprintf("dataset: slice [%d,%d) out of range [0,%d]", i, j, s.N))
	}
	t := *s
	t.X = s.X[i*s.Dim : j*s.Dim : j*s.Dim]
	t.Y = s.Y[i:j:j]
	t.N = j - i
	return &t
}

// Counts returns the number of samples of each class.
func (s *Set) Counts() []int {
	c := make([]int, s.Classes)
	for _, y := range s.Y {
		if int(y) < len(c) {
			c[y]++
		}
	}
	return c
}

// Shuffled returns a copy of s with its samples in a seeded random order.
func (s *Set) Shuffled(seed uint64) *Set {
	perm := rand.New(rand.NewPCG(seed, 0x5348554646)).Perm(s.N)
	t := *s
	t.X = make([]float32, len(s.X))
	t.Y = make([]uint8, len(s.Y))
	for i, p := range perm {
		copy(t.X[i*s.Dim:(i+1)*s.Dim], s.X[p*s.Dim:(p+1)*s.Dim])
		t.Y[i] = s.Y[p]
	}
	t.Shape = append([]int(nil), s.Shape...)
	return &t
}

// Validate checks that the fields agree with each other and that every label is a class.
func (s *Set) Validate() error {
	switch {
	case s.N < 0 || s.Dim < 0:
		return fmt.Errorf("dataset: %s: negative size N=%d Dim=%d", s.Name, s.N, s.Dim)
	case len(s.X) != s.N*s.Dim:
		return fmt.Errorf("dataset: %s: len(X)=%d, want N*Dim=%d", s.Name, len(s.X), s.N*s.Dim)
	case len(s.Y) != s.N:
		return fmt.Errorf("dataset: %s: len(Y)=%d, want N=%d", s.Name, len(s.Y), s.N)
	case prod(s.Shape) != s.Dim:
		return fmt.Errorf("dataset: %s: shape %v does not hold Dim=%d values", s.Name, s.Shape, s.Dim)
	case s.ClassNames != nil && len(s.ClassNames) != s.Classes:
		return fmt.Errorf("dataset: %s: %d class names for %d classes", s.Name, len(s.ClassNames), s.Classes)
	}
	for i, y := range s.Y {
		if int(y) >= s.Classes {
			return fmt.Errorf("dataset: %s: sample %d has label %d, want < %d", s.Name, i, y, s.Classes)
		}
	}
	return nil
}

func prod(shape []int) int {
	p := 1
	for _, d := range shape {
		p *= d
	}
	return p
}

// byteScale maps a byte to [0,1] without a division per value.
var byteScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()
