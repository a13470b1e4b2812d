// Package proto is the wire protocol between a host and an snnsim board, version 1.0
// (docs/hardware.md is the specification; this package is its executable form).
//
// # SPI frames
//
// One frame per chip-select transaction, SPI mode 0, at most [MaxTx] bytes. The host
// clocks out a request, [Gap] turnaround bytes and room for the response; the board
// answers in the same transaction:
//
//	MOSI: [op][seq][len u16][payload][crc16] 00 00 00 …                  00
//	MISO:  FF  FF   FF  FF   FF…      FF  FF FF FF [op|0x80][seq][len u16][status u32][data][crc16] FF…
//
// Multi-byte fields are little-endian except the CRC-16/CCITT-FALSE ([CRC16]), which is
// big-endian so that the CRC over a whole frame is 0. [AppendRequest] / [DecodeRequest]
// and [AppendResponse] / [DecodeResponse] encode and check frames; the Append* and
// Parse* functions build and read each opcode's payload. A retried request (same seq
// and CRC as the last executed one) is answered from the board's stored response, so
// every request is executed at most once; seq 0 is never deduplicated.
//
// # Events, registers, memories, I2C
//
// [Event] is the 32-bit AER word (SPIKE, TIME, STATE). [Reg] and [Registers] are the
// 16-bit register map; the Mem* constants and [Regions] the memory map, with
// [EncodeParams] for the neuron parameter word. [I2CWrite], [I2CReadRequest] and
// [DecodeI2CRead] are the I2C register mirror, protected by a CRC-8 ([CRC8]).
//
// Every decoder rejects malformed input with an error wrapping [ErrTruncated], [ErrCRC],
// [ErrMalformed] or [ErrNoAnswer]; none panics (each has a fuzz target).
package proto
