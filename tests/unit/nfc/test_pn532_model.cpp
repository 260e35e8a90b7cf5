// The PN532 emulator's model, without a pseudo-terminal: frames, chip commands, tag memory.
#include <catch2/catch.hpp>

#include "chip.hpp"

using namespace pn532;

namespace {
Bytes ntag215() {
  Bytes m(540, 0);
  set_uid(m, {0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06});
  m[12] = 0xE1;
  m[13] = 0x10;
  m[14] = 0x3E;
  return m;
}

std::optional<Decoded> decode_all(const Bytes& wire) {
  FrameDecoder d;
  std::optional<Decoded> last;
  for (auto b : wire)
    if (auto f = d.feed(b)) last = f;
  return last;
}
}  // namespace

TEST_CASE("frames: encode, decode after a wake-up preamble, ACK, NACK, bad checksums",
          "[nfc][pn532]") {
  Bytes wire{0x55, 0x55, 0x00, 0x00, 0x00};
  Bytes f = encode_frame({0xD4, 0x02});
  CHECK(f == Bytes{0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00});
  wire.insert(wire.end(), f.begin(), f.end());
  auto d = decode_all(wire);
  REQUIRE(d);
  CHECK(d->kind == Decoded::Kind::information);
  CHECK(d->body == Bytes{0xD4, 0x02});
  CHECK(decode_all(kAck)->kind == Decoded::Kind::ack);
  CHECK(decode_all(kNack)->kind == Decoded::Kind::nack);
  Bytes bad = f;
  bad[7] ^= 1;  // DCS
  CHECK(decode_all(bad)->kind == Decoded::Kind::bad_checksum);
  bad = f;
  bad[4] ^= 1;  // LCS
  CHECK(decode_all(bad)->kind == Decoded::Kind::bad_checksum);
}

TEST_CASE("chip: firmware version, registers, a listed target, reads", "[nfc][pn532]") {
  Chip chip;
  auto body = [&](Bytes cmd) {
    Reply r = chip.on_frame(cmd);
    auto d = decode_all(r.response);
    REQUIRE(d);
    return d->body;
  };
  CHECK(body({0xD4, 0x02}) == Bytes{0xD5, 0x03, 0x32, 0x01, 0x06, 0x07});
  CHECK(body({0xD4, 0x00, 0x00, 'l', 'i', 'b'}) == Bytes{0xD5, 0x01, 0x00, 'l', 'i', 'b'});
  body({0xD4, 0x08, 0x63, 0x05, 0x42});
  CHECK(body({0xD4, 0x06, 0x63, 0x05}) == Bytes{0xD5, 0x07, 0x42});
  CHECK(body({0xD4, 0x4A, 0x01, 0x00}) == Bytes{0xD5, 0x4B, 0x00});  // no card
  std::string err;
  chip.place(*Tag::from_dump(ntag215(), &err));
  CHECK(body({0xD4, 0x4A, 0x01, 0x00}) == Bytes{0xD5, 0x4B, 0x01, 0x01, 0x00, 0x44, 0x00, 0x07,
                                                0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06});
  auto read = body({0xD4, 0x40, 0x01, 0x30, 0x03});
  REQUIRE(read.size() == 3 + 16);
  CHECK(read[2] == 0x00);
  CHECK(read[3] == 0xE1);
  CHECK(body({0xD4, 0x40, 0x01, 0x60}) ==
        Bytes{0xD5, 0x41, 0x00, 0x00, 0x04, 0x04, 0x02, 0x01, 0x00, 0x11, 0x03});
}

