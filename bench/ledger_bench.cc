// The block store's append throughput per sync policy, and the cost of verifying a
// received block (protocol.md §3.5) of 10 × 1 KB envelopes: with fake signatures
// (hashing and parsing only) and with a real ECDSA P-256 orderer signature.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/common.pb.h"
#include "crypto/generate.h"
#include "crypto/msp.h"
#include "crypto/x509_crypto_service.h"
#include "ledger/block_builder.h"
#include "ledger/block_hash.h"
#include "ledger/block_store.h"
#include "ledger/block_verifier.h"

namespace fabnet::ledger {
namespace {

constexpr int kEnvelopesPerBlock = 10;
constexpr std::size_t kEnvelopeBytes = 1024;

class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fabnet-bench-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchFolder() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A marshaled common.Envelope for `channel` of about kEnvelopeBytes.
std::string envelope_for(const std::string& channel, int salt) {
  common::ChannelHeader channel_header;
  channel_header.set_type(common::ENDORSER_TRANSACTION);
  channel_header.set_channel_id(channel);
  common::Payload payload;
  payload.mutable_header()->set_channel_header(channel_header.SerializeAsString());
  payload.set_data(std::string(kEnvelopeBytes, static_cast<char>('a' + salt % 26)));
  common::Envelope envelope;
  envelope.set_payload(payload.SerializeAsString());
  envelope.set_signature(std::string(72, 's'));
  return envelope.SerializeAsString();
}

std::vector<std::string> envelopes(int salt) {
  std::vector<std::string> out;
  for (int i = 0; i < kEnvelopesPerBlock; ++i) out.push_back(envelope_for("bench", salt + i));
  return out;
}

// Blocks are cut outside the timed loop: the figure is the store's cost alone.
void append_blocks(benchmark::State& state, SyncPolicy sync) {
  const auto blocks = static_cast<std::size_t>(state.max_iterations);
  BlockBuilder builder;
  std::vector<std::pair<common::Block, std::string>> chain;
  chain.reserve(blocks);
  for (std::size_t n = 0; n < blocks; ++n) {
    auto block = builder.next(envelopes(static_cast<int>(n)));
    auto bytes = block.SerializeAsString();
    chain.emplace_back(std::move(block), std::move(bytes));
  }
  ScratchFolder folder;
  BlockStore store(folder.path() / "chains", folder.path() / "index",
                   BlockStoreOptions{64ull << 20, sync});
  std::size_t next = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const auto& [block, block_bytes] = chain[next++];
    if (!store.append(block, block_bytes).ok) state.SkipWithError("append refused");
    bytes += static_cast<std::int64_t>(block_bytes.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

void BM_AppendEveryBlockSynced(benchmark::State& state) {
  append_blocks(state, SyncPolicy::kEveryBlock);
}
// Wall time: the figure is bound by the disk's sync latency, not by CPU.
BENCHMARK(BM_AppendEveryBlockSynced)->Iterations(300)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Group commit as the orderer does it under load: ten blocks staged, one commit (one
// fdatasync). The figure is per block.
void BM_StageTenCommitOnce(benchmark::State& state) {
  constexpr std::size_t kGroup = 10;
  const auto groups = static_cast<std::size_t>(state.max_iterations);
  BlockBuilder builder;
  std::vector<std::pair<common::Block, std::string>> chain;
  chain.reserve(groups * kGroup);
  for (std::size_t n = 0; n < groups * kGroup; ++n) {
    auto block = builder.next(envelopes(static_cast<int>(n)));
    auto bytes = block.SerializeAsString();
    chain.emplace_back(std::move(block), std::move(bytes));
  }
  ScratchFolder folder;
  BlockStore store(folder.path() / "chains", folder.path() / "index",
                   BlockStoreOptions{64ull << 20, SyncPolicy::kEveryBlock});
  std::size_t next = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kGroup; ++i) {
      const auto& [block, block_bytes] = chain[next++];
      if (!store.stage(block, block_bytes).ok) state.SkipWithError("stage refused");
    }
    if (!store.commit().ok) state.SkipWithError("commit refused");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kGroup));
}
BENCHMARK(BM_StageTenCommitOnce)->Iterations(100)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_AppendUnsynced(benchmark::State& state) {
  append_blocks(state, SyncPolicy::kNone);
}
BENCHMARK(BM_AppendUnsynced)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The physical limit beside the synced figure: one 10 KB write + fdatasync on this disk.
void BM_DiskWriteAndFdatasync(benchmark::State& state) {
  ScratchFolder folder;
  const int fd = ::open((folder.path() / "probe").c_str(), O_RDWR | O_CREAT | O_APPEND, 0644);
  const std::string record(kEnvelopesPerBlock * kEnvelopeBytes, 'x');
  for (auto _ : state) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DiskWriteAndFdatasync)->Iterations(300)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Signatures that cost nothing: what remains is parsing, data_hash and header DER.
class NoCostCrypto final : public gossip::CryptoService {
 public:
  std::optional<gossip::PeerId> pki_id_of(std::string_view identity) const override {
    return std::string(identity);
  }
  std::optional<std::string> org_of(std::string_view) const override { return "OrdererMSP"; }
  std::string sign(std::string_view) const override { return "sig"; }
  bool verify(std::string_view, std::string_view, std::string_view) const override { return true; }
  std::string hash(std::string_view data) const override { return sha256(data); }
};

// Parse the received bytes, then verify: what a peer does per block from the orderer.
void verify_received(benchmark::State& state, const BlockVerifier& verifier,
                     const std::string& bytes) {
  for (auto _ : state) {
    common::Block block;
    if (!block.ParseFromString(bytes)) state.SkipWithError("parse failed");
    const auto result = verifier.verify(block, 1);
    if (!result.ok) state.SkipWithError(result.detail.c_str());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyBlockHashingOnly(benchmark::State& state) {
  NoCostCrypto crypto;
  BlockVerifier verifier("bench", {"OrdererMSP"}, crypto);
  auto block = make_block(1, "previous", envelopes(0));
  sign_block(block, "orderer", [&](std::string_view payload) { return crypto.sign(payload); });
  verify_received(state, verifier, block.SerializeAsString());
}
BENCHMARK(BM_VerifyBlockHashingOnly)->Unit(benchmark::kMicrosecond);

void BM_VerifyBlockEcdsaP256(benchmark::State& state) {
  ScratchFolder folder;
  const crypto::NetworkSpec spec{{{"Orderer", "OrdererMSP", "example.com", {"orderer0"}},
                                  {"Org1", "Org1MSP", "org1.example.com", {"peer0"}}}};
  crypto::generate_crypto_material(spec, folder.path());
  const crypto::X509CryptoService orderer(crypto::load_local_msp(
      crypto::peer_msp_folder(folder.path(), spec.orgs[0], "orderer0"), "OrdererMSP"));
  const crypto::X509CryptoService peer(crypto::load_local_msp(
      crypto::peer_msp_folder(folder.path(), spec.orgs[1], "peer0"), "Org1MSP"));
  BlockVerifier verifier("bench", {"OrdererMSP"}, peer);
  auto block = make_block(1, "previous", envelopes(0));
  sign_block(block, orderer.identity(),
             [&](std::string_view payload) { return orderer.sign(payload); });
  verify_received(state, verifier, block.SerializeAsString());
}
BENCHMARK(BM_VerifyBlockEcdsaP256)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fabnet::ledger
