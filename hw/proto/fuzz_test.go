package proto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func seedFrames(f *testing.F, prefix string) {
	for _, v := range vectors() {
		if strings.HasPrefix(v.name, prefix) {
			f.Add(v.b)
		}
	}
}

// FuzzDecodeRequest: any bytes either decode to a request that re-encodes to the same
// frame and whose payload parses or is refused with ErrMalformed, or are refused with a
// wrapped sentinel error. Never a panic.
func FuzzDecodeRequest(f *testing.F) {
	seedFrames(f, "req ")
	seedFrames(f, "tx ")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCRC) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if got := AppendRequest(nil, r); !bytes.Equal(got, b[:n]) {
			t.Fatalf("re-encoding differs: % x vs % x", got, b[:n])
		}
		var perr error
		switch r.Op {
		case OpRegRead:
			_, _, perr = ParseRegRead(r.Payload)
		case OpRegWrite:
			_, _, perr = ParseRegWrite(r.Payload)
		case OpMemRead:
			_, _, perr = ParseMemRead(r.Payload)
		case OpMemWrite:
			_, _, perr = ParseMemWrite(r.Payload)
		case OpInput:
			var ev []Event
			_, ev, perr = ParseInput(r.Payload)
			for _, e := range ev {
				_ = e.ValidInput(256)
				_ = e.String()
			}
		case OpTick:
			_, _, perr = ParseTick(r.Payload)
		case OpDrain:
			_, perr = ParseDrain(r.Payload)
		}
		if perr != nil && !errors.Is(perr, ErrMalformed) {
			t.Fatalf("payload error without ErrMalformed: %v", perr)
		}
	})
}

// FuzzDecodeResponse: the host's decoder of board answers, with the event and register
// data parsers behind it.
func FuzzDecodeResponse(f *testing.F) {
	seedFrames(f, "resp ")
	f.Add(bytes.Repeat([]byte{0xFF}, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := DecodeResponse(b)
		if err != nil {
			for _, s := range []error{ErrTruncated, ErrCRC, ErrMalformed, ErrNoAnswer} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("unexpected error kind: %v", err)
		}
		if got := AppendResponse(nil, r); !bytes.Equal(got, b[:n]) {
			t.Fatalf("re-encoding differs")
		}
		_ = r.Status.String()
		if ev, err := ParseEvents(r.Data); err == nil {
			for _, e := range ev {
				_ = e.Valid()
				_ = e.String()
			}
		}
		_, _ = ParseRegValues(r.Data, len(r.Data)/4)
	})
}

// FuzzI2C: the board's decoders of I2C writes and read requests and the host's decoder
// of read responses.
func FuzzI2C(f *testing.F) {
	seedFrames(f, "i2c")
	f.Fuzz(func(t *testing.T, b []byte) {
		if reg, vals, err := ParseI2CWrite(0x42, b); err == nil {
			if got := I2CWrite(0x42, reg, vals); !bytes.Equal(got, b) {
				t.Fatalf("re-encoding differs")
			}
		}
		if len(b) >= 3 {
			if _, n, err := ParseI2CReadRequest(b[:3]); err == nil {
				_, _ = DecodeI2CRead(0x42, b[:3], b[3:])
				_ = n
			}
		}
	})
}

// FuzzWords: event words and memory words decode without panicking and round-trip.
func FuzzWords(f *testing.F) {
	f.Add(uint32(0x1000_0003), []byte{0, 16, 253, 255, 0, 16, 66, 53})
	f.Add(uint32(0x3B07_FB2E), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, w uint32, b []byte) {
		e := Event(w)
		_ = e.String()
		if e.Valid() == nil {
			var back Event
			switch e.Kind() {
			case KindSpike:
				back = Spike(e.Port(), e.Count(), e.ID())
			case KindTime:
				back = Time(uint64(e.Tick()))
			case KindState:
				back = State(e.Var(), e.Neuron(), e.Value())
			}
			if back != e {
				t.Fatalf("event %08x round-trips to %08x", w, uint32(back))
			}
		}
		p, err := DecodeParams(b)
		if err == nil {
			enc := EncodeParams(p)
			enc[7] |= b[7] & 0xC0 // reserved bits are ignored
			if !bytes.Equal(enc[:], b) {
				t.Fatalf("parameter word % x round-trips to % x", b, enc)
			}
		}
	})
}
