#pragma once
// Body temperature from an infrared skin reading: the forehead is not the body.
//
// Physics. In steady state the heat conducted from the core through the tissue to the skin,
// K·(T_body − T_skin), leaves the skin to the surroundings, h·(T_skin − T_ambient): the
// "heat balance" behind zero-heat-flux thermometry (Fox & Solman, J Physiol 212, 1971) and
// temporal-artery thermometers (Pompei, US patent 6,292,685). With one k = h/K, a healthy
// forehead follows the room as dT_skin/dT_ambient = k/(1+k): the colder the gate, the
// further the skin sits below the body.
//
// Model. body = skin + offset + cooling·(room_min − ambient)   below the fitted rooms
//        body = skin + offset                                   within them
//        body = skin + offset − cooling·(ambient − room_max)   above them
// `offset` is the forehead-to-mouth gap in the rooms most volunteers were measured in (the
// central 80 % of the study's rooms); `cooling` is
// the skin's slope against the room, which the same data measure on its non-febrile people
// and which the heat balance turns into k = cooling/(1−cooling). Within the fitted rooms the
// per-person room correction is not applied: there it does not improve screening (the study's
// febrile volunteers sit mostly in its warmer rooms, so correcting for the room lowers the
// share of febrile people checked at a given share passed); outside them it is what keeps a
// healthy resident at a 2 °C gate, or a 33 °C one, from being read as cold or feverish.
//
// Coefficients: the FDA's infrared thermography study, 502 volunteers (forehead warmest
// point, rooms 20–29 °C, oral reference; tests/data/thermometry, CC0), fitted and 10-fold
// cross-validated by tests/bench/fever (build/bench/bench_fever), which prints them, the
// error against oral temperature and the whole refer/fever trade-off. README "Fever
// screening" has the figures and the limits: outside 20–29 °C this is the physics
// extrapolated, not a measurement.
namespace gk {

struct SkinModel {
  double offset_c = 1.670;  // mean oral − forehead skin, FDA data
  double cooling = 0.127;  // dT_skin/dT_ambient of non-febrile volunteers (heat balance k ≈ 0.145)
  // The rooms most volunteers were measured in (10th–90th percentile of the FDA rooms,
  // which span 20.2–28.7 °C): the offset holds there without a room correction.
  double room_min_c = 22.7;
  double room_max_c = 25.7;
  // The ambient readings the model is trusted over at all. Outside (a sensor in the sun, a
  // frozen kiosk) no estimate is made: the passage is referred to the guard.
  double ambient_min_c = -10.0;
  double ambient_max_c = 40.0;
};

double estimate_body_c(double skin_c, double ambient_c, const SkinModel& m);
// The inverse: the skin reading the model expects of a body temperature at an ambient.
// Converts old body-temperature scenario steps and sim settings into skin (README).
double skin_for_body_c(double body_c, double ambient_c, const SkinModel& m);

}  // namespace gk
