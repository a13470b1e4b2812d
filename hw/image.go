package hw

import (
	"encoding/binary"
	"fmt"

	"github.com/snnsim/snnsim/hw/proto"
	"github.com/snnsim/snnsim/neuron"
	"github.com/snnsim/snnsim/sim"
)

// Image is the content of a board's memories and configuration registers: what
// [Board.Program] writes, and what [ReplayIntoSim] rebuilds from a recorded session.
type Image struct {
	Neurons, Axons int    // NEURONS and AXONS registers
	Seed           uint32 // SEED register
	// The memory regions, full size (docs/hardware.md §3).
	Weights, Params, State, LUT, Shift, LUTShift, AxonGroup []byte
	// groups with stochastic neurons (their tables are written)
	stochastic [proto.Groups]bool
}

// NewImage returns an image with every memory zero (a board after power-on).
func NewImage() *Image {
	return &Image{
		Weights: make([]byte, proto.SizeWeights), Params: make([]byte, proto.SizeParams),
		State: make([]byte, proto.SizeState), LUT: make([]byte, proto.SizeLUT), Shift: make([]byte, proto.SizeShift),
		LUTShift: make([]byte, proto.SizeLUTShift), AxonGroup: make([]byte, proto.SizeAxonGroup), Seed: 1,
	}
}

// Region returns the backing bytes of a memory region.
func (img *Image) Region(r proto.Region) []byte {
	switch r.Base {
	case proto.MemWeights:
		return img.Weights
	case proto.MemParams:
		return img.Params
	case proto.MemState:
		return img.State
	case proto.MemLUT:
		return img.LUT
	case proto.MemShift:
		return img.Shift
	case proto.MemLUTShift:
		return img.LUTShift
	case proto.MemAxonGroup:
		return img.AxonGroup
	}
	panic("hw: unknown region " + r.Name)
}

// Write stores data at addr as MEM_WRITE does.
func (img *Image) Write(addr uint32, data []byte) error {
	r, ok := proto.RegionOf(addr, len(data))
	if !ok {
		return fmt.Errorf("hw: image: %d bytes at %#x are not inside one region", len(data), addr)
	}
	copy(img.Region(r)[addr-r.Base:], data)
	return nil
}

// ImageOf lays a fixed-point model out in board memory. The model must be valid and fit
// in a version-1 core (≤ 256 neurons and axons).
func ImageOf(m *sim.FixedModel) *Image {
	n, a := m.NumNeurons(), m.NumAxons()
	if n > proto.MaxNeurons || a > proto.MaxAxons {
		panic(fmt.Sprintf("hw: image of %d neurons and %d axons: a core has at most %d and %d", n, a, proto.MaxNeurons, proto.MaxAxons))
	}
	img := NewImage()
	img.Neurons, img.Axons, img.Seed = n, a, m.Seed
	row := func(src int) int {
		if src < a {
			return src
		}
		return proto.NeuronRow(src - a)
	}
	for src := range a + n {
		cols, ws := m.Row(src)
		base := row(src) * proto.MaxNeurons
		for k, c := range cols {
			img.Weights[base+int(c)] = byte(ws[k])
		}
	}
	for i, p := range m.Params {
		w := proto.EncodeParams(p)
		copy(img.Params[i*proto.ParamBytes:], w[:])
		if p.Stochastic {
			img.stochastic[p.Group] = true
		}
	}
	if m.Init != nil {
		for i, s := range m.Init {
			w := proto.EncodeState(s)
			copy(img.State[i*proto.StateBytes:], w[:])
		}
	}
	for g := range proto.Groups {
		for k, p := range m.LUT[g] {
			binary.LittleEndian.PutUint16(img.LUT[g*neuron.LUTSize*2+2*k:], p)
		}
		img.LUTShift[g] = m.LUTShift[g]
		for d := range proto.Groups {
			img.Shift[g*proto.Groups+d] = m.Shift[g][d]
		}
	}
	copy(img.AxonGroup, m.AxonGroup)
	return img
}

