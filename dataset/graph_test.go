package dataset

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNPY(t *testing.T) {
	for _, tc := range []struct {
		v    any
		kind byte
	}{
		{[]float32{1, -2.5}, 'f'},
		{[]float64{3, 4}, 'f'},
		{[]int32{-1, 7}, 'i'},
		{[]int64{1 << 40, -3}, 'i'},
		{[]int8{-128, 127}, 'i'},
		{[]string{"héllo", "", "x"}, 'U'},
	} {
		a, err := parseNPY(npyBytes(tc.v))
		require.NoError(t, err)
		assert.Equal(t, tc.kind, a.kind)
		switch v := tc.v.(type) {
		case []float32:
			f, ok := a.floats()
			require.True(t, ok)
			assert.Equal(t, v, f)
		case []float64:
			f, ok := a.floats()
			require.True(t, ok)
			assert.Equal(t, []float32{3, 4}, f)
		case []int32:
			n, ok := a.ints()
			require.True(t, ok)
			assert.Equal(t, []int64{-1, 7}, n)
		case []int64:
			n, ok := a.ints()
			require.True(t, ok)
			assert.Equal(t, v, n)
		case []int8:
			n, ok := a.ints()
			require.True(t, ok)
			assert.Equal(t, []int64{-128, 127}, n)
			_, ok = a.strings()
			assert.False(t, ok)
		case []string:
			s, ok := a.strings()
			require.True(t, ok)
			assert.Equal(t, v, s)
			_, ok = a.ints()
			assert.False(t, ok)
		}
	}
}

