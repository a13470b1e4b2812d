package cnn

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

// tinyFile is a small model with a checkpoint's state: the golden file's content.
func tinyFile(t testing.TB) *File {
	m, err := New("c2k3s2p1,mp2,d4", Shape{1, 8, 8}, 3, mlp.ReLU, 0.1, 1)
	require.NoError(t, err)
	m.Law = lr.Logistic{}
	// Values set here, not drawn: the golden bytes must not depend on other packages'
	// initialisers.
	var bufs [][]float32
	for k, p := range m.Params() {
		for i := range p.Value {
			p.Value[i] = float32((i*7+k)%13-6) / 16
		}
		mom, vel := make([]float32, len(p.Value)), make([]float32, len(p.Value))
		for i := range mom {
			mom[i], vel[i] = float32(i)/64, float32(k)/32
		}
		bufs = append(bufs, mom, vel)
	}
	return &File{Model: m, Info: mlp.Info{Method: "lr", Data: "mnist", Seed: 1, Copies: 4},
		State:     &lr.TrainState{Epoch: 1, Step: 1},
		Optimizer: &mlp.OptimizerState{Name: "adam", LR: 1e-3, State: optim.State{Steps: 1, Buffers: bufs}}}
}

func TestFileRoundTrip(t *testing.T) {
	f := tinyFile(t)
	b, err := marshal(f)
	require.NoError(t, err)
	g, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, f.Model.Spec(), g.Model.Spec())
	assert.Equal(t, f.Model.Sigma, g.Model.Sigma)
	assert.Equal(t, f.Model.Acts, g.Model.Acts)
	assert.Equal(t, "logistic", g.Model.Law.Name())
	for i, p := range f.Model.Params() {
		assert.Equal(t, p.Value, g.Model.Params()[i].Value, p.Name)
	}
	assert.Equal(t, f.Info, g.Info)
	assert.Equal(t, f.State, g.State)
	assert.Equal(t, f.Optimizer.State.Buffers, g.Optimizer.State.Buffers)
	// Same predictions.
	x := make([]float32, 2*64)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	assert.Equal(t, f.Model.Predict(x, 2, false, 0), g.Model.Predict(x, 2, false, 0))
	// Save and Load through a file.
	path := filepath.Join(t.TempDir(), "m.snnm")
	require.NoError(t, Save(path, f))
	h, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, f.Model.Spec(), h.Model.Spec())
}

// TestGolden freezes the layout: testdata/tiny.snnm must decode, and encoding its model
// again must give the same bytes (go test -run Golden -update rewrites it).
func TestGolden(t *testing.T) {
	b, err := marshal(tinyFile(t))
	require.NoError(t, err)
	nncoretest.Golden(t, filepath.Join("testdata", "tiny.snnm"), *update, b, func(want []byte) ([]byte, error) {
		f, err := Decode(want)
		if err != nil {
			return nil, err
		}
		return marshal(f)
	})
}

func TestDecodeErrors(t *testing.T) {
	good, err := marshal(tinyFile(t))
	require.NoError(t, err)
	flip := append([]byte(nil), good...)
	flip[40] ^= 1
	for name, b := range map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXXXXXX"), good[8:]...),
		"truncated": good[:len(good)-9],
		"checksum":  flip,
	} {
		_, err := Decode(b)
		require.ErrorIs(t, err, ErrFormat, name)
	}
	// An mlp file is not a cnn file.
	m, err := mlp.New([]int{4, 2}, mlp.ReLU, 0, 1)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, mlp.Encode(&buf, &mlp.File{Model: m}))
	_, err = Decode(buf.Bytes())
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, `kind "mlp"`)
}

func FuzzDecode(f *testing.F) {
	good, err := marshal(tinyFile(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte("SNNSIMMD"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Decode(b)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		require.NoError(t, g.Model.Validate())
	})
}
