#include "node/channel_mac.h"

#include <openssl/evp.h>

namespace fabnet::node {

std::string channel_mac(std::string_view pki_id, std::string_view channel) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  EVP_DigestUpdate(context, pki_id.data(), pki_id.size());
  EVP_DigestUpdate(context, channel.data(), channel.size());
  EVP_DigestFinal_ex(context, digest, &length);
  EVP_MD_CTX_free(context);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace fabnet::node
