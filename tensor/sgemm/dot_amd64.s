//go:build amd64

#include "textflag.h"

// func dotRowsAVX2(k int, a *float32, lda int, rows int, b *float32, out *float32)
//
// out[r] = Σ_p a[r*lda+p]·b[p] for r < rows (1 ≤ rows ≤ 4) and p < k, where
// k is a multiple of 16. Each 16 values of b are loaded once and used by
// every row; each row keeps two 8-wide accumulators so that consecutive FMAs
// do not wait for each other. Needs AVX2 and FMA.
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8            // row stride of a in bytes
	MOVQ rows+24(FP), R9
	MOVQ b+32(FP), DI
	MOVQ out+40(FP), DX
	LEAQ (SI)(R8*1), R10   // row 1
	LEAQ (R10)(R8*1), R11  // row 2
	LEAQ (R11)(R8*1), R12  // row 3
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX            // byte offset into the rows and b
	SHLQ $2, CX            // k in bytes
	CMPQ R9, $4
	JEQ  rows4
	CMPQ R9, $3
	JEQ  rows3
	CMPQ R9, $2
	JEQ  rows2

rows1:
	CMPQ AX, CX
	JGE  sum
	VMOVUPS (DI)(AX*1), Y8
	VMOVUPS 32(DI)(AX*1), Y9
	VFMADD231PS (SI)(AX*1), Y8, Y0
	VFMADD231PS 32(SI)(AX*1), Y9, Y1
	ADDQ $64, AX
	JMP  rows1

rows2:
	CMPQ AX, CX
	JGE  sum
	VMOVUPS (DI)(AX*1), Y8
	VMOVUPS 32(DI)(AX*1), Y9
	VFMADD231PS (SI)(AX*1), Y8, Y0
	VFMADD231PS 32(SI)(AX*1), Y9, Y1
	VFMADD231PS (R10)(AX*1), Y8, Y2
	VFMADD231PS 32(R10)(AX*1), Y9, Y3
	ADDQ $64, AX
	JMP  rows2

rows3:
	CMPQ AX, CX
	JGE  sum
	VMOVUPS (DI)(AX*1), Y8
	VMOVUPS 32(DI)(AX*1), Y9
	VFMADD231PS (SI)(AX*1), Y8, Y0
	VFMADD231PS 32(SI)(AX*1), Y9, Y1
	VFMADD231PS (R10)(AX*1), Y8, Y2
	VFMADD231PS 32(R10)(AX*1), Y9, Y3
	VFMADD231PS (R11)(AX*1), Y8, Y4
	VFMADD231PS 32(R11)(AX*1), Y9, Y5
	ADDQ $64, AX
	JMP  rows3

rows4:
	CMPQ AX, CX
	JGE  sum
	VMOVUPS (DI)(AX*1), Y8
	VMOVUPS 32(DI)(AX*1), Y9
	VFMADD231PS (SI)(AX*1), Y8, Y0
	VFMADD231PS 32(SI)(AX*1), Y9, Y1
	VFMADD231PS (R10)(AX*1), Y8, Y2
	VFMADD231PS 32(R10)(AX*1), Y9, Y3
	VFMADD231PS (R11)(AX*1), Y8, Y4
	VFMADD231PS 32(R11)(AX*1), Y9, Y5
	VFMADD231PS (R12)(AX*1), Y8, Y6
	VFMADD231PS 32(R12)(AX*1), Y9, Y7
	ADDQ $64, AX
	JMP  rows4

sum:
	// Fold each row's two accumulators, then its eight lanes, into out[r].
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0     // lanes: r0 r0 r1 r1 | r0 r0 r1 r1
	VHADDPS Y6, Y4, Y4     // lanes: r2 r2 r3 r3 | r2 r2 r3 r3
	VHADDPS Y4, Y0, Y0     // lanes: r0 r1 r2 r3 | r0 r1 r2 r3
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0      // r0 r1 r2 r3
	CMPQ R9, $4
	JNE  partial
	VMOVUPS X0, (DX)
	VZEROUPPER
	RET

partial:
	// Store only the rows asked for.
	VMOVSS X0, (DX)
	CMPQ R9, $1
	JEQ  done
	VPSHUFD $0x55, X0, X1
	VMOVSS X1, 4(DX)
	CMPQ R9, $2
	JEQ  done
	VPSHUFD $0xAA, X0, X1
	VMOVSS X1, 8(DX)

done:
	VZEROUPPER
	RET
