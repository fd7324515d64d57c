#include "sim/sim_crypto.h"

#include <gtest/gtest.h>

#include "election/message.h"

namespace fabnet::sim {
namespace {

TEST(SimCryptoTest, PkiIdIsThePeerNameSoIdsSortByName) {
  const SimCrypto a("Org1MSP", "peer0.org1");
  const SimCrypto b("Org1MSP", "peer1.org1");
  EXPECT_EQ(a.pki_id_of(a.identity()), "peer0.org1");
  EXPECT_EQ(a.org_of(b.identity()), "Org1MSP");
  EXPECT_TRUE(election::id_less(*a.pki_id_of(a.identity()), *a.pki_id_of(b.identity())));
}

TEST(SimCryptoTest, SignatureVerifiesOnlyForItsSignerAndPayload) {
  const SimCrypto a("Org1MSP", "peer0.org1");
  const SimCrypto b("Org1MSP", "peer1.org1");
  const std::string signature = a.sign("payload");
  EXPECT_TRUE(b.verify(a.identity(), "payload", signature));
  EXPECT_FALSE(b.verify(b.identity(), "payload", signature));
  EXPECT_FALSE(b.verify(a.identity(), "payload!", signature));
  EXPECT_FALSE(b.verify(a.identity(), "payload", ""));
}

TEST(SimCryptoTest, MalformedIdentityIsRejected) {
  const SimCrypto a("Org1MSP", "peer0.org1");
  EXPECT_EQ(a.pki_id_of("\xff\xff garbage"), std::nullopt);
  EXPECT_EQ(a.org_of(""), std::nullopt);
  EXPECT_FALSE(a.verify("", "payload", a.sign("payload")));
}

}  // namespace
}  // namespace fabnet::sim
