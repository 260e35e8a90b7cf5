#pragma once
// The guard console page (web/*), compiled into the library by CMake.
#include <string_view>

namespace gk::guard::detail {
// The bytes of web/<name>; empty if there is no such asset.
std::string_view asset(std::string_view name);
}  // namespace gk::guard::detail
