// Package board is a software snnsim board: the fixed-point core, its memories and
// registers, the SPI frame protocol and the I2C register mirror of docs/hardware.md,
// behind periph's interfaces (spi.PortCloser / spi.Conn with conn.Limits, and
// i2c.BusCloser), so that the driver in package hw and every test run without hardware.
//
// # The core
//
// The datapath in core.go is written from the specification against the byte images the
// host writes into the memories; it shares no code with package neuron or sim, so that
// the bit-exactness property tests compare two independent implementations.
//
// # Faults
//
// [Faults] injects bit flips, dropped and duplicated bytes (both directions), stalls
// (no answer for a while, measured on a [Clock]), BUSY answers, I2C NACKs and
// spontaneous resets, from a seeded stream. [Stats] counts them, and counts the
// requests executed although corrupted (ExecutedCorrupted), which must stay zero.
//
// # Non-ideality
//
// [NonIdeal] (Config.NonIdeal) makes the core imperfect on purpose, as an analog or
// mismatched chip would be: a fixed per-neuron threshold (and reset) mismatch, a fixed
// per-synapse gain mismatch and Gaussian weight read noise, all seeded and repeatable.
// The host's bit-exact mirror then no longer predicts the board; hw/deploy uses it for
// the mismatch experiment of chip-in-the-loop training (docs/deploy.md).
package board
