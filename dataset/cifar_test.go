package dataset

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeCIFARBinary(t *testing.T) {
	b := cifarRecords(3, 1)
	s, err := DecodeCIFARBinary(b)
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	assert.Equal(t, 3, s.N)
	assert.Equal(t, []int{3, 32, 32}, s.Shape)
	assert.Equal(t, []uint8{0, 1, 2}, s.Y)
	for i := range 3 {
		for j, v := range b[i*cifarRecord+1 : (i+1)*cifarRecord] {
			require.Equal(t, float32(v)/255, s.Sample(i)[j])
		}
	}

	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "whole number"},
		{"truncated", b[:len(b)-1], "whole number"},
		{"extra byte", append(bytes.Clone(b), 0), "whole number"},
		{"bad label", append([]byte{10}, make([]byte, cifarDim)...), "label 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCIFARBinary(tc.b)
			require.ErrorIs(t, err, ErrFormat)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDecodeCIFARArchiveJPEG(t *testing.T) {
	arch := jpegArchive(2)
	var ref [2]*Set
	for _, workers := range []int{1, 3} {
		var calls int
		train, test, err := DecodeCIFARArchive(bytes.NewReader(arch), Options{Workers: workers, Progress: func(done, total int) {
			calls++
			assert.Equal(t, 40, total)
		}})
		require.NoError(t, err)
		assert.Positive(t, calls)
		for _, s := range []*Set{train, test} {
			require.NoError(t, s.Validate())
			assert.Equal(t, 20, s.N)
			assert.Equal(t, []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, s.Counts())
			// Sorted by class, then number.
			for i := range s.N {
				assert.EqualValues(t, i/2, s.Y[i])
			}
		}
		if ref[0] == nil {
			ref = [2]*Set{train, test}
			continue
		}
		assert.Equal(t, ref[0].X, train.X, "output depends on the number of workers")
		assert.Equal(t, ref[1].X, test.X)
	}
	// The colour test image of class c, number 0 has blue = 25(c)/255 everywhere: JPEG is
	// lossy, so compare loosely, on test sample 2 (class 1, number 0).
	s := ref[1].Sample(2)
	var blue float64
	for _, v := range s[2*1024:] {
		blue += float64(v)
	}
	assert.InDelta(t, 25.0/255, blue/1024, 0.03)
	// The grey image (number 1) has equal channels.
	g := ref[1].Sample(3)
	for k := range 1024 {
		require.InDelta(t, g[k], g[1024+k], 0.02)
		require.InDelta(t, g[k], g[2048+k], 0.02)
	}
}

func TestDecodeCIFARArchiveBinary(t *testing.T) {
	var files []tarFile
	for i, n := range cifarBinNames {
		files = append(files, tarFile{"cifar-10-batches-bin/" + n, cifarRecords(3, byte(i))})
	}
	files = append(files, tarFile{"cifar-10-batches-bin/batches.meta.txt", []byte("airplane\n")})
	train, test, err := DecodeCIFARArchive(bytes.NewReader(tarGz(files)), Options{})
	require.NoError(t, err)
	assert.Equal(t, 15, train.N)
	assert.Equal(t, 3, test.N)
	want, err := DecodeCIFARBinary(cifarRecords(3, 1))
	require.NoError(t, err)
	assert.Equal(t, want.X, train.X[3*cifarDim:6*cifarDim], "batch 2 follows batch 1")
}

func TestDecodeCIFARArchiveErrors(t *testing.T) {
	jpg := testJPEG(32, 32, 1, false)
	bins := func(skip int) []tarFile {
		var f []tarFile
		for i, n := range cifarBinNames {
			if i != skip {
				f = append(f, tarFile{n, cifarRecords(2, 0)})
			}
		}
		return f
	}
	// A tar entry that claims 2 MB for one JPEG.
	var big bytes.Buffer
	zw := gzip.NewWriter(&big)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "train/cat/0.jpg", Typeflag: tar.TypeReg, Size: 2 << 20, Mode: 0o644})
	tw.Write(make([]byte, 2<<20))
	tw.Close()
	zw.Close()

	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"not gzip", []byte("hello"), "gzip"},
		{"empty archive", tarGz(nil), "no CIFAR-10 images"},
		{"not tar", func() []byte {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write(bytes.Repeat([]byte("x"), 1000))
			w.Close()
			return z.Bytes()
		}(), "tar"},
		{"bad split", tarGz([]tarFile{{"val/cat/0.jpg", jpg}}), `split "val"`},
		{"unknown class", tarGz([]tarFile{{"train/dragon/0.jpg", jpg}}), `unknown class "dragon"`},
		{"too shallow", tarGz([]tarFile{{"cat/0.jpg", jpg}}), "want .../{train,test}"},
		{"wrong size", tarGz([]tarFile{{"train/cat/0.jpg", testJPEG(33, 32, 0, false)}}), "33x32"},
		{"not a jpeg", tarGz([]tarFile{{"train/cat/0.jpg", []byte("GIF89a")}}), "not a JPEG"},
		{"truncated jpeg", tarGz([]tarFile{{"train/cat/0.jpg", jpg[:len(jpg)/2]}}), "cifar10 jpeg"},
		{"duplicate", tarGz([]tarFile{{"a/train/cat/0.jpg", jpg}, {"b/train/cat/0.jpg", jpg}}), "twice"},
		{"huge entry", big.Bytes(), "over the limit"},
		{"missing batch", tarGz(bins(2)), "missing data_batch_3.bin"},
		{"both kinds", tarGz(append(bins(-1), tarFile{"train/cat/0.jpg", jpg})), "both"},
		{"bad batch", tarGz(append(bins(0), tarFile{"data_batch_1.bin", []byte{1, 2, 3}})), "whole number"},
		{"truncated archive", func() []byte { a := jpegArchive(1); return a[:len(a)/2] }(), "cifar10 archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeCIFARArchive(bytes.NewReader(tc.b), Options{Workers: 2})
			require.ErrorIs(t, err, ErrFormat)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDecodeCIFARArchiveCorrupted(t *testing.T) {
	for name, b := range corruptions(jpegArchive(1)) {
		t.Run(name, func(t *testing.T) {
			train, test, err := DecodeCIFARArchive(bytes.NewReader(b), Options{})
			if strings.HasPrefix(name, "truncated") || name == "empty" {
				require.ErrorIs(t, err, ErrFormat)
			}
			if err == nil {
				require.NoError(t, train.Validate())
				require.NoError(t, test.Validate())
			}
		})
	}
}

func TestJPEGSize(t *testing.T) {
	w, h, err := jpegSize(testJPEG(32, 17, 0, false))
	require.NoError(t, err)
	assert.Equal(t, [2]int{32, 17}, [2]int{w, h})
	for _, b := range [][]byte{nil, {0xff, 0xd8}, {0xff, 0xd8, 0xff, 0xc0, 0, 3}, {0xff, 0xd8, 0xff, 0xda, 0, 2}, {0xff, 0xd8, 0x00, 0x00}} {
		_, _, err := jpegSize(b)
		assert.ErrorIs(t, err, ErrFormat, "% x", b)
	}
}

func TestLoadCIFAR10FromFolder(t *testing.T) {
	dir := t.TempDir()
	// Binary batches in DIR/cifar-10-batches-bin win over an archive in DIR.
	sub := filepath.Join(dir, "cifar-10-batches-bin")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	for i, n := range cifarBinNames {
		require.NoError(t, os.WriteFile(filepath.Join(sub, n), cifarRecords(2, byte(i)), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, cifarJPEGArchive), jpegArchive(1), 0o644))
	train, test, err := Load("cifar10", dir)
	require.NoError(t, err)
	assert.Equal(t, 10, train.N)
	assert.Equal(t, 2, test.N)

	// The archive alone.
	dir2 := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir2, cifarJPEGArchive), jpegArchive(1), 0o644))
	train, test, err = Load("cifar-10", dir2)
	require.NoError(t, err)
	assert.Equal(t, 10, train.N)
	assert.Equal(t, 10, test.N)

	// A corrupt archive names its path.
	require.NoError(t, os.WriteFile(filepath.Join(dir2, cifarJPEGArchive), []byte("junk"), 0o644))
	_, _, err = Load("cifar10", dir2)
	require.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, filepath.Join(dir2, cifarJPEGArchive))

	// Nothing there.
	_, _, err = Load("cifar10", t.TempDir())
	require.ErrorIs(t, err, ErrNotFound)
	assert.ErrorContains(t, err, "--data-dir")
}

