package gnn

import (
	"bytes"
	"flag"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/internal/nncore/nncoretest"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// tinyFile is a small SAGE+GCN model, every value set (not drawn).
func tinyFile(t testing.TB) *File {
	m, err := New([]Kind{SAGE, GCN}, 5, []int{3}, 2, mlp.ReLU, 0.25, 1)
	require.NoError(t, err)
	m.Dropout, m.WeightDecay = 0.5, 5e-4
	for k, p := range m.Params() {
		for i := range p.Value {
			p.Value[i] = float32((i*3+k)%7-3) / 4
		}
	}
	return &File{Model: m, Info: mlp.Info{Method: "bp", Data: "cora", Seed: 3}, State: &lr.TrainState{Epoch: 5, Step: 5}}
}

func encode(f *File) ([]byte, error) {
	var b bytes.Buffer
	err := Encode(&b, f)
	return b.Bytes(), err
}

func TestFileRoundTrip(t *testing.T) {
	f := tinyFile(t)
	b, err := encode(f)
	require.NoError(t, err)
	g, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, f.Model.Kinds(), g.Model.Kinds())
	assert.Equal(t, f.Model.Widths(), g.Model.Widths())
	assert.Equal(t, f.Model.Dropout, g.Model.Dropout)
	for i, p := range f.Model.Params() {
		assert.Equal(t, p.Value, g.Model.Params()[i].Value, p.Name)
	}
	path := filepath.Join(t.TempDir(), "g.snnm")
	require.NoError(t, Save(path, f))
	_, err = Load(path)
	require.NoError(t, err)
}

func TestGolden(t *testing.T) {
	b, err := encode(tinyFile(t))
	require.NoError(t, err)
	nncoretest.Golden(t, filepath.Join("testdata", "tiny.snnm"), *update, b, func(want []byte) ([]byte, error) {
		f, err := Decode(want)
		if err != nil {
			return nil, err
		}
		return encode(f)
	})
}

func TestDecodeErrors(t *testing.T) {
	good, err := encode(tinyFile(t))
	require.NoError(t, err)
	for name, b := range map[string][]byte{
		"empty":     {},
		"truncated": good[:len(good)-5],
		"short":     good[:12],
	} {
		_, err := Decode(b)
		require.ErrorIs(t, err, ErrFormat, name)
	}
}

func FuzzDecode(f *testing.F) {
	good, err := encode(tinyFile(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:30])
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Decode(b)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		require.NoError(t, g.Model.Validate())
	})
}
