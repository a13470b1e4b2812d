package mlp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/optim"
)

// The model file format (docs/model-format.md):
//
//	magic    8 bytes  "SNNSIMMD"
//	version  uint16   little-endian, FormatVersion
//	flags    uint16   0
//	hdrLen   uint32   length of the JSON header
//	header   hdrLen bytes of JSON (Header)
//	tensors  float32 little-endian: every parameter in Header.Tensors order, then the
//	         optimizer buffers in Header.Optimizer.Buffers order
//	crc      uint32   CRC-32C (Castagnoli) of every byte before it
const (
	Magic         = "SNNSIMMD"
	FormatVersion = 1
	maxHeader     = 1 << 20
	maxLayers     = 64
	maxWidth      = 1 << 20
	maxValues     = 1 << 28
)

// ErrFormat is wrapped by every error about a malformed model file.
var ErrFormat = errors.New("malformed model file")

// File is a saved model: the network, what it was trained with, and the state to resume.
type File struct {
	Model *MLP
	Info  Info
	// State and Optimizer are set in training checkpoints (nil in a bare model).
	State     *lr.TrainState
	Optimizer *OptimizerState
}

// Info records how a model was trained (for eval and reports; not needed to run it).
type Info struct {
	Method    string  `json:"method,omitempty"` // lr or bp
	Data      string  `json:"data,omitempty"`
	Loss      string  `json:"loss,omitempty"`
	Copies    int     `json:"copies,omitempty"`
	VR        string  `json:"vr,omitempty"`
	Baseline  string  `json:"baseline,omitempty"`
	Batch     int     `json:"batch,omitempty"`
	Epochs    int     `json:"epochs,omitempty"`
	Seed      uint64  `json:"seed"`
	Optimizer string  `json:"optimizer,omitempty"`
	LR        float64 `json:"lr,omitempty"`
	LRDecay   string  `json:"lr_decay,omitempty"`
	MaxTrain  int     `json:"max_train,omitempty"`
	TestAcc   float64 `json:"test_acc,omitempty"`
}

// OptimizerState is an optimizer's name, learning rate and resumable state.
type OptimizerState struct {
	Name  string
	LR    float32
	State optim.State
}

// Header is the JSON header of a model file.
type Header struct {
	Kind      string         `json:"kind"` // "mlp"
	Sizes     []int          `json:"sizes"`
	Acts      []string       `json:"acts"`
	Sigma     []float32      `json:"sigma"`
	Law       string         `json:"law"`
	Tensors   []TensorInfo   `json:"tensors"`
	Info      Info           `json:"info"`
	State     *lr.TrainState `json:"state,omitempty"`
	Optimizer *OptimizerInfo `json:"optimizer,omitempty"`
}

// TensorInfo names a tensor of the payload and gives its shape.
type TensorInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// OptimizerInfo describes the optimizer buffers of the payload.
type OptimizerInfo struct {
	Name    string  `json:"name"`
	LR      float32 `json:"lr"`
	Steps   int64   `json:"steps"`
	Buffers []int   `json:"buffers"` // lengths
}

