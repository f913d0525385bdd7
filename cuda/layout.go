package cuda

import (
	"fmt"
	"slices"
)

// maxDims is the rank the strided kernels accept after merging dims
// (EW_MAXDIM, RED_MAXDIM in the kernels).
const maxDims = 8

// strided is the shape, strides (in elements; nil means C-contiguous) and
// offset of one operand, as a tensor describes its view.
type strided struct {
	shape   []int
	strides []int
	offset  int
}

// stridesOf returns s's strides, filling in C-contiguous ones when nil.
func (s strided) stridesOf() []int {
	if s.strides != nil {
		return s.strides
	}
	st := make([]int, len(s.shape))
	n := 1
	for i := len(s.shape) - 1; i >= 0; i-- {
		st[i] = n
		n *= s.shape[i]
	}
	return st
}

// span returns the number of elements from the start of the storage that
// s reaches (offset + the largest index + 1), or 0 for an empty view.
func (s strided) span() int {
	st := s.stridesOf()
	last := s.offset
	for i, d := range s.shape {
		if d == 0 {
			return 0
		}
		last += (d - 1) * st[i]
	}
	return last + 1
}

// check validates the strides against the shape.
func (s strided) check(op, name string) error {
	if s.strides != nil && len(s.strides) != len(s.shape) {
		return fmt.Errorf("cuda: %s: %s has shape %v but strides %v", op, name, s.shape, s.strides)
	}
	if s.offset < 0 {
		return fmt.Errorf("cuda: %s: %s has offset %d", op, name, s.offset)
	}
	for i, d := range s.shape {
		if d < 0 || (s.strides != nil && s.strides[i] < 0) {
			return fmt.Errorf("cuda: %s: %s has shape %v, strides %v (negative)", op, name, s.shape, s.strides)
		}
	}
	return nil
}

// ewPlan is the launch description of an element-wise kernel: the
// iteration shape and, per operand (output first), strides and offset.
type ewPlan struct {
	shape   []int
	strides [][]int
	offs    []int
	n       int // elements of the output
}

// broadcastTo returns in's strides viewed with shape out (NumPy rules:
// dims aligned from the right; a missing or size-1 dim has stride 0).
func broadcastTo(op, name string, in strided, out []int) ([]int, error) {
	if len(in.shape) > len(out) {
		return nil, fmt.Errorf("cuda: %s: %s of shape %v does not broadcast to %v", op, name, in.shape, out)
	}
	st := in.stridesOf()
	res := make([]int, len(out))
	lead := len(out) - len(in.shape)
	for i := range in.shape {
		switch in.shape[i] {
		case out[lead+i]:
			res[lead+i] = st[i]
			if in.shape[i] == 1 {
				res[lead+i] = 0
			}
		case 1:
			res[lead+i] = 0
		default:
			return nil, fmt.Errorf("cuda: %s: %s of shape %v does not broadcast to %v", op, name, in.shape, out)
		}
	}
	return res, nil
}

// planElementwise broadcasts every input to out's shape, checks that out
// does not write an element twice, drops size-1 dims and merges dims that
// are contiguous in every operand (so a dense tensor becomes rank 1).
func planElementwise(op string, out strided, names []string, ins ...strided) (ewPlan, error) {
	if err := out.check(op, "output"); err != nil {
		return ewPlan{}, err
	}
	p := ewPlan{n: 1}
	ost := out.stridesOf()
	for i, d := range out.shape {
		p.n *= d
		if d > 1 && ost[i] == 0 {
			return ewPlan{}, fmt.Errorf("cuda: %s: output of shape %v has stride 0 in dim %d (it would write one element twice)", op, out.shape, i)
		}
	}
	all := [][]int{ost}
	offs := []int{out.offset}
	for k, in := range ins {
		if err := in.check(op, names[k]); err != nil {
			return ewPlan{}, err
		}
		st, err := broadcastTo(op, names[k], in, out.shape)
		if err != nil {
			return ewPlan{}, err
		}
		all = append(all, st)
		offs = append(offs, in.offset)
	}
	p.shape, p.strides = mergeDims(out.shape, all)
	p.offs = offs
	if len(p.shape) > maxDims {
		return ewPlan{}, fmt.Errorf("cuda: %s: %d dims after merging (at most %d)", op, len(p.shape), maxDims)
	}
	return p, nil
}

