package imageproc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// parseSOF reads a start-of-frame segment (SOF0, SOF1 or SOF2).
func (d *jpegDecoder) parseSOF(seg []byte, progressive bool) error {
	if d.comps != nil {
		return errors.New("more than one frame")
	}
	if len(seg) < 6 {
		return errors.New("short SOF segment")
	}
	if seg[0] != 8 {
		return fmt.Errorf("%w: %d-bit samples", errJPEGUnsupported, seg[0])
	}
	d.h, d.w = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
	nc := int(seg[5])
	if d.w == 0 || d.h == 0 {
		return fmt.Errorf("%w: image size %dx%d (DNL)", errJPEGUnsupported, d.w, d.h)
	}
	if int64(d.w)*int64(d.h) > int64(d.maxPixels) {
		return fmt.Errorf("%w: %dx%d", ErrTooLarge, d.w, d.h)
	}
	if nc != 1 && nc != 3 && nc != 4 {
		return fmt.Errorf("%w: %d components", errJPEGUnsupported, nc)
	}
	if len(seg) < 6+3*nc {
		return errors.New("short SOF segment")
	}
	d.progressive = progressive
	for i := 0; i < nc; i++ {
		c := seg[6+3*i:]
		comp := &jpegComponent{id: int(c[0]), h: int(c[1] >> 4), v: int(c[1] & 15), tq: int(c[2])}
		if comp.h < 1 || comp.h > 4 || comp.v < 1 || comp.v > 4 || comp.tq > 3 {
			return fmt.Errorf("bad component %d parameters", i)
		}
		d.hmax, d.vmax = max(d.hmax, comp.h), max(d.vmax, comp.v)
		d.comps = append(d.comps, comp)
	}
	if nc == 1 { // a single component is never subsampled
		d.comps[0].h, d.comps[0].v, d.hmax, d.vmax = 1, 1, 1, 1
	}
	for _, c := range d.comps {
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return fmt.Errorf("%w: fractional sampling factors", errJPEGUnsupported)
		}
	}
	d.mcux = (d.w + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcuy = (d.h + 8*d.vmax - 1) / (8 * d.vmax)
	for _, c := range d.comps {
		c.bw, c.bh = d.mcux*c.h, d.mcuy*c.v
		c.coef = make([][64]int16, c.bw*c.bh)
	}
	return nil
}

// parseDQT reads quantisation tables (stored in natural order).
func (d *jpegDecoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return errors.New("bad DQT segment")
		}
		n := 64 * (1 + int(pq))
		if len(seg) < 1+n {
			return errors.New("short DQT segment")
		}
		q := new([64]int32)
		for i := 0; i < 64; i++ {
			if pq == 0 {
				q[zigzag[i]] = int32(seg[1+i])
			} else {
				q[zigzag[i]] = int32(binary.BigEndian.Uint16(seg[1+2*i:]))
			}
		}
		d.quant[tq] = q
		seg = seg[1+n:]
	}
	return nil
}

// parseDHT reads Huffman tables.
func (d *jpegDecoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errors.New("short DHT segment")
		}
		tc, th := seg[0]>>4, int(seg[0]&15)
		if tc > 1 || th > 3 {
			return errors.New("bad DHT segment")
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if total > 256 || len(seg) < 17+total {
			return errors.New("bad DHT segment")
		}
		vals := append([]uint8{}, seg[17:17+total]...)
		t, err := newHuffTable(counts, vals)
		if err != nil {
			return err
		}
		if tc == 0 {
			d.dc[th] = t
		} else {
			d.ac[th] = t
		}
		seg = seg[17+total:]
	}
	return nil
}