TEST_CASE("chip: InCommunicateThru checks and adds CRC_A when the CIU does not", "[nfc][pn532]") {
  Chip chip;
  std::string err;
  chip.place(*Tag::from_dump(ntag215(), &err));
  chip.on_frame({0xD4, 0x4A, 0x01, 0x00});
  chip.on_frame({0xD4, 0x08, 0x63, 0x02, 0x00, 0x63, 0x03, 0x00});  // CRC off both ways
  Bytes cmd{0x30, 0x04};
  auto crc = crc_a(cmd.data(), cmd.size());
  Bytes frame{0xD4, 0x42, 0x30, 0x04, crc[0], crc[1]};
  auto d = decode_all(chip.on_frame(frame).response);
  REQUIRE(d);
  REQUIRE(d->body.size() == 3 + 16 + 2);
  auto rcrc = crc_a(d->body.data() + 3, 16);
  CHECK(d->body[19] == rcrc[0]);
  CHECK(d->body[20] == rcrc[1]);
  frame[5] ^= 1;  // a corrupted CRC is a CRC error (status 0x02)
  CHECK(decode_all(chip.on_frame(frame).response)->body[2] == 0x02);
}

TEST_CASE("tag: writes, OTP bits, wrap-around reads, PWD reads as zeros", "[nfc][pn532]") {
  std::string err;
  Tag t = *Tag::from_dump(ntag215(), &err);
  CHECK(t.command({0xA2, 0x04, 1, 2, 3, 4}) == Bytes{});
  CHECK((*t.command({0x30, 0x04}))[0] == 1);
  CHECK_FALSE(t.command({0xA2, 0x00, 9, 9, 9, 9}));  // UID pages are read-only
  t.command({0xA2, 0x03, 0x00, 0x00, 0x00, 0x0F});   // CC bits can only be set
  CHECK((*t.command({0x30, 0x03}))[0] == 0xE1);
  auto last = *t.command({0x30, 134});  // wraps to pages 0-2
  CHECK(last[4] == 0x04);
  CHECK(last[0] == 0x00);  // PACK page reads zero
  CHECK_FALSE(Tag::from_dump(Bytes(100), &err));
  CHECK(err.find("expected") != std::string::npos);
}

TEST_CASE("faults: lost ACK, bad checksum, card gone mid-read", "[nfc][pn532]") {
  Chip chip;
  std::string err;
  chip.place(*Tag::from_dump(ntag215(), &err));
  chip.faults.lost_acks = 1;
  Reply r = chip.on_frame({0xD4, 0x02});
  CHECK_FALSE(r.send_ack);
  CHECK(r.response.empty());
  chip.faults.bad_checksums = 1;
  CHECK(decode_all(chip.on_frame({0xD4, 0x02}).response)->kind == Decoded::Kind::bad_checksum);
  CHECK(decode_all(chip.on_nack())->kind == Decoded::Kind::bad_checksum);  // resent as is
  chip.on_frame({0xD4, 0x4A, 0x01, 0x00});
  chip.faults.card_gone_after = 1;
  CHECK(decode_all(chip.on_frame({0xD4, 0x40, 0x01, 0x30, 0x04}).response)->body[2] == 0x00);
  CHECK(decode_all(chip.on_frame({0xD4, 0x40, 0x01, 0x30, 0x08}).response)->body[2] == 0x01);
  CHECK_FALSE(chip.tag());
}

