#pragma once
// The process's file descriptors, as the listeners see them. A connection costs one; a
// flood of them must never take the ones the passage path needs (the journal and its WAL,
// sync.db, the camera, the card reader's tty, I2C, GPIO chips, the log and systemd sockets).
// So RLIMIT_NOFILE is raised to its hard limit once, `reserved` descriptors are never given
// to a connection, and every listener of the process draws from the one network share.
// And one spare descriptor is held open: when accept() still fails with EMFILE (something
// else used descriptors up), it is released, the waiting connection accepted and closed at
// once, and the spare taken again, so the backlog drains instead of failing forever.
#include <cstddef>

namespace gk::net {

class Descriptors {
 public:
  static Descriptors& process();

  // Raises the soft limit to the hard one and keeps `reserved` out of the network share.
  void configure(std::size_t reserved);
  bool take();       // one descriptor for a connection; false when the network share is spent
  void give_back();  // its connection closed
  // Accepts one waiting connection on `listen_fd` and closes it, using the spare if need be.
  // True if one was shed.
  bool shed_one(int listen_fd);

  std::size_t in_use() const { return in_use_; }
  std::size_t network_share() const { return share_; }
  std::size_t reserved() const { return reserved_; }

 private:
  Descriptors();
  std::size_t reserved_ = 0, share_ = 0, in_use_ = 0;
  int spare_ = -1;
};

}  // namespace gk::net
