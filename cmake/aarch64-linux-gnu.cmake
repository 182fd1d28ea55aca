# Cross build for AArch64 with Debian's cross compiler and arm64 multiarch -dev packages
# (scripts/setup.sh --arm installs them). Tests run under qemu-aarch64 (see `make test-arm`).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Multiarch: arm64 libraries live in /usr/lib/aarch64-linux-gnu, headers are shared in /usr/include.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
# No -L: the arm64 multiarch libc (libc6:arm64) provides /lib/ld-linux-aarch64.so.1; the
# cross toolchain's own sysroot libc under -L made threaded programs hang in qemu 7.2.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
