#!/usr/bin/env bash
# Makes the small, real media fixtures the moderation tests use, from synthetic speech (espeak-ng)
# and synthetic video (ffmpeg's lavfi test sources). Run it from anywhere:
#     bash tests/moderation/media/make_fixtures.sh
# The outputs are committed; this script exists so they can be remade and so a reader can see
# exactly what is inside them. It needs espeak-ng and the ffmpeg CLI, which only this script uses
# (the application decodes with PyAV). Regenerating with another ffmpeg/espeak-ng version gives
# slightly different bytes but the same content, so tests assert on content, not on hashes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Small and stable: 160x120, 5 fps, mono 22.05 kHz audio, no metadata that changes per run.
SIZE=160x120
FPS=5
common=(-hide_banner -loglevel error -y)
out=(-map_metadata -1 -fflags +bitexact)

speak() {  # speak <name> <sentence>: espeak-ng voice en-us, 150 words a minute, to a WAV file
    espeak-ng -v en-us -s 150 -w "$work/$1.wav" "$2"
}

seconds() {  # seconds <file>: duration of a media file, for sizing the video to the speech
    ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$1"
}

mp4_with_speech() {  # mp4_with_speech <name> <lavfi video source>: H.264 video + AAC speech
    local d
    d="$(seconds "$work/$1.wav")"
    ffmpeg "${common[@]}" -f lavfi -i "$2=size=$SIZE:rate=$FPS:duration=$d" -i "$work/$1.wav" \
        -map 0:v -map 1:a -t "$d" \
        -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -g 50 -flags +bitexact \
        -c:a aac -b:a 32k -ac 1 -ar 22050 -flags +bitexact \
        "${out[@]}" -movflags +faststart "$here/$1.mp4"
}

speak speech_hello "Hello everyone, welcome to my cooking channel. Today we make bread."
speak speech_hate "I hate immigrants. They are dirty animals and they should all get out of our country."
speak speech_clickbait "You won't believe what happened next. Number seven will shock you."

mp4_with_speech speech_hello testsrc
mp4_with_speech speech_hate smptebars
mp4_with_speech speech_clickbait rgbtestsrc

# The same speech in WebM: VP8 video + Opus audio.
d="$(seconds "$work/speech_hello.wav")"
ffmpeg "${common[@]}" -f lavfi -i "testsrc=size=$SIZE:rate=$FPS:duration=$d" -i "$work/speech_hello.wav" \
    -map 0:v -map 1:a -t "$d" \
    -c:v libvpx -b:v 40k -deadline good -g 50 -flags +bitexact \
    -c:a libopus -b:a 24k -ac 1 -ar 48000 "${out[@]}" \
    "$here/speech_hello.webm"

# A video whose audio track is pure digital silence (3 s): decodes fine, transcript is empty.
ffmpeg "${common[@]}" -f lavfi -i "testsrc=size=$SIZE:rate=$FPS:duration=3" \
    -f lavfi -i "anullsrc=channel_layout=mono:sample_rate=22050" \
    -map 0:v -map 1:a -t 3 \
    -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -g 50 -flags +bitexact \
    -c:a aac -b:a 16k -ac 1 -ar 22050 -flags +bitexact \
    "${out[@]}" -movflags +faststart "$here/silent.mp4"

# A video with no audio track at all (2 s).
ffmpeg "${common[@]}" -f lavfi -i "testsrc=size=$SIZE:rate=$FPS:duration=2" \
    -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -g 50 -flags +bitexact -an \
    "${out[@]}" -movflags +faststart "$here/video_only.mp4"

# An MP3 that misstates its length: VBR with no Xing header, loud speech first then 12 s of
# silence, so FFmpeg estimates the duration from the first frames' high bitrate (~6 s) while the
# audio really lasts ~17 s. Proves the length limit is enforced while decoding, not only from
# metadata. No ID3 tag: it is recognised by its MPEG audio frame sync.
ffmpeg "${common[@]}" -i "$work/speech_hello.wav" \
    -f lavfi -i "anullsrc=channel_layout=mono:sample_rate=16000:duration=12" \
    -filter_complex "[0:a]aresample=16000[s];[s][1:a]concat=n=2:v=0:a=1[a]" -map "[a]" \
    -c:a libmp3lame -q:a 0 -ac 1 -ar 16000 -write_xing 0 -id3v2_version 0 \
    "${out[@]}" "$here/speech_misstated_length.mp3"

# Not media: plain text wearing a media extension.
printf 'This is a plain text file, not a video.\nIt only has a .mp4 name.\n' > "$here/not_media.mp4"

ls -l "$here"/*.mp4 "$here"/*.webm "$here"/*.mp3
