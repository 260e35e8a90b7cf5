#pragma once
// Just enough XML for bmap files: a prolog, comments, elements with quoted attributes,
// text and the five predefined entities. DOCTYPE, CDATA, processing instructions after the
// prolog and numeric character references are refused: bmaptool never writes them, and a
// parser that does not know them cannot be talked into expanding anything.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gk/flash/outcome.hpp"

namespace gk::flash::xml {

struct Element {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // all character data directly inside, concatenated
  std::vector<Element> children;
  std::size_t offset = 0;  // where the start tag is, for error messages (see line_of)

  const std::string* attribute(std::string_view n) const;
};

// Nesting deeper than this is refused (bmap needs 3), so recursion stays bounded.
inline constexpr int kMaxDepth = 8;

Outcome<Element> parse(std::string_view document);
// 1-based line number of a byte offset in the document.
std::size_t line_of(std::string_view document, std::size_t offset);

}  // namespace gk::flash::xml
