package dataset

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// CIFAR10ClassNames are the CIFAR-10 classes in label order.
var CIFAR10ClassNames = []string{
	"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
}

const (
	cifarSide   = 32
	cifarDim    = 3 * cifarSide * cifarSide
	cifarRecord = 1 + cifarDim // label byte, then the R, G and B planes

	// Guards against archives that claim absurd sizes.
	archiveMaxEntry  = 256 << 20 // one file of an archive (a binary batch is 30 MB)
	archiveMaxJPEG   = 1 << 20   // one JPEG of 32x32 pixels
	archiveMaxTotal  = 2 << 30   // all files of an archive together
	archiveMaxImages = 1 << 21
)

// The file names of the CIFAR-10 binary version, in load order (five train batches, then test).
var cifarBinNames = []string{
	"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
	"test_batch.bin",
}

// The archives searched for when the binary batches are not found.
const (
	cifarBinArchive  = "cifar-10-binary.tar.gz"
	cifarJPEGArchive = "cifar10-jpg.tar.gz"
)

// Options tune the loaders that decode in parallel (CIFAR-10 from JPEGs).
type Options struct {
	// Workers is the number of decoding goroutines; 0 means GOMAXPROCS. The output does not
	// depend on it.
	Workers int
	// Progress, when set, is called now and then with the number of items decoded so far and
	// the total; calls are serialised.
	Progress func(done, total int)
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func newCIFARSet(n int) *Set {
	return &Set{
		Name: "cifar10", X: make([]float32, n*cifarDim), Y: make([]uint8, n), N: n, Dim: cifarDim,
		Shape: []int{3, cifarSide, cifarSide}, Classes: 10, ClassNames: CIFAR10ClassNames,
	}
}

// DecodeCIFARBinary decodes one file of the CIFAR-10 binary version (data_batch_N.bin or
// test_batch.bin): records of one label byte followed by 3072 pixel bytes, the red, green and
// blue 32x32 planes. The set's samples are CHW, scaled to [0,1]. Errors wrap ErrFormat.
func DecodeCIFARBinary(b []byte) (*Set, error) {
	if len(b) == 0 || len(b)%cifarRecord != 0 {
		return nil, formatErr("cifar10 binary", "%d bytes is not a whole number of %d-byte records", len(b), cifarRecord)
	}
	s := newCIFARSet(len(b) / cifarRecord)
	if err := decodeCIFARBinaryInto(s.X, s.Y, b); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeCIFARBinaryInto(x []float32, y []uint8, b []byte) error {
	for i := range y {
		rec := b[i*cifarRecord : (i+1)*cifarRecord]
		if rec[0] >= 10 {
			return formatErr("cifar10 binary", "record %d has label %d, want < 10", i, rec[0])
		}
		y[i] = rec[0]
		dst := x[i*cifarDim : (i+1)*cifarDim]
		for j, v := range rec[1:] {
			dst[j] = byteScale[v]
		}
	}
	return nil
}

// cifarFromBatches joins the five train batches and the test batch (in cifarBinNames order).
func cifarFromBatches(batches [][]byte) (train, test *Set, err error) {
	if len(batches) != len(cifarBinNames) {
		return nil, nil, fmt.Errorf("dataset: cifar10: %d batches, want %d", len(batches), len(cifarBinNames))
	}
	n := 0
	for i, b := range batches[:5] {
		if len(b) == 0 || len(b)%cifarRecord != 0 {
			return nil, nil, formatErr("cifar10 binary", "%s: %d bytes is not a whole number of %d-byte records",
				cifarBinNames[i], len(b), cifarRecord)
		}
		n += len(b) / cifarRecord
	}
	train = newCIFARSet(n)
	off := 0
	for i, b := range batches[:5] {
		m := len(b) / cifarRecord
		if err := decodeCIFARBinaryInto(train.X[off*cifarDim:(off+m)*cifarDim], train.Y[off:off+m], b); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cifarBinNames[i], err)
		}
		off += m
	}
	test, err = DecodeCIFARBinary(batches[5])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cifarBinNames[5], err)
	}
	return train, test, nil
}

// jpegEntry is one image of a JPEG archive, before decoding.
type jpegEntry struct {
	test  bool
	class int
	num   int // the file's number, or -1 when its name is not a number
	name  string
	data  []byte
}

