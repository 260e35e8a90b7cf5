// The upstream's HTTP API with arbitrary requests. Half the inputs are signed by a
// registered device (so the fuzzer reaches every route with arbitrary targets and bodies),
// half go in as they are (authentication itself). Nothing may crash; every refusal is an
// HTTP status with a reason.
#include <cstdint>
#include <string>

#include "gk/upstream/service.hpp"

namespace {
struct Fixture {
  std::unique_ptr<gk::upstream::UpstreamStore> owned =
      std::move(gk::upstream::open_sqlite_store(":memory:").value());
  gk::upstream::UpstreamStore& store = *owned;
  gk::IssuerKeyPair device = gk::generate_issuer_key();
  gk::upstream::UpstreamService service{store, gk::generate_issuer_key(),
                                        [] { return gk::UnixTime{1'700'000'000}; }};
  Fixture() {
    (void)store.register_device({"kiosk-01", device.info.key, "site-1", "north"});
    gk::sync::SiteStateDoc s;
    s.site = "site-1";
    (void)store.set_site_state(s, 1'700'000'000);
    (void)store.revoke({gk::PassId{1}}, {}, 1'700'000'000, "");
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  if (size < 2) return 0;
  const bool sign = data[0] & 1;
  const char* methods[] = {"GET", "POST", "PUT", "HEAD"};
  std::string rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto cut = rest.find('\n');
  gk::upstream::Request r;
  r.method = methods[data[1] % 4];
  r.target = rest.substr(0, cut);
  r.body = cut == std::string::npos ? "" : rest.substr(cut + 1);
  if (sign) {
    auto a =
        gk::sync::sign_request(r.method, r.target, r.body, "kiosk-01", f.device, 1'700'000'000);
    r.headers = {{"x-gk-device", a.device_id},
                 {"x-gk-time", std::to_string(a.time)},
                 {"x-gk-nonce", a.nonce},
                 {"x-gk-signature", a.signature}};
  } else {
    r.headers = {{"x-gk-device", "kiosk-01"},
                 {"x-gk-time", r.body.substr(0, 12)},
                 {"x-gk-nonce", r.target},
                 {"x-gk-signature", r.body}};
  }
  auto res = f.service.handle(r);
  if (res.status < 200 || res.status > 599) __builtin_trap();
  return 0;
}
