package dataset

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests against the real files: they skip, saying why, where the files are not installed.

// loadOrSkip loads a dataset from its default place, skipping the test if it is not there.
func loadOrSkip(t testing.TB, name string) (train, test *Set) {
	t.Helper()
	start := time.Now()
	train, test, err := Load(name, "")
	if errors.Is(err, ErrNotFound) {
		t.Skipf("skipping: %v", err)
	}
	require.NoError(t, err)
	t.Logf("%s loaded in %v", name, time.Since(start))
	return train, test
}

func checkImageSet(t *testing.T, s *Set, n int, shape []int, counts []int) {
	t.Helper()
	require.NoError(t, s.Validate())
	assert.Equal(t, n, s.N)
	assert.Equal(t, shape, s.Shape)
	assert.Equal(t, counts, s.Counts())
	lo, hi := s.X[0], s.X[0]
	for _, v := range s.X {
		lo, hi = min(lo, v), max(hi, v)
	}
	assert.Equal(t, float32(0), lo)
	assert.Equal(t, float32(1), hi)
}

var (
	mnistTrainCounts = []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	mnistTestCounts  = []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
)

func TestMNIST(t *testing.T) {
	train, test := loadOrSkip(t, "mnist")
	checkImageSet(t, train, 60000, []int{1, 28, 28}, mnistTrainCounts)
	checkImageSet(t, test, 10000, []int{1, 28, 28}, mnistTestCounts)
	// The first training digit is a 5, the first test digit a 7.
	assert.EqualValues(t, 5, train.Y[0])
	assert.EqualValues(t, 7, test.Y[0])

	// Sequences share or permute the same pixels.
	seq := Sequential(test)
	assert.Equal(t, []int{28, 28}, seq.Shape)
	assert.Same(t, &test.X[0], &seq.X[0])
	perm := Permutation(784, PermutationSeed)
	p := Permuted(test.Subset(100), perm)
	assert.Equal(t, []int{784, 1}, p.Shape)
	for i := range 100 {
		for k, q := range perm {
			require.Equal(t, test.Sample(i)[q], p.Sample(i)[k])
		}
	}
}

func TestMNISTVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: loads MNIST three times")
	}
	_, test := loadOrSkip(t, "mnist")
	for _, tc := range []struct {
		name, encoder string
		shape         []int
	}{
		{"smnist", "", []int{28, 28}},
		{"pmnist", "", []int{784, 1}},
		{"synthetic-nmnist", "synthetic-nmnist", []int{1, 28, 28}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, te, err := Load(tc.name, "")
			require.NoError(t, err)
			assert.Equal(t, tc.name, te.Name)
			assert.Equal(t, tc.encoder, te.Encoder)
			assert.Equal(t, tc.shape, te.Shape)
			assert.Equal(t, mnistTrainCounts, tr.Counts())
			assert.Equal(t, test.Y, te.Y)
		})
	}
}

func TestFashionMNIST(t *testing.T) {
	if _, err := os.Stat(FashionDir); err != nil && os.Getenv(EnvData) == "" {
		t.Skipf("skipping: %s is missing; install it with `apt-get install dataset-fashion-mnist`", FashionDir)
	}
	train, test := loadOrSkip(t, "fashion")
	checkImageSet(t, train, 60000, []int{1, 28, 28}, slices.Repeat([]int{6000}, 10))
	checkImageSet(t, test, 10000, []int{1, 28, 28}, slices.Repeat([]int{1000}, 10))
	assert.Equal(t, "Ankle boot", train.ClassNames[train.Y[0]], "the first training image is an ankle boot")
}

func TestCIFAR10(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: decodes 60000 JPEGs")
	}
	sharedDatasets(t, cifarJPEGArchive)
	train, test := loadOrSkip(t, "cifar10")
	checkImageSet(t, train, 50000, []int{3, 32, 32}, slices.Repeat([]int{5000}, 10))
	checkImageSet(t, test, 10000, []int{3, 32, 32}, slices.Repeat([]int{1000}, 10))
}

func TestCora(t *testing.T) {
	dir := sharedDatasets(t, "cora.npz")
	g, err := LoadGraph("cora", dir, 1)
	require.NoError(t, err)
	assert.Equal(t, 2708, g.N)
	assert.Equal(t, 1433, g.F)
	assert.Equal(t, 7, g.Classes)
	assert.Len(t, g.Edges, 5278)
	assert.Equal(t, 49216, g.Features.NNZ())
	assert.Equal(t, []int{298, 418, 818, 426, 217, 180, 351}, g.Counts())
	assert.Equal(t, []string{"Case_Based", "Genetic_Algorithms", "Neural_Networks", "Probabilistic_Methods",
		"Reinforcement_Learning", "Rule_Learning", "Theory"}, g.ClassNames)
	checkStandardSplit(t, g)
}

