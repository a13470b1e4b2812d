package hw

import (
	"errors"
	"fmt"
	"strings"

	"github.com/snnsim/snnsim/hw/proto"
)

// Errors of the driver; test with errors.Is. Every error from a frame or register
// access is a *FrameError or *RegError that names it.
var (
	// ErrTimeout: no valid answer after every attempt or before the deadline. The last
	// cause (CRC error, idle line, BUSY, ...) is wrapped too.
	ErrTimeout = errors.New("timed out")
	// ErrRejected: the board refused the request as invalid (reject code in the message).
	ErrRejected = errors.New("rejected by the board")
	// ErrBoardReset: the board reinitialised itself since it was programmed; its
	// configuration and state are gone.
	ErrBoardReset = errors.New("the board reset itself (configuration lost)")
	// ErrOverflow: the board's output FIFO overflowed; events were lost.
	ErrOverflow = errors.New("the board's output FIFO overflowed (events lost)")
	// ErrProtocol: a well-formed answer that breaks the protocol (wrong length, event
	// stream out of order, ...).
	ErrProtocol = errors.New("protocol violation")
	// ErrNotBoard: the device does not identify as an snnsim board of a known version.
	ErrNotBoard = errors.New("not an snnsim board")
)

// FrameError is a failed SPI frame.
type FrameError struct {
	Op       proto.Op
	Seq      uint8
	What     string // what the frame was about: a register, an address range, a tick
	Attempts int
	Err      error
}

func (e *FrameError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hw: %s frame seq %d", e.Op, e.Seq)
	if e.What != "" {
		fmt.Fprintf(&b, " (%s)", e.What)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *FrameError) Unwrap() error { return e.Err }

// RegError is a failed register access.
type RegError struct {
	Reg   proto.Reg
	Write bool
	Bus   string // "spi" or "i2c"
	Err   error
}

func (e *RegError) Error() string {
	op := "read"
	if e.Write {
		op = "write"
	}
	return fmt.Sprintf("hw: %s register %s (0x%04x) over %s: %s", op, e.Reg, uint16(e.Reg), e.Bus,
		strings.TrimPrefix(e.Err.Error(), "hw: "))
}

func (e *RegError) Unwrap() error { return e.Err }
