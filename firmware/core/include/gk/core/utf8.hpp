#pragma once
// Text people type is UTF-8 of any length. These are the only ways the firmware checks and
// shortens it: validate where text enters (console, scenario, CLI, upstream documents, the
// config), and cut only at a character boundary, so that no stored row can later break a
// codec (a detail cut at byte 80 inside a 3-byte character made every journal upload throw).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gk::utf8 {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
// NUL is a valid character (U+0000); callers that cannot hold it say so themselves.
bool valid(std::string_view text);
// Byte offset of the first ill-formed sequence; nullopt when the text is valid.
std::optional<std::size_t> first_invalid(std::string_view text);
// The longest prefix of at most `max_bytes` bytes that ends at a character boundary. The
// input must be valid; an invalid input is first repaired (see repaired()).
std::string truncate(std::string_view text, std::size_t max_bytes);
// The text with every ill-formed sequence replaced by U+FFFD (for text that must be shown or
// stored although its source was broken; never silently for input a person can correct).
std::string repaired(std::string_view text);
// Length in bytes of the well-formed character at byte `at`; 0 when it is ill-formed.
std::size_t char_length_at(std::string_view text, std::size_t at);
// Number of characters (code points) of valid text.
std::size_t length(std::string_view text);

// A program's command line is text people type: every argument must be UTF-8 before anything
// runs. The refusal, for the program to print and exit 2 with, names the argument and byte
// ("argument 4 (after --name) is not UTF-8 at byte 3"); nullopt when all are well-formed.
std::optional<std::string> refuse_arguments(int argc, const char* const* argv);

}  // namespace gk::utf8
