// Package hw connects snnsim to boards that run the fixed-point core of
// docs/hardware.md: the driver on periph's SPI and I2C interfaces, the programming of a
// [sim.FixedModel] into a board, recorded bus sessions and their replay.
//
// # Connecting
//
// [Open] takes a board specification — "emu" (the software board of package
// hw/board), "spidev:/dev/spidev0.0[,i2c:/dev/i2c-1@0x42]" (Linux; periph host.Init,
// spireg.Open, SPI mode 0 at a physic.Frequency clock, i2creg.Open) or "ft232h[:N]"
// (build tag ftdi). [New] takes any periph conn.Conn (and optional i2c.Dev) instead:
// a real port, the software board, or a playback.
//
// # The link
//
// [Link] sends one frame per SPI transaction with plain Tx (no TxPackets: FT232H bridges
// cannot keep chip select), never more than 4096 bytes nor the port's MaxTxSize. Every
// answer is checked (idle line, marker, length, CRC-16, echoed opcode and sequence
// number, ACK) and a frame is retried with exponential backoff until it succeeds, the
// attempts run out or its deadline passes. The board executes each request at most once
// and answers a retry from its stored response, so retries never repeat a TICK or an
// input. Errors say which frame or register failed and why: [FrameError], [RegError],
// and the sentinels [ErrTimeout], [ErrRejected], [ErrBoardReset], [ErrOverflow],
// [ErrProtocol], [ErrNotBoard]. Registers go over I2C (CRC-8, repeated-start reads)
// when a bus is given, else over SPI.
//
// # Running a model
//
// [Board.Program] writes a fixed-point model ([ImageOf] lays it out in memory);
// [Board.Step] sends a tick's input events, runs the tick and returns its output
// spikes, which are bit-identical to [sim.FixedRun.Step] (the property tests check
// spikes, currents, membranes and the PRNG at every tick on random models).
//
// # Sessions
//
// A [Recorder] wraps the connections and records every transaction into a [Session]
// (text file format in session.go). A session plays back through periph's
// spitest/i2ctest Playback ([Session.SPIPlayback], [Session.I2CPlayback]) or a [Player]
// (which also replays failed transactions and checks the order across buses), so that
// driver changes are tested against recorded traffic; [ReplayIntoSim] replays a session
// into the simulator and checks that the same inputs give the recorded outputs.
package hw