// DecodeCIFARArchive reads CIFAR-10 from a tar.gz archive, which holds either the binary
// batches (data_batch_1..5.bin and test_batch.bin, in any folder: the official
// cifar-10-binary.tar.gz) or one JPEG per image laid out as .../{train,test}/CLASS/NNNN.jpg
// (the archive described in shared/datasets/SOURCES.md). Other files are ignored.
//
// JPEGs are decoded by opt.Workers goroutines; the samples are ordered by split, class and
// file number whatever the archive's order or the number of workers. Every image must be
// 32x32. Errors wrap ErrFormat.
func DecodeCIFARArchive(r io.Reader, opt Options) (train, test *Set, err error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, formatErr("cifar10 archive", "gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	var (
		jpegs   []jpegEntry
		batches = make([][]byte, len(cifarBinNames))
		nbatch  int
		total   int64
	)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			// Read gzip to its end: its checksum is verified there.
			if _, err := io.Copy(io.Discard, zr); err != nil {
				return nil, nil, formatErr("cifar10 archive", "gzip: %v", err)
			}
			break
		}
		if err != nil {
			return nil, nil, formatErr("cifar10 archive", "tar: %v", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(strings.ReplaceAll(hdr.Name, "\\", "/"))
		base := path.Base(name)
		bi := slices.Index(cifarBinNames, base)
		isJPEG := strings.HasSuffix(strings.ToLower(base), ".jpg") || strings.HasSuffix(strings.ToLower(base), ".jpeg")
		if bi < 0 && !isJPEG {
			continue
		}
		limit := int64(archiveMaxEntry)
		if isJPEG {
			limit = archiveMaxJPEG
		}
		if hdr.Size < 0 || hdr.Size > limit {
			return nil, nil, formatErr("cifar10 archive", "%s: size %d is over the limit of %d bytes", name, hdr.Size, limit)
		}
		if total += hdr.Size; total > archiveMaxTotal {
			return nil, nil, formatErr("cifar10 archive", "more than %d bytes of data", archiveMaxTotal)
		}
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, nil, formatErr("cifar10 archive", "%s: %v", name, err)
		}
		if bi >= 0 {
			if batches[bi] != nil {
				return nil, nil, formatErr("cifar10 archive", "%s appears twice", base)
			}
			batches[bi] = data
			nbatch++
			continue
		}
		e, err := parseJPEGPath(name)
		if err != nil {
			return nil, nil, err
		}
		if len(jpegs) >= archiveMaxImages {
			return nil, nil, formatErr("cifar10 archive", "more than %d images", archiveMaxImages)
		}
		e.data = data
		jpegs = append(jpegs, e)
	}
	switch {
	case nbatch > 0 && len(jpegs) > 0:
		return nil, nil, formatErr("cifar10 archive", "holds both binary batches and JPEG images")
	case nbatch > 0:
		if nbatch != len(cifarBinNames) {
			var missing []string
			for i, b := range batches {
				if b == nil {
					missing = append(missing, cifarBinNames[i])
				}
			}
			return nil, nil, formatErr("cifar10 archive", "missing %s", strings.Join(missing, ", "))
		}
		return cifarFromBatches(batches)
	case len(jpegs) == 0:
		return nil, nil, formatErr("cifar10 archive", "no CIFAR-10 images or batches found")
	}
	return decodeJPEGs(jpegs, opt)
}

// parseJPEGPath reads split and class from .../{train,test}/CLASS/NAME.jpg.
func parseJPEGPath(name string) (jpegEntry, error) {
	parts := strings.Split(name, "/")
	if len(parts) < 3 {
		return jpegEntry{}, formatErr("cifar10 archive", "%s: want .../{train,test}/CLASS/NAME.jpg", name)
	}
	split, class, file := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
	var e jpegEntry
	switch split {
	case "train":
	case "test":
		e.test = true
	default:
		return jpegEntry{}, formatErr("cifar10 archive", "%s: split %q, want train or test", name, split)
	}
	e.class = slices.Index(CIFAR10ClassNames, class)
	if e.class < 0 {
		return jpegEntry{}, formatErr("cifar10 archive", "%s: unknown class %q", name, class)
	}
	e.name = file
	stem := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(file), ".jpg"), ".jpeg")
	e.num = -1
	if n, err := strconv.Atoi(stem); err == nil && n >= 0 {
		e.num = n
	}
	return e, nil
}

