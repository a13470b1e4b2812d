//go:build ftdi

package hw

import (
	"fmt"

	"periph.io/x/conn/v3/spi"
	"periph.io/x/host/v3/ftdi"
)

// FT232HSupported reports whether this binary can drive FT232H USB bridges.
const FT232HSupported = true

// openFT232H opens the MPSSE SPI port of the idx-th FT232H (after host.Init, which
// registers the ftdi driver once this file imports it). The FT232H cannot keep chip
// select between packets; the protocol uses one plain Tx per frame.
func openFT232H(idx int) (spi.PortCloser, error) {
	var hs []*ftdi.FT232H
	for _, d := range ftdi.All() {
		if h, ok := d.(*ftdi.FT232H); ok {
			hs = append(hs, h)
		}
	}
	if idx < 0 || idx >= len(hs) {
		return nil, fmt.Errorf("hw: FT232H #%d not found (%d present)", idx, len(hs))
	}
	return hs[idx].SPI()
}
