package trace

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The spikes in the numpy-made fixtures (testdata/make_fixtures.py), sorted.
var (
	fixtureIDs   = []int32{3, 0, 2, 3, 1, 3, 0}
	fixtureTicks = []int64{0, 2, 2, 5, 7, 7, 11}
)

func TestReadNumpyFixtures(t *testing.T) {
	tests := []struct {
		file string
		opt  ReadOptions
		meta Meta
	}{
		{"brian2_savez.npz", ReadOptions{DT: 1e-4}, Meta{DT: 1e-4}},
		{"brian2_compressed.npz", ReadOptions{}, Meta{DT: 1e-4}},
		{"brian2_compressed.npz", ReadOptions{DT: 1e-4}, Meta{DT: 1e-4}},
		{"numpy_aliases.npz", ReadOptions{}, Meta{DT: 1e-4}},
		{"numpy_indices_times.npz", ReadOptions{}, Meta{DT: 1e-4}},
		{"numpy_full.npz", ReadOptions{}, Meta{DT: 1e-4, Seed: 42, Source: "numpy", NumNeurons: 5, Duration: 20,
			Populations: []PopRange{{"E", 0, 4}, {"I", 4, 1}}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			tr, err := ReadFile(filepath.Join("testdata", tc.file), tc.opt)
			require.NoError(t, err)
			assert.Equal(t, tc.meta, tr.Meta)
			assert.Equal(t, fixtureIDs, tr.IDs)
			assert.Equal(t, fixtureTicks, tr.Ticks)
		})
	}

	tr, err := ReadFile("testdata/numpy_empty.npz", ReadOptions{})
	require.NoError(t, err)
	assert.Zero(t, tr.Len())
	assert.Equal(t, 1e-4, tr.Meta.DT)

	_, err = ReadFile("testdata/brian2_savez.npz", ReadOptions{})
	require.EqualError(t, err, `trace: testdata/brian2_savez.npz: array "dt": missing: the file has no step length; set ReadOptions.DT (seconds)`)
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "dt", fe.Array)

	_, err = ReadFile("testdata/does-not-exist.npz", ReadOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestRoundTrip(t *testing.T) {
	for _, tr := range []*Trace{
		randomTrace(7, 50, 300, 0.02),
		fromSpikes(3, 0),
		{Meta: Meta{DT: 0.5e-3}},
		fromSpikes(0, 0, Spike{math.MaxInt32, 1 << 40}),
	} {
		var buf bytes.Buffer
		require.NoError(t, tr.Write(&buf))
		got, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{})
		require.NoError(t, err)
		if tr.Len() == 0 { // written as empty arrays, read as empty slices
			assert.Empty(t, got.IDs)
			got.IDs, got.Ticks = tr.IDs, tr.Ticks
		}
		assert.Equal(t, tr, got)

		// Deterministic bytes.
		var again bytes.Buffer
		require.NoError(t, got.Write(&again))
		assert.Equal(t, buf.Bytes(), again.Bytes())
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.npz")
	tr := randomTrace(3, 20, 100, 0.05)
	require.NoError(t, tr.WriteFile(path))
	got, err := ReadFile(path, ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, tr, got)

	// A failed write leaves the old file and no temporary behind.
	bad := tr.Clone()
	bad.Meta.DT = -1
	require.ErrorContains(t, bad.WriteFile(path), "DT = -1")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	got, err = ReadFile(path, ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, tr, got)

	require.Error(t, tr.WriteFile(filepath.Join(dir, "missing-dir", "x.npz")))
}

// TestWriteBytes checks the npy members byte by byte: names, npy 1.0
// headers padded to 64 bytes, little-endian data.
func TestWriteBytes(t *testing.T) {
	tr := fromSpikes(5, 20, Spike{3, 0}, Spike{0, 2}, Spike{4, 11})
	tr.Meta.Seed = 42
	var buf bytes.Buffer
	require.NoError(t, tr.Write(&buf))
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)

	var names []string
	members := map[string][]byte{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		assert.Equal(t, zip.Deflate, f.Method)
		rc, err := f.Open()
		require.NoError(t, err)
		members[f.Name], err = io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
	}
	assert.Equal(t, []string{"i.npy", "t.npy", "tick.npy", "dt.npy", "seed.npy", "meta.npy"}, names)

	header := func(descr, shape string) string {
		h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
		hlen := (10+len(h)+1+63)/64*64 - 10
		return h + strings.Repeat(" ", hlen-len(h)-1) + "\n"
	}
	for _, tc := range []struct {
		name, descr, shape string
		data               any
	}{
		{"i.npy", "<i4", "(3,)", []int32{3, 0, 4}},
		{"t.npy", "<f8", "(3,)", []float64{0, 2e-4, 11e-4}},
		{"tick.npy", "<i8", "(3,)", []int64{0, 2, 11}},
		{"dt.npy", "<f8", "()", 1e-4},
		{"seed.npy", "<u8", "()", uint64(42)},
	} {
		b := members[tc.name]
		require.GreaterOrEqual(t, len(b), 64, tc.name)
		assert.Equal(t, "\x93NUMPY\x01\x00", string(b[:8]), tc.name)
		hlen := int(binary.LittleEndian.Uint16(b[8:10]))
		assert.Equal(t, 0, (10+hlen)%64, "%s: header not 64-byte aligned", tc.name)
		assert.Equal(t, header(tc.descr, tc.shape), string(b[10:10+hlen]), tc.name)
		var want bytes.Buffer
		require.NoError(t, binary.Write(&want, binary.LittleEndian, tc.data))
		assert.Equal(t, want.Bytes(), b[10+hlen:], tc.name)
	}
	meta := members["meta.npy"]
	hlen := int(binary.LittleEndian.Uint16(meta[8:10]))
	assert.Contains(t, string(meta[10:10+hlen]), "{'descr': '|u1', 'fortran_order': False, 'shape': (")
	assert.JSONEq(t, `{"format":"snnsim-trace/1","num_neurons":5,"duration_steps":20}`, string(meta[10+hlen:]))
}