// decodeJPEGs sorts the entries and decodes them in parallel into the two sets.
func decodeJPEGs(jpegs []jpegEntry, opt Options) (train, test *Set, err error) {
	slices.SortFunc(jpegs, func(a, b jpegEntry) int {
		if a.test != b.test {
			if a.test {
				return 1
			}
			return -1
		}
		if a.class != b.class {
			return a.class - b.class
		}
		if a.num != b.num {
			return a.num - b.num
		}
		return strings.Compare(a.name, b.name)
	})
	ntest := 0
	for i := range jpegs {
		if jpegs[i].test {
			ntest++
		}
		if i > 0 && jpegs[i].test == jpegs[i-1].test && jpegs[i].class == jpegs[i-1].class && jpegs[i].name == jpegs[i-1].name {
			return nil, nil, formatErr("cifar10 archive", "image %s of class %s appears twice", jpegs[i].name, CIFAR10ClassNames[jpegs[i].class])
		}
	}
	ntrain := len(jpegs) - ntest
	train, test = newCIFARSet(ntrain), newCIFARSet(ntest)
	errs := make([]error, len(jpegs))
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		wg         sync.WaitGroup
		failed     atomic.Bool
	)
	for range min(opt.workers(), len(jpegs)) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(jpegs) {
					return
				}
				s, j := train, i
				if i >= ntrain {
					s, j = test, i-ntrain
				}
				s.Y[j] = uint8(jpegs[i].class)
				if err := decodeJPEG32(s.X[j*cifarDim:(j+1)*cifarDim], jpegs[i].data); err != nil {
					split := "train"
					if jpegs[i].test {
						split = "test"
					}
					errs[i] = fmt.Errorf("%s/%s/%s: %w", split, CIFAR10ClassNames[jpegs[i].class], jpegs[i].name, err)
					failed.Store(true)
					return
				}
				if d := done.Add(1); opt.Progress != nil && (d%1000 == 0 || int(d) == len(jpegs)) {
					mu.Lock()
					opt.Progress(int(d), len(jpegs))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, e := range errs { // the first failure in sample order
			if e != nil {
				return nil, nil, e
			}
		}
	}
	return train, test, nil
}

// decodeJPEG32 decodes a 32x32 JPEG into CHW values in [0,1].
func decodeJPEG32(dst []float32, b []byte) error {
	// Check the size before decoding: a small file may declare a huge image.
	w, h, err := jpegSize(b)
	if err != nil {
		return err
	}
	if w != cifarSide || h != cifarSide {
		return formatErr("cifar10 jpeg", "image is %dx%d, want %dx%d", w, h, cifarSide, cifarSide)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return formatErr("cifar10 jpeg", "%v", err)
	}
	if bd := img.Bounds(); bd.Dx() != cifarSide || bd.Dy() != cifarSide {
		return formatErr("cifar10 jpeg", "image is %dx%d, want %dx%d", bd.Dx(), bd.Dy(), cifarSide, cifarSide)
	}
	const plane = cifarSide * cifarSide
	r, g, bl := dst[:plane], dst[plane:2*plane], dst[2*plane:]
	switch m := img.(type) {
	case *image.YCbCr:
		for y := range cifarSide {
			for x := range cifarSide {
				yi, ci := m.YOffset(x, y), m.COffset(x, y)
				cr, cg, cb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				k := y*cifarSide + x
				r[k], g[k], bl[k] = byteScale[cr], byteScale[cg], byteScale[cb]
			}
		}
	case *image.Gray:
		for y := range cifarSide {
			for x := range cifarSide {
				k := y*cifarSide + x
				v := byteScale[m.Pix[y*m.Stride+x]]
				r[k], g[k], bl[k] = v, v, v
			}
		}
	default:
		b := img.Bounds()
		for y := range cifarSide {
			for x := range cifarSide {
				cr, cg, cb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				k := y*cifarSide + x
				r[k], g[k], bl[k] = float32(cr)/0xffff, float32(cg)/0xffff, float32(cb)/0xffff
			}
		}
	}
	return nil
}

