//go:build amd64

#include "textflag.h"

// func transpose4(dst *float32, ldd int, src *float32, lds int, n int)
//
// Copies four rows of n floats (n a multiple of 4) at src (row stride lds)
// into n rows of four floats at dst (row stride ldd), four columns at a time:
// load a 4×4 block, transpose it in registers, store it. SSE only, so it
// runs on every amd64 CPU.
TEXT ·transpose4(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8            // dst row stride in bytes
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9            // src row stride in bytes
	MOVQ n+32(FP), CX
	SHRQ $2, CX            // 4×4 blocks
	JZ   done
	LEAQ (R9)(R9*2), R10   // 3 src rows
	LEAQ (R8)(R8*2), R11   // 3 dst rows

loop:
	MOVUPS (SI), X0        // a0 a1 a2 a3
	MOVUPS (SI)(R9*1), X1  // b0 b1 b2 b3
	MOVUPS (SI)(R9*2), X2  // c0 c1 c2 c3
	MOVUPS (SI)(R10*1), X3 // d0 d1 d2 d3
	MOVAPS X0, X4
	UNPCKLPS X1, X0        // a0 b0 a1 b1
	UNPCKHPS X1, X4        // a2 b2 a3 b3
	MOVAPS X2, X5
	UNPCKLPS X3, X2        // c0 d0 c1 d1
	UNPCKHPS X3, X5        // c2 d2 c3 d3
	MOVAPS X2, X6
	MOVHLPS X0, X6         // a1 b1 c1 d1
	MOVLHPS X2, X0         // a0 b0 c0 d0
	MOVAPS X5, X7
	MOVHLPS X4, X7         // a3 b3 c3 d3
	MOVLHPS X5, X4         // a2 b2 c2 d2
	MOVUPS X0, (DI)
	MOVUPS X6, (DI)(R8*1)
	MOVUPS X4, (DI)(R8*2)
	MOVUPS X7, (DI)(R11*1)
	ADDQ $16, SI
	LEAQ (DI)(R8*4), DI
	DECQ CX
	JNZ  loop

done:
	RET

// func dealRow(dst *float32, dstStride int, src *float32, pieces, width, ahead int)
//
// Copies pieces consecutive runs of width floats (width a multiple of 16)
// from src into dst, dst+dstStride, dst+2*dstStride, ...: one row of B dealt
// out to the packed slivers. 64 bytes per step with SSE moves. Each step
// also prefetches the line ahead floats after the one it reads (a later row
// of B), since the hardware prefetcher does not follow jumps between rows.
TEXT ·dealRow(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), R8
	SHLQ $2, R8            // dst stride in bytes
	MOVQ src+16(FP), SI
	MOVQ pieces+24(FP), CX
	MOVQ width+32(FP), R9
	SHRQ $4, R9            // 64-byte units per piece
	MOVQ ahead+40(FP), R12
	SHLQ $2, R12           // prefetch distance in bytes
	TESTQ CX, CX
	JZ   dealdone
	TESTQ R9, R9
	JZ   dealdone

dealpiece:
	MOVQ DI, R10
	MOVQ R9, R11

dealunit:
	PREFETCHT0 (SI)(R12*1)
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	MOVUPS 32(SI), X2
	MOVUPS 48(SI), X3
	MOVUPS X0, (R10)
	MOVUPS X1, 16(R10)
	MOVUPS X2, 32(R10)
	MOVUPS X3, 48(R10)
	ADDQ $64, SI
	ADDQ $64, R10
	DECQ R11
	JNZ  dealunit
	ADDQ R8, DI
	DECQ CX
	JNZ  dealpiece

dealdone:
	RET
