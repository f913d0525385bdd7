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

// Constants of phiApprox (fastmath.go), four float64 lanes each.
VEC4(phic<>, 0, $0.70710678118654752440)    // 1/√2
VEC4(phic<>, 32, $0.39894228040143267794)   // 1/√(2π)
VEC4(phic<>, 64, $0.5)
VEC4(phic<>, 96, $1.0)
VEC4(phic<>, 128, $1.1283791657266864)      // p0
VEC4(phic<>, 160, $-0.37612625824093154)    // p1
VEC4(phic<>, 192, $0.11283585147026189)     // p2
VEC4(phic<>, 224, $-0.026853811868846892)   // p3
VEC4(phic<>, 256, $0.0051883275594277528)   // p4
VEC4(phic<>, 288, $-0.00080101925150751526) // p5
VEC4(phic<>, 320, $7.8538576859505692e-05)  // p6
VEC4(phic<>, 352, $-4.103425443058605e-06)  // r0
VEC4(phic<>, 384, $0.28219940755620132)     // r1
VEC4(phic<>, 416, $0.28099076200574469)     // r2
VEC4(phic<>, 448, $0.25296742562917662)     // r3
VEC4(phic<>, 480, $0.15804118560250191)     // r4
VEC4(phic<>, 512, $0.10534300674536777)     // r5
VEC4(phic<>, 544, $0.025059873045404021)    // r6
VEC4(phic<>, 576, $-0.18504039420315371)    // r7
VEC4(phic<>, 608, $0.080891115405665251)    // r8
VEC4(phic<>, 640, $0x8000000000000000)      // sign bit
VEC4(phic<>, 672, $0x7fffffffffffffff)      // all but the sign bit
VEC4(phic<>, 704, $0.0)
GLOBL phic<>(SB), RODATA|NOPTR, $736

// func geluErfAVX2(x, y, aux *float32, n int)
TEXT ·geluErfAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ aux+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $2, CX
	JZ gdone

gloop:
	VCVTPS2PD (SI), Y0               // f
	VMULPD phic<>+0(SB), Y0, Y1      // z = f/√2
	VMULPD Y1, Y1, Y2                // u = z·z
	// Y3 = e = expCore(−u), 0 where −u < −87.5
	VXORPD phic<>+640(SB), Y2, Y5    // d = −u
	VMULPD expc<>+0(SB), Y5, Y6
	VADDPD expc<>+32(SB), Y6, Y6
	VSUBPD expc<>+32(SB), Y6, Y6     // k
	VMULPD expc<>+64(SB), Y6, Y7
	VSUBPD Y7, Y5, Y7                // r
	VMULPD Y7, Y7, Y8                // r2
	VMULPD expc<>+128(SB), Y7, Y9
	VADDPD expc<>+96(SB), Y9, Y9
	VMULPD expc<>+192(SB), Y7, Y10
	VADDPD expc<>+160(SB), Y10, Y10
	VMULPD Y10, Y8, Y10
	VADDPD Y10, Y9, Y9
	VMULPD expc<>+256(SB), Y7, Y10
	VADDPD expc<>+224(SB), Y10, Y10
	VMULPD expc<>+288(SB), Y8, Y11
	VADDPD Y11, Y10, Y10
	VMULPD Y8, Y8, Y11
	VMULPD Y11, Y10, Y10
	VADDPD Y10, Y9, Y9               // g
	VMULPD Y9, Y7, Y9
	VADDPD expc<>+320(SB), Y9, Y9    // 1 + r·g
	VCVTPD2DQY Y6, X10
	VPMOVSXDQ X10, Y10
	VPADDQ expc<>+384(SB), Y10, Y10
	VPSLLQ $52, Y10, Y10
	VMULPD Y10, Y9, Y3
	VCMPPD $0x11, expc<>+352(SB), Y5, Y10
	VANDNPD Y3, Y10, Y3              // e
	// Y4 = small-|z| Φ: 0.5 + (0.5·z)·P(u)
	VMULPD Y2, Y2, Y6                // u2
	VMULPD phic<>+160(SB), Y2, Y7
	VADDPD phic<>+128(SB), Y7, Y7    // p0 + p1·u
	VMULPD phic<>+224(SB), Y2, Y8
	VADDPD phic<>+192(SB), Y8, Y8    // p2 + p3·u
	VMULPD Y8, Y6, Y8
	VADDPD Y8, Y7, Y7
	VMULPD phic<>+288(SB), Y2, Y8
	VADDPD phic<>+256(SB), Y8, Y8    // p4 + p5·u
	VMULPD phic<>+320(SB), Y6, Y9    // p6·u2
	VADDPD Y9, Y8, Y8
	VMULPD Y6, Y6, Y9                // u2·u2
	VMULPD Y9, Y8, Y8
	VADDPD Y8, Y7, Y7                // P
	VMULPD phic<>+64(SB), Y1, Y4     // 0.5·z
	VMULPD Y7, Y4, Y4
	VADDPD phic<>+64(SB), Y4, Y4     // Φ small
	// Y11 = large-|z| Φ from half = (0.5·e)·R(t), t = 1/(1 + 0.5·|z|)
	VANDPD phic<>+672(SB), Y1, Y5    // a = |z|
	VCMPPD $0x11, phic<>+96(SB), Y5, Y12 // a < 1
	VMULPD phic<>+64(SB), Y5, Y6
	VADDPD phic<>+96(SB), Y6, Y6     // 1 + 0.5·a
	VMOVUPD phic<>+96(SB), Y7
	VDIVPD Y6, Y7, Y5                // t
	VMULPD Y5, Y5, Y6                // t2
	VMULPD Y6, Y6, Y7                // t4
	VMULPD phic<>+384(SB), Y5, Y8
	VADDPD phic<>+352(SB), Y8, Y8    // r0 + r1·t
	VMULPD phic<>+448(SB), Y5, Y9
	VADDPD phic<>+416(SB), Y9, Y9    // r2 + r3·t
	VMULPD Y9, Y6, Y9
	VADDPD Y9, Y8, Y8
	VMULPD phic<>+512(SB), Y5, Y9
	VADDPD phic<>+480(SB), Y9, Y9    // r4 + r5·t
	VMULPD phic<>+576(SB), Y5, Y10
	VADDPD phic<>+544(SB), Y10, Y10  // r6 + r7·t
	VMULPD Y10, Y6, Y10
	VADDPD Y10, Y9, Y9
	VMULPD Y9, Y7, Y9
	VADDPD Y9, Y8, Y8
	VMULPD Y7, Y7, Y9                // t4·t4
	VMULPD phic<>+608(SB), Y9, Y9
	VADDPD Y9, Y8, Y8                // R
	VMULPD phic<>+64(SB), Y3, Y9     // 0.5·e
	VMULPD Y8, Y9, Y9                // half
	VMOVUPD phic<>+96(SB), Y10
	VSUBPD Y9, Y10, Y10              // 1 − half
	VCMPPD $0x11, phic<>+704(SB), Y1, Y13 // z < 0
	VBLENDVPD Y13, Y9, Y10, Y11      // z < 0 ? half : 1 − half
	VBLENDVPD Y12, Y4, Y11, Y14      // Φ = a < 1 ? small : large
	VMULPD Y14, Y0, Y15              // y = f·Φ
	VCVTPD2PSY Y15, X15
	VMOVUPS X15, (DI)
	TESTQ DX, DX
	JZ gnext
	VMULPD phic<>+32(SB), Y3, Y15    // φ = e/√(2π)
	VMULPD Y15, Y0, Y15              // f·φ
	VADDPD Y15, Y14, Y15             // Φ + f·φ
	VCVTPD2PSY Y15, X15
	VMOVUPS X15, (DX)
	ADDQ $16, DX

