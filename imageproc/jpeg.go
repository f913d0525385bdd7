package imageproc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// This file is a JPEG decoder for the files Pillow decodes with
// libjpeg-turbo's default settings: 8-bit Huffman-coded baseline, extended
// and progressive JPEGs with one (gray), three (YCbCr or RGB) or four (CMYK
// or YCCK) components. Its output equals libjpeg-turbo's (djpeg) bit for
// bit: the same inverse DCT (jpegidct.go), chroma upsampling and colour
// conversion (ycbcr.go, jpegout.go). Anything else (arithmetic coding,
// 12-bit, lossless) is reported as errJPEGUnsupported and left to Go's
// image/jpeg.

var errJPEGUnsupported = errors.New("JPEG variant not handled by the libjpeg-compatible decoder")

// zigzag maps the i-th coefficient in zigzag order to its natural index.
var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// huffTable is a canonical Huffman table in libjpeg's decoding form.
type huffTable struct {
	maxcode [18]int32 // largest code of each length, -1 if none
	valptr  [17]int32 // index into vals of the first code of each length
	mincode [17]int32
	vals    []uint8
	lookup  [256]uint16 // 8-bit fast path: length<<8 | value, 0 if longer
}

func newHuffTable(counts [16]int, vals []uint8) (*huffTable, error) {
	t := &huffTable{vals: vals}
	code, k := int32(0), 0
	for l := 1; l <= 16; l++ {
		n := counts[l-1]
		t.valptr[l] = int32(k)
		t.mincode[l] = code
		if n == 0 {
			t.maxcode[l] = -1
		} else {
			for i := 0; i < n; i++ {
				if code >= 1<<l {
					return nil, fmt.Errorf("bad Huffman table")
				}
				if l <= 8 {
					base := int(code) << (8 - l)
					for j := 0; j < 1<<(8-l); j++ {
						t.lookup[base+j] = uint16(l)<<8 | uint16(vals[k+i])
					}
				}
				code++
			}
			t.maxcode[l] = code - 1
			k += n
		}
		code <<= 1
	}
	t.maxcode[17] = 0x7fffffff
	return t, nil
}

// bitReader reads entropy-coded bits, undoing 0xFF00 stuffing. At a
// marker it supplies zero bits as libjpeg does, without consuming it.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64
	n      uint // valid bits in acc
	marker bool // a marker was reached
	zeros  int  // zero bytes supplied past a marker
}

func (b *bitReader) fill() error {
	for b.n <= 56 {
		if b.marker || b.pos >= len(b.data) {
			if b.pos >= len(b.data) && !b.marker {
				return errors.New("truncated entropy-coded data")
			}
			b.zeros++
			if b.zeros > 1<<16 {
				return errors.New("corrupt entropy-coded data (ran past a marker)")
			}
			b.acc <<= 8
			b.n += 8
			continue
		}
		c := b.data[b.pos]
		if c == 0xFF {
			if b.pos+1 >= len(b.data) {
				return errors.New("truncated entropy-coded data")
			}
			if b.data[b.pos+1] != 0x00 {
				b.marker = true
				continue
			}
			b.pos += 2
		} else {
			b.pos++
		}
		b.acc = b.acc<<8 | uint64(c)
		b.n += 8
	}
	return nil
}

