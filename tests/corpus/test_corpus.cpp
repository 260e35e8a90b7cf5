// Our decoder on the QR corpus (tests/corpus/<category>/*.jpg, expected text beside each):
// no misreads at all, and per category at least the committed floor. The floors sit just under
// what was measured when the corpus was generated, so any regression of the cascade fails here;
// raw ZBar is printed alongside for context and asserted nothing about.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <opencv2/imgcodecs.hpp>

#include "corpus.hpp"
#include "gk/camera/frame_source.hpp"
#include "gk/camera/qr_decoder.hpp"

namespace {

std::filesystem::path corpus_root() {
  const char* src = std::getenv("GK_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "tests" / "corpus";
}

// Read rates (percent) our QrDecoder::decode must reach per category. Raise a floor when the
// cascade improves; lowering one needs a reason in the commit. glare went from 49 to 41 (one
// image) when the cascade was rebuilt on real photographs (tests/corpus/photos): ZBar on the
// CLAHE-equalised half frame read it, and on the photographs that pass cost more than the
// whole cascade may.
const std::map<std::string, double> kFloors = {
    {"combined", 66},    {"dark_mode", 99}, {"glare", 41},        {"low_contrast", 91},
    {"motion_blur", 83}, {"screen", 99},    {"printed_card", 99}, {"tilt_15", 99},
    {"tilt_30", 99},     {"tilt_45", 99},
};
// The requirement: overall, at least 15 points above raw ZBar on the same images.
constexpr double kMinPointsOverRaw = 15;
constexpr double kOverallFloor = 88;

struct Tally {
  int n = 0, ours = 0, raw = 0, misread = 0;
};

}  // namespace

TEST_CASE("QR corpus: every image has its expected text and every category is present",
          "[camera][corpus]") {
  const auto entries = gk::corpus::load(corpus_root());
  REQUIRE(entries.size() >= 100);
  std::map<std::string, int> per;
  for (const auto& e : entries) {
    INFO(e.image.string());
    CHECK_FALSE(e.expected.empty());
    ++per[e.category];
  }
  for (const auto& [category, floor] : kFloors) {
    INFO(category);
    CHECK(per[category] >= 8);
  }
}

TEST_CASE("QR corpus: our decoder reads each category at least at its floor, never misreads",
          "[camera][corpus]") {
  const auto entries = gk::corpus::load(corpus_root());
  REQUIRE_FALSE(entries.empty());
  gk::camera::QrDecoder ours;
  std::map<std::string, Tally> t;
  Tally all;
  for (const auto& e : entries) {
    const cv::Mat grey = cv::imread(e.image.string(), cv::IMREAD_GRAYSCALE);
    INFO(e.image.string());
    REQUIRE_FALSE(grey.empty());
    const auto view = gk::camera::view_of(grey);
    const auto mine = gk::corpus::judge(gk::camera::texts(ours.decode(view)), e.expected);
    const auto raw =
        gk::corpus::judge(gk::camera::texts(gk::camera::raw_zbar_decode(view)), e.expected);
    CHECK(mine != gk::corpus::Outcome::misread);
    for (Tally* x : {&t[e.category], &all}) {
      ++x->n;
      x->ours += mine == gk::corpus::Outcome::read;
      x->raw += raw == gk::corpus::Outcome::read;
      x->misread += mine == gk::corpus::Outcome::misread;
    }
  }
  auto pct = [](int k, int n) { return n ? 100.0 * k / n : 0.0; };
  std::printf("%-14s %4s %8s %8s\n", "category", "n", "ours %", "raw %");
  for (const auto& [c, x] : t)
    std::printf("%-14s %4d %8.1f %8.1f\n", c.c_str(), x.n, pct(x.ours, x.n), pct(x.raw, x.n));
  std::printf("%-14s %4d %8.1f %8.1f\n", "overall", all.n, pct(all.ours, all.n),
              pct(all.raw, all.n));
  for (const auto& [c, x] : t) {
    INFO(c << ": ours " << pct(x.ours, x.n) << " %");
    const auto f = kFloors.find(c);
    REQUIRE(f != kFloors.end());  // a new category needs a floor
    CHECK(pct(x.ours, x.n) >= f->second);
  }
  CHECK(pct(all.ours, all.n) >= kOverallFloor);
  CHECK(pct(all.ours, all.n) - pct(all.raw, all.n) >= kMinPointsOverRaw);
  CHECK(all.misread == 0);
}