// FuzzDecodeCIFARBinary: no input panics; accepted input is a valid set.
func FuzzDecodeCIFARBinary(f *testing.F) {
	f.Add(cifarRecords(1, 0))
	f.Add(cifarRecords(2, 9))
	f.Add([]byte{10})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeCIFARBinary(b)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		require.NoError(t, s.Validate())
	})
}

// FuzzDecodeCIFARArchive: no archive panics; accepted archives give valid sets.
func FuzzDecodeCIFARArchive(f *testing.F) {
	f.Add(jpegArchive(1))
	f.Add(tarGz([]tarFile{{"train/cat/0.jpg", testJPEG(32, 32, 0, true)}}))
	var files []tarFile
	for _, n := range cifarBinNames {
		files = append(files, tarFile{n, cifarRecords(1, 0)})
	}
	f.Add(tarGz(files))
	if b, err := os.ReadFile(filepath.Join("testdata", "cifar10-tiny.tar.gz")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		train, test, err := DecodeCIFARArchive(bytes.NewReader(b), Options{Workers: 2})
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		require.NoError(t, train.Validate())
		require.NoError(t, test.Validate())
	})
}

// FuzzDecodeJPEG32 reaches the JPEG decoding directly (inside an archive, gzip hides the
// JPEG bytes from the fuzzer's mutations).
func FuzzDecodeJPEG32(f *testing.F) {
	for c := range 3 {
		f.Add(testJPEG(32, 32, c, c == 1))
	}
	f.Add(testJPEG(8, 8, 0, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		dst := make([]float32, cifarDim)
		if err := decodeJPEG32(dst, b); err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		for _, v := range dst {
			require.True(t, v >= 0 && v <= 1, fmt.Sprint(v))
		}
	})
}