// mergeDims drops size-1 dims and merges dim i into dim i+1 wherever
// every operand has stride[i] == stride[i+1]·shape[i+1], keeping the
// elements' C order. strides holds one stride list per operand.
func mergeDims(shape []int, strides [][]int) ([]int, [][]int) {
	outShape := []int{}
	outSt := make([][]int, len(strides))
	for i, d := range shape {
		if d == 1 {
			continue
		}
		outShape = append(outShape, d)
		for k, st := range strides {
			outSt[k] = append(outSt[k], st[i])
		}
	}
	// Merge from the innermost dim outwards.
	for i := len(outShape) - 2; i >= 0; i-- {
		ok := true
		for k := range outSt {
			if outSt[k][i] != outSt[k][i+1]*outShape[i+1] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		outShape[i] *= outShape[i+1]
		outShape = slices.Delete(outShape, i+1, i+2)
		for k := range outSt {
			outSt[k][i] = outSt[k][i+1]
			outSt[k] = slices.Delete(outSt[k], i+1, i+2)
		}
	}
	return outShape, outSt
}

// redPlan is the launch description of a reduction: the kept (outer)
// dims with x's and y's strides, the reduced (inner) dims with x's
// strides, each merged where contiguous.
type redPlan struct {
	oshape, ost, yst []int
	ishape, ist      []int
	xoff, yoff       int
	m, r             int // outputs, elements reduced into each
}

// normAxes turns axes (nil or empty: all; negative: from the end) into a
// mask over rank dims.
func normAxes(op string, axes []int, rank int) ([]bool, error) {
	mask := make([]bool, rank)
	if len(axes) == 0 {
		for i := range mask {
			mask[i] = true
		}
		return mask, nil
	}
	for _, a := range axes {
		d := a
		if d < 0 {
			d += rank
		}
		if d < 0 || d >= rank {
			return nil, fmt.Errorf("cuda: %s: axis %d out of range for rank %d", op, a, rank)
		}
		if mask[d] {
			return nil, fmt.Errorf("cuda: %s: axis %d repeated in %v", op, a, axes)
		}
		mask[d] = true
	}
	return mask, nil
}

// planReduce reduces x over axes into y, whose shape is x's with the
// reduced dims either removed or kept as 1.
func planReduce(op string, x strided, axes []int, y strided) (redPlan, error) {
	if err := x.check(op, "x"); err != nil {
		return redPlan{}, err
	}
	if err := y.check(op, "y"); err != nil {
		return redPlan{}, err
	}
	mask, err := normAxes(op, axes, len(x.shape))
	if err != nil {
		return redPlan{}, err
	}
	var kept, keepdim []int
	for i, d := range x.shape {
		if mask[i] {
			keepdim = append(keepdim, 1)
		} else {
			kept = append(kept, d)
			keepdim = append(keepdim, d)
		}
	}
	withDims := slices.Equal(y.shape, keepdim)
	if !withDims && !slices.Equal(y.shape, kept) {
		return redPlan{}, fmt.Errorf("cuda: %s: output shape %v, want %v or %v for x %v reduced over %v", op, y.shape, kept, keepdim, x.shape, axes)
	}
	xst, yst := x.stridesOf(), y.stridesOf()
	var oshape, ox, oy, ishape, ix []int
	j := 0 // y's dim
	for i, d := range x.shape {
		if mask[i] {
			ishape = append(ishape, d)
			ix = append(ix, xst[i])
			if withDims {
				j++
			}
			continue
		}
		if d > 1 && yst[j] == 0 {
			return redPlan{}, fmt.Errorf("cuda: %s: output of shape %v has stride 0 in dim %d", op, y.shape, j)
		}
		oshape = append(oshape, d)
		ox = append(ox, xst[i])
		oy = append(oy, yst[j])
		j++
	}
	p := redPlan{xoff: x.offset, yoff: y.offset, m: 1, r: 1}
	for _, d := range oshape {
		p.m *= d
	}
	for _, d := range ishape {
		p.r *= d
	}
	var os, is [][]int
	p.oshape, os = mergeDims(oshape, [][]int{ox, oy})
	p.ost, p.yst = os[0], os[1]
	p.ishape, is = mergeDims(ishape, [][]int{ix})
	p.ist = is[0]
	if len(p.oshape) > maxDims || len(p.ishape) > maxDims {
		return redPlan{}, fmt.Errorf("cuda: %s: %d kept and %d reduced dims after merging (at most %d each)", op, len(p.oshape), len(p.ishape), maxDims)
	}
	return p, nil
}
