package learn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/snnsim/snnsim/internal/nncore"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

// The model file is the container of every snnsim model kind (see internal/nncore and
// docs/model-format.md), of kind "snn": magic "SNNSIMMD", version, a JSON header whose
// "arch" object is the [Config], the weight matrices w1..wL (row-major, presynaptic
// rows) and optionally the optimizer's buffers, then a CRC-32C of everything before it.
const (
	Magic         = mlp.Magic
	Kind          = "snn"
	FormatVersion = mlp.FormatVersion
	maxHeader     = 1 << 20
)

// ErrFormat is wrapped by every error about a malformed model file (it is mlp's, so
// errors.Is(err, mlp.ErrFormat) holds for every model kind).
var ErrFormat = nncore.ErrFormat

// File is a saved spiking model: the network, how it was trained, and the state to
// resume training.
type File struct {
	Model *Model
	Info  Info
	// State and Optimizer are set in training checkpoints.
	State     *lr.TrainState
	Optimizer *OptimizerState
}

// Info records how a model was trained (the fields every model kind shares).
type Info = mlp.Info

// OptimizerState is an optimizer's name, learning rate and resumable state.
type OptimizerState = mlp.OptimizerState

// Encode writes f in the model file format.
func Encode(w io.Writer, f *File) error {
	return nncore.Encode(w, Kind, f.Model.Cfg, f.Model.Params(), f.Info, f.State, f.Optimizer)
}

// PeekKind returns the model kind a model file's header declares ("snn", "mlp", ...),
// checking only the magic, the version field's presence and the header; for dispatch.
func PeekKind(b []byte) (string, error) {
	if len(b) < 16 || string(b[:8]) != Magic {
		return "", nncore.FormatErr("learn", "not a snnsim model file (no %q magic)", Magic)
	}
	hl := int(binary.LittleEndian.Uint32(b[12:]))
	if hl > maxHeader || 16+hl > len(b) {
		return "", nncore.FormatErr("learn", "header length %d out of range", hl)
	}
	var h struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(b[16:16+hl], &h); err != nil {
		return "", nncore.FormatErr("learn", "header: %v", err)
	}
	return h.Kind, nil
}

// Decode reads a model file. A file of another version or kind, a truncated or corrupted
// file (checksum), a header that does not describe the payload or a non-finite weight
// is an error wrapping ErrFormat; Decode never panics.
func Decode(b []byte) (*File, error) {
	h, err := nncore.DecodeHeader(b, Kind)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := h.DecodeArch(&cfg); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrFormat)
	}
	m, err := New(cfg, h.Info.Seed)
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrFormat)
	}
	opt, err := h.ReadTensors(m.Params())
	if err != nil {
		return nil, err
	}
	return &File{Model: m, Info: h.Info, State: h.State, Optimizer: opt}, nil
}

// Save writes f to path atomically.
func Save(path string, f *File) error {
	return lr.WriteFileAtomic(path, func(w io.Writer) error { return Encode(w, f) })
}

// Load reads a model file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
