package mlp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func tinyFile(t testing.TB) *File {
	m, err := New([]int{3, 4, 2}, Tanh, 0.25, 1)
	require.NoError(t, err)
	m.Law = lr.Logistic{}
	return &File{Model: m, Info: Info{Method: "lr", Data: "synthetic", Copies: 4, Seed: 1},
		State:     &lr.TrainState{Epoch: 1, Step: 3},
		Optimizer: &OptimizerState{Name: "sgd", LR: 0.1, State: optim.State{Steps: 3, Buffers: [][]float32{make([]float32, 12), make([]float32, 4), make([]float32, 8), make([]float32, 2)}}},
	}
}

func encode(t testing.TB, f *File) []byte {
	var b bytes.Buffer
	require.NoError(t, Encode(&b, f))
	return b.Bytes()
}

func TestFileRoundTrip(t *testing.T) {
	f := tinyFile(t)
	b := encode(t, f)
	g, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, f.Model.Sizes(), g.Model.Sizes())
	assert.Equal(t, f.Model.Acts, g.Model.Acts)
	assert.Equal(t, f.Model.Sigma, g.Model.Sigma)
	assert.Equal(t, "logistic", g.Model.Law.Name())
	for i, p := range f.Model.Params() {
		assert.Equal(t, p.Value, g.Model.Params()[i].Value)
	}
	assert.Equal(t, f.Info, g.Info)
	assert.Equal(t, *f.State, *g.State)
	assert.Equal(t, f.Optimizer.State, g.Optimizer.State)
	assert.Equal(t, b, encode(t, g), "re-encoding is byte-identical")
}

// TestFileGolden freezes the byte layout of format version 1 (rewrite with -update).
func TestFileGolden(t *testing.T) {
	b := encode(t, tinyFile(t))
	path := filepath.Join("testdata", "tiny.snnm")
	if *update {
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, b, "format changed: bump FormatVersion, or run go test -update if intended")
	_, err = Decode(want)
	require.NoError(t, err)
}

func TestFileErrors(t *testing.T) {
	good := encode(t, tinyFile(t))
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x10
		return b
	}
	other := bytes.Clone(good)
	binary.LittleEndian.PutUint16(other[8:], FormatVersion+1)
	for _, tc := range []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "not a snnsim model file"},
		{"magic", flip(0), "not a snnsim model file"},
		{"version", other, "format version 2, this build reads version 1"},
		{"payload bit", flip(len(good) - 20), "checksum"},
		{"header bit", flip(20), "checksum"},
		{"truncated", good[:len(good)-9], "checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.b)
			require.ErrorIs(t, err, ErrFormat)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestSaveLoadAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.snnm")
	f := tinyFile(t)
	require.NoError(t, Save(path, f))
	g, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, f.Model.Sizes(), g.Model.Sizes())
	// A failing writer leaves the old file whole and no temporary behind.
	err = lr.WriteFileAtomic(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return errors.New("crash")
	})
	require.Error(t, err)
	_, err = Load(path)
	require.NoError(t, err)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1)
}

func FuzzDecode(f *testing.F) {
	good := encode(f, tinyFile(f))
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte(Magic))
	bare := tinyFile(f)
	bare.State, bare.Optimizer = nil, nil
	f.Add(encode(f, bare))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		require.NoError(t, file.Model.Validate())
		// Whatever decodes must run.
		m := file.Model
		x := make([]float32, m.In())
		m.Predict(x, 1, true, 1)
	})
}
