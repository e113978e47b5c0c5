#!/usr/bin/env bash
# GPU benchmark of the video-model playground for a bare x86-64 Linux GPU machine (no node, no
# internet): every model preset's training step on tfjs's WebGPU backend in Node through Dawn,
# custom kernels on and off; the kernel microbenchmark (src/cli/kernel-bench.ts) when packed; and,
# when the machine has PyTorch and the checkout's python/ package is there, the same presets in
# PyTorch for the ratio. Everything else it needs is in this folder (see README.md). Usage:
#
#   OUT=<results folder> bash <pack>/run.sh        (from the checkout's root, for the PyTorch part)
#
# Writes $OUT/webgpu.jsonl (one JSON row per cell), $OUT/webgpu-table.md, $OUT/run.log,
# $OUT/adapter.json, $OUT/nvidia-smi.txt, $OUT/logs/*.log, and when run: $OUT/kernels.jsonl,
# $OUT/torch.jsonl; prints the table (with the WebGPU / PyTorch ratio) at the end.
# Exit status: 0 when at least one cell was timed, 1 when none was, 2 when no WebGPU adapter.
#
# Environment (all optional):
#   OUT                     output folder (default ./gpu-out)
#   GPUBENCH_DEADLINE_S     seconds after start when the last WebGPU cell must end (default 320)
#   GPUBENCH_CELLS          replaces the plan: "cell kernels warmup steps maxSeconds timeout;…"
#   GPUBENCH_SKIP_OFF=1     skip the kernels-off cells
#   GPUBENCH_KERNEL_S       seconds for the kernel microbenchmark (default 120; 0 skips it)
#   GPUBENCH_KERNEL_ARGS    extra arguments for it
#   GPUBENCH_TORCH_S        seconds for the PyTorch timings (default 150; 0 skips them)
#   GPUBENCH_TORCH_CMD      the PyTorch timing command (default: python3 -m video_model_playground.bench; its
#                           JSON rows are written to the file named by --out)
#   GPUBENCH_CHECKOUT       the project checkout holding python/ (default: the current folder)
#   GPUBENCH_PROFILE        e.g. "vgan:small lstm:small": after the cells, if time is left, the
#                           project's kernel-by-kernel profile (npm run profile) of each, to $OUT
#   GPUBENCH_WORK           where to unpack (default /tmp/gpubench, then /var/tmp, $HOME)
#   GPUBENCH_ALLOW_SOFTWARE=1  accept a software adapter (SwiftShader: local tests only)
#   GPUBENCH_FORCE_FALLBACK=1  use every carried library (Vulkan loader, X11) even if present
#   GPUBENCH_FORCE_GLIBC=1     run node through the carried glibc loader (test of that path)
#   VK_ICD_FILENAMES        tried first when set
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T0=$(date +%s)
DEADLINE=${GPUBENCH_DEADLINE_S:-320}
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT/logs"
JSONL="$OUT/webgpu.jsonl"
[ -s "$JSONL" ] && mv -f "$JSONL" "$JSONL.prev"
: >"$JSONL"

# Plan: cell, kernels on/off, warm-up steps, timed steps, in-process budget (s), hard timeout (s).
# Cheap cells first, so a slow machine loses the expensive ones. Estimated total on an H100/H200:
# 3–5 minutes (paper presets take seconds a step: VGAN paper ~5 s on an H100).
DEFAULT_PLAN="
lstm/composite/tiny          on  3 10 25 45
vgan/two-stream/tiny         on  3 10 25 45
rcnn/rcnn/tiny               on  3 10 25 45
lstm/composite/small         on  3 10 30 50
vgan/two-stream/small        on  3 10 30 55
rcnn/rcnn/small              on  3 10 30 55
lstm/composite/medium        on  2  5 30 50
lstm/composite/paper         on  1  3 35 60
rcnn/rcnn/paper              on  1  3 35 70
lstm/composite/paper-2layer  on  1  2 35 60
vgan/two-stream/paper        on  1  2 40 75
lstm/composite/tiny          off 2  5 15 35
vgan/two-stream/tiny         off 2  5 15 35
rcnn/rcnn/tiny               off 2  5 15 35
lstm/composite/small         off 2  5 20 40
vgan/two-stream/small        off 2  5 20 40
rcnn/rcnn/small              off 2  5 20 40
"

