#include "gk/policy/site_state.hpp"

namespace gk {

std::string_view to_string(Outbreak o) {
  return o == Outbreak::lockdown ? "lockdown" : "normal";
}

std::string_view to_string(AntiPassback a) {
  switch (a) {
    case AntiPassback::off:
      return "off";
    case AntiPassback::soft:
      return "soft";
    case AntiPassback::hard:
      return "hard";
  }
  return "off";
}

std::optional<Outbreak> outbreak_from_string(std::string_view s) {
  if (s == "normal") return Outbreak::normal;
  if (s == "lockdown") return Outbreak::lockdown;
  return std::nullopt;
}

std::optional<AntiPassback> anti_passback_from_string(std::string_view s) {
  for (auto a : {AntiPassback::off, AntiPassback::soft, AntiPassback::hard})
    if (to_string(a) == s) return a;
  return std::nullopt;
}

}  // namespace gk