// Block is one contiguous write of an image.
type Block struct {
	Name string
	Addr uint32
	Data []byte
}

// Blocks returns the memory writes that program the image's configuration (the state
// is written separately, after RESET_STATE): the used part of every weight row, the
// parameter words, the tables of groups with stochastic neurons, the shifts and the
// axon groups.
func (img *Image) Blocks() []Block {
	var out []Block
	n, a := img.Neurons, img.Axons
	if n == proto.MaxNeurons {
		out = append(out, Block{"weights", proto.WeightAddr(0, 0), img.Weights[:a*n]},
			Block{"weights", proto.WeightAddr(proto.NeuronRow(0), 0), img.Weights[proto.NeuronRow(0)*n : proto.NeuronRow(n)*n]})
	} else if n > 0 {
		for r := range a + n {
			row := r
			if r >= a {
				row = proto.NeuronRow(r - a)
			}
			out = append(out, Block{fmt.Sprintf("weights row %d", row), proto.WeightAddr(row, 0), img.Weights[row*proto.MaxNeurons : row*proto.MaxNeurons+n]})
		}
	}
	if n > 0 {
		out = append(out, Block{"params", proto.MemParams, img.Params[:n*proto.ParamBytes]})
	}
	for g, s := range img.stochastic {
		if s {
			out = append(out, Block{fmt.Sprintf("table of group %d", g), proto.LUTAddr(g, 0), img.LUT[g*512 : (g+1)*512]})
		}
	}
	out = append(out, Block{"table shifts", proto.MemLUTShift, img.LUTShift}, Block{"weight shifts", proto.MemShift, img.Shift})
	if a > 0 {
		out = append(out, Block{"axon groups", proto.MemAxonGroup, img.AxonGroup[:a]})
	}
	return out
}

// Model decodes the image back into a fixed-point model (no populations; every nonzero
// weight is a synapse; Init is the STATE memory).
func (img *Image) Model() (*sim.FixedModel, error) {
	n, a := img.Neurons, img.Axons
	if n < 0 || n > proto.MaxNeurons || a < 0 || a > proto.MaxAxons {
		return nil, fmt.Errorf("hw: image: %d neurons and %d axons out of range", n, a)
	}
	m := &sim.FixedModel{Params: make([]neuron.FixedParams, n), Init: make([]neuron.FixedState, n),
		AxonGroup: make([]uint8, a), Seed: img.Seed, RowPtr: make([]int32, a+n+1)}
	for i := range m.Params {
		p, err := proto.DecodeParams(img.Params[i*proto.ParamBytes : (i+1)*proto.ParamBytes])
		if err != nil {
			return nil, err
		}
		m.Params[i] = p
	}
	if err := proto.DecodeStates(m.Init, img.State[:n*proto.StateBytes]); err != nil {
		return nil, err
	}
	for i := range m.AxonGroup {
		m.AxonGroup[i] = img.AxonGroup[i] & 15
	}
	for g := range proto.Groups {
		m.LUTShift[g] = img.LUTShift[g] & 15
		for d := range proto.Groups {
			m.Shift[g][d] = img.Shift[g*proto.Groups+d] & 15
		}
		for k := range m.LUT[g] {
			m.LUT[g][k] = binary.LittleEndian.Uint16(img.LUT[g*512+2*k:])
		}
	}
	for src := range a + n {
		row := src
		if src >= a {
			row = proto.NeuronRow(src - a)
		}
		for c, w := range img.Weights[row*proto.MaxNeurons : row*proto.MaxNeurons+n] {
			if w != 0 {
				m.Cols = append(m.Cols, int32(c))
				m.W = append(m.W, int8(w))
			}
		}
		m.RowPtr[src+1] = int32(len(m.Cols))
	}
	m.Pops = []sim.FixedPop{{Name: "axons", Input: true, Size: a}, {Name: "neurons", Size: n}}
	return m, m.Validate()
}
