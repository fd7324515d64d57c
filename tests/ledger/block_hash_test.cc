#include "ledger/block_hash.h"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>

#include <cstdint>
#include <limits>
#include <string>

namespace fabnet::ledger {
namespace {

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned value : values) out.push_back(static_cast<char>(value));
  return out;
}

common::BlockHeader header_of(std::uint64_t number, std::string previous, std::string data) {
  common::BlockHeader header;
  header.set_number(number);
  header.set_previous_hash(std::move(previous));
  header.set_data_hash(std::move(data));
  return header;
}

// The same DER built with OpenSSL's ASN.1 primitives, independently of header_der().
std::string openssl_header_der(const common::BlockHeader& header) {
  ASN1_INTEGER* number = ASN1_INTEGER_new();
  ASN1_INTEGER_set_uint64(number, header.number());
  ASN1_OCTET_STRING* previous = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(previous,
                        reinterpret_cast<const unsigned char*>(header.previous_hash().data()),
                        static_cast<int>(header.previous_hash().size()));
  ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(header.data_hash().data()),
                        static_cast<int>(header.data_hash().size()));
  const int body_length = i2d_ASN1_INTEGER(number, nullptr) +
                          i2d_ASN1_OCTET_STRING(previous, nullptr) +
                          i2d_ASN1_OCTET_STRING(data, nullptr);
  std::string out(static_cast<std::size_t>(ASN1_object_size(1, body_length, V_ASN1_SEQUENCE)),
                  '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(out.data());
  ASN1_put_object(&cursor, 1, body_length, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  i2d_ASN1_INTEGER(number, &cursor);
  i2d_ASN1_OCTET_STRING(previous, &cursor);
  i2d_ASN1_OCTET_STRING(data, &cursor);
  ASN1_INTEGER_free(number);
  ASN1_OCTET_STRING_free(previous);
  ASN1_OCTET_STRING_free(data);
  return out;
}

std::string openssl_sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

TEST(BlockHashTest, GenesisHeaderDerMatchesHandEncoding) {
  // SEQUENCE(7) { INTEGER(1) 0, OCTET STRING(0), OCTET STRING(0) }
  EXPECT_EQ(header_der(header_of(0, "", "")),
            bytes({0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00}));
}

TEST(BlockHashTest, IntegerWithTopBitSetGetsLeadingZero) {
  EXPECT_EQ(header_der(header_of(127, "", "")),
            bytes({0x30, 0x07, 0x02, 0x01, 0x7f, 0x04, 0x00, 0x04, 0x00}));
  EXPECT_EQ(header_der(header_of(128, "", "")),
            bytes({0x30, 0x08, 0x02, 0x02, 0x00, 0x80, 0x04, 0x00, 0x04, 0x00}));
  EXPECT_EQ(header_der(header_of(256, "", "")),
            bytes({0x30, 0x08, 0x02, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00}));
  EXPECT_EQ(header_der(header_of(std::numeric_limits<std::uint64_t>::max(), "", "")),
            bytes({0x30, 0x0f, 0x02, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                   0x04, 0x00, 0x04, 0x00}));
}

TEST(BlockHashTest, HashesAreOctetStrings) {
  EXPECT_EQ(header_der(header_of(1, "ab", "c")),
            bytes({0x30, 0x0a, 0x02, 0x01, 0x01, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c'}));
}

TEST(BlockHashTest, HeaderHashOfGenesisIsSha256OfItsDer) {
  // SHA-256(30 07 02 01 00 04 00 04 00), computed independently with OpenSSL.
  const auto expected =
      openssl_sha256(bytes({0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00}));
  EXPECT_EQ(header_hash(header_of(0, "", "")), expected);
  EXPECT_EQ(header_hash(header_of(0, "", "")).size(), 32u);
}

TEST(BlockHashTest, DerAgreesWithOpenSslAsn1Encoder) {
  const std::uint64_t numbers[] = {
      0,          1,          127,        128,
      255,        256,        32767,      32768,
      65535,      1u << 24,   0x7fffffff, 0x80000000,
      0xffffffff, 1ull << 40, 1ull << 63, std::numeric_limits<std::uint64_t>::max()};
  // Lengths across DER's short form (< 128) and its one- and two-byte long forms.
  const std::size_t lengths[] = {0, 32, 127, 128, 255, 256, 300};
  for (std::uint64_t number : numbers) {
    for (std::size_t length : lengths) {
      const auto header = header_of(number, std::string(length, 'p'), std::string(32, 'd'));
      ASSERT_EQ(header_der(header), openssl_header_der(header))
          << "number " << number << " previous_hash length " << length;
    }
  }
}

TEST(BlockHashTest, DataHashIsSha256OfConcatenatedEntries) {
  common::BlockData data;
  EXPECT_EQ(data_hash(data), openssl_sha256(""));
  data.add_data("first");
  data.add_data("");
  data.add_data("second");
  EXPECT_EQ(data_hash(data), openssl_sha256("firstsecond"));
}

}  // namespace
}  // namespace fabnet::ledger
