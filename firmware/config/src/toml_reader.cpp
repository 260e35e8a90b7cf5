#include "toml_reader.hpp"

#include <sstream>

namespace gk::detail {

void TomlErrors::add(const toml::source_region& where, const std::string& what) {
  std::ostringstream s;
  s << (where.path ? *where.path : std::string("<config>")) << ":" << where.begin.line << ":"
    << where.begin.column << ": " << what;
  messages_.push_back(s.str());
}

std::string TomlErrors::joined() const {
  std::string out;
  for (const auto& m : messages_) out += (out.empty() ? "" : "\n") + m;
  return out;
}

std::string TomlSection::qualified(const char* key) const {
  return path_.empty() ? std::string(key) : path_ + "." + key;
}

const toml::node* TomlSection::find(const char* key) {
  seen_.insert(key);
  return table_.get(key);
}

void TomlSection::type_error(const toml::node& n, const char* key, const char* expected) {
  errors_.add(n.source(), qualified(key) + " must be " + expected);
}

namespace {
// Why a configured string cannot be used; empty when it can.
std::string unusable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return "must not hold control characters (NUL, tab, newline ...)";
  return {};
}
}  // namespace

void TomlSection::read(const char* key, std::string& out) {
  const toml::node* n = find(key);
  if (!n) return;
  if (auto v = n->value<std::string>(); v && n->is_string()) {
    if (std::string why = unusable(*v); !why.empty())
      errors_.add(n->source(), qualified(key) + " " + why);
    else
      out = *v;
  } else {
    type_error(*n, key, "a string");
  }
}

toml::source_region TomlSection::where(const char* key) const {
  if (const toml::node* n = table_.get(key)) return n->source();
  return table_.source();
}

void TomlSection::read(const char* key, bool& out) {
  const toml::node* n = find(key);
  if (!n) return;
  if (n->is_boolean())
    out = **n->as_boolean();
  else
    type_error(*n, key, "true or false");
}

void TomlSection::read(const char* key, std::int64_t& out, long long min, long long max) {
  const toml::node* n = find(key);
  if (!n) return;
  if (!n->is_integer()) return type_error(*n, key, "an integer");
  long long v = **n->as_integer();
  if (v < min || v > max)
    errors_.add(n->source(), qualified(key) + " must be between " + std::to_string(min) + " and " +
                                 std::to_string(max));
  else
    out = v;
}

void TomlSection::read(const char* key, int& out, long long min, long long max) {
  std::int64_t v = out;
  read(key, v, min, max);
  out = static_cast<int>(v);
}

void TomlSection::read(const char* key, double& out, double min, double max) {
  const toml::node* n = find(key);
  if (!n) return;
  double v = 0;
  if (n->is_floating_point())
    v = **n->as_floating_point();
  else if (n->is_integer())
    v = static_cast<double>(**n->as_integer());
  else
    return type_error(*n, key, "a number");
  if (!(v >= min && v <= max)) {
    std::ostringstream s;
    s << qualified(key) << " must be between " << min << " and " << max;
    errors_.add(n->source(), s.str());
  } else {
    out = v;
  }
}

void TomlSection::read_strings(const char* key, std::vector<std::string>& out) {
  const toml::node* n = find(key);
  if (!n) return;
  const toml::array* a = n->as_array();
  if (!a) return type_error(*n, key, "an array of strings");
  std::vector<std::string> values;
  for (const toml::node& item : *a) {
    if (!item.is_string()) return type_error(item, key, "an array of strings");
    const std::string& v = **item.as_string();
    if (std::string why = unusable(v); !why.empty())
      return errors_.add(item.source(), qualified(key) + " " + why);
    values.push_back(v);
  }
  out = std::move(values);
}

std::optional<TomlSection> TomlSection::section(const char* key) {
  const toml::node* n = find(key);
  if (!n) return std::nullopt;
  if (!n->is_table()) {
    type_error(*n, key, "a table");
    return std::nullopt;
  }
  return TomlSection(*n->as_table(), qualified(key), errors_);
}

void TomlSection::finish() {
  for (const auto& [key, node] : table_)
    if (!seen_.contains(std::string(key.str())))
      errors_.add(node.source(), "unknown key '" + qualified(std::string(key.str()).c_str()) + "'");
}

}  // namespace gk::detail
