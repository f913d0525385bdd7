package sgemm

// tileFunc is the signature of a micro-kernel: it sets the mr×nr tile of C
// starting at c[0] (row stride ldc) to alpha*A*B + beta*C, where a holds kc
// packed steps of mr values and b kc packed steps of nr values. When beta is
// zero C is not read.
type tileFunc func(kc int, a, b, c []float32, ldc int, alpha, beta float32)

// microKernel is a micro-kernel with its tile shape and cache blocking.
type microKernel struct {
	mr, nr int // tile shape
	kc     int // depth of a packed block: larger means fewer passes over C
	mc     int // rows of a packed A chunk (mc×kc fits in L2); a multiple of mr
	nc     int // columns of a packed B panel (kc×nc fits in L3)
	tile   tileFunc
	// rows, when not nil, holds for each r in 1..mr a kernel that computes
	// only the first r rows of the tile (rows[mr] is tile), for the last
	// rows of C.
	rows []tileFunc
	// dot computes the dot products of the few-rows path (see useDot).
	dot dotFunc
}

// genericKernel returns the pure-Go 4×4 micro-kernel.
func genericKernel() microKernel {
	return microKernel{mr: 4, nr: 4, kc: 256, mc: 4 * 32, nc: 2048, tile: tile4x4, dot: dotRowsGo}
}

// tile4x4 is the pure-Go micro-kernel. Its sixteen accumulators are separate
// variables so that the compiler can keep them in registers.
func tile4x4(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	a = a[:4*kc]
	b = b[:4*kc]
	for p := 0; p < kc; p++ {
		ap := a[4*p : 4*p+4 : 4*p+4]
		bp := b[4*p : 4*p+4 : 4*p+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	storeRow(c[0*ldc:0*ldc+4], alpha, beta, c00, c01, c02, c03)
	storeRow(c[1*ldc:1*ldc+4], alpha, beta, c10, c11, c12, c13)
	storeRow(c[2*ldc:2*ldc+4], alpha, beta, c20, c21, c22, c23)
	storeRow(c[3*ldc:3*ldc+4], alpha, beta, c30, c31, c32, c33)
}

// storeRow writes alpha*(v0..v3) + beta*row into row, ignoring row's old
// contents when beta is zero.
func storeRow(row []float32, alpha, beta, v0, v1, v2, v3 float32) {
	row = row[:4]
	if beta == 0 {
		row[0], row[1], row[2], row[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
		return
	}
	row[0] = alpha*v0 + beta*row[0]
	row[1] = alpha*v1 + beta*row[1]
	row[2] = alpha*v2 + beta*row[2]
	row[3] = alpha*v3 + beta*row[3]
}
