//go:build goexperiment.simd && amd64

#include "textflag.h"

// Register blocked FMA kernels of MatMul and MatMulTN (see gemm_simd_amd64.go).
//
// kern6x16 computes a 6×16 block of C from k steps: at step p it broadcasts the six values
// a_r = *(a + r·rs + p·as) (r = 0..5) and loads b_p = *(b + p·bs)[0:16], and accumulates
// acc_r += a_r·b_p; then C_r (at c + r·cs) = acc_r, or C_r + acc_r when add is set.
// MatMul uses rs = row stride of A, as = 4; MatMulTN uses rs = 4, as = row stride of A.

// func kern6x16(k int, a unsafe.Pointer, rs, as uintptr, b unsafe.Pointer, bs uintptr, c unsafe.Pointer, cs uintptr, add bool)
TEXT ·kern6x16(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R8
	MOVQ as+24(FP), R9
	MOVQ b+32(FP), DX
	MOVQ bs+40(FP), R10
	MOVQ c+48(FP), DI
	MOVQ cs+56(FP), R11
	LEAQ (SI)(R8*2), R13
	ADDQ R8, R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JEQ   done6

loop6:
	VMOVUPS      (DX), Y12
	VMOVUPS      32(DX), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (R13), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (R13)(R8*1), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (R13)(R8*2), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         R9, SI
	ADDQ         R9, R13
	ADDQ         R10, DX
	DECQ         CX
	JNE          loop6

done6:
	MOVBLZX add+64(FP), AX
	TESTQ   AX, AX
	JEQ     store6
	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	ADDQ    R11, DI
	VADDPS  (DI), Y2, Y2
	VADDPS  32(DI), Y3, Y3
	ADDQ    R11, DI
	VADDPS  (DI), Y4, Y4
	VADDPS  32(DI), Y5, Y5
	ADDQ    R11, DI
	VADDPS  (DI), Y6, Y6
	VADDPS  32(DI), Y7, Y7
	ADDQ    R11, DI
	VADDPS  (DI), Y8, Y8
	VADDPS  32(DI), Y9, Y9
	ADDQ    R11, DI
	VADDPS  (DI), Y10, Y10
	VADDPS  32(DI), Y11, Y11
	MOVQ    c+48(FP), DI

store6:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R11, DI
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	ADDQ    R11, DI
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ    R11, DI
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	ADDQ    R11, DI
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	ADDQ    R11, DI
	VMOVUPS Y10, (DI)
	VMOVUPS Y11, 32(DI)
	VZEROUPPER
	RET

// func kern1x16(k int, a unsafe.Pointer, as uintptr, b unsafe.Pointer, bs uintptr, c unsafe.Pointer, add bool)
TEXT ·kern1x16(SB), NOSPLIT, $0-49
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   as+16(FP), R9
	MOVQ   b+24(FP), DX
	MOVQ   bs+32(FP), R10
	MOVQ   c+40(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ  CX, CX
	JEQ    done1

loop1:
	VBROADCASTSS (SI), Y14
	VFMADD231PS  (DX), Y14, Y0
	VFMADD231PS  32(DX), Y14, Y1
	ADDQ         R9, SI
	ADDQ         R10, DX
	DECQ         CX
	JEQ          done1
	VBROADCASTSS (SI), Y15
	VFMADD231PS  (DX), Y15, Y2
	VFMADD231PS  32(DX), Y15, Y3
	ADDQ         R9, SI
	ADDQ         R10, DX
	DECQ         CX
	JNE          loop1

done1:
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	MOVBLZX add+48(FP), AX
	TESTQ   AX, AX
	JEQ     store1
	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1

store1:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	RET
