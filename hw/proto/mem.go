package proto

import (
	"encoding/binary"
	"fmt"

	"github.com/snnsim/snnsim/neuron"
)

// Memory map of version 1 (docs/hardware.md §3): byte addresses of the board's memories.
// Every region is readable and writable with MEM_READ / MEM_WRITE; a burst must lie
// inside one region.
const (
	MaxNeurons = 256 // largest core of version 1 (CAPS may say less)
	MaxAxons   = 256
	Groups     = neuron.FixedGroups

	ParamBytes = 8 // one neuron parameter word
	StateBytes = 4 // I int16, u int16

	MemWeights   uint32 = 0x0000_0000 // int8 W[row][col] at row·256 + col; rows 0-255 axons, 256-511 neurons
	MemParams    uint32 = 0x0002_0000 // 8-byte parameter word per neuron
	MemState     uint32 = 0x0002_1000 // I, u (int16 LE each) per neuron
	MemLUT       uint32 = 0x0002_2000 // uint16 LE table[group][256]
	MemShift     uint32 = 0x0002_4000 // byte shift[source group][target group] at src·16 + dst
	MemLUTShift  uint32 = 0x0002_4100 // byte table shift per neuron group
	MemAxonGroup uint32 = 0x0002_4200 // byte group per axon

	SizeWeights   = (MaxAxons + MaxNeurons) * MaxNeurons
	SizeParams    = MaxNeurons * ParamBytes
	SizeState     = MaxNeurons * StateBytes
	SizeLUT       = Groups * neuron.LUTSize * 2
	SizeShift     = Groups * Groups
	SizeLUTShift  = Groups
	SizeAxonGroup = MaxAxons
)

// Region is a memory region.
type Region struct {
	Name string
	Base uint32
	Size int
	Doc  string
}

// Regions returns the memory map in address order.
func Regions() []Region {
	return []Region{
		{"WEIGHTS", MemWeights, SizeWeights, "int8 weight of source row r onto neuron c at r·256 + c; row a < 256 is axon a, row 256 + i is neuron i"},
		{"PARAMS", MemParams, SizeParams, "8-byte parameter word of neuron i at 8·i"},
		{"STATE", MemState, SizeState, "current I (int16 LE) and membrane u (int16 LE) of neuron i at 4·i"},
		{"LUT", MemLUT, SizeLUT, "sigmoid table of group g: uint16 LE entry k at 512·g + 2·k"},
		{"SHIFT", MemShift, SizeShift, "weight left shift (0-15) from source group s onto target group d at 16·s + d"},
		{"LUT_SHIFT", MemLUTShift, SizeLUTShift, "table shift (0-15) of neuron group g at g"},
		{"AXON_GROUP", MemAxonGroup, SizeAxonGroup, "group (0-15) of axon a at a"},
	}
}

// RegionOf returns the region holding the n bytes at addr, and false when they are not
// all inside one region.
func RegionOf(addr uint32, n int) (Region, bool) {
	for _, r := range Regions() {
		if addr >= r.Base && uint64(addr)+uint64(n) <= uint64(r.Base)+uint64(r.Size) {
			return r, true
		}
	}
	return Region{}, false
}

// WeightAddr returns the address of the weight of source row row onto neuron col.
func WeightAddr(row, col int) uint32 { return MemWeights + uint32(row*MaxNeurons+col) }

// NeuronRow returns the weight row of neuron i's outgoing synapses.
func NeuronRow(i int) int { return MaxAxons + i }

// ParamAddr returns the address of neuron i's parameter word.
func ParamAddr(i int) uint32 { return MemParams + uint32(i*ParamBytes) }

// StateAddr returns the address of neuron i's state.
func StateAddr(i int) uint32 { return MemState + uint32(i*StateBytes) }

// LUTAddr returns the address of entry k of group g's table.
func LUTAddr(g, k int) uint32 { return MemLUT + uint32(g*neuron.LUTSize*2+2*k) }

// ShiftAddr returns the address of the shift from source group s onto target group d.
func ShiftAddr(s, d int) uint32 { return MemShift + uint32(s*Groups+d) }

// Parameter word flags (byte 7, bits 4-5).
const (
	ParamStochastic = 1 << 4
	ParamOutput     = 1 << 5
)

// EncodeParams returns the 8-byte parameter word of p:
//
//	0-1 θ, 2-3 bias, 4-5 reset (int16 LE); 6: dI (bits 0-3), dV (4-7);
//	7: group (0-3), stochastic (4), output (5), bits 6-7 zero.
func EncodeParams(p neuron.FixedParams) [ParamBytes]byte {
	var b [ParamBytes]byte
	binary.LittleEndian.PutUint16(b[0:], uint16(p.Theta))
	binary.LittleEndian.PutUint16(b[2:], uint16(p.Bias))
	binary.LittleEndian.PutUint16(b[4:], uint16(p.Reset))
	b[6] = p.DecayI&15 | (p.DecayV&15)<<4
	b[7] = p.Group & 15
	if p.Stochastic {
		b[7] |= ParamStochastic
	}
	if p.Output {
		b[7] |= ParamOutput
	}
	return b
}

// DecodeParams decodes a parameter word (reserved bits are ignored, as the core ignores
// them). It returns an error when b is not 8 bytes long.
func DecodeParams(b []byte) (neuron.FixedParams, error) {
	if len(b) != ParamBytes {
		return neuron.FixedParams{}, fmt.Errorf("proto: parameter word of %d bytes, want %d: %w", len(b), ParamBytes, ErrMalformed)
	}
	return neuron.FixedParams{
		Theta: int16(binary.LittleEndian.Uint16(b[0:])), Bias: int16(binary.LittleEndian.Uint16(b[2:])),
		Reset: int16(binary.LittleEndian.Uint16(b[4:])), DecayI: b[6] & 15, DecayV: b[6] >> 4,
		Group: b[7] & 15, Stochastic: b[7]&ParamStochastic != 0, Output: b[7]&ParamOutput != 0,
	}, nil
}

// EncodeState returns the 4-byte state word of s.
func EncodeState(s neuron.FixedState) [StateBytes]byte {
	var b [StateBytes]byte
	binary.LittleEndian.PutUint16(b[0:], uint16(s.I))
	binary.LittleEndian.PutUint16(b[2:], uint16(s.U))
	return b
}

// DecodeStates decodes consecutive state words into dst (len(b) must be 4·len(dst)).
func DecodeStates(dst []neuron.FixedState, b []byte) error {
	if len(b) != StateBytes*len(dst) {
		return fmt.Errorf("proto: %d bytes of state for %d neurons: %w", len(b), len(dst), ErrMalformed)
	}
	for i := range dst {
		dst[i] = neuron.FixedState{I: int16(binary.LittleEndian.Uint16(b[4*i:])), U: int16(binary.LittleEndian.Uint16(b[4*i+2:]))}
	}
	return nil
}
