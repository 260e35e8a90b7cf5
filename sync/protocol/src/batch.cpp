#include "gk/sync/batch.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <nlohmann/json.hpp>

#include "gk/core/json_int.hpp"
#include "gk/core/utf8.hpp"

namespace gk::sync {
namespace {
using nlohmann::json;

// Writes one entry's JSON straight into a string, byte for byte what nlohmann::json's
// dump() of the same object gives (keys in byte order, its string escapes, its number
// format): the upstream stores this text for every passage it receives, and building a JSON
// tree first cost as much as parsing the batch. test_batch holds the two forms equal.
class EntryWriter {
 public:
  explicit EntryWriter(std::string& out) : out_(out) {}

  // Keys must come in byte order, as json's std::map keeps them.
  void key(std::string_view k) {
    out_ += first_ ? '{' : ',';
    first_ = false;
    string(k);
    out_ += ':';
  }
  void string(std::string_view v) {
    out_ += '"';
    std::size_t run = 0;  // start of the bytes not yet copied
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(v, run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 0xF];
        }
      }
    }
    out_.append(v, run, v.size() - run);
    out_ += '"';
  }
  void null() { out_ += "null"; }
  void integer(std::int64_t v) {
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }
  // json's own number format ("36.0", not "36"; NaN and infinities as null).
  void number(double v) { out_ += json(v).dump(); }

  void field(std::string_view k, std::string_view v) { key(k), string(v); }
  void field(std::string_view k, const std::optional<double>& v) {
    key(k);
    v ? number(*v) : null();
  }
  void field(std::string_view k, const std::optional<PassId>& v) {
    key(k);
    v ? string(to_hex(*v)) : null();
  }
  // A text field of a row. Rows are hash-chained over their exact bytes, so a field that is
  // not valid UTF-8 (rows written before text was validated where it enters) cannot be sent
  // repaired: its bytes travel as "<key>_hex" and the key itself carries the repaired text
  // for readers.
  void text(std::string_view k, const std::string& v) {
    key(k);
    if (utf8::valid(v)) return string(v);
    string(utf8::repaired(v));
    key(std::string(k) + "_hex");
    string(to_hex(as_bytes(v)));
  }
  void text(std::string_view k, const std::optional<std::string>& v) {
    if (v) return text(k, *v);
    key(k);
    null();
  }
  void end() { out_ += first_ ? "{}" : "}"; }

 private:
  std::string& out_;
  bool first_ = true;
};

void write_entry(std::string& out, const JournalEntry& e) {
  const Passage& p = e.passage;
  EntryWriter w(out);
  w.field("ambient_c", p.ambient_c);
  w.field("consenting_resident", p.consenting_resident);
  w.field("credential", to_string(p.credential_kind));
  w.field("decision", to_string(p.decision));
  w.text("detail", p.detail);
  w.field("direction", to_string(p.direction));
  w.text("gate", p.gate);
  w.field("hash", e.hash);
  w.text("holder", p.holder);
  w.text("operator_id", p.operator_id);
  w.field("pass_id", p.pass_id);
  w.text("phone", p.phone);
  w.field("prev_hash", e.prev_hash);
  w.field("reason", code(p.reason));
  w.key("role");
  p.role ? w.string(to_string(*p.role)) : w.null();
  w.field("sealed", to_hex(p.sealed));
  w.key("seq");
  w.integer(e.seq);
  w.field("skin_c", p.skin_c);
  w.field("temperature_c", p.temperature_c);
  w.key("time");
  w.integer(p.time);
  w.end();
}

}  // namespace

std::string encode_entry(const JournalEntry& e) {
  std::string out;
  out.reserve(512);
  write_entry(out, e);
  return out;
}

std::string encode_batch(const JournalBatch& b) {
  // The envelope's keys in byte order, as json would write them.
  std::string out = R"({"device":)";
  out.reserve(64 + 512 * b.entries.size());
  out += json(b.device_id).dump(-1, ' ', false, json::error_handler_t::strict);
  out += R"(,"entries":[)";
  for (std::size_t i = 0; i < b.entries.size(); ++i) {
    if (i) out += ',';
    write_entry(out, b.entries[i]);
  }
  out += R"(],"kind":"gk-journal-batch","version":1})";
  return out;
}

