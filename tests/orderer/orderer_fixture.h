#pragma once

// Crypto material, channel definitions and envelope builders shared by the
// orderer's unit tests. Time is virtual: the wall clock is a fixed instant inside
// the certificates' validity plus the scheduler's time.

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../crypto/generated_network.h"
#include "common/common.pb.h"
#include "config/network_config.h"
#include "crypto/msp.h"
#include "crypto/x509_crypto_service.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/memory_ledger.h"
#include "orderer/ab.pb.h"
#include "orderer/orderer.h"
#include "orderer/request_validator.h"
#include "runtime/virtual_scheduler.h"

namespace fabnet::orderer::testing {

namespace fs = std::filesystem;
using crypto::testing::kDuringValidity;
using crypto::testing::kValidFrom;

// Org1 and Org2 are members of "mychannel"; Org3 exists but is in no channel.
inline crypto::NetworkSpec orderer_spec() {
  crypto::NetworkSpec spec{{
      {"Org1", "Org1MSP", "org1.example.com", {"peer0"}},
      {"Org2", "Org2MSP", "org2.example.com", {"peer0"}},
      {"Org3", "Org3MSP", "org3.example.com", {"peer0"}},
  }};
  spec.orderer = crypto::NetworkSpec::Org{"Orderer", "OrdererMSP", "example.com", {"orderer"}};
  return spec;
}

class Material {
 public:
  Material() : spec_(orderer_spec()) {
    crypto::generate_crypto_material(spec_, folder_.path(), kValidFrom);
  }
  const crypto::NetworkSpec& spec() const { return spec_; }
  crypto::LocalMsp user(std::size_t org) const {
    return crypto::load_local_msp(crypto::user_msp_folder(folder_.path(), spec_.orgs.at(org)),
                                  spec_.orgs.at(org).msp_id);
  }
  crypto::LocalMsp orderer() const {
    return crypto::load_local_msp(
        crypto::orderer_msp_folder(folder_.path(), *spec_.orderer, "orderer"), "OrdererMSP");
  }
  std::string ca_pem(std::size_t org) const {
    return read(crypto::ca_certificate_file(folder_.path(), spec_.orgs.at(org)));
  }
  std::string orderer_ca_pem() const {
    return read(crypto::orderer_ca_certificate_file(folder_.path(), *spec_.orderer));
  }

 private:
  static std::string read(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  crypto::testing::TempFolder folder_;
  crypto::NetworkSpec spec_;
};

inline const Material& material() {
  static const Material m;
  return m;
}

inline config::ChannelDefinitions channel_definitions() {
  config::ChannelDefinitions defs;
  config::ChannelDefinition channel;
  channel.name = "mychannel";
  channel.orgs.push_back({"Org1MSP", material().ca_pem(0), {}, {}});
  channel.orgs.push_back({"Org2MSP", material().ca_pem(1), {}, {}});
  defs.channels.push_back(channel);
  return defs;
}

inline std::chrono::system_clock::time_point wall_time(const runtime::Scheduler& scheduler) {
  return kDuringValidity +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(scheduler.now());
}

struct EnvelopeSpec {
  std::string channel = "mychannel";
  common::HeaderType type = common::ENDORSER_TRANSACTION;
  std::string data = "transaction";
  std::optional<std::chrono::system_clock::time_point> timestamp;  // default: now
  bool sign = true;
  const crypto::LocalMsp* signer = nullptr;   // default: Org1's User1
  const crypto::LocalMsp* creator = nullptr;  // default: the signer
};

inline std::string make_envelope(const EnvelopeSpec& spec,
                                 std::chrono::system_clock::time_point now) {
  static const crypto::LocalMsp org1 = material().user(0);
  const crypto::LocalMsp& signer = spec.signer ? *spec.signer : org1;
  const crypto::LocalMsp& creator = spec.creator ? *spec.creator : signer;
  common::ChannelHeader ch;
  ch.set_type(spec.type);
  ch.set_channel_id(spec.channel);
  const auto at = spec.timestamp.value_or(now);
  ch.mutable_timestamp()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
  common::SignatureHeader sh;
  sh.set_creator(creator.identity);
  sh.set_nonce(ledger::random_nonce());
  common::Payload payload;
  payload.mutable_header()->set_channel_header(ch.SerializeAsString());
  payload.mutable_header()->set_signature_header(sh.SerializeAsString());
  payload.set_data(spec.data);
  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  if (spec.sign) envelope.set_signature(signer.signer.sign(envelope.payload()));
  return envelope.SerializeAsString();
}

inline ::orderer::SeekPosition specified(std::uint64_t n) {
  ::orderer::SeekPosition p;
  p.mutable_specified()->set_number(n);
  return p;
}
inline ::orderer::SeekPosition oldest() {
  ::orderer::SeekPosition p;
  p.mutable_oldest();
  return p;
}
inline ::orderer::SeekPosition newest() {
  ::orderer::SeekPosition p;
  p.mutable_newest();
  return p;
}

inline std::string seek_info(const ::orderer::SeekPosition& start,
                             const ::orderer::SeekPosition& stop,
                             ::orderer::SeekInfo::SeekBehavior behavior) {
  ::orderer::SeekInfo info;
  *info.mutable_start() = start;
  *info.mutable_stop() = stop;
  info.set_behavior(behavior);
  return info.SerializeAsString();
}

// What a deliver sink received, in order.
struct RecordingSink final : DeliverSink {
  std::vector<std::uint64_t> numbers;
  std::vector<std::string> blocks;
  std::vector<common::Status> statuses;
  std::size_t room = SIZE_MAX;  // blocks accepted before reporting "full"
  bool send_block(std::uint64_t number, const std::string& bytes) override {
    numbers.push_back(number);
    blocks.push_back(bytes);
    if (room != SIZE_MAX && room > 0) --room;
    return room != 0;
  }
  void send_status(common::Status status, const std::string&) override {
    statuses.push_back(status);
  }
};

// A MemoryLedger with group commit: staged blocks become visible on commit(),
// which counts its calls and can be told to fail (as a failed fdatasync does).
class StagingLedger final : public ledger::Ledger {
 public:
  std::uint64_t height() const override { return committed_.height(); }
  std::string last_header_hash() const override { return committed_.last_header_hash(); }
  std::optional<std::string> block_bytes(std::uint64_t n) const override {
    return committed_.block_bytes(n);
  }
  std::optional<common::Block> block(std::uint64_t n) const override { return committed_.block(n); }
  ledger::AppendResult append(const common::Block& block, std::string_view bytes) override {
    return committed_.append(block, bytes);
  }
  ledger::AppendResult stage(const common::Block& block, std::string_view bytes) override {
    if (block.header().number() != staged_height()) {
      return {false, ledger::RefusalReason::kWrongNumber, "not the next staged number"};
    }
    staged_.emplace_back(block, std::string(bytes));
    return {};
  }
  ledger::AppendResult commit() override {
    ++commits;
    if (fail_commit) {
      staged_.clear();
      return {false, ledger::RefusalReason::kStorageFailure, "fdatasync failed"};
    }
    for (const auto& [block, bytes] : staged_) {
      if (auto r = committed_.append(block, bytes); !r.ok) return r;
    }
    staged_.clear();
    return {};
  }
  std::uint64_t staged_height() const override { return height() + staged_.size(); }
  std::string staged_last_header_hash() const override {
    return staged_.empty() ? last_header_hash()
                           : ledger::header_hash(staged_.back().first.header());
  }

