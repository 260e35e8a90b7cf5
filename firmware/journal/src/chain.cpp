#include <sodium.h>

#include <array>
#include <charconv>
#include <cstdio>

#include "gk/journal/journal.hpp"

namespace gk {
namespace {
// Unit separator between fields and a marker for NULL, so that ("a","") and ("","a"), or
// an empty string and NULL, never hash alike.
constexpr char kSep = '\x1f';
constexpr char kNull = '\x18';

}  // namespace

std::string temperature_text(double t) {
  // %.17g round-trips a double exactly, so any edit of the stored REAL is seen.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", t);
  return buf;
}

namespace {
// Each of a row's fields in the chain's order, as text (nullopt for NULL), to `emit`.
template <class Emit>
void each_field(const Passage& p, Emit&& emit) {
  using Field = std::optional<std::string_view>;
  auto text = [&](const std::optional<std::string>& v) { emit(v ? Field(*v) : std::nullopt); };
  auto id = [&](const std::optional<PassId>& v) {
    if (!v) return emit(std::nullopt);
    emit(Field(to_hex(*v)));
  };
  auto temperature = [&](const std::optional<double>& v) {
    if (!v) return emit(std::nullopt);
    emit(Field(temperature_text(*v)));
  };
  char time[24];
  emit(Field(std::string_view(time, std::to_chars(time, time + sizeof time, p.time).ptr)));
  emit(Field(p.gate));
  emit(Field(to_string(p.direction)));
  emit(Field(to_string(p.credential_kind)));
  id(p.pass_id);
  emit(p.role ? Field(to_string(*p.role)) : std::nullopt);
  emit(Field(to_string(p.decision)));
  emit(Field(code(p.reason)));
  temperature(p.temperature_c);
  text(p.operator_id);
  id(p.consenting_resident);
  text(p.holder);
  text(p.phone);
  emit(Field(p.detail));
  if (p.sealed.empty())
    emit(std::nullopt);
  else
    emit(Field(to_hex(p.sealed)));
  // Schema 2's readings join the hash only when there are any, so that rows written before
  // them (and rows without a measurement) hash exactly as they always did.
  if (p.skin_c || p.ambient_c) {
    temperature(p.skin_c);
    temperature(p.ambient_c);
  }
}

// The text a row's hash is taken over: a tag, prev_hash, seq, then every field, each after a
// separator.
class ChainText {
 public:
  ChainText(std::int64_t seq, const std::string& prev_hash) {
    text_.reserve(512);
    text_ = "GK-JOURNAL-v1";
    text_ += kSep;
    text_ += prev_hash;
    text_ += kSep;
    char buf[24];
    text_.append(buf, std::to_chars(buf, buf + sizeof buf, seq).ptr);
  }
  void operator()(std::optional<std::string_view> field) {
    text_ += kSep;
    if (field)
      text_ += *field;
    else
      text_ += kNull;
  }
  std::string hash() const {
    std::array<std::uint8_t, 32> h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const std::uint8_t*>(text_.data()),
                       text_.size(), nullptr, 0);
    return to_hex(h);
  }

 private:
  std::string text_;
};
}  // namespace

RowFields row_fields(const Passage& p) {
  RowFields f;
  f.reserve(17);
  each_field(p, [&](std::optional<std::string_view> v) {
    f.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
  });
  return f;
}

std::string chain_hash(std::int64_t seq, const RowFields& fields, const std::string& prev_hash) {
  ChainText text(seq, prev_hash);
  for (const auto& f : fields) text(f ? std::optional<std::string_view>(*f) : std::nullopt);
  return text.hash();
}

std::string chain_hash(std::int64_t seq, const Passage& p, const std::string& prev_hash) {
  // The same text as through row_fields(), without a string for every field.
  ChainText text(seq, prev_hash);
  each_field(p, text);
  return text.hash();
}

}  // namespace gk
