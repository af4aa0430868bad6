"""Draws the solutions' logos: ``addon/logos/<provider>-<size>.png``, 128 and 32 pixels.

Our own images, made from a few geometric shapes: a rounded square in the provider's
colour with a white letter drawn from strokes (``J`` for Jitsi Meet, ``Z`` for Zoom,
``B`` for BigBlueButton). No vendor artwork is used. Standard library only (no Pillow):
each pixel is the average of a grid of samples (anti-aliasing), written as an 8-bit RGBA
PNG without metadata, so the same code always draws the same pixels::

    python -m addon.logos.make_logos [--out addon/logos]

These are the images an operator uploads as the add-on's Marketplace store-listing icon
(docs/operations.md, step 6); the URL Google gives back is the ``ADDON_LOGO_URL`` setting.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LOGOS_DIR = Path(__file__).resolve().parent
SIZES: tuple[int, ...] = (128, 32)
"""The store listing's application icons: 128 x 128 and 32 x 32 pixels."""

TILE_RADIUS = 0.22  # corner radius of the rounded square, as a fraction of the side
STROKE = 0.065  # half the width of the letter's strokes, as a fraction of the side
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Segment:
    """A straight stroke from (x0, y0) to (x1, y1), round-ended (unit square, y down)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def box(self) -> tuple[float, float, float, float]:
        return (
            min(self.x0, self.x1) - STROKE,
            min(self.y0, self.y1) - STROKE,
            max(self.x0, self.x1) + STROKE,
            max(self.y0, self.y1) + STROKE,
        )

    def covers(self, x: float, y: float) -> bool:
        dx, dy = self.x1 - self.x0, self.y1 - self.y0
        t = ((x - self.x0) * dx + (y - self.y0) * dy) / (dx * dx + dy * dy)
        t = min(1.0, max(0.0, t))
        return math.hypot(x - self.x0 - t * dx, y - self.y0 - t * dy) <= STROKE


@dataclass(frozen=True)
class Arc:
    """A curved stroke on the circle (cx, cy, r) from ``start`` to ``end`` degrees
    (0 = right, 90 = down), round-ended."""

    cx: float
    cy: float
    r: float
    start: float
    end: float

    def box(self) -> tuple[float, float, float, float]:
        reach = self.r + STROKE
        return (self.cx - reach, self.cy - reach, self.cx + reach, self.cy + reach)

    def covers(self, x: float, y: float) -> bool:
        distance = math.hypot(x - self.cx, y - self.cy)
        angle = math.degrees(math.atan2(y - self.cy, x - self.cx)) % 360.0
        if abs(distance - self.r) <= STROKE and self.start <= angle <= self.end:
            return True
        return any(
            math.hypot(x - self.cx - self.r * math.cos(a), y - self.cy - self.r * math.sin(a))
            <= STROKE
            for a in (math.radians(self.start), math.radians(self.end))
        )


Stroke = Segment | Arc


@dataclass(frozen=True)
class Logo:
    provider: str
    colour: tuple[int, int, int]
    strokes: tuple[Stroke, ...]


LOGOS: tuple[Logo, ...] = (
    Logo(
        "jitsi",
        (0x17, 0x7E, 0x6B),  # teal
        (
            Segment(0.40, 0.28, 0.68, 0.28),
            Segment(0.60, 0.28, 0.60, 0.56),
            Arc(0.46, 0.56, 0.14, 0.0, 180.0),
        ),
    ),
    Logo(
        "zoom",
        (0xC8, 0x55, 0x1E),  # burnt orange
        (
            Segment(0.31, 0.30, 0.69, 0.30),
            Segment(0.69, 0.30, 0.31, 0.70),
            Segment(0.31, 0.70, 0.69, 0.70),
        ),
    ),
    Logo(
        "bigbluebutton",
        (0x1F, 0x4E, 0xA8),  # blue
        (
            Segment(0.36, 0.28, 0.36, 0.72),
            Segment(0.36, 0.28, 0.52, 0.28),
            Segment(0.36, 0.49, 0.54, 0.49),
            Segment(0.36, 0.72, 0.54, 0.72),
            Arc(0.52, 0.385, 0.105, 270.0, 360.0),
            Arc(0.52, 0.385, 0.105, 0.0, 90.0),
            Arc(0.54, 0.605, 0.115, 270.0, 360.0),
            Arc(0.54, 0.605, 0.115, 0.0, 90.0),
        ),
    ),
)


def _in_tile(x: float, y: float) -> bool:
    """Inside the rounded square that fills the image."""
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        return False
    cx = min(max(x, TILE_RADIUS), 1.0 - TILE_RADIUS)
    cy = min(max(y, TILE_RADIUS), 1.0 - TILE_RADIUS)
    return math.hypot(x - cx, y - cy) <= TILE_RADIUS


def render(logo: Logo, size: int) -> bytes:
    """The logo's pixels: ``size`` rows of ``size`` RGBA pixels, top to bottom."""
    grid = max(4, 256 // size)  # samples per pixel side
    boxes = [stroke.box() for stroke in logo.strokes]
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pixels = bytearray()
    for row in range(size):
        for column in range(size):
            in_tile = in_letter = 0
            for i in range(grid):
                y = (row + (i + 0.5) / grid) / size
                for j in range(grid):
                    x = (column + (j + 0.5) / grid) / size
                    if not _in_tile(x, y):
                        continue
                    in_tile += 1
                    if (
                        left <= x <= right
                        and top <= y <= bottom
                        and any(stroke.covers(x, y) for stroke in logo.strokes)
                    ):
                        in_letter += 1
            if in_tile == 0:
                pixels += bytes(4)
                continue
            pixels += bytes(
                round((tile * (in_tile - in_letter) + white * in_letter) / in_tile)
                for tile, white in zip(logo.colour, WHITE, strict=True)
            )
            pixels.append(round(255 * in_tile / grid**2))
    return bytes(pixels)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(size: int, rgba: bytes) -> bytes:
    """A square 8-bit RGBA PNG (no filter, no metadata) of ``rgba`` rows."""
    stride = size * 4
    raw = b"".join(b"\x00" + rgba[row * stride : (row + 1) * stride] for row in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def file_name(provider: str, size: int) -> str:
    return f"{provider}-{size}.png"


def write_logos(out: Path) -> list[Path]:
    """Draws every logo in every size into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for logo in LOGOS:
        for size in SIZES:
            path = out / file_name(logo.provider, size)
            path.write_bytes(encode_png(size, render(logo, size)))
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m addon.logos.make_logos", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=LOGOS_DIR, help="output folder")
    args = parser.parse_args(argv)
    for path in write_logos(args.out):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
