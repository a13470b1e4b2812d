//go:build unix

package mlp

import (
	"syscall"
	"testing"
)

// cpuTimer reports the process's CPU time per operation of a benchmark (the wall time of
// ns/op is unreliable on a machine shared with other jobs).
type cpuTimer struct{ t0 int64 }

func cpuNow() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() cpuTimer { return cpuTimer{cpuNow()} }

// report adds cpu-ns/op (per unit when units > 0 and name is set).
func (c cpuTimer) report(b *testing.B, per int, name string) {
	ns := float64(cpuNow()-c.t0) / float64(b.N)
	b.ReportMetric(ns, "cpu-ns/op")
	if per > 0 {
		b.ReportMetric(ns/float64(per), name)
	}
}
