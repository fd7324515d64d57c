#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/common.pb.h"

namespace fabnet::ledger {

// DER of SEQUENCE{INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash}:
// the bytes Fabric hashes to chain blocks and signs in SIGNATURES (protocol.md §3.5).
std::string header_der(const common::BlockHeader& header);

// SHA-256 of header_der(header): the next block's previous_hash.
std::string header_hash(const common::BlockHeader& header);

// SHA-256 of the concatenated data entries (protocol.md §3.5 rule 4).
std::string data_hash(const common::BlockData& data);

// Plain SHA-256, 32 raw bytes.
std::string sha256(std::string_view bytes);

}  // namespace fabnet::ledger
