//go:build goexperiment.simd && amd64

package nncore

import (
	"simd/archsimd"
	"unsafe"
)

// AVX2/FMA matrix kernels. The blocks of 16 columns go through the assembly kernels of
// kern_amd64.s: 6×16 blocks of C held in twelve registers (six broadcasts of A and two
// loads of B per step), 1×16 for the remaining rows. MatMulTN runs over chunks of 256
// rows of A and D, so that the chunk of A stays in L2. The remaining columns (fewer than
// 16) use the archsimd kernels below, 4×16 / 4×8 blocks and scalar tails. Every kernel
// ends with VZEROUPPER before scalar code runs (see mlp's kernels for why). The Go
// compiler's archsimd code spills most accumulators of a 4×16 block to the stack; the
// assembly kernels run about three times faster.

//go:noescape
func kern6x16(k int, a unsafe.Pointer, rs, as uintptr, b unsafe.Pointer, bs uintptr, c unsafe.Pointer, cs uintptr, add bool)

//go:noescape
func kern1x16(k int, a unsafe.Pointer, as uintptr, b unsafe.Pointer, bs uintptr, c unsafe.Pointer, add bool)

func init() {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		Kernel = "avx2-fma"
		gemmNN, gemmTN = gemmNNAVX2, gemmTNAVX2
	}
}

type vec = archsimd.Float32x8

func load(s []float32) vec { return archsimd.LoadFloat32x8Slice(s) }
func bcast(x float32) vec  { return archsimd.BroadcastFloat32x8(x) }
func loadIf(s []float32, add bool) vec {
	if add {
		return load(s)
	}
	var z vec
	return z
}

func gemmNNAVX2(c, a, b []float32, m, n, k int, add bool) {
	n16 := n &^ 15
	if n16 > 0 {
		ldb := uintptr(4 * n)
		i := 0
		for ; i+6 <= m; i += 6 {
			for j := 0; j < n16; j += 16 {
				kern6x16(k, unsafe.Pointer(&a[i*k]), uintptr(4*k), 4, unsafe.Pointer(&b[j]), ldb, unsafe.Pointer(&c[i*n+j]), ldb, add)
			}
		}
		for ; i < m; i++ {
			for j := 0; j < n16; j += 16 {
				kern1x16(k, unsafe.Pointer(&a[i*k]), 4, unsafe.Pointer(&b[j]), ldb, unsafe.Pointer(&c[i*n+j]), add)
			}
		}
	}
	if n16 == n {
		return
	}
	i := 0
	for ; i+4 <= m; i += 4 {
		nn4(c[i*n:(i+4)*n], a[i*k:(i+4)*k], b, n, k, add, n16)
	}
	for ; i < m; i++ {
		nn1(c[i*n:(i+1)*n], a[i*k:(i+1)*k], b, n, k, add, n16)
	}
}