func TestParseNPYErrors(t *testing.T) {
	good := npyBytes([]int32{1, 2, 3})
	withHeader := func(h string) []byte {
		var b bytes.Buffer
		b.WriteString("\x93NUMPY\x01\x00")
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
		b.WriteString(h)
		b.Write(make([]byte, 12))
		return b.Bytes()
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x00\x00"), "bad magic"},
		{"version 4", []byte("\x93NUMPY\x04\x00\x00\x00"), "version 4"},
		{"header past end", []byte("\x93NUMPY\x01\x00\xff\x00{"), "truncated header"},
		{"v2 huge header", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), "too long"},
		{"no descr", withHeader("{'fortran_order': False, 'shape': (3,), }\n"), "no 'descr'"},
		{"no shape", withHeader("{'descr': '<i4', 'fortran_order': False, }\n"), "no 'shape'"},
		{"no order", withHeader("{'descr': '<i4', 'shape': (3,), }\n"), "no 'fortran_order'"},
		{"unterminated", withHeader("{'descr': '<i4"), "no 'descr'"},
		{"object dtype", withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }\n"), "unsupported dtype"},
		{"big endian", withHeader("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }\n"), "big-endian"},
		{"odd size", withHeader("{'descr': '<i3', 'fortran_order': False, 'shape': (4,), }\n"), "unsupported dtype"},
		{"fortran 2-D", withHeader("{'descr': '<i4', 'fortran_order': True, 'shape': (1, 3), }\n"), "fortran_order"},
		{"negative dim", withHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (-3,), }\n"), "bad shape"},
		{"huge dims", withHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (100000, 100000), }\n"), "bad shape"},
		{"size mismatch", withHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }\n"), "does not match"},
		{"truncated data", good[:len(good)-1], "does not match"},
		{"extra data", append(bytes.Clone(good), 0), "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseNPY(tc.b)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestDecodeGraphNPZ(t *testing.T) {
	for _, deflate := range []bool{false, true} {
		g, err := DecodeGraphNPZ("tiny", npzBytes(tinyGraph(), deflate))
		require.NoError(t, err)
		assert.Equal(t, 90, g.N)
		assert.Equal(t, 8, g.F)
		assert.Equal(t, 3, g.Classes)
		assert.Equal(t, []string{"alpha", "beta", "gamma"}, g.ClassNames)
		assert.Equal(t, []int{30, 30, 30}, g.Counts())
		// 90 ring edges + {0,30} + {30,60} + {1,31}; duplicates, reversal and the self loop go.
		assert.Len(t, g.Edges, 93)
		assert.True(t, slices.IsSortedFunc(g.Edges, func(a, b [2]int32) int {
			if a[0] != b[0] {
				return int(a[0] - b[0])
			}
			return int(a[1] - b[1])
		}))
		for _, e := range g.Edges {
			require.Less(t, e[0], e[1])
		}
		// Adj is symmetric with 2 entries per edge and no diagonal.
		assert.Equal(t, 2*len(g.Edges), g.Adj.NNZ())
		dense := g.Adj.Dense()
		for i := range 90 {
			require.Zero(t, dense[i*90+i])
			for j := range 90 {
				require.Equal(t, dense[i*90+j], dense[j*90+i])
			}
		}
		assert.Equal(t, float32(1), dense[0*90+30])
		// Features: 0/1, row-normalised rows sum to 1.
		rn := g.Features.RowNormalized()
		for i := range 90 {
			_, v := rn.Row(i)
			var s float64
			for _, x := range v {
				s += float64(x)
			}
			if len(v) > 0 {
				require.InDelta(t, 1, s, 1e-6)
			}
		}
		// GCN adjacency: symmetric, diagonal 1/deg+1.
		a := g.GCNAdjacency().Dense()
		deg := func(i int) float64 { return float64(g.Adj.Indptr[i+1] - g.Adj.Indptr[i] + 1) }
		assert.InDelta(t, 1/deg(0), a[0], 1e-6)
		assert.InDelta(t, 1/math.Sqrt(deg(0)*deg(30)), a[30], 1e-6)
		for i := range 90 {
			for j := range 90 {
				require.InDelta(t, a[i*90+j], a[j*90+i], 1e-7)
			}
		}
	}
}

func TestGraphSplit(t *testing.T) {
	g, err := DecodeGraphNPZ("tiny", npzBytes(tinyGraph(), false))
	require.NoError(t, err)
	require.NoError(t, g.Split(5, 20, 30, 1))
	assert.Len(t, g.Train, 15)
	assert.Len(t, g.Val, 20)
	assert.Len(t, g.Test, 30)
	per := make([]int, 3)
	seen := map[int32]bool{}
	for _, s := range [][]int32{g.Train, g.Val, g.Test} {
		assert.True(t, slices.IsSorted(s))
		for _, i := range s {
			require.False(t, seen[i], "node %d in two lists", i)
			seen[i] = true
		}
	}
	for _, i := range g.Train {
		per[g.Labels[i]]++
	}
	assert.Equal(t, []int{5, 5, 5}, per)
	train := slices.Clone(g.Train)
	require.NoError(t, g.Split(5, 20, 30, 1))
	assert.Equal(t, train, g.Train, "same seed, same split")
	require.NoError(t, g.Split(5, 20, 30, 2))
	assert.NotEqual(t, train, g.Train, "another seed, another split")

	assert.ErrorContains(t, g.Split(31, 0, 0, 1), "fewer than 31")
	assert.ErrorContains(t, g.Split(20, 20, 20, 1), "remain")
	assert.Error(t, g.Split(-1, 0, 0, 1))
	// The standard split needs more nodes than the tiny graph has.
	assert.Error(t, g.Split(SplitPerClass, SplitVal, SplitTest, 1))
}

func TestDecodeGraphNPZErrors(t *testing.T) {
	with := func(k string, v any) []byte {
		a := tinyGraph()
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
		return npzBytes(a, true)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"not zip", []byte("PK nope"), "zip"},
		{"no labels", with("labels", nil), "no labels"},
		{"no adj_indptr", with("adj_indptr", nil), "no adj_indptr"},
		{"no attr_shape", with("attr_shape", nil), "no attr_shape"},
		{"bad shape", with("adj_shape", []int64{90}), "want two sizes"},
		{"not square", with("adj_shape", []int64{90, 91}), "not square"},
		{"indptr length", with("adj_indptr", []int32{0, 1}), "offsets"},
		{"label too big", with("labels", append(make([]int8, 89), 3)), "label 3"},
		{"negative label", with("labels", append(make([]int8, 89), -1)), "label -1"},
		{"labels length", with("labels", make([]int8, 10)), "want 90 integers"},
		{"float indices", with("adj_indices", make([]float32, 96)), "integers"},
		{"string labels", with("labels", []string{"a"}), "want 90 integers"},
		{"feature rows", with("attr_shape", []int64{89, 8}), "offsets"},
		{"class names not strings", with("class_names", []int32{1, 2, 3}), "not strings"},
		{"bad npy member", with("labels", []byte("junk")), "labels.npy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGraphNPZ("tiny", tc.b)
			require.ErrorIs(t, err, ErrFormat)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	// Out-of-range column, decreasing offsets.
	a := tinyGraph()
	idx := slices.Clone(a["adj_indices"].([]int32))
	idx[3] = 90
	a["adj_indices"] = idx
	_, err := DecodeGraphNPZ("tiny", npzBytes(a, false))
	assert.ErrorContains(t, err, "column 90 out of range")
	a = tinyGraph()
	ptr := slices.Clone(a["adj_indptr"].([]int32))
	ptr[5], ptr[6] = ptr[6], ptr[5]
	a["adj_indptr"] = ptr
	_, err = DecodeGraphNPZ("tiny", npzBytes(a, false))
	assert.ErrorContains(t, err, "offsets decrease")
}

func TestDecodeGraphNPZCorrupted(t *testing.T) {
	for _, deflate := range []bool{false, true} {
		for name, b := range corruptions(npzBytes(tinyGraph(), deflate)) {
			t.Run(name, func(t *testing.T) {
				g, err := DecodeGraphNPZ("tiny", b)
				if strings.HasPrefix(name, "truncated") || name == "empty" {
					require.ErrorIs(t, err, ErrFormat)
				}
				if err == nil {
					assert.Equal(t, g.N, len(g.Labels))
				}
			})
		}
	}
}

func TestLoadGraphFromFolder(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cora.npz"), npzBytes(tinyGraph(), true), 0o644))
	_, err := LoadGraph("cora", dir, 1)
	assert.ErrorContains(t, err, "fewer than 500+1000", "the tiny graph cannot hold the standard split")
	_, err = LoadGraph("citeseer", dir, 1)
	require.ErrorIs(t, err, ErrNotFound)
	assert.ErrorContains(t, err, "citeseer.npz")
	assert.ErrorContains(t, err, dir)
	_, err = LoadGraph("mnist", dir, 1)
	require.ErrorIs(t, err, ErrUnknown)
}

// FuzzDecodeGraphNPZ: no input panics; accepted graphs are consistent.
func FuzzDecodeGraphNPZ(f *testing.F) {
	f.Add(npzBytes(tinyGraph(), false))
	f.Add(npzBytes(tinyGraph(), true))
	small := map[string]any{
		"adj_data": []float32{1}, "adj_indices": []int32{1}, "adj_indptr": []int32{0, 1, 1}, "adj_shape": []int64{2, 2},
		"attr_data": []float32{1}, "attr_indices": []int32{0}, "attr_indptr": []int32{0, 0, 1}, "attr_shape": []int64{2, 1},
		"labels": []int8{0, 1},
	}
	f.Add(npzBytes(small, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := DecodeGraphNPZ("fuzz", b)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		require.Len(t, g.Labels, g.N)
		require.Equal(t, g.N, g.Features.Rows)
		require.Equal(t, 2*len(g.Edges), g.Adj.NNZ())
		for _, l := range g.Labels {
			require.Less(t, int(l), g.Classes)
		}
	})
}

// FuzzParseNPY reaches the .npy header parser directly (inside an npz, the zip checksums
// make most mutations fail early).
func FuzzParseNPY(f *testing.F) {
	f.Add(npyBytes([]int32{1, 2, 3}))
	f.Add(npyBytes([]string{"ab", "c"}))
	f.Add(npyBytes([]float64{1.5}))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseNPY(b)
		if err != nil {
			return
		}
		require.Equal(t, a.len()*a.size, len(a.data))
		a.ints()
		a.floats()
		a.strings()
	})
}
