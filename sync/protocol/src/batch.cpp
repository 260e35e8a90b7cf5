#include "gk/sync/batch.hpp"

#include <nlohmann/json.hpp>

#include "gk/core/json_int.hpp"
#include "gk/core/utf8.hpp"

namespace gk::sync {
namespace {
using nlohmann::json;

// A text field of a row. Rows are hash-chained over their exact bytes, so a field that is
// not valid UTF-8 (rows written before text was validated where it enters) cannot be sent
// repaired: its bytes travel as "<key>_hex" and the key itself carries the repaired text for
// readers. JSON serialisation then never throws on a row, whatever it holds.
void put_text(json& j, const char* key, const std::optional<std::string>& v) {
  if (!v) {
    j[key] = nullptr;
    return;
  }
  if (utf8::valid(*v)) {
    j[key] = *v;
    return;
  }
  j[key] = utf8::repaired(*v);
  j[std::string(key) + "_hex"] = to_hex(as_bytes(*v));
}

std::optional<std::string> get_text(const json& j, const char* key) {
  if (auto hex = j.find(std::string(key) + "_hex"); hex != j.end()) {
    auto bytes = from_hex(hex->get<std::string>());
    if (!bytes) throw std::invalid_argument(std::string(key) + "_hex is not hex");
    return std::string(bytes->begin(), bytes->end());
  }
  const json& v = j.at(key);
  if (v.is_null()) return std::nullopt;
  return v.get<std::string>();
}

json opt_id(const std::optional<PassId>& v) {
  return v ? json(to_hex(*v)) : json(nullptr);
}

std::optional<std::string> get_opt_str(const json& j, const char* k) {
  const json& v = j.at(k);
  if (v.is_null()) return std::nullopt;
  return v.get<std::string>();
}

DocResult<std::optional<PassId>> get_opt_id(const json& j, const char* k) {
  auto s = get_opt_str(j, k);
  if (!s) return std::optional<PassId>{};
  auto id = fixed_from_hex<16>(*s);
  if (!id) return doc_error(DocCode::schema, std::string(k) + " is not a pass id");
  return std::optional<PassId>(*id);
}

template <class T, class F>
DocResult<T> enum_field(const json& j, const char* k, F parse) {
  auto v = parse(j.at(k).get<std::string>());
  if (!v) return doc_error(DocCode::schema, std::string(k) + " has an unknown value");
  return *v;
}
json entry_json(const JournalEntry& e) {
  const Passage& p = e.passage;
  json j({{"seq", e.seq},
          {"time", p.time},
          {"direction", to_string(p.direction)},
          {"credential", to_string(p.credential_kind)},
          {"pass_id", opt_id(p.pass_id)},
          {"role", p.role ? json(to_string(*p.role)) : json(nullptr)},
          {"decision", to_string(p.decision)},
          {"reason", code(p.reason)},
          {"temperature_c", p.temperature_c ? json(*p.temperature_c) : json(nullptr)},
          {"skin_c", p.skin_c ? json(*p.skin_c) : json(nullptr)},
          {"ambient_c", p.ambient_c ? json(*p.ambient_c) : json(nullptr)},
          {"consenting_resident", opt_id(p.consenting_resident)},
          {"sealed", to_hex(p.sealed)},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}});
  put_text(j, "gate", p.gate);
  put_text(j, "operator_id", p.operator_id);
  put_text(j, "holder", p.holder);
  put_text(j, "phone", p.phone);
  put_text(j, "detail", p.detail);
  return j;
}

}  // namespace

std::string encode_entry(const JournalEntry& e) {
  return entry_json(e).dump();
}

std::string encode_batch(const JournalBatch& b) {
  json entries = json::array();
  for (const auto& e : b.entries) entries.push_back(entry_json(e));
  return json{
      {"kind", "gk-journal-batch"}, {"version", 1}, {"device", b.device_id}, {"entries", entries}}
      .dump(-1, ' ', false, json::error_handler_t::strict);
}