gnext:
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ gloop

gdone:
	VZEROUPPER
	RET

// Constants of the quick GELU (activation.go), four float64 lanes each.
VEC4(quickc<>, 0, $-1.702)                  // −quickCoef
VEC4(quickc<>, 32, $88.8)                   // overflow threshold of expApprox
GLOBL quickc<>(SB), RODATA|NOPTR, $64

// func quickGeluAVX2(x, y, aux *float32, n int)
TEXT ·quickGeluAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ aux+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $2, CX
	JZ qdone

qloop:
	VCVTPS2PD (SI), Y0               // f
	VMULPD quickc<>+0(SB), Y0, Y5    // d = −1.702·f
	VMULPD expc<>+0(SB), Y5, Y6
	VADDPD expc<>+32(SB), Y6, Y6
	VSUBPD expc<>+32(SB), Y6, Y6     // k
	VMULPD expc<>+64(SB), Y6, Y7
	VSUBPD Y7, Y5, Y7                // r
	VMULPD Y7, Y7, Y8                // r2
	VMULPD expc<>+128(SB), Y7, Y9
	VADDPD expc<>+96(SB), Y9, Y9
	VMULPD expc<>+192(SB), Y7, Y10
	VADDPD expc<>+160(SB), Y10, Y10
	VMULPD Y10, Y8, Y10
	VADDPD Y10, Y9, Y9
	VMULPD expc<>+256(SB), Y7, Y10
	VADDPD expc<>+224(SB), Y10, Y10
	VMULPD expc<>+288(SB), Y8, Y11
	VADDPD Y11, Y10, Y10
	VMULPD Y8, Y8, Y11
	VMULPD Y11, Y10, Y10
	VADDPD Y10, Y9, Y9               // g
	VMULPD Y9, Y7, Y9
	VADDPD expc<>+320(SB), Y9, Y9    // 1 + r·g
	VCVTPD2DQY Y6, X10
	VPMOVSXDQ X10, Y10
	VPADDQ expc<>+384(SB), Y10, Y10
	VPSLLQ $52, Y10, Y10
	VMULPD Y10, Y9, Y3               // e = exp(d)
	VCMPPD $0x11, expc<>+352(SB), Y5, Y10 // d < −87.5: e = 0
	VANDNPD Y3, Y10, Y3
	VMOVUPD expc<>+320(SB), Y4       // 1
	VADDPD Y3, Y4, Y3                // 1 + e
	VDIVPD Y3, Y4, Y3                // s = 1/(1 + e)
	VCMPPD $0x1e, quickc<>+32(SB), Y5, Y10 // d > 88.8 (quiet): e = +Inf, s = 0
	VANDNPD Y3, Y10, Y3
	VMULPD Y3, Y0, Y15               // y = f·s
	VCVTPD2PSY Y15, X15
	VMOVUPS X15, (DI)
	TESTQ DX, DX
	JZ qnext
	VCVTPD2PSY Y3, X15
	VMOVUPS X15, (DX)
	ADDQ $16, DX

qnext:
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ qloop

qdone:
	VZEROUPPER
	RET
