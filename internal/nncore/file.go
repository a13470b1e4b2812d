package nncore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
	"github.com/snnsim/snnsim/optim"
)

// ErrFormat is wrapped by every error about a malformed model file; it is mlp's, so that
// errors.Is(err, mlp.ErrFormat) holds for every model kind.
var ErrFormat = mlp.ErrFormat

const (
	maxHeader = 1 << 20
	// MaxValues bounds the parameters of a model file.
	MaxValues = 1 << 28
)

// Header is the JSON header of a cnn, rnn or gnn model file: mlp's header with the
// kind-specific architecture in Arch.
type Header struct {
	Kind      string             `json:"kind"`
	Arch      json.RawMessage    `json:"arch"`
	Tensors   []mlp.TensorInfo   `json:"tensors"`
	Info      mlp.Info           `json:"info"`
	State     *lr.TrainState     `json:"state,omitempty"`
	Optimizer *mlp.OptimizerInfo `json:"optimizer,omitempty"`

	payload []byte
}

// Encode writes a model file of the given kind: arch is marshalled as the header's
// "arch" object, then the values of params and, when opt is set, the optimizer buffers.
func Encode(w io.Writer, kind string, arch any, params []lr.Param, info mlp.Info, st *lr.TrainState, opt *mlp.OptimizerState) error {
	a, err := json.Marshal(arch)
	if err != nil {
		return fmt.Errorf("%s: encode architecture: %w", kind, err)
	}
	h := Header{Kind: kind, Arch: a, Info: info, State: st}
	for _, p := range params {
		h.Tensors = append(h.Tensors, mlp.TensorInfo{Name: p.Name, Shape: p.Shape})
	}
	if opt != nil {
		h.Optimizer = &mlp.OptimizerInfo{Name: opt.Name, LR: opt.LR, Steps: opt.State.Steps}
		for _, b := range opt.State.Buffers {
			h.Optimizer.Buffers = append(h.Optimizer.Buffers, len(b))
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("%s: encode header: %w", kind, err)
	}
	var buf bytes.Buffer
	buf.WriteString(mlp.Magic)
	var fixed [8]byte
	binary.LittleEndian.PutUint16(fixed[0:], mlp.FormatVersion)
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
	for _, p := range params {
		put(p.Value)
	}
	if opt != nil {
		for _, b := range opt.State.Buffers {
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

// FormatErr returns an error of package pkg wrapping [ErrFormat].
func FormatErr(pkg, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", pkg, ErrFormat, fmt.Sprintf(format, args...))
}

// DecodeHeader checks the container (magic, version, checksum) and decodes the JSON
// header, which must be of the given kind. It never panics.
func DecodeHeader(b []byte, kind string) (*Header, error) {
	if len(b) < 16+4 || string(b[:8]) != mlp.Magic {
		return nil, FormatErr(kind, "not a snnsim model file (no %q magic)", mlp.Magic)
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != mlp.FormatVersion {
		return nil, FormatErr(kind, "format version %d, this build reads version %d", v, mlp.FormatVersion)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, FormatErr(kind, "checksum mismatch: the file is corrupted or truncated")
	}
	hl := int(binary.LittleEndian.Uint32(b[12:]))
	if hl > maxHeader || 16+hl > len(body) {
		return nil, FormatErr(kind, "header length %d out of range", hl)
	}
	var k struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(body[16:16+hl], &k); err != nil {
		return nil, FormatErr(kind, "header: %v", err)
	}
	if k.Kind != kind {
		return nil, FormatErr(kind, "model kind %q, want %s", k.Kind, kind)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(body[16 : 16+hl]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, FormatErr(kind, "header: %v", err)
	}
	h.payload = body[16+hl:]
	return &h, nil
}

// PeekKind returns the kind of the model file at path ("" when it is not a model file).
func PeekKind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var fixed [16]byte
	if _, err := io.ReadFull(f, fixed[:]); err != nil || string(fixed[:8]) != mlp.Magic {
		return "", nil
	}
	hl := binary.LittleEndian.Uint32(fixed[12:])
	if hl > maxHeader {
		return "", nil
	}
	hdr := make([]byte, hl)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return "", nil
	}
	var h struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(hdr, &h) != nil {
		return "", nil
	}
	return h.Kind, nil
}

// DecodeArch decodes the architecture object strictly (unknown fields are errors).
func (h *Header) DecodeArch(dst any) error {
	dec := json.NewDecoder(bytes.NewReader(h.Arch))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return FormatErr(h.Kind, "architecture: %v", err)
	}
	return nil
}

// ReadTensors fills params (the parameters of the model the architecture describes) from
// the payload, checking names, shapes and finiteness, and returns the optimizer state of
// a checkpoint (nil in a bare model).
func (h *Header) ReadTensors(params []lr.Param) (*mlp.OptimizerState, error) {
	kind := h.Kind
	if len(h.Tensors) != len(params) {
		return nil, FormatErr(kind, "%d tensors for %d parameters", len(h.Tensors), len(params))
	}
	need := 0
	for i, p := range params {
		t := h.Tensors[i]
		if t.Name != p.Name || !equalInts(t.Shape, p.Shape) {
			return nil, FormatErr(kind, "tensor %d is %s%v, want %s%v", i, t.Name, t.Shape, p.Name, p.Shape)
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
			return nil, FormatErr(kind, "optimizer %q with %d buffers for %d parameters", o.Name, len(o.Buffers), len(params))
		}
		for i, n := range o.Buffers {
			if n != want[i] {
				return nil, FormatErr(kind, "optimizer buffer %d holds %d values, want %d", i, n, want[i])
			}
			need += n
		}
	}
	payload := h.payload
	if len(payload) != 4*need {
		return nil, FormatErr(kind, "payload of %d bytes, header describes %d", len(payload), 4*need)
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
				return nil, FormatErr(kind, "parameter %s holds a non-finite value", p.Name)
			}
		}
	}
	o := h.Optimizer
	if o == nil {
		return nil, nil
	}
	st := optim.State{Steps: o.Steps}
	for _, n := range o.Buffers {
		v := make([]float32, n)
		get(v)
		st.Buffers = append(st.Buffers, v)
	}
	return &mlp.OptimizerState{Name: o.Name, LR: o.LR, State: st}, nil
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

// Save writes a model file atomically through encode.
func Save(path string, encode func(w io.Writer) error) error {
	return lr.WriteFileAtomic(path, encode)
}