// Encode writes f in the model file format.
func Encode(w io.Writer, f *File) error {
	m := f.Model
	if err := m.Validate(); err != nil {
		return err
	}
	h := Header{Kind: "mlp", Sizes: m.Sizes(), Sigma: m.Sigma, Law: m.law().Name(), Info: f.Info, State: f.State}
	for _, a := range m.Acts {
		h.Acts = append(h.Acts, a.Name())
	}
	for _, p := range m.Params() {
		h.Tensors = append(h.Tensors, TensorInfo{Name: p.Name, Shape: p.Shape})
	}
	if o := f.Optimizer; o != nil {
		h.Optimizer = &OptimizerInfo{Name: o.Name, LR: o.LR, Steps: o.State.Steps}
		for _, b := range o.State.Buffers {
			h.Optimizer.Buffers = append(h.Optimizer.Buffers, len(b))
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("mlp: encode header: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(Magic)
	var fixed [8]byte
	binary.LittleEndian.PutUint16(fixed[0:], FormatVersion)
	binary.LittleEndian.PutUint32(fixed[4:], uint32(len(hdr)))
	buf.Write(fixed[:])
	buf.Write(hdr)
	put := func(v []float32) {
		var b [4]byte
		for _, x := range v {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			buf.Write(b[:])
		}
	}
	for _, p := range m.Params() {
		put(p.Value)
	}
	if f.Optimizer != nil {
		for _, b := range f.Optimizer.State.Buffers {
			put(b)
		}
	}
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], crc32.Checksum(buf.Bytes(), castagnoli))
	buf.Write(crc[:])
	_, err = w.Write(buf.Bytes())
	return err
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func formatErr(format string, args ...any) error {
	return fmt.Errorf("mlp: %w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Decode reads a model file. A file of another format version, a truncated or corrupted
// file (checksum), or a header that does not describe the payload is an error wrapping
// ErrFormat; Decode never panics on any input.
func Decode(b []byte) (*File, error) {
	if len(b) < 16+4 || string(b[:8]) != Magic {
		return nil, formatErr("not a snnsim model file (no %q magic)", Magic)
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != FormatVersion {
		return nil, formatErr("format version %d, this build reads version %d", v, FormatVersion)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, formatErr("checksum mismatch: the file is corrupted or truncated")
	}
	hl := int(binary.LittleEndian.Uint32(b[12:]))
	if hl > maxHeader || 16+hl > len(body) {
		return nil, formatErr("header length %d out of range", hl)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(body[16 : 16+hl]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, formatErr("header: %v", err)
	}
	payload := body[16+hl:]
	m, err := h.model()
	if err != nil {
		return nil, err
	}
	f := &File{Model: m, Info: h.Info, State: h.State}
	params := m.Params()
	if len(h.Tensors) != len(params) {
		return nil, formatErr("%d tensors for %d parameters", len(h.Tensors), len(params))
	}
	need := 0
	for i, p := range params {
		t := h.Tensors[i]
		if t.Name != p.Name || !equalInts(t.Shape, p.Shape) {
			return nil, formatErr("tensor %d is %s%v, want %s%v", i, t.Name, t.Shape, p.Name, p.Shape)
		}
		need += len(p.Value)
	}
	if o := h.Optimizer; o != nil {
		sizes := make([]int, len(params))
		for i, p := range params {
			sizes[i] = len(p.Value)
		}
		want, err := optim.Layout(o.Name, sizes)
		if err != nil || len(o.Buffers) != len(want) {
			return nil, formatErr("optimizer %q with %d buffers for %d parameters", o.Name, len(o.Buffers), len(params))
		}
		for i, n := range o.Buffers {
			if n != want[i] {
				return nil, formatErr("optimizer buffer %d holds %d values, want %d", i, n, want[i])
			}
			need += n
		}
	}
	if len(payload) != 4*need {
		return nil, formatErr("payload of %d bytes, header describes %d", len(payload), 4*need)
	}
	get := func(dst []float32) {
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload))
			payload = payload[4:]
		}
	}
	for _, p := range params {
		get(p.Value)
		for _, v := range p.Value {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, formatErr("parameter %s holds a non-finite value", p.Name)
			}
		}
	}
	if o := h.Optimizer; o != nil {
		st := optim.State{Steps: o.Steps}
		for _, n := range o.Buffers {
			v := make([]float32, n)
			get(v)
			st.Buffers = append(st.Buffers, v)
		}
		f.Optimizer = &OptimizerState{Name: o.Name, LR: o.LR, State: st}
	}
	return f, nil
}

func (h *Header) model() (*MLP, error) {
	if h.Kind != "mlp" {
		return nil, formatErr("model kind %q, want mlp", h.Kind)
	}
	L := len(h.Sizes) - 1
	if L < 1 || L > maxLayers {
		return nil, formatErr("%d layer sizes", len(h.Sizes))
	}
	if len(h.Acts) != L || len(h.Sigma) != L {
		return nil, formatErr("%d layers but %d activations and %d noise scales", L, len(h.Acts), len(h.Sigma))
	}
	total := 0
	for i, s := range h.Sizes {
		if s < 1 || s > maxWidth {
			return nil, formatErr("layer size %d out of range", s)
		}
		if i > 0 {
			total += h.Sizes[i-1]*s + s
			if total > maxValues {
				return nil, formatErr("more than %d parameters", maxValues)
			}
		}
	}
	law, err := lr.LawByName(h.Law)
	if err != nil {
		return nil, formatErr("%v", err)
	}
	m := &MLP{Law: law}
	for l := range L {
		a, err := ParseAct(h.Acts[l])
		if err != nil {
			return nil, formatErr("%v", err)
		}
		in, out := h.Sizes[l], h.Sizes[l+1]
		m.Layers = append(m.Layers, &Dense{In: in, Out: out,
			W: make([]float32, in*out), B: make([]float32, out),
			GW: make([]float32, in*out), GB: make([]float32, out)})
		m.Acts = append(m.Acts, a)
		m.Sigma = append(m.Sigma, h.Sigma[l])
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrFormat)
	}
	return m, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Save writes f to path atomically.
func Save(path string, f *File) error {
	return lr.WriteFileAtomic(path, func(w io.Writer) error { return Encode(w, f) })
}

// Load reads a model file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
