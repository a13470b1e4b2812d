package snn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// dim is the physical dimension of a quantity in a network file.
type dim int

const (
	dimNone   dim = iota // a plain number (probabilities, conductance-based weights)
	dimTime              // stored in ms
	dimVolt              // stored in mV
	dimRate              // stored in Hz
	dimWeight            // mV, or a plain number: which one depends on the target model
)

// unitDef is one unit a quantity may be written in, and its factor to the internal unit.
type unitDef struct {
	sym    string
	d      dim
	factor float64
}

// units lists the accepted units. A suffix is matched longest first, so "ms" wins over "s".
var units = []unitDef{
	{"kHz", dimRate, 1000},
	{"Hz", dimRate, 1},
	{"ms", dimTime, 1},
	{"us", dimTime, 1e-3},
	{"µs", dimTime, 1e-3},
	{"μs", dimTime, 1e-3},
	{"s", dimTime, 1000},
	{"mV", dimVolt, 1},
	{"uV", dimVolt, 1e-3},
	{"µV", dimVolt, 1e-3},
	{"μV", dimVolt, 1e-3},
	{"V", dimVolt, 1000},
}

func (d dim) String() string {
	switch d {
	case dimTime:
		return "a time (s, ms, us)"
	case dimVolt:
		return "a voltage (V, mV, uV)"
	case dimRate:
		return "a rate (Hz, kHz)"
	case dimWeight:
		return "a weight (mV, or a plain number)"
	}
	return "a plain number"
}

// unitSym is the symbol of the internal unit of d, used when printing values.
func (d dim) unitSym() string {
	switch d {
	case dimTime:
		return "ms"
	case dimVolt:
		return "mV"
	case dimRate:
		return "Hz"
	}
	return ""
}

// parseQuantity reads s, a number optionally followed by a unit, as a quantity of
// dimension want. A bare number is in the internal unit (ms, mV, Hz). It returns the value in
// the internal unit and whether a unit was written. Non-finite values are rejected.
func parseQuantity(s string, want dim) (float64, bool, error) {
	t := strings.TrimSpace(s)
	num, u := t, unitDef{d: want, factor: 1}
	hasUnit := false
	for _, ud := range units {
		if strings.HasSuffix(t, ud.sym) {
			num, u, hasUnit = strings.TrimSpace(strings.TrimSuffix(t, ud.sym)), ud, true
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, false, fmt.Errorf("cannot read %q as %s", s, want)
	}
	if hasUnit {
		ok := u.d == want || (want == dimWeight && u.d == dimVolt)
		if !ok {
			return 0, false, fmt.Errorf("want %s, got unit %s in %q", want, u.sym, s)
		}
	}
	v *= u.factor
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Errorf("must be a finite number, got %q", s)
	}
	return v, hasUnit, nil
}

// fmtNum prints v so that strconv.ParseFloat reads back exactly v.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// fmtQ prints v in the internal unit of d, e.g. "-5ms"; weights to conductance-based targets
// and plain numbers have no unit.
func fmtQ(v float64, d dim) string { return fmtNum(v) + d.unitSym() }