// decodeScan reads a start-of-scan header and its entropy-coded data,
// which begins at data[pos]; it returns the position after the data.
func (d *jpegDecoder) decodeScan(data []byte, pos int, seg []byte) (int, error) {
	if d.comps == nil {
		return 0, errors.New("scan before frame header")
	}
	if len(seg) < 1 {
		return 0, errors.New("short SOS segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) < 1+2*ns+3 {
		return 0, errors.New("bad SOS segment")
	}
	var comps []*jpegComponent
	for i := 0; i < ns; i++ {
		id, tables := int(seg[1+2*i]), seg[2+2*i]
		var c *jpegComponent
		for _, cc := range d.comps {
			if cc.id == id {
				c = cc
			}
		}
		if c == nil {
			return 0, fmt.Errorf("scan names unknown component %d", id)
		}
		c.td, c.ta = int(tables>>4), int(tables&15)
		if c.td > 3 || c.ta > 3 {
			return 0, errors.New("bad SOS table selector")
		}
		comps = append(comps, c)
	}
	p := seg[1+2*ns:]
	ss, se, ah, al := int(p[0]), int(p[1]), int(p[2]>>4), uint(p[2]&15)
	if d.progressive {
		if ss > se || se > 63 || (ss == 0) != (se == 0) || (ss > 0 && ns != 1) || al > 13 {
			return 0, errors.New("bad progressive scan parameters")
		}
	} else {
		ss, se, ah, al = 0, 63, 0, 0
	}
	for _, c := range comps {
		if d.quant[c.tq] == nil {
			return 0, errors.New("missing quantisation table")
		}
		if (ss == 0 && ah == 0 && d.dc[c.td] == nil) || (se > 0 && d.ac[c.ta] == nil) {
			return 0, errors.New("missing Huffman table")
		}
	}
	br := &bitReader{data: data, pos: pos}
	for _, c := range comps {
		c.dcPred = 0
	}
	d.eobrun = 0
	block := func(c *jpegComponent, bx, by int) error {
		b := &c.coef[by*c.bw+bx]
		switch {
		case !d.progressive:
			return d.blockBaseline(br, c, b)
		case ss == 0 && ah == 0:
			return d.blockDCFirst(br, c, b, al)
		case ss == 0:
			v, err := br.bits(1)
			if v != 0 {
				b[0] |= int16(1) << al
			}
			return err
		case ah == 0:
			return d.blockACFirst(br, c, b, ss, se, al)
		}
		return d.blockACRefine(br, c, b, ss, se, al)
	}
	mcu := 0
	restartIfDue := func(last bool) error {
		mcu++
		if d.restart == 0 || mcu%d.restart != 0 || last {
			return nil
		}
		if err := br.reset(); err != nil {
			return err
		}
		for _, c := range comps {
			c.dcPred = 0
		}
		d.eobrun = 0
		return nil
	}
	if ns == 1 {
		// Non-interleaved: the component's own blocks, without MCU padding.
		c := comps[0]
		cw := (d.w*c.h + d.hmax - 1) / d.hmax
		ch := (d.h*c.v + d.vmax - 1) / d.vmax
		nbx, nby := (cw+7)/8, (ch+7)/8
		for by := 0; by < nby; by++ {
			for bx := 0; bx < nbx; bx++ {
				if err := block(c, bx, by); err != nil {
					return 0, err
				}
				if err := restartIfDue(bx == nbx-1 && by == nby-1); err != nil {
					return 0, err
				}
			}
		}
	} else {
		for my := 0; my < d.mcuy; my++ {
			for mx := 0; mx < d.mcux; mx++ {
				for _, c := range comps {
					for v := 0; v < c.v; v++ {
						for h := 0; h < c.h; h++ {
							if err := block(c, mx*c.h+h, my*c.v+v); err != nil {
								return 0, err
							}
						}
					}
				}
				if err := restartIfDue(mx == d.mcux-1 && my == d.mcuy-1); err != nil {
					return 0, err
				}
			}
		}
	}
	return br.pos, nil
}

// natural maps zigzag position k (up to 63+15 after a run) to a natural
// index; like libjpeg's jpeg_natural_order, positions past 63 map to 63.
func natural(k int) int {
	if k > 63 {
		return 63
	}
	return zigzag[k]
}

func (d *jpegDecoder) dcDiff(br *bitReader, c *jpegComponent) (int32, error) {
	s, err := br.decode(d.dc[c.td])
	if err != nil {
		return 0, err
	}
	if s > 16 {
		return 0, errors.New("corrupt DC coefficient")
	}
	v, err := br.bits(uint(s))
	return extend(v, uint(s)), err
}

func (d *jpegDecoder) blockBaseline(br *bitReader, c *jpegComponent, b *[64]int16) error {
	diff, err := d.dcDiff(br, c)
	if err != nil {
		return err
	}
	c.dcPred += diff
	b[0] = int16(c.dcPred)
	t := d.ac[c.ta]
	for k := 1; k < 64; k++ {
		rs, err := br.decode(t)
		if err != nil {
			return err
		}
		r, s := int(rs>>4), uint(rs&15)
		if s != 0 {
			k += r
			v, err := br.bits(s)
			if err != nil {
				return err
			}
			b[natural(k)] = int16(extend(v, s))
		} else {
			if r != 15 {
				break
			}
			k += 15
		}
	}
	return nil
}

func (d *jpegDecoder) blockDCFirst(br *bitReader, c *jpegComponent, b *[64]int16, al uint) error {
	diff, err := d.dcDiff(br, c)
	if err != nil {
		return err
	}
	c.dcPred += diff
	b[0] = int16(uint32(c.dcPred) << al)
	return nil
}

func (d *jpegDecoder) blockACFirst(br *bitReader, c *jpegComponent, b *[64]int16, ss, se int, al uint) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	t := d.ac[c.ta]
	for k := ss; k <= se; k++ {
		rs, err := br.decode(t)
		if err != nil {
			return err
		}
		r, s := int(rs>>4), uint(rs&15)
		if s != 0 {
			k += r
			v, err := br.bits(s)
			if err != nil {
				return err
			}
			b[natural(k)] = int16(uint32(extend(v, s)) << al)
		} else {
			if r != 15 {
				d.eobrun = 1 << r
				if r != 0 {
					e, err := br.bits(uint(r))
					if err != nil {
						return err
					}
					d.eobrun += int(e)
				}
				d.eobrun--
				break
			}
			k += 15
		}
	}
	return nil
}

