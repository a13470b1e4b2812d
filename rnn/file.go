package rnn

import (
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

// Kind is the model kind of RNN files.
const Kind = "rnn"

// File is a saved RNN: the network, how it was trained, and the state to resume.
type File struct {
	Model     *RNN
	Info      mlp.Info
	State     *lr.TrainState
	Optimizer *mlp.OptimizerState
}

// Arch is the "arch" object of an RNN file's header.
type Arch struct {
	Cell     string  `json:"cell"`
	Steps    int     `json:"steps"`
	Width    int     `json:"width"`
	Hidden   int     `json:"hidden"`
	Classes  int     `json:"classes"`
	Sigma    float32 `json:"sigma"`
	SigmaOut float32 `json:"sigma_out"`
	Law      string  `json:"law"`
}

// Encode writes f in the model file format of docs/model-format.md, kind "rnn".
func Encode(w io.Writer, f *File) error {
	m := f.Model
	if err := m.Validate(); err != nil {
		return err
	}
	a := Arch{Cell: m.Cell.String(), Steps: m.Steps, Width: m.Width, Hidden: m.Hidden, Classes: m.Classes(),
		Sigma: m.Sigma, SigmaOut: m.SigmaOut, Law: m.law().Name()}
	return nncore.Encode(w, Kind, a, m.Params(), f.Info, f.State, f.Optimizer)
}

// Decode reads an RNN model file. Malformed input gives an error wrapping ErrFormat,
// never a panic.
func Decode(b []byte) (*File, error) {
	h, err := nncore.DecodeHeader(b, Kind)
	if err != nil {
		return nil, err
	}
	var a Arch
	if err := h.DecodeArch(&a); err != nil {
		return nil, err
	}
	cell, err := ParseCell(a.Cell)
	if err != nil {
		return nil, nncore.FormatErr(Kind, "%v", err)
	}
	for _, s := range []float32{a.Sigma, a.SigmaOut} {
		if s < 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return nil, nncore.FormatErr(Kind, "noise scale %v", s)
		}
	}
	if a.Width < 1 || a.Hidden < 1 || a.Classes < 1 || a.Width > 1<<20 || a.Hidden > 1<<14 || a.Classes > 1<<16 ||
		a.Steps < 1 || a.Steps > 1<<16 ||
		int64(a.Width+a.Hidden+a.Classes)*int64(3*a.Hidden+a.Classes) > nncore.MaxValues {
		return nil, nncore.FormatErr(Kind, "shape %d steps × %d, %d hidden, %d classes out of range", a.Steps, a.Width, a.Hidden, a.Classes)
	}
	m := &RNN{Cell: cell, Steps: a.Steps, Width: a.Width, Hidden: a.Hidden, Sigma: a.Sigma, SigmaOut: a.SigmaOut}
	m.alloc(a.Classes)
	if m.Law, err = lr.LawByName(a.Law); err != nil {
		return nil, nncore.FormatErr(Kind, "%v", err)
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

// Load reads an RNN model file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rnn: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
