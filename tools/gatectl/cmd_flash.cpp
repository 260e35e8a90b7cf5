// gatectl flash IMAGE TARGET: writes a board image to a card or an image file (only the
// blocks its bmap maps), verifies it by read-back, and places the provisioning bundle on the
// FAT boot partition. Exit 0 done, 1 the image or the write does not verify, 2 input error.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "gk/flash/bmap.hpp"
#include "gk/flash/bundle.hpp"
#include "gk/flash/progress.hpp"
#include "gk/flash/writer.hpp"
#include "output.hpp"

namespace gatectl {

namespace {

struct FlashOptions {
  std::string image, target, bmap, bundle;
  bool no_bmap = false, json = false, no_verify = false;
};

int report(const gk::flash::FlashError& e, bool json) {
  std::cerr << "gatectl: flash: " << gk::flash::code(e.problem) << ": " << e.detail << "\n";
  if (json) print_json({{"error", e.detail}, {"reason", std::string(gk::flash::code(e.problem))}});
  return gk::flash::exit_code(e.problem);
}

int run_flash(const FlashOptions& o) {
  namespace fs = std::filesystem;
  // JSON lines whenever stdout is not a technician's terminal (a script, a pipe, a log).
  const bool json = o.json || !::isatty(STDOUT_FILENO);
  std::unique_ptr<gk::flash::Progress> progress;
  if (json)
    progress = std::make_unique<gk::flash::JsonLinesProgress>(std::cout);
  else if (::isatty(STDERR_FILENO))
    progress = std::make_unique<gk::flash::TerminalBar>(std::cerr);
  else
    progress = std::make_unique<gk::flash::SilentProgress>();

  gk::flash::FlashRequest request;
  request.image = o.image;
  request.target = o.target;
  request.verify = !o.no_verify;
  std::string bmap_path = o.bmap;
  std::error_code ec;
  if (bmap_path.empty() && !o.no_bmap && fs::exists(o.image + ".bmap", ec))
    bmap_path = o.image + ".bmap";
  if (!bmap_path.empty()) {
    auto map = gk::flash::load_bmap(bmap_path);
    if (!map) return report(map.error(), json);
    request.bmap = std::move(*map);
  }
  if (!o.bundle.empty()) {
    // Refuse a bad bundle before touching the target, not after a long write.
    if (!fs::is_regular_file(o.bundle, ec))
      return report({gk::flash::Problem::bad_bundle, o.bundle + " is not a readable file"}, json);
    if (fs::file_size(o.bundle, ec) > gk::flash::kMaxBundleBytes)
      return report({gk::flash::Problem::bad_bundle, o.bundle + " is larger than 1 MiB"}, json);
  }

  auto flashed = gk::flash::flash_image(request, *progress);
  progress.reset();  // ends the bar's line before anything else is printed
  if (!flashed) return report(flashed.error(), json);

  nlohmann::json done{
      {"done", true},
      {"image", o.image},
      {"target", o.target},
      {"bmap", bmap_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(bmap_path)},
      {"image_size", flashed->image_size},
      {"written_bytes", flashed->written_bytes},
      {"skipped_bytes", flashed->skipped_bytes},
      {"image_sha256", flashed->image_sha256},
      {"verified", flashed->verified}};
  if (flashed->verified) done["target_sha256"] = flashed->target_sha256;
  if (!o.bundle.empty()) {
    auto placed = gk::flash::place_bundle(o.target, o.bundle);
    if (!placed) return report(placed.error(), json);
    done["bundle"] = {{"path", std::string(gk::flash::kBundlePath)},
                      {"bytes", placed->bytes},
                      {"sha256", placed->sha256},
                      {"partition", placed->partition.number},
                      {"scheme", placed->partition.scheme},
                      {"partition_offset", placed->partition.offset}};
  }
  print_json(done);
  if (!flashed->verified) std::cerr << "gatectl: flash: written but NOT verified (--no-verify)\n";
  return 0;
}

}  // namespace

void register_flash(CLI::App& app, Exit& exit) {
  auto o = std::make_shared<FlashOptions>();
  auto* f = app.add_subcommand(
      "flash",
      "Write a board image to a card or image file, verify it, place the provisioning bundle");
  f->add_option("IMAGE", o->image, "Board image file (raw)")->required()->check(CLI::ExistingFile);
  f->add_option("TARGET", o->target, "Block device (e.g. /dev/sdb) or image file to write")
      ->required();
  auto* bmap = f->add_option("--bmap", o->bmap,
                             "Block map from `bmaptool create` (default: IMAGE.bmap if present)");
  f->add_flag("--no-bmap", o->no_bmap, "Write every block even if IMAGE.bmap exists")
      ->excludes(bmap);
  f->add_option("--bundle", o->bundle,
                "Provisioning bundle (<= 1 MiB) to place at /gatekeeper/provision.bundle on the "
                "FAT boot partition");
  f->add_flag("--json", o->json, "JSON progress lines on stdout even on a terminal");
  f->add_flag("--no-verify", o->no_verify,
              "Skip the read-back check (discouraged: a bad card then boots a broken image)");
  f->callback([o, &exit] { exit.code = run_flash(*o); });
}

}  // namespace gatectl
