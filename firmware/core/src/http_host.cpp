#include "gk/core/http_host.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace gk {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

bool host_names_us(std::string_view host_header, unsigned port, bool tls,
                   const std::vector<std::string>& names) {
  const std::string host = lower(host_header);
  std::string name, host_port;
  if (host.starts_with('[')) {  // [IPv6]:port
    const auto close = host.find(']');
    if (close == std::string::npos) return false;
    name = host.substr(1, close - 1);
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return false;
      host_port = host.substr(close + 2);
    }
  } else {
    const auto colon = host.find(':');
    name = host.substr(0, colon);
    if (colon != std::string::npos) host_port = host.substr(colon + 1);
  }
  if (name.empty()) return false;
  if (host_port.empty() ? port != (tls ? 443u : 80u) : host_port != std::to_string(port))
    return false;
  unsigned char addr[16];
  if (inet_pton(AF_INET, name.c_str(), addr) == 1 || inet_pton(AF_INET6, name.c_str(), addr) == 1)
    return true;
  return name == "localhost" || std::any_of(names.begin(), names.end(),
                                            [&](const std::string& n) { return lower(n) == name; });
}

}  // namespace gk
