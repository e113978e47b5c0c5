#!/usr/bin/env bash
# Regenerates the small video fixtures under e2e/fixtures/video/ (committed, so CI needs no ffmpeg).
# Known content, so tests can check decoded pixels. Every frame N (0-based) of the "pattern" clips:
#   - background gray level 40 + 8·N (the frame index, readable after decoding),
#   - a white 8×8 square at x = 4 + 2·N, y = 8 (moves 2 px per frame),
#   - a red 16×16 block in the bottom-left and a blue one in the bottom-right corner.
# Needs ffmpeg with libx264, libx265, libvpx, libaom (Debian's ffmpeg has them).
set -euo pipefail
cd "$(dirname "$0")/../e2e/fixtures/video"
# Bit-exact output (no random Matroska segment id, no encoder version string): reruns give the same files.
ff() { ffmpeg -hide_banner -loglevel error -y "${@:1:$#-1}" -fflags +bitexact -flags:v +bitexact "${@: -1}"; }

# pattern W H FPS SECONDS: a lavfi source graph drawing the content above.
pattern() {
  local w=$1 h=$2 fps=$3 seconds=$4
  local sq="between(X,4+2*N,11+2*N)*between(Y,8,15)"
  local red="between(X,0,15)*between(Y,$((h - 16)),$((h - 1)))"
  local blue="between(X,$((w - 16)),$((w - 1)))*between(Y,$((h - 16)),$((h - 1)))"
  local bg="40+8*N"
  echo "color=c=black:s=${w}x${h}:r=${fps}:d=${seconds},format=rgb24,geq=r='if(${sq},255,if(${red},255,if(${blue},0,${bg})))':g='if(${sq},255,if(${red}+${blue},0,${bg}))':b='if(${sq},255,if(${red},0,if(${blue},255,${bg})))'"
}

# The same 20 frames (64×48, 10 fps, 2 s) in each codec a browser should decode.
ff -f lavfi -i "$(pattern 64 48 10 2)" -c:v libx264 -preset veryslow -crf 18 -pix_fmt yuv420p -movflags +faststart h264.mp4
ff -f lavfi -i "$(pattern 64 48 10 2)" -c:v libvpx -b:v 400k -pix_fmt yuv420p vp8.webm
ff -f lavfi -i "$(pattern 64 48 10 2)" -c:v libvpx-vp9 -crf 20 -b:v 0 -pix_fmt yuv420p vp9.webm
ff -f lavfi -i "$(pattern 64 48 10 2)" -c:v libaom-av1 -crf 20 -b:v 0 -cpu-used 8 -pix_fmt yuv420p av1.mp4
# Rotation metadata: coded 64×48, shown rotated 90° clockwise (48×64).
ff -i h264.mp4 -c copy -metadata:s:v:0 rotate=90 rotated-90.mp4
# Variable frame rate: frames 0–9 every 0.1 s, then frames 10–19 every 0.04 s (1.4 s in all).
ff -f lavfi -i "$(pattern 64 48 10 2)" -vf "settb=1/1000,setpts='if(lt(N,10),N*0.1,1.0+(N-10)*0.04)/TB'" \
  -fps_mode passthrough -enc_time_base:v 1:1000 -c:v libx264 -preset veryslow -crf 18 -pix_fmt yuv420p -video_track_timescale 1000 vfr.mp4
# Odd size (VP9 allows odd dimensions): 35×27.
ff -f lavfi -i "$(pattern 35 27 10 2)" -c:v libvpx-vp9 -crf 20 -b:v 0 -pix_fmt yuv420p odd-35x27.webm
# Codecs Debian's Chromium cannot decode: HEVC and MPEG-4 Part 2.
ff -f lavfi -i "$(pattern 64 48 10 1)" -c:v libx265 -x265-params log-level=error -tag:v hvc1 -pix_fmt yuv420p hevc.mp4
ff -f lavfi -i "$(pattern 64 48 10 1)" -c:v mpeg4 -q:v 5 mpeg4-part2.mp4
# Too short for one 20-frame clip: 5 frames.
ff -f lavfi -i "$(pattern 64 48 10 0.5)" -c:v libx264 -preset veryslow -crf 18 -pix_fmt yuv420p short.mp4
# No video track: audio only.
ff -f lavfi -i "sine=frequency=440:duration=0.5" -c:a aac -b:a 32k audio-only.m4a
# Broken files: empty, not a video, truncated in the middle of its frames, and a header with garbage.
: >empty.mp4
printf 'These are lecture notes, not a video.\n' >notes.mp4
head -c "$(($(stat -c %s h264.mp4) * 8 / 10))" h264.mp4 >truncated.mp4
{ head -c 32 h264.mp4; head -c 2000 /dev/zero | tr '\0' '\377'; } >corrupt.mp4

# A 720p clip for the decode benchmark (not used by the tests).
ff -f lavfi -i "testsrc2=s=1280x720:r=30:d=2" -c:v libx264 -preset veryfast -crf 32 -pix_fmt yuv420p -movflags +faststart bench-720p.mp4

ls -l
