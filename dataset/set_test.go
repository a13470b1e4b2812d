package dataset

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tinySet() *Set {
	s := &Set{Name: "t", N: 4, Dim: 6, Shape: []int{1, 2, 3}, Classes: 3, Y: []uint8{0, 1, 2, 1}}
	s.X = make([]float32, 24)
	for i := range s.X {
		s.X[i] = float32(i) / 23
	}
	return s
}

func TestSet(t *testing.T) {
	s := tinySet()
	require.NoError(t, s.Validate())
	assert.Equal(t, s.X[6:12], s.Sample(1))
	assert.Equal(t, 6, cap(s.Sample(1)), "a sample's capacity ends with it")
	assert.Panics(t, func() { s.Sample(4) })
	assert.Equal(t, []int{1, 2, 1}, s.Counts())

	sub := s.Subset(2)
	assert.Equal(t, 2, sub.N)
	assert.Same(t, &s.X[0], &sub.X[0], "Subset is a view")
	assert.Equal(t, []uint8{0, 1}, sub.Y)
	assert.Equal(t, 4, s.Subset(10).N)
	assert.Equal(t, 0, s.Subset(-1).N)
	sl := s.Slice(1, 3)
	assert.Equal(t, s.Sample(2), sl.Sample(1))
	assert.Panics(t, func() { s.Slice(3, 5) })

	sh := s.Shuffled(1)
	require.NoError(t, sh.Validate())
	assert.ElementsMatch(t, s.Y, sh.Y)
	assert.Equal(t, sh.X, s.Shuffled(1).X, "seeded")
	for i := range sh.N { // each row is some row of s with its label
		found := false
		for j := range s.N {
			if s.Y[j] == sh.Y[i] && s.Sample(j)[0] == sh.Sample(i)[0] {
				found = true
			}
		}
		assert.True(t, found)
	}
	assert.Equal(t, []uint8{0, 1, 2, 1}, s.Y, "Shuffled leaves s alone")
	assert.Equal(t, []int{0, 1, 2}, s.FirstOfEachClass(1))
	assert.Equal(t, []int{0, 1, 3, 2}, s.FirstOfEachClass(2))
}

func TestSetValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Set)
		want string
	}{
		{"len X", func(s *Set) { s.X = s.X[:5] }, "len(X)"},
		{"len Y", func(s *Set) { s.Y = s.Y[:3] }, "len(Y)"},
		{"shape", func(s *Set) { s.Shape = []int{2, 2} }, "shape"},
		{"label", func(s *Set) { s.Y[2] = 3 }, "label 3"},
		{"names", func(s *Set) { s.ClassNames = []string{"a"} }, "class names"},
		{"negative", func(s *Set) { s.N = -1 }, "negative"},
	} {
		s := tinySet()
		tc.edit(s)
		assert.ErrorContains(t, s.Validate(), tc.want, tc.name)
	}
}

func TestImageOfAndGrid(t *testing.T) {
	s := tinySet()
	img := s.ImageOf(1)
	assert.Equal(t, image.Rect(0, 0, 3, 2), img.Bounds())
	g := img.(*image.Gray)
	assert.Equal(t, toByte(s.Sample(1)[4]), g.GrayAt(1, 1).Y)

	rgb := &Set{N: 1, Dim: 12, Shape: []int{3, 2, 2}, Classes: 1, Y: []uint8{0},
		X: []float32{1, 1, 1, 1, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5}}
	c := rgb.ImageOf(0).(*image.RGBA).RGBAAt(1, 1)
	assert.Equal(t, [3]uint8{255, 0, 128}, [3]uint8{c.R, c.G, c.B})

	seq := &Set{N: 1, Dim: 16, Shape: []int{16, 1}, Classes: 1, Y: []uint8{0}, X: make([]float32, 16)}
	assert.Equal(t, image.Rect(0, 0, 4, 4), seq.ImageOf(0).Bounds(), "pmnist-like sequences show as squares")

	grid := Grid([]image.Image{s.ImageOf(0), s.ImageOf(1), s.ImageOf(2)}, 2, 3)
	assert.Equal(t, image.Rect(0, 0, 2*(3*3+1)+1, 2*(2*3+1)+1), grid.Bounds())
	assert.Panics(t, func() { Grid(nil, 1, 1) })
	assert.Panics(t, func() { Grid([]image.Image{s.ImageOf(0), seq.ImageOf(0)}, 1, 1) })
	assert.Equal(t, uint8(0), toByte(-1))
	assert.Equal(t, uint8(255), toByte(2))
}

