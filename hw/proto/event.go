package proto

import (
	"fmt"
)

// Event is a 32-bit address-event (AER) word:
//
//	bits 31-28  kind
//	SPIKE (1):  27-24 port, 23-16 count, 15-0 id
//	TIME  (2):  27-0 tick (mod 2^28) of the tick whose events follow
//	STATE (3):  27 variable (0 current, 1 membrane), 26-16 neuron, 15-0 value (int16)
//
// Words travel little-endian. Kind 0 and kinds 4-15 are reserved: a zero word is never
// an event, so zero-filled memory or an idle line is not mistaken for one.
type Event uint32

// Kind is the kind of an event.
type Kind uint8

// The event kinds.
const (
	KindSpike Kind = 1 // a spike: input (host → board, port 0 = axons) or output (port 0 = neurons)
	KindTime  Kind = 2 // board → host: the following events belong to this tick
	KindState Kind = 3 // board → host: a monitored state variable after a tick
)

func (k Kind) String() string {
	switch k {
	case KindSpike:
		return "SPIKE"
	case KindTime:
		return "TIME"
	case KindState:
		return "STATE"
	}
	return fmt.Sprintf("KIND_%d", uint8(k))
}

// TickMask is the range of the tick field of a TIME event.
const TickMask = 1<<28 - 1

// MaxStateNeuron is the largest neuron index a STATE event can name.
const MaxStateNeuron = 1<<11 - 1

// State variables of a STATE event and of the MONITOR register.
const (
	VarCurrent  = 0
	VarMembrane = 1
)

// Spike returns a SPIKE event.
func Spike(port, count uint8, id uint16) Event {
	return Event(uint32(KindSpike)<<28 | uint32(port&0xF)<<24 | uint32(count)<<16 | uint32(id))
}

// Time returns a TIME event for tick (taken mod 2^28).
func Time(tick uint64) Event { return Event(uint32(KindTime)<<28 | uint32(tick)&TickMask) }

// State returns a STATE event: variable v (VarCurrent or VarMembrane) of neuron (< 2048)
// has value x.
func State(v int, neuron int, x int16) Event {
	return Event(uint32(KindState)<<28 | uint32(v&1)<<27 | uint32(neuron&MaxStateNeuron)<<16 | uint32(uint16(x)))
}

// Kind returns the event's kind.
func (e Event) Kind() Kind { return Kind(e >> 28) }

// Port returns the port of a SPIKE event.
func (e Event) Port() uint8 { return uint8(e>>24) & 0xF }

// Count returns the spike count of a SPIKE event.
func (e Event) Count() uint8 { return uint8(e >> 16) }

// ID returns the neuron or axon of a SPIKE event.
func (e Event) ID() uint16 { return uint16(e) }

// Tick returns the tick (mod 2^28) of a TIME event.
func (e Event) Tick() uint32 { return uint32(e) & TickMask }

// Var returns the variable of a STATE event.
func (e Event) Var() int { return int(e>>27) & 1 }

// Neuron returns the neuron of a STATE event.
func (e Event) Neuron() int { return int(e>>16) & MaxStateNeuron }

// Value returns the value of a STATE event.
func (e Event) Value() int16 { return int16(uint16(e)) }

// Valid reports an error for a reserved kind or a SPIKE with count 0.
func (e Event) Valid() error {
	switch e.Kind() {
	case KindSpike:
		if e.Count() == 0 {
			return fmt.Errorf("proto: event %08x: spike with count 0: %w", uint32(e), ErrMalformed)
		}
	case KindTime, KindState:
	default:
		return fmt.Errorf("proto: event %08x: reserved kind %d: %w", uint32(e), e.Kind(), ErrMalformed)
	}
	return nil
}

// ValidInput reports an error unless e is a valid input event: a SPIKE on port 0 with
// count ≥ 1 and an axon below axons.
func (e Event) ValidInput(axons int) error {
	if e.Kind() != KindSpike {
		return fmt.Errorf("proto: input event %08x: kind %s, want SPIKE: %w", uint32(e), e.Kind(), ErrMalformed)
	}
	if e.Port() != 0 {
		return fmt.Errorf("proto: input event %08x: port %d, want 0: %w", uint32(e), e.Port(), ErrMalformed)
	}
	if e.Count() == 0 {
		return fmt.Errorf("proto: input event %08x: count 0: %w", uint32(e), ErrMalformed)
	}
	if int(e.ID()) >= axons {
		return fmt.Errorf("proto: input event %08x: axon %d, only %d active: %w", uint32(e), e.ID(), axons, ErrMalformed)
	}
	return nil
}

func (e Event) String() string {
	switch e.Kind() {
	case KindSpike:
		return fmt.Sprintf("SPIKE(port=%d count=%d id=%d)", e.Port(), e.Count(), e.ID())
	case KindTime:
		return fmt.Sprintf("TIME(%d)", e.Tick())
	case KindState:
		v := "I"
		if e.Var() == VarMembrane {
			v = "u"
		}
		return fmt.Sprintf("STATE(%s[%d]=%d)", v, e.Neuron(), e.Value())
	}
	return fmt.Sprintf("EVENT(%08x)", uint32(e))
}
