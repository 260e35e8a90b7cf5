// Fever screening on real people: fits the skin model (gk/policy/body_temperature.hpp) on
// the FDA thermography volunteers (tests/data/thermometry), cross-validates it 10-fold,
// and prints its error against oral temperature and the whole trade-off of the refer
// threshold (share of febrile people checked, share of the others passed), with the old
// rule (skin against 37.3 °C) as the baseline measured on the same people.
//   build/bench/bench_fever [CSV]      default: the repository's copy of the data
// Febrile means oral >= 37.5 °C, as in the study. Nothing here fails on a number.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gk/policy/policy.hpp"

namespace {
constexpr double kFebrileOralC = 37.5;
constexpr int kFolds = 10;

struct Subject {
  double skin = 0, ambient = 0, oral = 0;
  bool febrile() const { return oral >= kFebrileOralC; }
};

std::vector<Subject> load(const std::string& file, int& skipped) {
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "bench_fever: cannot open %s\n", file.c_str());
    std::exit(1);
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> header;
  for (std::stringstream ss(line); std::getline(ss, line, ',');) header.push_back(line);
  auto col = [&](const char* name) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    std::fprintf(stderr, "bench_fever: %s has no column %s\n", file.c_str(), name);
    std::exit(1);
  };
  const int cs = col("skin_forehead_max_c"), ca = col("ambient_c"), co = col("oral_c");
  std::vector<Subject> out;
  skipped = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    f.resize(header.size());
    try {
      out.push_back({std::stod(f[cs]), std::stod(f[ca]), std::stod(f[co])});
    } catch (const std::exception&) {
      ++skipped;  // a subject without one of the three readings
    }
  }
  return out;
}

// Share of febrile people whose estimate reaches t, and of the others whose estimate stays
// below it: what a refer threshold t checks and passes.
struct Shares {
  double checked = 0, passed = 0;
};
Shares shares_at(const std::vector<Subject>& s, const std::vector<double>& est, double t) {
  int feb = 0, feb_hit = 0, oth = 0, oth_pass = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i].febrile()) {
      ++feb;
      feb_hit += est[i] >= t;
    } else {
      ++oth;
      oth_pass += est[i] < t;
    }
  }
  return {feb ? double(feb_hit) / feb : 0, oth ? double(oth_pass) / oth : 0};
}

// Area under the ROC curve of a score: the chance that a febrile person scores above
// another; ties count half.
double auc(const std::vector<Subject>& s, const std::vector<double>& score) {
  double wins = 0;
  long pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = 0; j < s.size(); ++j)
      if (s[i].febrile() && !s[j].febrile()) {
        ++pairs;
        wins += score[i] > score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
      }
  return pairs ? wins / pairs : 0;
}

std::vector<double> estimates(const std::vector<Subject>& s, const gk::SkinModel& m) {
  std::vector<double> e;
  for (const auto& x : s) e.push_back(gk::estimate_body_c(x.skin, x.ambient, m));
  return e;
}

// The fit, from the data alone: the rooms are the central 80 % of the ambients seen (10th
// to 90th percentile; `band` = 0.10); the cooling is the slope of non-febrile people's
// forehead against the room (least squares); the offset makes the mean error against oral
// zero.
gk::SkinModel fit(const std::vector<Subject>& s, double band = 0.10) {
  gk::SkinModel m;
  std::vector<double> rooms;
  double n = 0, ma = 0, ms = 0;
  for (const auto& x : s) {
    rooms.push_back(x.ambient);
    if (x.febrile()) continue;
    ++n;
    ma += x.ambient;
    ms += x.skin;
  }
  std::sort(rooms.begin(), rooms.end());
  m.room_min_c = rooms[static_cast<std::size_t>(band * (rooms.size() - 1))];
  m.room_max_c = rooms[static_cast<std::size_t>((1 - band) * (rooms.size() - 1))];
  ma /= n;
  ms /= n;
  double saa = 0, ssa = 0;
  for (const auto& x : s)
    if (!x.febrile()) {
      saa += (x.ambient - ma) * (x.ambient - ma);
      ssa += (x.skin - ms) * (x.ambient - ma);
    }
  m.cooling = ssa / saa;
  m.offset_c = 0;
  double gap = 0;
  for (const auto& x : s) gap += x.oral - gk::estimate_body_c(x.skin, x.ambient, m);
  m.offset_c = gap / static_cast<double>(s.size());
  return m;
}

