// The guard console's HTTP handlers with arbitrary requests: logged in (a valid session
// cookie and CSRF token are added to half the inputs) and not, with the console's Host or
// a fuzzed one. Nothing may crash; every answer is an HTTP status.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "gk/guard/console_api.hpp"

namespace {
struct Backend : gk::guard::ConsoleBackend {
  std::function<gk::guard::LoginCheck()> prepare_login(std::string_view p,
                                                       std::string_view pin) override {
    const bool good_pass = p == "GK1:GOOD", good_pin = pin == "1234";
    return [good_pass, good_pin]() -> gk::guard::LoginCheck {
      if (good_pass && good_pin) return {gk::guard::Guard{"staff-1", "保*"}, {}, {}};
      return {std::nullopt, good_pass ? "staff-1" : "", "malformed"};
    };
  }
  void login_failed(std::string_view, std::string_view) override {}
  gk::guard::ActionResult ok() { return {true, "ok", "", "", 1, {}}; }
  gk::guard::ActionResult visitor_with_consent(const gk::guard::Guard&, const std::string&,
                                               const std::string&,
                                               const gk::guard::FreeText&) override {
    return ok();
  }
  gk::guard::ActionResult register_without_id(const gk::guard::Guard&, const std::string&,
                                              const std::string&,
                                              const gk::guard::FreeText&) override {
    return ok();
  }
  gk::guard::ActionResult register_delivery(const gk::guard::Guard&, const std::string&,
                                            const std::string&,
                                            const gk::guard::FreeText&) override {
    return ok();
  }
  gk::guard::ActionResult manual_release(const gk::guard::Guard&, const std::string&) override {
    return ok();
  }
  gk::guard::ActionResult set_outbreak(const gk::guard::Guard&, const std::string&,
                                       const std::vector<std::string>&,
                                       const std::string&) override {
    return ok();
  }
  gk::guard::ActionResult acknowledge_alarm(const gk::guard::Guard&, std::int64_t) override {
    return ok();
  }
  gk::guard::ActionResult clinical_remeasure(const gk::guard::Guard&, std::int64_t,
                                             double) override {
    return ok();
  }
  std::string state_json() override { return "{}"; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Backend backend;
  static gk::guard::ConsoleApi api(backend, {}, false);
  static std::string cookie, csrf;
  if (cookie.empty()) {
    api.serve_as(80, {"h"});  // the Host check on: "h" (port 80 implied) is the console
    auto r = gk::net::settle(api.handle(
        {"POST", "/api/login", {{"host", "h"}}, R"({"pass":"GK1:GOOD","pin":"1234"})", "p"}));
    for (auto& [k, v] : r.headers)
      if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
    csrf = nlohmann::json::parse(r.body)["csrf"];
  }
  if (size < 2) return 0;
  const char* methods[] = {"GET", "POST", "HEAD", "DELETE"};
  std::string rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto cut = rest.find('\n');
  gk::guard::ApiRequest r;
  r.method = methods[data[1] % 4];
  r.target = rest.substr(0, cut);
  r.body = cut == std::string::npos ? "" : rest.substr(cut + 1);
  r.peer = "fuzz";
  r.headers["host"] = data[0] & 4 ? r.body.substr(0, 64) : "h";  // garbage Host headers too
  if (data[0] & 1) {
    r.headers["cookie"] = cookie;
    r.headers["x-csrf-token"] = csrf;
  } else if (data[0] & 2) {
    r.headers["cookie"] = r.body.substr(0, 80);
  }
  auto res = gk::net::settle(api.handle(r));
  if (res.status < 200 || res.status > 599) __builtin_trap();
  return 0;
}