// npyBytes builds an npy member: version 1.0 header with the given dict text
// (padded as numpy pads it) followed by data.
func npyBytes(dict string, data []byte) []byte {
	hlen := (10+len(dict)+1+63)/64*64 - 10
	b := append([]byte("\x93NUMPY\x01\x00"), byte(hlen), byte(hlen>>8))
	b = append(b, dict...)
	b = append(b, bytes.Repeat([]byte(" "), hlen-len(dict)-1)...)
	b = append(b, '\n')
	return append(b, data...)
}

// arr builds an npy member for a 1-d little-endian array of vals.
func arr(descr string, vals any) []byte {
	var data bytes.Buffer
	if err := binary.Write(&data, binary.LittleEndian, vals); err != nil {
		panic(err)
	}
	n := reflect.ValueOf(vals).Len()
	return npyBytes(fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", descr, n), data.Bytes())
}

// scalar builds a 0-d npy member.
func scalar(descr string, v any) []byte {
	var data bytes.Buffer
	if err := binary.Write(&data, binary.LittleEndian, v); err != nil {
		panic(err)
	}
	return npyBytes(fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (), }", descr), data.Bytes())
}

type member struct {
	name string
	data []byte
}

// makeNPZ zips members (stored, like np.savez; deflated if compress).
func makeNPZ(compress bool, members ...member) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		method := zip.Store
		if compress {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: method})
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(m.data); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// brian returns valid Brian2-style members: i (int64), t (float64), dt.
func brian() []member {
	return []member{
		{"i.npy", arr("<i8", []int64{1, 0, 2})},
		{"t.npy", arr("<f8", []float64{0, 1e-4, 3e-4})},
		{"dt.npy", scalar("<f8", 1e-4)},
	}
}

// with returns ms with the member called name replaced (or added, or
// removed when data is nil).
func with(ms []member, name string, data []byte) []member {
	out := []member{}
	found := false
	for _, m := range ms {
		if m.name == name {
			found = true
			if data == nil {
				continue
			}
			m.data = data
		}
		out = append(out, m)
	}
	if !found && data != nil {
		out = append(out, member{name, data})
	}
	return out
}

func metaMember(json string) []byte { return arr("|u1", []uint8(json)) }

