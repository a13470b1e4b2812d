//go:build !ftdi

package hw

import (
	"errors"

	"periph.io/x/conn/v3/spi"
)

// FT232HSupported reports whether this binary can drive FT232H USB bridges.
const FT232HSupported = false

func openFT232H(int) (spi.PortCloser, error) {
	return nil, errors.New("hw: FT232H support is not built in; rebuild with -tags ftdi (periph.io/x/host/v3/ftdi, needs cgo and the D2XX driver)")
}
