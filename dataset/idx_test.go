package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeIDX(t *testing.T) {
	data := pattern(3*4*5, 1)
	for _, gz := range []bool{false, true} {
		idx, err := DecodeIDX(idxBytes([]int{3, 4, 5}, data, gz))
		require.NoError(t, err)
		assert.Equal(t, []int{3, 4, 5}, idx.Dims)
		assert.Equal(t, data, idx.Data)

		dims, x, err := decodeIDXFloat(idxBytes([]int{3, 4, 5}, data, gz))
		require.NoError(t, err)
		assert.Equal(t, []int{3, 4, 5}, dims)
		for i, v := range data {
			require.Equal(t, float32(v)/255, x[i])
		}
	}
	// A payload large enough for the pipelined path (more than 1 MB).
	big := pattern(1<<21+7, 3)
	dims, x, err := decodeIDXFloat(idxBytes([]int{len(big)}, big, true))
	require.NoError(t, err)
	assert.Equal(t, []int{len(big)}, dims)
	bad := 0
	for i, v := range big {
		if x[i] != byteScale[v] {
			bad++
		}
	}
	assert.Zero(t, bad, "values that differ")
	// Zero-sized dimension.
	idx, err := DecodeIDX(idxBytes([]int{0, 28, 28}, nil, true))
	require.NoError(t, err)
	assert.Empty(t, idx.Data)
}

func TestDecodeIDXErrors(t *testing.T) {
	good := idxBytes([]int{2, 3}, pattern(6, 1), false)
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "header"},
		{"short header", []byte{0, 0, 8}, "header"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, "bad magic"},
		{"int type", []byte{0, 0, 0x0c, 1, 0, 0, 0, 0}, "element type 0x0c"},
		{"no dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"too many dims", []byte{0, 0, 8, 9}, "9 dimensions"},
		{"short dims", []byte{0, 0, 8, 2, 0, 0, 0, 2}, "dimensions"},
		{"absurd size", []byte{0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "values"},
		{"claims more than the file", []byte{0, 0, 8, 1, 0, 1, 0, 0, 1, 2, 3}, "at most"},
		{"truncated payload", good[:len(good)-1], "payload"},
		{"trailing bytes", append(bytes.Clone(good), 0), "trailing"},
		{"gzip header only", []byte{0x1f, 0x8b}, "gzip"},
		{"gzip truncated", idxBytes([]int{100}, pattern(100, 2), true)[:30], "payload"},
		{"gzip absurd claim", idxBytes([]int{1 << 27}, nil, true), "at most"},
		{"over the cap", idxBytes([]int{1 << 15, 1 << 15}, nil, false), "more than 268435456 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeIDX(tc.b)
			require.ErrorIs(t, err, ErrFormat)
			assert.ErrorContains(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "dataset: idx: "), err.Error())
			_, _, err = decodeIDXFloat(tc.b)
			require.ErrorIs(t, err, ErrFormat)
		})
	}
}

func TestDecodeIDXCorrupted(t *testing.T) {
	for _, gz := range []bool{false, true} {
		good := idxBytes([]int{10, 7, 7}, pattern(490, 5), gz)
		for name, b := range corruptions(good) {
			t.Run(name, func(t *testing.T) {
				idx, err := DecodeIDX(b)
				if strings.HasPrefix(name, "truncated") || name == "empty" || name == "garbage-appended" {
					require.ErrorIs(t, err, ErrFormat)
				}
				if err == nil { // a flip may land in gzip's timestamp, or in pixel data
					assert.Len(t, idx.Data, prod(idx.Dims))
				}
			})
		}
	}
}

// FuzzDecodeIDX checks that no input makes the idx decoders panic and that what they accept
// is consistent.
func FuzzDecodeIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 3, 3}, pattern(18, 1), false))
	f.Add(idxBytes([]int{2, 3, 3}, pattern(18, 1), true))
	f.Add(idxBytes([]int{5}, []byte{0, 1, 2, 3, 4}, true))
	f.Add([]byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff})
	if b, err := os.ReadFile(filepath.Join("testdata", "mnist-tiny", "t10k-labels-idx1-ubyte.gz")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := DecodeIDX(b)
		dims, x, err2 := decodeIDXFloat(b)
		require.Equal(t, err == nil, err2 == nil)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		require.Equal(t, idx.Dims, dims)
		require.Len(t, idx.Data, prod(dims))
		require.Len(t, x, prod(dims))
	})
}