namespace {

// The fields an entry carries, in byte order (the order EntryWriter writes them in).
enum class Field : std::uint8_t {
  ambient_c,
  consenting_resident,
  credential,
  decision,
  detail,
  detail_hex,
  direction,
  gate,
  gate_hex,
  hash,
  holder,
  holder_hex,
  operator_id,
  operator_id_hex,
  pass_id,
  phone,
  phone_hex,
  prev_hash,
  reason,
  role,
  sealed,
  seq,
  skin_c,
  temperature_c,
  time,
  count
};
constexpr std::array<std::string_view, static_cast<std::size_t>(Field::count)> kFieldNames = {
    "ambient_c",   "consenting_resident",
    "credential",  "decision",
    "detail",      "detail_hex",
    "direction",   "gate",
    "gate_hex",    "hash",
    "holder",      "holder_hex",
    "operator_id", "operator_id_hex",
    "pass_id",     "phone",
    "phone_hex",   "prev_hash",
    "reason",      "role",
    "sealed",      "seq",
    "skin_c",      "temperature_c",
    "time"};
static_assert(std::is_sorted(kFieldNames.begin(), kFieldNames.end()));

std::optional<Field> field_named(std::string_view key) {
  auto it = std::lower_bound(kFieldNames.begin(), kFieldNames.end(), key);
  if (it == kFieldNames.end() || *it != key) return std::nullopt;
  return static_cast<Field>(it - kFieldNames.begin());
}

// One JSON value as the reader met it: only scalars are kept; a container where a field
// wants a scalar is `other`, and so is a boolean (no field is one).
struct Value {
  enum Kind : std::uint8_t { absent, null, text, integer, number, other } kind = absent;
  std::string s;
  double d = 0;
  std::optional<std::int64_t> i;  // an integer that fits
};

// Reads a batch as nlohmann's parser walks it (SAX), filling each entry's fields directly:
// the upstream reads every passage it is sent, and building a JSON tree of the whole batch
// first cost half of the reading. Checks are those of the tree form, in its order: a text
// that is not JSON is a syntax error before anything else; then the envelope's kind,
// version, device and entries; then the first bad entry.
class BatchReader final : public nlohmann::json_sax<json> {
 public:
  DocResult<JournalBatch> result(bool parsed) {
    if (!parsed || not_object_) return doc_error(DocCode::syntax, "batch is not a JSON object");
    if (kind_.kind != Value::text || kind_.s != "gk-journal-batch")
      return doc_error(DocCode::schema, "not a journal batch");
    if (version_.kind == Value::absent) return doc_error(DocCode::schema, "batch version missing");
    if (!((version_.kind == Value::integer || version_.kind == Value::number) && version_.d == 1))
      return doc_error(DocCode::unsupported_version, "batch version");
    if (device_.kind != Value::text || device_.s.empty() || device_.s.size() > 64)
      return doc_error(DocCode::schema, "device id");
    if (entries_ != Entries::array || seen_ == 0 || seen_ > kMaxBatchEntries)
      return doc_error(DocCode::schema, "entries must be 1..1000 passages");
    if (entry_error_) return *entry_error_;
    batch_.device_id = std::move(device_.s);
    return std::move(batch_);
  }

