#include "gk/gated/outbox.hpp"

#include <ostream>

#include "gk/core/reason.hpp"
#include "gk/gated/metrics.hpp"
#include "gk/guard/console_server.hpp"
#include "gk/screen/screen_server.hpp"
#include "gk/service/event_log.hpp"

namespace gk {
namespace {

using ojson = nlohmann::ordered_json;

// Events carry only valid UTF-8 (text is validated where it enters), but a dump must never
// throw: a broken byte becomes U+FFFD rather than an exception in a sink.
std::string dump(const ojson& j) {
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

const char* sse_name(EventKind k) {
  switch (k) {
    case EventKind::passage:
      return "passage";
    case EventKind::alarm:
      return "alarm";
    case EventKind::state:
      return "state";
    case EventKind::consent:
      return "consent";
    default:
      return nullptr;
  }
}

class StdoutSink final : public EventSink {
 public:
  explicit StdoutSink(std::ostream& out) : out_(out) {}
  void deliver(const Event& e) override {
    if (e.kind == EventKind::state || e.kind == EventKind::consent) return;
    out_ << dump(e.body) << std::endl;  // one line per event, flushed for pipes
  }

 private:
  std::ostream& out_;
};

class ScreenSink final : public EventSink {
 public:
  explicit ScreenSink(screen::ScreenServer& s) : screen_(s) {}
  void deliver(const Event& e) override {
    if (auto m = for_kiosk_screen(e)) screen_.publish(m->event, m->data);
  }

 private:
  screen::ScreenServer& screen_;
};

class ConsoleSink final : public EventSink {
 public:
  explicit ConsoleSink(guard::ConsoleServer& c) : console_(c) {}
  void deliver(const Event& e) override {
    if (auto m = for_guard_console(e)) console_.publish(m->event, m->data);
  }

 private:
  guard::ConsoleServer& console_;
};

class MetricsSink final : public EventSink {
 public:
  explicit MetricsSink(Metrics& m) : metrics_(m) {}
  void deliver(const Event& e) override {
    switch (e.kind) {
      case EventKind::passage: {
        auto d = decision_from_string(e.what);
        auto r = reason_from_code(e.reason);
        if (d && r) metrics_.count_decision(*d, *r);
        break;
      }
      case EventKind::alarm:
        metrics_.count_alarm(e.what);
        break;
      case EventKind::sync:
        metrics_.count_sync_round(e.ok);
        break;
      case EventKind::task_failed:
        metrics_.count_task_failure(e.what, e.step);
        break;
      default:
        break;
    }
  }

 private:
  Metrics& metrics_;
};

class JournaldSink final : public EventSink {
 public:
  explicit JournaldSink(service::EventLog& log) : log_(log) {}
  void deliver(const Event& e) override {
    using service::Event;
    switch (e.kind) {
      case EventKind::passage:
        log_.write(Event::passage, {.what = e.what, .reason = e.reason, .seq = e.seq});
        break;
      case EventKind::alarm:
        log_.write(Event::alarm, {.what = e.what, .seq = e.seq});
        break;
      case EventKind::sync:
        if (!e.ok)
          log_.write(Event::sync_failed, {.reason = e.reason, .layer = e.layer, .step = e.step});
        break;
      case EventKind::device:
        log_.write(e.ok ? Event::device_recovered : Event::device_failed,
                   {.what = e.what, .reason = e.reason});
        break;
      case EventKind::task_failed:
        log_.write(Event::task_failed, {.what = e.what, .reason = e.reason, .step = e.step});
        break;
      default:
        break;
    }
  }

 private:
  service::EventLog& log_;
};

}  // namespace

void Outbox::publish(const Event& e) {
  for (auto& sink : sinks_) sink->deliver(e);
}

std::optional<ScreenMessage> for_kiosk_screen(const Event& e) {
  const char* name = sse_name(e.kind);
  if (!name) return std::nullopt;
  // The kiosk screen shows what happened to the person in front of it: a record row (a
  // failed guard login, an acknowledged alarm) must not replace their ADMITTED.
  if (e.kind == EventKind::passage && !e.passage) return std::nullopt;
  if (e.kind != EventKind::state) return ScreenMessage{name, dump(e.body)};
  ojson s;
  for (const char* key : {"outbreak", "quarantined_buildings", "checkpoint"})
    if (e.body.contains(key)) s[key] = e.body[key];
  return ScreenMessage{name, dump(s)};
}

std::optional<ScreenMessage> for_guard_console(const Event& e) {
  const char* name = sse_name(e.kind);
  if (!name || e.kind == EventKind::consent) return std::nullopt;
  return ScreenMessage{name, dump(e.body)};
}

std::unique_ptr<EventSink> stdout_sink(std::ostream& out) {
  return std::make_unique<StdoutSink>(out);
}
std::unique_ptr<EventSink> screen_sink(screen::ScreenServer& s) {
  return std::make_unique<ScreenSink>(s);
}
std::unique_ptr<EventSink> console_sink(guard::ConsoleServer& c) {
  return std::make_unique<ConsoleSink>(c);
}
std::unique_ptr<EventSink> metrics_sink(Metrics& m) {
  return std::make_unique<MetricsSink>(m);
}
std::unique_ptr<EventSink> journald_sink(service::EventLog& log) {
  return std::make_unique<JournaldSink>(log);
}

}  // namespace gk
