//go:build !(goexperiment.simd && amd64)

package sim

// addVec adds src to dst elementwise (len(src) values).
func addVec(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] += x
	}
}

// sigmoids replaces every x[i] by sigmoidFast(x[i]).
func sigmoids(x []float64) {
	for i, v := range x {
		x[i] = sigmoidFast(v)
	}
}