func nn4(c, a, b []float32, n, k int, add bool, j0 int) {
	a0, a1, a2, a3 := a[:k], a[k:2*k], a[2*k:3*k], a[3*k:4*k]
	c0, c1, c2, c3 := c[:n], c[n:2*n], c[2*n:3*n], c[3*n:4*n]
	j := j0
	for ; j+16 <= n; j += 16 {
		x00, x01 := loadIf(c0[j:], add), loadIf(c0[j+8:], add)
		x10, x11 := loadIf(c1[j:], add), loadIf(c1[j+8:], add)
		x20, x21 := loadIf(c2[j:], add), loadIf(c2[j+8:], add)
		x30, x31 := loadIf(c3[j:], add), loadIf(c3[j+8:], add)
		for p := range k {
			bp := b[p*n+j : p*n+j+16]
			b0, b1 := load(bp), load(bp[8:])
			v := bcast(a0[p])
			x00, x01 = b0.MulAdd(v, x00), b1.MulAdd(v, x01)
			v = bcast(a1[p])
			x10, x11 = b0.MulAdd(v, x10), b1.MulAdd(v, x11)
			v = bcast(a2[p])
			x20, x21 = b0.MulAdd(v, x20), b1.MulAdd(v, x21)
			v = bcast(a3[p])
			x30, x31 = b0.MulAdd(v, x30), b1.MulAdd(v, x31)
		}
		x00.StoreSlice(c0[j:])
		x01.StoreSlice(c0[j+8:])
		x10.StoreSlice(c1[j:])
		x11.StoreSlice(c1[j+8:])
		x20.StoreSlice(c2[j:])
		x21.StoreSlice(c2[j+8:])
		x30.StoreSlice(c3[j:])
		x31.StoreSlice(c3[j+8:])
	}
	for ; j+8 <= n; j += 8 {
		x0, x1, x2, x3 := loadIf(c0[j:], add), loadIf(c1[j:], add), loadIf(c2[j:], add), loadIf(c3[j:], add)
		for p := range k {
			b0 := load(b[p*n+j : p*n+j+8])
			x0 = b0.MulAdd(bcast(a0[p]), x0)
			x1 = b0.MulAdd(bcast(a1[p]), x1)
			x2 = b0.MulAdd(bcast(a2[p]), x2)
			x3 = b0.MulAdd(bcast(a3[p]), x3)
		}
		x0.StoreSlice(c0[j:])
		x1.StoreSlice(c1[j:])
		x2.StoreSlice(c2[j:])
		x3.StoreSlice(c3[j:])
	}
	archsimd.ClearAVXUpperBits()
	for ; j < n; j++ {
		var s0, s1, s2, s3 float32
		if add {
			s0, s1, s2, s3 = c0[j], c1[j], c2[j], c3[j]
		}
		for p := range k {
			bv := b[p*n+j]
			s0 += a0[p] * bv
			s1 += a1[p] * bv
			s2 += a2[p] * bv
			s3 += a3[p] * bv
		}
		c0[j], c1[j], c2[j], c3[j] = s0, s1, s2, s3
	}
}

func nn1(c, a, b []float32, n, k int, add bool, j0 int) {
	j := j0
	for ; j+16 <= n; j += 16 {
		x0, x1 := loadIf(c[j:], add), loadIf(c[j+8:], add)
		for p := range k {
			bp := b[p*n+j : p*n+j+16]
			v := bcast(a[p])
			x0, x1 = load(bp).MulAdd(v, x0), load(bp[8:]).MulAdd(v, x1)
		}
		x0.StoreSlice(c[j:])
		x1.StoreSlice(c[j+8:])
	}
	for ; j+8 <= n; j += 8 {
		x0 := loadIf(c[j:], add)
		for p := range k {
			x0 = load(b[p*n+j:p*n+j+8]).MulAdd(bcast(a[p]), x0)
		}
		x0.StoreSlice(c[j:])
	}
	archsimd.ClearAVXUpperBits()
	for ; j < n; j++ {
		var s float32
		if add {
			s = c[j]
		}
		for p := range k {
			s += a[p] * b[p*n+j]
		}
		c[j] = s
	}
}

// tnChunk is the number of rows of A and D one pass of MatMulTN keeps in cache.
const tnChunk = 256

func gemmTNAVX2(c, a, d []float32, m, k, n int) {
	n16 := n &^ 15
	lda, ldd := uintptr(4*k), uintptr(4*n)
	for r0 := 0; r0 < m; r0 += tnChunk {
		r1 := min(m, r0+tnChunk)
		if n16 > 0 {
			p := 0
			for ; p+6 <= k; p += 6 {
				for j := 0; j < n16; j += 16 {
					kern6x16(r1-r0, unsafe.Pointer(&a[r0*k+p]), 4, lda, unsafe.Pointer(&d[r0*n+j]), ldd, unsafe.Pointer(&c[p*n+j]), ldd, true)
				}
			}
			for ; p < k; p++ {
				for j := 0; j < n16; j += 16 {
					kern1x16(r1-r0, unsafe.Pointer(&a[r0*k+p]), lda, unsafe.Pointer(&d[r0*n+j]), ldd, unsafe.Pointer(&c[p*n+j]), true)
				}
			}
		}
		if n16 == n {
			continue
		}
		p := 0
		for ; p+4 <= k; p += 4 {
			tn4(c[p*n:(p+4)*n], a, d, r0, r1, p, k, n, n16)
		}
		for ; p < k; p++ {
			tn1(c[p*n:(p+1)*n], a, d, r0, r1, p, k, n, n16)
		}
	}
}

