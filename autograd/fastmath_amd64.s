//go:build amd64 && !purego

#include "textflag.h"

// Constants of expCore (fastmath.go), each repeated in four float64 lanes.
#define VEC4(name, off, v) \
	DATA name+(off+0)(SB)/8, v; \
	DATA name+(off+8)(SB)/8, v; \
	DATA name+(off+16)(SB)/8, v; \
	DATA name+(off+24)(SB)/8, v

VEC4(expc<>, 0, $1.4426950408889634074)     // log2e
VEC4(expc<>, 32, $6755399441055744.0)       // shifter 1.5·2⁵²
VEC4(expc<>, 64, $0.69314718055994530942)   // ln2
VEC4(expc<>, 96, $1.0000000000311988)       // c1
VEC4(expc<>, 128, $0.50000000466520866)     // c2
VEC4(expc<>, 160, $0.16666666249589893)     // c3
VEC4(expc<>, 192, $0.04166635444990275)     // c4
VEC4(expc<>, 224, $0.0083334029057212482)   // c5
VEC4(expc<>, 256, $0.0013941004911311493)   // c6
VEC4(expc<>, 288, $0.00019841247296875202)  // c7
VEC4(expc<>, 320, $1.0)                     // one
VEC4(expc<>, 352, $-87.5)                   // flush threshold
VEC4(expc<>, 384, $1023)                    // exponent bias (int64 lanes)
GLOBL expc<>(SB), RODATA|NOPTR, $416

// func expShiftSumAVX2(dst, src *float32, n int, m, scale float64) float64
TEXT ·expShiftSumAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD m+24(FP), Y0
	VBROADCASTSD scale+32(FP), Y1
	VXORPD Y14, Y14, Y14            // float64 sum
	SHRQ $2, CX
	JZ done

loop:
	VCVTPS2PD (SI), Y5               // v
	VSUBPD Y0, Y5, Y5                // v − m
	VMULPD Y1, Y5, Y5                // d = (v − m)·scale
	VMULPD expc<>+0(SB), Y5, Y6      // d·log2e
	VADDPD expc<>+32(SB), Y6, Y6     // + shifter
	VSUBPD expc<>+32(SB), Y6, Y6     // k
	VMULPD expc<>+64(SB), Y6, Y7     // k·ln2
	VSUBPD Y7, Y5, Y7                // r = d − k·ln2
	VMULPD Y7, Y7, Y8                // r2
	VMULPD expc<>+128(SB), Y7, Y9    // c2·r
	VADDPD expc<>+96(SB), Y9, Y9     // a = c1 + c2·r
	VMULPD expc<>+192(SB), Y7, Y10   // c4·r
	VADDPD expc<>+160(SB), Y10, Y10  // c3 + c4·r
	VMULPD Y10, Y8, Y10              // r2·(c3 + c4·r)
	VADDPD Y10, Y9, Y9               // a + r2·(c3 + c4·r)
	VMULPD expc<>+256(SB), Y7, Y10   // c6·r
	VADDPD expc<>+224(SB), Y10, Y10  // c5 + c6·r
	VMULPD expc<>+288(SB), Y8, Y11   // c7·r2
	VADDPD Y11, Y10, Y10             // c5 + c6·r + c7·r2
	VMULPD Y8, Y8, Y11               // r2·r2
	VMULPD Y11, Y10, Y10             // (r2·r2)·(...)
	VADDPD Y10, Y9, Y9               // g
	VMULPD Y9, Y7, Y9                // r·g
	VADDPD expc<>+320(SB), Y9, Y9    // p = 1 + r·g
	VCVTPD2DQY Y6, X10               // k as int32
	VPMOVSXDQ X10, Y10               // as int64
	VPADDQ expc<>+384(SB), Y10, Y10  // k + 1023
	VPSLLQ $52, Y10, Y10             // 2ᵏ
	VMULPD Y10, Y9, Y9               // e = p·2ᵏ
	VCMPPD $0x11, expc<>+352(SB), Y5, Y10 // d < −87.5 (quiet; false for NaN)
	VANDNPD Y9, Y10, Y9              // e = 0 there
	VADDPD Y9, Y14, Y14              // sum += e
	VCVTPD2PSY Y9, X9                // float32(e)
	VMOVUPS X9, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ loop

done:
	VEXTRACTF128 $1, Y14, X15
	VADDPD X15, X14, X14
	VUNPCKHPD X14, X14, X15
	VADDSD X15, X14, X14
	VZEROUPPER
	MOVSD X14, ret+40(FP)
	RET

// func maxAVX2(x *float32, n int) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	ADDQ $32, SI
	SHRQ $3, CX
	DECQ CX
	JZ reduce

maxloop:
	VMAXPS (SI), Y0, Y0
	ADDQ $32, SI
	DECQ CX
	JNZ maxloop

reduce:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func scaleAVX2(x *float32, n int, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Y1
	SHRQ $3, CX
	JZ scaledone

scaleloop:
	VMULPS (SI), Y1, Y0
	VMOVUPS Y0, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ scaleloop

scaledone:
	VZEROUPPER
	RET