# coreutils' timeout when present (it is on any Ubuntu/Debian); without it, cells run unbounded.
tmo() { if command -v timeout >/dev/null 2>&1; then timeout -k 5 "$@"; else shift; "$@"; fi; }
elapsed() { echo $(($(date +%s) - T0)); }
say() { echo "[$(printf '%4d' "$(elapsed)")s] $*"; }
clean() { tr -d '"\\' | tr -cd '[:print:]' | cut -c1-240; }

unxz_to() { # file.xz → dest
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' "$1" "$2"; fi
}
untar_xz() { # file.tar.xz → dir
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" | tar -xf - -C "$2"
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; fi
}

find_lib() { # soname → path of a system copy (ldconfig cache, LD_LIBRARY_PATH, usual dirs), or fail
  local name=$1 d ldc
  ldc=$(command -v ldconfig || echo /sbin/ldconfig)
  if [ -x "$ldc" ]; then
    local p
    p=$("$ldc" -p 2>/dev/null | awk -v n="$name" '$1 == n && /x86-64/ { print $NF; exit }')
    [ -n "$p" ] && [ -e "$p" ] && { echo "$p"; return 0; }
  fi
  local IFS=:
  for d in ${NVDIRS:-} ${LD_LIBRARY_PATH:-} /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /usr/lib /usr/local/lib; do
    [ -n "$d" ] && [ -e "$d/$name" ] && { echo "$d/$name"; return 0; }
  done
  return 1
}

