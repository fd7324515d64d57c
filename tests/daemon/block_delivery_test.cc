// BlockDelivery's per-channel orderer (a channel joined from its config block pulls
// from the block's ordering service) and the block signers a config block admits.

#include "daemon/block_delivery.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "../deliver/fake_orderer.h"
#include "../deliver/test_chain.h"
#include "crypto/generate.h"
#include "crypto/identity.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::daemon {
namespace {

namespace fs = std::filesystem;
using deliver::testing::ChainMaker;
using deliver::testing::FakeOrderer;
using deliver::testing::TagCrypto;
using namespace std::chrono_literals;

class BlockDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fabnet-block-delivery-" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    for (int i = 0; i < 3; ++i) {
      const std::string block = chain_.next();
      first_.add_block(block);
      second_.add_block(block);
    }
  }
  void TearDown() override {
    delivery_.reset();
    fs::remove_all(dir_);
  }

  ChannelOrderer orderer(FakeOrderer& connector, const std::string& endpoint,
                         const std::string& msp_id = "OrdererMSP") {
    ChannelOrderer o;
    o.endpoints = {endpoint};
    o.msp_ids = {msp_id};
    o.identity_check = [](std::string_view) { return true; };
    o.connector = &connector;
    o.source = "test";
    return o;
  }

  void make_delivery(std::optional<ChannelOrderer> default_orderer) {
    BlockDeliverySettings s;
    s.ledgers_root = dir_;
    s.identity = crypto_.identity();
    delivery_ = std::make_unique<BlockDelivery>(
        s, scheduler_, crypto_, std::move(default_orderer), [](const std::string&) {},
        [](std::string_view) {}, [](std::string_view) {});
  }

  fs::path dir_;
  runtime::VirtualScheduler scheduler_;
  TagCrypto crypto_{deliver::testing::make_identity("Org1MSP", "peer0")};
  ChainMaker chain_;
  FakeOrderer first_{scheduler_};
  FakeOrderer second_{scheduler_};
  std::unique_ptr<BlockDelivery> delivery_;
};

TEST_F(BlockDeliveryTest, AChannelWithoutAnyOrdererHasNoLedgerAndNoStatus) {
  make_delivery(std::nullopt);
  EXPECT_EQ(delivery_->ledger_for("mychannel"), nullptr);
  EXPECT_EQ(delivery_->orderer_of("mychannel"), nullptr);
  delivery_->on_leadership("mychannel", true);  // nothing to start
  EXPECT_TRUE(delivery_->status("mychannel").empty());
  EXPECT_TRUE(first_.seeks().empty());
}

TEST_F(BlockDeliveryTest, AChannelPullsFromItsOwnOrdererElseFromTheDefault) {
  make_delivery(orderer(first_, "default:7050"));
  delivery_->set_orderer("mychannel", orderer(second_, "block:7050"));
  delivery_->on_leadership("other", true);
  delivery_->on_leadership("mychannel", true);
  scheduler_.run_for(100ms);
  ASSERT_EQ(first_.seeks().size(), 1u);
  EXPECT_EQ(first_.seeks()[0].endpoint, "default:7050");
  EXPECT_EQ(first_.seeks()[0].channel_header.channel_id(), "other");
  ASSERT_EQ(second_.seeks().size(), 1u);
  EXPECT_EQ(second_.seeks()[0].endpoint, "block:7050");
  EXPECT_EQ(second_.seeks()[0].channel_header.channel_id(), "mychannel");
  EXPECT_EQ(delivery_->status("mychannel")["height"], 3);
}

TEST_F(BlockDeliveryTest, ANewOrdererReplacesTheRunningClientWithoutTwoAtOnce) {
  make_delivery(std::nullopt);
  delivery_->set_orderer("mychannel", orderer(first_, "first:7050"));
  delivery_->on_leadership("mychannel", true);
  scheduler_.run_for(100ms);
  ASSERT_EQ(delivery_->ledger_for("mychannel")->chain().height(), 3u);
  ASSERT_EQ(first_.open_streams(), 1u);

  const std::string block = chain_.next();
  first_.add_block(block);
  second_.add_block(block);
  scheduler_.run_for(100ms);  // block 3 arrives from the first orderer
  delivery_->set_orderer("mychannel", orderer(second_, "second:7050"));
  EXPECT_EQ(first_.open_streams(), 0u);  // closed before the new client dialled
  scheduler_.run_for(100ms);
  EXPECT_EQ(second_.open_streams(), 1u);
  ASSERT_EQ(second_.seeks().size(), 1u);
  EXPECT_EQ(second_.seeks()[0].start, 4u);  // from the height reached
  EXPECT_EQ(delivery_->status("mychannel")["deliver_running"], true);

  // Not leading: a new orderer is only recorded, nothing dials.
  delivery_->on_leadership("mychannel", false);
  EXPECT_EQ(second_.open_streams(), 0u);
  delivery_->set_orderer("mychannel", orderer(first_, "first:7050"));
  scheduler_.run_for(100ms);
  EXPECT_EQ(first_.seeks().size(), 1u);
  EXPECT_EQ(delivery_->status("mychannel")["deliver_running"], false);
}

