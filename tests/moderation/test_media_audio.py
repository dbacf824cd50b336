"""Probing and decoding real media fixtures with PyAV (made by tests/moderation/media/make_fixtures.sh)."""

from pathlib import Path

import numpy as np
import pytest

from moderation.errors import MediaError
from moderation.media.audio import SAMPLE_RATE, audio_decode, media_probe
from moderation.media.sniff import container_sniff

MEDIA_DIR = Path(__file__).parent / "media"


@pytest.mark.parametrize(
    ("name", "container", "video_codec", "audio_codec", "source_rate", "duration"),
    [
        ("speech_hello.mp4", "mp4", "h264", "aac", 22050, 5.0),
        ("speech_hello.webm", "webm", "vp8", "opus", 48000, 5.0),
        ("speech_hate.mp4", "mp4", "h264", "aac", 22050, 5.4),
        ("speech_clickbait.mp4", "mp4", "h264", "aac", 22050, 4.5),
        ("silent.mp4", "mp4", "h264", "aac", 22050, 3.0),
    ],
)
def test_probe_reads_container_metadata(name, container, video_codec, audio_codec, source_rate, duration):
    info = media_probe(path=MEDIA_DIR / name)

    assert info.container == container
    assert info.video_codec == video_codec
    assert info.audio_codec == audio_codec
    assert (info.width, info.height) == (160, 120)
    assert info.audio_sample_rate == source_rate
    assert info.audio_channels == 1
    assert info.duration_seconds == pytest.approx(duration, abs=0.15)
    assert info.size_bytes == (MEDIA_DIR / name).stat().st_size
    assert info.as_dict()["container"] == container


@pytest.mark.parametrize("name", ["speech_hello.mp4", "speech_hello.webm"])
def test_speech_decodes_to_16khz_mono_float32(name):
    samples, info = audio_decode(path=MEDIA_DIR / name)

    assert samples.dtype == np.float32
    assert samples.ndim == 1
    # 16 kHz: the decoded length matches the container's duration at that rate.
    assert samples.size / SAMPLE_RATE == pytest.approx(info.duration_seconds, abs=0.15)
    # Real speech: loud somewhere, and within the float range.
    assert 0.2 < float(np.abs(samples).max()) <= 1.0
    assert float(np.sqrt(np.mean(samples**2))) > 0.02


def test_mp4_and_webm_of_the_same_speech_decode_alike():
    mp4, _ = audio_decode(path=MEDIA_DIR / "speech_hello.mp4")
    webm, _ = audio_decode(path=MEDIA_DIR / "speech_hello.webm")

    def rms(samples):
        return float(np.sqrt(np.mean(samples**2)))

    assert abs(mp4.size - webm.size) < SAMPLE_RATE * 0.1
    assert rms(mp4) == pytest.approx(rms(webm), rel=0.15)


def test_silent_audio_track_decodes_to_silence_not_an_error():
    samples, info = audio_decode(path=MEDIA_DIR / "silent.mp4")

    assert info.audio_codec == "aac"
    assert samples.size / SAMPLE_RATE == pytest.approx(3.0, abs=0.1)
    assert float(np.abs(samples).max()) < 1e-3


def test_video_without_audio_track_is_no_audio():
    info = media_probe(path=MEDIA_DIR / "video_only.mp4")
    assert info.audio_codec is None
    assert info.video_codec == "h264"

    with pytest.raises(MediaError) as caught:
        audio_decode(path=MEDIA_DIR / "video_only.mp4")

    assert caught.value.code == "no_audio"
    assert "no audio track" in caught.value.message


@pytest.mark.parametrize("call", [media_probe, audio_decode])
def test_text_file_with_media_extension_is_not_media(call):
    with pytest.raises(MediaError) as caught:
        call(path=MEDIA_DIR / "not_media.mp4")

    assert caught.value.code == "not_media"


def test_plain_text_that_ffmpeg_would_open_as_tty_is_not_media(tmp_path):
    # Left to guess, FFmpeg opens any text file with its "tty" demuxer as a video; we must not.
    text = tmp_path / "notes.txt"
    text.write_text("just some words\n" * 50)

    with pytest.raises(MediaError) as caught:
        media_probe(path=text)

    assert caught.value.code == "not_media"


