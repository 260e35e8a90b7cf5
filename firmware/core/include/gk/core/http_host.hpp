#pragma once
// Host-header check shared by the kiosk's HTTP servers (guard console, kiosk screen).
//
// Why: a DNS-rebinding page (evil.example resolving first to its own server, then to the
// kiosk's address) runs in the browser with the same origin as our page and so passes every
// Origin check; but its requests still carry "Host: evil.example". A server that answers only
// to the names it is reached by closes that door (answer 421 Misdirected Request otherwise).

#include <string>
#include <string_view>
#include <vector>

namespace gk {

// True when `host_header` (as sent: "name", "name:port", "[v6]", "[v6]:port"; any case) names
// this server: an IPv4/IPv6 literal, "localhost", or one of `names` (any case), with `port`
// or, without a port, the scheme's default port (80, or 443 when `tls`) equal to `port`.
// An empty or malformed header is not ours.
bool host_names_us(std::string_view host_header, unsigned port, bool tls,
                   const std::vector<std::string>& names);

}  // namespace gk
