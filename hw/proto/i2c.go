package proto

import (
	"encoding/binary"
	"fmt"
)

// I2C register mirror (docs/hardware.md §6). The board answers at a 7-bit address
// (I2C_ADDR, 0x42 by default) with the same registers as REG_READ / REG_WRITE:
//
//	write: S addr+W [reg u16 LE][value u32 LE]…[crc8] P
//	read:  S addr+W [reg u16 LE][count u8] Sr addr+R [value u32 LE]…[crc8] P
//
// The CRC-8 (SMBus PEC) covers every byte of the transaction including the address
// bytes (addr<<1 for the write part, addr<<1|1 for the read part). The board NACKs a
// write whose CRC is wrong or that names an unmapped or read-only register, writing
// nothing.

// I2CDefaultAddr is the power-on I2C address of the register mirror.
const I2CDefaultAddr = 0x42

// I2CMaxCount is the most registers one I2C transaction may read or write.
const I2CMaxCount = 16

// I2CWrite returns the bytes the host writes to set count consecutive registers from
// reg on the board at addr.
func I2CWrite(addr uint16, reg Reg, vals []uint32) []byte {
	w := binary.LittleEndian.AppendUint16(nil, uint16(reg))
	for _, v := range vals {
		w = binary.LittleEndian.AppendUint32(w, v)
	}
	return append(w, UpdateCRC8(CRC8([]byte{byte(addr << 1)}), w))
}

// ParseI2CWrite decodes a register write received by the board at addr and checks its
// CRC.
func ParseI2CWrite(addr uint16, w []byte) (Reg, []uint32, error) {
	if len(w) < 7 || (len(w)-3)%4 != 0 || (len(w)-3)/4 > I2CMaxCount {
		return 0, nil, fmt.Errorf("proto: i2c write of %d bytes, want 3+4k with 1 ≤ k ≤ %d: %w", len(w), I2CMaxCount, ErrMalformed)
	}
	body := w[:len(w)-1]
	if got, want := w[len(w)-1], UpdateCRC8(CRC8([]byte{byte(addr << 1)}), body); got != want {
		return 0, nil, fmt.Errorf("proto: i2c write: CRC-8 %02x, computed %02x: %w", got, want, ErrCRC)
	}
	vals := make([]uint32, (len(body)-2)/4)
	for i := range vals {
		vals[i] = binary.LittleEndian.Uint32(body[2+4*i:])
	}
	return Reg(binary.LittleEndian.Uint16(body)), vals, nil
}

// I2CReadRequest returns the bytes the host writes before the repeated start of a read
// of count registers from reg; the host then reads I2CReadLen(count) bytes.
func I2CReadRequest(reg Reg, count int) []byte {
	w := binary.LittleEndian.AppendUint16(nil, uint16(reg))
	return append(w, byte(count))
}

// I2CReadLen is the number of bytes read back for count registers.
func I2CReadLen(count int) int { return 4*count + 1 }

// ParseI2CReadRequest decodes the write part of a register read received by the board.
func ParseI2CReadRequest(w []byte) (Reg, int, error) {
	if len(w) != 3 {
		return 0, 0, fmt.Errorf("proto: i2c read request of %d bytes, want 3: %w", len(w), ErrMalformed)
	}
	n := int(w[2])
	if n < 1 || n > I2CMaxCount {
		return 0, 0, fmt.Errorf("proto: i2c read of %d registers, want 1..%d: %w", n, I2CMaxCount, ErrMalformed)
	}
	return Reg(binary.LittleEndian.Uint16(w)), n, nil
}

// I2CReadResponse returns the bytes the board at addr sends for the read request w.
func I2CReadResponse(addr uint16, w []byte, vals []uint32) []byte {
	r := make([]byte, 0, 4*len(vals)+1)
	for _, v := range vals {
		r = binary.LittleEndian.AppendUint32(r, v)
	}
	return append(r, i2cReadCRC(addr, w, r))
}

func i2cReadCRC(addr uint16, w, data []byte) uint8 {
	c := CRC8([]byte{byte(addr << 1)})
	c = UpdateCRC8(c, w)
	c = UpdateCRC8(c, []byte{byte(addr<<1 | 1)})
	return UpdateCRC8(c, data)
}

// DecodeI2CRead checks the bytes r read back from the board at addr for the read
// request w and returns the register values.
func DecodeI2CRead(addr uint16, w, r []byte) ([]uint32, error) {
	_, n, err := ParseI2CReadRequest(w)
	if err != nil {
		return nil, err
	}
	if len(r) != I2CReadLen(n) {
		return nil, fmt.Errorf("proto: i2c read of %d bytes, want %d: %w", len(r), I2CReadLen(n), ErrMalformed)
	}
	data := r[:len(r)-1]
	if got, want := r[len(r)-1], i2cReadCRC(addr, w, data); got != want {
		return nil, fmt.Errorf("proto: i2c read: CRC-8 %02x, computed %02x: %w", got, want, ErrCRC)
	}
	vals := make([]uint32, n)
	for i := range vals {
		vals[i] = binary.LittleEndian.Uint32(data[4*i:])
	}
	return vals, nil
}
