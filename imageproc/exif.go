package imageproc

import (
	"bytes"
	"encoding/binary"
)

// This file finds the EXIF orientation (tag 0x0112) of a JPEG (APP1 "Exif"
// segment), PNG (eXIf chunk), WebP (EXIF chunk) or TIFF (IFD0) file and
// applies it as PIL.ImageOps.exif_transpose does. Malformed EXIF data is
// ignored (orientation 1), never an error: the pixels are still valid.

const orientationTag = 0x0112

// exifOrientation returns the EXIF orientation of an encoded image, 1 when it
// has none.
func exifOrientation(format string, data []byte) int {
	var tiff []byte
	switch format {
	case "jpeg":
		tiff = jpegExif(data)
	case "png":
		tiff = pngExif(data)
	case "webp":
		tiff = webpExif(data)
	case "tiff":
		tiff = data
	}
	if tiff == nil {
		return 1
	}
	return tiffOrientation(tiff)
}

// jpegExif returns the TIFF structure inside the first APP1 Exif segment.
func jpegExif(data []byte) []byte {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil
	}
	pos := 2
	for pos+4 <= len(data) {
		if data[pos] != 0xFF {
			return nil
		}
		marker := data[pos+1]
		if marker == 0xFF { // fill byte
			pos++
			continue
		}
		if marker == 0xD9 || marker == 0xDA { // end of image, start of scan
			return nil
		}
		if marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) { // no length
			pos += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		if n < 2 || pos+2+n > len(data) {
			return nil
		}
		seg := data[pos+4 : pos+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		pos += 2 + n
	}
	return nil
}

// pngExif returns the contents of the eXIf chunk.
func pngExif(data []byte) []byte {
	pos := 8
	for pos+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[pos:]))
		typ := string(data[pos+4 : pos+8])
		if n < 0 || n > len(data)-pos-12 {
			return nil
		}
		if typ == "eXIf" {
			return trimExifHeader(data[pos+8 : pos+8+n])
		}
		if typ == "IDAT" || typ == "IEND" {
			// eXIf must precede IDAT; Pillow only reads it there too.
			return nil
		}
		pos += 12 + n
	}
	return nil
}

// webpExif returns the contents of the EXIF chunk of a RIFF WebP file.
func webpExif(data []byte) []byte {
	pos := 12
	for pos+8 <= len(data) {
		typ := string(data[pos : pos+4])
		n := int(binary.LittleEndian.Uint32(data[pos+4:]))
		if n < 0 || n > len(data)-pos-8 {
			return nil
		}
		if typ == "EXIF" {
			return trimExifHeader(data[pos+8 : pos+8+n])
		}
		pos += 8 + n + n&1
	}
	return nil
}

// trimExifHeader drops the "Exif\0\0" prefix some writers put before the
// TIFF header.
func trimExifHeader(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte("Exif\x00\x00"))
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(b[2:]) != 42 {
		return 1
	}
	off := int64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > int64(len(b)) {
		return 1
	}
	n := int64(bo.Uint16(b[off:]))
	for i := int64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(b)) {
			return 1
		}
		if bo.Uint16(b[e:]) != orientationTag {
			continue
		}
		typ, count := bo.Uint16(b[e+2:]), bo.Uint32(b[e+4:])
		if count < 1 {
			return 1
		}
		switch typ {
		case 3: // SHORT
			return int(bo.Uint16(b[e+8:]))
		case 4: // LONG
			return int(bo.Uint32(b[e+8:]))
		}
		return 1
	}
	return 1
}

// Orient returns m transformed for EXIF orientation o (1..8) the way
// PIL.ImageOps.exif_transpose does, so that the result is upright. Values
// outside 1..8 leave the image unchanged, as in Pillow. m itself is not
// modified; for orientation 1 m is returned as is.
func Orient(m *RGB8, o int) *RGB8 {
	if o < 2 || o > 8 {
		return m
	}
	ow, oh := m.W, m.H
	if o >= 5 { // transposing orientations swap width and height
		ow, oh = m.H, m.W
	}
	if m.IsGray() {
		return newGray(ow, oh, orientPlane(m.R, m.W, m.H, o))
	}
	return &RGB8{W: ow, H: oh,
		R: orientPlane(m.R, m.W, m.H, o),
		G: orientPlane(m.G, m.W, m.H, o),
		B: orientPlane(m.B, m.W, m.H, o),
	}
}

// orientPlane applies orientation o to one W x H plane.
func orientPlane(p []uint8, W, H, o int) []uint8 {
	ow := W
	if o >= 5 {
		ow = H
	}
	out := make([]uint8, len(p))
	for i := range out {
		x, y := i%ow, i/ow
		var sx, sy int
		switch o {
		case 2: // FLIP_LEFT_RIGHT
			sx, sy = W-1-x, y
		case 3: // ROTATE_180
			sx, sy = W-1-x, H-1-y
		case 4: // FLIP_TOP_BOTTOM
			sx, sy = x, H-1-y
		case 5: // TRANSPOSE
			sx, sy = y, x
		case 6: // ROTATE_270 (90 degrees clockwise)
			sx, sy = y, H-1-x
		case 7: // TRANSVERSE
			sx, sy = W-1-y, H-1-x
		case 8: // ROTATE_90 (90 degrees counter-clockwise)
			sx, sy = W-1-y, x
		}
		out[i] = p[sy*W+sx]
	}
	return out
}
