# Every dependency comes from a Debian 12 package (see tools/setup.sh).
find_package(PkgConfig REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(libnfc REQUIRED IMPORTED_TARGET libnfc)
pkg_check_modules(qrencode REQUIRED IMPORTED_TARGET libqrencode)
pkg_check_modules(zxing REQUIRED IMPORTED_TARGET zxing)  # second QR decoder: tilted codes
pkg_check_modules(gpiod REQUIRED IMPORTED_TARGET libgpiod)
# Stills and Motion-JPEG frames (drivers/camera): libpng 1.6 and libjpeg-turbo (libjpeg62).
pkg_check_modules(libpng REQUIRED IMPORTED_TARGET libpng16)
find_package(JPEG REQUIRED)
# ZBar from its static archive (libzbar-dev ships libzbar.a): Debian's libzbar0 is built with
# its X11 window, V4L video and D-Bus result broadcast, and the shared library alone brought
# ten libraries into gated (libv4l2, libv4lconvert, D-Bus and with it libsystemd, libcap,
# libgcrypt, libgpg-error, liblzma, libzstd, liblz4), none of which the image scanner uses.
# From the archive the linker takes only the image scanner and the decoders; the one reference
# left is the scanner's D-Bus broadcast, which is off unless a program asks for it
# (zbar_image_scanner_request_dbus) and which drivers/camera/src/zbar_dbus_traps.cpp resolves
# to traps that abort (the target zbar::decoder is made there). ZBar is LGPL-2.1: a firmware
# image must come with its object files for relinking (section 6), which the source tree of
# this project already is.
find_path(GK_ZBAR_INCLUDE_DIR zbar.h REQUIRED)
find_library(GK_ZBAR_ARCHIVE NAMES libzbar.a REQUIRED)
# gate-upstream's PostgreSQL store (a district: several instances on one database)
pkg_check_modules(libpq REQUIRED IMPORTED_TARGET libpq)
find_package(SQLite3 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)

# OpenCV: Debian's CMake config only comes with the libopencv-dev meta package, which
# drags in VTK and Qt. We install only the modules we use and import them by hand. The
# firmware links core and imgproc only; imgcodecs (test fixtures) and videoio (the
# gk-video-camera module of the sim board) pull ~200 libraries and stay out of gated.
find_path(GK_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
foreach(module core imgproc imgcodecs videoio)
  find_library(GK_OPENCV_${module}_LIBRARY opencv_${module} REQUIRED)
  add_library(opencv::${module} UNKNOWN IMPORTED)
  set_target_properties(opencv::${module} PROPERTIES
    IMPORTED_LOCATION ${GK_OPENCV_${module}_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${GK_OPENCV_INCLUDE_DIR})
endforeach()

if(GK_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()
if(GK_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
