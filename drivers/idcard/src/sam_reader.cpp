#include "gk/idcard/sam_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>

namespace gk::idcard {
namespace {

speed_t to_speed(int baud) {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    default:
      return B115200;
  }
}

ReadError status_error(std::uint8_t sw3, const char* step) {
  ReadError e;
  e.status = sw3;
  char hex[3];
  std::snprintf(hex, sizeof hex, "%02X", sw3);
  switch (static_cast<SamStatus>(sw3)) {
    case SamStatus::no_card:
      e.error = hal::DeviceError::not_present;
      e.what = "no card on the reader";
      break;
    case SamStatus::read_failed:
    case SamStatus::select_failed:
      e.error = hal::DeviceError::removed;  // the card moved or left during the read
      e.what = std::string(step) + " failed (" + hex + "): hold the card still on the reader";
      break;
    case SamStatus::card_auth_failed:
    case SamStatus::reader_auth_failed:
      e.error = hal::DeviceError::implausible;  // not a genuine card, or a module fault
      e.what = std::string("authentication between card and module failed (") + hex + ")";
      break;
    default:
      e.error = hal::DeviceError::io;
      e.what = std::string(step) + ": module status " + hex;
  }
  return e;
}

}  // namespace

std::optional<SerialSpec> parse_serial_device(std::string_view d) {
  if (!d.starts_with("serial:")) return std::nullopt;
  d.remove_prefix(7);
  SerialSpec s;
  const auto colon = d.rfind(':');
  if (colon != std::string_view::npos) {
    int baud = 0;
    auto tail = d.substr(colon + 1);
    auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), baud);
    if (ec != std::errc() || p != tail.data() + tail.size()) return std::nullopt;
    if (baud != 9600 && baud != 19200 && baud != 38400 && baud != 57600 && baud != 115200)
      return std::nullopt;
    s.baud = baud;
    d = d.substr(0, colon);
  }
  if (d.empty()) return std::nullopt;
  s.path = std::string(d);
  return s;
}

SamReader::SamReader(SerialSpec spec, std::chrono::milliseconds timeout)
    : spec_(std::move(spec)), timeout_(timeout) {}

bool SamReader::open() {
  if (fd_) return true;
  fd_.reset(::open(spec_.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_) return false;
  termios tio{};
  if (::tcgetattr(fd_.get(), &tio) == 0) {
    ::cfmakeraw(&tio);
    ::cfsetispeed(&tio, to_speed(spec_.baud));
    ::cfsetospeed(&tio, to_speed(spec_.baud));
    tio.c_cflag |= CLOCAL | CREAD;
    ::tcsetattr(fd_.get(), TCSANOW, &tio);
  }
  return true;
}

std::variant<SamReader::Answer, ReadError> SamReader::exchange(const Bytes& frame) {
  ::tcflush(fd_.get(), TCIFLUSH);  // what a half answer left behind is not the next answer
  std::size_t off = 0;
  while (off < frame.size()) {
    const ssize_t w = ::write(fd_.get(), frame.data() + off, frame.size() - off);
    if (w < 0 && errno == EAGAIN) {
      pollfd p{fd_.get(), POLLOUT, 0};
      ::poll(&p, 1, 50);
      continue;
    }
    if (w <= 0) {
      close();
      return ReadError{hal::DeviceError::io, 0, "write to " + spec_.path + " failed"};
    }
    off += static_cast<std::size_t>(w);
  }
  FrameDecoder decoder;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return ReadError{
          hal::DeviceError::timeout, 0,
          decoder.idle() ? "no answer from the module" : "the module's answer stopped half-way"};
    pollfd p{fd_.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
      close();
      return ReadError{hal::DeviceError::io, 0, spec_.path + ": the line hung up (unplugged?)"};
    }
    std::uint8_t buf[512];
    const ssize_t r = ::read(fd_.get(), buf, sizeof buf);
    if (r < 0 && errno == EAGAIN) continue;
    if (r <= 0) {
      close();
      return ReadError{hal::DeviceError::io, 0, spec_.path + ": read failed (unplugged?)"};
    }
    for (ssize_t i = 0; i < r; ++i) {
      auto d = decoder.feed(buf[i]);
      if (!d) continue;
      if (d->kind != Decoded::Kind::frame)
        return ReadError{hal::DeviceError::io, 0,
                         d->kind == Decoded::Kind::bad_checksum ? "checksum error in the answer"
                                                                : "answer too long"};
      if (d->body.size() < 3) return ReadError{hal::DeviceError::io, 0, "answer too short"};
      return Answer{d->body[2], Bytes(d->body.begin() + 3, d->body.end())};
    }
  }
}