def test_playlist_is_not_handed_to_ffmpeg(tmp_path):
    # An HLS playlist would make FFmpeg open other files or URLs.
    playlist = tmp_path / "video.mp4"
    playlist.write_text("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")

    with pytest.raises(MediaError) as caught:
        audio_decode(path=playlist)

    assert caught.value.code == "not_media"


def test_truncated_mp4_is_not_media(tmp_path):
    # The right magic bytes but the file cut off before the moov box: FFmpeg cannot open it.
    cut = tmp_path / "cut.mp4"
    cut.write_bytes((MEDIA_DIR / "speech_hello.mp4").read_bytes()[:600])

    with pytest.raises(MediaError) as caught:
        audio_decode(path=cut)

    assert caught.value.code == "not_media"


def test_missing_file_is_not_media(tmp_path):
    with pytest.raises(MediaError) as caught:
        audio_decode(path=tmp_path / "gone.mp4")

    assert caught.value.code == "not_media"


def test_media_longer_than_the_limit_is_refused_from_metadata(settings):
    settings.MODERATION_MAX_MEDIA_SECONDS = 2

    with pytest.raises(MediaError) as caught:
        audio_decode(path=MEDIA_DIR / "speech_hello.mp4")

    assert caught.value.code == "too_long"
    assert "5.0 s" in caught.value.message


def test_explicit_max_seconds_overrides_the_setting(settings):
    settings.MODERATION_MAX_MEDIA_SECONDS = 600

    with pytest.raises(MediaError) as caught:
        audio_decode(path=MEDIA_DIR / "speech_hello.webm", max_seconds=1.5)

    assert caught.value.code == "too_long"


def test_length_limit_is_enforced_while_decoding_when_metadata_understates_it():
    # VBR MP3 without a Xing header: FFmpeg estimates ~6 s from the first frames, it lasts ~17 s.
    path = MEDIA_DIR / "speech_misstated_length.mp3"
    info = media_probe(path=path)
    assert info.container == "mp3"
    assert info.duration_seconds < 8

    with pytest.raises(MediaError) as caught:
        audio_decode(path=path, max_seconds=10)

    assert caught.value.code == "too_long"
    assert "past the limit" in caught.value.message

    samples, _ = audio_decode(path=path, max_seconds=30)
    assert samples.size / SAMPLE_RATE > 15


def test_garbage_audio_packets_after_a_valid_header_are_decode_failed(tmp_path):
    # The fixture is written with +faststart, so its moov (the index) sits in the first ~2 KB;
    # keep that and overwrite the packets with seeded noise: the container opens, the AAC decoder
    # rejects the packets, and that is a clean decode_failed, not an exception from FFmpeg.
    data = bytearray((MEDIA_DIR / "speech_hello.mp4").read_bytes())
    assert data.index(b"moov") < 100
    assert data.index(b"mdat") < 3000
    rng = np.random.default_rng(7)
    data[3000:] = rng.integers(0, 256, size=len(data) - 3000, dtype=np.uint8).tobytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))

    assert media_probe(path=broken).audio_codec == "aac"
    with pytest.raises(MediaError) as caught:
        audio_decode(path=broken)

    assert caught.value.code == "decode_failed"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16, "mp4"),
        (b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 16, "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "matroska"),
        (b"OggS\x00\x02" + b"\x00" * 20, "ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "avi"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64\x00", "mp3"),
        (b"\xff\xf1\x50\x80\x00", "aac"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        ((b"\x47" + b"\x00" * 187) * 3 + b"\x47", "mpegts"),
        (b"\x00\x00\x01\xba\x44\x00", "mpeg"),
        (b"FLV\x01\x05\x00\x00\x00\x09", "flv"),
    ],
)
def test_sniff_recognises_media_containers(head, kind):
    assert container_sniff(head=head).name == kind


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"<!DOCTYPE html><html><body>not a video</body></html>",
        b"%PDF-1.7\n",
        b"PK\x03\x04zipfile",
        b"#EXTM3U\n",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\x24\x00\x00\x00WEBPVP8 ",
        b"G" + b"x" * 400,
    ],
)
def test_sniff_refuses_what_is_not_media(head):
    assert container_sniff(head=head) is None
