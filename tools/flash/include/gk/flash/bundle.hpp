#pragma once
// Places the provisioning bundle (from `gatectl provision`) on the written image's FAT boot
// partition with mtools, which edits the file system through a byte offset: no mount, no
// loop device, no root needed, and the same path for an image file and a card.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "gk/flash/outcome.hpp"
#include "gk/flash/partition.hpp"

namespace gk::flash {

// The bundle is opaque to us; the kiosk's first boot reads it from here.
inline constexpr std::string_view kBundleDir = "::/gatekeeper";
inline constexpr std::string_view kBundlePath = "::/gatekeeper/provision.bundle";
inline constexpr std::size_t kMaxBundleBytes = 1u << 20;

struct BundlePlacement {
  BootPartition partition;
  std::uint64_t bytes = 0;
  std::string sha256;  // of the bundle, as read back from the FAT
};

Outcome<BundlePlacement> place_bundle(const std::filesystem::path& target,
                                      const std::filesystem::path& bundle);

}  // namespace gk::flash
