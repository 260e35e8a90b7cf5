#include "gk/flash/outcome.hpp"

namespace gk::flash {

std::string_view code(Problem p) {
  switch (p) {
    case Problem::bad_bmap:
      return "bad_bmap";
    case Problem::bad_image:
      return "bad_image";
    case Problem::corrupt_range:
      return "corrupt_range";
    case Problem::bad_target:
      return "bad_target";
    case Problem::target_mounted:
      return "target_mounted";
    case Problem::target_too_small:
      return "target_too_small";
    case Problem::io_error:
      return "io_error";
    case Problem::verify_mismatch:
      return "verify_mismatch";
    case Problem::no_boot_partition:
      return "no_boot_partition";
    case Problem::bad_bundle:
      return "bad_bundle";
    case Problem::bundle_failed:
      return "bundle_failed";
    case Problem::bundle_mismatch:
      return "bundle_mismatch";
  }
  return "unknown";
}

int exit_code(Problem p) {
  switch (p) {
    case Problem::corrupt_range:
    case Problem::verify_mismatch:
    case Problem::bundle_mismatch:
      return 1;
    default:
      return 2;
  }
}

}  // namespace gk::flash