// blockACRefine is a successive-approximation refinement scan for one
// block (libjpeg's decode_mcu_AC_refine).
func (d *jpegDecoder) blockACRefine(br *bitReader, c *jpegComponent, b *[64]int16, ss, se int, al uint) error {
	p1, m1 := int16(1)<<al, int16(-1)<<al
	refine := func(i int) error {
		bit, err := br.bits(1)
		if err != nil {
			return err
		}
		if bit != 0 && b[i]&p1 == 0 {
			if b[i] >= 0 {
				b[i] += p1
			} else {
				b[i] += m1
			}
		}
		return nil
	}
	k := ss
	if d.eobrun == 0 {
		t := d.ac[c.ta]
		for ; k <= se; k++ {
			rs, err := br.decode(t)
			if err != nil {
				return err
			}
			r, s := int(rs>>4), int16(rs&15)
			if s != 0 {
				bit, err := br.bits(1)
				if err != nil {
					return err
				}
				if bit != 0 {
					s = p1
				} else {
					s = m1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r != 0 {
					e, err := br.bits(uint(r))
					if err != nil {
						return err
					}
					d.eobrun += int(e)
				}
				break
			}
			for k <= se {
				i := natural(k)
				if b[i] != 0 {
					if err := refine(i); err != nil {
						return err
					}
				} else {
					r--
					if r < 0 {
						break
					}
				}
				k++
			}
			if s != 0 {
				b[natural(k)] = s
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= se; k++ {
			if i := natural(k); b[i] != 0 {
				if err := refine(i); err != nil {
					return err
				}
			}
		}
		d.eobrun--
	}
	return nil
}