TEST_F(BlockDeliveryTest, BlocksAreVerifiedAgainstTheChannelsOwnOrdererOrgs) {
  make_delivery(std::nullopt);
  // The chain is signed by OrdererMSP; this channel's block names another orderer org.
  delivery_->set_orderer("mychannel", orderer(first_, "first:7050", "OtherOrdererMSP"));
  delivery_->on_leadership("mychannel", true);
  scheduler_.run_for(100ms);
  EXPECT_EQ(delivery_->ledger_for("mychannel")->chain().height(), 0u);
  EXPECT_FALSE(delivery_->status("mychannel")["blocks_refused"].empty());
}

// block_signer_orgs: the validator a joined block's orderer orgs make.
class BlockSignerTest : public ::testing::Test {
 protected:
  static crypto::IssuedCertificate ca(const std::string& domain) {
    return crypto::make_certificate_authority("ca." + domain, domain, now() - 1h);
  }
  static std::chrono::system_clock::time_point now() { return std::chrono::system_clock::now(); }
  static std::string identity(const crypto::IssuedCertificate& issuer, const std::string& msp_id,
                              const std::string& ou) {
    crypto::CertificateRequest request;
    request.common_name = "node." + msp_id;
    request.organizational_units = {ou};
    request.not_before = now() - 1h;
    request.not_after = now() + 24h;
    request.tls = false;
    return crypto::serialize_identity(msp_id,
                                      crypto::issue_certificate(issuer, request).certificate_pem);
  }
  static config::BlockOrdererOrg org(const std::string& msp_id,
                                     const crypto::IssuedCertificate& issuer,
                                     std::optional<config::BlockNodeOus> node_ous) {
    config::BlockOrdererOrg o;
    o.msp.msp_id = msp_id;
    o.msp.root_certs_pem = issuer.certificate_pem;
    o.msp.node_ous = node_ous;
    o.endpoints = {"orderer:7050"};
    return o;
  }
  static bool signs(const crypto::IdentityValidator& v, const std::string& identity) {
    return v.validate(identity, now(), crypto::kBlockSignerRoles).ok();
  }
};

TEST_F(BlockSignerTest, OrderersOfTheBlocksOrdererOrgsSignAndNoOneElse) {
  const auto orderer_ca = ca("example.com");
  const auto second_ca = ca("second.com");
  const auto foreign_ca = ca("foreign.com");
  config::BlockNodeOus ous;
  ous.enable = true;
  ous.orderer_ou = "ordering";  // a block may rename the role OUs
  config::ChannelConfig block;
  block.orderer_orgs = {org("OrdererMSP", orderer_ca, ous), org("Orderer2MSP", second_ca, {})};
  const crypto::IdentityValidator v(block_signer_orgs(block));

  EXPECT_TRUE(signs(v, identity(orderer_ca, "OrdererMSP", "ordering")));
  EXPECT_TRUE(signs(v, identity(second_ca, "Orderer2MSP", "orderer")));
  // NodeOUs say role: a peer of the orderer org does not sign blocks.
  EXPECT_FALSE(signs(v, identity(orderer_ca, "OrdererMSP", "peer")));
  EXPECT_FALSE(signs(v, identity(orderer_ca, "OrdererMSP", "orderer")));  // not this org's OU
  // Another CA, or an org the block does not name as an orderer org.
  EXPECT_FALSE(signs(v, identity(foreign_ca, "OrdererMSP", "ordering")));
  EXPECT_FALSE(signs(v, identity(orderer_ca, "Orderer2MSP", "orderer")));
  EXPECT_FALSE(signs(v, identity(orderer_ca, "Org1MSP", "ordering")));
}

}  // namespace
}  // namespace fabnet::daemon
