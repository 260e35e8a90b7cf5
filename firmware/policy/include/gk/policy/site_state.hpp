#pragma once
// The compound's outbreak state and thresholds: set locally by a guard or pulled signed
// from upstream (the newer one wins).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace gk {

enum class Outbreak : std::uint8_t {
  normal = 1,
  lockdown = 2,  // confirmed case in the compound: no visitor or vehicle in or out
};

enum class AntiPassback : std::uint8_t {
  off = 0,
  soft = 1,  // admit, but note the out-of-sequence passage in the journal
  hard = 2,  // refer to the guard
};

struct SiteState {
  std::string site;  // this compound's id; passes for other sites are refused
  Outbreak outbreak = Outbreak::normal;
  std::set<std::string> quarantined_buildings;  // 14-day hard quarantine: residents stay in
  double fever_threshold_c = 37.3;              // >= threshold is fever (notices: 37.3)
  double plausible_min_c = 34.0;                // below: sensor fault or bad aim
  double plausible_max_c = 43.0;                // above: sensor fault
  AntiPassback anti_passback = AntiPassback::off;
  std::int64_t anti_passback_window_s = 12 * 3600;
  std::int64_t clock_skew_grace_s = 300;  // tolerance on pass validity edges
};

std::string_view to_string(Outbreak o);
std::string_view to_string(AntiPassback a);
std::optional<Outbreak> outbreak_from_string(std::string_view s);
std::optional<AntiPassback> anti_passback_from_string(std::string_view s);

}  // namespace gk
