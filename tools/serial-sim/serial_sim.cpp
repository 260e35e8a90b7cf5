#include "serial_sim.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace gk::serial_sim {
namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}
}  // namespace

bool PtyLine::plug() {
  master_.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master_ || ::grantpt(master_.get()) != 0 || ::unlockpt(master_.get()) != 0) return false;
  slave_path_ = ::ptsname(master_.get());
  slave_.reset(::open(slave_path_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  termios tio{};
  ::tcgetattr(slave_.get(), &tio);
  ::cfmakeraw(&tio);
  ::tcsetattr(slave_.get(), TCSANOW, &tio);
  ::unlink(link_.c_str());
  return ::symlink(slave_path_.c_str(), link_.c_str()) == 0;
}

void PtyLine::unplug() {
  if (!master_) return;
  ::unlink(link_.c_str());
  slave_.reset();
  master_.reset();
}

void PtyLine::write_all(const std::uint8_t* data, std::size_t n) const {
  std::size_t off = 0;
  while (off < n) {
    const ssize_t w = ::write(master_.get(), data + off, n - off);
    if (w <= 0) return;
    off += static_cast<std::size_t>(w);
  }
}

ControlFifo::~ControlFifo() {
  if (fd_) ::unlink(path_.c_str());
}

bool ControlFifo::open(const std::string& path) {
  if (path.empty()) return true;
  ::unlink(path.c_str());
  if (::mkfifo(path.c_str(), 0600) != 0) return false;
  fd_.reset(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  path_ = path;
  return fd_.valid();
}

void ControlFifo::read_lines(const std::function<void(std::string_view)>& line) {
  char buf[1024];
  const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
  if (n <= 0) return;
  pending_.append(buf, static_cast<std::size_t>(n));
  std::size_t nl;
  while ((nl = pending_.find('\n')) != std::string::npos) {
    const std::string one = pending_.substr(0, nl);
    pending_.erase(0, nl + 1);
    line(one);
  }
}

void serve(const PtyLine& line, ControlFifo& control,
           const std::function<void(const std::uint8_t*, std::size_t)>& host,
           const std::function<void(std::string_view)>& control_line) {
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  while (!g_stop) {
    // A negative fd is ignored by poll: an unplugged line or no FIFO.
    pollfd fds[2] = {{line.plugged() ? line.master() : -1, POLLIN, 0},
                     {control.valid() ? control.fd() : -1, POLLIN, 0}};
    if (::poll(fds, 2, 200) <= 0) continue;
    if (line.plugged() && (fds[0].revents & POLLIN)) {
      std::uint8_t buf[512];
      const ssize_t n = ::read(line.master(), buf, sizeof buf);
      if (n > 0)
        host(buf, static_cast<std::size_t>(n));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no host attached
    }
    if (control.valid() && (fds[1].revents & POLLIN)) control.read_lines(control_line);
  }
}

}  // namespace gk::serial_sim