  int commits = 0;
  bool fail_commit = false;

 private:
  ledger::MemoryLedger committed_;
  std::vector<std::pair<common::Block, std::string>> staged_;
};

// One orderer on a virtual clock over a MemoryLedger per channel (a StagingLedger
// with `group_commit`).
class OrdererHarness {
 public:
  explicit OrdererHarness(config::BatchSettings batch = {}, bool group_commit = false)
      : orderer_msp_(material().orderer()),
        crypto_(orderer_msp_),
        validator_(
            channel_definitions(), {{"mychannel", batch}}, crypto_,
            [this] { return wall_time(scheduler_); }, std::chrono::minutes(15)) {
    std::vector<Orderer::Channel> channels{{"mychannel", batch, "channel definition"}};
    orderer_ = std::make_unique<Orderer>(
        channels, scheduler_,
        [this, group_commit](const std::string& name) -> std::unique_ptr<ledger::Ledger> {
          if (group_commit) {
            auto l = std::make_unique<StagingLedger>();
            ledgers_[name] = l.get();
            staging_[name] = l.get();
            return l;
          }
          auto l = std::make_unique<ledger::MemoryLedger>();
          ledgers_[name] = l.get();
          return l;
        },
        OrdererIdentity{orderer_msp_.identity,
                        [this](std::string_view p) { return orderer_msp_.signer.sign(p); }},
        [this] { return wall_time(scheduler_); });
  }

  std::string envelope(const EnvelopeSpec& spec = {}) {
    return make_envelope(spec, wall_time(scheduler_));
  }
  std::string seek(const std::string& info_bytes, const std::string& channel = "mychannel",
                   bool sign = true) {
    EnvelopeSpec spec;
    spec.channel = channel;
    spec.type = common::DELIVER_SEEK_INFO;
    spec.data = info_bytes;
    spec.sign = sign;
    return envelope(spec);
  }

  // Broadcasts and returns the slot its status lands in once acknowledged.
  std::shared_ptr<std::optional<common::Status>> broadcast(const std::string& bytes) {
    auto slot = std::make_shared<std::optional<common::Status>>();
    orderer_->broadcast(validator_, bytes,
                        [slot](common::Status s, const std::string&) { *slot = s; });
    return slot;
  }

  runtime::VirtualScheduler& scheduler() { return scheduler_; }
  Orderer& orderer() { return *orderer_; }
  const RequestValidator& validator() const { return validator_; }
  const ledger::Ledger& ledger() const { return *ledgers_.at("mychannel"); }
  StagingLedger& staging() { return *staging_.at("mychannel"); }
  const crypto::X509CryptoService& crypto() const { return crypto_; }

 private:
  runtime::VirtualScheduler scheduler_;
  crypto::LocalMsp orderer_msp_;
  crypto::X509CryptoService crypto_;
  RequestValidator validator_;
  std::map<std::string, ledger::Ledger*> ledgers_;
  std::map<std::string, StagingLedger*> staging_;
  std::unique_ptr<Orderer> orderer_;
};

}  // namespace fabnet::orderer::testing