func TestCiteSeer(t *testing.T) {
	dir := sharedDatasets(t, "citeseer.npz")
	g, err := LoadGraph("citeseer", dir, 1)
	require.NoError(t, err)
	assert.Equal(t, 3312, g.N)
	assert.Equal(t, 3703, g.F)
	assert.Equal(t, 6, g.Classes)
	assert.Len(t, g.Edges, 4536)
	assert.Equal(t, []int{249, 596, 701, 508, 668, 590}, g.Counts())
	assert.Equal(t, []string{"AI", "Agents", "DB", "HCI", "IR", "ML"}, g.ClassNames)
	checkStandardSplit(t, g)
}

func checkStandardSplit(t *testing.T, g *Graph) {
	t.Helper()
	assert.Len(t, g.Train, 20*g.Classes)
	assert.Len(t, g.Val, 500)
	assert.Len(t, g.Test, 1000)
	per := make([]int, g.Classes)
	for _, i := range g.Train {
		per[g.Labels[i]]++
	}
	assert.Equal(t, slices.Repeat([]int{20}, g.Classes), per)
	all := slices.Concat(g.Train, g.Val, g.Test)
	slices.Sort(all)
	assert.Len(t, slices.Compact(all), 20*g.Classes+1500, "the three lists are disjoint")
}

// TestUpdateTestdata rewrites testdata/ from the real datasets with -update: the first MNIST
// digits in the four idx files, and one CIFAR-10 JPEG per class and split.
func TestUpdateTestdata(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/")
	}
	paths, err := locateMNIST("")
	require.NoError(t, err)
	dir := filepath.Join("testdata", "mnist-tiny")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		idx, err := DecodeIDX(b)
		require.NoError(t, err)
		n := 20
		if strings.HasPrefix(filepath.Base(p), "t10k") {
			n = 10
		}
		per := prod(idx.Dims[1:])
		dims := append([]int{n}, idx.Dims[1:]...)
		out := filepath.Join(dir, idxFileNames[i]+".gz")
		require.NoError(t, os.WriteFile(out, idxBytes(dims, idx.Data[:n*per], true), 0o644))
	}

	src := filepath.Join(sharedDatasets(t, cifarJPEGArchive), cifarJPEGArchive)
	f, err := os.Open(src)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	var files []tarFile
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if strings.HasSuffix(hdr.Name, "/0000.jpg") {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			files = append(files, tarFile{hdr.Name, b})
		}
	}
	require.Len(t, files, 20)
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "cifar10-tiny.tar.gz"), tarGz(files), 0o644))
}

// TestTestdata checks the small files in testdata/ (they exist everywhere).
func TestTestdata(t *testing.T) {
	train, test, err := Load("mnist", filepath.Join("testdata", "mnist-tiny"))
	require.NoError(t, err)
	assert.Equal(t, 20, train.N)
	assert.Equal(t, 10, test.N)
	assert.Equal(t, []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, train.Y[:10])
	assert.Equal(t, []uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, test.Y)

	f, err := os.Open(filepath.Join("testdata", "cifar10-tiny.tar.gz"))
	require.NoError(t, err)
	defer f.Close()
	ctrain, ctest, err := DecodeCIFARArchive(f, Options{})
	require.NoError(t, err)
	assert.Equal(t, slices.Repeat([]int{1}, 10), ctrain.Counts())
	assert.Equal(t, slices.Repeat([]int{1}, 10), ctest.Counts())
}

// Benchmarks of the loaders on the real files. Report figures with
// go test -run XXX -bench Load -benchtime 3x ./dataset/
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"mnist", "fashion", "cifar10"} {
		b.Run(name, func(b *testing.B) {
			if _, _, err := Load(name, "/nonexistent"); !errors.Is(err, ErrNotFound) {
				b.Fatal(err)
			}
			for b.Loop() {
				_, _, err := Load(name, "")
				if errors.Is(err, ErrNotFound) {
					b.Skip(err)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, name := range []string{"cora", "citeseer"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := LoadGraph(name, "", 1); err != nil {
					b.Skip(err)
				}
			}
		})
	}
}

func BenchmarkDecodeIDXFloat(b *testing.B) {
	paths, err := locateMNIST("")
	if err != nil {
		b.Skip(err)
	}
	data, err := os.ReadFile(paths[0])
	require.NoError(b, err)
	b.SetBytes(60000 * 784)
	for b.Loop() {
		if _, _, err := decodeIDXFloat(data); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleLoadGraph() {
	g, err := LoadGraph("cora", "", 1)
	if err != nil {
		fmt.Println("cora: 2708 nodes, 5278 edges, 7 classes; split 140/500/1000") // files absent
		return
	}
	fmt.Printf("%s: %d nodes, %d edges, %d classes; split %d/%d/%d\n",
		g.Name, g.N, len(g.Edges), g.Classes, len(g.Train), len(g.Val), len(g.Test))
	// Output: cora: 2708 nodes, 5278 edges, 7 classes; split 140/500/1000
}