TEST_CASE("ID card: ATQB with PUPI 00000000, ATTRIB answer 08, serial by APDU 00 36",
          "[nfc][pn532][idcard]") {
  Chip chip;
  auto body = [&](Bytes cmd) {
    auto d = decode_all(chip.on_frame(cmd).response);
    REQUIRE(d);
    return d->body;
  };
  std::string err;
  auto card = IdCard::from_hex("0123456789abcdef", &err);
  REQUIRE(card);
  CHECK_FALSE(IdCard::from_hex("0123", &err));
  CHECK_FALSE(IdCard::from_hex("0123456789abcdeg", &err));
  chip.place(*card);
  CHECK(body({0xD4, 0x4A, 0x01, 0x00}) == Bytes{0xD5, 0x4B, 0x00});  // not a type A card
  // BrTy 03 (106 kbps type B), AFI 00: Tg, ATQB, ATTRIB_RES length 1, ATTRIB_RES 08.
  CHECK(body({0xD4, 0x4A, 0x01, 0x03, 0x00}) == Bytes{0xD5, 0x4B, 0x01, 0x01, 0x50, 0x00, 0x00,
                                                      0x00, 0x00, 0xD1, 0x03, 0x86, 0x0C, 0x00,
                                                      0x80, 0x80, 0x01, 0x08});
  CHECK(body({0xD4, 0x40, 0x01, 0x00, 0x36, 0x00, 0x00, 0x08}) ==
        Bytes{0xD5, 0x41, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x90, 0x00});
  // What it refuses without a SAM.
  CHECK(body({0xD4, 0x40, 0x01, 0x00, 0x36, 0x00, 0x00, 0x10}) ==
        Bytes{0xD5, 0x41, 0x00, 0x6C, 0x08});
  CHECK(body({0xD4, 0x40, 0x01, 0x00, 0xB0, 0x00, 0x00, 0x10}) ==
        Bytes{0xD5, 0x41, 0x00, 0x69, 0x82});
  CHECK(body({0xD4, 0x40, 0x01, 0x00, 0x82, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8}) ==
        Bytes{0xD5, 0x41, 0x00, 0x69, 0x85});
  auto ch = body({0xD4, 0x40, 0x01, 0x00, 0x84, 0x00, 0x00, 0x08});
  REQUIRE(ch.size() == 3 + 8 + 2);
  CHECK(ch[11] == 0x90);
  CHECK(body({0xD4, 0x40, 0x01, 0x00, 0x82, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8}) ==
        Bytes{0xD5, 0x41, 0x00, 0x63, 0x00});
  CHECK(body({0xD4, 0x40, 0x01, 0x80, 0x36, 0x00, 0x00, 0x08}) ==
        Bytes{0xD5, 0x41, 0x00, 0x6E, 0x00});
  CHECK(body({0xD4, 0x40, 0x01, 0x00, 0xCA, 0x00, 0x00, 0x08}) ==
        Bytes{0xD5, 0x41, 0x00, 0x6D, 0x00});
  // Deselected, the card halts: REQB is not answered until the field drops.
  CHECK(body({0xD4, 0x44, 0x01}) == Bytes{0xD5, 0x45, 0x00});
  CHECK(body({0xD4, 0x4A, 0x01, 0x03, 0x00}) == Bytes{0xD5, 0x4B, 0x00});
  CHECK(body({0xD4, 0x40, 0x01, 0x00, 0x36, 0x00, 0x00, 0x08}) == Bytes{0xD5, 0x41, 0x01});
  body({0xD4, 0x32, 0x01, 0x00});  // RF field off
  body({0xD4, 0x32, 0x01, 0x01});
  CHECK(body({0xD4, 0x4A, 0x01, 0x03, 0x00}).size() == 18);
  // Another application family is not answered; the card leaves with remove().
  body({0xD4, 0x32, 0x01, 0x00});
  CHECK(body({0xD4, 0x4A, 0x01, 0x03, 0x21}) == Bytes{0xD5, 0x4B, 0x00});
  chip.remove();
  CHECK_FALSE(chip.id_card());
  CHECK(body({0xD4, 0x4A, 0x01, 0x03, 0x00}) == Bytes{0xD5, 0x4B, 0x00});
}

TEST_CASE("ID card: gone mid-read is a timeout; a type A tag replaces it", "[nfc][pn532][idcard]") {
  Chip chip;
  std::string err;
  chip.place(*IdCard::from_hex("0123456789abcdef", &err));
  chip.on_frame({0xD4, 0x4A, 0x01, 0x03, 0x00});
  chip.faults.card_gone_after = 0;
  CHECK(
      decode_all(chip.on_frame({0xD4, 0x40, 0x01, 0x00, 0x36, 0x00, 0x00, 0x08}).response)->body ==
      Bytes{0xD5, 0x41, 0x01});
  chip.place(*IdCard::from_hex("0123456789abcdef", &err));
  chip.place(*Tag::from_dump(ntag215(), &err));
  CHECK_FALSE(chip.id_card());
  CHECK(decode_all(chip.on_frame({0xD4, 0x4A, 0x01, 0x03, 0x00}).response)->body ==
        Bytes{0xD5, 0x4B, 0x00});
}
