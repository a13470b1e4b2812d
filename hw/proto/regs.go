package proto

import (
	"fmt"
	"strconv"
	"strings"
)

// Reg is a register address (a 16-bit space of 32-bit registers).
type Reg uint16

// The registers (docs/hardware.md §4).
const (
	RegID          Reg = 0x0000 // RO: BoardID
	RegVersion     Reg = 0x0001 // RO: protocol version, major<<16 | minor<<8 | patch
	RegCaps        Reg = 0x0002 // RO: max neurons (bits 0-15), max axons (16-31)
	RegCaps2       Reg = 0x0003 // RO: groups (0-7), log2 table entries (8-15), FIFO depth (16-31)
	RegMaxTx       Reg = 0x0004 // RO: largest SPI transaction in bytes
	RegFeatures    Reg = 0x0005 // RO: feature bits (FeatStochastic, …)
	RegControl     Reg = 0x0010 // RW: CtlRun; write-1 actions CtlResetState, CtlSoftReset
	RegStatus      Reg = 0x0011 // R/W1C: sticky StOverflow, StReset; FIFO level in bits 16-31
	RegNeurons     Reg = 0x0012 // RW: active neurons 0 … max
	RegAxons       Reg = 0x0013 // RW: active axons 0 … max
	RegSeed        Reg = 0x0014 // RW: xorshift32 seed, loaded by RESET_STATE (0 means 0x9E3779B9)
	RegPRNG        Reg = 0x0015 // RO: xorshift32 state
	RegTick        Reg = 0x0016 // RO: ticks completed since RESET_STATE (low 32 bits)
	RegTickPeriod  Reg = 0x0017 // RW: µs per tick when free-running (CtlRun)
	RegMonitor     Reg = 0x0018 // RW: neuron (0-15), variable (16), enable (31)
	RegLost        Reg = 0x0019 // RO: output events lost to a full FIFO since RESET_STATE
	RegCRCErrors   Reg = 0x001A // RO: requests refused for a CRC error (saturating)
	RegFrameErrors Reg = 0x001B // RO: requests refused as truncated or invalid (saturating)
	RegLastSeq     Reg = 0x001C // RO: seq of the last executed request with seq ≠ 0
	RegScratch     Reg = 0x001D // RW: free for link tests
	RegI2CAddr     Reg = 0x001E // RO: 7-bit I2C address of the register mirror
)

// Register values.
const (
	BoardID  = 0x534E4E31 // "SNN1"
	Version  = 0x00010000 // protocol 1.0.0
	VersionS = "1.0.0"

	CtlRun        = 1 << 0 // free-running ticks every TICK_PERIOD µs (FeatFreeRun)
	CtlResetState = 1 << 8 // write 1: as RESET_STATE
	CtlSoftReset  = 1 << 9 // write 1: back to power-on defaults (memories too); sets StReset

	FeatStochastic = 1 << 0 // sigmoid-table escape noise
	FeatMonitor    = 1 << 1 // STATE events from the MONITOR register
	FeatI2C        = 1 << 2 // I2C register mirror
	FeatFreeRun    = 1 << 3 // CtlRun and TICK_PERIOD

	MonEnable   = 1 << 31
	MonMembrane = 1 << 16
)

// Access says how a register may be accessed.
type Access uint8

// Register access kinds.
const (
	RO  Access = iota // read only: writes are rejected
	RW                // read and write
	W1C               // read; writing 1 to a sticky bit clears it
)

func (a Access) String() string { return [...]string{"RO", "RW", "R/W1C"}[a] }

// RegInfo documents one register.
type RegInfo struct {
	Reg    Reg
	Name   string
	Access Access
	Reset  string // power-on value
	Doc    string
}

// Registers returns the register map in address order.
func Registers() []RegInfo {
	return []RegInfo{
		{RegID, "ID", RO, "0x534E4E31", `board identifier "SNN1"`},
		{RegVersion, "VERSION", RO, "0x00010000", "protocol version major<<16 | minor<<8 | patch (1.0.0)"},
		{RegCaps, "CAPS", RO, "impl.", "max neurons (bits 0-15) | max axons (bits 16-31); each ≤ 256 in version 1"},
		{RegCaps2, "CAPS2", RO, "impl.", "groups (bits 0-7, 16) | log2 table entries (bits 8-15, 8) | output FIFO depth in events (bits 16-31, ≥ 1024)"},
		{RegMaxTx, "MAX_TX", RO, "4096", "largest SPI transaction the board accepts, bytes"},
		{RegFeatures, "FEATURES", RO, "impl.", "bit 0 stochastic firing, 1 state monitor, 2 I2C mirror, 3 free-running ticks"},
		{RegControl, "CONTROL", RW, "0", "bit 0 RUN (free-running, needs feature bit 3); write-1 actions, read as 0: bit 8 RESET_STATE, bit 9 SOFT_RESET"},
		{RegStatus, "STATUS", W1C, "0x00000040", "bit 5 OVERFLOW, bit 6 RESET (sticky, write 1 to clear); bits 16-31 FIFO level"},
		{RegNeurons, "NEURONS", RW, "0", "active neurons 0 … max: neurons 0 … NEURONS−1 are updated each tick"},
		{RegAxons, "AXONS", RW, "0", "active axons 0 … max: input events must name an axon below it"},
		{RegSeed, "SEED", RW, "1", "xorshift32 seed, loaded into the PRNG by RESET_STATE (0 loads 0x9E3779B9)"},
		{RegPRNG, "PRNG", RO, "1", "current xorshift32 state"},
		{RegTick, "TICK", RO, "0", "ticks completed since RESET_STATE, low 32 bits"},
		{RegTickPeriod, "TICK_PERIOD", RW, "1000", "µs per tick when free-running"},
		{RegMonitor, "MONITOR", RW, "0", "bits 0-15 neuron, bit 16 variable (0 current, 1 membrane), bit 31 enable: one STATE event per tick"},
		{RegLost, "LOST", RO, "0", "output events dropped because the FIFO was full, since RESET_STATE (saturating)"},
		{RegCRCErrors, "CRC_ERRORS", RO, "0", "requests refused for a CRC error (saturating)"},
		{RegFrameErrors, "FRAME_ERRORS", RO, "0", "requests refused as truncated or rejected (saturating)"},
		{RegLastSeq, "LAST_SEQ", RO, "0", "seq of the last executed request with seq ≠ 0"},
		{RegScratch, "SCRATCH", RW, "0", "free for link tests"},
		{RegI2CAddr, "I2C_ADDR", RO, "0x42", "7-bit address of the I2C register mirror"},
	}
}

// Info returns the description of r, and false for an unmapped address.
func (r Reg) Info() (RegInfo, bool) {
	for _, ri := range Registers() {
		if ri.Reg == r {
			return ri, true
		}
	}
	return RegInfo{}, false
}

func (r Reg) String() string {
	if ri, ok := r.Info(); ok {
		return ri.Name
	}
	return fmt.Sprintf("REG_0x%04X", uint16(r))
}

// ParseReg parses a register name (case-insensitive) or number (0x11, 17).
func ParseReg(s string) (Reg, error) {
	for _, ri := range Registers() {
		if strings.EqualFold(ri.Name, s) {
			return ri.Reg, nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil {
		return 0, fmt.Errorf("proto: %q is not a register name or a 16-bit address", s)
	}
	return Reg(v), nil
}
