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
