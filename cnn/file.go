package cnn

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// ErrFormat is wrapped by every error about a malformed model file (it is mlp.ErrFormat).
var ErrFormat = nncore.ErrFormat

// Kind is the model kind of CNN files.
const Kind = "cnn"

// File is a saved CNN: the network, how it was trained, and the state to resume.
type File struct {
	Model     *CNN
	Info      mlp.Info
	State     *lr.TrainState
	Optimizer *mlp.OptimizerState
}

// Arch is the "arch" object of a CNN file's header.
type Arch struct {
	Input  [3]int    `json:"input"`  // C, H, W of the (CHW) input
	Layers []string  `json:"layers"` // one ParseSpec token per layer, the classifier last
	Acts   []string  `json:"acts"`
	Sigma  []float32 `json:"sigma"`
	Law    string    `json:"law"`
}

// Encode writes f in the model file format of docs/model-format.md, kind "cnn".
func Encode(w io.Writer, f *File) error {
	m := f.Model
	if err := m.Validate(); err != nil {
		return err
	}
	a := Arch{Input: [3]int{m.Input.C, m.Input.H, m.Input.W}, Sigma: m.Sigma, Law: m.law().Name()}
	for l, layer := range m.Layers {
		a.Layers = append(a.Layers, layer.Spec())
		a.Acts = append(a.Acts, m.Acts[l].Name())
	}
	return nncore.Encode(w, Kind, a, m.Params(), f.Info, f.State, f.Optimizer)
}

// Decode reads a CNN model file. Malformed input gives an error wrapping ErrFormat, never
// a panic.
func Decode(b []byte) (*File, error) {
	h, err := nncore.DecodeHeader(b, Kind)
	if err != nil {
		return nil, err
	}
	var a Arch
	if err := h.DecodeArch(&a); err != nil {
		return nil, err
	}
	n := len(a.Layers)
	if n < 1 || n > 64 || len(a.Acts) != n || len(a.Sigma) != n {
		return nil, nncore.FormatErr(Kind, "%d layers, %d activations, %d noise scales", n, len(a.Acts), len(a.Sigma))
	}
	var specs []LayerSpec
	for _, tok := range a.Layers {
		ls, err := parseToken(tok)
		if err != nil {
			return nil, nncore.FormatErr(Kind, "layer %q: %v", tok, err)
		}
		specs = append(specs, ls)
	}
	in := Shape{C: a.Input[0], H: a.Input[1], W: a.Input[2]}
	if in.C < 1 || in.H < 1 || in.W < 1 || in.C > 4096 || in.H > 4096 || in.W > 4096 {
		return nil, nncore.FormatErr(Kind, "input shape %v", a.Input)
	}
	m, err := build(specs, in, mlp.Identity, 0, 0)
	if err != nil {
		return nil, nncore.FormatErr(Kind, "%v", err)
	}
	law, err := lr.LawByName(a.Law)
	if err != nil {
		return nil, nncore.FormatErr(Kind, "%v", err)
	}
	m.Law = law
	for l := range n {
		act, err := mlp.ParseAct(a.Acts[l])
		if err != nil {
			return nil, nncore.FormatErr(Kind, "%v", err)
		}
		s := a.Sigma[l]
		if s < 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return nil, nncore.FormatErr(Kind, "layer %d: noise scale %v", l, s)
		}
		m.Acts[l], m.Sigma[l] = act, s
	}
	opt, err := h.ReadTensors(m.Params())
	if err != nil {
		return nil, err
	}
	return &File{Model: m, Info: h.Info, State: h.State, Optimizer: opt}, nil
}

// Save writes f to path atomically.
func Save(path string, f *File) error {
	return nncore.Save(path, func(w io.Writer) error { return Encode(w, f) })
}

// Load reads a CNN model file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cnn: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// marshal encodes f into memory (tests).
func marshal(f *File) ([]byte, error) {
	var buf bytes.Buffer
	err := Encode(&buf, f)
	return buf.Bytes(), err
}
