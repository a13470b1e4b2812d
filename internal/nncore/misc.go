package nncore

import (
	"fmt"
	"math/rand/v2"
)

func errorf(pkg, format string, args ...any) error {
	return fmt.Errorf("%s: %s", pkg, fmt.Sprintf(format, args...))
}

func newRand(s1, s2 uint64) *rand.Rand { return rand.New(rand.NewPCG(s1, s2)) }
