#include "gk/provision/bundle.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "gk/core/names.hpp"
#include "gk/sync/documents.hpp"
#include "gk/sync/json_field.hpp"

namespace gk::provision {
namespace {

using nlohmann::json;

DocError malformed(std::string what) {
  return doc_error(DocCode::schema, "provisioning bundle: " + std::move(what));
}

DocResult<IssuerKeyInfo> key_at(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return malformed(std::string("no ") + key);
  auto info = parse_public_key_json(it->dump());
  if (!info) return malformed(std::string(key) + ": " + info.error().detail);
  return std::move(*info);
}

bool plausible_pin(const std::string& pin) {
  if (!pin.starts_with("sha256:") || pin.size() != 7 + 64) return false;
  return pin.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
}

}  // namespace

std::string payload_of(const Manifest& m) {
  json issuers = json::array();
  for (const auto& k : m.issuers) issuers.push_back(json::parse(public_key_json(k)));
  return json{{"device_id", m.device_id},
              {"device_key", json::parse(public_key_json(m.device_key))},
              {"site", m.site},
              {"checkpoint", m.checkpoint},
              {"board", m.board},
              {"upstream_url", m.upstream_url},
              {"upstream_pin", m.upstream_pin},
              {"authority", json::parse(public_key_json(m.authority))},
              {"issuers", issuers},
              {"issued_at", m.issued_at}}
      .dump();
}

DocResult<Manifest> parse_manifest(std::string_view payload) {
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return malformed("manifest is not a JSON object");
  Manifest m;
  if (!sync::get_field(j, "device_id", m.device_id) || !sync::get_field(j, "site", m.site) ||
      !sync::get_field(j, "checkpoint", m.checkpoint) || !sync::get_field(j, "board", m.board) ||
      !sync::get_field(j, "upstream_url", m.upstream_url) ||
      !sync::get_field(j, "upstream_pin", m.upstream_pin) ||
      !sync::get_field(j, "issued_at", m.issued_at))
    return malformed(
        "manifest lacks device_id, site, checkpoint, board, upstream_url, upstream_pin or "
        "issued_at");
  if (m.checkpoint.empty()) return malformed("manifest has an empty checkpoint");
  // The rules the upstream registers the device by and gated's config reads it by: a bundle
  // that opens is one the rest of the system takes whole.
  for (auto [key, value] :
       {std::pair{"device_id", &m.device_id}, {"site", &m.site}, {"board", &m.board}})
    if (std::string why = names::id_problem(*value); !why.empty())
      return malformed(std::string(key) + ": " + why);
  if (std::string why = names::name_problem(m.checkpoint); !why.empty())
    return malformed("checkpoint: " + why);
  if (!m.upstream_url.empty() && !m.upstream_url.starts_with("https://"))
    return malformed("upstream_url must start with https://");
  if (!m.upstream_url.empty() && !plausible_pin(m.upstream_pin))
    return malformed("upstream_pin must be sha256:<64 lowercase hex digits>");
  auto device = key_at(j, "device_key");
  if (!device) return device.error();
  m.device_key = *device;
  auto authority = key_at(j, "authority");
  if (!authority) return authority.error();
  m.authority = *authority;
  auto issuers = j.find("issuers");
  if (issuers == j.end() || !issuers->is_array() || issuers->empty())
    return malformed("manifest names no pass issuers");
  for (const auto& k : *issuers) {
    auto info = parse_public_key_json(k.dump());
    if (!info) return malformed("issuer: " + info.error().detail);
    m.issuers.push_back(std::move(*info));
  }
  return m;
}

std::string write_bundle(const Manifest& manifest, const IssuerKeyPair& device,
                         const IssuerKeyPair& root) {
  std::string secret = secret_key_json(device);
  json bundle{
      {"format", kBundleFormat},
      {"manifest", json::parse(sync::sign_document(kManifestKind, payload_of(manifest), root))},
      {"device_key", json::parse(secret)}};
  sodium_memzero(secret.data(), secret.size());
  return bundle.dump(2) + "\n";
}

DocResult<Bundle> open_bundle(std::string_view text, const TrustStore& roots) {
  if (text.size() > kMaxBundleBytes)
    return doc_error(DocCode::too_large, "provisioning bundle: larger than 1 MiB");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return malformed("not a JSON object");
  std::string format;
  if (!sync::get_field(j, "format", format) || format != kBundleFormat)
    return malformed("format is not " + std::string(kBundleFormat));
  auto manifest_it = j.find("manifest");
  auto key_it = j.find("device_key");
  if (manifest_it == j.end() || !manifest_it->is_object() || key_it == j.end() ||
      !key_it->is_object())
    return malformed("needs a manifest and a device_key");
  auto payload = sync::open_document(manifest_it->dump(), kManifestKind, roots);
  if (!payload)
    return doc_error(payload.error().code,
                     "provisioning bundle: manifest: " + payload.error().detail);
  auto manifest = parse_manifest(*payload);
  if (!manifest) return manifest.error();
  std::string secret = key_it->dump();
  auto device = parse_secret_key_json(secret);
  sodium_memzero(secret.data(), secret.size());
  if (!device) return malformed("device_key: " + device.error().detail);
  if (device->info.key != manifest->device_key.key)
    return malformed("device_key is not the key the manifest names");
  return Bundle{std::move(*manifest), std::move(*device)};
}

}  // namespace gk::provision
