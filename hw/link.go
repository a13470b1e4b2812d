package hw

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"periph.io/x/conn/v3"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
)

// Clock tells the time and sleeps (board.RealClock by default; tests use a
// board.FakeClock shared with the software board).
type Clock = board.Clock

// Options control the driver.
type Options struct {
	// Attempts is the most transactions spent on one frame or I2C access (default 12).
	Attempts int
	// Backoff is the wait before the first retry (default 100 µs); it doubles at every
	// retry up to MaxBackoff (default 10 ms).
	Backoff, MaxBackoff time.Duration
	// Timeout bounds the time spent on one frame or register access, retries included
	// (default 1 s). A transfer the kernel is blocked in cannot be interrupted; the
	// deadline is checked between attempts.
	Timeout time.Duration
	// EventRoom is the number of output events a TICK or INPUT response may carry
	// (default 16); the rest are fetched with DRAIN, sized by the FIFO level.
	EventRoom int
	// MaxTx caps the transaction size below 4096 bytes and the port's MaxTxSize.
	MaxTx int
	// Burst caps the data of one MEM_READ or MEM_WRITE (default 256 bytes): on a noisy
	// link a frame of L bytes gets through with probability (1 − p)^L at byte error
	// rate p, so long bursts cost more retries than their header saves.
	Burst int
	Clock Clock
	Log   *slog.Logger // nil: no logging
}