std::variant<SamReader::Answer, ReadError> SamReader::command(std::uint8_t cmd, std::uint8_t para) {
  if (!open()) return ReadError{hal::DeviceError::io, 0, "cannot open " + spec_.path};
  const Bytes frame = encode_frame({cmd, para});
  auto a = exchange(frame);
  // A corrupted answer (or the module telling us it got a corrupted command) is asked again
  // once: a line glitch, not a card problem.
  const bool retry =
      (std::holds_alternative<ReadError>(a) &&
       std::get<ReadError>(a).what.starts_with("checksum")) ||
      (std::holds_alternative<Answer>(a) &&
       std::get<Answer>(a).sw3 == static_cast<std::uint8_t>(SamStatus::bad_checksum));
  if (retry && fd_) a = exchange(frame);
  return a;
}

std::variant<IdRecord, ReadError> SamReader::read_card() {
  auto found = command(0x20, 0x01);
  if (auto* e = std::get_if<ReadError>(&found)) return *e;
  if (auto s = std::get<Answer>(found).sw3; s != static_cast<std::uint8_t>(SamStatus::card_found))
    return status_error(s, "find");
  auto selected = command(0x20, 0x02);
  if (auto* e = std::get_if<ReadError>(&selected)) return *e;
  if (auto s = std::get<Answer>(selected).sw3; s != static_cast<std::uint8_t>(SamStatus::ok))
    return status_error(s, "select");
  auto read = command(0x30, 0x01);
  if (auto* e = std::get_if<ReadError>(&read)) return *e;
  const auto& a = std::get<Answer>(read);
  if (a.sw3 != static_cast<std::uint8_t>(SamStatus::ok)) return status_error(a.sw3, "read");
  // Text length, photo length (big-endian), then the text and the photo.
  if (a.data.size() < 4) return ReadError{hal::DeviceError::io, a.sw3, "read: answer too short"};
  const std::size_t text_len = a.data[0] << 8 | a.data[1], photo_len = a.data[2] << 8 | a.data[3];
  if (text_len != kTextBytes || a.data.size() < 4 + text_len + photo_len)
    return ReadError{hal::DeviceError::io, a.sw3, "read: text or photo length not as announced"};
  auto record = parse_text_block(Bytes(a.data.begin() + 4, a.data.begin() + 4 + 256));
  if (!record)
    return ReadError{hal::DeviceError::implausible, a.sw3, "read: " + record.error().detail};
  record->photo_wlt.assign(a.data.begin() + 4 + 256, a.data.begin() + 4 + 256 + photo_len);
  return std::move(*record);
}

std::optional<ReadError> SamReader::probe() {
  auto a = command(0x11, 0xFF);
  if (auto* e = std::get_if<ReadError>(&a)) return *e;
  if (auto s = std::get<Answer>(a).sw3; s != static_cast<std::uint8_t>(SamStatus::ok))
    return status_error(s, "status check");
  return std::nullopt;
}

hal::DeviceResult<hal::CardTap> SamCardReader::poll() {
  auto r = reader_.read_card();
  if (auto* e = std::get_if<ReadError>(&r)) {
    if (e->error == hal::DeviceError::not_present) present_.clear();
    return e->error;
  }
  auto& rec = std::get<IdRecord>(r);
  if (rec.id_number == present_) return hal::DeviceError::not_present;  // still on the reader
  present_ = rec.id_number;
  hal::CardTap tap;
  tap.kind = hal::CardTap::Kind::resident_id_card;
  tap.id_number = rec.id_number;
  tap.id_valid_until = cst_day_end(rec.valid_until).value_or(0);  // 长期: 0
  return tap;
}

}  // namespace gk::idcard
