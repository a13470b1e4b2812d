package hw

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// A bus session is every transaction of a host–board session, in order, with the bytes
// written and read: what `snnsim record` writes and what tests and `snnsim replay` play
// back. The file format (docs/hardware.md §9) is text:
//
//	snnsim-bus 1
//	# comment
//	@ key value…                 metadata (board, seed, network, …)
//	spi W R                      one SPI transaction (W and R of equal length)
//	i2c ADDR W R [! error…]      one I2C transaction; R is "-" for a write
//
// A byte string is "-" (empty) or dot-separated runs: hex digits, or HH*N for N copies
// of byte HH (long idle runs stay short). A file whose name ends in .gz is gzipped.

// SessionMagic is the first line of a session file.
const SessionMagic = "snnsim-bus 1"

// Bus names.
const (
	BusSPI = "spi"
	BusI2C = "i2c"
)

// BusOp is one recorded transaction.
type BusOp struct {
	Bus  string // BusSPI or BusI2C
	Addr uint16 // I2C address
	W, R []byte
	Err  string // the transaction failed with this error ("" if it did not)
}

// Session is a recorded bus session.
type Session struct {
	Meta [][2]string // key, value in order
	Ops  []BusOp
}

// Get returns the metadata value of key ("" if absent).
func (s *Session) Get(key string) string {
	for _, kv := range s.Meta {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// Set sets the metadata value of key.
func (s *Session) Set(key, value string) {
	for i, kv := range s.Meta {
		if kv[0] == key {
			s.Meta[i][1] = value
			return
		}
	}
	s.Meta = append(s.Meta, [2]string{key, value})
}

// Limits of the session reader (it never trusts sizes in the file).
const (
	maxSessionBytes = 1 << 16 // one byte string
	maxSessionOps   = 1 << 22
)

// ParseSession reads a session file's text.
func ParseSession(data []byte) (*Session, error) {
	s := &Session{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 4*maxSessionBytes+1024)
	line := 0
	errf := func(format string, args ...any) error {
		return fmt.Errorf("hw: session line %d: %s", line, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), " \t\r")
		if line == 1 {
			if text != SessionMagic {
				return nil, errf("not a bus session (want %q first)", SessionMagic)
			}
			continue
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue // other white space (a form feed, a vertical tab)
		}
		switch f[0] {
		case "@":
			if len(f) < 2 {
				return nil, errf("metadata line without a key")
			}
			s.Meta = append(s.Meta, [2]string{f[1], strings.Join(f[2:], " ")})
		case BusSPI:
			if len(f) != 3 {
				return nil, errf("spi wants 2 byte strings, got %d fields", len(f)-1)
			}
			w, err := parseBytes(f[1])
			if err != nil {
				return nil, errf("spi write: %v", err)
			}
			r, err := parseBytes(f[2])
			if err != nil {
				return nil, errf("spi read: %v", err)
			}
			if len(w) != len(r) {
				return nil, errf("spi transaction of %d bytes written and %d read; full duplex needs equal lengths", len(w), len(r))
			}
			s.Ops = append(s.Ops, BusOp{Bus: BusSPI, W: w, R: r})
		case BusI2C:
			if len(f) < 4 {
				return nil, errf("i2c wants an address and 2 byte strings")
			}
			a, err := strconv.ParseUint(f[1], 16, 16)
			if err != nil || a > 0x3FF {
				return nil, errf("i2c address %q is not a hex address", f[1])
			}
			w, err := parseBytes(f[2])
			if err != nil {
				return nil, errf("i2c write: %v", err)
			}
			r, err := parseBytes(f[3])
			if err != nil {
				return nil, errf("i2c read: %v", err)
			}
			op := BusOp{Bus: BusI2C, Addr: uint16(a), W: w, R: r}
			if len(f) > 4 {
				if f[4] != "!" || len(f) == 5 {
					return nil, errf("i2c: after the byte strings only \"! error text\" may follow")
				}
				op.Err = strings.Join(f[5:], " ")
			}
			s.Ops = append(s.Ops, op)
		default:
			return nil, errf("unknown record %q (want @, spi or i2c)", f[0])
		}
		if len(s.Ops) > maxSessionOps {
			return nil, errf("more than %d transactions", maxSessionOps)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hw: session line %d: %w", line+1, err)
	}
	if line == 0 {
		return nil, errors.New("hw: session: empty file")
	}
	return s, nil
}

func parseBytes(s string) ([]byte, error) {
	if s == "-" {
		return nil, nil
	}
	var out []byte
	for _, tok := range strings.Split(s, ".") {
		if h, n, ok := strings.Cut(tok, "*"); ok {
			if len(h) != 2 {
				return nil, fmt.Errorf("run %q: want HH*N", tok)
			}
			b, err := hex.DecodeString(h)
			if err != nil {
				return nil, fmt.Errorf("run %q: %v", tok, err)
			}
			k, err := strconv.Atoi(n)
			if err != nil || k < 1 || k > maxSessionBytes-len(out) {
				return nil, fmt.Errorf("run %q: count must be 1..%d", tok, maxSessionBytes-len(out))
			}
			out = append(out, bytes.Repeat(b, k)...)
			continue
		}
		if tok == "" || len(tok)%2 != 0 {
			return nil, fmt.Errorf("%q is not an even number of hex digits", tok)
		}
		if len(out)+len(tok)/2 > maxSessionBytes {
			return nil, fmt.Errorf("byte string longer than %d", maxSessionBytes)
		}
		b, err := hex.DecodeString(tok)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func formatBytes(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	var sb strings.Builder
	lit := 0 // start of the pending literal run
	flush := func(end int) {
		if end > lit {
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(hex.EncodeToString(b[lit:end]))
		}
	}
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] == b[i] {
			j++
		}
		if j-i >= 6 {
			flush(i)
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			fmt.Fprintf(&sb, "%02x*%d", b[i], j-i)
			lit = j
		}
		i = j
	}
	flush(len(b))
	return sb.String()
}

// Marshal returns the session file's text.
func (s *Session) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(SessionMagic + "\n")
	for _, kv := range s.Meta {
		fmt.Fprintf(&b, "@ %s %s\n", kv[0], strings.ReplaceAll(kv[1], "\n", " "))
	}
	for _, op := range s.Ops {
		switch op.Bus {
		case BusSPI:
			fmt.Fprintf(&b, "spi %s %s\n", formatBytes(op.W), formatBytes(op.R))
		default:
			fmt.Fprintf(&b, "i2c %x %s %s", op.Addr, formatBytes(op.W), formatBytes(op.R))
			if op.Err != "" {
				fmt.Fprintf(&b, " ! %s", strings.Join(strings.Fields(op.Err), " "))
			}
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// ReadSessionFile reads a session file (gzipped when the name ends in .gz).
func ReadSessionFile(path string) (*Session, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hw: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("hw: %s: %w", path, err)
		}
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("hw: %s: %w", path, err)
	}
	s, err := ParseSession(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return s, nil
}

// WriteFile writes the session atomically (gzipped when the name ends in .gz).
func (s *Session) WriteFile(path string) (err error) {
	data := s.Marshal()
	if strings.HasSuffix(path, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(data)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("hw: %w", err)
		}
		data = b.Bytes()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".session-*")
	if err != nil {
		return fmt.Errorf("hw: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("hw: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("hw: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("hw: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("hw: %w", err)
	}
	return nil
}

// SPIPlayback returns a periph spitest.Playback of the session's SPI transactions (the
// session must have no failed SPI transaction). Connect it, drive it, and Close it to
// check that every transaction was used.
func (s *Session) SPIPlayback() *spitest.Playback {
	p := &spitest.Playback{}
	p.D = conn.Full
	p.DontPanic = true
	for _, op := range s.Ops {
		if op.Bus == BusSPI {
			p.Ops = append(p.Ops, conntest.IO{W: op.W, R: op.R})
		}
	}
	return p
}

// I2CPlayback returns a periph i2ctest.Playback of the session's I2C transactions. It
// cannot replay failed transactions; use a [Player] for sessions that have some.
func (s *Session) I2CPlayback() *i2ctest.Playback {
	p := &i2ctest.Playback{DontPanic: true}
	for _, op := range s.Ops {
		if op.Bus == BusI2C {
			p.Ops = append(p.Ops, i2ctest.IO{Addr: op.Addr, W: op.W, R: op.R})
		}
	}
	return p
}

// Recorder records every transaction through the connections it wraps, in order across
// both buses.
type Recorder struct {
	mu sync.Mutex
	s  Session
}

// Session returns a copy of what was recorded.
func (r *Recorder) Session() *Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &Session{Meta: append([][2]string(nil), r.s.Meta...), Ops: append([]BusOp(nil), r.s.Ops...)}
	return s
}

// Set records a metadata entry.
func (r *Recorder) Set(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Set(key, value)
}

func (r *Recorder) add(op BusOp) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Ops = append(r.s.Ops, op)
}

// Conn wraps an SPI connection (its MaxTxSize, when it has one, is kept).
func (r *Recorder) Conn(c conn.Conn) conn.Conn { return &recConn{rec: r, c: c} }

// Bus wraps an I2C bus.
func (r *Recorder) Bus(b i2c.Bus) i2c.Bus { return &recBus{rec: r, b: b} }

type recConn struct {
	rec *Recorder
	c   conn.Conn
}

func (c *recConn) String() string      { return "record(" + c.c.String() + ")" }
func (c *recConn) Duplex() conn.Duplex { return c.c.Duplex() }
func (c *recConn) MaxTxSize() int {
	if l, ok := c.c.(conn.Limits); ok {
		return l.MaxTxSize()
	}
	return 0
}

func (c *recConn) Tx(w, r []byte) error {
	err := c.c.Tx(w, r)
	op := BusOp{Bus: BusSPI, W: bytes.Clone(w), R: bytes.Clone(r)}
	if err != nil {
		// A failed SPI transfer has no meaningful read data; keep the lengths equal.
		op.R = make([]byte, len(w))
	}
	c.rec.add(op)
	return err
}

type recBus struct {
	rec *Recorder
	b   i2c.Bus
}

func (b *recBus) String() string                    { return "record(" + b.b.String() + ")" }
func (b *recBus) SetSpeed(f physic.Frequency) error { return b.b.SetSpeed(f) }

func (b *recBus) Tx(addr uint16, w, r []byte) error {
	err := b.b.Tx(addr, w, r)
	op := BusOp{Bus: BusI2C, Addr: addr, W: bytes.Clone(w), R: bytes.Clone(r)}
	if err != nil {
		op.Err = err.Error()
		op.R = make([]byte, len(r))
	}
	b.rec.add(op)
	return err
}

// Player plays a session back as an SPI connection and an I2C bus, checking that the
// transactions come in the recorded order across both buses with the recorded write
// bytes; recorded failures are returned as errors.
type Player struct {
	mu    sync.Mutex
	s     *Session
	pos   int
	maxTx int
	err   error
}

// NewPlayer returns a player of s. maxTx is the SPI MaxTxSize to report (0: none).
func NewPlayer(s *Session, maxTx int) *Player { return &Player{s: s, maxTx: maxTx} }

// Conn returns the SPI side.
func (p *Player) Conn() conn.Conn { return &playConn{p} }

// Bus returns the I2C side.
func (p *Player) Bus() i2c.Bus { return &playBus{p} }

// Close reports the first mismatch, or an error if transactions were left unused.
func (p *Player) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.pos != len(p.s.Ops) {
		return fmt.Errorf("hw: playback: %d of %d transactions used", p.pos, len(p.s.Ops))
	}
	return nil
}

func (p *Player) next(bus string, addr uint16, w, r []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	fail := func(format string, args ...any) error {
		p.err = fmt.Errorf("hw: playback transaction %d: %s", p.pos, fmt.Sprintf(format, args...))
		return p.err
	}
	if p.pos >= len(p.s.Ops) {
		return fail("unexpected %s transaction after the end of the session (wrote % x)", bus, w)
	}
	op := p.s.Ops[p.pos]
	switch {
	case op.Bus != bus:
		return fail("%s transaction where the session has %s", bus, op.Bus)
	case bus == BusI2C && op.Addr != addr:
		return fail("i2c address %#x, recorded %#x", addr, op.Addr)
	case !bytes.Equal(op.W, w):
		return fail("%s wrote % x, recorded % x", bus, w, op.W)
	case len(op.R) != len(r):
		return fail("%s reads %d bytes, recorded %d", bus, len(r), len(op.R))
	}
	p.pos++
	copy(r, op.R)
	if op.Err != "" {
		return fmt.Errorf("hw: playback: recorded error: %s", op.Err)
	}
	return nil
}

type playConn struct{ p *Player }

func (c *playConn) String() string       { return "playback-spi" }
func (c *playConn) Duplex() conn.Duplex  { return conn.Full }
func (c *playConn) Tx(w, r []byte) error { return c.p.next(BusSPI, 0, w, r) }
func (c *playConn) MaxTxSize() int       { return c.p.maxTx }
func (c *playConn) TxPackets(p []spi.Packet) error {
	return errors.New("hw: playback: TxPackets not supported")
}

type playBus struct{ p *Player }

func (b *playBus) String() string                    { return "playback-i2c" }
func (b *playBus) SetSpeed(physic.Frequency) error   { return nil }
func (b *playBus) Tx(addr uint16, w, r []byte) error { return b.p.next(BusI2C, addr, w, r) }