main() {
  say "gpubench: $HERE → $OUT (deadline ${DEADLINE}s)"
  uname -a
  grep -E '^(PRETTY_NAME)=' /etc/os-release 2>/dev/null
  echo "glibc: $(getconf GNU_LIBC_VERSION 2>/dev/null)  cpus: $(nproc 2>/dev/null)"
  if command -v sha256sum >/dev/null 2>&1 && [ -f "$HERE/SHA256SUMS" ]; then
    (cd "$HERE" && sha256sum -c --quiet SHA256SUMS) || say "WARNING: checksum mismatch in $HERE"
  fi

  # --- GPU ---
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
    nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used,utilization.gpu,clocks.max.sm \
      --format=csv 2>&1 | tee -a "$OUT/nvidia-smi.txt"
  else
    say "nvidia-smi not found"
  fi
  ls -l /dev/nvidia* 2>/dev/null | awk '{print $NF}' | tr '\n' ' '; echo

  # --- unpack (not into $OUT: that comes back) ---
  W=""
  for cand in ${GPUBENCH_WORK:-} /tmp/gpubench /var/tmp/gpubench "${HOME:-/root}/.gpubench"; do
    rm -rf "$cand" 2>/dev/null; mkdir -p "$cand/bin" 2>/dev/null || continue
    unxz_to "$HERE/node.xz" "$cand/bin/node" && chmod +x "$cand/bin/node" || continue
    if "$cand/bin/node" --version >/dev/null 2>&1 || [ -n "${GPUBENCH_FORCE_GLIBC:-}" ]; then W=$cand; break; fi
    # node may fail here for want of glibc (handled below) or because the folder is noexec
    if "$cand/bin/node" --version 2>&1 | grep -q GLIBC; then W=$cand; break; fi
    say "cannot execute from $cand; trying the next folder"
  done
  [ -n "$W" ] || { say "FATAL: could not unpack node anywhere"; return 2; }
  untar_xz "$HERE/payload.tar.xz" "$W" || { say "FATAL: could not unpack payload.tar.xz"; return 2; }
  APP="$W/app"
  DAWN="$APP/node_modules/webgpu/dist/linux-x64/dawn.node"
  say "unpacked into $W ($(du -sh "$W" | cut -f1))"

  # --- libraries: NVIDIA's, then only the carried ones the system lacks ---
  NVDIRS=""
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu/nvidia/current; do
    [ -d "$d" ] && NVDIRS="${NVDIRS:+$NVDIRS:}$d"
  done
  mkdir -p "$W/lib/missing"
  supplied=""
  for f in "$W"/lib/fallback/*; do
    n=$(basename "$f")
    if [ -n "${GPUBENCH_FORCE_FALLBACK:-}" ] || ! find_lib "$n" >/dev/null; then
      ln -sf "$f" "$W/lib/missing/$n"; supplied="$supplied $n"
    fi
  done
  say "carried libraries supplied:${supplied:- none (the system has them all)}"
  if [ -n "${GPUBENCH_FORCE_FALLBACK:-}" ]; then
    export LD_LIBRARY_PATH="$W/lib/missing${NVDIRS:+:$NVDIRS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    export LD_LIBRARY_PATH="${NVDIRS:+$NVDIRS:}${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$W/lib/missing"
  fi
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$W/xdg}
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

  # --- node + dawn.node: system glibc/libstdc++, else carried libstdc++, else carried glibc ---
  NODE_CMD=("$W/bin/node")
  load_dawn() { "${NODE_CMD[@]}" -e "require(process.argv[1])" "$DAWN" >"$OUT/logs/dawn-load.log" 2>&1; }
  level=0
  if [ -z "${GPUBENCH_FORCE_GLIBC:-}" ] && load_dawn; then level=0
  elif [ -z "${GPUBENCH_FORCE_GLIBC:-}" ] && LD_LIBRARY_PATH="$W/lib/cxx:$LD_LIBRARY_PATH" load_dawn; then
    level=1; export LD_LIBRARY_PATH="$W/lib/cxx:$LD_LIBRARY_PATH"
  else
    cat "$OUT/logs/dawn-load.log" 2>/dev/null | head -5
    level=2
    NODE_CMD=("$W/lib/glibc/ld-linux-x86-64.so.2" --library-path "$W/lib/glibc:$W/lib/cxx:$LD_LIBRARY_PATH" "$W/bin/node")
    load_dawn || { say "FATAL: dawn.node does not load:"; cat "$OUT/logs/dawn-load.log"; return 2; }
  fi
  say "node $("${NODE_CMD[@]}" --version) (libs: $([ $level = 0 ] && echo system || ([ $level = 1 ] && echo 'carried libstdc++') || echo 'carried glibc + libstdc++')), dawn.node loads"

  # --- Vulkan driver: the NVIDIA ICD JSONs found, else generated ones; first real adapter wins ---
  mkdir -p "$W/icd"
  cands=()
  [ -n "${VK_ICD_FILENAMES:-}" ] && cands+=("$VK_ICD_FILENAMES")
  [ -n "${VK_DRIVER_FILES:-}" ] && [ "${VK_DRIVER_FILES}" != "${VK_ICD_FILENAMES:-}" ] && cands+=("$VK_DRIVER_FILES")
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    /usr/share/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.x86_64.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    [ -f "$f" ] && cands+=("$f")
  done
  for lib in libEGL_nvidia.so.0 libGLX_nvidia.so.0; do
    p=$(find_lib "$lib") || continue
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$p" >"$W/icd/$lib.json"
    cands+=("$W/icd/$lib.json")
  done
  cands+=("")   # the loader's own search
  for c in "${cands[@]}"; do [ -n "$c" ] && [ -f "$c" ] && { echo "--- $c"; cat "$c"; echo; }; done
  unset VK_ICD_FILENAMES VK_DRIVER_FILES
  ICD="NONE"
  i=0
  for c in "${cands[@]}"; do
    i=$((i + 1))
    log="$OUT/logs/probe-$i.log"
    if [ -n "$c" ]; then
      VK_ICD_FILENAMES="$c" VK_DRIVER_FILES="$c" tmo 30 "${NODE_CMD[@]}" "$APP/gpu-bench.mjs" --probe >"$log" 2>&1 </dev/null
    else
      tmo 30 "${NODE_CMD[@]}" "$APP/gpu-bench.mjs" --probe >"$log" 2>&1 </dev/null
    fi
    prc=$?
    line=$(grep -m1 '^PROBE ' "$log")
    if [ -n "$line" ]; then
      say "probe ${c:-<loader default>}: $(echo "$line" | grep -oE '"(vendor|architecture|description)":"[^"]*"|"adapter":null' | tr '\n' ' ')"
    else
      say "probe ${c:-<loader default>}: no answer (exit code $prc): $(tail -n 1 "$log" | clean)"
    fi
    if echo "$line" | grep -q '"adapter":{'; then
      if [ -z "${GPUBENCH_ALLOW_SOFTWARE:-}" ] && echo "$line" | grep -qiE '"isFallbackAdapter":true|swiftshader|llvmpipe|lavapipe'; then
        say "  a software adapter: not this one"; continue
      fi
      ICD=$c; echo "${line#PROBE }" >"$OUT/adapter.json"; break
    fi
  done
  if [ "$ICD" = NONE ]; then
    say "FATAL: no WebGPU adapter. Loader diagnostics of the first candidate:"
    c=${cands[0]}
    [ -n "$c" ] && export VK_ICD_FILENAMES="$c" VK_DRIVER_FILES="$c"
    VK_LOADER_DEBUG=error,warn,driver tmo 30 "${NODE_CMD[@]}" "$APP/gpu-bench.mjs" --probe 2>&1 </dev/null | tail -40
    ls /usr/local/nvidia/lib64 2>/dev/null | grep -iE 'glx|egl|glcore|vksp|gpucomp|nvidia-gl' | head -20
    return 2
  fi
  if [ -n "$ICD" ]; then export VK_ICD_FILENAMES="$ICD" VK_DRIVER_FILES="$ICD"; fi
  say "WebGPU adapter (ICD ${ICD:-loader default}): $(grep -oE '"(vendor|architecture|device|description|isFallbackAdapter)":("[^"]*"|true|false|null)' "$OUT/adapter.json" | tr '\n' ' ')"
  say "  limits: $(grep -oE '"limits":\{[^}]*\}' "$OUT/adapter.json")"

  # --- cells ---
  plan=${GPUBENCH_CELLS:-$DEFAULT_PLAN}
  while read -r cell kernels warmup steps maxsec hard; do
    [ -z "${cell:-}" ] && continue
    case "$cell" in \#*) continue ;; esac
    [ "$kernels" = off ] && [ -n "${GPUBENCH_SKIP_OFF:-}" ] && continue
    IFS=/ read -r model variant preset <<<"$cell"
    remaining=$((DEADLINE - $(elapsed)))
    if [ "$remaining" -lt 20 ]; then
      say "SKIP $cell kernels $kernels: deadline reached"
      printf '{"model":"%s","variant":"%s","preset":"%s","backend":"webgpu","kernels":"%s","error":"skipped: the %ss deadline was reached"}\n' \
        "$model" "$variant" "$preset" "$kernels" "$DEADLINE" >>"$JSONL"
      continue
    fi
    t=$((hard < remaining ? hard : remaining))
    ms=$((maxsec < t - 15 ? maxsec : t - 15)); [ "$ms" -lt 5 ] && ms=5
    log="$OUT/logs/${model}-${preset}-${kernels}.log"
    before=$(wc -l <"$JSONL" 2>/dev/null || echo 0)
    start=$(date +%s)
    tmo "$t" "${NODE_CMD[@]}" "$APP/gpu-bench.mjs" --cell "$cell" --kernels "$kernels" \
      --warmup "$warmup" --steps "$steps" --max-seconds "$ms" --fast-prepare --out "$JSONL" >"$log" 2>&1 </dev/null
    rc=$?
    after=$(wc -l <"$JSONL" 2>/dev/null || echo 0)
    took=$(($(date +%s) - start))
    if [ "$after" -gt "$before" ]; then
      say "$(grep -m1 -E '^(DONE|FAIL) ' "$log" || echo "$cell kernels $kernels: rc $rc") [${took}s]"
    else
      why=$([ $rc = 124 ] || [ $rc = 137 ] && echo "timeout after ${t}s" || echo "exit code $rc")
      last=$(grep -v '^RESULT' "$log" | tail -n 1 | clean)
      say "FAIL $cell kernels $kernels: $why; last output: $last"
      printf '{"model":"%s","variant":"%s","preset":"%s","backend":"webgpu","kernels":"%s","error":"%s; last output: %s"}\n' \
        "$model" "$variant" "$preset" "$kernels" "$why" "$last" >>"$JSONL"
    fi
  done <<<"$(echo "$plan" | tr ';' '\n')"

  # --- optional: the project's per-kernel profile CLI (src/cli/profile.ts, bundled) ---
  for mp in ${GPUBENCH_PROFILE:-}; do
    remaining=$((DEADLINE - $(elapsed)))
    [ "$remaining" -lt 30 ] && { say "SKIP profile $mp: deadline reached"; continue; }
    say "profile $mp (up to ${remaining}s)"
    tmo "$remaining" "${NODE_CMD[@]}" "$APP/profile.mjs" --model "${mp%%:*}" --preset "${mp#*:}" \
      --warmup 2 --steps 3 --profile-steps 1 --top 15 >"$OUT/profile-${mp%%:*}-${mp#*:}.md" 2>&1 </dev/null
    prc=$?
    say "  exit code $prc: $(grep -m1 -iE 'median|error' "$OUT/profile-${mp%%:*}-${mp#*:}.md" | clean)"
  done

  # --- the kernel microbenchmark: each custom kernel's variants against tfjs's at the models' shapes ---
  kernel_s=${GPUBENCH_KERNEL_S:-120}
  if [ -f "$APP/kernel-bench.mjs" ] && [ "$kernel_s" -gt 0 ]; then
    say "kernel microbenchmark (up to ${kernel_s}s)"
    : >"$OUT/kernels.jsonl"
    tmo "$kernel_s" "${NODE_CMD[@]}" "$APP/kernel-bench.mjs" --out "$OUT/kernels.jsonl" \
      ${GPUBENCH_KERNEL_ARGS:-} >"$OUT/logs/kernel-bench.log" 2>&1 </dev/null
    say "  exit code $?: $(wc -l <"$OUT/kernels.jsonl") rows"
    tail -n 40 "$OUT/logs/kernel-bench.log"
  fi

  # --- PyTorch on the same GPU, same presets (the python/ package of the checkout) ---
  torch_s=${GPUBENCH_TORCH_S:-150}
  CHECKOUT=${GPUBENCH_CHECKOUT:-$PWD}
  TORCH_JSONL="$OUT/torch.jsonl"
  if [ "$torch_s" -gt 0 ] && [ -d "$CHECKOUT/python" ] && command -v python3 >/dev/null &&
    python3 -c 'import torch' >/dev/null 2>&1; then
    say "PyTorch timings (up to ${torch_s}s): ${GPUBENCH_TORCH_CMD:-python3 -m video_model_playground.bench}"
    : >"$TORCH_JSONL"
    (cd "$CHECKOUT" && PYTHONPATH="$CHECKOUT/python${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 \
      tmo "$torch_s" ${GPUBENCH_TORCH_CMD:-python3 -m video_model_playground.bench} --out "$TORCH_JSONL") \
      >"$OUT/logs/torch.log" 2>&1 </dev/null
    say "  exit code $?: $(wc -l <"$TORCH_JSONL") rows"
    tail -n 30 "$OUT/logs/torch.log"
  else
    say "PyTorch timings skipped (no python3 with torch, no $CHECKOUT/python, or GPUBENCH_TORCH_S=0)"
  fi

  # --- summary ---
  echo
  say "table ($JSONL):"
  torch_args=(); [ -s "$TORCH_JSONL" ] && torch_args=(--torch "$TORCH_JSONL")
  "${NODE_CMD[@]}" "$APP/gpu-bench.mjs" --table "$JSONL" ${torch_args[@]+"${torch_args[@]}"} | tee "$OUT/webgpu-table.md"
  ok=$(grep -c '"msPerStepMedian"' "$JSONL")
  say "done: $ok cell(s) timed, total $(elapsed)s"
  [ "$ok" -gt 0 ] && return 0 || return 1
}

main 2>&1 | tee "$OUT/run.log"
exit "${PIPESTATUS[0]}"
