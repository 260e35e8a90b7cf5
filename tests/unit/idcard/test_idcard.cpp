// The certified ID-card reader: frames, the text block, the module model.
#include <catch2/catch.hpp>

#include "gk/idcard/id_record.hpp"
#include "gk/idcard/sam_frame.hpp"
#include "module.hpp"

using namespace gk::idcard;

namespace {
IdRecord zhang() {
  IdRecord r;
  r.name = "张三丰";
  r.gender_code = "1";
  r.ethnic_code = "01";
  r.birth = "19900305";
  r.address = "河南省郑州市金水区花园路88号院3号楼";
  r.id_number = "410105199003051234";
  r.authority = "郑州市公安局金水分局";
  r.valid_from = "20150601";
  r.valid_until = "20350601";
  return r;
}

std::optional<Decoded> decode_all(const Bytes& wire) {
  FrameDecoder d;
  std::optional<Decoded> last;
  for (auto b : wire)
    if (auto f = d.feed(b)) last = f;
  return last;
}
}  // namespace

TEST_CASE("SAM frames: the published find-card frame, checksums, noise and half frames",
          "[idcard]") {
  // 寻找证/卡 as the module's documentation writes it.
  CHECK(encode_frame({0x20, 0x01}) ==
        Bytes{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22});
  CHECK(encode_frame({0x30, 0x01}).back() == 0x32);
  auto f = encode_frame({0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00});
  CHECK(f == Bytes{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0x00, 0x00, 0x00,
                   0x00, 0x97});
  Bytes wire{0x13, 0xAA, 0x00, 0xAA};    // noise
  Bytes half(f.begin(), f.begin() + 8);  // a frame cut off, then a whole one
  wire.insert(wire.end(), half.begin(), half.end());
  FrameDecoder d;
  std::optional<Decoded> got;
  for (auto b : wire) got = d.feed(b);
  CHECK_FALSE(got);
  d.reset();
  for (auto b : f) got = d.feed(b);
  REQUIRE(got);
  CHECK(got->kind == Decoded::Kind::frame);
  CHECK(got->body == Bytes{0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00});
  Bytes bad = f;
  bad.back() ^= 1;
  CHECK(decode_all(bad)->kind == Decoded::Kind::bad_checksum);
  Bytes four_aa{0xAA};
  four_aa.insert(four_aa.end(), f.begin(), f.end());  // AA AA AA AA 96 69: still in sync
  CHECK(decode_all(four_aa)->kind == Decoded::Kind::frame);
  CHECK(decode_all({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF})->kind == Decoded::Kind::too_long);
}

TEST_CASE("text block: UCS-2 fields round-trip, checks, derived fields", "[idcard]") {
  const IdRecord r = zhang();
  const auto block = encode_text_block(r);
  REQUIRE(block.size() == kTextBytes);
  CHECK(block[0] == 0x20);  // 张 U+5F20, little-endian
  CHECK(block[1] == 0x5F);
  auto back = parse_text_block(block);
  REQUIRE(back);
  CHECK(back->name == r.name);
  CHECK(back->address == r.address);
  CHECK(back->id_number == r.id_number);
  CHECK(back->valid_until == r.valid_until);
  CHECK(back->gender() == "男");
  CHECK(back->district() == "河南省郑州市金水区");
  CHECK(back->age_on("20260304") == 35);
  CHECK(back->age_on("20260305") == 36);
  CHECK_FALSE(back->expired_on("20350601"));
  CHECK(back->expired_on("20350602"));
  IdRecord forever = r;
  forever.valid_until = "长期";
  CHECK_FALSE(parse_text_block(encode_text_block(forever))->expired_on("29991231"));
  IdRecord county = r;
  county.address = "河南省周口市郸城县城关镇";
  CHECK(county.district() == "河南省周口市郸城县");
  county.address = "广西壮族自治区南宁市青秀区民族大道1号";
  CHECK(county.district() == "广西壮族自治区南宁市青秀区");
  county.address = "北京市朝阳区建国路1号";
  CHECK(county.district() == "北京市朝阳区");
  county.address = "河南省郑州市新郑市中华路2号";
  CHECK(county.district() == "河南省郑州市新郑市");
  IdRecord bad = r;
  bad.id_number = "41010519900305123";  // 17 characters
  CHECK_FALSE(parse_text_block(encode_text_block(bad)));
  bad = r;
  bad.valid_until = "2035";
  CHECK_FALSE(parse_text_block(encode_text_block(bad)));
  CHECK_FALSE(parse_text_block(Bytes(100)));
  CHECK(cst_date(0) == "19700101");
  CHECK(cst_day_end("19700101") == 16 * 3600);  // midnight CST is 16:00 UTC the day before
  CHECK(cst_day_end("20350601") == 2064326400);
  CHECK(cst_date(*cst_day_end("20350601") - 1) == "20350601");
  CHECK(cst_date(*cst_day_end("20350601")) == "20350602");
  CHECK_FALSE(cst_day_end("长期"));
  CHECK_FALSE(cst_day_end("20351301"));
  CHECK(cst_date(1'700'000'000) == "20231115");  // 2023-11-14 22:13 UTC = 11-15 06:13 CST
}

TEST_CASE("module: find, select, read; failures as statuses; faults", "[idcard]") {
  idreader::Module m;
  auto ask = [&](Bytes body) {
    auto d = decode_all(m.on_request(body).frame);
    REQUIRE(d);
    return d->body;
  };
  CHECK(ask({0x20, 0x01}) == Bytes{0x00, 0x00, 0x80});  // no card
  IdRecord r = zhang();
  r.photo_wlt.assign(kPhotoBytes, 0x5A);
  m.place(r);
  CHECK(ask({0x30, 0x01}) == Bytes{0x00, 0x00, 0x41});  // read before select
  CHECK(ask({0x20, 0x02}) == Bytes{0x00, 0x00, 0x81});  // select before find
  CHECK(ask({0x20, 0x01})[2] == 0x9F);
  CHECK(ask({0x20, 0x02})[2] == 0x90);
  auto text = ask({0x30, 0x01});
  REQUIRE(text.size() == 3 + 4 + 256 + 1024);
  CHECK(text[2] == 0x90);
  CHECK(parse_text_block(Bytes(text.begin() + 7, text.begin() + 7 + 256))->id_number ==
        r.id_number);
  CHECK(ask({0x11, 0xFF}) == Bytes{0x00, 0x00, 0x90});
  CHECK(ask({0x99, 0x00}) == Bytes{0x00, 0x00, 0x21});
  CHECK(decode_all(m.on_request(std::nullopt).frame)->body == Bytes{0x00, 0x00, 0x10});
  for (std::uint8_t status : {0x41, 0x31, 0x32}) {
    m.faults.status = status;
    m.faults.status_count = 1;
    ask({0x20, 0x01});
    ask({0x20, 0x02});
    CHECK(ask({0x30, 0x01}) == Bytes{0x00, 0x00, status});
  }
  m.faults.bad_checksums = 1;
  CHECK(decode_all(m.on_request(Bytes{0x11, 0xFF}).frame)->kind == Decoded::Kind::bad_checksum);
  m.faults.partial = 1;
  CHECK_FALSE(decode_all(m.on_request(Bytes{0x11, 0xFF}).frame));
  m.faults.slow_ms = 700;
  CHECK(m.on_request(Bytes{0x11, 0xFF}).delay_ms == 700);
  m.remove();
  CHECK(ask({0x20, 0x01}) == Bytes{0x00, 0x00, 0x80});
}
