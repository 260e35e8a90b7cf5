// UTF-8 validation and character-boundary truncation: the base every place that takes typed
// text relies on.
#include <catch2/catch.hpp>
#include <random>

#include "gk/core/mask.hpp"
#include "gk/core/utf8.hpp"

using namespace gk;

TEST_CASE("well-formed UTF-8 is accepted, every ill-formed kind refused", "[core][utf8]") {
  CHECK(utf8::valid(""));
  CHECK(utf8::valid("3\"栋 \\ 😷"));
  CHECK(utf8::valid(std::string("a\0b", 3)));    // NUL is a character
  CHECK(utf8::valid("\xF4\x8F\xBF\xBF"));        // U+10FFFF
  CHECK_FALSE(utf8::valid("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(utf8::valid("\xE0\x80\xAF"));      // overlong, 3 bytes
  CHECK_FALSE(utf8::valid("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(utf8::valid("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(utf8::valid("\x80"));              // lone continuation
  CHECK_FALSE(utf8::valid("\xE6\xA0"));          // '栋' cut after two bytes
  CHECK(utf8::first_invalid("ab\xE6\xA0") == std::optional<std::size_t>(2));
}

TEST_CASE("truncation never cuts inside a character", "[core][utf8]") {
  // 30 Chinese characters: 90 bytes. Cut at 80 it keeps 26 whole characters (78 bytes).
  std::string reason;
  for (int i = 0; i < 30; ++i) reason += "门";
  const std::string cut = utf8::truncate(reason, 80);
  CHECK(cut.size() == 78);
  CHECK(utf8::valid(cut));
  CHECK(utf8::truncate("abc", 80) == "abc");
  CHECK(utf8::truncate("😷😷", 7) == "😷");
  CHECK(utf8::truncate("😷", 3).empty());
  // Broken input is repaired first, then cut: the result is always valid.
  CHECK(utf8::valid(utf8::truncate("ab\xE6\xA0zz", 5)));
}

TEST_CASE("random bytes: truncate and repaired always give valid UTF-8", "[core][utf8]") {
  std::mt19937 rng(1234);
  for (int round = 0; round < 2000; ++round) {
    std::string s(rng() % 40, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
    const std::string fixed = utf8::repaired(s);
    REQUIRE(utf8::valid(fixed));
    CHECK(utf8::valid(utf8::truncate(s, rng() % 50)));
    CHECK(utf8::truncate(s, rng() % 50).size() <= 50);
    if (utf8::valid(s)) CHECK(fixed == s);
    CHECK(utf8::valid(mask_phone(s)));
    CHECK(utf8::valid(mask_name(s)));
    CHECK(utf8::valid(mask_id_number(s)));
  }
}

TEST_CASE("masks keep whole characters of full-width input", "[core][utf8]") {
  CHECK(mask_phone("１３８１２３４８０５８") == "１３８**８０５８");
  CHECK(mask_id_number("４４０３０１１２３４") == "**１２３４");
  CHECK(mask_name("\xE5") == "\xEF\xBF\xBD**");
}

TEST_CASE("a command line is refused at its first argument that is not UTF-8", "[core][utf8]") {
  const char* good[] = {"gatectl", "issue", "--name", "张伟 \"O'Brien\" \\ 🏠"};
  CHECK_FALSE(gk::utf8::refuse_arguments(4, good));
  const char* bad[] = {"gatectl", "issue", "--name", "张\xe4\xbc", "--site", "\xff"};
  const auto refused = gk::utf8::refuse_arguments(6, bad);
  REQUIRE(refused);
  CHECK(*refused ==
        "argument 3 (after --name) is not UTF-8 at byte 3: every argument is text, in UTF-8");
  const char* first[] = {"gated", "\xc0\xaf"};
  CHECK(*gk::utf8::refuse_arguments(2, first) ==
        "argument 1 is not UTF-8 at byte 0: every argument is text, in UTF-8");
}
