package dataset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Kinds of dataset.
const (
	KindImage    = "image"    // Set of images, Shape [C,H,W]
	KindSequence = "sequence" // Set of sequences, Shape [T,V]
	KindEvents   = "events"   // Set of images that an event encoder turns into spike streams
	KindGraph    = "graph"    // Graph, loaded with LoadGraph
)

// Info describes a dataset of the catalogue.
type Info struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Kind    string   `json:"kind"`
	// Train and Test are the canonical split sizes (for graphs: nodes, and 0).
	Train   int    `json:"train"`
	Test    int    `json:"test"`
	Shape   []int  `json:"shape,omitempty"` // per-sample shape (graphs: nil)
	Classes int    `json:"classes"`
	Source  string `json:"source"` // where the files come from
	About   string `json:"about"`  // one line
}

var catalog = []Info{
	{Name: "mnist", Kind: KindImage, Train: 60000, Test: 10000, Shape: []int{1, 28, 28}, Classes: 10,
		Source: "Go module " + gomnistPath + " (data/), or --data-dir / $" + EnvData,
		About:  "handwritten digits, 28x28 grey"},
	{Name: "fashion", Aliases: []string{"fashion-mnist", "fmnist"}, Kind: KindImage, Train: 60000, Test: 10000,
		Shape: []int{1, 28, 28}, Classes: 10,
		Source: "Debian package dataset-fashion-mnist (" + FashionDir + "), or --data-dir / $" + EnvData,
		About:  "Zalando clothing images, 28x28 grey"},
	{Name: "cifar10", Aliases: []string{"cifar-10"}, Kind: KindImage, Train: 50000, Test: 10000,
		Shape: []int{3, 32, 32}, Classes: 10,
		Source: "CIFAR-10 binary batches or " + cifarJPEGArchive + " (../shared/datasets), or --data-dir / $" + EnvData,
		About:  "32x32 colour images, CHW"},
	{Name: "smnist", Aliases: []string{"sequential-mnist"}, Kind: KindSequence, Train: 60000, Test: 10000,
		Shape: []int{28, 28}, Classes: 10, Source: "mnist",
		About: "sequential MNIST: 28 steps of one 28-pixel row"},
	{Name: "pmnist", Aliases: []string{"permuted-mnist"}, Kind: KindSequence, Train: 60000, Test: 10000,
		Shape: []int{784, 1}, Classes: 10, Source: "mnist",
		About: fmt.Sprintf("permuted MNIST: 784 steps of one pixel, in a fixed random order (seed %d)", PermutationSeed)},
	{Name: "synthetic-nmnist", Kind: KindEvents, Train: 60000, Test: 10000, Shape: []int{1, 28, 28}, Classes: 10,
		Source: "mnist, encoded by encode.SyntheticNMNIST",
		About:  "synthetic event-camera MNIST: 3 saccades, ON/OFF events, 34x34 (not the recorded N-MNIST)"},
	{Name: "cora", Kind: KindGraph, Train: 2708, Classes: 7,
		Source: "cora.npz (../shared/datasets), or --data-dir / $" + EnvData,
		About:  "citation graph: 2708 papers, 5278 links, 1433 word features"},
	{Name: "citeseer", Kind: KindGraph, Train: 3312, Classes: 6,
		Source: "citeseer.npz (../shared/datasets), or --data-dir / $" + EnvData,
		About:  "citation graph: 3312 papers, 4536 links, 3703 word features"},
}

// PermutationSeed is the seed of the pixel order of "pmnist" as Load returns it; LoadPermuted
// takes any other.
const PermutationSeed = 1

// Names returns the names of all datasets, for `snnsim data list`.
func Names() []string {
	out := make([]string, len(catalog))
	for i, in := range catalog {
		out[i] = in.Name
	}
	return out
}

// Catalog returns the description of every dataset.
func Catalog() []Info {
	out := make([]Info, len(catalog))
	copy(out, catalog)
	return out
}

// Lookup returns the description of the named dataset (names and aliases are case-insensitive).
func Lookup(name string) (Info, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, in := range catalog {
		if in.Name == name {
			return in, true
		}
		for _, a := range in.Aliases {
			if a == name {
				return in, true
			}
		}
	}
	return Info{}, false
}

