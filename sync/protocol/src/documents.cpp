#include "gk/sync/documents.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "gk/sync/json_field.hpp"

namespace gk::sync {
namespace {

using nlohmann::json;

std::string signed_message(std::string_view kind, std::string_view payload) {
  std::string m = "GK-DOC-v1\n";
  m.append(kind).append("\n").append(payload);
  return m;
}

// Parses JSON without exceptions escaping: nullopt on any syntax error.
std::optional<json> parse_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// Strict field access: the type must match, or the document is malformed.

DocError malformed(std::string what) {
  return doc_error(DocCode::schema, std::move(what));
}

bool get_header(const json& j, std::uint64_t& number, UnixTime& issued_at) {
  return get_field(j, "number", number) && get_field(j, "issued_at", issued_at) && number > 0;
}

}  // namespace

std::string sign_document(std::string_view kind, std::string_view payload,
                          const IssuerKeyPair& authority) {
  const std::string msg = signed_message(kind, payload);
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const std::uint8_t*>(msg.data()),
                       msg.size(), authority.secret.bytes().data());
  json j{{"kind", kind},
         {"payload", payload},
         {"signer", to_hex(authority.info.id)},
         {"signature", to_hex(sig)}};
  return j.dump();
}

DocResult<std::string> open_document(std::string_view envelope, std::string_view kind,
                                     const TrustStore& authority) {
  if (envelope.size() > kMaxDocumentBytes)
    return doc_error(DocCode::too_large, "document larger than 16 MiB");
  auto j = parse_json(envelope);
  if (!j) return doc_error(DocCode::syntax, "document is not a JSON object");
  std::string got_kind, payload, signer_hex, sig_hex;
  if (!get_field(*j, "kind", got_kind) || !get_field(*j, "payload", payload) ||
      !get_field(*j, "signer", signer_hex) || !get_field(*j, "signature", sig_hex))
    return malformed("document envelope lacks kind, payload, signer or signature");
  if (got_kind != kind) return malformed("expected a " + std::string(kind) + ", got " + got_kind);
  auto signer = fixed_from_hex<8>(signer_hex);
  auto sig = fixed_from_hex<64>(sig_hex);
  if (!signer || !sig) return malformed("signer or signature is not hex of the right size");
  const IssuerKeyInfo* key = authority.find(*signer);
  if (!key) return doc_error(DocCode::unknown_signer, "document signed by an unknown key");
  const std::string msg = signed_message(kind, payload);
  if (crypto_sign_verify_detached(sig->data(), reinterpret_cast<const std::uint8_t*>(msg.data()),
                                  msg.size(), key->key.data()) != 0)
    return doc_error(DocCode::bad_signature, "document signature does not verify");
  return payload;
}

std::string payload_of(const TrustListDoc& d) {
  json keys = json::array();
  for (const auto& k : d.keys) keys.push_back(json::parse(public_key_json(k)));
  return json{{"number", d.number}, {"issued_at", d.issued_at}, {"keys", keys}}.dump();
}

std::string payload_of(const SiteStateDoc& d) {
  json j{{"number", d.number},
         {"issued_at", d.issued_at},
         {"site", d.site},
         {"outbreak", to_string(d.outbreak)},
         {"quarantined_buildings", d.quarantined_buildings}};
  if (d.fever_threshold_c) j["fever_threshold_c"] = *d.fever_threshold_c;
  return j.dump();
}

std::string payload_of(const EnrolmentDoc& d) {
  return json{
      {"number", d.number}, {"issued_at", d.issued_at}, {"site", d.site}, {"passes", d.passes}}
      .dump();
}

std::string payload_of(const TimeDoc& d) {
  json j{{"time", d.time}, {"nonce", d.nonce}};
  if (d.heads)
    j["heads"] = {{"revocations", d.heads->revocations},
                  {"site_state", d.heads->site_state},
                  {"trust_list", d.heads->trust_list},
                  {"enrolment", d.heads->enrolment},
                  {"acked", d.heads->acked}};
  return j.dump();
}

DocResult<TrustListDoc> parse_trust_list(std::string_view payload) {
  auto j = parse_json(payload);
  TrustListDoc d;
  if (!j || !get_header(*j, d.number, d.issued_at)) return malformed("trust list header");
  auto keys = j->find("keys");
  if (keys == j->end() || !keys->is_array() || keys->empty())
    return malformed("trust list without keys");
  for (const auto& k : *keys) {
    auto info = parse_public_key_json(k.dump());
    if (!info) return malformed("trust list key: " + info.error().detail);
    d.keys.push_back(std::move(*info));
  }
  return d;
}

DocResult<SiteStateDoc> parse_site_state(std::string_view payload) {
  auto j = parse_json(payload);
  SiteStateDoc d;
  std::string outbreak;
  std::vector<std::string> buildings;
  if (!j || !get_header(*j, d.number, d.issued_at) || !get_field(*j, "site", d.site) ||
      !get_field(*j, "outbreak", outbreak) || !get_field(*j, "quarantined_buildings", buildings))
    return malformed("site state lacks number, issued_at, site, outbreak or buildings");
  auto o = outbreak_from_string(outbreak);
  if (!o) return malformed("site state: unknown outbreak state " + outbreak);
  d.outbreak = *o;
  d.quarantined_buildings = {buildings.begin(), buildings.end()};
  if (j->contains("fever_threshold_c")) {
    double t = 0;
    if (!get_field(*j, "fever_threshold_c", t) || t < 35.0 || t > 40.0)
      return malformed("site state: fever threshold outside 35..40 °C");
    d.fever_threshold_c = t;
  }
  return d;
}

DocResult<EnrolmentDoc> parse_enrolment(std::string_view payload) {
  auto j = parse_json(payload);
  EnrolmentDoc d;
  if (!j || !get_header(*j, d.number, d.issued_at) || !get_field(*j, "site", d.site) ||
      !get_field(*j, "passes", d.passes))
    return malformed("enrolment lacks number, issued_at, site or passes");
  return d;
}

DocResult<TimeDoc> parse_time(std::string_view payload) {
  auto j = parse_json(payload);
  TimeDoc d;
  if (!j || !get_field(*j, "time", d.time) || !get_field(*j, "nonce", d.nonce) || d.time <= 0)
    return malformed("time document lacks time or nonce");
  if (auto h = j->find("heads"); h != j->end()) {
    RoundHeads r;
    if (!h->is_object() || !get_field(*h, "revocations", r.revocations) ||
        !get_field(*h, "site_state", r.site_state) || !get_field(*h, "trust_list", r.trust_list) ||
        !get_field(*h, "enrolment", r.enrolment) || !get_field(*h, "acked", r.acked) || r.acked < 0)
      return malformed("time document: heads lack a list number or the journal mark");
    d.heads = r;
  }
  return d;
}

DocResult<TimeDoc> open_time(std::string_view envelope, std::string_view nonce,
                             const TrustStore& authority) {
  auto payload = open_document(envelope, kind::time, authority);
  if (!payload) return payload.error();
  auto doc = parse_time(*payload);
  if (!doc) return doc;
  if (doc->nonce != nonce)
    return doc_error(DocCode::replayed, "answer to another request (replayed?)");
  return doc;
}

}  // namespace gk::sync
