// Package openblas binds OpenBLAS's cblas_sgemm through cgo for the
// benchmarks of package sgemm. The binding is only built with -tags openblas
// (it needs Debian's libopenblas-dev); without the tag the package is empty.
package openblas