func (o *Options) defaults() {
	if o.Attempts <= 0 {
		o.Attempts = 12
	}
	if o.Backoff <= 0 {
		o.Backoff = 100 * time.Microsecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.EventRoom <= 0 {
		o.EventRoom = 16
	}
	if o.Burst <= 0 {
		o.Burst = 256
	}
	if o.Clock == nil {
		o.Clock = board.RealClock{}
	}
}

// LinkStats counts the driver's traffic and what went wrong on the way.
type LinkStats struct {
	Frames    int64 // frames completed
	Tx        int64 // SPI transactions (attempts)
	Bytes     int64 // bytes clocked (each direction)
	Retries   int64 // attempts after the first
	NoAnswer  int64 // idle line where the answer should be
	BadAnswer int64 // answer with a CRC error, bad length or marker
	Mismatch  int64 // valid answer to another request (op or seq differ)
	BoardCRC  int64 // the board saw a CRC error in the request
	Busy      int64 // BUSY answers
	Replays   int64 // answers replayed by the board (the first answer was lost)
	TxErrors  int64 // errors from the port itself
	I2C       int64 // I2C transactions
	I2CErrors int64 // I2C transactions that failed or had a CRC error
	Events    int64 // output events received
}

// Link carries frames over an SPI connection: one frame per transaction, with CRC,
// sequence and length checks, retries with exponential backoff and a deadline per
// frame. A Link is used by one goroutine.
type Link struct {
	c     conn.Conn
	maxTx int
	opt   Options
	seq   uint8
	// events are the output events received and not yet taken.
	events []proto.Event
	// status is the last status word accepted.
	status proto.Status
	// fatal are the sticky status bits that fail a frame (StOverflow and StReset once
	// a configuration has been written).
	fatal proto.Status
	stats LinkStats
	w, r  []byte
}

// NewLink returns a link over c, an SPI connection in mode 0 (full duplex). The
// largest transaction is the smallest of 4096, opt.MaxTx and c's MaxTxSize.
func NewLink(c conn.Conn, opt Options) (*Link, error) {
	opt.defaults()
	if c.Duplex() == conn.Half {
		return nil, fmt.Errorf("hw: %s is half duplex; the protocol needs full-duplex SPI", c)
	}
	maxTx := proto.MaxTx
	if opt.MaxTx > 0 {
		maxTx = min(maxTx, opt.MaxTx)
	}
	if l, ok := c.(conn.Limits); ok && l.MaxTxSize() > 0 {
		maxTx = min(maxTx, l.MaxTxSize())
	}
	if maxTx < 64 {
		return nil, fmt.Errorf("hw: %s takes transactions of at most %d bytes; the protocol needs 64", c, maxTx)
	}
	return &Link{c: c, maxTx: maxTx, opt: opt}, nil
}

// MaxTx returns the largest transaction the link makes.
func (l *Link) MaxTx() int { return l.maxTx }

// Stats returns the counters.
func (l *Link) Stats() LinkStats { return l.stats }

// Status returns the last status word received.
func (l *Link) Status() proto.Status { return l.status }

// TakeEvents returns the output events received since the last call.
func (l *Link) TakeEvents() []proto.Event {
	ev := l.events
	l.events = nil
	return ev
}

// EventRoom returns the most events a response to a request with a payload of
// payloadLen bytes can carry within the link's transaction size.
func (l *Link) EventRoom(payloadLen int) int {
	return max((l.maxTx-proto.TxLen(payloadLen, 0))/proto.EventBytes, 0)
}

// Do sends one request and returns the board's response. dataLen is the exact length
// of the response data, or -1 for an opcode that returns events (their room is the
// first field of the payload). seq0 sends it with sequence number 0, which the board
// never deduplicates (for idempotent requests only). The response's data is valid
// until the next call.
func (l *Link) Do(ctx context.Context, op proto.Op, payload []byte, dataLen int, what string) (proto.Response, error) {
	return l.do(ctx, op, payload, dataLen, what, false)
}

func (l *Link) do(ctx context.Context, op proto.Op, payload []byte, dataLen int, what string, seq0 bool) (proto.Response, error) {
	maxData := dataLen
	if op.ReturnsEvents() {
		maxData = proto.EventBytes * int(binary.LittleEndian.Uint16(payload))
	}
	n := proto.TxLen(len(payload), maxData)
	if n > l.maxTx {
		panic(fmt.Sprintf("hw: %s frame of %d bytes exceeds the %d-byte transaction limit", op, n, l.maxTx))
	}
	seq := uint8(0)
	if !seq0 {
		l.seq++
		if l.seq == 0 {
			l.seq = 1
		}
		seq = l.seq
	}
	l.w = proto.AppendRequest(l.w[:0], proto.Request{Op: op, Seq: seq, Payload: payload})
	reqLen := len(l.w)
	for len(l.w) < n {
		l.w = append(l.w, 0)
	}
	if cap(l.r) < n {
		l.r = make([]byte, n)
	}
	r := l.r[:n]
	off := proto.RespOffset(len(payload))
	_ = reqLen
	start := l.opt.Clock.Now()
	delay := l.opt.Backoff
	var last error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			l.stats.Retries++
			if attempt > l.opt.Attempts {
				return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Attempts: attempt - 1, Err: fmt.Errorf("%w: %w", ErrTimeout, last)}
			}
			if l.opt.Clock.Now().Add(delay).Sub(start) > l.opt.Timeout {
				return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Attempts: attempt - 1,
					Err: fmt.Errorf("%w: no valid answer within %v: %w", ErrTimeout, l.opt.Timeout, last)}
			}
			if l.opt.Log != nil {
				l.opt.Log.Debug("hw: retry", "op", op.String(), "seq", seq, "attempt", attempt, "cause", last)
			}
			if err := sleep(ctx, l.opt.Clock, delay); err != nil {
				return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Attempts: attempt - 1, Err: err}
			}
			delay = min(2*delay, l.opt.MaxBackoff)
		} else if err := ctx.Err(); err != nil {
			return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Err: err}
		}
		l.stats.Tx++
		l.stats.Bytes += int64(n)
		if err := l.c.Tx(l.w, r); err != nil {
			l.stats.TxErrors++
			last = err
			continue
		}
		resp, _, err := proto.DecodeResponse(r[off:])
		if err != nil {
			if errors.Is(err, proto.ErrNoAnswer) {
				l.stats.NoAnswer++
			} else {
				l.stats.BadAnswer++
			}
			last = err
			continue
		}
		if resp.Op != op || resp.Seq != seq {
			l.stats.Mismatch++
			last = fmt.Errorf("answer to %s seq %d, not to this request", resp.Op, resp.Seq)
			continue
		}
		st := resp.Status
		if st&(proto.StOverflow|proto.StReset)&l.fatal != 0 {
			l.status = st
			err := ErrOverflow
			if st&proto.StReset&l.fatal != 0 {
				err = ErrBoardReset
			}
			return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Attempts: attempt, Err: err}
		}
		switch {
		case st&proto.StCRCErr != 0:
			l.stats.BoardCRC++
			last = errors.New("the board received the request with a CRC error")
			continue
		case st&proto.StBusy != 0:
			l.stats.Busy++
			last = errors.New("the board was busy")
			continue
		case st&proto.StReject != 0:
			l.status = st
			return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Attempts: attempt,
				Err: fmt.Errorf("%w: %s", ErrRejected, proto.CodeString(st.Code()))}
		case st&proto.StAck == 0:
			l.stats.BadAnswer++
			last = fmt.Errorf("answer without ACK: status %s", st)
			continue
		}
		if st&proto.StReplay != 0 {
			l.stats.Replays++
		}
		if op.ReturnsEvents() {
			ev, err := l.checkEvents(resp.Data, maxData)
			if err != nil {
				return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Attempts: attempt, Err: err}
			}
			l.events = append(l.events, ev...)
		} else if len(resp.Data) != dataLen {
			return proto.Response{}, &FrameError{Op: op, Seq: seq, What: what, Attempts: attempt,
				Err: fmt.Errorf("%w: %d bytes of data, expected %d", ErrProtocol, len(resp.Data), dataLen)}
		}
		l.status = st
		l.stats.Frames++
		return resp, nil
	}
}

func (l *Link) checkEvents(data []byte, maxData int) ([]proto.Event, error) {
	if len(data) > maxData || len(data)%proto.EventBytes != 0 {
		return nil, fmt.Errorf("%w: %d bytes of events for a room of %d", ErrProtocol, len(data), maxData/proto.EventBytes)
	}
	ev, _ := proto.ParseEvents(data)
	for _, e := range ev {
		if err := e.Valid(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
	}
	l.stats.Events += int64(len(ev))
	return ev, nil
}

// sleep waits d on the clock, or until ctx is done.
func sleep(ctx context.Context, c Clock, d time.Duration) error {
	if _, real := c.(board.RealClock); !real {
		c.Sleep(d)
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
