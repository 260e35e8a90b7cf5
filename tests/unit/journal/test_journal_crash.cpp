// Real processes killed mid-write: a child appends as fast as it can and reports each
// committed seq through a pipe only after append() returned; the parent SIGKILLs it at a
// random moment, reopens the journal and checks that nothing reported is missing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "gk_test_support.hpp"
#include "journal_fixture.hpp"

using namespace gk;

TEST_CASE("SIGKILL mid-append never loses a committed passage", "[journal][crash]") {
  test::ScratchDir dir;
  const auto db = dir / "journal.db";
  std::mt19937 rng(12345);
  std::int64_t highest_reported = 0;
  for (int round = 0; round < 20; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      auto j = Journal::open(db);
      if (!j) ::_exit(2);
      for (std::int64_t i = 0;; ++i) {
        auto seq = j->append(gk::test::sample_passage(i));
        if (!seq) ::_exit(3);
        std::int64_t s = *seq;
        if (::write(fds[1], &s, sizeof s) != sizeof s) ::_exit(4);
      }
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 120));
    ::kill(child, SIGKILL);
    std::int64_t s = 0;
    while (::read(fds[0], &s, sizeof s) == sizeof s)
      highest_reported = std::max(highest_reported, s);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));

    auto j = Journal::open(db);
    REQUIRE(j.ok());
    auto d = sql::Database::open(db.string());
    sql::Statement check(*d, "PRAGMA integrity_check");
    REQUIRE(check.step() == SQLITE_ROW);
    CHECK(check.text(0) == "ok");
    VerifyReport r = j->verify();
    INFO("round " << round << ": " << r.problem);
    CHECK(r.ok);
    CHECK(j->head_seq() >= highest_reported);
  }
  CHECK(highest_reported > 20);  // the child did commit rows before being killed
}
