package dataset

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the files in testdata/ from the real datasets")

// sharedDatasets returns ../shared/datasets beside the repository, or skips the test.
func sharedDatasets(t testing.TB, files ...string) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(filepath.Dir(d), "shared", "datasets")
			for _, f := range files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Skipf("skipping: %s is not there (the project's shared datasets live in ../shared/datasets beside the repository)", filepath.Join(dir, f))
				}
			}
			return dir
		}
	}
	t.Skip("skipping: no go.mod above the working folder")
	return ""
}

// idxBytes encodes an idx file of unsigned bytes, gzipped or not.
func idxBytes(dims []int, data []byte, gz bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	if !gz {
		return b.Bytes()
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b.Bytes())
	w.Close()
	return z.Bytes()
}

// pattern returns n deterministic bytes.
func pattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31+int(seed)*7) ^ seed
	}
	return p
}

// writeMNISTLike writes four idx files of nTrain and nTest side×side images to dir.
func writeMNISTLike(t testing.TB, dir string, nTrain, nTest, side int, gz bool) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	suffix := ""
	if gz {
		suffix = ".gz"
	}
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		labels := make([]byte, s.n)
		for i := range labels {
			labels[i] = byte(i % 10)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, s.prefix+"-images-idx3-ubyte"+suffix),
			idxBytes([]int{s.n, side, side}, pattern(s.n*side*side, byte(s.n)), gz), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, s.prefix+"-labels-idx1-ubyte"+suffix),
			idxBytes([]int{s.n}, labels, gz), 0o644))
	}
}

// cifarRecords returns n binary CIFAR records with labels i%10.
func cifarRecords(n int, seed byte) []byte {
	b := make([]byte, 0, n*cifarRecord)
	for i := range n {
		b = append(b, byte(i%10))
		b = append(b, pattern(cifarDim, seed+byte(i))...)
	}
	return b
}

// testJPEG encodes a w×h image with a colour gradient of class c.
func testJPEG(w, h, c int, grey bool) []byte {
	var img image.Image
	if grey {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = byte(i * (c + 1))
		}
		img = g
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Set(x, y, color.RGBA{byte(8 * x), byte(8 * y), byte(25 * c), 0xff})
			}
		}
		img = m
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

type tarFile struct {
	name string
	data []byte
}

// tarGz builds a tar.gz archive of the files (in the given order).
func tarGz(files []tarFile) []byte {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if strings.HasSuffix(f.name, "/") {
			tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeDir, Mode: 0o755})
			continue
		}
		tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.data))})
		tw.Write(f.data)
	}
	tw.Close()
	zw.Close()
	return z.Bytes()
}

// jpegArchive returns a JPEG archive with per images of each class in train and test, listed
// in reverse order (the decoder must sort them).
func jpegArchive(per int) []byte {
	var files []tarFile
	for _, split := range []string{"test", "train"} {
		for c := 9; c >= 0; c-- {
			for i := per - 1; i >= 0; i-- {
				files = append(files, tarFile{fmt.Sprintf("cifar/%s/%s/%04d.jpg", split, CIFAR10ClassNames[c], i), testJPEG(32, 32, c+i, i == 1)})
			}
		}
	}
	files = append(files, tarFile{"cifar/README.txt", []byte("not an image")}, tarFile{"cifar/train/", nil})
	return tarGz(files)
}

