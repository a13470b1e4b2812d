package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Op is a request opcode.
type Op uint8

// The opcodes (docs/hardware.md §5.3).
const (
	OpNop        Op = 0x00 // no operation: returns the status word
	OpRegRead    Op = 0x01 // [addr u16][count u8] → count registers
	OpRegWrite   Op = 0x02 // [addr u16][value u32]… → consecutive registers
	OpMemRead    Op = 0x03 // [addr u32][n u16] → n bytes
	OpMemWrite   Op = 0x04 // [addr u32][data]…
	OpInput      Op = 0x05 // [room u16][event u32]… → up to room output events
	OpTick       Op = 0x06 // [room u16][n u32] → runs n ticks; up to room output events
	OpDrain      Op = 0x07 // [room u16] → up to room output events
	OpResetState Op = 0x08 // clears neuron state, accumulators, FIFO and tick; reseeds the PRNG
)

var opNames = [...]string{"NOP", "REG_READ", "REG_WRITE", "MEM_READ", "MEM_WRITE", "INPUT", "TICK", "DRAIN", "RESET_STATE"}

// NumOps is the number of defined opcodes (0 … NumOps-1).
const NumOps = len(opNames)

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("OP_0x%02X", uint8(o))
}

// Valid reports whether o is a defined opcode.
func (o Op) Valid() bool { return int(o) < len(opNames) }

// ReturnsEvents reports whether the response to o carries output events (the request
// payload then starts with the room, the most events the response may carry).
func (o Op) ReturnsEvents() bool { return o == OpInput || o == OpTick || o == OpDrain }

// Frame geometry (docs/hardware.md §5.1).
const (
	HeaderLen     = 4    // op, seq, len u16
	CRCLen        = 2    // CRC-16, big-endian
	Gap           = 2    // turnaround bytes between a request and its response
	RespHeaderLen = 8    // op|0x80, seq, len u16, status u32
	MaxTx         = 4096 // largest SPI transaction, bytes
	// MaxPayload is the largest request payload: a transaction must also hold the gap and
	// the shortest response.
	MaxPayload = MaxTx - HeaderLen - CRCLen - Gap - RespHeaderLen - CRCLen
	// RespFlag marks the first byte of a response (op | RespFlag).
	RespFlag = 0x80
	// Idle is the byte the board drives on MISO outside its response.
	Idle = 0xFF
	// MaxRegCount is the most registers one REG_READ or REG_WRITE may cover.
	MaxRegCount = 64
	// EventBytes is the size of an AER event word on the wire.
	EventBytes = 4
)

// TxLen returns the length of the SPI transaction that carries a request with a
// payload of reqPayload bytes and a response with respData data bytes.
func TxLen(reqPayload, respData int) int {
	return HeaderLen + reqPayload + CRCLen + Gap + RespHeaderLen + respData + CRCLen
}

// RespOffset returns where the response starts in a transaction whose request payload
// is reqPayload bytes long.
func RespOffset(reqPayload int) int { return HeaderLen + reqPayload + CRCLen + Gap }

// Status is the status word of a response (and, for its sticky bits and FIFO level, of
// the STATUS register).
type Status uint32

// Status flags (bits 0-7), the reject code (bits 8-11) and the FIFO level (bits 16-31).
const (
	StAck      Status = 1 << 0 // the request was executed (now, or before: see StReplay)
	StCRCErr   Status = 1 << 1 // the request's CRC was wrong; not executed
	StReject   Status = 1 << 2 // the request was well formed but invalid (Code says why); not executed
	StBusy     Status = 1 << 3 // the board was busy; not executed, try again
	StReplay   Status = 1 << 4 // duplicate of the last executed request: this is its stored response
	StOverflow Status = 1 << 5 // sticky: output events were lost to a full FIFO
	StReset    Status = 1 << 6 // sticky: the board (re)initialised itself; configuration lost
	StMore     Status = 1 << 7 // more output events are queued than this response carries
)

// Reject codes (Status.Code).
const (
	CodeNone      = 0
	CodeUnknownOp = 1 // undefined opcode
	CodeLength    = 2 // payload length wrong for the opcode
	CodeAddress   = 3 // register or memory address out of range
	CodeReadOnly  = 4 // write to a read-only register
	CodeEvent     = 5 // invalid input event
	CodeValue     = 6 // register value out of range
	CodeTooLarge  = 7 // the response would not fit in a transaction
)

var codeNames = [...]string{"none", "unknown op", "bad length", "bad address", "read-only register", "bad event", "bad value", "response too large"}

// CodeString names a reject code.
func CodeString(c int) string {
	if c >= 0 && c < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code %d", c)
}

// MakeStatus assembles a status word.
func MakeStatus(flags Status, code int, level int) Status {
	return flags&0xFF | Status(code&0xF)<<8 | Status(min(max(level, 0), 0xFFFF))<<16
}

// Flags returns bits 0-7.
func (s Status) Flags() Status { return s & 0xFF }

// Code returns the reject code.
func (s Status) Code() int { return int(s>>8) & 0xF }

// Level returns the number of output events queued after the response (saturated at
// 65535).
func (s Status) Level() int { return int(s >> 16) }

