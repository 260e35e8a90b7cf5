#include <catch2/catch.hpp>

#include "gk/gated/metrics.hpp"

using gk::Metrics;
using gk::MetricsSnapshot;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}
}  // namespace

TEST_CASE("metrics: decisions counted by decision and reason, in exposition format", "[metrics]") {
  Metrics m;
  m.count_decision(gk::Decision::admit, gk::Reason::ok);
  m.count_decision(gk::Decision::admit, gk::Reason::ok);
  m.count_decision(gk::Decision::deny, gk::Reason::fever);
  m.count_alarm("fever");
  MetricsSnapshot s;
  s.version = "0.1.0";
  s.board = "sim";
  s.site = "site-1";
  s.checkpoint = "北门 \"east\"";
  s.start_time = 1795431680;  // large integers stay exact, never 1.79543e+09
  s.journal_last_seq = 3;
  const std::string text = m.render(s);
  CHECK(has_line(text, "# TYPE gate_decisions_total counter"));
  CHECK(has_line(text, R"(gate_decisions_total{decision="admit",reason="ok"} 2)"));
  CHECK(has_line(text, R"(gate_decisions_total{decision="deny",reason="fever"} 1)"));
  CHECK(has_line(text, R"(gate_alarms_total{alarm="fever"} 1)"));
  CHECK(has_line(text, "gate_start_time_seconds 1795431680"));
  CHECK(has_line(text, "gate_journal_last_seq 3"));
  CHECK(text.find(R"(checkpoint="北门 \"east\"")") != std::string::npos);
  // Without sync there is no backlog to report rather than a misleading zero.
  CHECK(text.find("gate_sync_backlog_passages") == std::string::npos);
}

TEST_CASE("metrics: sync gauges; a list never received has no age sample", "[metrics]") {
  Metrics m;
  m.count_sync_round(true);
  m.count_sync_round(false);
  m.count_sync_round(false);
  MetricsSnapshot s;
  s.sync_configured = true;
  s.backlog = 1200;
  s.age_revocations = 42;
  s.lists_stale = true;
  const std::string text = m.render(s);
  CHECK(has_line(text, "gate_sync_backlog_passages 1200"));
  CHECK(has_line(text, R"(gate_sync_rounds_total{result="ok"} 1)"));
  CHECK(has_line(text, R"(gate_sync_rounds_total{result="failed"} 2)"));
  CHECK(has_line(text, "gate_revocation_list_age_seconds 42"));
  CHECK(has_line(text, "# TYPE gate_site_state_age_seconds gauge"));
  CHECK(text.find("\ngate_site_state_age_seconds ") == std::string::npos);
  CHECK(has_line(text, "gate_lists_stale 1"));
}

TEST_CASE("metrics: label values escaped", "[metrics]") {
  CHECK(gk::escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
}
