#pragma once
// Typed, strict access to a toml++ table: every read is checked for type and range, every
// key not read is reported as unknown, and each message carries "file:line:col".
#include <toml++/toml.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gk::detail {

class TomlErrors {
 public:
  void add(const toml::source_region& where, const std::string& what);
  bool empty() const { return messages_.empty(); }
  std::string joined() const;

 private:
  std::vector<std::string> messages_;
};

class TomlSection {
 public:
  TomlSection(const toml::table& table, std::string path, TomlErrors& errors)
      : table_(table), path_(std::move(path)), errors_(errors) {}

  // Strings: UTF-8 (toml++ checks) without control characters (NUL, escapes: a name or a path
  // holding one would be cut or misread further on).
  void read(const char* key, std::string& out);
  // A string that must also pass `check`, which returns why not (empty: fine).
  template <class Check>
  void read_checked(const char* key, std::string& out, Check check) {
    read(key, out);
    if (const toml::node* n = table_.get(key); n && n->is_string())
      if (std::string why = check(out); !why.empty())
        errors_.add(n->source(), qualified(key) + ": " + why);
  }
  // Where a key was written (for errors between keys); the table's own place when absent.
  toml::source_region where(const char* key) const;
  void read(const char* key, bool& out);
  void read(const char* key, int& out, long long min, long long max);
  void read(const char* key, std::int64_t& out, long long min, long long max);
  void read(const char* key, double& out, double min, double max);
  void read_strings(const char* key, std::vector<std::string>& out);
  void add_error(const toml::source_region& at, const std::string& what) { errors_.add(at, what); }
  // A string that must map through `parse`; `allowed` is shown in the error.
  template <class T, class Parse>
  void read_enum(const char* key, T& out, Parse parse, const char* allowed) {
    std::string s;
    const toml::node* n = find(key);
    if (!n) return;
    if (!n->is_string()) return type_error(*n, key, "a string");
    s = **n->as_string();
    if (auto v = parse(s))
      out = *v;
    else
      errors_.add(n->source(), qualified(key) + ": '" + s + "' is not one of " + allowed);
  }
  // Sub-table; nullopt when absent (a non-table value is an error).
  std::optional<TomlSection> section(const char* key);
  // Reports keys that no read asked for.
  void finish();

 private:
  const toml::node* find(const char* key);
  void type_error(const toml::node& n, const char* key, const char* expected);
  std::string qualified(const char* key) const;

  const toml::table& table_;
  std::string path_;
  TomlErrors& errors_;
  std::set<std::string> seen_;
};

}  // namespace gk::detail
