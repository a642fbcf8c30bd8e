#!/usr/bin/env python3
"""Checks for tests/browser/run.sh, with the standard library only.

    check.py dom DOM_FILE EVAL_JSON SUBJECT   the DOM Chromium built holds the picture and the flags
    check.py png PNG_FILE                     the screenshot is not blank and shows the picture

Prints what it checked; exits 1 with the reasons when a check fails.
"""

import json
import struct
import sys
import zlib
from html.parser import HTMLParser

# The window fills of src/html/picture.rs (URGENT, OPEN) and the first counterpart colour.
URGENT = (0xEF, 0x8A, 0x62)
OPEN = (0xFD, 0xDB, 0xC7)
FIRST_COUNTERPART = (0x00, 0x72, 0xB2)


class Dom(HTMLParser):
    """Collects the parts of the page the checks look at."""

    def __init__(self):
        super().__init__()
        self.svg_pictures = 0
        self.marks = 0
        self.flag_rows = {}  # row id -> set of window stage classes in it
        self.row = None
        self.depth = 0
        self.cards = 0
        self.text = []
        self.scripts = 0
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href", "xlink:href"):
            v = a.get(name) or ""
            if v and not v.startswith("#"):
                self.external.append(f"{tag} {name}={v}")
        if tag == "svg" and "picture" in classes:
            self.svg_pictures += 1
        if tag == "g" and "mark" in classes:
            self.marks += 1
        if tag == "article" and "flag" in classes:
            self.cards += 1
        if self.row is not None and tag == "g":
            self.depth += 1
        if tag == "g" and "flagrow" in classes:
            self.row = a.get("id")
            self.depth = 1
            self.flag_rows[self.row] = set()
        if tag == "rect" and "win" in classes and self.row is not None:
            self.flag_rows[self.row] |= classes & {"urgent", "open", "closed"}

    def handle_endtag(self, tag):
        if tag == "g" and self.row is not None:
            self.depth -= 1
            if self.depth == 0:
                self.row = None

    def handle_data(self, data):
        self.text.append(data)


def check_dom(dom_file, eval_json, subject):
    with open(dom_file, encoding="utf-8") as f:
        dom_text = f.read()
    with open(eval_json, encoding="utf-8") as f:
        report = json.load(f)
    flags = [f for f in report["flags"] if f["subject"] == subject]
    observations = report["stats"]["observations"]
    d = Dom()
    d.feed(dom_text)
    text = " ".join(" ".join(d.text).split())
    problems = []
    if d.svg_pictures != 1:
        problems.append(f"expected one <svg class=picture>, found {d.svg_pictures}")
    if d.marks != observations:
        problems.append(f"expected a mark per observation ({observations}), found {d.marks}")
    if len(d.flag_rows) != len(flags):
        problems.append(f"expected a flag row per flag ({len(flags)}), found {len(d.flag_rows)}")
    unshaded = [r for r, stages in d.flag_rows.items() if not stages]
    if unshaded:
        problems.append(f"flag rows without a window shading: {unshaded}")
    if d.cards != len(flags):
        problems.append(f"expected a card per flag ({len(flags)}), found {d.cards}")
    for f in flags:
        expl = " ".join(f["explanation"].split())
        if expl not in text:
            problems.append(f"explanation of {f['rule']} not on the page: {expl!r}")
        if f["rule"] not in text:
            problems.append(f"rule id {f['rule']} not on the page")
    if "a prompt for a professional to look, not a decision" not in text:
        problems.append("the line that a flag is a prompt, not a decision, is missing")
    if subject not in text:
        problems.append(f"subject id {subject} not on the page")
    if d.scripts:
        problems.append(f"{d.scripts} <script> element(s)")
    if d.external:
        problems.append(f"references outside the page: {d.external[:5]}")
    print(
        f"dom: {d.svg_pictures} picture(s), {d.marks} marks, {len(d.flag_rows)} flag rows with windows "
        f"{sorted(set().union(*d.flag_rows.values())) if d.flag_rows else []}, {d.cards} cards"
    )
    return problems


def decode_png(path):
    """Decodes an 8-bit, non-interlaced greyscale, RGB or RGBA PNG into rows of pixel bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    return width, height, channels, rows


def check_png(path):
    width, height, channels, rows = decode_png(path)
    colours = {}
    for line in rows[::2]:
        for x in range(0, width, 2):
            px = tuple(line[x * channels : x * channels + min(channels, 3)])
            colours[px] = colours.get(px, 0) + 1
    total = sum(colours.values())
    background = max(colours.values())
    near = lambda want: sum(
        n for c, n in colours.items() if len(c) == 3 and all(abs(a - b) <= 4 for a, b in zip(c, want))
    )
    problems = []
    if (width, height) != (1400, 1000):
        problems.append(f"expected a 1400x1000 screenshot, found {width}x{height}")
    if len(colours) < 50:
        problems.append(f"only {len(colours)} distinct colours: the page looks blank")
    if background / total > 0.97:
        problems.append(f"{background / total:.1%} of the pixels are one colour: the page looks blank")
    for name, want in (("urgent window", URGENT), ("open window", OPEN), ("counterpart mark", FIRST_COUNTERPART)):
        if near(want) < 20:
            problems.append(f"no {name} colour #{bytes(want).hex()} in the screenshot")
    print(
        f"png: {width}x{height}, {len(colours)} distinct colours (every 2nd pixel), "
        f"background {background / total:.0%}, urgent {near(URGENT)} px, open {near(OPEN)} px, "
        f"counterpart {near(FIRST_COUNTERPART)} px"
    )
    return problems


def main(argv):
    if len(argv) >= 2 and argv[1] == "dom" and len(argv) == 5:
        problems = check_dom(argv[2], argv[3], argv[4])
    elif len(argv) == 3 and argv[1] == "png":
        try:
            problems = check_png(argv[2])
        except (OSError, ValueError, zlib.error) as e:
            problems = [f"cannot read the screenshot: {e}"]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