// Out-of-fold estimates: each subject's from a model fitted without their fold.
std::vector<double> cross_validated(const std::vector<Subject>& s, double band, bool print) {
  std::vector<double> oof(s.size());
  for (int f = 0; f < kFolds; ++f) {
    std::vector<Subject> train;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (static_cast<int>(i % kFolds) != f) train.push_back(s[i]);
    const gk::SkinModel fm = fit(train, band);
    if (print)
      std::printf("  %4d  %+.3f  %.3f    %.1f..%.1f\n", f, fm.offset_c, fm.cooling, fm.room_min_c,
                  fm.room_max_c);
    for (std::size_t i = 0; i < s.size(); ++i)
      if (static_cast<int>(i % kFolds) == f)
        oof[i] = gk::estimate_body_c(s[i].skin, s[i].ambient, fm);
  }
  return oof;
}

struct Error {
  double mae = 0, bias = 0, sd = 0;
};
Error error_vs_oral(const std::vector<Subject>& s, const std::vector<double>& est) {
  Error e;
  const double n = static_cast<double>(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    e.mae += std::abs(est[i] - s[i].oral) / n;
    e.bias += (est[i] - s[i].oral) / n;
  }
  for (std::size_t i = 0; i < s.size(); ++i) e.sd += std::pow(est[i] - s[i].oral - e.bias, 2);
  e.sd = std::sqrt(e.sd / (n - 1));
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string file =
      argc > 1 ? argv[1] : GK_SOURCE_DIR "/tests/data/thermometry/fda_flir_subjects.csv";
  int skipped = 0;
  const std::vector<Subject> s = load(file, skipped);
  const long febrile = std::count_if(s.begin(), s.end(), [](auto& x) { return x.febrile(); });
  std::printf(
      "bench_fever: %zu subjects (%ld febrile, oral >= %.1f C), %d skipped (missing "
      "values)\n  data: %s\n\n",
      s.size(), febrile, kFebrileOralC, skipped, file.c_str());

  const gk::SiteState site;  // the firmware's defaults: model and thresholds
  const gk::SkinModel& m = site.skin_model;
  const gk::SkinModel full = fit(s);
  std::printf(
      "model  body = skin + offset + cooling * (how far the ambient is outside the rooms "
      "left uncorrected)\n");
  std::printf(
      "  fitted on all subjects : offset %+.3f C, cooling %.3f C/C (heat balance k = "
      "%.3f), rooms %.1f..%.1f C\n",
      full.offset_c, full.cooling, full.cooling / (1 - full.cooling), full.room_min_c,
      full.room_max_c);
  std::printf(
      "  firmware defaults      : offset %+.3f C, cooling %.3f C/C, rooms %.1f..%.1f C "
      "(SiteState::skin_model)\n\n",
      m.offset_c, m.cooling, m.room_min_c, m.room_max_c);

  std::printf(
      "10-fold cross-validation (fold = subject index mod 10)\n"
      "  fold  offset  cooling  rooms\n");
  const std::vector<double> oof = cross_validated(s, 0.10, true);
  const std::vector<double> in_sample = estimates(s, m);
  std::vector<double> skin;
  for (const auto& x : s) skin.push_back(x.skin);
  const Error ecv = error_vs_oral(s, oof), ein = error_vs_oral(s, in_sample);
  const Error eskin = error_vs_oral(s, skin);
  std::printf("\nerror against oral (C)        MAE    bias    SD\n");
  std::printf("  skin as body (old rule)    %5.2f  %+5.2f  %5.2f\n", eskin.mae, eskin.bias,
              eskin.sd);
  std::printf("  defaults, in sample        %5.2f  %+5.2f  %5.2f\n", ein.mae, ein.bias, ein.sd);
  std::printf("  cross-validated            %5.2f  %+5.2f  %5.2f\n", ecv.mae, ecv.bias, ecv.sd);
  std::printf("  AUC febrile vs others: skin %.3f, estimate %.3f\n\n", auc(s, skin),
              auc(s, in_sample));

  // The old rule: skin against 37.3 (fever) with a 34.0 floor (implausible: refer).
  int old_checked = 0, old_passed = 0;
  for (const auto& x : s) {
    const bool checked = x.skin >= 37.3 || x.skin < 34.0;
    if (x.febrile())
      old_checked += checked;
    else
      old_passed += !checked;
  }
  const double old_c = double(old_checked) / febrile,
               old_p = double(old_passed) / (s.size() - febrile);
  std::printf(
      "baseline: the old rule (skin >= 37.3 fever, < 34.0 refer) checks %d of %ld febrile "
      "(%.1f %%) and passes %.1f %% of the others\n\n",
      old_checked, febrile, 100 * old_c, 100 * old_p);

  std::printf(
      "trade-off: a threshold t on the estimate; estimate >= t is checked (as refer_from_c:\n"
      "refer or fever; as fever_threshold_c: denied). Others = not febrile.\n");
  std::printf("    t     febrile checked  others passed  |  febrile checked  others passed\n");
  std::printf("          defaults, in sample            |  cross-validated\n");
  std::vector<double> ts;
  for (int i = 0; i <= 18; ++i) ts.push_back(36.8 + i * 0.1);
  ts.push_back(site.refer_from_c);
  std::sort(ts.begin(), ts.end());
  ts.erase(
      std::unique(ts.begin(), ts.end(), [](double a, double b) { return std::abs(a - b) < 1e-6; }),
      ts.end());
  for (double t : ts) {
    const Shares a = shares_at(s, in_sample, t), b = shares_at(s, oof, t);
    const char* mark = std::abs(t - site.refer_from_c) < 1e-6        ? "  <- refer_from_c"
                       : std::abs(t - site.fever_threshold_c) < 1e-6 ? "  <- fever_threshold_c"
                                                                     : "";
    std::printf("  %5.2f     %5.1f %% (%4.1fx)    %5.1f %%     |     %5.1f %%         %5.1f %%%s\n",
                t, 100 * a.checked, old_c > 0 ? a.checked / old_c : 0.0, 100 * a.passed,
                100 * b.checked, 100 * b.passed, mark);
  }
  std::printf("  (Nx: febrile checked as a multiple of the old rule's share)\n\n");

  // How much the choice of the rooms left uncorrected matters (cross-validated, at the
  // default refer threshold): the central 90, 80 (the default) and 50 % of the rooms.
  std::printf("rooms left uncorrected (cross-validated, refer from %.2f C):\n", site.refer_from_c);
  for (double band : {0.05, 0.10, 0.25}) {
    const gk::SkinModel bm = fit(s, band);
    const Shares b = shares_at(s, cross_validated(s, band, false), site.refer_from_c);
    std::printf(
        "  central %2.0f %% (%.1f..%.1f C): febrile checked %5.1f %%, others passed %5.1f %%\n",
        100 * (1 - 2 * band), bm.room_min_c, bm.room_max_c, 100 * b.checked, 100 * b.passed);
  }
  std::printf("\n");

  // The defaults through the kiosk's own rules, decision by decision.
  auto tally = [&](const std::vector<double>& est, const char* label) {
    int f_fever = 0, f_refer = 0, o_fever = 0, o_refer = 0, o_other = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      gk::Temperature t;
      t.skin_c = s[i].skin;
      t.ambient_c = s[i].ambient;
      t.celsius = est[i];
      auto v = gk::temperature_rules(t, site);
      const bool fever = v && v->reason == gk::Reason::fever;
      const bool refer = v && v->reason == gk::Reason::temperature_recheck;
      if (s[i].febrile()) {
        f_fever += fever;
        f_refer += refer;
      } else {
        o_fever += fever;
        o_refer += refer;
        o_other += v && !fever && !refer;
      }
    }
    const double nf = febrile, no = s.size() - febrile;
    std::printf(
        "  %-17s febrile: %.1f %% checked (%.1f %% fever, %.1f %% refer); others: %.1f %% "
        "passed (%.1f %% refer, %.1f %% fever, %.1f %% implausible)\n",
        label, 100 * (f_fever + f_refer) / nf, 100 * f_fever / nf, 100 * f_refer / nf,
        100 * (no - o_fever - o_refer - o_other) / no, 100 * o_refer / no, 100 * o_fever / no,
        100 * o_other / no);
  };
  std::printf(
      "at the defaults: refer from %.2f C, fever (deny) from %.2f C, plausible %.1f..%.1f C\n",
      site.refer_from_c, site.fever_threshold_c, site.plausible_min_c, site.plausible_max_c);
  tally(in_sample, "in sample:");
  tally(oof, "cross-validated:");
  return 0;
}
