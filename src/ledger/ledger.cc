#include "ledger/ledger.h"

namespace fabnet::ledger {

std::string_view refusal_name(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kWrongNumber:
      return "wrong_number";
    case RefusalReason::kBrokenHashChain:
      return "broken_hash_chain";
    case RefusalReason::kWrongDataHash:
      return "wrong_data_hash";
    case RefusalReason::kMalformed:
      return "malformed";
    case RefusalReason::kWrongChannel:
      return "wrong_channel";
    case RefusalReason::kBadSignature:
      return "bad_signature";
    case RefusalReason::kNoOrdererSignature:
      return "no_orderer_signature";
    case RefusalReason::kStorageFailure:
      return "storage_failure";
  }
  return "unknown";
}

}  // namespace fabnet::ledger
