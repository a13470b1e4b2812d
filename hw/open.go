package hw

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
)

// Target is a parsed board specification (the --board flag):
//
//	emu[,i2c]                                   the software board (registers over its I2C mirror with ",i2c")
//	spidev:/dev/spidev0.0[,i2c:/dev/i2c-1@0x42] a board on Linux spidev (and i2c-dev)
//	ft232h[:N]                                  a board on the N-th FT232H (build tag ftdi)
type Target struct {
	Kind    string // "emu", "spidev" or "ft232h"
	SPI     string // spidev path or FT232H index
	I2C     string // i2c bus path ("" = registers over SPI; "emu" for the emulator's mirror)
	I2CAddr uint16
}

// ParseTarget parses a board specification.
func ParseTarget(spec string) (Target, error) {
	parts := strings.Split(spec, ",")
	t := Target{I2CAddr: proto.I2CDefaultAddr}
	kind, arg, _ := strings.Cut(parts[0], ":")
	switch kind {
	case "emu":
		if arg != "" {
			return t, fmt.Errorf("hw: board %q: emu takes no argument", spec)
		}
	case "spidev":
		if arg == "" {
			return t, fmt.Errorf("hw: board %q: spidev needs a device, e.g. spidev:/dev/spidev0.0", spec)
		}
	case "ft232h":
		if arg == "" {
			arg = "0"
		}
		if _, err := strconv.Atoi(arg); err != nil {
			return t, fmt.Errorf("hw: board %q: ft232h takes a device index", spec)
		}
	default:
		return t, fmt.Errorf("hw: board %q: want emu, spidev:DEVICE or ft232h[:N]", spec)
	}
	t.Kind, t.SPI = kind, arg
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, ":")
		if k != "i2c" || t.I2C != "" {
			return t, fmt.Errorf("hw: board %q: unexpected %q (want one i2c:BUS[@ADDR])", spec, p)
		}
		if kind == "emu" {
			if v != "" {
				return t, fmt.Errorf("hw: board %q: the emulator's I2C mirror is plain \"i2c\"", spec)
			}
			t.I2C = "emu"
			continue
		}
		if kind == "ft232h" {
			return t, fmt.Errorf("hw: board %q: use the FT232H for SPI only", spec)
		}
		bus, addr, hasAddr := strings.Cut(v, "@")
		if bus == "" {
			return t, fmt.Errorf("hw: board %q: i2c needs a bus, e.g. i2c:/dev/i2c-1@0x42", spec)
		}
		if hasAddr {
			a, err := strconv.ParseUint(addr, 0, 7)
			if err != nil {
				return t, fmt.Errorf("hw: board %q: i2c address %q is not a 7-bit number", spec, addr)
			}
			t.I2CAddr = uint16(a)
		}
		t.I2C = bus
	}
	return t, nil
}

// OpenOptions configure [Open].
type OpenOptions struct {
	Options
	// SPIClock is the SPI clock (default 10 MHz).
	SPIClock physic.Frequency
	// Emu configures the software board for "emu".
	Emu board.Config
	// Record, when set, records every transaction.
	Record *Recorder
}

// Open connects to the board named by spec (see [Target]). For "emu" it creates a
// software board; for hardware it initialises periph's host drivers (host.Init), opens
// the SPI port with spireg.Open, connects in mode 0 at o.SPIClock with 8-bit words and,
// when an I2C bus is named, opens it with i2creg.Open.
func Open(ctx context.Context, spec string, o OpenOptions) (*Board, *board.Board, error) {
	t, err := ParseTarget(spec)
	if err != nil {
		return nil, nil, err
	}
	if o.SPIClock == 0 {
		o.SPIClock = 10 * physic.MegaHertz
	}
	if o.SPIClock < physic.KiloHertz || o.SPIClock > 100*physic.MegaHertz {
		return nil, nil, fmt.Errorf("hw: SPI clock %s out of range [1kHz, 100MHz]", o.SPIClock)
	}
	var (
		emu     *board.Board
		port    spi.PortCloser
		bus     i2c.Bus
		closers []io.Closer
	)
	switch t.Kind {
	case "emu":
		emu = board.New(o.Emu)
		port = emu.SPI()
		if t.I2C != "" {
			bus = emu.I2C()
		}
	case "spidev", "ft232h":
		if _, err := host.Init(); err != nil {
			return nil, nil, fmt.Errorf("hw: periph host init: %w", err)
		}
		if t.Kind == "spidev" {
			port, err = spireg.Open(t.SPI)
		} else {
			idx, _ := strconv.Atoi(t.SPI)
			port, err = openFT232H(idx)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("hw: open SPI %s: %w", t.SPI, err)
		}
		closers = append(closers, port)
		if t.I2C != "" {
			bc, err := i2creg.Open(t.I2C)
			if err != nil {
				port.Close()
				return nil, nil, fmt.Errorf("hw: open I2C %s: %w", t.I2C, err)
			}
			bus = bc
			closers = append(closers, bc)
		}
	}
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	sc, err := port.Connect(o.SPIClock, spi.Mode0, 8)
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("hw: connect SPI %s (mode 0, %s): %w", port, o.SPIClock, err)
	}
	var c conn.Conn = sc
	if o.Record != nil {
		o.Record.Set("board", spec)
		o.Record.Set("spi-clock", o.SPIClock.String())
		c = o.Record.Conn(c)
		if bus != nil {
			bus = o.Record.Bus(bus)
		}
	}
	var dev *i2c.Dev
	if bus != nil {
		dev = &i2c.Dev{Bus: bus, Addr: t.I2CAddr}
	}
	b, err := New(ctx, c, dev, o.Options)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	if o.Record != nil {
		o.Record.Set("max-tx", strconv.Itoa(b.link.maxTx))
	}
	b.closers = closers
	return b, emu, nil
}
