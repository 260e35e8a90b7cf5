// idreader-sim: the certified ID-card reader module on a pseudo-terminal, for the driver in
// drivers/idcard and `gatectl idcard read --device serial:PATH`.
//   idreader-sim --link PATH [--card IMAGE.json] [--control FIFO]
// Control lines (written to the FIFO): place IMAGE.json | remove | fault status 41|31|32|81 [N] |
// fault bad_checksum [N] | fault partial [N] | fault slow MS | unplug | replug | clear
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "module.hpp"
#include "serial_sim.hpp"

namespace {

class Emulator {
 public:
  explicit Emulator(gk::serial_sim::PtyLine& line) : line_(line) {}

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

  void on_host(const std::uint8_t* buf, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      auto d = decoder_.feed(buf[i]);
      if (!d) continue;
      std::optional<idreader::Bytes> body;
      if (d->kind == gk::idcard::Decoded::Kind::frame) body = std::move(d->body);
      const auto reply = module_.on_request(body);
      if (reply.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      line_.write_all(reply.frame.data(), reply.frame.size());
    }
  }

  void on_control(std::string_view text) {
    std::istringstream line{std::string(text)};
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
      line_.unplug();
      decoder_.reset();
    } else if (cmd == "replug") {
      if (!line_.plugged()) line_.plug();
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

 private:
  gk::serial_sim::PtyLine& line_;
  idreader::Module module_;
  gk::idcard::FrameDecoder decoder_;
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
  gk::serial_sim::ControlFifo fifo;
  if (!fifo.open(control)) {
    std::perror("idreader-sim: control fifo");
    return 1;
  }
  gk::serial_sim::PtyLine line(link);
  if (!line.plug()) {
    std::perror("idreader-sim: pseudo-terminal");
    return 1;
  }
  Emulator emu(line);
  if (!card.empty() && !emu.place(card)) return 1;
  std::cerr << "idreader-sim: " << link << "\n";
  gk::serial_sim::serve(
      line, fifo, [&](const std::uint8_t* b, std::size_t n) { emu.on_host(b, n); },
      [&](std::string_view l) { emu.on_control(l); });
  return 0;
}
