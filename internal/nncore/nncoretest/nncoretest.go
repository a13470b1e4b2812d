// Package nncoretest holds the checks that every model kind built on nncore's file
// container (cnn, rnn, gnn) runs in its tests.
package nncoretest

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Golden compares encoded (a model file's bytes) with the golden file at path, which is
// rewritten first when update is set (go test -update), and checks that decoding the
// golden bytes and encoding them again (reencode) reproduces them exactly.
func Golden(t *testing.T, path string, update bool, encoded []byte, reencode func([]byte) ([]byte, error)) {
	t.Helper()
	if update {
		require.NoError(t, os.WriteFile(path, encoded, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, encoded), "encoding changed; rerun with -update only with a format version bump")
	again, err := reencode(want)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, again), "decode then encode must be stable")
}
