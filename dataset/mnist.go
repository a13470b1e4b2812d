package dataset

import (
	"fmt"
	"os"
	"sync"
)

// The canonical idx file names of MNIST and Fashion-MNIST (each may carry a .gz suffix).
var idxFileNames = []string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

var mnistClassNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

var fashionClassNames = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// FashionDir is where the Debian package dataset-fashion-mnist installs its files.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// locateMNIST finds the four MNIST files: in dir (or dir/mnist) when given; otherwise in
// $SNNSIM_DATA(/mnist), then in the GoMNIST module's data/ folder in the module cache.
func locateMNIST(dir string) ([]string, error) {
	dirs, explicit := userDirs(dir, "mnist")
	if !explicit {
		v := gomnistModuleVersion()
		dirs = append(dirs, mnistModuleDirs(v)...)
		if p, _, ok := findFiles(dirs, idxFileNames); ok {
			return p, nil
		}
		dirs = append(dirs, mnistGoToolDirs(v)...)
	}
	p, looked, ok := findFiles(dirs, idxFileNames)
	if ok {
		return p, nil
	}
	fix := "pass --data-dir DIR (or set " + EnvData + "=DIR) where DIR or DIR/mnist holds the four idx files"
	if !explicit {
		fix += fmt.Sprintf("; or fill the Go module cache with `go mod download %s@%s`", gomnistPath, gomnistModuleVersion())
	}
	return nil, &NotFoundError{Dataset: "mnist", Want: gzNames(idxFileNames), Looked: looked, Fix: fix}
}

// locateFashion finds the four Fashion-MNIST files: in dir (or dir/fashion-mnist) when given;
// otherwise in $SNNSIM_DATA(/fashion-mnist), then where Debian's dataset-fashion-mnist puts them.
func locateFashion(dir string) ([]string, error) {
	dirs, explicit := userDirs(dir, "fashion-mnist", "fashion")
	if !explicit {
		dirs = append(dirs, FashionDir)
	}
	p, looked, ok := findFiles(dirs, idxFileNames)
	if ok {
		return p, nil
	}
	fix := "pass --data-dir DIR (or set " + EnvData + "=DIR) where DIR or DIR/fashion-mnist holds the four idx files"
	if !explicit {
		fix += "; or install them with `apt-get install dataset-fashion-mnist` (Debian, Ubuntu)"
	}
	return nil, &NotFoundError{Dataset: "fashion", Want: gzNames(idxFileNames), Looked: looked, Fix: fix}
}

func gzNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "[.gz]"
	}
	return out
}

// loadIDXSplits reads the train and test splits from the four idx files (in idxFileNames
// order), decoding the four files concurrently.
func loadIDXSplits(name string, paths []string, classNames []string) (train, test *Set, err error) {
	type result struct {
		dims []int
		x    []float32
		y    []byte
		err  error
	}
	res := make([]result, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() {
			b, err := os.ReadFile(p)
			if err != nil {
				res[i].err = fmt.Errorf("dataset: %s: %w", name, err)
				return
			}
			if i%2 == 0 { // images
				res[i].dims, res[i].x, res[i].err = decodeIDXFloat(b)
			} else {
				var idx *IDX
				idx, res[i].err = DecodeIDX(b)
				if idx != nil {
					res[i].dims, res[i].y = idx.Dims, idx.Data
				}
			}
			if res[i].err != nil {
				res[i].err = fmt.Errorf("dataset: %s: %s: %w", name, p, res[i].err)
			}
		})
	}
	wg.Wait()
	for _, r := range res {
		if r.err != nil {
			return nil, nil, r.err
		}
	}
	sets := make([]*Set, 2)
	for k := range sets {
		img, lab := res[2*k], res[2*k+1]
		if len(img.dims) != 3 || len(lab.dims) != 1 || img.dims[0] != lab.dims[0] {
			return nil, nil, fmt.Errorf("dataset: %s: %s: %w: images %v and labels %v do not match",
				name, paths[2*k], ErrFormat, img.dims, lab.dims)
		}
		s := &Set{
			Name: name, X: img.x, Y: lab.y, N: img.dims[0], Dim: img.dims[1] * img.dims[2],
			Shape: []int{1, img.dims[1], img.dims[2]}, Classes: len(classNames), ClassNames: classNames,
		}
		if err := s.Validate(); err != nil {
			return nil, nil, fmt.Errorf("%w (%s: %w)", err, paths[2*k+1], ErrFormat)
		}
		sets[k] = s
	}
	return sets[0], sets[1], nil
}
