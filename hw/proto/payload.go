package proto

import (
	"encoding/binary"
	"fmt"
)

// Request payloads: builders append to dst; parsers check the length and return the
// fields (slices alias the payload).

// AppendRegRead appends the payload of REG_READ: [addr u16][count u8].
func AppendRegRead(dst []byte, addr Reg, count int) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(addr))
	return append(dst, byte(count))
}

// ParseRegRead parses a REG_READ payload.
func ParseRegRead(p []byte) (Reg, int, error) {
	if len(p) != 3 {
		return 0, 0, fmt.Errorf("proto: REG_READ payload of %d bytes, want 3: %w", len(p), ErrMalformed)
	}
	n := int(p[2])
	if n < 1 || n > MaxRegCount {
		return 0, 0, fmt.Errorf("proto: REG_READ count %d out of range [1, %d]: %w", n, MaxRegCount, ErrMalformed)
	}
	return Reg(binary.LittleEndian.Uint16(p)), n, nil
}

// AppendRegWrite appends the payload of REG_WRITE: [addr u16][value u32 LE]….
func AppendRegWrite(dst []byte, addr Reg, vals []uint32) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(addr))
	for _, v := range vals {
		dst = binary.LittleEndian.AppendUint32(dst, v)
	}
	return dst
}

// ParseRegWrite parses a REG_WRITE payload.
func ParseRegWrite(p []byte) (Reg, []uint32, error) {
	if len(p) < 6 || (len(p)-2)%4 != 0 || (len(p)-2)/4 > MaxRegCount {
		return 0, nil, fmt.Errorf("proto: REG_WRITE payload of %d bytes, want 2+4k with 1 ≤ k ≤ %d: %w", len(p), MaxRegCount, ErrMalformed)
	}
	vals := make([]uint32, (len(p)-2)/4)
	for i := range vals {
		vals[i] = binary.LittleEndian.Uint32(p[2+4*i:])
	}
	return Reg(binary.LittleEndian.Uint16(p)), vals, nil
}

// AppendMemRead appends the payload of MEM_READ: [addr u32][n u16].
func AppendMemRead(dst []byte, addr uint32, n int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, addr)
	return binary.LittleEndian.AppendUint16(dst, uint16(n))
}

// MaxMemRead is the most bytes one MEM_READ may return.
const MaxMemRead = MaxTx - (HeaderLen + 6 + CRCLen + Gap + RespHeaderLen + CRCLen)

// ParseMemRead parses a MEM_READ payload.
func ParseMemRead(p []byte) (uint32, int, error) {
	if len(p) != 6 {
		return 0, 0, fmt.Errorf("proto: MEM_READ payload of %d bytes, want 6: %w", len(p), ErrMalformed)
	}
	n := int(binary.LittleEndian.Uint16(p[4:]))
	if n < 1 || n > MaxMemRead {
		return 0, 0, fmt.Errorf("proto: MEM_READ of %d bytes, want 1..%d: %w", n, MaxMemRead, ErrMalformed)
	}
	return binary.LittleEndian.Uint32(p), n, nil
}

// AppendMemWrite appends the payload of MEM_WRITE: [addr u32][data].
func AppendMemWrite(dst []byte, addr uint32, data []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, addr)
	return append(dst, data...)
}

// MaxMemWrite is the most bytes one MEM_WRITE may carry.
const MaxMemWrite = MaxPayload - 4

// ParseMemWrite parses a MEM_WRITE payload.
func ParseMemWrite(p []byte) (uint32, []byte, error) {
	if len(p) < 5 {
		return 0, nil, fmt.Errorf("proto: MEM_WRITE payload of %d bytes, want at least 5: %w", len(p), ErrMalformed)
	}
	return binary.LittleEndian.Uint32(p), p[4:], nil
}

// AppendInput appends the payload of INPUT: [room u16][event u32 LE]….
func AppendInput(dst []byte, room int, ev []Event) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(room))
	for _, e := range ev {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(e))
	}
	return dst
}

// ParseInput parses an INPUT payload. It checks the layout only; [Event.ValidInput]
// checks each event.
func ParseInput(p []byte) (int, []Event, error) {
	if len(p) < 2 || (len(p)-2)%EventBytes != 0 {
		return 0, nil, fmt.Errorf("proto: INPUT payload of %d bytes, want 2+4k: %w", len(p), ErrMalformed)
	}
	ev, err := ParseEvents(p[2:])
	return int(binary.LittleEndian.Uint16(p)), ev, err
}

// MaxTickCount is the most ticks one TICK may ask for.
const MaxTickCount = 1 << 24

// AppendTick appends the payload of TICK: [room u16][n u32].
func AppendTick(dst []byte, room int, n uint32) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(room))
	return binary.LittleEndian.AppendUint32(dst, n)
}

// ParseTick parses a TICK payload.
func ParseTick(p []byte) (int, uint32, error) {
	if len(p) != 6 {
		return 0, 0, fmt.Errorf("proto: TICK payload of %d bytes, want 6: %w", len(p), ErrMalformed)
	}
	n := binary.LittleEndian.Uint32(p[2:])
	if n < 1 || n > MaxTickCount {
		return 0, 0, fmt.Errorf("proto: TICK of %d ticks, want 1..%d: %w", n, MaxTickCount, ErrMalformed)
	}
	return int(binary.LittleEndian.Uint16(p)), n, nil
}

// AppendDrain appends the payload of DRAIN: [room u16].
func AppendDrain(dst []byte, room int) []byte {
	return binary.LittleEndian.AppendUint16(dst, uint16(room))
}

// ParseDrain parses a DRAIN payload.
func ParseDrain(p []byte) (int, error) {
	if len(p) != 2 {
		return 0, fmt.Errorf("proto: DRAIN payload of %d bytes, want 2: %w", len(p), ErrMalformed)
	}
	return int(binary.LittleEndian.Uint16(p)), nil
}

// ParseEvents decodes a sequence of little-endian AER words. It checks the length
// only.
func ParseEvents(b []byte) ([]Event, error) {
	if len(b)%EventBytes != 0 {
		return nil, fmt.Errorf("proto: %d bytes of events is not a multiple of %d: %w", len(b), EventBytes, ErrMalformed)
	}
	ev := make([]Event, len(b)/EventBytes)
	for i := range ev {
		ev[i] = Event(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return ev, nil
}

// AppendEvents appends events as little-endian AER words.
func AppendEvents(dst []byte, ev []Event) []byte {
	for _, e := range ev {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(e))
	}
	return dst
}

// ParseRegValues decodes the data of a REG_READ response: want values.
func ParseRegValues(data []byte, want int) ([]uint32, error) {
	if len(data) != 4*want {
		return nil, fmt.Errorf("proto: REG_READ response of %d bytes, want %d: %w", len(data), 4*want, ErrMalformed)
	}
	vals := make([]uint32, want)
	for i := range vals {
		vals[i] = binary.LittleEndian.Uint32(data[4*i:])
	}
	return vals, nil
}
