// pn532-sim: a PN532 on a pseudo-terminal that libnfc opens as pn532_uart:<PATH>.
//   pn532-sim --link PATH [--card FILE | --id-card HEX16] [--control FIFO]
// Control lines (written to the FIFO): place FILE | id-card HEX16 | remove | fault lost_ack [N] |
// fault bad_checksum [N] | fault slow MS | fault card_gone_after N | clear
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "chip.hpp"
#include "serial_sim.hpp"

namespace {

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
  explicit Emulator(const gk::serial_sim::PtyLine& line) : line_(line) {}

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

  void on_host(const std::uint8_t* buf, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      auto frame = decoder_.feed(buf[i]);
      if (!frame) continue;
      using K = pn532::Decoded::Kind;
      if (frame->kind == K::ack) continue;  // the host aborting a command: nothing to do
      if (frame->kind == K::nack) {
        write(chip_.on_nack());
        continue;
      }
      if (frame->kind == K::bad_checksum) {
        write(pn532::kNack);  // ask the host to send it again
        continue;
      }
      pn532::Reply r = chip_.on_frame(frame->body);
      if (r.send_ack) write(pn532::kAck);
      if (r.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(r.delay_ms));
      if (!r.response.empty()) write(r.response);
    }
  }

  void on_control(std::string_view text) {
    std::istringstream line{std::string(text)};
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

 private:
  void write(const pn532::Bytes& b) { line_.write_all(b.data(), b.size()); }

  const gk::serial_sim::PtyLine& line_;
  pn532::Chip chip_;
  pn532::FrameDecoder decoder_;
  Card card_;
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

  gk::serial_sim::PtyLine line(link);
  if (!line.plug()) {
    std::perror("pn532-sim: pseudo-terminal");
    return 1;
  }
  gk::serial_sim::ControlFifo fifo;
  if (!fifo.open(control)) {
    std::perror("pn532-sim: control fifo");
    return 1;
  }
  Emulator emu(line);
  if (!card.empty() && !emu.place(card)) return 1;
  if (!id_card.empty() && !emu.place_id_card(id_card)) return 1;
  std::cerr << "pn532-sim: " << link << " -> " << line.slave_path() << "\n";
  gk::serial_sim::serve(
      line, fifo, [&](const std::uint8_t* b, std::size_t n) { emu.on_host(b, n); },
      [&](std::string_view l) { emu.on_control(l); });
  emu.save();
  return 0;
}