func TestReadCrafted(t *testing.T) {
	tr, err := Read(bytes.NewReader(makeNPZ(false, brian()...)), int64(len(makeNPZ(false, brian()...))), ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, []int32{1, 0, 2}, tr.IDs)
	assert.Equal(t, []int64{0, 1, 3}, tr.Ticks)

	// Accepted variants.
	ok := []struct {
		name    string
		members []member
		ids     []int32
		ticks   []int64
	}{
		{"members without .npy", []member{{"i", arr("<i8", []int64{1})}, {"t", arr("<f8", []float64{2e-4})}, {"dt", scalar("<f8", 1e-4)}}, []int32{1}, []int64{2}},
		{"tick only", with(with(brian(), "t.npy", nil), "tick.npy", arr("<i8", []int64{0, 1, 3})), []int32{1, 0, 2}, []int64{0, 1, 3}},
		{"float32 times", with(brian(), "t.npy", arr("<f4", []float32{0, 1e-4, 3e-4})), []int32{1, 0, 2}, []int64{0, 1, 3}},
		{"uint8 ids", with(brian(), "i.npy", arr("|u1", []uint8{1, 0, 2})), []int32{1, 0, 2}, []int64{0, 1, 3}},
		{"1-element dt", with(brian(), "dt.npy", arr("<f8", []float64{1e-4})), []int32{1, 0, 2}, []int64{0, 1, 3}},
		{"times rounded", with(brian(), "t.npy", arr("<f8", []float64{0.4e-4, 0.9e-4, 3.2e-4})), []int32{1, 0, 2}, []int64{0, 1, 3}},
		{"unknown arrays ignored", with(brian(), "v.npy", arr("<f8", []float64{1, 2})), []int32{1, 0, 2}, []int64{0, 1, 3}},
		{"meta without format", with(brian(), "meta.npy", metaMember(`{"num_neurons": 3, "extra": 1}`)), []int32{1, 0, 2}, []int64{0, 1, 3}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			for _, compress := range []bool{false, true} {
				b := makeNPZ(compress, tc.members...)
				tr, err := Read(bytes.NewReader(b), int64(len(b)), ReadOptions{})
				require.NoError(t, err)
				assert.Equal(t, tc.ids, tr.IDs)
				assert.Equal(t, tc.ticks, tr.Ticks)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	good := makeNPZ(false, brian()...)
	goodDeflate := makeNPZ(true, brian()...)
	flipped := bytes.Clone(goodDeflate)
	flipped[60] ^= 0xff // inside i.npy's compressed data

	// Stored i.npy with one bit of data flipped: the zip checksum catches it.
	badCRC := bytes.Clone(good)
	k := bytes.Index(badCRC, []byte("(3,), }"))
	k += bytes.IndexByte(badCRC[k:], '\n')
	badCRC[k+3] ^= 1

	long2 := append([]byte("\x93NUMPY\x02\x00"), 0, 0, 0, 0x40)
	hugeShape := npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000,), }", make([]byte, 64))

	tests := []struct {
		name string
		file []byte
		opt  ReadOptions
		want string
	}{
		{"not zip", []byte("hello, not a zip file at all"), ReadOptions{}, "trace: not an npz (zip) file: zip: not a valid zip file"},
		{"empty file", nil, ReadOptions{}, "not an npz (zip) file"},
		{"truncated", good[:len(good)/2], ReadOptions{}, "not an npz (zip) file"},
		{"corrupted deflate", flipped, ReadOptions{}, `array "i": `},
		{"bad checksum", badCRC, ReadOptions{}, `array "i": reading data: zip: checksum error`},
		{"no members", makeNPZ(false), ReadOptions{}, `no neuron-id array: want "i" (or "indices", "spike_ids"); file has no arrays`},
		{"no ids", makeNPZ(false, with(brian(), "i.npy", nil)...), ReadOptions{}, `no neuron-id array: want "i" (or "indices", "spike_ids"); file has "dt", "t"`},
		{"no times", makeNPZ(false, with(brian(), "t.npy", nil)...), ReadOptions{}, `no spike-time array: want "t" (or "times", "spike_times") or "tick"`},
		{"positional arrays", makeNPZ(false, member{"arr_0.npy", arr("<i8", []int64{1})}), ReadOptions{}, `file has "arr_0"`},
		{"ambiguous ids", makeNPZ(false, with(brian(), "indices.npy", arr("<i8", []int64{1, 0, 2}))...), ReadOptions{}, `both "i" and "indices" present`},
		{"duplicate", makeNPZ(false, with(brian(), "i", arr("<i8", []int64{1, 0, 2}))...), ReadOptions{}, `array "i": appears twice`},
		{"no dt", makeNPZ(false, with(brian(), "dt.npy", nil)...), ReadOptions{}, `array "dt": missing`},
		{"dt conflict", good, ReadOptions{DT: 1e-3}, `array "dt": 0.0001 s differs from ReadOptions.DT = 0.001 s`},
		{"bad option", good, ReadOptions{DT: -1}, "ReadOptions.DT = -1"},
		{"negative dt", makeNPZ(false, with(brian(), "dt.npy", scalar("<f8", -1e-4))...), ReadOptions{}, `array "dt": -0.0001 is not a positive step length`},
		{"dt array", makeNPZ(false, with(brian(), "dt.npy", arr("<f8", []float64{1, 2}))...), ReadOptions{}, `array "dt": shape [2]: want a single value`},
		{"float ids", makeNPZ(false, with(brian(), "i.npy", arr("<f8", []float64{1, 0, 2}))...), ReadOptions{}, `array "i": dtype "<f8": want an integer array`},
		{"int times", makeNPZ(false, with(brian(), "t.npy", arr("<i8", []int64{0, 1, 3}))...), ReadOptions{}, `array "t": dtype "<i8": want a float32 or float64 array`},
		{"complex", makeNPZ(false, with(brian(), "t.npy", npyBytes("{'descr': '<c16', 'fortran_order': False, 'shape': (0,), }", nil))...), ReadOptions{}, `array "t": dtype "<c16" not supported`},
		{"object", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", nil))...), ReadOptions{}, `array "i": dtype "|O" not supported`},
		{"big-endian", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '>i8', 'fortran_order': False, 'shape': (3,), }", make([]byte, 24)))...), ReadOptions{}, `array "i": big-endian dtype ">i8" not supported (convert to little-endian, e.g. with .astype('<i8'))`},
		{"fortran", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '<i8', 'fortran_order': True, 'shape': (3, 1), }", make([]byte, 24)))...), ReadOptions{}, `array "i": Fortran-order arrays are not supported`},
		{"2-d", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 1), }", make([]byte, 24)))...), ReadOptions{}, `array "i": shape [3 1]: want a 1-d array`},
		{"scalar ids", makeNPZ(false, with(brian(), "i.npy", scalar("<i8", int64(1)))...), ReadOptions{}, `array "i": shape []: want a 1-d array`},
		{"nan time", makeNPZ(false, with(brian(), "t.npy", arr("<f8", []float64{0, math.NaN(), 1}))...), ReadOptions{}, `array "t": time NaN at index 1 is not finite`},
		{"inf time", makeNPZ(false, with(brian(), "t.npy", arr("<f8", []float64{0, math.Inf(1), 1}))...), ReadOptions{}, `array "t": time +Inf at index 1 is not finite`},
		{"negative time", makeNPZ(false, with(brian(), "t.npy", arr("<f8", []float64{0, -0.5, 1}))...), ReadOptions{}, `array "t": negative time -0.5 at index 1`},
		{"huge time", makeNPZ(false, with(brian(), "t.npy", arr("<f8", []float64{0, 1e300, 1}))...), ReadOptions{}, `array "t": time 1e+300 s at index 1 is too large`},
		{"negative id", makeNPZ(false, with(brian(), "i.npy", arr("<i8", []int64{1, -2, 0}))...), ReadOptions{}, `array "i": negative neuron id -2 at index 1`},
		{"id too large", makeNPZ(false, with(brian(), "i.npy", arr("<i8", []int64{1, 1 << 31, 0}))...), ReadOptions{}, `array "i": neuron id 2147483648 at index 1 does not fit int32`},
		{"uint64 overflow", makeNPZ(false, with(brian(), "i.npy", arr("<u8", []uint64{1, math.MaxUint64, 0}))...), ReadOptions{}, `array "i": element 1 = 18446744073709551615 overflows int64`},
		{"length mismatch", makeNPZ(false, with(brian(), "t.npy", arr("<f8", []float64{0, 1e-4}))...), ReadOptions{}, `array "t": has 2 elements, "i" has 3`},
		{"id >= num_neurons", makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"num_neurons": 2}`))...), ReadOptions{}, `array "i": neuron id 2 at index 2 >= num_neurons 2`},
		{"tick >= duration", makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"duration_steps": 3}`))...), ReadOptions{}, `array "tick": tick 3 at index 2 >= duration_steps 3`},
		{"tick disagrees", makeNPZ(false, with(brian(), "tick.npy", arr("<i8", []int64{0, 1, 5}))...), ReadOptions{}, `array "t": time 0.0003 s at index 2 disagrees with tick 5`},
		{"negative tick", makeNPZ(false, with(brian(), "tick.npy", arr("<i8", []int64{0, -1, 3}))...), ReadOptions{}, `array "tick": negative tick -1 at index 1`},
		{"bad meta json", makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"num_neurons": `))...), ReadOptions{}, `array "meta": bad JSON: unexpected end of JSON input`},
		{"meta wrong type", makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"num_neurons": "x"}`))...), ReadOptions{}, `array "meta": bad JSON`},
		{"meta format", makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"format": "snnsim-trace/9"}`))...), ReadOptions{}, `array "meta": format "snnsim-trace/9" not supported`},
		{"meta float", makeNPZ(false, with(brian(), "meta.npy", arr("<f8", []float64{1}))...), ReadOptions{}, `array "meta": dtype "<f8": want uint8 bytes`},
		{"negative population", makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"populations": [{"name": "E", "first": -1, "size": 2}]}`))...), ReadOptions{}, `array "meta": population "E": bad range`},
		{"population outside", makeNPZ(false, with(brian(), "meta.npy", metaMember(`{"num_neurons": 3, "populations": [{"name": "E", "first": 2, "size": 2}]}`))...), ReadOptions{}, `trace: population "E": ids [2, 4) outside [0, NumNeurons=3)`},
		{"negative seed", makeNPZ(false, with(brian(), "seed.npy", scalar("<i8", int64(-3)))...), ReadOptions{}, `array "seed": negative value -3`},
		{"huge shape", makeNPZ(true, with(brian(), "i.npy", hugeShape)...), ReadOptions{}, `array "i": data truncated: header says 1000000000000 elements of 8 bytes`},
		{"overflowing shape", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", nil))...), ReadOptions{}, `array "i": shape (4294967296, 4294967296): more than`},
		{"truncated data", makeNPZ(false, with(brian(), "i.npy", arr("<i8", []int64{1, 0, 2})[:128+20])...), ReadOptions{}, `array "i": data truncated: header says 3 elements of 8 bytes`},
		{"trailing data", makeNPZ(false, with(brian(), "i.npy", append(arr("<i8", []int64{1, 0, 2}), 0))...), ReadOptions{}, `array "i": trailing bytes after 3 elements of 8 bytes`},
		{"header too long", makeNPZ(false, with(brian(), "i.npy", long2)...), ReadOptions{}, `array "i": npy header of 1073741824 bytes is too long`},
		{"truncated header", makeNPZ(false, with(brian(), "i.npy", arr("<i8", []int64{1, 0, 2})[:30])...), ReadOptions{}, `array "i": reading npy header: unexpected EOF`},
		{"bad magic", makeNPZ(false, with(brian(), "i.npy", []byte("\x93NUMPX\x01\x00\x00\x00"))...), ReadOptions{}, `array "i": not an npy array (bad magic "\x93NUMPX")`},
		{"npy version 3", makeNPZ(false, with(brian(), "i.npy", []byte("\x93NUMPY\x03\x00\x00\x00\x00\x00"))...), ReadOptions{}, `array "i": npy format version 3.0 not supported`},
		{"header without newline", makeNPZ(false, with(brian(), "i.npy", append([]byte("\x93NUMPY\x01\x00\x08\x00"), "{'descr'"...))...), ReadOptions{}, `array "i": malformed npy header "{'descr'"`},
		{"header other order", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'shape': (3,), 'fortran_order': False, 'descr': '<i8', }", make([]byte, 24)))...), ReadOptions{}, `array "i": malformed npy header`},
		{"negative dimension", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (-3,), }", nil))...), ReadOptions{}, `array "i": malformed npy header`},
		{"bool ids", makeNPZ(false, with(brian(), "i.npy", npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{1, 0, 1}))...), ReadOptions{}, `array "i": dtype "|b1" not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.file), int64(len(tc.file)), tc.opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n", "error is not one line")
			assert.Regexp(t, "^trace: ", err.Error())
		})
	}

	// A header claiming 10¹² elements costs what the data holds, not 8 TB.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	file := makeNPZ(true, with(brian(), "i.npy", hugeShape)...)
	_, err := Read(bytes.NewReader(file), int64(len(file)), ReadOptions{})
	require.ErrorContains(t, err, "data truncated")
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "bytes allocated")

	// ReadFile names the file.
	path := filepath.Join(t.TempDir(), "bad.npz")
	require.NoError(t, os.WriteFile(path, makeNPZ(false, with(brian(), "t.npy", arr("<f8", []float64{0, -0.5, 1}))...), 0o644))
	_, err = ReadFile(path, ReadOptions{})
	require.EqualError(t, err, fmt.Sprintf(`trace: %s: array "t": negative time -0.5 at index 1`, path))
	var fe *FormatError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, path, fe.Path)
}

func BenchmarkWrite(b *testing.B) {
	tr := randomTrace(1, 4000, 1000, 0.05) // 200k spikes, as CUBA's 10 s at 5 Hz
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := tr.Write(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(tr.Len()) * 20)
	b.ReportMetric(float64(buf.Len())/float64(tr.Len()), "B/spike")
}

func BenchmarkRead(b *testing.B) {
	tr := randomTrace(1, 4000, 1000, 0.05)
	var buf bytes.Buffer
	if err := tr.Write(&buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(tr.Len()) * 20)
	for b.Loop() {
		if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
