#include "gk/flash/bmap.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include "xml_lite.hpp"

namespace gk::flash {

namespace {

FlashError bad(std::string detail) {
  return flash_error(Problem::bad_bmap, "bmap: " + std::move(detail));
}

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Decimal digits only: no sign, no hex, no exponent, no overflow.
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

bool parse_version(std::string_view s, int& major, int& minor) {
  s = trim(s);
  auto dot = s.find('.');
  if (dot == std::string_view::npos) return false;
  auto ma = parse_u64(s.substr(0, dot));
  auto mi = parse_u64(s.substr(dot + 1));
  if (!ma || !mi || *ma > 1000 || *mi > 1000) return false;
  major = static_cast<int>(*ma);
  minor = static_cast<int>(*mi);
  return true;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The names that changed between format 1.3 and 1.4/2.0.
struct Dialect {
  bool has_checksums = false;
  bool checksum_type_element = false;  // 1.4 and 2.x name the hash in <ChecksumType>
  std::string_view range_attribute;    // "sha1" (1.x) or "chksum" (1.4, 2.x)
  std::string_view file_checksum;      // "BmapFileSHA1" (1.3) or "BmapFileChecksum"
};

Dialect dialect_of(int major, int minor) {
  if (major >= 2 || (major == 1 && minor == 4)) return {true, true, "chksum", "BmapFileChecksum"};
  // Before 1.3 a file checksum was optional; SHA-1 range checksums are verified if present.
  return {minor >= 3, false, "sha1", "BmapFileSHA1"};
}

// bmaptool hashes the bmap file with its own checksum field replaced by ASCII zeros.
bool file_checksum_matches(std::string_view document, const std::string& stored, HashKind kind,
                           std::string_view stored_raw) {
  const auto pos = document.find(stored_raw);
  if (pos == std::string_view::npos) return false;
  std::string zeroed(document);
  zeroed.replace(pos, stored_raw.size(), std::string(stored_raw.size(), '0'));
  Hasher h(kind);
  h.update(zeroed);
  return h.finish_hex() == stored;
}

}  // namespace

std::uint64_t BlockMap::mapped_bytes() const {
  std::uint64_t total = 0;
  for (const auto& r : ranges) {
    const std::uint64_t begin = r.first * block_size;
    const std::uint64_t end = std::min((r.last + 1) * block_size, image_size);
    total += end - begin;
  }
  return total;
}

Outcome<BlockMap> parse_bmap(std::string_view document) {
  if (document.size() > kMaxBmapBytes) return bad("file larger than 32 MiB");
  auto parsed = xml::parse(document);
  if (!parsed) return bad(parsed.error().detail);
  const xml::Element& root = *parsed;
  if (root.name != "bmap") return bad("root element is <" + root.name + ">, not <bmap>");
  if (!trim(root.text).empty()) return bad("text directly inside <bmap>");

  BlockMap map;
  const std::string* version = root.attribute("version");
  if (!version || !parse_version(*version, map.version_major, map.version_minor))
    return bad("missing or malformed version attribute");
  if (map.version_major < 1 || map.version_major > 2)
    return bad("format version " + *version + " is not supported (1.x and 2.x are)");
  const Dialect dialect = dialect_of(map.version_major, map.version_minor);

  // Each known element at most once; unknown ones are tolerated because a newer minor
  // version may add them (the format promises minor versions stay compatible).
  const xml::Element* fields[7] = {};
  static constexpr std::string_view names[7] = {"ImageSize",         "BlockSize",    "BlocksCount",
                                                "MappedBlocksCount", "ChecksumType", "BlockMap",
                                                "file-checksum"};
  for (const auto& child : root.children) {
    for (int i = 0; i < 7; ++i) {
      const bool match = child.name == (i == 6 ? dialect.file_checksum : names[i]);
      if (!match) continue;
      if (fields[i]) return bad("<" + child.name + "> appears twice");
      fields[i] = &child;
    }
  }
  auto number = [&](int i, std::uint64_t& out) -> std::optional<FlashError> {
    if (!fields[i]) return bad("missing <" + std::string(names[i]) + ">");
    if (!fields[i]->children.empty()) return bad("<" + std::string(names[i]) + "> has children");
    auto v = parse_u64(fields[i]->text);
    if (!v) return bad("<" + std::string(names[i]) + "> is not a decimal number");
    out = *v;
    return std::nullopt;
  };
  for (auto [i, out] : {std::pair{0, &map.image_size}, std::pair{1, &map.block_size},
                        std::pair{2, &map.blocks_count}, std::pair{3, &map.mapped_blocks_count}})
    if (auto e = number(i, *out)) return *e;

  // File system block sizes: powers of two from a sector to 16 MiB.
  if (map.block_size < 512 || map.block_size > (16u << 20) ||
      (map.block_size & (map.block_size - 1)) != 0)
    return bad("block size " + std::to_string(map.block_size) +
               " is not a power of two in 512..16 MiB");
  if (map.image_size == 0) return bad("image size is zero");
  if (map.image_size > (UINT64_MAX >> 2)) return bad("image size out of range");
  const std::uint64_t expected_blocks = (map.image_size + map.block_size - 1) / map.block_size;
  if (map.blocks_count != expected_blocks)
    return bad("BlocksCount " + std::to_string(map.blocks_count) + " does not match image size " +
               std::to_string(map.image_size) + " / block size " + std::to_string(map.block_size));

  if (dialect.checksum_type_element) {
    if (!fields[4]) return bad("missing <ChecksumType>");
    auto kind = hash_kind_from_name(trim(fields[4]->text));
    if (!kind) return bad("checksum type '" + std::string(trim(fields[4]->text)) + "' unknown");
    map.checksum_kind = *kind;
  } else {
    map.checksum_kind = HashKind::sha1;
  }

  if (!fields[5]) return bad("missing <BlockMap>");
  if (!trim(fields[5]->text).empty()) return bad("text directly inside <BlockMap>");
  std::uint64_t mapped = 0;
  for (const auto& range : fields[5]->children) {
    const std::string where =
        " (line " + std::to_string(xml::line_of(document, range.offset)) + ")";
    if (range.name != "Range") return bad("<" + range.name + "> inside <BlockMap>" + where);
    if (!range.children.empty()) return bad("<Range> has children" + where);
    BlockRange r;
    const std::string_view text = trim(range.text);
    const auto dash = text.find('-');
    auto first = parse_u64(text.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_u64(text.substr(dash + 1));
    if (!first || !last) return bad("range '" + std::string(text) + "' is malformed" + where);
    r.first = *first;
    r.last = *last;
    if (r.first > r.last) return bad("range '" + std::string(text) + "' runs backwards" + where);
    if (r.last >= map.blocks_count)
      return bad("range '" + std::string(text) + "' lies outside the image's " +
                 std::to_string(map.blocks_count) + " blocks" + where);
    if (!map.ranges.empty() && r.first <= map.ranges.back().last)
      return bad("range '" + std::string(text) + "' overlaps or precedes the one before" + where);
    for (const auto& [key, value] : range.attributes) {
      if (key != dialect.range_attribute)
        return bad("unexpected attribute '" + key + "' on <Range>" + where);
      if (value.size() != hex_length(map.checksum_kind) || !is_hex(value))
        return bad("range checksum is not a " + std::string(hash_name(map.checksum_kind)) +
                   " hex digest" + where);
      r.checksum = lower(value);
    }
    mapped += r.last - r.first + 1;
    map.ranges.push_back(std::move(r));
  }
  if (mapped != map.mapped_blocks_count)
    return bad("MappedBlocksCount " + std::to_string(map.mapped_blocks_count) +
               " but the ranges cover " + std::to_string(mapped) + " blocks");

  // The file's own checksum last, so that a fuzzer still exercises everything above.
  if (fields[6]) {
    const std::string_view raw = trim(fields[6]->text);
    if (raw.size() != hex_length(map.checksum_kind) || !is_hex(raw))
      return bad("<" + std::string(dialect.file_checksum) + "> is not a hex digest");
    if (!file_checksum_matches(document, lower(raw), map.checksum_kind, raw))
      return bad("the bmap file's own checksum does not match: edited or damaged");
  } else if (dialect.has_checksums) {
    return bad("missing <" + std::string(dialect.file_checksum) + ">");
  }
  return map;
}

Outcome<BlockMap> load_bmap(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return bad("cannot open " + file.string());
  std::string text;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return bad("cannot read " + file.string() + ": " + ec.message());
  if (size > kMaxBmapBytes) return bad(file.string() + " is larger than 32 MiB");
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return bad("cannot read " + file.string());
  auto map = parse_bmap(text);
  if (!map) return flash_error(Problem::bad_bmap, map.error().detail + " [" + file.string() + "]");
  return map;
}

}  // namespace gk::flash
