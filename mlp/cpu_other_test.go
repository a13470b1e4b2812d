//go:build !unix

package mlp

import "testing"

type cpuTimer struct{}

func startCPU() cpuTimer                        { return cpuTimer{} }
func (cpuTimer) report(*testing.B, int, string) {}
