// Free text scrubbing: every identifying number masked, everything else left as typed.
#include <catch2/catch.hpp>

#include "gk/core/scrub.hpp"

using namespace gk;

TEST_CASE("mobile numbers, ID numbers and card numbers are masked in free text", "[core][scrub]") {
  // 11010519491231002X is the GB 11643 example number (valid check character X).
  const ScrubReport r = scrub_report(
      "访客 13812348058 找 3栋2单元401，身份证11010519491231002X，卡号6222020200112233445 谢谢");
  CHECK(r.text ==
        "访客 138****8058 找 3栋2单元401，身份证**************002X，卡号***************3445 谢谢");
  CHECK(r.mobiles == 1);
  CHECK(r.id_numbers == 1);
  CHECK(r.masked() == 3);
}

TEST_CASE("numbers written with separators, +86 or full-width digits are masked too",
          "[core][scrub]") {
  CHECK(scrub_personal_numbers("call 138 1234 8058") == "call 138****8058");
  CHECK(scrub_personal_numbers("call 138-1234-8058.") == "call 138****8058.");
  CHECK(scrub_personal_numbers("+86 138 1234 8058") == "+86 138****8058");
  CHECK(scrub_personal_numbers("+8613812348058") == "+138****8058");
  CHECK(scrub_personal_numbers("１３８１２３４８０５８") == "138****8058");
  CHECK(scrub_personal_numbers("id 11010519491231002x") == "id **************002X");
  CHECK(scrub_personal_numbers("id １１０１０５１９４９１２３１００２Ｘ") ==
        "id **************002X");
  CHECK(scrub_personal_numbers("tel 0755-83212345") == "tel ********2345");
  // An 18-digit number with a wrong check character is still a long number: masked.
  const ScrubReport bad = scrub_report("110105194912310021");
  CHECK(bad.id_numbers == 0);
  CHECK(bad.others == 1);
  CHECK(bad.text == "**************0021");
}

TEST_CASE("numbers typed in Chinese numerals are masked like digits", "[core][scrub]") {
  CHECK(scrub_personal_numbers("电话一三八一二三四八零五八") == "电话138****8058");
  CHECK(scrub_personal_numbers("打幺三八 一二三四 八〇五八找他") == "打138****8058找他");
  CHECK(scrub_report("一三八一二三四八零五八").mobiles == 1);
  CHECK(scrub_personal_numbers("身份证一一零一零五一九四九一二三一零零二X") ==
        "身份证**************002X");
}

TEST_CASE("short numbers and ordinary text are left alone", "[core][scrub]") {
  for (const char* s : {"", "送快递到3栋2单元401", "2020-12-01 10:30", "room 1203, 6 people",
                        "顺丰速运", "a \"quoted\" \\ text", "123456", "三三两两", "一五一十地说",
                        "十二栋三单元四〇一", "一二三四五六"}) {
    INFO(s);
    CHECK(scrub_personal_numbers(s) == s);
  }
  const std::string with_nul("a\0b 13812348058", 16);
  CHECK(scrub_personal_numbers(with_nul) == std::string("a\0b 138****8058", 16));
}

TEST_CASE("ID check characters and Luhn", "[core][scrub]") {
  CHECK(valid_id_number("11010519491231002X"));
  CHECK_FALSE(valid_id_number("110105194912310021"));
  CHECK(luhn_valid("4111111111111111"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
}
