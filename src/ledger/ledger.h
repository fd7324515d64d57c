#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/common.pb.h"

namespace fabnet::ledger {

// Why a block was refused. Each reason is counted and named in logs and metrics.
enum class RefusalReason {
  kWrongNumber,         // header.number != height
  kBrokenHashChain,     // previous_hash != hash of the stored last header
  kWrongDataHash,       // data_hash != SHA-256 of the concatenated data entries
  kMalformed,           // no header, no data, metadata missing or unparsable
  kWrongChannel,        // first envelope names another channel
  kBadSignature,        // a SIGNATURES metadata signature does not verify
  kNoOrdererSignature,  // no valid signature from an orderer org identity
  kStorageFailure,      // the write or sync failed; nothing was acknowledged
};
std::string_view refusal_name(RefusalReason reason);

struct AppendResult {
  bool ok = true;
  RefusalReason reason = RefusalReason::kWrongNumber;  // when !ok
  std::string detail;                                  // human-readable, when !ok
};

// The chain of one channel, as both the peer and the orderer hold it. The disk
// implementation keeps block files plus a LevelDB index; an in-memory one backs
// the simulator and unit tests.
class Ledger {
 public:
  virtual ~Ledger() = default;
  // Number of blocks held; the next block to append has this number.
  virtual std::uint64_t height() const = 0;
  // SHA-256 of the ASN.1 DER of the last block's header (protocol.md §3.5); empty at height 0.
  virtual std::string last_header_hash() const = 0;
  // The marshaled block as it was appended (never re-marshalled), or nullopt beyond height.
  virtual std::optional<std::string> block_bytes(std::uint64_t number) const = 0;
  // The block parsed, or nullopt beyond height.
  virtual std::optional<common::Block> block(std::uint64_t number) const = 0;
  // Appends `block` (whose marshaled form is `bytes`) if its number is height() and its
  // previous_hash chains to the last header; durable (per the store's sync policy) when
  // it returns ok. A refused block leaves the ledger unchanged.
  virtual AppendResult append(const common::Block& block, std::string_view bytes) = 0;

  // Group commit, for a writer that cuts blocks faster than the disk syncs them (the
  // orderer): stage() writes a block after the staged ones, neither durable nor
  // visible (height() and readers do not see it); commit() makes every staged block
  // durable and visible with one sync. A ledger without the split (this default)
  // appends at once, so staged_height() == height() right after stage() returns.
  virtual AppendResult stage(const common::Block& block, std::string_view bytes) {
    return append(block, bytes);
  }
  // Fails (kStorageFailure) if the sync did; the staged blocks are then dropped.
  virtual AppendResult commit() { return {}; }
  // The number the next staged block takes, and the header hash it chains to.
  virtual std::uint64_t staged_height() const { return height(); }
  virtual std::string staged_last_header_hash() const { return last_header_hash(); }
};

}  // namespace fabnet::ledger
