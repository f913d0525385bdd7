//go:build !amd64 || purego

package autograd

// Without the amd64 assembly every row kernel runs in Go.

func haveRowAsm() bool { return false }

func expShiftSumAVX2(dst, src *float32, n int, m, scale float64) float64 {
	panic("autograd: expShiftSumAVX2 without assembly")
}

func maxAVX2(x *float32, n int) float32 { panic("autograd: maxAVX2 without assembly") }

func scaleAVX2(x *float32, n int, s float32) { panic("autograd: scaleAVX2 without assembly") }

func geluErfAVX2(x, y, aux *float32, n int) { panic("autograd: geluErfAVX2 without assembly") }

func quickGeluAVX2(x, y, aux *float32, n int) { panic("autograd: quickGeluAVX2 without assembly") }
