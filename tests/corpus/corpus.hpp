#pragma once
// Reads the QR corpus: tests/corpus/<category>/<name>.jpg with <name>.txt beside it holding
// the exact text the code carries. Shared by the corpus test and bench_corpus so that both
// count the same images the same way.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace gk::corpus {

struct Entry {
  std::string category;
  std::filesystem::path image;
  std::string expected;  // empty when the .txt is missing: a broken corpus, reported as such
};

// Every image of every category, sorted so runs are comparable.
inline std::vector<Entry> load(const std::filesystem::path& root) {
  std::vector<Entry> out;
  if (!std::filesystem::is_directory(root)) return out;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      if (f.path().extension() != ".jpg" && f.path().extension() != ".png") continue;
      Entry e{dir.path().filename().string(), f.path(), {}};
      std::ifstream txt(std::filesystem::path(f.path()).replace_extension(".txt"),
                        std::ios::binary);
      e.expected.assign(std::istreambuf_iterator<char>(txt), {});
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return a.image < b.image; });
  return out;
}

// A decoder's outcome on one image: read the expected text, read something else, or nothing.
enum class Outcome { read, misread, missed };

inline Outcome judge(const std::vector<std::string>& codes, const std::string& expected) {
  if (codes.empty()) return Outcome::missed;
  for (const auto& c : codes)
    if (c == expected) return Outcome::read;
  return Outcome::misread;
}

}  // namespace gk::corpus
