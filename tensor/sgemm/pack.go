package sgemm

// packA copies the mcur×kcur block of op(A) whose top-left element is
// op(A)[i0][p0] into dst as MR-tall slivers: sliver s holds rows
// i0+s*mr .. i0+s*mr+mr-1, stored k step by k step (mr values per step).
// Rows past the end of the block are zero, so every sliver is full.
func packA(dst []float32, transA bool, a []float32, lda, i0, mcur, p0, kcur, mr int) {
	for s := 0; s*mr < mcur; s++ {
		d := dst[s*mr*kcur : (s+1)*mr*kcur]
		rows := min(mr, mcur-s*mr)
		first := i0 + s*mr
		if transA {
			// op(A)[i][p] = a[p*lda+i]: the mr values of one k step are
			// contiguous in memory.
			for p := 0; p < kcur; p++ {
				src := a[(p0+p)*lda+first : (p0+p)*lda+first+rows]
				dp := d[p*mr : p*mr+mr]
				copy(dp, src)
				clear(dp[rows:])
			}
			continue
		}
		// op(A)[i][p] = a[i*lda+p]: transpose the rows into k steps.
		transposeRows(d, mr, a[first*lda+p0:], lda, rows, kcur)
		for r := rows; r < mr; r++ {
			for p := 0; p < kcur; p++ {
				d[p*mr+r] = 0
			}
		}
	}
}

// prefetchRows is how many rows of B ahead packB asks for.
const prefetchRows = 2

// packB copies slivers lo..hi-1 of the kcur×ncur block of op(B) whose
// top-left element is op(B)[p0][j0] into dst as NR-wide slivers: sliver s
// holds columns j0+s*nr .. j0+s*nr+nr-1, stored k step by k step (nr values
// per step). Columns past the end of the block are zero.
func packB(dst []float32, transB bool, b []float32, ldb, j0, ncur, p0, kcur, nr, lo, hi int) {
	if !transB {
		// op(B)[p][j] = b[p*ldb+j]: walk the rows of B, each one a long
		// sequential read, and deal its nr-wide pieces out to the slivers.
		full := min(hi, ncur/nr) // slivers without padding
		for p := 0; p < kcur; p++ {
			row := b[(p0+p)*ldb+j0 : (p0+p)*ldb+j0+ncur]
			if lo < full {
				dealRowChecked(dst[lo*nr*kcur+p*nr:], nr*kcur, row[lo*nr:], full-lo, nr, prefetchRows*ldb)
			}
			if full < hi {
				dp := dst[full*nr*kcur+p*nr : full*nr*kcur+p*nr+nr]
				n := copy(dp, row[full*nr:])
				clear(dp[n:])
			}
		}
		return
	}
	for s := lo; s < hi; s++ {
		d := dst[s*nr*kcur : (s+1)*nr*kcur]
		cols := min(nr, ncur-s*nr)
		first := j0 + s*nr
		// op(B)[p][j] = b[j*ldb+p]: transpose rows of B (columns of op(B))
		// into k steps.
		transposeRows(d, nr, b[first*ldb+p0:], ldb, cols, kcur)
		for cc := cols; cc < nr; cc++ {
			for p := 0; p < kcur; p++ {
				d[p*nr+cc] = 0
			}
		}
	}
}
