#!/bin/sh
# Install the cross toolchains and QEMU that `timber verify` uses
# (Debian 12 / Ubuntu). Idempotent: does nothing when everything is present.
#
#   host        cc, size                     build-essential
#   cortex-m*   arm-none-eabi-gcc + picolibc gcc-arm-none-eabi, libnewlib-arm-none-eabi,
#                                            picolibc-arm-none-eabi, qemu-system-arm
#   cortex-a53  aarch64-linux-gnu-gcc        gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user
#   cortex-a7   arm-linux-gnueabihf-gcc      gcc-arm-linux-gnueabihf, libc6-dev-armhf-cross, qemu-user
#   riscv32*    riscv64-unknown-elf-gcc      gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf,
#               + picolibc                   qemu-system-misc (qemu-system-riscv32)
#   riscv64     riscv64-linux-gnu-gcc        gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross, qemu-user
#   powerpc     powerpc-linux-gnu-gcc        gcc-powerpc-linux-gnu, libc6-dev-powerpc-cross, qemu-user
#   rule cross-check                          cppcheck
#   coverage (certify)  gcc/gcov, clang-19     build-essential, clang-19, llvm-19,
#                       llvm-profdata-19,      libclang-rt-19-dev (MC/DC needs
#                       llvm-cov-19            clang >= 18; Debian 12 main has 19)
#   WebAssembly tests   node (>= 18)           nodejs
#   HTML report tests   chromium (headless)    chromium
#   signature cross-check  openssl            openssl
set -eu

PACKAGES="build-essential qemu-system-arm qemu-user gcc-arm-none-eabi libnewlib-arm-none-eabi \
picolibc-arm-none-eabi gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf \
libc6-dev-armhf-cross gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc \
gcc-riscv64-linux-gnu libc6-dev-riscv64-cross gcc-powerpc-linux-gnu libc6-dev-powerpc-cross \
cppcheck clang-19 llvm-19 libclang-rt-19-dev nodejs chromium openssl"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-toolchains: everything is already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-toolchains: apt-get not found; install these packages by hand:$missing" >&2
    exit 3
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-toolchains: run as root (or install sudo) to install:$missing" >&2
        exit 3
    fi
fi

echo "install-toolchains: installing:$missing"
$SUDO apt-get update
# Chromium with its recommended packages (fonts: the HTML report test reads
# the rendered verdict from a screenshot); everything else without.
browser=""
rest=""
for p in $missing; do
    if [ "$p" = chromium ]; then browser=chromium; else rest="$rest $p"; fi
done
if [ -n "$rest" ]; then
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $rest
fi
if [ -n "$browser" ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi
echo "install-toolchains: done"
