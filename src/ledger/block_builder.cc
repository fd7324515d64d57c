#include "ledger/block_builder.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "ledger/block_hash.h"

namespace fabnet::ledger {
namespace {

// SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, ORDERER, COMMIT_HASH.
constexpr int kMetadataEntries = common::BlockMetadataIndex_MAX + 1;

}  // namespace

common::Block make_block(std::uint64_t number, std::string_view previous_hash,
                         std::vector<std::string> envelopes) {
  common::Block block;
  auto* data = block.mutable_data();
  data->mutable_data()->Reserve(static_cast<int>(envelopes.size()));
  for (auto& envelope : envelopes) data->add_data(std::move(envelope));
  auto* header = block.mutable_header();
  header->set_number(number);
  header->set_previous_hash(std::string(previous_hash));
  header->set_data_hash(data_hash(*data));
  for (int i = 0; i < kMetadataEntries; ++i) block.mutable_metadata()->add_metadata();
  return block;
}

std::string block_signature_payload(std::string_view metadata_value,
                                    std::string_view signature_header,
                                    const common::BlockHeader& header) {
  std::string payload;
  const auto der = header_der(header);
  payload.reserve(metadata_value.size() + signature_header.size() + der.size());
  payload.append(metadata_value);
  payload.append(signature_header);
  payload.append(der);
  return payload;
}

std::string random_nonce() {
  std::string nonce(24, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) !=
      1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return nonce;
}

void sign_block(common::Block& block, std::string_view signer_identity, const SignFunction& sign,
                std::string_view metadata_value, std::string nonce) {
  auto* metadata = block.mutable_metadata();
  while (metadata->metadata_size() < kMetadataEntries) metadata->add_metadata();

  common::Metadata signatures;
  const auto& existing = metadata->metadata(common::SIGNATURES);
  if (!existing.empty() && !signatures.ParseFromString(existing)) {
    throw std::invalid_argument("metadata[SIGNATURES] of the block does not parse");
  }
  if (signatures.signatures_size() == 0) signatures.set_value(std::string(metadata_value));

  common::SignatureHeader signature_header;
  signature_header.set_creator(std::string(signer_identity));
  signature_header.set_nonce(nonce.empty() ? random_nonce() : std::move(nonce));
  auto* signature = signatures.add_signatures();
  signature->set_signature_header(signature_header.SerializeAsString());
  signature->set_signature(sign(
      block_signature_payload(signatures.value(), signature->signature_header(), block.header())));
  metadata->set_metadata(common::SIGNATURES, signatures.SerializeAsString());
}

common::Block BlockBuilder::next(std::vector<std::string> envelopes) {
  auto block = make_block(next_number_, previous_hash_, std::move(envelopes));
  previous_hash_ = header_hash(block.header());
  ++next_number_;
  return block;
}

}  // namespace fabnet::ledger
