#!/usr/bin/env python3
"""Write testdata/unicode_cases.txt.gz: what Python's str and unicodedata
(the functions transformers' BertTokenizer calls) give, for unicode_test.go.

Run from the tokenizer folder:  python3 internal/unigen/unicases.py
Lines (tab-separated, code points in hex, joined by spaces):
  V  <unicode version>
  L  <cp>  <str.lower() of chr(cp)>              for every cp whose lower() differs
  K  <first>  <last>  <flags>                    runs of code points with the same flags:
       c = _is_control, w = _is_whitespace, p = _is_punctuation, m = category Mn,
       s = str.isspace, u = category Cn (unassigned), - = none
  N  <input>  <NFD>  <NFC>  <NFD without Mn>     normalisation of generated strings
"""
import gzip
import random
import sys
import unicodedata


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_whitespace(ch):
    if ch in " \t\n\r":
        return True
    return unicodedata.category(ch) == "Zs"


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def flags(ch):
    f = ""
    if is_control(ch):
        f += "c"
    if is_whitespace(ch):
        f += "w"
    if is_punctuation(ch):
        f += "p"
    if unicodedata.category(ch) == "Mn":
        f += "m"
    if ch.isspace():
        f += "s"
    if unicodedata.category(ch) == "Cn":
        f += "u"
    return f or "-"


def hexs(s):
    return " ".join("%x" % ord(c) for c in s) or "-"


def main():
    rnd = random.Random(20261127)
    out = []
    out.append("V\t%s" % unicodedata.unidata_version)
    cps = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    for cp in cps:
        ch = chr(cp)
        if ch.lower() != ch:
            out.append("L\t%x\t%s" % (cp, hexs(ch.lower())))
    start, cur = 0, flags(chr(0))
    for cp in range(1, 0x110000):
        f = "c" if 0xD800 <= cp <= 0xDFFF else flags(chr(cp))
        if f != cur:
            out.append("K\t%x\t%x\t%s" % (start, cp - 1, cur))
            start, cur = cp, f
    out.append("K\t%x\t%x\t%s" % (start, 0x10FFFF, cur))
    # Characters that exercise decomposition, reordering and composition.
    pool = [chr(c) for c in range(0x41, 0x5B)] + [chr(c) for c in range(0x61, 0x7B)]
    pool += [chr(c) for c in range(0xC0, 0x250)]
    pool += [chr(c) for c in range(0x300, 0x370)]          # combining diacritics
    pool += [chr(c) for c in range(0x591, 0x5C8)]          # Hebrew points
    pool += [chr(c) for c in range(0x900, 0x980)]          # Devanagari
    pool += [chr(c) for c in range(0xF40, 0xF90)]          # Tibetan
    pool += [chr(c) for c in range(0x1E00, 0x1F00)]        # Latin extended additional
    pool += [chr(c) for c in range(0x1F00, 0x2000)]        # Greek extended
    pool += [chr(c) for c in range(0x20D0, 0x20F1)]        # combining marks for symbols
    pool += [chr(c) for c in range(0x1100, 0x1200)]        # Hangul jamo
    pool += [chr(c) for c in range(0x3099, 0x309B)] + [chr(c) for c in range(0x3040, 0x3100)]
    pool += [chr(0xAC00 + rnd.randrange(11172)) for _ in range(200)]
    pool += [chr(c) for c in range(0xF900, 0xF920)] + [chr(c) for c in range(0x2F800, 0x2F810)]
    pool += [chr(c) for c in (0x130, 0x3A3, 0x212B, 0x2126, 0x344, 0x345, 0x1D15E, 0x1D160, 0x1D165, 0x302E)]
    for _ in range(6000):
        s = "".join(rnd.choice(pool) for _ in range(rnd.randint(1, 7)))
        stripped = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
        out.append("N\t%s\t%s\t%s\t%s" % (hexs(s), hexs(unicodedata.normalize("NFD", s)),
                                          hexs(unicodedata.normalize("NFC", s)), hexs(stripped)))
    with gzip.open("testdata/unicode_cases.txt.gz", "wt", encoding="ascii", compresslevel=9) as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    sys.exit(main())
