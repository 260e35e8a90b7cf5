#include "gk/gated/site_keeper.hpp"

#include <nlohmann/json.hpp>

namespace gk {

std::string_view to_string(SiteOrigin o) {
  switch (o) {
    case SiteOrigin::config:
      return "config";
    case SiteOrigin::upstream:
      return "upstream";
    case SiteOrigin::guard:
      return "guard";
    case SiteOrigin::scenario:
      return "scenario";
  }
  return "config";
}

DbResult<SiteStateKeeper> SiteStateKeeper::open(const std::filesystem::path& file,
                                                SiteState& live) {
  auto db = sql::Database::open(file.string());
  if (!db) return db.error();
  if (auto s = db->exec(R"(
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=FULL;
        CREATE TABLE IF NOT EXISTS site_state(
          id INTEGER PRIMARY KEY CHECK(id=1),
          outbreak TEXT NOT NULL,
          quarantined_buildings TEXT NOT NULL,
          fever_threshold_c REAL,
          upstream_number INTEGER NOT NULL,
          origin TEXT NOT NULL,
          changed_by TEXT NOT NULL);)");
      !s)
    return db_error(s.error().code, file.string() + ": " + s.error().detail);
  SiteStateKeeper k(std::move(*db), live);
  if (auto s = k.load(); !s)
    return db_error(s.error().code, file.string() + ": " + s.error().detail);
  return k;
}

DbStatus SiteStateKeeper::load() {
  sql::Statement st(db_,
                    "SELECT outbreak, quarantined_buildings, fever_threshold_c, upstream_number, "
                    "origin FROM site_state WHERE id=1");
  if (!st.ok()) return db_error(DbCode::io, st.error());
  if (st.step() != SQLITE_ROW) return Done{};  // nothing persisted: the config seeds it
  auto outbreak = outbreak_from_string(st.text(0));
  auto buildings = nlohmann::json::parse(st.text(1), nullptr, false);
  if (!outbreak || !buildings.is_array())
    return db_error(DbCode::damaged, "stored site state is unreadable");
  std::set<std::string> b;
  for (const auto& x : buildings)
    if (x.is_string()) b.insert(x.get<std::string>());
  live_->outbreak = *outbreak;
  live_->quarantined_buildings = std::move(b);
  if (!st.is_null(2)) {
    upstream_fever_c_ = st.f64(2);
    live_->fever_threshold_c = *upstream_fever_c_;
  }
  upstream_number_ = static_cast<std::uint64_t>(st.i64(3));
  const std::string origin = st.text(4);
  origin_ = origin == "upstream"   ? SiteOrigin::upstream
            : origin == "guard"    ? SiteOrigin::guard
            : origin == "scenario" ? SiteOrigin::scenario
                                   : SiteOrigin::config;
  return Done{};
}

DbStatus SiteStateKeeper::store(const std::string& who) {
  nlohmann::json buildings = live_->quarantined_buildings;
  sql::Statement st(db_,
                    "INSERT OR REPLACE INTO site_state(id, outbreak, quarantined_buildings, "
                    "fever_threshold_c, upstream_number, origin, changed_by) "
                    "VALUES(1,?,?,?,?,?,?)");
  st.bind(1, to_string(live_->outbreak))
      .bind(2, std::string_view(
                   buildings.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)))
      .bind(3, upstream_fever_c_)
      .bind(4, static_cast<std::int64_t>(upstream_number_))
      .bind(5, to_string(origin_))
      .bind(6, std::string_view(who));
  if (st.step() != SQLITE_DONE) return db_error(DbCode::io, db_.error());
  return Done{};
}

DbResult<bool> SiteStateKeeper::apply_upstream(std::uint64_t number, const SiteChange& change) {
  if (number <= upstream_number_) return false;
  upstream_number_ = number;
  origin_ = SiteOrigin::upstream;
  live_->outbreak = change.outbreak;
  live_->quarantined_buildings = change.quarantined_buildings;
  if (change.fever_threshold_c) {
    upstream_fever_c_ = change.fever_threshold_c;
    live_->fever_threshold_c = *change.fever_threshold_c;
  }
  if (auto s = store("upstream"); !s) return s.error();
  return true;
}

DbStatus SiteStateKeeper::apply_local(SiteOrigin origin, const std::string& who,
                                      const SiteChange& change) {
  origin_ = origin;
  live_->outbreak = change.outbreak;
  live_->quarantined_buildings = change.quarantined_buildings;
  return store(who);
}

}  // namespace gk
