// Pass verification (parse text + base45 + strict decode + Ed25519) vs raw libsodium
// verification of a message of the same size, in the same run.
#include <qrencode.h>
#include <sodium.h>

#include <cstdio>
#include <string_view>

#include "bench_util.hpp"
#include "gk/pass/codec.hpp"

using namespace gk;

int main() {
  if (sodium_init() < 0) return 1;
  auto key = generate_issuer_key();
  Pass p;  // a typical resident pass
  random_fill(p.id);
  p.role = Role::resident;
  p.site = "sz-futian-lianhua-01";
  p.building = "12";
  p.unit = "3-402";
  p.holder_name = "张伟";
  p.id_last4 = "123X";
  p.valid_from = 1'600'000'000;
  p.valid_until = p.valid_from + 7 * 86400;
  const std::string text = issue_pass_text(p, key);
  const auto parsed = parse_pass_text(text);
  if (!parsed || !signature_valid(*parsed, key.info.key)) {
    std::fprintf(stderr, "bench_pass: the issued pass does not verify\n");
    return 1;
  }

  // Baseline message: what signature_valid hands to libsodium, domain tag + body, so the
  // raw verification hashes exactly as many bytes as ours.
  constexpr std::string_view kDomain = "GK-PASS-v1";
  Bytes msg(kDomain.begin(), kDomain.end());
  msg.insert(msg.end(), parsed->body.begin(), parsed->body.end());
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), key.secret.bytes().data());
  if (crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), key.info.key.data()) != 0)
    return 1;

  volatile int sink = 0;
  const double raw = bench::rate(
      [&] {
        sink = sink +
               crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), key.info.key.data());
      },
      1.5);
  const double ours = bench::rate(
      [&] {
        auto r = parse_pass_text(text);
        sink = sink + (r && signature_valid(*r, key.info.key));
      },
      1.5);

  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  std::printf("pass verification (typical resident pass)\n");
  std::printf(
      "  pass text: %zu chars (binary %zu bytes signed + 64 signature), QR version %d at"
      " level M\n",
      text.size(), parsed->body.size(), qr ? qr->version : -1);
  QRcode_free(qr);
  std::printf("  %-46s %12s\n", "", "ops/s");
  std::printf("  %-46s %12.0f\n", "raw libsodium crypto_sign_verify_detached", raw);
  std::printf("  %-46s %12.0f\n", "ours: parse_pass_text + signature_valid", ours);
  std::printf("  ratio ours / raw: %.3f\n", ours / raw);
  return 0;
}
