package gnn

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

// ModelKind is the model kind of GNN files.
const ModelKind = "gnn"

// File is a saved GNN: the network, how it was trained, and the state to resume.
type File struct {
	Model     *GNN
	Info      mlp.Info
	State     *lr.TrainState
	Optimizer *mlp.OptimizerState
}

// Arch is the "arch" object of a GNN file's header.
type Arch struct {
	Layers      []string  `json:"layers"` // gcn or sage, one per layer
	Widths      []int     `json:"widths"` // features, hidden..., classes
	Acts        []string  `json:"acts"`
	Sigma       []float32 `json:"sigma"`
	Law         string    `json:"law"`
	Dropout     float32   `json:"dropout"`
	WeightDecay float32   `json:"weight_decay"`
}

// Encode writes f in the model file format of docs/model-format.md, kind "gnn".
func Encode(w io.Writer, f *File) error {
	m := f.Model
	if err := m.Validate(); err != nil {
		return err
	}
	a := Arch{Widths: m.Widths(), Sigma: m.Sigma, Law: m.law().Name(), Dropout: m.Dropout, WeightDecay: m.WeightDecay}
	for l, layer := range m.Layers {
		a.Layers = append(a.Layers, layer.Kind.String())
		a.Acts = append(a.Acts, m.Acts[l].Name())
	}
	return nncore.Encode(w, ModelKind, a, m.Params(), f.Info, f.State, f.Optimizer)
}

// Decode reads a GNN model file. Malformed input gives an error wrapping ErrFormat, never
// a panic.
func Decode(b []byte) (*File, error) {
	h, err := nncore.DecodeHeader(b, ModelKind)
	if err != nil {
		return nil, err
	}
	var a Arch
	if err := h.DecodeArch(&a); err != nil {
		return nil, err
	}
	L := len(a.Layers)
	if L < 1 || L > 16 || len(a.Widths) != L+1 || len(a.Acts) != L || len(a.Sigma) != L {
		return nil, nncore.FormatErr(ModelKind, "%d layers, %d widths, %d activations, %d noise scales", L, len(a.Widths), len(a.Acts), len(a.Sigma))
	}
	var total int64
	for l, w := range a.Widths {
		if w < 1 || w > 1<<20 {
			return nil, nncore.FormatErr(ModelKind, "width %d out of range", w)
		}
		if l > 0 {
			total += 2 * int64(a.Widths[l-1]) * int64(w)
		}
	}
	if total > nncore.MaxValues {
		return nil, nncore.FormatErr(ModelKind, "more than %d parameters", nncore.MaxValues)
	}
	kinds, err := ParseKinds(joinComma(a.Layers))
	if err != nil {
		return nil, nncore.FormatErr(ModelKind, "%v", err)
	}
	m := &GNN{Dropout: a.Dropout, WeightDecay: a.WeightDecay}
	for l, k := range kinds {
		layer, err := NewLayer(k, a.Widths[l], a.Widths[l+1], 0)
		if err != nil {
			return nil, nncore.FormatErr(ModelKind, "%v", err)
		}
		act, err := mlp.ParseAct(a.Acts[l])
		if err != nil {
			return nil, nncore.FormatErr(ModelKind, "%v", err)
		}
		m.Layers = append(m.Layers, layer)
		m.Acts = append(m.Acts, act)
		m.Sigma = append(m.Sigma, a.Sigma[l])
	}
	if m.Law, err = lr.LawByName(a.Law); err != nil {
		return nil, nncore.FormatErr(ModelKind, "%v", err)
	}
	if math.IsNaN(float64(a.WeightDecay)) || a.WeightDecay < 0 || math.IsInf(float64(a.WeightDecay), 0) {
		return nil, nncore.FormatErr(ModelKind, "weight decay %v", a.WeightDecay)
	}
	if err := m.Validate(); err != nil {
		return nil, nncore.FormatErr(ModelKind, "%v", err)
	}
	opt, err := h.ReadTensors(m.Params())
	if err != nil {
		return nil, err
	}
	return &File{Model: m, Info: h.Info, State: h.State, Optimizer: opt}, nil
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

// Save writes f to path atomically.
func Save(path string, f *File) error {
	return nncore.Save(path, func(w io.Writer) error { return Encode(w, f) })
}

// Load reads a GNN model file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gnn: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
