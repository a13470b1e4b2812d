package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"periph.io/x/conn/v3/physic"

	"github.com/snnsim/snnsim/hw"
	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
)

// freqFlag makes a physic.Frequency a flag ("10MHz", "500kHz").
type freqFlag struct{ f *physic.Frequency }

func (v freqFlag) String() string     { return v.f.String() }
func (v freqFlag) Set(s string) error { return v.f.Set(s) }
func (v freqFlag) Type() string       { return "frequency" }

var _ pflag.Value = freqFlag{}

// boardOpts are the flags every board command shares.
type boardOpts struct {
	board  string
	clock  physic.Frequency
	faults string
}

func (o *boardOpts) register(f *pflag.FlagSet) {
	o.clock = 10 * physic.MegaHertz
	f.StringVar(&o.board, "board", "emu", "board: emu[,i2c] | spidev:/dev/spidevB.C[,i2c:/dev/i2c-N@ADDR] | ft232h[:N]")
	f.Var(freqFlag{&o.clock}, "spi-clock", "SPI clock (mode 0), e.g. 10MHz")
	f.StringVar(&o.faults, "faults", "", "emu only: fault injection, e.g. flip=1e-3,drop=1e-4,dup=1e-4,stall=1e-3,busy=1e-3,nack=1e-3,reset=1e-5,seed=1")
}

// parseFaults parses the --faults list.
func parseFaults(s string) (board.Faults, error) {
	var f board.Faults
	err := parseSeededList(s, "faults", "a rate in [0, 1]", 1, &f.Seed, func(k string, x float64) bool {
		switch k {
		case "flip":
			f.FlipRate = x
		case "drop":
			f.DropRate = x
		case "dup":
			f.DupRate = x
		case "stall":
			f.StallRate = x
		case "busy":
			f.BusyRate = x
		case "nack":
			f.NackRate = x
		case "reset":
			f.ResetRate = x
		default:
			return false
		}
		return true
	}, "flip, drop, dup, stall, busy, nack, reset, seed")
	return f, err
}

// parseSeededList parses a "key=value,..." list of the board flags (--faults,
// --mismatch): seed=N sets *seed, every other value must be a number in [0, max]
// (described by want) and goes to set, which reports whether it knows the key. what
// prefixes the errors; keys lists the known keys for the error of an unknown one.
func parseSeededList(s, what, want string, max float64, seed *uint64, set func(k string, x float64) bool, keys string) error {
	if s == "" {
		return nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%s: %q is not key=value", what, kv)
		}
		if k == "seed" {
			n, err := strconv.ParseUint(v, 0, 64)
			if err != nil {
				return fmt.Errorf("%s: seed %q: %w", what, v, err)
			}
			*seed = n
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x > max {
			return fmt.Errorf("%s: %s=%q: want %s", what, k, v, want)
		}
		if !set(k, x) {
			return fmt.Errorf("%s: unknown key %q (%s)", what, k, keys)
		}
	}
	return nil
}

func (o *boardOpts) open(cmd *cobra.Command, a *App, rec *hw.Recorder) (*hw.Board, error) {
	faults, err := parseFaults(o.faults)
	if err != nil {
		return nil, badInput(err)
	}
	if _, err := hw.ParseTarget(o.board); err != nil {
		return nil, badInput(err)
	}
	if o.faults != "" && !strings.HasPrefix(o.board, "emu") {
		return nil, badInput(fmt.Errorf("--faults works with --board emu only"))
	}
	b, _, err := hw.Open(cmd.Context(), o.board, hw.OpenOptions{SPIClock: o.clock, Record: rec,
		Emu: board.Config{Faults: faults}, Options: hw.Options{Log: a.Log}})
	return b, err
}

