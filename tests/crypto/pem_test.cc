#include "crypto/pem.h"

#include <gtest/gtest.h>

namespace fabnet::crypto {
namespace {

TEST(Pem, EncodeThenDecodeGivesBackTypeAndBytes) {
  std::string bytes;
  for (int i = 0; i < 200; ++i) bytes.push_back(static_cast<char>(i * 7));
  const auto block = decode_pem(encode_pem("CERTIFICATE", bytes));
  ASSERT_TRUE(block);
  EXPECT_EQ(block->type, "CERTIFICATE");
  EXPECT_EQ(block->bytes, bytes);
  EXPECT_TRUE(block->rest.empty());
}

TEST(Pem, EncodeWrapsBase64At64ColumnsLikeGo) {
  const std::string pem = encode_pem("X", std::string(48 + 3, 'a'));
  EXPECT_EQ(pem,
            "-----BEGIN X-----\n"
            "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh\n"
            "YWFh\n"
            "-----END X-----\n");
}

TEST(Pem, PaddingIsDecoded) {
  for (std::string_view bytes : {"a", "ab", "abc", "abcd"}) {
    const auto block = decode_pem(encode_pem("T", bytes));
    ASSERT_TRUE(block) << bytes;
    EXPECT_EQ(block->bytes, bytes);
  }
}

TEST(Pem, TextBeforeTheBeginLineIsSkippedAsGoDoes) {
  const auto block = decode_pem("some notes\n" + encode_pem("T", "abc"));
  ASSERT_TRUE(block);
  EXPECT_EQ(block->bytes, "abc");
}

TEST(Pem, BytesAfterTheEndLineAreReturnedAsRest) {
  const std::string text = encode_pem("T", "abc") + "\ntrailer";
  const auto block = decode_pem(text);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->rest, "\ntrailer");
}

TEST(Pem, EndLineWithoutNewlineLeavesNoRest) {
  std::string text = encode_pem("T", "abc");
  text.pop_back();
  const auto block = decode_pem(text);
  ASSERT_TRUE(block);
  EXPECT_TRUE(block->rest.empty());
}

TEST(Pem, CrlfLineEndingsAreAccepted) {
  const auto block = decode_pem("-----BEGIN T-----\r\nYWJj\r\n-----END T-----\r\n");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->bytes, "abc");
  EXPECT_TRUE(block->rest.empty());
}

TEST(Pem, EmptyTypeIsAllowed) {
  const auto block = decode_pem("-----BEGIN -----\nYWJj\n-----END -----\n");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->type, "");
  EXPECT_EQ(block->bytes, "abc");
}

TEST(Pem, MismatchedEndTypeIsNoBlock) {
  EXPECT_FALSE(decode_pem("-----BEGIN A-----\nYWJj\n-----END B-----\n"));
}

TEST(Pem, InvalidBase64IsNoBlock) {
  EXPECT_FALSE(decode_pem("-----BEGIN T-----\nYW*j\n-----END T-----\n"));
  EXPECT_FALSE(decode_pem("-----BEGIN T-----\nYWJ\n-----END T-----\n"));
  EXPECT_FALSE(decode_pem("-----BEGIN T-----\nYQ==YWJj\n-----END T-----\n"));
}

TEST(Pem, TextWithoutBlockIsNoBlock) {
  EXPECT_FALSE(decode_pem(""));
  EXPECT_FALSE(decode_pem("hello"));
  EXPECT_FALSE(decode_pem("-----BEGIN T-----\nYWJj\n"));
}

}  // namespace
}  // namespace fabnet::crypto
