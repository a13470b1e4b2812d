package proto

// CRC16 returns the CRC-16/CCITT-FALSE of b: polynomial 0x1021, initial value 0xFFFF,
// no reflection, no final XOR (check value: CRC16("123456789") = 0x29B1). Frames carry
// it big-endian, so the CRC of a frame including its CRC field is 0.
func CRC16(b []byte) uint16 { return UpdateCRC16(0xFFFF, b) }

// UpdateCRC16 continues a CRC-16/CCITT-FALSE computation from crc over b.
func UpdateCRC16(crc uint16, b []byte) uint16 {
	for _, x := range b {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^x]
	}
	return crc
}

// CRC8 returns the CRC-8 of b used on I2C (the SMBus packet error code): polynomial
// 0x07, initial value 0, no reflection (check value: CRC8("123456789") = 0xF4).
func CRC8(b []byte) uint8 { return UpdateCRC8(0, b) }

// UpdateCRC8 continues a CRC-8 computation from crc over b.
func UpdateCRC8(crc uint8, b []byte) uint8 {
	for _, x := range b {
		crc = crc8Table[crc^x]
	}
	return crc
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

var crc8Table = func() (t [256]uint8) {
	for i := range t {
		c := uint8(i)
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()
