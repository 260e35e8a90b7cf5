#include "gk/net/descriptors.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gk::net {

namespace {
constexpr std::size_t kDefaultReserved = 128;
}

Descriptors& Descriptors::process() {
  static Descriptors d;  // the descriptor table is the process's: so is this
  return d;
}

Descriptors::Descriptors() {
  configure(kDefaultReserved);
  spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void Descriptors::configure(std::size_t reserved) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  const std::size_t total = lim.rlim_cur == RLIM_INFINITY ? 65536 : lim.rlim_cur;
  reserved_ = reserved;
  share_ = total > reserved ? total - reserved : 0;
}

bool Descriptors::take() {
  if (in_use_ >= share_) return false;
  ++in_use_;
  return true;
}

void Descriptors::give_back() {
  if (in_use_ > 0) --in_use_;
}

bool Descriptors::shed_one(int listen_fd) {
  int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0 && spare_ >= 0) {
    ::close(spare_);
    spare_ = -1;
    fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  }
  if (fd >= 0) ::close(fd);
  if (spare_ < 0) spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0;
}

}  // namespace gk::net