// Load loads the named dataset's train and test splits. name is one of mnist, fashion,
// cifar10, smnist, pmnist and synthetic-nmnist (see Catalog; graphs load with LoadGraph).
// dir "" means the default location for that dataset (see the package documentation).
func Load(name, dir string) (train, test *Set, err error) {
	return LoadWith(name, dir, Options{})
}

// LoadWith is Load with options for the loaders that decode in parallel.
func LoadWith(name, dir string, opt Options) (train, test *Set, err error) {
	info, ok := Lookup(name)
	if !ok {
		return nil, nil, fmt.Errorf("dataset: %w %q; known: %s", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	switch info.Name {
	case "mnist":
		paths, err := locateMNIST(dir)
		if err != nil {
			return nil, nil, err
		}
		return loadIDXSplits("mnist", paths, mnistClassNames)
	case "fashion":
		paths, err := locateFashion(dir)
		if err != nil {
			return nil, nil, err
		}
		return loadIDXSplits("fashion", paths, fashionClassNames)
	case "cifar10":
		return loadCIFAR10(dir, opt)
	case "smnist":
		train, test, err = Load("mnist", dir)
		if err != nil {
			return nil, nil, err
		}
		return Sequential(train), Sequential(test), nil
	case "pmnist":
		return LoadPermuted(dir, PermutationSeed)
	case "synthetic-nmnist":
		train, test, err = Load("mnist", dir)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range []*Set{train, test} {
			s.Name, s.Encoder = "synthetic-nmnist", "synthetic-nmnist"
		}
		return train, test, nil
	}
	return nil, nil, fmt.Errorf("dataset: %s is a graph: load it with LoadGraph", info.Name)
}

// Locate returns the files Load or LoadGraph would read for the named dataset with this dir
// (see the package documentation for the search order), without reading them.
func Locate(name, dir string) ([]string, error) {
	info, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("dataset: %w %q; known: %s", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	switch info.Name {
	case "fashion":
		return locateFashion(dir)
	case "cifar10":
		return locateCIFAR10(dir)
	case "cora", "citeseer":
		return locateGraph(info.Name, dir)
	}
	return locateMNIST(dir) // mnist and the sets made from it
}

// Sequential returns MNIST-like images as sequences of rows (sequential MNIST): sample i is
// H steps of W values, Shape [H,W]. X and Y are shared with s.
func Sequential(s *Set) *Set {
	if len(s.Shape) != 3 || s.Shape[0] != 1 {
		panic(fmt.Sprintf("dataset: Sequential needs grey images of shape [1,H,W], have %v", s.Shape))
	}
	t := *s
	t.Name = "smnist"
	t.Shape = []int{s.Shape[1], s.Shape[2]}
	return &t
}

// LoadPermuted loads permuted MNIST with the pixel order drawn from seed: sample i is 784
// steps of one value, Shape [784,1], pixel Permutation(784, seed)[t] at step t. Load("pmnist")
// uses PermutationSeed.
func LoadPermuted(dir string, seed uint64) (train, test *Set, err error) {
	train, test, err = Load("mnist", dir)
	if err != nil {
		return nil, nil, err
	}
	perm := Permutation(train.Dim, seed)
	return Permuted(train, perm), Permuted(test, perm), nil
}

// Permutation returns a seeded random order of n pixels.
func Permutation(n int, seed uint64) []int {
	return rand.New(rand.NewPCG(seed, 0x504d4e495354)).Perm(n)
}

// Permuted returns a copy of s as sequences of one value per step in the order perm: step t of
// a sample is its pixel perm[t]. Shape is [Dim,1] and Name "pmnist".
func Permuted(s *Set, perm []int) *Set {
	if len(perm) != s.Dim {
		panic(fmt.Sprintf("dataset: permutation of %d pixels for samples of %d", len(perm), s.Dim))
	}
	t := *s
	t.Name = "pmnist"
	t.Shape = []int{s.Dim, 1}
	t.X = make([]float32, len(s.X))
	for i := range s.N {
		src, dst := s.X[i*s.Dim:(i+1)*s.Dim], t.X[i*s.Dim:(i+1)*s.Dim]
		for k, p := range perm {
			dst[k] = src[p]
		}
	}
	return &t
}