func (b *bitReader) bits(n uint) (int32, error) {
	if n == 0 {
		return 0, nil
	}
	if b.n < n {
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	b.n -= n
	return int32(b.acc>>b.n) & (1<<n - 1), nil
}

func (b *bitReader) decode(t *huffTable) (uint8, error) {
	if b.n < 16 {
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	if e := t.lookup[(b.acc>>(b.n-8))&0xFF]; e != 0 {
		b.n -= uint(e >> 8)
		return uint8(e), nil
	}
	code := int32(0)
	for l := 1; l <= 16; l++ {
		code = code<<1 | int32(b.acc>>(b.n-uint(l)))&1
		if code <= t.maxcode[l] {
			b.n -= uint(l)
			i := t.valptr[l] + code - t.mincode[l]
			if int(i) >= len(t.vals) {
				return 0, errors.New("corrupt Huffman code")
			}
			return t.vals[i], nil
		}
	}
	return 0, errors.New("corrupt Huffman code")
}

// extend turns the s-bit value v into a signed coefficient difference.
func extend(v int32, s uint) int32 {
	if s == 0 {
		return 0
	}
	if v < 1<<(s-1) {
		return v - (1 << s) + 1
	}
	return v
}

// reset discards buffered bits and steps over a restart marker.
func (b *bitReader) reset() error {
	b.acc, b.n, b.zeros = 0, 0, 0
	if b.marker || (b.pos+1 < len(b.data) && b.data[b.pos] == 0xFF) {
		for b.pos < len(b.data) && b.data[b.pos] == 0xFF {
			b.pos++
		}
		if b.pos >= len(b.data) {
			return errors.New("truncated data at a restart marker")
		}
		if m := b.data[b.pos]; m < 0xD0 || m > 0xD7 {
			return fmt.Errorf("expected a restart marker, found 0x%02X", m)
		}
		b.pos++
	} else {
		return errors.New("missing restart marker")
	}
	b.marker = false
	return nil
}

// jpegComponent is one colour component of a frame and its coefficients.
type jpegComponent struct {
	id, h, v, tq int
	bw, bh       int         // blocks per line and per column (MCU-padded)
	coef         [][64]int16 // bw*bh blocks, natural order (libjpeg's JCOEF)
	dcPred       int32
	td, ta       int
}

// jpegDecoder holds the state of one decode.
type jpegDecoder struct {
	w, h, hmax, vmax int
	mcux, mcuy       int
	progressive      bool
	comps            []*jpegComponent
	quant            [4]*[64]int32
	dc, ac           [4]*huffTable
	restart          int
	jfif, adobe      bool
	adobeTransform   int
	eobrun           int
	maxPixels        int
}

// decodeJPEGLibjpeg decodes data; it returns errJPEGUnsupported (wrapped)
// for variants it does not handle.
func decodeJPEGLibjpeg(data []byte, maxPixels int) (*RGB8, error) {
	d := &jpegDecoder{maxPixels: maxPixels}
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, errors.New("missing SOI marker")
	}
	pos := 2
	for {
		for pos < len(data) && data[pos] != 0xFF {
			pos++ // tolerate garbage between segments, as libjpeg does
		}
		for pos < len(data) && data[pos] == 0xFF {
			pos++
		}
		if pos >= len(data) {
			return nil, errors.New("truncated: no EOI marker")
		}
		m := data[pos]
		pos++
		if m == 0xD9 { // EOI
			break
		}
		if m >= 0xD0 && m <= 0xD7 || m == 0x01 || m == 0x00 {
			continue // stray restart marker, TEM, or stuffed data after a scan
		}
		if pos+2 > len(data) {
			return nil, errors.New("truncated marker segment")
		}
		n := int(binary.BigEndian.Uint16(data[pos:]))
		if n < 2 || pos+n > len(data) {
			return nil, fmt.Errorf("marker 0x%02X: bad length %d", m, n)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		var err error
		switch {
		case m == 0xC0 || m == 0xC1 || m == 0xC2:
			err = d.parseSOF(seg, m == 0xC2)
		case m == 0xC3 || m >= 0xC5 && m <= 0xCF && m != 0xC8 && m != 0xCC:
			return nil, fmt.Errorf("%w: SOF%d", errJPEGUnsupported, m-0xC0)
		case m == 0xC4:
			err = d.parseDHT(seg)
		case m == 0xDB:
			err = d.parseDQT(seg)
		case m == 0xDD:
			if len(seg) < 2 {
				return nil, errors.New("bad DRI segment")
			}
			d.restart = int(binary.BigEndian.Uint16(seg))
		case m == 0xE0:
			d.jfif = d.jfif || len(seg) >= 14 && string(seg[:5]) == "JFIF\x00" // libjpeg needs the full 14 bytes
		case m == 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeTransform = true, int(seg[11])
			}
		case m == 0xDA:
			pos, err = d.decodeScan(data, pos, seg)
		}
		if err != nil {
			return nil, err
		}
	}
	if d.comps == nil || d.comps[0].coef == nil {
		return nil, errors.New("no image data")
	}
	return d.output()
}
