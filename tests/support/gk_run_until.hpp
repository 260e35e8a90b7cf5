#pragma once
// The tests' way to drive an event loop: one handler at a time until a condition holds, so
// that no sleep decides a result; false once `timeout` passed (a loop that never gets there).
#include <boost/asio/io_context.hpp>
#include <chrono>

namespace gk::test {

template <class Done>
bool run_until(boost::asio::io_context& io, Done done,
               std::chrono::steady_clock::duration timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace gk::test
