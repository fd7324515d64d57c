#include "ledger/block_hash.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace fabnet::ledger {
namespace {

void append_der_length(std::string& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<char>(length));
    return;
  }
  // Long form: 0x80 | count of big-endian length bytes, no leading zero bytes.
  char bytes[sizeof(std::size_t)];
  int count = 0;
  for (std::size_t rest = length; rest != 0; rest >>= 8) {
    bytes[count++] = static_cast<char>(rest & 0xff);
  }
  out.push_back(static_cast<char>(0x80 | count));
  while (count > 0) out.push_back(bytes[--count]);
}

void append_der_integer(std::string& out, std::uint64_t value) {
  // Minimal big-endian two's complement: a leading 0x00 keeps a set top bit positive,
  // as Go's encoding/asn1 writes the big.Int Fabric puts there.
  std::string content;
  for (std::uint64_t rest = value; rest != 0; rest >>= 8) {
    content.insert(content.begin(), static_cast<char>(rest & 0xff));
  }
  if (content.empty() || (static_cast<unsigned char>(content.front()) & 0x80) != 0) {
    content.insert(content.begin(), '\0');
  }
  out.push_back(0x02);
  append_der_length(out, content.size());
  out += content;
}

void append_der_octet_string(std::string& out, std::string_view value) {
  out.push_back(0x04);
  append_der_length(out, value.size());
  out.append(value);
}

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

}  // namespace

std::string header_der(const common::BlockHeader& header) {
  std::string body;
  append_der_integer(body, header.number());
  append_der_octet_string(body, header.previous_hash());
  append_der_octet_string(body, header.data_hash());
  std::string der;
  der.reserve(body.size() + 6);
  der.push_back(0x30);
  append_der_length(der, body.size());
  der += body;
  return der;
}

std::string sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string header_hash(const common::BlockHeader& header) {
  return sha256(header_der(header));
}

std::string data_hash(const common::BlockData& data) {
  // Streamed, so a 100 MB block is not copied once more to be hashed.
  std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 init failed in OpenSSL");
  }
  for (const auto& entry : data.data()) {
    if (EVP_DigestUpdate(context.get(), entry.data(), entry.size()) != 1) {
      throw std::runtime_error("SHA-256 update failed in OpenSSL");
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    throw std::runtime_error("SHA-256 final failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace fabnet::ledger
