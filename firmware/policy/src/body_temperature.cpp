#include "gk/policy/body_temperature.hpp"

namespace gk {
namespace {
// What the room adds to the forehead-to-body gap, relative to the fitted rooms.
double room_correction(double ambient_c, const SkinModel& m) {
  if (ambient_c < m.room_min_c) return m.cooling * (m.room_min_c - ambient_c);
  if (ambient_c > m.room_max_c) return -m.cooling * (ambient_c - m.room_max_c);
  return 0.0;
}
}  // namespace

double estimate_body_c(double skin_c, double ambient_c, const SkinModel& m) {
  return skin_c + m.offset_c + room_correction(ambient_c, m);
}

double skin_for_body_c(double body_c, double ambient_c, const SkinModel& m) {
  return body_c - m.offset_c - room_correction(ambient_c, m);
}

}  // namespace gk