// npyBytes encodes a 1-D .npy array (version 1) of the values: []float32, []int32, []int64,
// []int8 or []string (as '<U' of the longest string).
func npyBytes(v any) []byte {
	var descr string
	var n int
	var data bytes.Buffer
	switch x := v.(type) {
	case []float32:
		descr, n = "<f4", len(x)
		binary.Write(&data, binary.LittleEndian, x)
	case []float64:
		descr, n = "<f8", len(x)
		binary.Write(&data, binary.LittleEndian, x)
	case []int32:
		descr, n = "<i4", len(x)
		binary.Write(&data, binary.LittleEndian, x)
	case []int64:
		descr, n = "<i8", len(x)
		binary.Write(&data, binary.LittleEndian, x)
	case []int8:
		descr, n = "|i1", len(x)
		binary.Write(&data, binary.LittleEndian, x)
	case []string:
		w := 1
		for _, s := range x {
			w = max(w, len([]rune(s)))
		}
		descr, n = fmt.Sprintf("<U%d", w), len(x)
		for _, s := range x {
			r := []rune(s)
			for k := range w {
				var c uint32
				if k < len(r) {
					c = uint32(r[k])
				}
				binary.Write(&data, binary.LittleEndian, c)
			}
		}
	default:
		panic(fmt.Sprintf("npyBytes: %T", v))
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", descr, n)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(data.Bytes())
	return b.Bytes()
}

// npzBytes zips the arrays (name → value for npyBytes, or raw []byte) in sorted key order.
func npzBytes(arrays map[string]any, deflate bool) []byte {
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	keys := make([]string, 0, len(arrays))
	for k := range arrays {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		method := zip.Store
		if deflate {
			method = zip.Deflate
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: k + ".npy", Method: method})
		if raw, ok := arrays[k].([]byte); ok {
			w.Write(raw)
		} else {
			w.Write(npyBytes(arrays[k]))
		}
	}
	zw.Close()
	return z.Bytes()
}

// tinyGraph returns the arrays of a graph of 3 classes with 30 nodes each: a ring per class
// plus a few links between classes, a duplicated edge, a reversed edge and a self loop;
// features are 8 binary words.
func tinyGraph() map[string]any {
	const n = 90
	type e struct{ i, j int32 }
	var es []e
	for c := range int32(3) {
		for k := range int32(30) {
			es = append(es, e{30*c + k, 30*c + (k+1)%30})
		}
	}
	es = append(es, e{0, 30}, e{30, 60}, e{0, 30}, e{31, 1}, e{1, 31}, e{5, 5})
	rows := make([][]int32, n)
	for _, x := range es {
		rows[x.i] = append(rows[x.i], x.j)
	}
	var indptr, indices []int32
	var data []float32
	indptr = append(indptr, 0)
	for _, r := range rows {
		slices.Sort(r)
		for _, j := range r {
			indices = append(indices, j)
			data = append(data, 1)
		}
		indptr = append(indptr, int32(len(indices)))
	}
	var aptr, aidx []int32
	var adat []float32
	aptr = append(aptr, 0)
	for i := range n {
		for w := range 8 {
			if (i+w)%3 == 0 {
				aidx = append(aidx, int32(w))
				adat = append(adat, 1)
			}
		}
		aptr = append(aptr, int32(len(aidx)))
	}
	labels := make([]int8, n)
	for i := range labels {
		labels[i] = int8(i / 30)
	}
	return map[string]any{
		"adj_data": data, "adj_indices": indices, "adj_indptr": indptr, "adj_shape": []int64{n, n},
		"attr_data": adat, "attr_indices": aidx, "attr_indptr": aptr, "attr_shape": []int64{n, 8},
		"labels": labels, "class_names": []string{"alpha", "beta", "gamma"},
	}
}

// corruptions returns variants of a valid file: truncations at several points, flipped bytes
// and appended garbage, each named.
func corruptions(b []byte) map[string][]byte {
	out := map[string][]byte{"empty": {}}
	for _, frac := range []float64{0.01, 0.1, 0.5, 0.9, 0.999} {
		n := int(math.Floor(float64(len(b)) * frac))
		if n < len(b) {
			out[fmt.Sprintf("truncated-%g", frac)] = b[:n]
		}
	}
	out["truncated-1"] = b[:len(b)-1]
	for _, pos := range []int{0, 1, 3, 7, len(b) / 2, len(b) - 5} {
		if pos >= 0 && pos < len(b) {
			c := bytes.Clone(b)
			c[pos] ^= 0xa5
			out[fmt.Sprintf("flipped-%d", pos)] = c
		}
	}
	out["garbage-appended"] = append(bytes.Clone(b), "garbage"...)
	return out
}