func TestCatalog(t *testing.T) {
	names := Names()
	assert.Equal(t, []string{"mnist", "fashion", "cifar10", "smnist", "pmnist", "synthetic-nmnist", "cora", "citeseer"}, names)
	for _, n := range names {
		in, ok := Lookup(n)
		require.True(t, ok, n)
		assert.Equal(t, n, in.Name)
		assert.NotEmpty(t, in.About)
	}
	in, ok := Lookup(" Fashion-MNIST ")
	assert.True(t, ok)
	assert.Equal(t, "fashion", in.Name)
	_, ok = Lookup("imagenet")
	assert.False(t, ok)
	c := Catalog()
	c[0].Name = "changed"
	assert.Equal(t, "mnist", Names()[0], "Catalog returns a copy")

	_, _, err := Load("imagenet", "")
	assert.ErrorIs(t, err, ErrUnknown)
	assert.ErrorContains(t, err, "mnist, fashion")
	_, _, err = Load("cora", "")
	assert.ErrorContains(t, err, "LoadGraph")
}

func TestLoadFromFolder(t *testing.T) {
	dir := t.TempDir()
	writeMNISTLike(t, dir, 12, 5, 28, true)
	train, test, err := Load("mnist", dir)
	require.NoError(t, err)
	assert.Equal(t, 12, train.N)
	assert.Equal(t, 5, test.N)
	assert.Equal(t, []int{1, 28, 28}, train.Shape)
	want := pattern(12*784, 12)
	for i, v := range want {
		require.Equal(t, byteScale[v], train.X[i])
	}

	// Plain idx files in DIR/mnist, through $SNNSIM_DATA.
	root := t.TempDir()
	writeMNISTLike(t, filepath.Join(root, "mnist"), 3, 2, 28, false)
	t.Setenv(EnvData, root)
	train, _, err = Load("smnist", "")
	require.NoError(t, err)
	assert.Equal(t, 3, train.N)
	assert.Equal(t, "smnist", train.Name)
	train, _, err = LoadPermuted("", 5)
	require.NoError(t, err)
	assert.Equal(t, []int{784, 1}, train.Shape)

	// Fashion in DIR/fashion-mnist.
	writeMNISTLike(t, filepath.Join(root, "fashion-mnist"), 4, 4, 28, true)
	train, _, err = Load("fashion", "")
	require.NoError(t, err)
	assert.Equal(t, 4, train.N)
	assert.Equal(t, "T-shirt/top", train.ClassNames[0])
}

func TestLoadMismatchedFiles(t *testing.T) {
	dir := t.TempDir()
	writeMNISTLike(t, dir, 4, 4, 28, false)
	// Labels of another length.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxBytes([]int{3}, []byte{1, 2, 3}, false), 0o644))
	_, _, err := Load("mnist", dir)
	require.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, "do not match")
	// A label that is not a class.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxBytes([]int{4}, []byte{1, 2, 3, 10}, false), 0o644))
	_, _, err = Load("mnist", dir)
	require.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, "label 10")
	// A corrupt image file names its path.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), []byte{0, 0, 8}, 0o644))
	_, _, err = Load("mnist", dir)
	require.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, filepath.Join(dir, "train-images-idx3-ubyte"))
}

func TestNotFound(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvData, "")
	for _, name := range []string{"mnist", "fashion", "cifar10"} {
		_, _, err := Load(name, dir)
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf, name)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Equal(t, dir, nf.Looked[0], "an explicit folder is searched first")
		for _, l := range nf.Looked {
			assert.True(t, strings.HasPrefix(l, dir), "%s: with --data-dir only that folder is searched, not %s", name, l)
		}
		assert.ErrorContains(t, err, "--data-dir")
		assert.ErrorContains(t, err, EnvData)
	}
}

func TestMNISTModuleCache(t *testing.T) {
	cache := t.TempDir()
	data := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+gomnistModuleVersion(), "data")
	writeMNISTLike(t, data, 2, 1, 28, true)
	t.Setenv(EnvData, "")
	t.Setenv("GOMODCACHE", cache)
	paths, err := locateMNIST("")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(data, "train-images-idx3-ubyte.gz"), paths[0])

	assert.Equal(t, "github.com/petar/!go!m!n!i!s!t", escapeModulePath(gomnistPath))
	assert.Equal(t, gomnistVersion, gomnistModuleVersion(), "go.mod pins the version the data path is built from")

	// Not found anywhere: the error lists the module cache and the fix.
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PATH", "") // no go tool either
	_, err = locateMNIST("")
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.ErrorContains(t, err, "!go!m!n!i!s!t@")
	assert.ErrorContains(t, err, "go mod download "+gomnistPath)
	assert.True(t, errors.Is(err, ErrNotFound))
}
