//go:build goexperiment.simd && amd64

#include "textflag.h"

// func sparse64(z *float32, idx *int32, val *float32, n int, w *float32, stride uintptr)
//
// z[0:64] += Σ_{k<n} val[k] · w[idx[k]·stride/4 : +64] (stride in bytes), k ascending:
// the 64 sums stay in Y0–Y7, and each k costs one broadcast and eight FMAs with their
// loads folded in. The caller checks the bounds (sparseRowsAVX2).
TEXT ·sparse64(SB), NOSPLIT, $0-48
	MOVQ z+0(FP), DI
	MOVQ idx+8(FP), SI
	MOVQ val+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ w+32(FP), R8
	MOVQ stride+40(FP), R9
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	TESTQ CX, CX
	JEQ   done

loop:
	MOVLQSX      (SI), AX
	IMULQ        R9, AX
	ADDQ         R8, AX
	VBROADCASTSS (DX), Y8
	VFMADD231PS  (AX), Y8, Y0
	VFMADD231PS  32(AX), Y8, Y1
	VFMADD231PS  64(AX), Y8, Y2
	VFMADD231PS  96(AX), Y8, Y3
	VFMADD231PS  128(AX), Y8, Y4
	VFMADD231PS  160(AX), Y8, Y5
	VFMADD231PS  192(AX), Y8, Y6
	VFMADD231PS  224(AX), Y8, Y7
	ADDQ         $4, SI
	ADDQ         $4, DX
	DECQ         CX
	JNE          loop

done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET

// func dot8(w *float32, stride uintptr, x *float32, n int, out *[64]float32)
//
// out[8m:8m+8] = the eight lanes of Σ_i w_m[i]·x[i] (m = 0..7, w_m at w + m·stride bytes)
// over i < 8n, eight at a time: x is loaded once per step for eight weight rows. The caller
// adds the lanes (in a fixed order) and the remaining i.
TEXT ·dot8(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), R9
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DI
	LEAQ (SI)(R9*4), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	LEAQ (R9)(R9*2), R11
	TESTQ CX, CX
	JEQ   dot8done

dot8loop:
	VMOVUPS     (DX), Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS (SI)(R9*1), Y8, Y1
	VFMADD231PS (SI)(R9*2), Y8, Y2
	VFMADD231PS (SI)(R11*1), Y8, Y3
	VFMADD231PS (R10), Y8, Y4
	VFMADD231PS (R10)(R9*1), Y8, Y5
	VFMADD231PS (R10)(R9*2), Y8, Y6
	VFMADD231PS (R10)(R11*1), Y8, Y7
	ADDQ        $32, DX
	ADDQ        $32, SI
	ADDQ        $32, R10
	DECQ        CX
	JNE         dot8loop

dot8done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET

// func outer8(gt *float32, gstride uintptr, d *float32, dstride uintptr, x *float32, xstride uintptr, rows int)
//
// For m = 0..7: gt_m[0:8] += Σ_{r<rows} d_r[m]·x_r[0:8], r ascending, with gt_m at
// gt + m·gstride, d_r at d + r·dstride and x_r at x + r·xstride (strides in bytes): eight
// gradient rows of a narrow layer over a block of eight inputs, held in Y0–Y7.
TEXT ·outer8(SB), NOSPLIT, $0-56
	MOVQ gt+0(FP), DI
	MOVQ gstride+8(FP), R9
	MOVQ d+16(FP), SI
	MOVQ dstride+24(FP), R10
	MOVQ x+32(FP), DX
	MOVQ xstride+40(FP), R11
	MOVQ rows+48(FP), CX
	LEAQ (R9)(R9*2), R12
	LEAQ (DI)(R9*4), R13
	VMOVUPS (DI), Y0
	VMOVUPS (DI)(R9*1), Y1
	VMOVUPS (DI)(R9*2), Y2
	VMOVUPS (DI)(R12*1), Y3
	VMOVUPS (R13), Y4
	VMOVUPS (R13)(R9*1), Y5
	VMOVUPS (R13)(R9*2), Y6
	VMOVUPS (R13)(R12*1), Y7
	TESTQ CX, CX
	JEQ   outer8done

outer8loop:
	VMOVUPS      (DX), Y8
	VBROADCASTSS (SI), Y9
	VBROADCASTSS 4(SI), Y10
	VBROADCASTSS 8(SI), Y11
	VBROADCASTSS 12(SI), Y12
	VFMADD231PS  Y8, Y9, Y0
	VFMADD231PS  Y8, Y10, Y1
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y8, Y12, Y3
	VBROADCASTSS 16(SI), Y13
	VBROADCASTSS 20(SI), Y14
	VBROADCASTSS 24(SI), Y15
	VBROADCASTSS 28(SI), Y9
	VFMADD231PS  Y8, Y13, Y4
	VFMADD231PS  Y8, Y14, Y5
	VFMADD231PS  Y8, Y15, Y6
	VFMADD231PS  Y8, Y9, Y7
	ADDQ         R10, SI
	ADDQ         R11, DX
	DECQ         CX
	JNE          outer8loop

outer8done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R9*1)
	VMOVUPS Y2, (DI)(R9*2)
	VMOVUPS Y3, (DI)(R12*1)
	VMOVUPS Y4, (R13)
	VMOVUPS Y5, (R13)(R9*1)
	VMOVUPS Y6, (R13)(R9*2)
	VMOVUPS Y7, (R13)(R12*1)
	VZEROUPPER
	RET
