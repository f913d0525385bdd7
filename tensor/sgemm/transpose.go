package sgemm

// transpose4Rows copies the first n columns of four rows of src (row stride
// lds) into n rows of four values in dst (row stride ldd):
// dst[p*ldd+r] = src[r*lds+p] for r < 4, p < n.
func transpose4Rows(dst []float32, ldd int, src []float32, lds int, n int) {
	if n <= 0 {
		return
	}
	// These checks make the accesses below, and those of the assembly,
	// provably in bounds.
	_ = src[3*lds+n-1]
	_ = dst[(n-1)*ldd+3]
	blocks := n &^ 3
	if blocks > 0 {
		transpose4Fast(dst, ldd, src, lds, blocks)
	}
	if blocks < n {
		transpose4Go(dst[blocks*ldd:], ldd, src[blocks:], lds, n-blocks)
	}
}

// transposeRows copies the first n columns of rows rows of src (row stride
// lds) into dst as n rows of stride ldd: dst[p*ldd+r] = src[r*lds+p]. It
// works in groups of four rows; when rows is not a multiple of four the last
// group overlaps the one before and rewrites a few values with themselves.
func transposeRows(dst []float32, ldd int, src []float32, lds int, rows, n int) {
	if n <= 0 {
		return
	}
	if rows < 4 {
		for r := 0; r < rows; r++ {
			row := src[r*lds : r*lds+n]
			for p, v := range row {
				dst[p*ldd+r] = v
			}
		}
		return
	}
	for g := 0; g < rows; g += 4 {
		g = min(g, rows-4)
		transpose4Rows(dst[g:], ldd, src[g*lds:], lds, n)
	}
}

// transpose4Go is the pure-Go equivalent of the assembly transpose4.
func transpose4Go(dst []float32, ldd int, src []float32, lds int, n int) {
	for p := 0; p < n; p++ {
		d := dst[p*ldd : p*ldd+4]
		d[0], d[1], d[2], d[3] = src[p], src[lds+p], src[2*lds+p], src[3*lds+p]
	}
}

// dealRowChecked copies row[s*width:(s+1)*width] to
// dst[s*dstStride:s*dstStride+width] for s < pieces: one row of B dealt out
// to packed slivers. ahead is a prefetch distance in floats: the row that
// will be dealt next.
func dealRowChecked(dst []float32, dstStride int, row []float32, pieces, width, ahead int) {
	if pieces <= 0 {
		return
	}
	// These checks make the accesses of the assembly provably in bounds.
	_ = row[pieces*width-1]
	_ = dst[(pieces-1)*dstStride+width-1]
	dealRowFast(dst, dstStride, row, pieces, width, ahead)
}

// dealRowGo is the pure-Go dealRowFast.
func dealRowGo(dst []float32, dstStride int, row []float32, pieces, width int) {
	for s := 0; s < pieces; s++ {
		copy(dst[s*dstStride:s*dstStride+width], row[s*width:(s+1)*width])
	}
}
