#pragma once
// Reads the real photographs (tests/corpus/photos/<category>/imageNNN.jpg with imageNNN.json
// beside each: the hand-labelled corners of every code) and scores a decoder's reads the way
// photos/README.md says: a code counts when its centre lies inside a labelled polygon, an
// image counts when at least one of its codes does. Shared by test_photos and bench_photos
// so both count the same images the same way.
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gk/camera/qr_decoder.hpp"

namespace gk::photos {

using Polygon = std::array<camera::Point, 4>;

struct Photo {
  std::string category;
  std::filesystem::path image;
  std::vector<Polygon> codes;  // empty when the .json is missing or malformed: a broken corpus
};

inline std::filesystem::path root() {
  const char* src = std::getenv("GK_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "tests" / "corpus" / "photos";
}

// Every photograph of every category, sorted so runs are comparable.
inline std::vector<Photo> load(const std::filesystem::path& dir = root()) {
  std::vector<Photo> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& cat : std::filesystem::directory_iterator(dir)) {
    if (!cat.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(cat.path())) {
      if (f.path().extension() != ".jpg") continue;
      Photo p{cat.path().filename().string(), f.path(), {}};
      std::ifstream in(std::filesystem::path(f.path()).replace_extension(".json"));
      const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("polygons") && j["polygons"].is_array()) {
        for (const auto& poly : j["polygons"]) {
          if (!poly.is_array() || poly.size() != 8) continue;
          Polygon q;
          for (std::size_t i = 0; i < 4; ++i)
            q[i] = {poly[2 * i].get<float>(), poly[2 * i + 1].get<float>()};
          p.codes.push_back(q);
        }
      }
      out.push_back(std::move(p));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Photo& a, const Photo& b) { return a.image < b.image; });
  return out;
}

// Even-odd rule; the labelled quadrilaterals are convex but need not be wound one way.
inline bool inside(const Polygon& poly, camera::Point p) {
  bool in = false;
  for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const auto& a = poly[i];
    const auto& b = poly[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) in = !in;
  }
  return in;
}

// Whether at least one read lies on a labelled code (the kiosk's question: was a code read).
inline bool scored(const std::vector<camera::QrCode>& reads, const Photo& photo) {
  for (const auto& r : reads)
    for (const auto& poly : photo.codes)
      if (inside(poly, r.centre())) return true;
  return false;
}

}  // namespace gk::photos
