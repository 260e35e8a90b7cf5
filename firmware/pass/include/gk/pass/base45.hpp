#pragma once
// Base45 (RFC 9285): binary data as text in the QR alphanumeric character set.
#include <optional>
#include <string>
#include <string_view>

#include "gk/core/bytes.hpp"

namespace gk {

std::string base45_encode(ByteView bytes);
// Strict decoding: characters outside the alphabet, a dangling single character and
// triplets or pairs whose value overflows are refused (nullopt).
std::optional<Bytes> base45_decode(std::string_view text);

}  // namespace gk
