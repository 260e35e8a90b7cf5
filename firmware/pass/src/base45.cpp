#include "gk/pass/base45.hpp"

#include <array>

namespace gk {
namespace {
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

constexpr std::array<int, 256> make_index() {
  std::array<int, 256> idx{};
  for (auto& v : idx) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    idx[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  return idx;
}
constexpr auto kIndex = make_index();
}  // namespace

std::string base45_encode(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() / 2 * 3 + 2);
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    unsigned n = bytes[i] * 256u + bytes[i + 1];
    out.push_back(kAlphabet[n % 45]);
    out.push_back(kAlphabet[n / 45 % 45]);
    out.push_back(kAlphabet[n / 2025]);
  }
  if (i < bytes.size()) {
    unsigned n = bytes[i];
    out.push_back(kAlphabet[n % 45]);
    out.push_back(kAlphabet[n / 45]);
  }
  return out;
}

std::optional<Bytes> base45_decode(std::string_view text) {
  if (text.size() % 3 == 1) return std::nullopt;  // a dangling character carries no byte
  Bytes out;
  out.reserve(text.size() / 3 * 2 + 1);
  for (std::size_t i = 0; i < text.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, text.size() - i);
    unsigned value = 0, weight = 1;
    for (std::size_t k = 0; k < n; ++k) {
      int d = kIndex[static_cast<unsigned char>(text[i + k])];
      if (d < 0) return std::nullopt;
      value += static_cast<unsigned>(d) * weight;
      weight *= 45;
    }
    if (n == 3) {
      if (value > 0xFFFF) return std::nullopt;
      out.push_back(static_cast<std::uint8_t>(value >> 8));
      out.push_back(static_cast<std::uint8_t>(value & 0xFF));
    } else {
      if (value > 0xFF) return std::nullopt;
      out.push_back(static_cast<std::uint8_t>(value));
    }
  }
  return out;
}

}  // namespace gk
