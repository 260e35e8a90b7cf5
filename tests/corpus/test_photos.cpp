// Our decoder on real photographs (tests/corpus/photos, see its README.md), scored as that
// README says, with raw ZBar and raw zxing-cpp measured on the same images in the same run.
// QrDecoder::decode must read: every `monitor` photo (the e-pass on a phone screen), in every
// category at least its committed floor and at least the better of the two raw decoders, and
// overall at least the committed floor (the 80 % target is reported, not yet reached).
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>

#include "gk/camera/frame_source.hpp"
#include "gk/camera/image_file.hpp"
#include "photos.hpp"

namespace {

// Images (not percent: the categories are small) our decoder must read per category. They
// sit at what was measured when the cascade was last changed: raise a floor when the cascade
// improves; lowering one needs a reason in the commit.
const std::map<std::string, int> kFloors = {
    {"blurred", 17},     {"bright_spots", 13}, {"brightness", 11}, {"close", 20},
    {"curved", 19},      {"damaged", 5},       {"glare", 16},      {"high_version", 6},
    {"lots", 1},         {"monitor", 9},       {"nominal", 30},    {"noncompliant", 8},
    {"pathological", 8}, {"perspective", 13},  {"rotations", 22},  {"shadows", 4},
};
// Overall: the floor is what the cascade reads now (204 of 271, 75 %) less one image of
// slack; the target is 80 % (217), which it does not reach yet: printed as a warning
// until it does, then make it the floor.
constexpr int kOverallFloor = 203;
constexpr double kTargetShare = 0.80;

struct Tally {
  int n = 0, ours = 0, zbar = 0, zxing = 0;
};

}  // namespace

TEST_CASE("real photographs: every image is labelled and every category has a floor",
          "[camera][corpus][photos]") {
  const auto photos = gk::photos::load();
  REQUIRE(photos.size() == 271);
  std::map<std::string, int> per;
  for (const auto& p : photos) {
    INFO(p.image.string());
    CHECK_FALSE(p.codes.empty());
    ++per[p.category];
  }
  for (const auto& [category, n] : per) {
    INFO(category);
    CHECK(kFloors.count(category) == 1);
  }
  CHECK(per.size() == kFloors.size());
}

TEST_CASE("real photographs: ours reads every screen, no category below raw or its floor",
          "[camera][corpus][photos]") {
  const auto photos = gk::photos::load();
  REQUIRE_FALSE(photos.empty());
  gk::camera::QrDecoder ours;  // one for the run, as the kiosk keeps one
  std::map<std::string, Tally> t;
  Tally all;
  for (const auto& p : photos) {
    std::string why;
    const cv::Mat grey = gk::camera::read_grey_image(p.image, &why);
    INFO(p.image.string() << " " << why);
    REQUIRE_FALSE(grey.empty());
    const auto view = gk::camera::view_of(grey);
    const bool mine = gk::photos::scored(ours.decode(view), p);
    const bool zbar = gk::photos::scored(gk::camera::raw_zbar_decode(view), p);
    const bool zxing = gk::photos::scored(gk::camera::raw_zxing_decode(view), p);
    for (Tally* x : {&t[p.category], &all}) {
      ++x->n;
      x->ours += mine;
      x->zbar += zbar;
      x->zxing += zxing;
    }
  }
  std::printf("real photographs, images read (at least one code inside its labelled corners)\n");
  std::printf("%-14s %4s %6s %6s %6s %6s\n", "category", "n", "ours", "zbar", "zxing", "floor");
  for (const auto& [c, x] : t)
    std::printf("%-14s %4d %6d %6d %6d %6d\n", c.c_str(), x.n, x.ours, x.zbar, x.zxing,
                kFloors.count(c) ? kFloors.at(c) : -1);
  std::printf("%-14s %4d %6d %6d %6d\n", "all", all.n, all.ours, all.zbar, all.zxing);
  for (const auto& [c, x] : t) {
    INFO(c << ": ours " << x.ours << ", raw ZBar " << x.zbar << ", raw zxing-cpp " << x.zxing);
    const auto f = kFloors.find(c);
    REQUIRE(f != kFloors.end());
    CHECK(x.ours >= f->second);
    CHECK(x.ours >= std::max(x.zbar, x.zxing));
    if (c == "monitor") CHECK(x.ours == x.n);
  }
  INFO("overall: ours " << all.ours << " of " << all.n);
  CHECK(all.ours >= kOverallFloor);
  if (all.ours < kTargetShare * all.n)
    WARN("below the 80 % target: " << all.ours << " of " << all.n << " read, target "
                                   << static_cast<int>(kTargetShare * all.n + 0.999));
}
