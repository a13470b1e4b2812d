package cnn

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnsim/snnsim/dataset"
	"github.com/snnsim/snnsim/lr"
	"github.com/snnsim/snnsim/mlp"
)

var (
	varianceData  = flag.String("variance-data", "", "measure LR gradient variance on this dataset (mnist, cifar10); empty: skip")
	varianceModel = flag.String("variance-model", "", "model file to measure at (default: a fresh network)")
	varianceVR    = flag.String("variance-vr", "none;antithetic;layerwise;layerwise,antithetic", "variance reductions to compare, separated by ';' (qmc costs minutes per 16 steps at convolution widths)")
	varianceSigma = flag.String("variance-sigma", "0.03,0.1,0.3", "noise scales to compare")
	varianceVRK   = flag.String("variance-copies", "", "copies per sample by variance reduction, e.g. 'positionwise=80' (default 16)")
)

// TestVarianceTable measures, on real data, how far LR estimates lie from the BP gradient
// of the same batch for each variance reduction and noise scale (K = 16 copies per sample
// unless -variance-copies says otherwise): the relative mean squared error E‖g − g_BP‖²/‖g_BP‖² per layer
// and the cosine between one estimate and g_BP. QMC is left out by default: at
// convolution widths gonum's scrambled Halton points cost minutes per 16 steps
// (-variance-vr 'layerwise;layerwise,qmc' measures it). Position-wise copies are about
// five times cheaper than layer-wise ones on the CIFAR-10 stride-2 net, so compare them
// at equal time with -variance-copies 'positionwise=80'. Run by hand:
//
//	go test ./cnn/ -run VarianceTable -v -variance-data mnist [-variance-model m.snnm] [-variance-vr 'none;qmc'] [-variance-sigma 0.1] [-variance-copies 'positionwise=80']
func TestVarianceTable(t *testing.T) {
	if *varianceData == "" {
		t.Skip("set -variance-data to measure")
	}
	train, _, err := dataset.Load(*varianceData, "")
	if err != nil {
		t.Skip(err)
	}
	var m *CNN
	if *varianceModel != "" {
		f, err := Load(*varianceModel)
		require.NoError(t, err)
		m = f.Model
	} else {
		arch := map[string]string{"mnist": "c16k5,mp2,c32k5,mp2,d128", "cifar10": "c32k3,mp2,c64k3,mp2,c64k3,mp2,d128"}[*varianceData]
		m, err = New(arch, Shape{C: train.Shape[0], H: train.Shape[1], W: train.Shape[2]}, train.Classes, mlp.ReLU, 0.1, 1)
		require.NoError(t, err)
	}
	m.Prepare()
	const rows, reps = 32, 20
	copies := map[string]int{}
	for _, f := range strings.Split(*varianceVRK, ";") {
		if k, v, ok := strings.Cut(f, "="); ok {
			n, err := strconv.Atoi(v)
			require.NoError(t, err)
			copies[k] = n
		}
	}
	// Samples spread over the training set: CIFAR-10's is ordered by class.
	x, y := make([]float32, 0, rows*train.Dim), make([]uint8, 0, rows)
	for i := range rows {
		j := i * train.N / rows
		x, y = append(x, train.Sample(j)...), append(y, train.Y[j])
	}
	bp, err := NewBP(m)
	require.NoError(t, err)
	_, err = bp.Grad(x, y, rows, 0)
	require.NoError(t, err)
	params := m.Params()
	ref := make([][]float32, len(params))
	for i, p := range params {
		ref[i] = append([]float32(nil), p.Grad...)
	}
	t.Logf("%-24s %6s %s", "vr", "sigma", "relative MSE per parameter tensor (cos of one estimate)")
	var sigmas []float32
	for _, f := range strings.Split(*varianceSigma, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		require.NoError(t, err)
		sigmas = append(sigmas, float32(v))
	}
	for _, sigma := range sigmas {
		for _, vr := range strings.Split(*varianceVR, ";") {
			for l := range m.Sigma {
				if m.Sigma[l] > 0 || *varianceModel == "" {
					if _, pool := m.Layers[l].(*Pool); !pool {
						m.Sigma[l] = sigma
					}
				}
			}
			v, err := lr.ParseVR(vr)
			require.NoError(t, err)
			K := copies[vr]
			if K == 0 {
				K = 16
			}
			cfg := lr.Config{Copies: K, VR: v, Seed: 7}
			est, err := NewEstimator(m, mlp.CrossEntropy, cfg)
			require.NoError(t, err)
			mse := make([]float64, len(params))
			var cos float64
			for r := range reps {
				_, err := est.Grad(x, y, rows, uint64(r))
				require.NoError(t, err)
				var dot, n1, n2 float64
				for i, p := range params {
					for j, g := range p.Grad {
						d := float64(g - ref[i][j])
						mse[i] += d * d
						dot += float64(g) * float64(ref[i][j])
						n1 += float64(g) * float64(g)
						n2 += float64(ref[i][j]) * float64(ref[i][j])
					}
				}
				cos += dot / math.Sqrt(n1*n2) / reps
			}
			line := ""
			for i, p := range params {
				var n float64
				for _, g := range ref[i] {
					n += float64(g) * float64(g)
				}
				line += fmt.Sprintf(" %s:%.3g", p.Name, mse[i]/reps/n)
			}
			t.Logf("%-24s %6.2f %s (cos %.3f)", fmt.Sprintf("%s K=%d", vr, K), sigma, line, cos)
		}
	}
}
