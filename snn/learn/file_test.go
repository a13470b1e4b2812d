package learn

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
)

func smallFile(t testing.TB, withOpt bool) *File {
	cfg := DefaultConfig([]int{5, 4, 3}, 6)
	m, err := New(cfg, 7)
	require.NoError(t, err)
	f := &File{Model: m, Info: Info{Method: "lr", Data: "mnist", Copies: 4, Seed: 7, TestAcc: 0.5}}
	if withOpt {
		opt := optim.NewAdam(1e-3)
		for _, p := range m.Params() {
			for i := range p.Grad {
				p.Grad[i] = 0.01 * float32(i%7)
			}
		}
		opt.Step(m.Params())
		f.Optimizer = &OptimizerState{Name: opt.Name(), LR: 1e-3, State: opt.State()}
		f.State = &lr.TrainState{Epoch: 1, Step: 3, History: []lr.EpochResult{{Epoch: 1, Loss: 0.7}}}
	}
	return f
}

func encodeBytes(t testing.TB, f *File) []byte {
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, f))
	return buf.Bytes()
}

func TestFileRoundTrip(t *testing.T) {
	for _, withOpt := range []bool{false, true} {
		f := smallFile(t, withOpt)
		path := filepath.Join(t.TempDir(), "m.snnm")
		require.NoError(t, Save(path, f))
		g, err := Load(path)
		require.NoError(t, err)
		assert.Equal(t, f.Model.Cfg, g.Model.Cfg)
		assert.Equal(t, f.Info, g.Info)
		assert.Equal(t, f.State, g.State)
		for l := range f.Model.w {
			assert.Equal(t, f.Model.w[l], g.Model.w[l])
		}
		if withOpt {
			assert.Equal(t, f.Optimizer, g.Optimizer)
		}
		// The loaded model computes what the saved one did.
		x := []float32{0.1, 0.9, 0.5, 1, 0}
		z1, z2 := make([]float32, 3), make([]float32, 3)
		f.Model.Logits(z1, x, 1, true, 3)
		g.Model.Logits(z2, x, 1, true, 3)
		assert.Equal(t, z1, z2)
		kind, err := PeekKind(encodeBytes(t, g))
		require.NoError(t, err)
		assert.Equal(t, Kind, kind)
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func TestDecodeRejectsBadFiles(t *testing.T) {
	good := encodeBytes(t, smallFile(t, true))
	resum := func(b []byte) []byte {
		body := b[:len(b)-4]
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(body, castagnoli))
		return b
	}
	withHeader := func(hdr string) []byte {
		var b bytes.Buffer
		b.WriteString(Magic)
		var fixed [8]byte
		binary.LittleEndian.PutUint16(fixed[0:], FormatVersion)
		binary.LittleEndian.PutUint32(fixed[4:], uint32(len(hdr)))
		b.Write(fixed[:])
		b.WriteString(hdr)
		b.Write(make([]byte, 4))
		return resum(b.Bytes())
	}
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "magic"},
		{"magic", append([]byte("NOTAMODL"), good[8:]...), "magic"},
		{"version", resum(append(append([]byte{}, good[:8]...), append([]byte{9, 0}, good[10:]...)...)), "version 9"},
		{"truncated", good[:len(good)-10], "checksum"},
		{"flipped bit", func() []byte { b := append([]byte{}, good...); b[len(b)/2] ^= 1; return b }(), "checksum"},
		{"kind", withHeader(`{"kind":"mlp"}`), "kind"},
		{"unknown field", withHeader(`{"kind":"snn","bogus":1}`), "header"},
		{"bad config", withHeader(`{"kind":"snn","arch":{"sizes":[5,4,3],"steps":0}}`), "steps"},
		{"payload", withHeader(`{"kind":"snn","arch":{"sizes":[2,2],"steps":3,"dt":1,"tau_m":10,"tau_s":5,"beta":0.2,"readout":"leaky","sigma":1,"scale":1,"input":"poisson","rate":1,"slope":1,"init_gain":1},"tensors":[{"name":"w1","shape":[2,2]}]}`), "payload"},
		{"tensor shape", withHeader(`{"kind":"snn","arch":{"sizes":[2,2],"steps":3,"dt":1,"tau_m":10,"tau_s":5,"beta":0.2,"readout":"leaky","sigma":1,"scale":1,"input":"poisson","rate":1,"slope":1,"init_gain":1},"tensors":[{"name":"w1","shape":[2,3]}]}`), "tensor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.data)
			require.Error(t, err)
			require.ErrorIs(t, err, ErrFormat)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	_, err := Load(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// FuzzDecode: no input makes Decode (or PeekKind) panic, and whatever it accepts encodes back to a file
// it accepts again.
func FuzzDecode(f *testing.F) {
	f.Add(encodeBytes(f, smallFile(f, false)))
	f.Add(encodeBytes(f, smallFile(f, true)))
	f.Add([]byte(Magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := PeekKind(b); err != nil {
			require.ErrorIs(t, err, ErrFormat)
		}
		file, err := Decode(b)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		var buf bytes.Buffer
		require.NoError(t, Encode(&buf, file))
		_, err = Decode(buf.Bytes())
		require.NoError(t, err)
	})
}
