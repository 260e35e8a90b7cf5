#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "gk/core/errors.hpp"
#include "gk/core/file.hpp"
#include "gk_test_support.hpp"

using namespace gk;

TEST_CASE("read_regular_file: the whole file, or unreadable / too_large naming the path",
          "[core][file]") {
  test::ScratchDir dir;
  std::ofstream(dir / "small.txt") << "twelve bytes";
  auto small = read_regular_file(dir / "small.txt", 12);
  REQUIRE(small.ok());
  CHECK(*small == "twelve bytes");

  SECTION("a missing file: unreadable, with the OS error") {
    auto r = read_regular_file(dir / "missing.txt", 1024);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DocCode::unreadable);
    CHECK(r.error().detail.find("missing.txt: cannot open: No such file") != std::string::npos);
  }
  SECTION("a directory: unreadable, not a regular file") {
    auto r = read_regular_file(dir.path(), 1024);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DocCode::unreadable);
    CHECK(r.error().detail.find("not a regular file") != std::string::npos);
  }
  SECTION("a FIFO: unreadable at once, never waiting for a writer") {
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    auto r = read_regular_file(dir / "fifo", 1024);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DocCode::unreadable);
    CHECK(r.error().detail.find("not a regular file") != std::string::npos);
  }
  SECTION("a device that reports size 0: unreadable") {
    auto r = read_regular_file("/dev/zero", 1024);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DocCode::unreadable);
  }
  SECTION("one byte over the limit: too_large") {
    auto r = read_regular_file(dir / "small.txt", 11);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == DocCode::too_large);
    CHECK(r.error().detail.find("small.txt: larger than 11 bytes") != std::string::npos);
  }
}

TEST_CASE("file errors read as document/<code> in logs and gatectl output", "[core][file]") {
  // The codes are stable names in journald and gatectl output: pin the ones files add.
  CHECK(describe(fault(doc_error(DocCode::unreadable, "k: cannot open"))) ==
        "document/unreadable: k: cannot open");
  CHECK(describe(fault(doc_error(DocCode::insecure, "k: chmod 600"))) ==
        "document/insecure: k: chmod 600");
  CHECK(describe(fault(doc_error(DocCode::too_large, "k"))) == "document/too_large: k");
  // A document that cannot be read, wherever a verdict depends on it, refuses as malformed.
  CHECK(verdict_reason(Layer::document) == Reason::malformed);
}
