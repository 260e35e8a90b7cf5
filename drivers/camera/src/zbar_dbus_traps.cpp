// The D-Bus functions ZBar's image scanner refers to, as traps.
//
// gk_camera links ZBar from its static archive so that gated does not load what Debian's
// libzbar0 is built with (X11, V4L, D-Bus and libsystemd's compressors: see
// cmake/Dependencies.cmake). The archive's img_scanner.o still refers to the D-Bus client
// library for its result broadcast, which runs only after zbar_image_scanner_request_dbus(),
// and nothing here calls that. Were ZBar ever to reach one of these, the process stops at once
// with the function's name rather than jumping into something that is not there.
#include <cstdio>
#include <cstdlib>

namespace {
[[noreturn]] void zbar_dbus_trap(const char* function) {
  std::fprintf(stderr, "gk_camera: ZBar called the D-Bus function %s, which is not linked\n",
               function);
  std::abort();
}
}  // namespace

// The names only matter to the linker; their C signatures are never seen, as no call reaches them.
#define GK_ZBAR_DBUS_TRAP(name) \
  extern "C" void name();       \
  extern "C" void name() {      \
    zbar_dbus_trap(#name);      \
  }

GK_ZBAR_DBUS_TRAP(dbus_bus_get)
GK_ZBAR_DBUS_TRAP(dbus_bus_release_name)
GK_ZBAR_DBUS_TRAP(dbus_bus_request_name)
GK_ZBAR_DBUS_TRAP(dbus_connection_flush)
GK_ZBAR_DBUS_TRAP(dbus_connection_send)
GK_ZBAR_DBUS_TRAP(dbus_error_free)
GK_ZBAR_DBUS_TRAP(dbus_error_init)
GK_ZBAR_DBUS_TRAP(dbus_error_is_set)
GK_ZBAR_DBUS_TRAP(dbus_message_iter_append_basic)
GK_ZBAR_DBUS_TRAP(dbus_message_iter_append_fixed_array)
GK_ZBAR_DBUS_TRAP(dbus_message_iter_close_container)
GK_ZBAR_DBUS_TRAP(dbus_message_iter_init_append)
GK_ZBAR_DBUS_TRAP(dbus_message_iter_open_container)
GK_ZBAR_DBUS_TRAP(dbus_message_new_signal)
GK_ZBAR_DBUS_TRAP(dbus_message_unref)
