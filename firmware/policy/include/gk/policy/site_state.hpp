#pragma once
// The compound's outbreak state and thresholds: set locally by a guard or pulled signed
// from upstream (the newer one wins).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "gk/policy/body_temperature.hpp"

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
  // Fever screening on the body-temperature estimate (body_temperature.hpp), defaults
  // chosen on the FDA data (README "Fever screening", tests/bench/fever):
  //   estimate >= fever_threshold_c                 deny, alarm
  //   refer_from_c <= estimate < fever_threshold_c  refer: the guard re-measures with a
  //                                                 clinical thermometer
  //   below                                         pass
  // The estimate errs by 0.45 °C (SD) against the mouth, so the notices' 37.3 °C is applied
  // to the guard's clinical reading (clinical_fever_c), not to the estimate. On the FDA data
  // refer_from_c checks 83.6 % of febrile people (oral >= 37.5) and passes 85.7 % of the
  // others (the same cross-validated); fever_threshold_c denies a third of febrile people
  // and 0.4 % of the others. bench_fever prints the whole trade-off.
  double fever_threshold_c = 38.0;
  double refer_from_c = 37.35;
  double clinical_fever_c = 37.3;  // notices: 37.3 °C
  SkinModel skin_model;
  double plausible_min_c = 34.0;  // estimate below: bad aim (hair, hat) or a sensor fault
  double plausible_max_c = 43.0;  // estimate above: sensor fault
  AntiPassback anti_passback = AntiPassback::off;
  std::int64_t anti_passback_window_s = 12 * 3600;
  std::int64_t clock_skew_grace_s = 300;  // tolerance on pass validity edges
  // The longest validity a pass may carry, enforced at the gate whatever its issuer signed:
  // residents and temporary residents renew weekly (002: 7 days), a visit lasts a day.
  std::int64_t max_resident_validity_s = 7 * 86400;
  std::int64_t max_visit_window_s = 86400;
};

std::string_view to_string(Outbreak o);
std::string_view to_string(AntiPassback a);
std::optional<Outbreak> outbreak_from_string(std::string_view s);
std::optional<AntiPassback> anti_passback_from_string(std::string_view s);

}  // namespace gk
