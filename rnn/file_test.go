package rnn

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
	"github.com/snnsim/snnsim/optim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// tinyFile is a small GRU with a checkpoint's state, every value set (not drawn).
func tinyFile(t testing.TB) *File {
	m, err := New(GRU, 3, 2, 4, 3, 0.2, 1)
	require.NoError(t, err)
	m.SigmaOut = 0.3
	var bufs [][]float32
	for k, p := range m.Params() {
		for i := range p.Value {
			p.Value[i] = float32((i*5+k)%11-5) / 8
		}
		bufs = append(bufs, make([]float32, len(p.Value)))
	}
	return &File{Model: m, Info: mlp.Info{Method: "lr", Data: "smnist", Seed: 2},
		State:     &lr.TrainState{Epoch: 2, Step: 10},
		Optimizer: &mlp.OptimizerState{Name: "sgd", LR: 0.1, State: optim.State{Steps: 10, Buffers: bufs}}}
}

func encode(f *File) ([]byte, error) {
	var b bytes.Buffer
	err := Encode(&b, f)
	return b.Bytes(), err
}

func TestFileRoundTrip(t *testing.T) {
	for _, cell := range []Cell{Elman, GRU} {
		f := tinyFile(t)
		if cell == Elman {
			m, err := New(Elman, 4, 3, 5, 2, 0.1, 3)
			require.NoError(t, err)
			f.Model, f.Optimizer = m, nil
		}
		b, err := encode(f)
		require.NoError(t, err)
		g, err := Decode(b)
		require.NoError(t, err)
		assert.Equal(t, f.Model.Cell, g.Model.Cell)
		assert.Equal(t, f.Model.SigmaOut, g.Model.SigmaOut)
		for i, p := range f.Model.Params() {
			assert.Equal(t, p.Value, g.Model.Params()[i].Value, p.Name)
		}
		assert.Equal(t, f.State, g.State)
		x := make([]float32, 2*f.Model.In())
		for i := range x {
			x[i] = float32(i%5) / 5
		}
		assert.Equal(t, f.Model.Predict(x, 2, false, 0), g.Model.Predict(x, 2, false, 0))
	}
	path := filepath.Join(t.TempDir(), "r.snnm")
	require.NoError(t, Save(path, tinyFile(t)))
	_, err := Load(path)
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
