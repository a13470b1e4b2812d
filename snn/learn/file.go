package learn

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

// The model file (the container of mlp model files, kind "snn"):
//
//	magic    8 bytes  "SNNSIMMD"
//	version  uint16   little-endian, FormatVersion
//	flags    uint16   0
//	hdrLen   uint32   length of the JSON header
//	header   hdrLen bytes of JSON (kind "snn", the Config, tensors, training info,
//	         optionally the training state and the optimizer's buffers)
//	tensors  float32 little-endian: the weight matrices w1..wL (row-major, presynaptic
//	         rows), then the optimizer buffers in header order
//	crc      uint32   CRC-32C (Castagnoli) of every byte before it
const (
	Magic         = "SNNSIMMD"
	Kind          = "snn"
	FormatVersion = 1
	maxHeader     = 1 << 20
)

// ErrFormat is wrapped by every error about a malformed model file.
var ErrFormat = errors.New("malformed model file")

// File is a saved spiking model: the network, how it was trained, and the state to
// resume training.
type File struct {
	Model *Model
	Info  Info
	// State and Optimizer are set in training checkpoints.
	State     *lr.TrainState
	Optimizer *OptimizerState
}

// Info records how a model was trained.
type Info struct {
	Method    string  `json:"method,omitempty"` // lr or bptt
	Data      string  `json:"data,omitempty"`
	Copies    int     `json:"copies,omitempty"`
	VR        string  `json:"vr,omitempty"`
	Baseline  string  `json:"baseline,omitempty"`
	Batch     int     `json:"batch,omitempty"`
	Epochs    int     `json:"epochs,omitempty"`
	Seed      uint64  `json:"seed"`
	Optimizer string  `json:"optimizer,omitempty"`
	LR        float64 `json:"lr,omitempty"`
	MaxTrain  int     `json:"max_train,omitempty"`
	TestAcc   float64 `json:"test_acc,omitempty"`
}

// OptimizerState is an optimizer's name, learning rate and resumable state.
type OptimizerState struct {
	Name  string
	LR    float32
	State optim.State
}

type fileHeader struct {
	Kind      string         `json:"kind"`
	Config    Config         `json:"config"`
	Tensors   []tensorInfo   `json:"tensors"`
	Info      Info           `json:"info"`
	State     *lr.TrainState `json:"state,omitempty"`
	Optimizer *optimizerInfo `json:"optimizer,omitempty"`
}

type tensorInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type optimizerInfo struct {
	Name    string  `json:"name"`
	LR      float32 `json:"lr"`
	Steps   int64   `json:"steps"`
	Buffers []int   `json:"buffers"` // lengths
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func formatErr(format string, args ...any) error {
	return fmt.Errorf("learn: %w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Encode writes f in the model file format.
func Encode(w io.Writer, f *File) error {
	m := f.Model
	h := fileHeader{Kind: Kind, Config: m.Cfg, Info: f.Info, State: f.State}
	for _, p := range m.Params() {
		h.Tensors = append(h.Tensors, tensorInfo{Name: p.Name, Shape: p.Shape})
	}
	if o := f.Optimizer; o != nil {
		h.Optimizer = &optimizerInfo{Name: o.Name, LR: o.LR, Steps: o.State.Steps}
		for _, b := range o.State.Buffers {
			h.Optimizer.Buffers = append(h.Optimizer.Buffers, len(b))
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("learn: encode header: %w", err)
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

// PeekKind returns the model kind a model file's header declares ("snn", "mlp", ...),
// checking only the magic, the version field's presence and the header; for dispatch.
func PeekKind(b []byte) (string, error) {
	if len(b) < 16 || string(b[:8]) != Magic {
		return "", formatErr("not a snnsim model file (no %q magic)", Magic)
	}
	hl := int(binary.LittleEndian.Uint32(b[12:]))
	if hl > maxHeader || 16+hl > len(b) {
		return "", formatErr("header length %d out of range", hl)
	}
	var h struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(b[16:16+hl], &h); err != nil {
		return "", formatErr("header: %v", err)
	}
	return h.Kind, nil
}

// Decode reads a model file. A file of another version or kind, a truncated or corrupted
// file (checksum), a header that does not describe the payload or a non-finite weight
// is an error wrapping ErrFormat; Decode never panics.
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
	var h fileHeader
	dec := json.NewDecoder(bytes.NewReader(body[16 : 16+hl]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, formatErr("header: %v", err)
	}
	if h.Kind != Kind {
		return nil, formatErr("model kind %q, want %s", h.Kind, Kind)
	}
	if err := h.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrFormat)
	}
	payload := body[16+hl:]
	cfg := &h.Config
	L := cfg.Layers()
	if len(h.Tensors) != L {
		return nil, formatErr("%d tensors for %d layers", len(h.Tensors), L)
	}
	need := 0
	lens := make([]int, L)
	for l, t := range h.Tensors {
		want := []int{cfg.Sizes[l], cfg.Sizes[l+1]}
		if t.Name != fmt.Sprintf("w%d", l+1) || len(t.Shape) != 2 || t.Shape[0] != want[0] || t.Shape[1] != want[1] {
			return nil, formatErr("tensor %d is %s%v, want w%d%v", l, t.Name, t.Shape, l+1, want)
		}
		lens[l] = want[0] * want[1]
		need += lens[l]
	}
	if o := h.Optimizer; o != nil {
		per := map[string]int{"sgd": 1, "adam": 2}[o.Name]
		if per == 0 || len(o.Buffers) != per*L {
			return nil, formatErr("optimizer %q with %d buffers for %d parameters", o.Name, len(o.Buffers), L)
		}
		for i, n := range o.Buffers {
			if n != lens[i/per] {
				return nil, formatErr("optimizer buffer %d holds %d values, want %d", i, n, lens[i/per])
			}
			need += n
		}
	}
	if len(payload) != 4*need {
		return nil, formatErr("payload of %d bytes, header describes %d", len(payload), 4*need)
	}
	m, err := New(*cfg, h.Info.Seed)
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrFormat)
	}
	get := func(dst []float32) {
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload))
			payload = payload[4:]
		}
	}
	for l := range L {
		get(m.w[l])
		if !finite(m.w[l]) {
			return nil, formatErr("weights w%d hold a non-finite value", l+1)
		}
	}
	f := &File{Model: m, Info: h.Info, State: h.State}
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