func newBoardCmd(a *App) *cobra.Command {
	o := &boardOpts{}
	c := &cobra.Command{
		Use:   "board info|reset|peek|poke",
		Short: "Talk to a board: identity, reset, registers and memory",
		Long: `board talks to an snnsim board over SPI (and I2C for registers when given) with
the protocol of docs/hardware.md. --board emu is the software board (a fresh one per
command); spidev:/dev/spidev0.0[,i2c:/dev/i2c-1@0x42] a board on Linux.`,
	}
	o.register(c.PersistentFlags())
	c.AddCommand(&cobra.Command{
		Use:   "info",
		Short: "Print the board's identity, capabilities and registers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := o.open(cmd, a, nil)
			if err != nil {
				return err
			}
			defer b.Close()
			fmt.Fprintf(a.Out, "%s on %s\n", b.Info(), b)
			for _, ri := range proto.Registers() {
				v, err := b.ReadReg(cmd.Context(), ri.Reg)
				if err != nil {
					return err
				}
				extra := ""
				if ri.Reg == proto.RegStatus {
					extra = "  " + proto.Status(v).String()
				}
				fmt.Fprintf(a.Out, "%-13s 0x%04x %-5s 0x%08x%s\n", ri.Name, uint16(ri.Reg), ri.Access, v, extra)
			}
			return nil
		},
	})
	var soft bool
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Clear the neuron state, FIFO and tick (RESET_STATE), or --soft: everything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := o.open(cmd, a, nil)
			if err != nil {
				return err
			}
			defer b.Close()
			if soft {
				if err := b.WriteRegs(cmd.Context(), proto.RegControl, proto.CtlSoftReset); err != nil {
					return err
				}
				fmt.Fprintln(a.Out, "soft reset: registers and memories back to power-on values")
				return nil
			}
			if err := b.ResetState(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(a.Out, "state reset: neuron state, accumulators, FIFO and tick cleared; PRNG reseeded")
			return nil
		},
	}
	reset.Flags().BoolVar(&soft, "soft", false, "soft reset (CONTROL.SOFT_RESET): configuration lost")
	c.AddCommand(reset)

	var memAddr string
	var memLen int
	peek := &cobra.Command{
		Use:   "peek REG... | peek --mem ADDR --len N",
		Short: "Read registers (by name or address) or memory",
		Example: `  snnsim board peek STATUS TICK PRNG
  snnsim board peek --mem 0x21000 --len 16`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (memAddr == "") == (len(args) == 0) {
				return badInput(fmt.Errorf("board peek: name registers or give --mem"))
			}
			var regs []proto.Reg
			for _, s := range args {
				r, err := proto.ParseReg(s)
				if err != nil {
					return badInput(err)
				}
				regs = append(regs, r)
			}
			var addr uint64
			if memAddr != "" {
				var err error
				if addr, err = strconv.ParseUint(memAddr, 0, 32); err != nil {
					return badInput(fmt.Errorf("board peek: --mem %q: %w", memAddr, err))
				}
				if _, ok := proto.RegionOf(uint32(addr), memLen); !ok || memLen < 1 {
					return badInput(fmt.Errorf("board peek: %d bytes at %#x are not inside one memory region", memLen, addr))
				}
			}
			b, err := o.open(cmd, a, nil)
			if err != nil {
				return err
			}
			defer b.Close()
			for _, r := range regs {
				v, err := b.ReadReg(cmd.Context(), r)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.Out, "%s (0x%04x) = 0x%08x (%d)\n", r, uint16(r), v, v)
			}
			if memAddr != "" {
				data, err := b.ReadMem(cmd.Context(), uint32(addr), memLen)
				if err != nil {
					return err
				}
				fmt.Fprint(a.Out, hex.Dump(data))
			}
			return nil
		},
	}
	peek.Flags().StringVar(&memAddr, "mem", "", "memory address to read (docs/hardware.md §3)")
	peek.Flags().IntVar(&memLen, "len", 16, "bytes of memory to read")
	c.AddCommand(peek)

	var pokeMem string
	poke := &cobra.Command{
		Use:   "poke REG VALUE | poke --mem ADDR HEXBYTES",
		Short: "Write a register or memory",
		Example: `  snnsim board poke SCRATCH 0x1234
  snnsim board poke --mem 0x24000 0102`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pokeMem != "" {
				if len(args) != 1 {
					return badInput(fmt.Errorf("board poke --mem ADDR HEXBYTES"))
				}
				addr, err := strconv.ParseUint(pokeMem, 0, 32)
				if err != nil {
					return badInput(fmt.Errorf("board poke: --mem %q: %w", pokeMem, err))
				}
				data, err := hex.DecodeString(args[0])
				if err != nil || len(data) == 0 {
					return badInput(fmt.Errorf("board poke: %q is not hex bytes", args[0]))
				}
				if _, ok := proto.RegionOf(uint32(addr), len(data)); !ok {
					return badInput(fmt.Errorf("board poke: %d bytes at %#x are not inside one memory region", len(data), addr))
				}
				b, err := o.open(cmd, a, nil)
				if err != nil {
					return err
				}
				defer b.Close()
				if err := b.WriteMem(cmd.Context(), uint32(addr), data); err != nil {
					return err
				}
				fmt.Fprintf(a.Out, "wrote %d bytes at %#x\n", len(data), addr)
				return nil
			}
			if len(args) != 2 {
				return badInput(fmt.Errorf("board poke REG VALUE"))
			}
			r, err := proto.ParseReg(args[0])
			if err != nil {
				return badInput(err)
			}
			v, err := strconv.ParseUint(args[1], 0, 32)
			if err != nil {
				return badInput(fmt.Errorf("board poke: value %q: %w", args[1], err))
			}
			b, err := o.open(cmd, a, nil)
			if err != nil {
				return err
			}
			defer b.Close()
			if err := b.WriteRegs(cmd.Context(), r, uint32(v)); err != nil {
				return err
			}
			back, err := b.ReadReg(cmd.Context(), r)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "%s (0x%04x) = 0x%08x\n", r, uint16(r), back)
			return nil
		},
	}
	poke.Flags().StringVar(&pokeMem, "mem", "", "memory address to write")
	c.AddCommand(poke)
	return c
}
