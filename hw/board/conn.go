package board

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/snnsim/snnsim/hw/proto"
)

// SPIPort is the board's SPI port as a periph spi.PortCloser.
type SPIPort struct {
	b         *Board
	connected bool
	limit     physic.Frequency
}

// SPI returns the board's SPI port.
func (b *Board) SPI() *SPIPort { return &SPIPort{b: b} }

func (p *SPIPort) String() string { return "emu-spi" }

// Close implements spi.PortCloser.
func (p *SPIPort) Close() error { return nil }

// LimitSpeed implements spi.PortCloser.
func (p *SPIPort) LimitSpeed(f physic.Frequency) error {
	p.limit = f
	return nil
}

// Connect implements spi.Port: the board speaks SPI mode 0, 8-bit words.
func (p *SPIPort) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	if p.connected {
		return nil, errors.New("board: spi: Connect called twice")
	}
	if mode != spi.Mode0 || bits != 8 {
		return nil, fmt.Errorf("board: spi: the board speaks mode 0 with 8-bit words, not %s with %d bits", mode, bits)
	}
	if f <= 0 {
		return nil, fmt.Errorf("board: spi: clock %s must be positive", f)
	}
	p.connected = true
	return &SPIConn{b: p.b, freq: f}, nil
}

// SPIConn is a connection to the board's SPI port: a periph spi.Conn (and conn.Limits).
type SPIConn struct {
	b    *Board
	freq physic.Frequency
}

// Conn returns an SPI connection to the board directly (mode 0, 10 MHz nominal).
func (b *Board) Conn() *SPIConn { return &SPIConn{b: b, freq: 10 * physic.MegaHertz} }

func (c *SPIConn) String() string { return fmt.Sprintf("emu-spi@%s", c.freq) }

// Tx implements conn.Conn: one chip-select transaction, full duplex.
func (c *SPIConn) Tx(w, r []byte) error { return c.b.Transact(w, r) }

// Duplex implements conn.Conn.
func (c *SPIConn) Duplex() conn.Duplex { return conn.Full }

// TxPackets implements spi.Conn but is refused: the protocol uses one plain Tx per
// frame (bridges such as the FT232H cannot keep chip select between packets).
func (c *SPIConn) TxPackets([]spi.Packet) error {
	return errors.New("board: spi: TxPackets is not supported; use one Tx per frame")
}

// MaxTxSize implements conn.Limits.
func (c *SPIConn) MaxTxSize() int { return c.b.cfg.MaxTx }

// I2CBus is the board's I2C bus as a periph i2c.BusCloser (one device: the register
// mirror).
type I2CBus struct{ b *Board }

// I2C returns the bus the board's register mirror sits on.
func (b *Board) I2C() *I2CBus { return &I2CBus{b: b} }

func (i *I2CBus) String() string { return "emu-i2c" }

// Close implements i2c.BusCloser.
func (i *I2CBus) Close() error { return nil }

// SetSpeed implements i2c.Bus.
func (i *I2CBus) SetSpeed(physic.Frequency) error { return nil }

// Tx implements i2c.Bus: a write (r empty) or a write, repeated start and read.
func (i *I2CBus) Tx(addr uint16, w, r []byte) error { return i.b.TransactI2C(addr, w, r) }

var (
	_ spi.PortCloser = (*SPIPort)(nil)
	_ spi.Conn       = (*SPIConn)(nil)
	_ conn.Limits    = (*SPIConn)(nil)
	_ i2c.BusCloser  = (*I2CBus)(nil)
)

// errNack is the error of a NACKed I2C transaction.
var errNack = errors.New("NACK")

// TransactI2C performs one I2C transaction with the register mirror.
func (b *Board) TransactI2C(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.I2CTransactions++
	f := &b.cfg.Faults
	if f.ResetRate > 0 && b.rng.Float64() < f.ResetRate {
		b.stats.Resets++
		b.powerOn()
	}
	if addr != b.cfg.I2CAddr {
		return fmt.Errorf("board: i2c: no device at %#x: %w", addr, errNack)
	}
	if b.cfg.Clock.Now().Before(b.stallUntil) {
		b.stats.Stalled++
		return errors.New("board: i2c: timeout: clock held low by a stalled board")
	}
	if f.NackRate > 0 && b.rng.Float64() < f.NackRate {
		b.stats.Nacks++
		return fmt.Errorf("board: i2c: %w", errNack)
	}
	in := w
	if f.FlipRate > 0 {
		in = flips(b, w)
	}
	if len(r) == 0 {
		reg, vals, err := proto.ParseI2CWrite(b.cfg.I2CAddr, in)
		if err != nil {
			b.frameErrors = satInc(b.frameErrors)
			b.stats.FrameErrors++
			return fmt.Errorf("board: i2c: write refused: %w", errNack)
		}
		if err := b.writeRegs(reg, vals); err != nil {
			b.frameErrors = satInc(b.frameErrors)
			b.stats.FrameErrors++
			return fmt.Errorf("board: i2c: write to %s refused (%v): %w", reg, err, errNack)
		}
		b.stats.Executed++
		if string(in) != string(w) {
			b.stats.ExecutedCorrupted++
		}
		return nil
	}
	reg, n, err := proto.ParseI2CReadRequest(in)
	if err != nil {
		return fmt.Errorf("board: i2c: read request refused: %w", errNack)
	}
	vals, err := b.readRegs(reg, n)
	if err != nil {
		return fmt.Errorf("board: i2c: read of %s refused: %w", reg, errNack)
	}
	resp := proto.I2CReadResponse(b.cfg.I2CAddr, in, vals)
	for k := range r {
		r[k] = 0xFF // released SDA
	}
	copy(r, resp)
	if f.FlipRate > 0 {
		copy(r, flips(b, r))
	}
	return nil
}

// flips returns a copy of p with bit flips at the fault rate.
func flips(b *Board, p []byte) []byte {
	f := Faults{FlipRate: b.cfg.Faults.FlipRate}
	out := mangle(b.rng, &f, nil, p, 0xFF)
	if string(out) != string(p) {
		b.stats.I2CCorrupted++
	}
	return out
}
