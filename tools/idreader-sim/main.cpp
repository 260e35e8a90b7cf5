// idreader-sim: the certified ID-card reader module on a pseudo-terminal, for the driver in
// drivers/idcard and `gatectl idcard read --device serial:PATH`.
//   idreader-sim --link PATH [--card IMAGE.json] [--control FIFO]
// Control lines (written to the FIFO): place IMAGE.json | remove | fault status 41|31|32|81 [N] |
// fault bad_checksum [N] | fault partial [N] | fault slow MS | unplug | replug | clear
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "gk/hal/unique_fd.hpp"
#include "module.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

// One plugged-in module: the pty master, a slave held open (so the master does not read
// EIO between two hosts), and the link the host opens.
struct Line {
  gk::hal::UniqueFd master, slave;
  bool plug(const std::string& link) {
    master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) return false;
    const std::string slave_path = ::ptsname(master.get());
    slave.reset(::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    termios tio{};
    ::tcgetattr(slave.get(), &tio);
    ::cfmakeraw(&tio);
    ::tcsetattr(slave.get(), TCSANOW, &tio);
    ::unlink(link.c_str());
    return ::symlink(slave_path.c_str(), link.c_str()) == 0;
  }
  void unplug(const std::string& link) {
    ::unlink(link.c_str());
    slave.reset();
    master.reset();  // the host's open slave now reads a hang-up
  }
};

class Emulator {
 public:
  Emulator(std::string link, gk::hal::UniqueFd control)
      : link_(std::move(link)), control_(std::move(control)) {}

  bool plug() { return line_.plug(link_); }
  bool place(const std::string& file) {
    std::string error;
    auto card = idreader::load_card_image(file, &error);
    if (!card) {
      std::cerr << "idreader-sim: " << error << "\n";
      return false;
    }
    module_.place(std::move(*card));
    return true;
  }

  void run() {
    while (!g_stop) {
      pollfd fds[2] = {{line_.master.get(), POLLIN, 0}, {control_.get(), POLLIN, 0}};
      const int n = ::poll(fds, 2, 200);
      if (n <= 0) continue;
      if (line_.master && (fds[0].revents & POLLIN)) serve_host();
      if (control_ && (fds[1].revents & POLLIN)) serve_control();
    }
    line_.unplug(link_);
  }

 private:
  void write_all(const idreader::Bytes& b) {
    std::size_t off = 0;
    while (off < b.size()) {
      const ssize_t w = ::write(line_.master.get(), b.data() + off, b.size() - off);
      if (w <= 0) return;
      off += static_cast<std::size_t>(w);
    }
  }

  void serve_host() {
    std::uint8_t buf[512];
    const ssize_t n = ::read(line_.master.get(), buf, sizeof buf);
    if (n <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return;
    }
    for (ssize_t i = 0; i < n; ++i) {
      auto d = decoder_.feed(buf[i]);
      if (!d) continue;
      std::optional<idreader::Bytes> body;
      if (d->kind == gk::idcard::Decoded::Kind::frame) body = std::move(d->body);
      const auto reply = module_.on_request(body);
      if (reply.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      write_all(reply.frame);
    }
  }

  void serve_control() {
    char buf[1024];
    const ssize_t n = ::read(control_.get(), buf, sizeof buf);
    if (n <= 0) return;
    pending_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      std::istringstream line(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
      std::string cmd, arg, third, fourth;
      line >> cmd >> arg >> third >> fourth;
      auto number = [](const std::string& s, int dflt, int base = 10) {
        try {
          return s.empty() ? dflt : std::stoi(s, nullptr, base);
        } catch (const std::exception&) {
          return dflt;
        }
      };
      auto& f = module_.faults;
      if (cmd == "place") {
        place(arg);
      } else if (cmd == "remove") {
        module_.remove();
      } else if (cmd == "clear") {
        f = {};
      } else if (cmd == "unplug") {
        line_.unplug(link_);
        decoder_.reset();
      } else if (cmd == "replug") {
        if (!line_.master) plug();
      } else if (cmd == "fault" && arg == "status") {
        f.status = static_cast<std::uint8_t>(number(third, 0x41, 16));
        f.status_count = number(fourth, 1);
      } else if (cmd == "fault" && arg == "bad_checksum") {
        f.bad_checksums = number(third, 1);
      } else if (cmd == "fault" && arg == "partial") {
        f.partial = number(third, 1);
      } else if (cmd == "fault" && arg == "slow") {
        f.slow_ms = number(third, 500);
      } else {
        std::cerr << "idreader-sim: unknown control line\n";
      }
    }
  }

  std::string link_;
  gk::hal::UniqueFd control_;
  Line line_;
  idreader::Module module_;
  gk::idcard::FrameDecoder decoder_;
  std::string pending_;
};

int usage() {
  std::cerr << "usage: idreader-sim --link PATH [--card IMAGE.json] [--control FIFO]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string link, card, control;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--link")
      link = argv[++i];
    else if (a == "--card")
      card = argv[++i];
    else if (a == "--control")
      control = argv[++i];
    else
      return usage();
  }
  if (link.empty()) return usage();
  gk::hal::UniqueFd control_fd;
  if (!control.empty()) {
    ::unlink(control.c_str());
    if (::mkfifo(control.c_str(), 0600) != 0) {
      std::perror("idreader-sim: control fifo");
      return 1;
    }
    control_fd.reset(::open(control.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  Emulator emu(link, std::move(control_fd));
  if (!emu.plug()) {
    std::perror("idreader-sim: pseudo-terminal");
    return 1;
  }
  if (!card.empty() && !emu.place(card)) return 1;
  std::cerr << "idreader-sim: " << link << "\n";
  emu.run();
  if (!control.empty()) ::unlink(control.c_str());
  return 0;
}
