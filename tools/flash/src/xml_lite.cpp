#include "xml_lite.hpp"

namespace gk::flash::xml {

const std::string* Element::attribute(std::string_view n) const {
  for (const auto& [k, v] : attributes)
    if (k == n) return &v;
  return nullptr;
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Outcome<Element> document() {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
    if (starts("<?xml")) {
      auto end = s_.find("?>", pos_);
      if (end == std::string_view::npos) return err("unterminated XML declaration");
      pos_ = end + 2;
    }
    if (auto e = misc(); !e.empty()) return err(e);
    if (!starts("<")) return err("no root element");
    Element root;
    if (auto e = element(root, 1); !e.empty()) return err(e);
    if (auto e = misc(); !e.empty()) return err(e);
    if (pos_ != s_.size()) return err("content after the root element");
    return root;
  }

 private:
  bool starts(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }
  std::size_t line() const { return line_of(s_, pos_); }
  FlashError err(const std::string& what) const {
    return flash_error(Problem::bad_bmap,
                       "XML: " + what + " (line " + std::to_string(line()) + ")");
  }
  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  // Whitespace and comments between top-level constructs.
  std::string misc() {
    for (;;) {
      skip_space();
      if (starts("<!--")) {
        if (auto e = comment(); !e.empty()) return e;
      } else if (starts("<!") || starts("<?")) {
        return "DOCTYPE, CDATA and processing instructions are not allowed";
      } else {
        return {};
      }
    }
  }
  std::string comment() {
    auto end = s_.find("-->", pos_ + 4);
    if (end == std::string_view::npos) return "unterminated comment";
    pos_ = end + 3;
    return {};
  }
  std::string name(std::string& out) {
    if (pos_ >= s_.size() || !is_name_start(s_[pos_])) return "expected a name";
    auto start = pos_;
    while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
    out.assign(s_.substr(start, pos_ - start));
    return {};
  }
  // Character data up to the next '<', with the predefined entities decoded.
  std::string chars(std::string& out, char stop) {
    while (pos_ < s_.size() && s_[pos_] != stop && s_[pos_] != '<') {
      if (s_[pos_] == '&') {
        static constexpr std::pair<std::string_view, char> entities[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        bool known = false;
        for (auto [e, c] : entities) {
          if (starts(e)) {
            out.push_back(c);
            pos_ += e.size();
            known = true;
            break;
          }
        }
        if (!known) return "unsupported entity or stray '&'";
        continue;
      }
      if (s_[pos_] == '\0') return "NUL byte";
      out.push_back(s_[pos_++]);
    }
    return {};
  }
  std::string element(Element& el, int depth) {
    if (depth > kMaxDepth) return "elements nested too deeply";
    el.offset = pos_;
    ++pos_;  // '<'
    if (auto e = name(el.name); !e.empty()) return e;
    for (;;) {
      const bool had_space = pos_ < s_.size() && is_space(s_[pos_]);
      skip_space();
      if (pos_ >= s_.size()) return "unterminated start tag <" + el.name + ">";
      if (starts("/>")) {
        pos_ += 2;
        return {};
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (!had_space) return "expected whitespace before an attribute in <" + el.name + ">";
      std::string key, value;
      if (auto e = name(key); !e.empty()) return e + " (attribute in <" + el.name + ">)";
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '=') return "expected '=' after attribute " + key;
      ++pos_;
      skip_space();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\''))
        return "expected a quoted value for attribute " + key;
      const char quote = s_[pos_++];
      if (auto e = chars(value, quote); !e.empty()) return e;
      if (pos_ >= s_.size() || s_[pos_] != quote) return "unterminated value of attribute " + key;
      ++pos_;
      if (el.attribute(key)) return "duplicate attribute " + key + " in <" + el.name + ">";
      el.attributes.emplace_back(std::move(key), std::move(value));
    }
    // Content until the matching end tag.
    for (;;) {
      if (auto e = chars(el.text, '<'); !e.empty()) return e;
      if (pos_ >= s_.size()) return "missing </" + el.name + ">";
      if (starts("<!--")) {
        if (auto e = comment(); !e.empty()) return e;
      } else if (starts("</")) {
        pos_ += 2;
        std::string end_name;
        if (auto e = name(end_name); !e.empty()) return e;
        if (end_name != el.name) return "</" + end_name + "> closes <" + el.name + ">";
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] != '>') return "unterminated end tag </" + el.name;
        ++pos_;
        return {};
      } else if (starts("<!") || starts("<?")) {
        return "DOCTYPE, CDATA and processing instructions are not allowed";
      } else {
        Element child;
        if (auto e = element(child, depth + 1); !e.empty()) return e;
        el.children.push_back(std::move(child));
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::size_t line_of(std::string_view document, std::size_t offset) {
  std::size_t n = 1;
  for (std::size_t i = 0; i < offset && i < document.size(); ++i) n += document[i] == '\n';
  return n;
}

Outcome<Element> parse(std::string_view document) {
  return Parser(document).document();
}

}  // namespace gk::flash::xml