// tn4 adds Σ_r a[r][p+q]·d[r][j] to row q of c (q = 0..3, j ≥ j0) over rows r0..r1.
func tn4(c, a, d []float32, r0, r1, p, k, n, j0 int) {
	c0, c1, c2, c3 := c[:n], c[n:2*n], c[2*n:3*n], c[3*n:4*n]
	j := j0
	for ; j+16 <= n; j += 16 {
		x00, x01 := load(c0[j:]), load(c0[j+8:])
		x10, x11 := load(c1[j:]), load(c1[j+8:])
		x20, x21 := load(c2[j:]), load(c2[j+8:])
		x30, x31 := load(c3[j:]), load(c3[j+8:])
		for r := r0; r < r1; r++ {
			ar := a[r*k+p : r*k+p+4]
			dr := d[r*n+j : r*n+j+16]
			d0, d1 := load(dr), load(dr[8:])
			v := bcast(ar[0])
			x00, x01 = d0.MulAdd(v, x00), d1.MulAdd(v, x01)
			v = bcast(ar[1])
			x10, x11 = d0.MulAdd(v, x10), d1.MulAdd(v, x11)
			v = bcast(ar[2])
			x20, x21 = d0.MulAdd(v, x20), d1.MulAdd(v, x21)
			v = bcast(ar[3])
			x30, x31 = d0.MulAdd(v, x30), d1.MulAdd(v, x31)
		}
		x00.StoreSlice(c0[j:])
		x01.StoreSlice(c0[j+8:])
		x10.StoreSlice(c1[j:])
		x11.StoreSlice(c1[j+8:])
		x20.StoreSlice(c2[j:])
		x21.StoreSlice(c2[j+8:])
		x30.StoreSlice(c3[j:])
		x31.StoreSlice(c3[j+8:])
	}
	for ; j+8 <= n; j += 8 {
		x0, x1, x2, x3 := load(c0[j:]), load(c1[j:]), load(c2[j:]), load(c3[j:])
		for r := r0; r < r1; r++ {
			ar := a[r*k+p : r*k+p+4]
			d0 := load(d[r*n+j : r*n+j+8])
			x0 = d0.MulAdd(bcast(ar[0]), x0)
			x1 = d0.MulAdd(bcast(ar[1]), x1)
			x2 = d0.MulAdd(bcast(ar[2]), x2)
			x3 = d0.MulAdd(bcast(ar[3]), x3)
		}
		x0.StoreSlice(c0[j:])
		x1.StoreSlice(c1[j:])
		x2.StoreSlice(c2[j:])
		x3.StoreSlice(c3[j:])
	}
	archsimd.ClearAVXUpperBits()
	for ; j < n; j++ {
		s0, s1, s2, s3 := c0[j], c1[j], c2[j], c3[j]
		for r := r0; r < r1; r++ {
			ar := a[r*k+p : r*k+p+4]
			dv := d[r*n+j]
			s0 += ar[0] * dv
			s1 += ar[1] * dv
			s2 += ar[2] * dv
			s3 += ar[3] * dv
		}
		c0[j], c1[j], c2[j], c3[j] = s0, s1, s2, s3
	}
}

func tn1(c, a, d []float32, r0, r1, p, k, n, j0 int) {
	j := j0
	for ; j+16 <= n; j += 16 {
		x0, x1 := load(c[j:]), load(c[j+8:])
		for r := r0; r < r1; r++ {
			dr := d[r*n+j : r*n+j+16]
			v := bcast(a[r*k+p])
			x0, x1 = load(dr).MulAdd(v, x0), load(dr[8:]).MulAdd(v, x1)
		}
		x0.StoreSlice(c[j:])
		x1.StoreSlice(c[j+8:])
	}
	for ; j+8 <= n; j += 8 {
		x0 := load(c[j:])
		for r := r0; r < r1; r++ {
			x0 = load(d[r*n+j:r*n+j+8]).MulAdd(bcast(a[r*k+p]), x0)
		}
		x0.StoreSlice(c[j:])
	}
	archsimd.ClearAVXUpperBits()
	for ; j < n; j++ {
		s := c[j]
		for r := r0; r < r1; r++ {
			s += a[r*k+p] * d[r*n+j]
		}
		c[j] = s
	}
}
