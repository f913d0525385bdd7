//go:build tools

// Package deps pins the project's few third-party modules in go.mod.
package deps

import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/klauspost/cpuid/v2"
	_ "golang.org/x/image/webp"
	_ "gonum.org/v1/gonum/blas/blas32"
)