// jpegSize reads a JPEG's width and height from its frame header (SOFn), which costs far
// less than jpeg.DecodeConfig (that also parses the Huffman and quantisation tables).
func jpegSize(b []byte) (w, h int, err error) {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 0, 0, formatErr("cifar10 jpeg", "not a JPEG (no start-of-image marker)")
	}
	for i := 2; ; {
		for i < len(b) && b[i] == 0xff { // markers, possibly with fill bytes
			i++
		}
		if i >= len(b) || b[i-1] != 0xff {
			return 0, 0, formatErr("cifar10 jpeg", "no frame header before byte %d", i)
		}
		m := b[i]
		i++
		switch {
		case m == 0x01 || 0xd0 <= m && m <= 0xd7: // standalone markers
			continue
		case m == 0xd9 || m == 0xda:
			return 0, 0, formatErr("cifar10 jpeg", "no frame header before the image data")
		}
		if i+2 > len(b) {
			return 0, 0, formatErr("cifar10 jpeg", "truncated marker segment")
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || i+n > len(b) {
			return 0, 0, formatErr("cifar10 jpeg", "bad marker segment length %d", n)
		}
		if 0xc0 <= m && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			if n < 7 {
				return 0, 0, formatErr("cifar10 jpeg", "truncated frame header")
			}
			return int(b[i+5])<<8 | int(b[i+6]), int(b[i+3])<<8 | int(b[i+4]), nil
		}
		i += n
	}
}

// locateCIFAR10 finds CIFAR-10 in dir (or, when dir is empty, in $SNNSIM_DATA and then
// ../shared/datasets): the six binary batches first, then cifar-10-binary.tar.gz, then the
// JPEG archive cifar10-jpg.tar.gz. It returns the six batch paths or the archive's path.
func locateCIFAR10(dir string) ([]string, error) {
	dirs, explicit := userDirs(dir, "cifar-10-batches-bin", "cifar10")
	if !explicit {
		for _, d := range sharedDirs() {
			dirs = append(dirs, d, filepath.Join(d, "cifar-10-batches-bin"))
		}
	}
	dirs = uniq(dirs)
	for _, d := range dirs {
		if paths, _, ok := findFiles([]string{d}, cifarBinNames); ok && allPlain(paths) {
			return paths, nil
		}
	}
	for _, name := range []string{cifarBinArchive, cifarJPEGArchive} {
		for _, d := range dirs {
			if p := existing(filepath.Join(d, name)); p != "" {
				return []string{p}, nil
			}
		}
	}
	return nil, &NotFoundError{
		Dataset: "cifar10",
		Want:    []string{strings.Join(cifarBinNames, " "), cifarBinArchive, cifarJPEGArchive},
		Looked:  dirs,
		Fix: "pass --data-dir DIR (or set " + EnvData + "=DIR) where DIR holds the CIFAR-10 binary batches " +
			"(or DIR/cifar-10-batches-bin does), or one of the two archives; the project's copy is ../shared/datasets/" + cifarJPEGArchive,
	}
}

// loadCIFAR10 loads CIFAR-10 from where locateCIFAR10 finds it.
func loadCIFAR10(dir string, opt Options) (train, test *Set, err error) {
	paths, err := locateCIFAR10(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == len(cifarBinNames) {
		batches := make([][]byte, len(paths))
		for i, p := range paths {
			if batches[i], err = os.ReadFile(p); err != nil {
				return nil, nil, fmt.Errorf("dataset: cifar10: %w", err)
			}
		}
		train, test, err = cifarFromBatches(batches)
		if err != nil {
			return nil, nil, fmt.Errorf("dataset: cifar10: %s: %w", filepath.Dir(paths[0]), err)
		}
		return train, test, nil
	}
	f, err := os.Open(paths[0])
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: cifar10: %w", err)
	}
	defer f.Close()
	train, test, err = DecodeCIFARArchive(f, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: cifar10: %s: %w", paths[0], err)
	}
	return train, test, nil
}

// allPlain reports whether none of the paths is a .gz file (findFiles accepts both).
func allPlain(paths []string) bool {
	for _, p := range paths {
		if strings.HasSuffix(p, ".gz") {
			return false
		}
	}
	return true
}
