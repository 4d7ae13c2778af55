"""Safe decoding: every awkward file becomes an upright RGB picture or a BadImage with a reason."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import picture
from PIL import Image

from desktop_app.core.errors import BadImage
from desktop_app.core.hashing import dhash, hamming
from desktop_app.core.imaging import load_array, open_image, open_image_bytes, probe_bytes


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("truncated", "truncated"),
        ("empty", "empty file"),
        ("text", "a text file, not an image"),
        ("bomb", "decompression bomb"),
    ],
)
def test_bad_files_are_refused_with_a_one_line_reason(bad_files, kind, reason):
    path = bad_files()[kind]
    with pytest.raises(BadImage) as caught:
        open_image(path)
    message = str(caught.value)
    assert reason in message
    assert message.startswith(path.name)
    assert "\n" not in message


def test_a_missing_file_and_a_folder_are_bad_images_too(tmp_path):
    with pytest.raises(BadImage, match="no such file"):
        open_image(tmp_path / "gone.jpg")
    with pytest.raises(BadImage, match="a folder"):
        open_image(tmp_path)


@pytest.mark.parametrize(
    "kind", ["cmyk", "deep16", "palette_alpha", "animated", "la", "webp", "tiny", "unicode"]
)
def test_every_mode_decodes_to_rgb(bad_files, kind):
    image = open_image(bad_files()[kind])
    assert image.mode == "RGB"
    assert image.width >= 1 and image.height >= 1


def test_exif_orientation_is_applied(bad_files):
    path = bad_files()["rotated"]
    with Image.open(path) as stored:
        assert stored.size == (40, 20)
    assert open_image(path).size == (20, 40)
    assert load_array(path).shape == (40, 20, 3)
    facts = probe_bytes(path.read_bytes())
    assert (facts.width, facts.height) == (20, 40)


def test_sixteen_bit_greys_are_scaled_not_clipped(bad_files):
    pixels = np.asarray(open_image(bad_files()["deep16"]))[:, :, 0]
    # The ramp spans 0..61400 of 65535: scaled down it spans most of 0..255 with many levels.
    assert pixels.min() < 5 and pixels.max() > 230
    assert len(np.unique(pixels)) > 100


def test_transparent_pixels_become_white(bad_files):
    files = bad_files()
    palette = Image.open(files["palette_alpha"])
    transparent_index = palette.info["transparency"]
    where = np.argwhere(np.asarray(palette) == transparent_index)[0]
    rgb = np.asarray(open_image(files["palette_alpha"]))
    assert tuple(rgb[where[0], where[1]]) == (255, 255, 255)


def test_animated_gif_gives_its_first_frame(bad_files):
    red, green, blue = np.asarray(open_image(bad_files()["animated"]))[15, 20]
    assert red > 200 and green < 50 and blue < 50


def test_load_array_resizes_to_the_size_asked_for(make_image):
    path = make_image("big.jpg", size=(640, 480))
    array = load_array(path, 224)
    assert array.shape == (224, 224, 3) and array.dtype == np.uint8
    assert load_array(path, (100, 50)).shape == (50, 100, 3)


def test_open_image_bytes_names_what_it_was_given():
    with pytest.raises(BadImage, match="^clipboard: not an image"):
        open_image_bytes(b"\x00\x01\x02binary junk", "clipboard")


def test_dhash_finds_near_duplicates_and_tells_different_pictures_apart():
    original = picture(7, (320, 240))
    smaller = original.resize((160, 120))
    other = picture(8, (320, 240))
    assert hamming(dhash(original), dhash(smaller)) <= 6
    assert hamming(dhash(original), dhash(other)) > 12
    assert 0 <= dhash(original) < 2**64


def test_probe_matches_a_full_decode(make_image):
    path = make_image("p.jpg", size=(320, 200), quality=90)
    facts = probe_bytes(path.read_bytes())
    assert (facts.format, facts.width, facts.height) == ("JPEG", 320, 200)
    assert hamming(facts.phash, dhash(open_image(path))) <= 6


def test_a_file_too_big_to_be_a_photo_is_not_read(make_image, monkeypatch):
    from desktop_app.core import imaging

    path = make_image(size=(200, 200))
    monkeypatch.setattr(imaging, "MAX_FILE_BYTES", 1000)
    with pytest.raises(BadImage, match="too large for a photo"):
        open_image(path)