  bool null() override {
    return scalar([](Value& v) { v.kind = Value::null; });
  }
  bool boolean(bool) override {
    return scalar([](Value& v) { v.kind = Value::other; });
  }
  bool number_integer(number_integer_t n) override {
    return scalar([n](Value& v) {
      v.kind = Value::integer;
      v.i = n;
      v.d = static_cast<double>(n);
    });
  }
  bool number_unsigned(number_unsigned_t n) override {
    return scalar([n](Value& v) {
      v.kind = Value::integer;
      v.i = std::in_range<std::int64_t>(n) ? std::optional(static_cast<std::int64_t>(n))
                                           : std::nullopt;
      v.d = static_cast<double>(n);
    });
  }
  bool number_float(number_float_t n, const string_t&) override {
    return scalar([n](Value& v) {
      v.kind = Value::number;
      v.d = n;
    });
  }
  bool string(string_t& text) override {
    return scalar([&text](Value& v) {
      v.kind = Value::text;
      v.s.swap(text);  // the lexer clears its buffer for the next token
    });
  }
  bool binary(binary_t&) override {
    return scalar([](Value& v) { v.kind = Value::other; });
  }

  bool start_object(std::size_t) override {
    if (skip_) return ++skip_, true;
    switch (depth_) {
      case Depth::outside:
        depth_ = Depth::envelope;
        return true;
      case Depth::entries:
        if (++seen_ > kMaxBatchEntries || entry_error_) return skip();
        values_.fill({});
        depth_ = Depth::entry;
        return true;
      default:
        return container_value();
    }
  }
  bool start_array(std::size_t) override {
    if (skip_) return ++skip_, true;
    if (depth_ == Depth::outside) return not_object();
    if (depth_ == Depth::envelope && top_ == Top::entries) {
      if (entries_ != Entries::absent) return twice();
      entries_ = Entries::array;
      depth_ = Depth::entries;
      return true;
    }
    if (depth_ == Depth::entries) return ++seen_, not_an_entry(), skip();
    return container_value();
  }
  bool end_object() override {
    if (skip_) return --skip_, true;
    if (depth_ == Depth::entry) {
      finish_entry();
      depth_ = Depth::entries;
    } else {
      depth_ = Depth::outside;
    }
    return true;
  }
  bool end_array() override {
    if (skip_) return --skip_, true;
    depth_ = Depth::envelope;
    return true;
  }
  bool key(string_t& k) override {
    if (skip_) return true;
    if (depth_ == Depth::envelope) {
      top_ = k == "kind"      ? Top::kind
             : k == "version" ? Top::version
             : k == "device"  ? Top::device
             : k == "entries" ? Top::entries
                              : Top::other;
    } else {
      field_ = field_named(k);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  enum class Depth : std::uint8_t { outside, envelope, entries, entry };
  enum class Top : std::uint8_t { kind, version, device, entries, other };
  enum class Entries : std::uint8_t { absent, array, other };

  template <class Set>
  bool scalar(Set set) {
    if (skip_) return true;
    switch (depth_) {
      case Depth::outside:
        return not_object();
      case Depth::envelope:
        switch (top_) {
          case Top::kind:
            set(kind_);
            break;
          case Top::version:
            set(version_);
            break;
          case Top::device:
            set(device_);
            break;
          case Top::entries:
            if (entries_ != Entries::absent) return twice();
            entries_ = Entries::other;
            break;
          case Top::other:
            break;
        }
        return true;
      case Depth::entries:
        return ++seen_, not_an_entry(), true;
      case Depth::entry:
        if (field_) set(values_[static_cast<std::size_t>(*field_)]);
        return true;
    }
    return true;
  }
  // An object or array where a scalar or nothing is wanted: skipped whole.
  bool container_value() {
    if (depth_ == Depth::envelope && top_ == Top::entries) {
      if (entries_ != Entries::absent) return twice();
      entries_ = Entries::other;
    }
    if (depth_ == Depth::entry && field_)
      values_[static_cast<std::size_t>(*field_)].kind = Value::other;
    return skip();
  }
  bool skip() {
    skip_ = 1;
    return true;
  }
  bool not_object() {
    not_object_ = true;
    return false;
  }
  // A second "entries" would be read after the first: refused rather than guessed at.
  bool twice() {
    entries_ = Entries::other;
    return skip();
  }
  void not_an_entry() {
    if (!entry_error_ && seen_ <= kMaxBatchEntries)
      entry_error_ =
          doc_error(DocCode::schema, "entry " + std::to_string(seen_) + " is not an object");
  }

  Value& at(Field f) { return values_[static_cast<std::size_t>(f)]; }
  void finish_entry() {
    if (auto refused = add_entry(); !refused.ok()) entry_error_ = refused.error();
  }
  DocStatus add_entry() {
    auto e = read_entry();
    if (!e) return e.error();
    if (!batch_.entries.empty()) {
      if (e->seq != batch_.entries.back().seq + 1)
        return doc_error(DocCode::schema, "seqs not contiguous");
      if (e->prev_hash != batch_.entries.back().hash)
        return doc_error(DocCode::schema, "chain link broken");
    }
    if (chain_hash(e->seq, e->passage, e->prev_hash) != e->hash)
      return doc_error(DocCode::bad_signature,
                       "passage " + std::to_string(e->seq) + " does not match its hash");
    batch_.entries.push_back(std::move(*e));
    return Done{};
  }

  DocResult<JournalEntry> read_entry() {
    const std::string where = "entry " + std::to_string(seen_) + ": ";
    auto bad = [&](Field f, const char* what) {
      return doc_error(DocCode::schema,
                       where + std::string(kFieldNames[static_cast<std::size_t>(f)]) + what);
    };
    auto text = [&](Field f) -> DocResult<std::string> {
      Value& v = at(f);
      if (v.kind != Value::text)
        return bad(f, v.kind == Value::absent ? " is missing" : " is not a string");
      return std::move(v.s);
    };
    auto integer = [&](Field f) -> DocResult<std::int64_t> {
      const Value& v = at(f);
      if (v.kind != Value::integer || !v.i) return bad(f, " is not an integer in range");
      return *v.i;
    };
    // A text field: its exact bytes as "<key>_hex" when the row held invalid UTF-8.
    auto row_text = [&](Field f, Field hex) -> DocResult<std::optional<std::string>> {
      if (at(hex).kind != Value::absent) {
        auto h = text(hex);
        if (!h) return h.error();
        auto bytes = from_hex(*h);
        if (!bytes) return bad(hex, " is not hex");
        return std::optional<std::string>(std::string(bytes->begin(), bytes->end()));
      }
      if (at(f).kind == Value::null) return std::optional<std::string>();
      auto t = text(f);
      if (!t) return t.error();
      return std::optional<std::string>(std::move(*t));
    };
    auto nullable = [&](Field f) -> DocResult<std::optional<std::string>> {
      if (at(f).kind == Value::null) return std::optional<std::string>();
      auto t = text(f);
      if (!t) return t.error();
      return std::optional<std::string>(std::move(*t));
    };
    auto pass_id = [&](Field f) -> DocResult<std::optional<PassId>> {
      auto t = nullable(f);
      if (!t) return t.error();
      if (!*t) return std::optional<PassId>();
      auto id = fixed_from_hex<16>(**t);
      if (!id) return bad(f, " is not a pass id");
      return std::optional<PassId>(*id);
    };
    auto enumerated = [&]<class T>(Field f,
                                   std::optional<T> (*parse)(std::string_view)) -> DocResult<T> {
      auto t = text(f);
      if (!t) return t.error();
      auto v = parse(*t);
      if (!v) return bad(f, " has an unknown value");
      return *v;
    };
    // A reading: absent or null is none (kiosks before the readings were journaled send no
    // skin or ambient key); `required` for the estimate, which every kiosk sends.
    auto reading = [&](Field f, bool required) -> DocResult<std::optional<double>> {
      const Value& v = at(f);
      if (v.kind == Value::null || (v.kind == Value::absent && !required))
        return std::optional<double>();
      if (v.kind != Value::integer && v.kind != Value::number) return bad(f, " is not a number");
      return std::optional<double>(v.d);
    };

    JournalEntry e;
    Passage& p = e.passage;
    auto seq = integer(Field::seq);
    auto time = integer(Field::time);
    auto gate = row_text(Field::gate, Field::gate_hex);
    auto dir = enumerated(Field::direction, direction_from_string);
    auto kind = enumerated(Field::credential, credential_kind_from_string);
    auto dec = enumerated(Field::decision, decision_from_string);
    auto reason = enumerated(Field::reason, reason_from_code);
    auto pass = pass_id(Field::pass_id);
    auto consent = pass_id(Field::consenting_resident);
    auto role = nullable(Field::role);
    auto temperature = reading(Field::temperature_c, true);
    auto skin = reading(Field::skin_c, false);
    auto ambient = reading(Field::ambient_c, false);
    auto op = row_text(Field::operator_id, Field::operator_id_hex);
    auto holder = row_text(Field::holder, Field::holder_hex);
    auto phone = row_text(Field::phone, Field::phone_hex);
    auto detail = row_text(Field::detail, Field::detail_hex);
    auto sealed = text(Field::sealed);
    auto prev = text(Field::prev_hash);
    auto hash = text(Field::hash);
    for (const DocError* f : {seq.ok() ? nullptr : &seq.error(),
                              time.ok() ? nullptr : &time.error(),
                              gate.ok() ? nullptr : &gate.error(),
                              dir.ok() ? nullptr : &dir.error(),
                              kind.ok() ? nullptr : &kind.error(),
                              dec.ok() ? nullptr : &dec.error(),
                              reason.ok() ? nullptr : &reason.error(),
                              pass.ok() ? nullptr : &pass.error(),
                              consent.ok() ? nullptr : &consent.error(),
                              role.ok() ? nullptr : &role.error(),
                              temperature.ok() ? nullptr : &temperature.error(),
                              skin.ok() ? nullptr : &skin.error(),
                              ambient.ok() ? nullptr : &ambient.error(),
                              op.ok() ? nullptr : &op.error(),
                              holder.ok() ? nullptr : &holder.error(),
                              phone.ok() ? nullptr : &phone.error(),
                              detail.ok() ? nullptr : &detail.error(),
                              sealed.ok() ? nullptr : &sealed.error(),
                              prev.ok() ? nullptr : &prev.error(),
                              hash.ok() ? nullptr : &hash.error()})
      if (f) return *f;
    e.seq = *seq;
    p.time = *time;
    p.gate = std::move(*gate).value_or("");
    p.direction = *dir;
    p.credential_kind = *kind;
    p.decision = *dec;
    p.reason = *reason;
    p.pass_id = *pass;
    p.consenting_resident = *consent;
    if (*role) {
      p.role = role_from_string(**role);
      if (!p.role) return bad(Field::role, " has an unknown value");
    }
    p.temperature_c = *temperature;
    p.skin_c = *skin;
    p.ambient_c = *ambient;
    p.operator_id = std::move(*op);
    p.holder = std::move(*holder);
    p.phone = std::move(*phone);
    p.detail = std::move(*detail).value_or("");
    auto bytes = from_hex(*sealed);
    if (!bytes) return bad(Field::sealed, " is not hex");
    p.sealed = std::move(*bytes);
    e.prev_hash = std::move(*prev);
    e.hash = std::move(*hash);
    return e;
  }

  Depth depth_ = Depth::outside;
  std::size_t skip_ = 0;  // depth inside a value being skipped
  bool not_object_ = false;
  Top top_ = Top::other;
  std::optional<Field> field_;
  Value kind_, version_, device_;
  Entries entries_ = Entries::absent;
  std::size_t seen_ = 0;  // entries met, read or not
  std::array<Value, static_cast<std::size_t>(Field::count)> values_;
  std::optional<DocError> entry_error_;
  JournalBatch batch_;
};

}  // namespace

DocResult<JournalBatch> parse_batch(std::string_view text) {
  if (text.size() > kMaxBatchBytes) return doc_error(DocCode::too_large, "batch larger than 4 MiB");
  BatchReader reader;
  const bool parsed = json::sax_parse(text, &reader);
  return reader.result(parsed);
}

}  // namespace gk::sync
