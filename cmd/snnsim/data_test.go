package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dataRunCLI runs snnsim with args and returns its exit code, stdout and stderr.
func dataRunCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(t, err)
	defer out.Close()
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	require.NoError(t, err)
	defer errf.Close()
	code := run(context.Background(), args, os.Stdin, out, errf)
	o, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	e, err := os.ReadFile(errf.Name())
	require.NoError(t, err)
	return code, string(o), string(e)
}

func TestDataExitCodes(t *testing.T) {
	tiny := filepath.Join("..", "..", "dataset", "testdata", "mnist-tiny")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"list", []string{"data", "list"}, 0, "synthetic-nmnist"},
		{"show", []string{"data", "show", "mnist", "--data-dir", tiny}, 0, "20 samples"},
		{"unknown", []string{"data", "show", "imagenet"}, 2, "unknown dataset"},
		{"not found", []string{"data", "show", "fashion", "--data-dir", t.TempDir()}, 2, "looked in"},
		{"bad format", []string{"data", "list", "--format", "xml"}, 2, "--format"},
		{"bad steps", []string{"data", "show", "synthetic-nmnist", "--steps", "2"}, 2, "--steps"},
		{"no name", []string{"data", "show"}, 2, "accepts 1 arg"},
		{"extra arg", []string{"data", "list", "x"}, 2, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := dataRunCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, "stderr: %s", errs)
			assert.Contains(t, out+errs, tc.want)
		})
	}
}

// sharedDatasetsDir returns ../shared/datasets beside the repository, or skips.
func sharedDatasetsDir(t *testing.T, file string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "datasets")
	if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
		t.Skipf("skipping: %s is not there (the project's shared datasets live in ../shared/datasets beside the repository)", filepath.Join(dir, file))
	}
	return dir
}

func TestDataShowGraphs(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"cora", `(?m)^edges +5278 undirected \(0 isolated nodes\)$`},
		{"citeseer", `(?m)^edges +4536 undirected \(48 isolated nodes\)$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := sharedDatasetsDir(t, tc.name+".npz")
			png := filepath.Join(t.TempDir(), "adj.png")
			code, out, errs := dataRunCLI(t, "data", "show", tc.name, "--data-dir", dir, "--plot", png)
			require.Equal(t, 0, code, errs)
			assert.Regexp(t, tc.want, out)
			assert.Regexp(t, `(?m)^split +train [0-9]+, val 500, test 1000 \(seed 1\)$`, out)
			assert.FileExists(t, png)
		})
	}
}

func TestDataShowCIFAR10(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: decodes 60000 JPEGs")
	}
	dir := sharedDatasetsDir(t, "cifar10-jpg.tar.gz")
	code, out, errs := dataRunCLI(t, "data", "show", "cifar10", "--data-dir", dir, "--format", "json")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"n": 50000`)
	assert.Contains(t, out, `"n": 10000`)
	assert.Contains(t, out, `"airplane"`)
}
