// pn532-sim: a PN532 on a pseudo-terminal that libnfc opens as pn532_uart:<PATH>.
//   pn532-sim --link PATH [--card FILE | --id-card HEX16] [--control FIFO]
// Control lines (written to the FIFO): place FILE | id-card HEX16 | remove | fault lost_ack [N] |
// fault bad_checksum [N] | fault slow MS | fault card_gone_after N | clear
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "chip.hpp"
#include "gk/hal/unique_fd.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

std::optional<pn532::Bytes> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return pn532::Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Card {
  std::string file;  // where writes go back to
};

class Emulator {
 public:
  Emulator(gk::hal::UniqueFd master, gk::hal::UniqueFd control)
      : master_(std::move(master)), control_(std::move(control)) {}

  bool place(const std::string& file) {
    auto dump = read_file(file);
    std::string error;
    auto tag = dump ? pn532::Tag::from_dump(*dump, &error) : std::nullopt;
    if (!tag) {
      std::cerr << "pn532-sim: " << file << ": " << (dump ? error : "cannot read") << "\n";
      return false;
    }
    save();
    chip_.place(std::move(*tag));
    card_.file = file;
    return true;
  }

  // A resident ID card with this serial; it replaces whatever card was in the field.
  bool place_id_card(const std::string& hex) {
    std::string error;
    auto card = pn532::IdCard::from_hex(hex, &error);
    if (!card) {
      std::cerr << "pn532-sim: id-card: " << error << "\n";
      return false;
    }
    save();
    card_.file.clear();
    chip_.place(*card);
    return true;
  }

  // Tag memory goes back to its file when the card leaves (and at exit), so a write by
  // gatectl or nfc-mfultralight survives like it would on a real card.
  void save() {
    if (!chip_.tag() || card_.file.empty()) return;
    std::ofstream out(card_.file, std::ios::binary | std::ios::trunc);
    const auto& m = chip_.tag()->memory();
    out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size()));
  }

  void run() {
    while (!g_stop) {
      pollfd fds[2] = {{master_.get(), POLLIN, 0}, {control_.get(), POLLIN, 0}};
      int n = ::poll(fds, control_ ? 2 : 1, 200);
      if (n <= 0) continue;
      if (fds[0].revents & POLLIN) serve_host();
      if (control_ && (fds[1].revents & POLLIN)) serve_control();
    }
    save();
  }

 private:
  void write_all(const pn532::Bytes& b) {
    std::size_t off = 0;
    while (off < b.size()) {
      ssize_t w = ::write(master_.get(), b.data() + off, b.size() - off);
      if (w <= 0) return;
      off += static_cast<std::size_t>(w);
    }
  }

  void serve_host() {
    std::uint8_t buf[512];
    ssize_t n = ::read(master_.get(), buf, sizeof buf);
    if (n <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no reader attached
      return;
    }
    for (ssize_t i = 0; i < n; ++i) {
      auto frame = decoder_.feed(buf[i]);
      if (!frame) continue;
      using K = pn532::Decoded::Kind;
      if (frame->kind == K::ack) continue;  // the host aborting a command: nothing to do
      if (frame->kind == K::nack) {
        write_all(chip_.on_nack());
        continue;
      }
      if (frame->kind == K::bad_checksum) {
        write_all(pn532::kNack);  // ask the host to send it again
        continue;
      }
      pn532::Reply r = chip_.on_frame(frame->body);
      if (r.send_ack) write_all(pn532::kAck);
      if (r.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(r.delay_ms));
      if (!r.response.empty()) write_all(r.response);
    }
  }

  void serve_control() {
    char buf[1024];
    ssize_t n = ::read(control_.get(), buf, sizeof buf);
    if (n <= 0) return;
    pending_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      std::istringstream line(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
      std::string cmd, arg;
      int value = 1;
      line >> cmd >> arg;
      if (!(line >> value)) value = arg == "slow" ? 500 : 1;
      if (cmd == "place") {
        place(arg);
      } else if (cmd == "id-card") {
        place_id_card(arg);
      } else if (cmd == "remove") {
        save();
        chip_.remove();
      } else if (cmd == "clear") {
        chip_.faults = {};
      } else if (cmd == "fault" && arg == "lost_ack") {
        chip_.faults.lost_acks = value;
      } else if (cmd == "fault" && arg == "bad_checksum") {
        chip_.faults.bad_checksums = value;
      } else if (cmd == "fault" && arg == "slow") {
        chip_.faults.slow_ms = value;
      } else if (cmd == "fault" && arg == "card_gone_after") {
        chip_.faults.card_gone_after = value;
      } else {
        std::cerr << "pn532-sim: unknown control line\n";
      }
    }
  }

  gk::hal::UniqueFd master_, control_;
  pn532::Chip chip_;
  pn532::FrameDecoder decoder_;
  Card card_;
  std::string pending_;
};

int usage() {
  std::cerr << "usage: pn532-sim --link PATH [--card FILE | --id-card HEX16] [--control FIFO]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string link, card, id_card, control;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--link")
      link = argv[++i];
    else if (a == "--card")
      card = argv[++i];
    else if (a == "--id-card")
      id_card = argv[++i];
    else if (a == "--control")
      control = argv[++i];
    else
      return usage();
  }
  if (link.empty()) return usage();

  gk::hal::UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) {
    std::perror("pn532-sim: pseudo-terminal");
    return 1;
  }
  const std::string slave_path = ::ptsname(master.get());
  // Keep a slave fd open ourselves: otherwise the master reads EIO whenever libnfc closes
  // the port between two programs. Raw mode so no byte is translated.
  gk::hal::UniqueFd slave(::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  termios tio{};
  ::tcgetattr(slave.get(), &tio);
  ::cfmakeraw(&tio);
  ::tcsetattr(slave.get(), TCSANOW, &tio);
  ::unlink(link.c_str());
  if (::symlink(slave_path.c_str(), link.c_str()) != 0) {
    std::perror("pn532-sim: link");
    return 1;
  }
  gk::hal::UniqueFd control_fd;
  if (!control.empty()) {
    ::unlink(control.c_str());
    if (::mkfifo(control.c_str(), 0600) != 0) {
      std::perror("pn532-sim: control fifo");
      return 1;
    }
    // O_RDWR: the FIFO never reports end-of-file when a writer goes away.
    control_fd.reset(::open(control.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  Emulator emu(std::move(master), std::move(control_fd));
  if (!card.empty() && !emu.place(card)) return 1;
  if (!id_card.empty() && !emu.place_id_card(id_card)) return 1;
  std::cerr << "pn532-sim: " << link << " -> " << slave_path << "\n";
  emu.run();
  ::unlink(link.c_str());
  if (!control.empty()) ::unlink(control.c_str());
  return 0;
}
