package board

import (
	"encoding/binary"
	"math"

	"github.com/snnsim/snnsim/hw/proto"
)

// The core's datapath, written from docs/hardware.md §2 against the memory images the
// host writes (independently of package neuron and sim, so that the bit-exactness tests
// compare two implementations of the specification).

func sat16(x int32) int32 { return min(max(x, math.MinInt16), math.MaxInt16) }

func satAdd32(a, b int32) int32 {
	return int32(min(max(int64(a)+int64(b), math.MinInt32), math.MaxInt32))
}

func (b *Board) neuronGroup(i int) int { return int(b.params[i*proto.ParamBytes+7] & 15) }

// addRow adds count spikes of weight row row (source group gs) to the accumulators of
// the active neurons.
func (b *Board) addRow(row int, gs int, count int32) {
	n := int(b.neurons)
	w := b.weights[row*proto.MaxNeurons : row*proto.MaxNeurons+n]
	sh := b.shift[gs*proto.Groups : gs*proto.Groups+proto.Groups]
	for j, x := range w {
		if x == 0 {
			continue
		}
		s := sh[b.neuronGroup(j)] & 15
		wv := int32(int8(x))
		if b.ni != nil {
			wv = b.ni.weight(int8(x), row, j)
		}
		b.acc[j] = satAdd32(b.acc[j], count*(wv<<s))
	}
}

// input applies an input event: count spikes of axon a.
func (b *Board) input(a int, count uint8) {
	b.addRow(a, int(b.axonGroup[a]&15), int32(count))
}

// tickOnce runs one tick: TIME event, then every active neuron in index order (PRNG
// draw, current, membrane, spike test, subtractive reset), SPIKE events of output
// neurons, the monitor's STATE event, and finally delivery of this tick's spikes to the
// accumulators of the next.
func (b *Board) tickOnce() {
	n := int(b.neurons)
	b.push(proto.Time(b.tick))
	var fired []int
	for i := range n {
		x := b.prng
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.prng = x
		pw := b.params[i*proto.ParamBytes : (i+1)*proto.ParamBytes]
		theta := int32(int16(binary.LittleEndian.Uint16(pw[0:])))
		bias := int32(int16(binary.LittleEndian.Uint16(pw[2:])))
		reset := int32(int16(binary.LittleEndian.Uint16(pw[4:])))
		if b.ni != nil {
			theta, reset = b.ni.theta(i, theta), b.ni.theta(i, reset)
		}
		dI, dV := pw[6]&15, pw[6]>>4
		g := int(pw[7] & 15)
		stoch, output := pw[7]&proto.ParamStochastic != 0, pw[7]&proto.ParamOutput != 0

		st := b.state[i*proto.StateBytes : (i+1)*proto.StateBytes]
		cur := int32(int16(binary.LittleEndian.Uint16(st[0:])))
		u := int32(int16(binary.LittleEndian.Uint16(st[2:])))
		a := sat16(b.acc[i])
		b.acc[i] = 0
		cur = sat16(cur - cur>>dI + a)
		u = sat16(u - u>>dV + cur + bias)
		var spike bool
		if stoch {
			idx := (u - theta) >> (b.lutShift[g] & 15)
			idx = min(max(idx+128, 0), 255)
			p := binary.LittleEndian.Uint16(b.lut[g*512+2*int(idx):])
			spike = uint16(x>>16) < p
		} else {
			spike = u >= theta
		}
		if spike {
			u = sat16(u - reset)
			fired = append(fired, i)
			if output {
				b.push(proto.Spike(0, 1, uint16(i)))
			}
		}
		binary.LittleEndian.PutUint16(st[0:], uint16(int16(cur)))
		binary.LittleEndian.PutUint16(st[2:], uint16(int16(u)))
	}
	if b.monitor&proto.MonEnable != 0 {
		if k := int(b.monitor & 0xFFFF); k < n {
			st := b.state[k*proto.StateBytes:]
			v := proto.VarCurrent
			x := int16(binary.LittleEndian.Uint16(st[0:]))
			if b.monitor&proto.MonMembrane != 0 {
				v = proto.VarMembrane
				x = int16(binary.LittleEndian.Uint16(st[2:]))
			}
			b.push(proto.State(v, k, x))
		}
	}
	for _, i := range fired {
		b.addRow(proto.NeuronRow(i), b.neuronGroup(i), 1)
	}
	b.tick++
}
