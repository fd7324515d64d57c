#include "wire/leadership_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fabnet::wire {
namespace {

std::string fmt_hex(unsigned char c) {
  static const char* digits = "0123456789abcdef";
  return {digits[c >> 4], digits[c & 0xf]};
}

std::string bytes(std::initializer_list<std::uint8_t> list) {
  return std::string(list.begin(), list.end());
}

// Worked out by hand from the protobuf encoding rules: key = (field << 3) | wire type,
// varints little-endian base 128, proto3 defaults (nonce 0) omitted, fields in order.
//
// inc_num 1700000000000000000 = 0x1797_9CFE_362A_0000 (hex of the decimal value).
// Split into 7-bit groups from the low end:
//   0x00 0x00 0x28 0x31 0x63 0x1f 0x67 0x4b 0x17
// and set the continuation bit on all but the last:
//   80 80 a8 b1 e3 9f e7 cb 17   (9 bytes)
const std::string kGolden =
    bytes({0x12, 0x09}) + "mychannel" +  // channel = 2, bytes, len 9
    bytes({0x18, 0x04}) +                // tag = 3, varint, CHAN_AND_ORG = 4
    bytes({0xa2, 0x01, 0x14}) +          // leadership_msg = 20 -> key 162 = a2 01, len 20
    bytes({0x0a, 0x02}) + "p1" +         //   pki_id = 1, len 2
    bytes({0x12, 0x0c}) +                //   timestamp = 2, len 12
    bytes({0x08, 0x80, 0x80, 0xa8, 0xb1, 0xe3, 0x9f, 0xe7, 0xcb, 0x17}) +  // inc_num = 1
    bytes({0x10, 0x07}) +                                                  //     seq_num = 2, 7
    bytes({0x18, 0x01});  //   is_declaration = 3, true

election::LeadershipMessage golden_message() {
  return {"p1", {1700000000000000000ULL, 7}, true};
}

TEST(LeadershipCodec, GoldenGroupsMatchTheDecimalValue) {
  // Re-check the hand-made varint: reassemble the 7-bit groups.
  const std::vector<std::uint8_t> varint = {0x80, 0x80, 0xa8, 0xb1, 0xe3, 0x9f, 0xe7, 0xcb, 0x17};
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < varint.size(); ++i)
    value |= std::uint64_t(varint[i] & 0x7f) << (7 * i);
  EXPECT_EQ(value, 1700000000000000000ULL);
  EXPECT_EQ(kGolden.size(), 36u);
}

TEST(LeadershipCodec, SerialisesToTheGoldenBytes) {
  const ::gossip::GossipMessage message = to_gossip_message(golden_message(), "mychannel");
  EXPECT_EQ(serialize(message), kGolden);
  EXPECT_EQ(message.SerializeAsString(), kGolden);
}

TEST(LeadershipCodec, ParsesTheGoldenBytesBack) {
  ::gossip::GossipMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(kGolden));
  EXPECT_EQ(parsed.nonce(), 0u);
  EXPECT_EQ(parsed.channel(), "mychannel");
  EXPECT_EQ(parsed.tag(), ::gossip::GossipMessage::CHAN_AND_ORG);
  ASSERT_TRUE(parsed.has_leadership_msg());
  const auto leadership = leadership_from(parsed);
  ASSERT_TRUE(leadership.has_value());
  EXPECT_EQ(leadership->pki_id, "p1");
  EXPECT_EQ(leadership->timestamp.inc_num, 1700000000000000000ULL);
  EXPECT_EQ(leadership->timestamp.seq_num, 7u);
  EXPECT_TRUE(leadership->is_declaration);
}

TEST(LeadershipCodec, ProposalOmitsTheFalseFlag) {
  election::LeadershipMessage proposal = golden_message();
  proposal.is_declaration = false;
  const std::string encoded = serialize(to_gossip_message(proposal, "mychannel"));
  // Same as the golden bytes without the trailing is_declaration field and with
  // both enclosing lengths two bytes shorter.
  std::string expected = kGolden.substr(0, kGolden.size() - 2);
  expected[15] = 0x12;  // leadership_msg length 20 -> 18
  EXPECT_EQ(encoded, expected);
}

TEST(LeadershipCodec, IdsWithZeroBytesSurviveTheRoundTrip) {
  election::LeadershipMessage message{std::string("\x00\x01\x00", 3), {5, 9}, false};
  ::gossip::GossipMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(serialize(to_gossip_message(message, "c"))));
  ASSERT_TRUE(leadership_from(parsed).has_value());
  EXPECT_EQ(leadership_from(parsed)->pki_id, message.pki_id);
}

TEST(LeadershipCodec, RejectsMessagesWithoutLeadershipContentOrPkiId) {
  ::gossip::GossipMessage alive;
  alive.mutable_alive_msg();
  EXPECT_FALSE(leadership_from(alive).has_value());
  ::gossip::GossipMessage anonymous = to_gossip_message({"", {1, 1}, true}, "c");
  EXPECT_FALSE(leadership_from(anonymous).has_value());
}

TEST(LeadershipCodec, MatchesFabricCompatibilityVector) {
  // gossip/protoext/compatibility_test.go in Fabric (protocol.md §2.1).
  ::gossip::GossipMessage message;
  message.set_channel("mychannel");
  auto* digest = message.mutable_data_dig();
  for (const char* d : {"\xff", "\xff\xff", "\xff\xff\xff", "\xff\xff\xff\xff", "100"})
    digest->add_digests(d);
  const std::string expected_hex =
      "12096d796368616e6e656c52171201ff1202ffff1203ffffff1204ffffffff1203313030";
  std::string hex;
  for (unsigned char c : serialize(message)) hex += fmt_hex(c);
  EXPECT_EQ(hex, expected_hex);
}

}  // namespace
}  // namespace fabnet::wire
