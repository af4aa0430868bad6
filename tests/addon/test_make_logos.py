"""The shipped logos: the store listing's icon sizes, and exactly what make_logos draws."""

from __future__ import annotations

import struct
import zlib

import pytest

from addon.generate import known_providers
from addon.logos.make_logos import (
    LOGOS,
    LOGOS_DIR,
    SIZES,
    Logo,
    encode_png,
    file_name,
    render,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(data: bytes) -> tuple[int, int, int, int, bytes]:
    """(width, height, bit depth, colour type, raw scanlines) of a PNG, chunks checked."""
    assert data.startswith(PNG_SIGNATURE)
    position, chunks = len(PNG_SIGNATURE), []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        position += 12 + length
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    return width, height, depth, colour, raw


def unfiltered(size: int, raw: bytes) -> bytes:
    """The RGBA pixels of scanlines written with filter 0 (as encode_png writes them)."""
    stride = size * 4 + 1
    assert len(raw) == size * stride
    assert all(raw[row * stride] == 0 for row in range(size))
    return b"".join(raw[row * stride + 1 : (row + 1) * stride] for row in range(size))


def test_every_provider_has_a_logo_in_both_sizes() -> None:
    assert sorted(logo.provider for logo in LOGOS) == sorted(known_providers())
    assert SIZES == (128, 32)
    shipped = sorted(path.name for path in LOGOS_DIR.glob("*.png"))
    assert shipped == sorted(file_name(p, s) for p in known_providers() for s in SIZES)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("logo", LOGOS, ids=lambda logo: logo.provider)
def test_the_shipped_file_is_what_make_logos_draws(logo: Logo, size: int) -> None:
    data = (LOGOS_DIR / file_name(logo.provider, size)).read_bytes()

    width, height, depth, colour, raw = read_png(data)

    assert (width, height, depth, colour) == (size, size, 8, 6)  # 8-bit RGBA
    assert unfiltered(size, raw) == render(logo, size)


@pytest.mark.parametrize("logo", LOGOS, ids=lambda logo: logo.provider)
def test_a_logo_is_a_rounded_tile_with_a_white_letter(logo: Logo) -> None:
    pixels = render(logo, 32)

    def pixel(x: int, y: int) -> bytes:
        return pixels[(y * 32 + x) * 4 : (y * 32 + x) * 4 + 4]

    assert pixel(0, 0) == bytes(4)  # transparent corner
    assert pixel(16, 2) == bytes([*logo.colour, 255])
    whites = sum(pixels[i : i + 4] == b"\xff\xff\xff\xff" for i in range(0, len(pixels), 4))
    assert 40 < whites < 400  # a letter, not a blank or a white square


def test_encode_png_round_trips() -> None:
    pixels = bytes(range(256)) * 4  # 16 x 16 RGBA

    width, height, depth, colour, raw = read_png(encode_png(16, pixels))

    assert (width, height, depth, colour) == (16, 16, 8, 6)
    assert unfiltered(16, raw) == pixels