DocResult<JournalBatch> parse_batch(std::string_view text) {
  if (text.size() > kMaxBatchBytes) return doc_error(DocCode::too_large, "batch larger than 4 MiB");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return doc_error(DocCode::syntax, "batch is not a JSON object");
  try {
    if (j.at("kind") != "gk-journal-batch")
      return doc_error(DocCode::schema, "not a journal batch");
    if (j.at("version") != 1) return doc_error(DocCode::unsupported_version, "batch version");
    JournalBatch b;
    b.device_id = j.at("device").get<std::string>();
    if (b.device_id.empty() || b.device_id.size() > 64)
      return doc_error(DocCode::schema, "device id");
    const json& entries = j.at("entries");
    if (!entries.is_array() || entries.empty() || entries.size() > kMaxBatchEntries)
      return doc_error(DocCode::schema, "entries must be 1..1000 passages");
    for (const json& x : entries) {
      JournalEntry e;
      e.seq = strict_integer(x.at("seq"));
      Passage& p = e.passage;
      p.time = strict_integer(x.at("time"));
      p.gate = get_text(x, "gate").value_or("");
      auto dir = enum_field<Direction>(x, "direction", direction_from_string);
      auto kind = enum_field<CredentialKind>(x, "credential", credential_kind_from_string);
      auto dec = enum_field<Decision>(x, "decision", decision_from_string);
      auto reason = enum_field<Reason>(x, "reason", reason_from_code);
      auto pass_id = get_opt_id(x, "pass_id");
      auto consent = get_opt_id(x, "consenting_resident");
      for (const DocError* f :
           {dir.ok() ? nullptr : &dir.error(), kind.ok() ? nullptr : &kind.error(),
            dec.ok() ? nullptr : &dec.error(), reason.ok() ? nullptr : &reason.error(),
            pass_id.ok() ? nullptr : &pass_id.error(), consent.ok() ? nullptr : &consent.error()})
        if (f) return *f;
      p.direction = *dir;
      p.credential_kind = *kind;
      p.decision = *dec;
      p.reason = *reason;
      p.pass_id = *pass_id;
      p.consenting_resident = *consent;
      if (auto r = get_opt_str(x, "role")) {
        p.role = role_from_string(*r);
        if (!p.role) return doc_error(DocCode::schema, "role has an unknown value");
      }
      if (!x.at("temperature_c").is_null()) p.temperature_c = x.at("temperature_c").get<double>();
      // Optional: batches from kiosks before the readings were journaled do not carry them.
      for (auto [key, field] : {std::pair{"skin_c", &p.skin_c}, {"ambient_c", &p.ambient_c}})
        if (x.contains(key) && !x.at(key).is_null()) *field = x.at(key).get<double>();
      p.operator_id = get_text(x, "operator_id");
      p.holder = get_text(x, "holder");
      p.phone = get_text(x, "phone");
      p.detail = get_text(x, "detail").value_or("");
      auto sealed = from_hex(x.at("sealed").get<std::string>());
      if (!sealed) return doc_error(DocCode::schema, "sealed is not hex");
      p.sealed = *sealed;
      e.prev_hash = x.at("prev_hash").get<std::string>();
      e.hash = x.at("hash").get<std::string>();
      if (!b.entries.empty()) {
        if (e.seq != b.entries.back().seq + 1)
          return doc_error(DocCode::schema, "seqs not contiguous");
        if (e.prev_hash != b.entries.back().hash)
          return doc_error(DocCode::schema, "chain link broken");
      }
      if (chain_hash(e.seq, row_fields(p), e.prev_hash) != e.hash)
        return doc_error(DocCode::bad_signature,
                         "passage " + std::to_string(e.seq) + " does not match its hash");
      b.entries.push_back(std::move(e));
    }
    return b;
  } catch (const json::exception& e) {
    return doc_error(DocCode::schema, std::string("batch: ") + e.what());
  } catch (const std::invalid_argument& e) {
    return doc_error(DocCode::schema, std::string("batch: ") + e.what());
  }
}

}  // namespace gk::sync
