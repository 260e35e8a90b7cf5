#include "gk/net/message.hpp"

#include <cstdint>

namespace gk::net {

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find_first_of("?#"));
}

std::string Request::header(std::string_view lower_case_name) const {
  auto it = headers.find(std::string(lower_case_name));
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::query(std::string_view name) const {
  std::string_view t = target;
  const auto q = t.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  t = t.substr(q + 1);
  t = t.substr(0, t.find('#'));
  while (!t.empty()) {
    const auto amp = t.find('&');
    const std::string_view pair = t.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return std::string(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    t.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

Response text(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

std::string lower_case(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_kiosk_local(std::string_view address) {
  return address == "127.0.0.1" || address == "::1" || address == "::ffff:127.0.0.1";
}

bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(a[i]) ^
                                      static_cast<std::uint8_t>(b[i]));
  return diff == 0;
}

Response settle(Response res) {
  while (res.off_loop) {
    const OffLoopWork work = std::move(res.off_loop);
    res = work()();
  }
  return res;
}

}  // namespace gk::net