func (s Status) String() string {
	var parts []string
	for i, n := range []string{"ACK", "CRC_ERR", "REJECT", "BUSY", "REPLAY", "OVERFLOW", "RESET", "MORE"} {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if c := s.Code(); c != 0 {
		parts = append(parts, "code="+CodeString(c))
	}
	parts = append(parts, fmt.Sprintf("level=%d", s.Level()))
	return strings.Join(parts, "|")
}

// Decoding errors. Decoders wrap them with details; test with errors.Is.
var (
	ErrTruncated = errors.New("truncated")
	ErrCRC       = errors.New("CRC mismatch")
	ErrMalformed = errors.New("malformed")
	ErrNoAnswer  = errors.New("no answer (idle line)")
)

// Request is a request frame: [op][seq][len u16 LE][payload][crc16 BE].
type Request struct {
	Op      Op
	Seq     uint8
	Payload []byte
}

// Len returns the encoded length of r.
func (r *Request) Len() int { return HeaderLen + len(r.Payload) + CRCLen }

// AppendRequest appends the encoded request to dst. It panics when the payload is
// longer than MaxPayload (a programmer error).
func AppendRequest(dst []byte, r Request) []byte {
	if len(r.Payload) > MaxPayload {
		panic(fmt.Sprintf("proto: %s payload of %d bytes, more than %d", r.Op, len(r.Payload), MaxPayload))
	}
	start := len(dst)
	dst = append(dst, byte(r.Op), r.Seq)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(r.Payload)))
	dst = append(dst, r.Payload...)
	return binary.BigEndian.AppendUint16(dst, CRC16(dst[start:]))
}

// DecodeRequest decodes the request frame at the start of b (the bytes a board
// received). It returns the request (its payload aliases b) and the frame length. It
// checks the length and the CRC only; whether the opcode and payload make sense is for
// the board to decide.
func DecodeRequest(b []byte) (Request, int, error) {
	if len(b) < HeaderLen+CRCLen {
		return Request{}, 0, fmt.Errorf("proto: request: %d bytes, need at least %d: %w", len(b), HeaderLen+CRCLen, ErrTruncated)
	}
	n := int(binary.LittleEndian.Uint16(b[2:4]))
	end := HeaderLen + n
	if end+CRCLen > len(b) {
		return Request{}, 0, fmt.Errorf("proto: request %s seq %d: length %d runs past the %d-byte transaction: %w", Op(b[0]), b[1], n, len(b), ErrTruncated)
	}
	if got, want := binary.BigEndian.Uint16(b[end:]), CRC16(b[:end]); got != want {
		return Request{}, 0, fmt.Errorf("proto: request %s seq %d: CRC %04x, computed %04x: %w", Op(b[0]), b[1], got, want, ErrCRC)
	}
	return Request{Op: Op(b[0]), Seq: b[1], Payload: b[HeaderLen:end]}, end + CRCLen, nil
}

// Response is a response frame: [op|0x80][seq][len u16 LE][status u32 LE][data][crc16
// BE], where len counts the status word and the data.
type Response struct {
	Op     Op // without RespFlag
	Seq    uint8
	Status Status
	Data   []byte
}

// Len returns the encoded length of r.
func (r *Response) Len() int { return RespHeaderLen + len(r.Data) + CRCLen }

// AppendResponse appends the encoded response to dst. It panics when the data is
// longer than a transaction allows (a programmer error).
func AppendResponse(dst []byte, r Response) []byte {
	if len(r.Data) > MaxTx-RespHeaderLen-CRCLen {
		panic(fmt.Sprintf("proto: %s response of %d bytes", r.Op, len(r.Data)))
	}
	start := len(dst)
	dst = append(dst, byte(r.Op)|RespFlag, r.Seq)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(4+len(r.Data)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(r.Status))
	dst = append(dst, r.Data...)
	return binary.BigEndian.AppendUint16(dst, CRC16(dst[start:]))
}

// DecodeResponse decodes the response frame at the start of b (the bytes from the
// response offset to the end of the transaction). It returns the response (its data
// aliases b) and the frame length. An idle line (every byte Idle) gives ErrNoAnswer.
func DecodeResponse(b []byte) (Response, int, error) {
	if len(b) < RespHeaderLen+CRCLen {
		return Response{}, 0, fmt.Errorf("proto: response: %d bytes, need at least %d: %w", len(b), RespHeaderLen+CRCLen, ErrTruncated)
	}
	if idle(b) {
		return Response{}, 0, fmt.Errorf("proto: response: %w", ErrNoAnswer)
	}
	if b[0]&RespFlag == 0 {
		return Response{}, 0, fmt.Errorf("proto: response: first byte %#02x is not a response marker: %w", b[0], ErrMalformed)
	}
	n := int(binary.LittleEndian.Uint16(b[2:4]))
	if n < 4 {
		return Response{}, 0, fmt.Errorf("proto: response: length %d is shorter than the status word: %w", n, ErrMalformed)
	}
	end := HeaderLen + n
	if end+CRCLen > len(b) {
		return Response{}, 0, fmt.Errorf("proto: response: length %d runs past the %d bytes received: %w", n, len(b), ErrTruncated)
	}
	if got, want := binary.BigEndian.Uint16(b[end:]), CRC16(b[:end]); got != want {
		return Response{}, 0, fmt.Errorf("proto: response: CRC %04x, computed %04x: %w", got, want, ErrCRC)
	}
	return Response{Op: Op(b[0] &^ RespFlag), Seq: b[1], Status: Status(binary.LittleEndian.Uint32(b[4:8])),
		Data: b[RespHeaderLen:end]}, end + CRCLen, nil
}

func idle(b []byte) bool {
	for _, x := range b {
		if x != Idle {
			return false
		}
	}
	return true
}
