// Real photographs (tests/corpus/photos, see its README.md), scored as that README says: per
// category, images read by QrDecoder::decode, raw ZBar and raw zxing-cpp (ReadBarcodes, QR only,
// default hints), measured on the same images in the same run, with the mean decode time per
// image for each (the image already in memory: file reading is scan.sh's whole-process figure).
// "live" is the kiosk's video path (QrDecoder::decode_stream) given the image as up to three
// consecutive frames, a fresh decoder per image: what a code held in view for 100 ms at 30 fps
// gets. Then which pass of the still cascade made each read.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "gk/camera/frame_source.hpp"
#include "gk/camera/image_file.hpp"
#include "photos.hpp"

using namespace gk;

namespace {

struct Tally {
  int n = 0, ours = 0, zbar = 0, zxing = 0, live = 0;
  double ours_ms = 0, zbar_ms = 0, zxing_ms = 0;
};

template <class F>
double time_ms(F f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void row(const std::string& name, const Tally& t) {
  std::printf("  %-14s %4d %5d %5d %6d %5d %9.1f %9.1f %9.1f %11.2f\n", name.c_str(), t.n, t.ours,
              t.zbar, t.zxing, t.live, t.ours_ms / t.n, t.zbar_ms / t.n, t.zxing_ms / t.n,
              t.zxing_ms > 0 ? t.ours_ms / t.zxing_ms : 0.0);
}

}  // namespace

int main() {
  const auto photos = photos::load(GK_PHOTOS_DIR);
  if (photos.empty()) {
    std::fprintf(stderr, "bench_photos: no photographs under %s\n", GK_PHOTOS_DIR);
    return 1;
  }
  camera::QrDecoder ours;  // constructed once, as the kiosk does
  std::map<std::string, Tally> per;
  std::map<std::string, int> passes;
  Tally all;
  // The two halves by position in the sorted list: parameters chosen on one half are checked
  // on the other (held out), so a change that only fits particular images shows.
  Tally half[2];
  std::size_t index = 0;
  for (const auto& p : photos) {
    Tally& h = half[index++ % 2];
    std::string why;
    const cv::Mat grey = camera::read_grey_image(p.image, &why);
    if (grey.empty()) {
      std::fprintf(stderr, "bench_photos: %s: %s\n", p.image.c_str(), why.c_str());
      return 1;
    }
    const hal::GreyView view = camera::view_of(grey);
    std::vector<camera::QrCode> mine, zbar, zxing;
    const double ours_ms = time_ms([&] { mine = ours.decode(view); });
    const bool read = photos::scored(mine, p);
    if (read) ++passes[ours.last_pass()];
    const double zbar_ms = time_ms([&] { zbar = camera::raw_zbar_decode(view); });
    const double zxing_ms = time_ms([&] { zxing = camera::raw_zxing_decode(view); });
    camera::QrDecoder live;
    bool live_read = false;
    for (int i = 0; i < 3 && !live_read; ++i)
      live_read = photos::scored(live.decode_stream(view), p);
    for (Tally* t : {&per[p.category], &all, &h}) {
      ++t->n;
      t->ours += read;
      t->zbar += photos::scored(zbar, p);
      t->zxing += photos::scored(zxing, p);
      t->live += live_read;
      t->ours_ms += ours_ms;
      t->zbar_ms += zbar_ms;
      t->zxing_ms += zxing_ms;
    }
  }
  std::printf(
      "Real photographs, images read (a code's centre inside its labelled corners), %zu "
      "images, one run\n",
      photos.size());
  std::printf(
      "  ours = QrDecoder::decode, zbar = raw ZBar (QR only), zxing = raw zxing-cpp "
      "ReadBarcodes (QR only, default hints), live = decode_stream within 3 frames\n");
  std::printf("  %-14s %4s %5s %5s %6s %5s %9s %9s %9s %11s\n", "category", "n", "ours", "zbar",
              "zxing", "live", "ours ms", "zbar ms", "zxing ms", "ours/zxing");
  for (const auto& [c, t] : per) row(c, t);
  row("all", all);
  row("even half", half[0]);
  row("odd half", half[1]);
  std::printf("  reads by pass of the still cascade:");
  for (const auto& [name, n] : passes) std::printf(" %s %d;", name.c_str(), n);
  std::printf("\n");
  return 0;
}
